"""Gradient descent and momentum, three ways: PyTorch's buffer (:class:`SGD`),
the heavy ball with the rate inside (:class:`HeavyBall`), and the moving average
(:class:`EMAMomentum`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from lrtutor._validate import check_array, check_bool, check_real
from lrtutor.optim._core import (CHUNK, LearningRate, _check_lr, _check_pair, _coef,
                                 _inplace, _l2, _nonneg, _quiet, _rate, _set, _unit,
                                 _unit_or_schedule, _zeros)


class SGDState(NamedTuple):
    """State of :class:`SGD`: ``count`` updates applied, momentum buffer ``buf``."""
    count: int
    buf: Any        # array like params; None when momentum == 0


@dataclass(frozen=True)
class SGD:
    r"""Gradient descent, with PyTorch's momentum, dampening and Nesterov options.

    With ``momentum=0`` this is plain gradient descent
    :math:`\theta \leftarrow \theta - \eta g_t`; whether :math:`g_t` is a
    full-batch or a mini-batch gradient is up to the caller. With momentum it
    keeps PyTorch's buffer :math:`b_t`, a running sum of gradients, and the
    rate multiplies the buffer *outside* it:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        b_1 &= g_1, \qquad b_t = \mu\,b_{t-1} + (1-\tau)\,g_t \quad (t > 1) \\
        d_t &= \begin{cases} g_t + \mu\,b_t & \text{nesterov} \\
                             b_t & \text{otherwise} \end{cases} \\
        \theta_t &= \theta_{t-1} - \eta\,d_t

    where :math:`\eta` is ``lr``, :math:`\mu` is ``momentum``, :math:`\tau` is
    ``dampening``, :math:`\lambda` is ``weight_decay``, :math:`g_t` the
    gradient passed to update :math:`t` (``t = state.count + 1``) and
    :math:`\theta` the parameters. A momentum schedule gives :math:`\mu_t =`
    ``momentum(state.count)`` in place of :math:`\mu`; an update whose
    :math:`\mu_t` is 0 is plain gradient descent and leaves :math:`b` as it was.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,)
        Learning rate :math:`\eta` (see the module docstring).
    momentum : float or schedule, default 0.0
        :math:`\mu \in [0, 1)`, or a schedule ``t -> mu`` evaluated at
        ``state.count`` like ``lr`` and checked at each update (cycle
        momentum, e.g. ``functools.partial(OneCycle(...).momentum,
        base_momentum=0.85, max_momentum=0.95)``).
    dampening : float, default 0.0
        :math:`\tau \in [0, 1]`; not applied on the first update.
    nesterov : bool, default False
        Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
    weight_decay : float, default 0.0
        L2 coefficient :math:`\lambda \ge 0`, added to the gradient.

    Notes
    -----
    Matches ``torch.optim.SGD`` exactly, including its first step
    :math:`b_1 = g_1` (no dampening). ``optax.sgd(lr, momentum=mu,
    nesterov=...)`` accumulates :math:`m_t = g_t + \mu m_{t-1}` from
    :math:`m_0 = 0`, which is the same thing when ``dampening=0`` (it has no
    dampening). Keras's ``SGD`` puts the rate inside the velocity instead; that
    is :class:`HeavyBall`, identical for a constant rate and different as soon
    as the rate changes.

    **Cycle momentum.** PyTorch's ``CyclicLR`` and ``OneCycleLR`` with
    ``cycle_momentum=True`` overwrite the optimizer's ``momentum`` before every
    update with :meth:`lrtutor.schedules.OneCycle.momentum` (or
    :meth:`~lrtutor.schedules.Cyclic.momentum`) of the step count; a momentum
    schedule here gives the same iterates (tested at ``rtol=1e-10`` over
    hundreds of steps). The buffer keeps its history across the changes: the
    new :math:`\mu_t` multiplies the old :math:`b_{t-1}`. PyTorch starts the
    buffer at the first update whose momentum is non-zero, this class at the
    first update: the two differ only with ``dampening > 0`` and a schedule
    that is 0 on the first update.

    Examples
    --------
    >>> opt, x = SGD(lr=0.1, momentum=0.9), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(round(float(x[0]), 6))
    0.9
    0.72
    0.486
    >>> state.count
    3
    """
    lr: LearningRate
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0

    def __post_init__(self):
        _set(self, lr=_check_lr(self.lr),
             momentum=_unit_or_schedule("momentum", self.momentum),
             dampening=check_real("dampening", self.dampening, low=0, high=1),
             nesterov=check_bool("nesterov", self.nesterov),
             weight_decay=_nonneg("weight_decay", self.weight_decay))
        if self.nesterov and ((not callable(self.momentum) and self.momentum == 0)
                              or self.dampening != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening == 0, "
                             f"got momentum={self.momentum}, dampening={self.dampening}")

    def init(self, params):
        return SGDState(count=0, buf=_zeros(params) if self.momentum else None)

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        mu = _coef("momentum", self.momentum, state.count)
        g = _l2(grads, params, self.weight_decay)
        buf = state.buf
        if mu:
            if state.count == 0:
                buf = g.copy()                      # b_1 = g_1
            else:
                buf = mu * buf + (1 - self.dampening) * g
            g = g + mu * buf if self.nesterov else buf
        return params - eta * g, SGDState(state.count + 1, buf)

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place: ``params`` and ``state.buf`` are overwritten.

        Gives the same numbers as :meth:`update`, bit for bit, without
        temporaries the size of ``params``: the work is done in blocks of
        ``chunk`` elements (an int >= 1), shared among ``workers`` threads (an
        int >= 1; ``None`` uses every core this process may run on). The
        numbers do not depend on ``chunk`` or ``workers``. ``params`` and the
        buffers must be writeable C-contiguous float64 arrays (as :meth:`init`
        makes them). Returns the new state, which shares the buffers of
        ``state``.

        >>> opt, x = SGD(lr=0.1, momentum=0.9), np.array([1.0])
        >>> state = opt.init(x)
        >>> for _ in range(3):
        ...     state = opt.update_(x.copy(), state, x)
        >>> round(float(x[0]), 6), state.count
        (0.486, 3)
        """
        eta = _rate(self.lr, state.count, check_array("params", params, finite=False))
        mu = _coef("momentum", self.momentum, state.count)
        damp, wd, nest = 1 - self.dampening, self.weight_decay, self.nesterov
        first = state.count == 0

        def kernel(eta, p, g, buf, w1, w2):
            if wd:                                  # g + wd * p
                np.multiply(p, wd, out=w1)
                g = np.add(g, w1, out=w1)
            d = g
            if mu:
                if first:
                    buf[...] = g
                else:
                    np.multiply(buf, mu, out=buf)
                    np.add(buf, np.multiply(g, damp, out=w2), out=buf)
                if nest:
                    d = np.add(g, np.multiply(buf, mu, out=w2), out=w2)
                else:
                    d = buf
            np.subtract(p, np.multiply(d, eta, out=w2), out=p)

        _inplace(grads, state, params, (("state.buf", state.buf),), eta, chunk, workers, kernel, 2)
        return SGDState(state.count + 1, state.buf)


