"""Adaptive methods without a first moment: a rate per coordinate from a
history of squared gradients (:class:`AdaGrad`, :class:`RMSprop`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from lrtutor._validate import check_array, check_bool, check_real
from lrtutor.optim._core import (CHUNK, LearningRate, _check_lr, _check_pair, _coef, _div,
                                 _inplace, _l2, _nonneg, _quiet, _rate, _set, _Stepped,
                                 _unit, _unit_or_schedule, _zeros)


class AdaGradState(NamedTuple):
    """State of :class:`AdaGrad`: ``count`` and the running ``sum_sq`` of g²."""
    count: int
    sum_sq: Any     # array like params


@dataclass(frozen=True)
class AdaGrad:
    r"""AdaGrad: divide by the root of the sum of all squared gradients so far.

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        s_t &= s_{t-1} + g_t^2, \qquad s_0 = s_{\mathrm{init}} \\
        \tilde\eta_t &= \frac{\eta}{1 + (t-1)\,\delta} \\
        \theta_t &= \theta_{t-1} - \tilde\eta_t\,\frac{g_t}{\sqrt{s_t} + \epsilon}

    where :math:`\eta` is ``lr``, :math:`\delta` is ``lr_decay``,
    :math:`\lambda` is ``weight_decay``, :math:`s_{\mathrm{init}}` is
    ``initial_accumulator_value``, :math:`\epsilon` is ``eps``, :math:`g_t` the
    gradient passed to update :math:`t` (``t = state.count + 1``) and
    :math:`\theta` the parameters. Squares and roots act per coordinate.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1e-2
        Learning rate :math:`\eta` (see the module docstring).
    lr_decay : float, default 0.0
        :math:`\delta \ge 0`, PyTorch's built-in inverse-time decay.
    weight_decay : float, default 0.0
        L2 coefficient :math:`\lambda \ge 0`.
    initial_accumulator_value : float, default 0.0
        :math:`s_{\mathrm{init}} \ge 0`.
    eps : float, default 1e-10
        :math:`\epsilon \ge 0`, added *outside* the square root.

    Notes
    -----
    Matches ``torch.optim.Adagrad``. optax's ``adagrad(lr,
    initial_accumulator_value=0.1, eps=1e-7)`` and Keras's ``Adagrad``
    (``learning_rate=1e-3``, accumulator 0.1, ``epsilon=1e-7``) start the
    accumulator at 0.1 and put :math:`\epsilon` *inside* the root,
    :math:`g/\sqrt{s + \epsilon}`; ``AdaGrad(initial_accumulator_value=0.1)``
    reproduces them up to that :math:`\epsilon`. With a zero accumulator the
    first step is :math:`\eta\,\mathrm{sign}(g)` for any :math:`|g| \gg \epsilon`
    (:math:`\eta g/(|g| + \epsilon)` exactly).

    Examples
    --------
    >>> opt, x = AdaGrad(lr=0.1), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(round(float(x[0]), 6))
    0.9
    0.833104
    0.780456
    """
    lr: LearningRate = 1e-2
    lr_decay: float = 0.0
    weight_decay: float = 0.0
    initial_accumulator_value: float = 0.0
    eps: float = 1e-10

    def __post_init__(self):
        _set(self, lr=_check_lr(self.lr),
             lr_decay=_nonneg("lr_decay", self.lr_decay),
             weight_decay=_nonneg("weight_decay", self.weight_decay),
             initial_accumulator_value=_nonneg("initial_accumulator_value",
                                               self.initial_accumulator_value),
             eps=_nonneg("eps", self.eps))

    def init(self, params):
        sum_sq = _zeros(params)
        sum_sq[...] = self.initial_accumulator_value       # an array even for 0-d params
        return AdaGradState(count=0, sum_sq=sum_sq)

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        eta = eta / (1 + state.count * self.lr_decay)          # count = t - 1
        g = _l2(grads, params, self.weight_decay)
        sum_sq = state.sum_sq + g * g
        new_params = params - _div(eta * g, np.sqrt(sum_sq) + self.eps, self.eps)
        return new_params, AdaGradState(state.count + 1, sum_sq)

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place (``params`` and ``state.sum_sq``), bit for bit;
        see :meth:`SGD.update_`."""
        eta = _rate(self.lr, state.count, check_array("params", params, finite=False))
        eta = eta / (1 + state.count * self.lr_decay)
        wd, eps = self.weight_decay, self.eps

        def kernel(eta, p, g, s, w1, w2, w3):
            if wd:
                np.multiply(p, wd, out=w1)
                g = np.add(g, w1, out=w1)
            np.add(s, np.multiply(g, g, out=w2), out=s)
            np.add(np.sqrt(s, out=w2), eps, out=w2)
            _div(np.multiply(g, eta, out=w3), w2, eps, out=w3)
            np.subtract(p, w3, out=p)

        _inplace(grads, state, params, (("state.sum_sq", state.sum_sq),), eta, chunk, workers,
                 kernel, 3)
        return AdaGradState(state.count + 1, state.sum_sq)


