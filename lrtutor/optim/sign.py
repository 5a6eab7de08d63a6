"""Sign methods: every coordinate moves by the same amount (:class:`Lion`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from lrtutor.optim._core import (LearningRate, _check_betas, _check_lr, _nonneg, _set,
                                 _Stepped, _zeros)


class LionState(NamedTuple):
    """State of :class:`Lion`: ``count`` and the momentum ``m``."""
    count: int
    m: Any          # array like params


@dataclass(frozen=True)
class Lion(_Stepped):
    r"""Lion: the sign of an interpolated momentum, plus decoupled weight decay.

    Found by a program search (Chen et al., 2023), Lion keeps one moving
    average and steps along the *sign* of a mix of it and the current
    gradient, so every coordinate moves by exactly :math:`\eta` (plus decay):

    .. math::

        c_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t \\
        \theta_t &= \theta_{t-1} - \eta\,\bigl(\mathrm{sign}(c_t) + \lambda\,\theta_{t-1}\bigr) \\
        m_t &= \beta_2 m_{t-1} + (1-\beta_2)\,g_t, \qquad m_0 = 0

    where :math:`\eta` is ``lr``, :math:`(\beta_1, \beta_2)` is ``betas``,
    :math:`\lambda` is ``weight_decay``, :math:`g_t` the gradient passed to
    update :math:`t` (``t = state.count + 1``), :math:`\theta` the
    parameters, and :math:`\mathrm{sign}(0) = 0`.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1e-4
        Learning rate :math:`\eta` (see the module docstring). Each
        coordinate moves by :math:`\eta` per step whatever the gradient's
        size, where Adam's steps are about :math:`\eta` only when gradients
        are consistent and smaller otherwise: the paper uses a rate 3 to 10
        times smaller than AdamW's.
    betas : (float, float), default (0.9, 0.99)
        :math:`\beta_1` mixes the update, :math:`\beta_2` averages the
        momentum; each in :math:`[0, 1)`.
    weight_decay : float, default 1e-3
        Decoupled decay :math:`\lambda \ge 0`, multiplied by the rate; the
        paper uses a :math:`\lambda` 3 to 10 times larger than AdamW's, so
        that :math:`\eta\lambda` stays the same.

    Notes
    -----
    Matches ``optax.lion(lr, b1=0.9, b2=0.99, weight_decay=1e-3)`` (optax
    0.2.8, in JAX's x64 mode), whose update is
    :math:`-\eta(\mathrm{sign}(c_t) + \lambda\theta)`, the paper's Program 1.
    PyTorch has no Lion; the authors' PyTorch code (``lion/lion_pytorch.py``
    in ``google/automl``), like the third-party ``lion-pytorch`` package,
    decays first, :math:`\theta(1-\eta\lambda)`, which is the same number. The step mixes with :math:`\beta_1` and the memory
    with :math:`\beta_2`; with :math:`\beta_1 = \beta_2` the step is the sign
    of the updated average :math:`m_t`, signSGD with momentum (Bernstein et
    al., 2018).

    References
    ----------
    Chen et al. (2023), Symbolic Discovery of Optimization Algorithms,
    NeurIPS, arXiv:2302.06675, Program 1.

    Examples
    --------
    >>> opt, x = Lion(lr=0.1, weight_decay=0.0), np.array([1.0, -0.001])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = |x|**2/2, grads = x
    ...     print(np.round(x, 6))      # the second coordinate keeps its momentum
    [0.9   0.099]
    [ 0.8   -0.001]
    [ 0.7   -0.101]
    """
    lr: LearningRate = 1e-4
    betas: tuple = (0.9, 0.99)
    weight_decay: float = 1e-3
    _buffers = ("m",)

    def __post_init__(self):
        _set(self, lr=_check_lr(self.lr), betas=_check_betas(self.betas),
             weight_decay=_nonneg("weight_decay", self.weight_decay))

    def init(self, params):
        return LionState(count=0, m=_zeros(params))

    def _step(self, eta, p, g, m):
        beta1, beta2 = self.betas
        c = np.sign((1.0 - beta1) * g + beta1 * m)              # optax's order
        u = c + self.weight_decay * p if self.weight_decay else c
        return p - eta * u, (1 - beta2) * g + beta2 * m