class VelocityState(NamedTuple):
    """State of :class:`HeavyBall` and :class:`EMAMomentum`: ``count``, ``velocity``."""
    count: int
    velocity: Any   # array like params


@dataclass(frozen=True)
class HeavyBall:
    r"""Polyak's heavy ball, with the rate inside the velocity (Keras's ``SGD``).

    .. math::

        v_t &= \beta\,v_{t-1} - \eta\,g_t, \qquad v_0 = 0 \\
        \theta_t &= \begin{cases} \theta_{t-1} + \beta\,v_t - \eta\,g_t & \text{nesterov} \\
                                  \theta_{t-1} + v_t & \text{otherwise} \end{cases}

    where :math:`\eta` is ``lr``, :math:`\beta` is ``beta``, :math:`v` the
    velocity, :math:`g_t` the gradient passed to update :math:`t`
    (``t = state.count + 1``) and :math:`\theta` the parameters.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,)
        Learning rate :math:`\eta` (see the module docstring).
    beta : float, default 0.9
        Momentum :math:`\beta \in [0, 1)`.
    nesterov : bool, default False
        Keras's Nesterov variant (last line of the formula).

    Notes
    -----
    This is the form of Polyak (1964) and Sutskever et al. (2013), and exactly
    ``keras.optimizers.SGD(learning_rate=lr, momentum=beta, nesterov=...)``.
    For a **constant** rate it gives the same iterates as
    ``SGD(lr, momentum=beta, nesterov=...)`` (unroll both: :math:`v_t = -\eta
    b_t`). When the rate **changes** they differ: here the velocity still
    carries the old, larger steps, while PyTorch's buffer is multiplied by the
    new rate at once. With rates 0.1, 0.1, 0.1, 0.01, 0.01 and
    :math:`\beta = 0.9` on :math:`x^2/2` from 1, steps 4 and 5 give 0.27054,
    0.073921 here and 0.46008, 0.432151 with :class:`SGD`.

    Examples
    --------
    >>> opt, x = HeavyBall(lr=0.1, beta=0.9), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(round(float(x[0]), 6))
    0.9
    0.72
    0.486
    """
    lr: LearningRate
    beta: float = 0.9
    nesterov: bool = False

    def __post_init__(self):
        _set(self, lr=_check_lr(self.lr), beta=_unit("beta", self.beta),
             nesterov=check_bool("nesterov", self.nesterov))

    def init(self, params):
        return VelocityState(count=0, velocity=_zeros(params))

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        velocity = self.beta * state.velocity - eta * grads
        if self.nesterov:
            new_params = params + (self.beta * velocity - eta * grads)
        else:
            new_params = params + velocity
        return new_params, VelocityState(state.count + 1, velocity)

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place (``params`` and ``state.velocity``), bit for bit;
        see :meth:`SGD.update_`."""
        eta = _rate(self.lr, state.count, check_array("params", params, finite=False))
        beta, nest = self.beta, self.nesterov

        def kernel(eta, p, g, v, w1, w2):
            np.multiply(v, beta, out=v)
            np.subtract(v, np.multiply(g, eta, out=w1), out=v)
            if nest:
                np.subtract(np.multiply(v, beta, out=w2), w1, out=w2)
                np.add(p, w2, out=p)
            else:
                np.add(p, v, out=p)

        _inplace(grads, state, params, (("state.velocity", state.velocity),), eta, chunk, workers,
                 kernel, 2)
        return VelocityState(state.count + 1, state.velocity)


@dataclass(frozen=True)
class EMAMomentum:
    r"""Momentum as an exponential moving average of the gradients ("damped" form).

    .. math::

        v_t &= \beta\,v_{t-1} + (1-\beta)\,g_t, \qquad v_0 = 0 \\
        \theta_t &= \theta_{t-1} - \eta\,v_t

    where :math:`\eta` is ``lr``, :math:`\beta` is ``beta``, :math:`v` the
    velocity, :math:`g_t` the gradient passed to update :math:`t`
    (``t = state.count + 1``) and :math:`\theta` the parameters.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,)
        Learning rate :math:`\eta` (see the module docstring).
    beta : float, default 0.9
        Averaging coefficient :math:`\beta \in [0, 1)`.

    Notes
    -----
    This is the form many tutorials write, and Adam's first moment. Its
    velocity is :math:`(1-\beta)` times PyTorch's buffer, so at the same
    :math:`\eta` its steps are :math:`1-\beta` times smaller (10 times at
    :math:`\beta = 0.9`): ``EMAMomentum(lr / (1 - beta), beta)`` gives the same
    iterates as ``SGD(lr, momentum=beta)`` and ``HeavyBall(lr, beta)`` for a
    constant rate. The rate multiplies the velocity from outside, as in
    PyTorch, so with a changing rate it follows :class:`SGD` (rates scaled by
    :math:`1/(1-\beta)`), not :class:`HeavyBall`. PyTorch's ``dampening=beta``
    is *not* the same, because PyTorch skips dampening on the first step;
    optax's ``chain(ema(beta, debias=False), scale(-lr))`` is.

    Examples
    --------
    >>> opt, x = EMAMomentum(lr=1.0, beta=0.9), np.array([1.0])  # = SGD(lr=0.1, momentum=0.9)
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(round(float(x[0]), 6))
    0.9
    0.72
    0.486
    """
    lr: LearningRate
    beta: float = 0.9

    def __post_init__(self):
        _set(self, lr=_check_lr(self.lr), beta=_unit("beta", self.beta))

    def init(self, params):
        return VelocityState(count=0, velocity=_zeros(params))

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        velocity = self.beta * state.velocity + (1 - self.beta) * grads
        return params - eta * velocity, VelocityState(state.count + 1, velocity)

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place (``params`` and ``state.velocity``), bit for bit;
        see :meth:`SGD.update_`."""
        eta = _rate(self.lr, state.count, check_array("params", params, finite=False))
        beta = self.beta

        def kernel(eta, p, g, v, w1):
            np.multiply(v, beta, out=v)
            np.add(v, np.multiply(g, 1 - beta, out=w1), out=v)
            np.subtract(p, np.multiply(v, eta, out=w1), out=p)

        _inplace(grads, state, params, (("state.velocity", state.velocity),), eta, chunk, workers,
                 kernel, 1)
        return VelocityState(state.count + 1, state.velocity)