class RMSpropState(NamedTuple):
    """State of :class:`RMSprop`: ``count``, ``square_avg``, ``grad_avg``, ``buf``."""
    count: int
    square_avg: Any     # array like params
    grad_avg: Any       # array like params; None unless centered
    buf: Any            # array like params; None when momentum == 0


@dataclass(frozen=True)
class RMSprop:
    r"""RMSprop: divide by the root of a moving average of squared gradients.

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        v_t &= \alpha\,v_{t-1} + (1-\alpha)\,g_t^2, \qquad v_0 = 0 \\
        \bar g_t &= \alpha\,\bar g_{t-1} + (1-\alpha)\,g_t, \qquad \bar g_0 = 0
                   \quad \text{(centered only)} \\
        D_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \quad \text{(centered)},
        \qquad D_t = \sqrt{v_t} + \epsilon \quad \text{(otherwise)} \\
        b_t &= \mu\,b_{t-1} + g_t / D_t, \qquad b_0 = 0 \\
        \theta_t &= \theta_{t-1} - \eta\,b_t

    where :math:`\eta` is ``lr``, :math:`\alpha` is ``alpha``, :math:`\mu` is
    ``momentum`` (with :math:`\mu = 0`, :math:`b_t = g_t / D_t`; a momentum
    schedule gives :math:`\mu_t =` ``momentum(state.count)``, and an update
    whose :math:`\mu_t` is 0 leaves :math:`b` as it was, as in PyTorch),
    :math:`\lambda` is ``weight_decay``, :math:`\epsilon` is ``eps``,
    :math:`g_t` the gradient passed to update :math:`t`
    (``t = state.count + 1``) and :math:`\theta` the parameters. Squares and
    roots act per coordinate.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1e-2
        Learning rate :math:`\eta` (see the module docstring).
    alpha : float, default 0.99
        :math:`\alpha \in [0, 1)`.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`, added *outside* the square root.
    weight_decay : float, default 0.0
        L2 coefficient :math:`\lambda \ge 0`.
    momentum : float or schedule, default 0.0
        :math:`\mu \in [0, 1)`, or a schedule ``t -> mu`` checked at each
        update: PyTorch's ``CyclicLR``/``OneCycleLR`` with
        ``cycle_momentum=True`` drive RMSprop's ``momentum`` as they drive
        :class:`SGD`'s.
    centered : bool, default False
        Divide by an estimate of the standard deviation instead of the root
        mean square.

    Notes
    -----
    Matches ``torch.optim.RMSprop``: :math:`\epsilon` outside the root, no bias
    correction, so early steps are large (the first is
    :math:`\eta/\sqrt{1-\alpha} \approx 10\,\eta`). optax's ``rmsprop`` defaults
    to ``decay=0.9`` and :math:`\epsilon` *inside* the root,
    :math:`g/\sqrt{v + \epsilon}`; ``optax.rmsprop(lr, decay=0.99,
    eps_in_sqrt=False)`` gives the numbers of this class. Keras's ``RMSprop``
    (``learning_rate=1e-3``, ``rho=0.9``, ``epsilon=1e-7``) also puts
    :math:`\epsilon` inside the root; ``RMSprop(alpha=0.9)`` reproduces it up to
    that :math:`\epsilon`. As in PyTorch, rounding can make
    :math:`v_t - \bar g_t^2` slightly negative when the gradient has been
    constant for many steps (centered only), which gives ``nan``.

    Examples
    --------
    >>> opt, x = RMSprop(lr=0.01), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(round(float(x[0]), 6))
    0.9
    0.832918
    0.779982
    """
    lr: LearningRate = 1e-2
    alpha: float = 0.99
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum: float = 0.0
    centered: bool = False

    def __post_init__(self):
        _set(self, lr=_check_lr(self.lr), alpha=_unit("alpha", self.alpha),
             eps=_nonneg("eps", self.eps),
             weight_decay=_nonneg("weight_decay", self.weight_decay),
             momentum=_unit_or_schedule("momentum", self.momentum),
             centered=check_bool("centered", self.centered))

    def init(self, params):
        return RMSpropState(count=0, square_avg=_zeros(params),
                            grad_avg=_zeros(params) if self.centered else None,
                            buf=_zeros(params) if self.momentum else None)

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        a = self.alpha
        g = _l2(grads, params, self.weight_decay)
        square_avg = a * state.square_avg + (1 - a) * g * g
        grad_avg = state.grad_avg
        if self.centered:
            grad_avg = a * grad_avg + (1 - a) * g
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            denom = np.sqrt(square_avg) + self.eps
        buf, mu = state.buf, _coef("momentum", self.momentum, state.count)
        if mu:
            buf = mu * buf + _div(g, denom, self.eps)
            new_params = params - eta * buf
        else:
            new_params = params - _div(eta * g, denom, self.eps)
        return new_params, RMSpropState(state.count + 1, square_avg, grad_avg, buf)

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place (``params`` and the state buffers), bit for bit;
        see :meth:`SGD.update_`."""
        eta = _rate(self.lr, state.count, check_array("params", params, finite=False))
        a, wd, eps = self.alpha, self.weight_decay, self.eps
        mu = _coef("momentum", self.momentum, state.count)

        def kernel(eta, p, g, sq, ga, buf, w1, w2, w3):
            if wd:
                np.multiply(p, wd, out=w1)
                g = np.add(g, w1, out=w1)
            np.multiply(np.multiply(g, 1 - a, out=w2), g, out=w2)     # (1-a) g g
            np.add(np.multiply(sq, a, out=sq), w2, out=sq)
            if ga is not None:
                np.add(np.multiply(ga, a, out=ga), np.multiply(g, 1 - a, out=w2), out=ga)
                np.subtract(sq, np.multiply(ga, ga, out=w2), out=w2)
                np.sqrt(w2, out=w2)
            else:
                np.sqrt(sq, out=w2)
            np.add(w2, eps, out=w2)                                   # denom
            if mu:
                np.add(np.multiply(buf, mu, out=buf), _div(g, w2, eps, out=w3), out=buf)
                np.subtract(p, np.multiply(buf, eta, out=w3), out=p)
            else:
                _div(np.multiply(g, eta, out=w3), w2, eps, out=w3)
                np.subtract(p, w3, out=p)

        _inplace(grads, state, params,
                 (("state.square_avg", state.square_avg), ("state.grad_avg", state.grad_avg),
                  ("state.buf", state.buf)), eta, chunk, workers, kernel, 3)
        return RMSpropState(state.count + 1, state.square_avg, state.grad_avg, state.buf)


class AdadeltaState(NamedTuple):
    """State of :class:`Adadelta`: ``count``, ``square_avg`` (of g²) and
    ``acc_delta`` (of the squared steps)."""
    count: int
    square_avg: Any     # array like params
    acc_delta: Any      # array like params


@dataclass(frozen=True)
class Adadelta(_Stepped):
    r"""Adadelta: a step whose units are those of the parameters.

    Zeiler's method divides the gradient by the root mean square of recent
    gradients and multiplies it by the root mean square of recent *steps*,
    so a step has the units of :math:`\theta` and the method needs no rate
    in principle:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        v_t &= \rho\,v_{t-1} + (1-\rho)\,g_t^2, \qquad v_0 = 0 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\,g_t \\
        u_t &= \rho\,u_{t-1} + (1-\rho)\,\Delta_t^2, \qquad u_0 = 0 \\
        \theta_t &= \theta_{t-1} - \eta\,\Delta_t

    where :math:`\eta` is ``lr``, :math:`\rho` is ``rho``, :math:`\epsilon`
    is ``eps``, :math:`\lambda` is ``weight_decay``, :math:`g_t` the gradient
    passed to update :math:`t` (``t = state.count + 1``) and :math:`\theta`
    the parameters. Squares and roots act per coordinate.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1.0
        :math:`\eta`, a multiplier of the step (the paper has none, i.e. 1).
    rho : float, default 0.9
        Averaging coefficient :math:`\rho \in [0, 1]`.
    eps : float, default 1e-6
        :math:`\epsilon \ge 0`, *inside* both roots; it also sets the size of
        the first steps, :math:`\sqrt{\epsilon}/\sqrt{(1-\rho)g^2}` times
        :math:`g`, so it is a rate in disguise.
    weight_decay : float, default 0.0
        L2 coefficient :math:`\lambda \ge 0`.

    Notes
    -----
    Matches ``torch.optim.Adadelta`` (defaults ``lr=1.0``, ``rho=0.9``,
    ``eps=1e-6``; :math:`\rho = 1` is accepted, as there: :math:`v` and
    :math:`u` then stay 0 and every step is :math:`\eta g_t`). The paper
    (Algorithm 1) is ``lr=1.0`` with its :math:`\rho = 0.95`. ``optax.adadelta``
    (``learning_rate=None``, ``rho=0.9``, ``eps=1e-6``) is the same update with
    :math:`\eta = 1` when no rate is given; Keras's ``Adadelta`` uses
    ``learning_rate=0.001``, ``rho=0.95``, ``epsilon=1e-7``, so its defaults
    take steps a thousand times smaller.

    References
    ----------
    Zeiler (2012), ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701.

    Examples
    --------
    >>> opt, x = Adadelta(), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(f"{float(x[0]):.9f}")
    0.996837738
    0.993598198
    0.990309083
    """
    lr: LearningRate = 1.0
    rho: float = 0.9
    eps: float = 1e-6
    weight_decay: float = 0.0
    _buffers = ("square_avg", "acc_delta")

    def __post_init__(self):
        _set(self, lr=_check_lr(self.lr), rho=check_real("rho", self.rho, low=0, high=1),
             eps=_nonneg("eps", self.eps),
             weight_decay=_nonneg("weight_decay", self.weight_decay))

    def init(self, params):
        return AdadeltaState(count=0, square_avg=_zeros(params), acc_delta=_zeros(params))

    def _step(self, eta, p, g, v, u):
        rho, eps = self.rho, self.eps
        g = _l2(g, p, self.weight_decay)
        v = rho * v + (1 - rho) * g * g
        delta = _div(np.sqrt(u + eps), np.sqrt(v + eps), eps) * g
        u = rho * u + (1 - rho) * delta * delta
        return p - eta * delta, v, u
