"""Schedule-free training (Defazio et al., 2024): no decay schedule, an average
instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from lrtutor._validate import check_int
from lrtutor.optim._core import (CHUNK, LearningRate, _check_betas, _check_inplace,
                                 _check_lr, _check_pair, _check_state, _div, _l2, _nonneg,
                                 _quiet, _rate, _set, _unit, _zeros)


class ScheduleFreeState(NamedTuple):
    """State of :class:`ScheduleFreeSGD` and :class:`ScheduleFreeAdamW`.

    ``z`` is the base sequence (the one the gradient steps move), ``x`` the
    weighted average of the ``z`` iterates (**evaluate the model here**), ``v``
    AdamW's second moment (``None`` for SGD); ``weight_sum`` and ``lr_max``
    are the running sum of the averaging weights and the largest rate so far:
    floats, or arrays of shape ``(k,)`` for an array ``lr`` (one per run).
    """
    count: int
    z: Any          # array like params
    x: Any          # array like params
    v: Any          # array like params; None for ScheduleFreeSGD
    weight_sum: Any  # float, or (k,) per run
    lr_max: Any      # float, or (k,) per run
    _per_run = ("weight_sum", "lr_max")     # not shaped like params (see _check_state)


def _schedule_free_weights(opt, state, params):
    """The rate :math:`\\gamma_t` of this update and the averaging weight
    :math:`c_{t+1}`, with the new ``weight_sum`` and ``lr_max`` (the
    reference's bookkeeping, one value per run for an array ``lr``)."""
    t = state.count + 1
    eta = _rate(opt.lr, state.count, params)
    if opt.warmup_steps and t <= opt.warmup_steps:
        eta = eta * (t / opt.warmup_steps)
    per_run = np.reshape(eta, -1) if np.ndim(eta) else eta
    lr_max = np.maximum(state.lr_max, per_run) if state.count else per_run
    weight = t ** opt.r * lr_max ** opt.weight_lr_power
    weight_sum = state.weight_sum + weight
    c = np.divide(weight, weight_sum, out=np.zeros_like(np.asarray(weight_sum, dtype=float)),
                  where=np.asarray(weight_sum) != 0)
    if np.ndim(c):
        c = c.reshape(np.shape(eta))
    else:
        c = float(c)
    if not np.ndim(lr_max):
        lr_max, weight_sum = float(lr_max), float(weight_sum)
    return eta, c, weight_sum, lr_max


def _schedule_free_step(opt, state, params, d, eta, c, beta):
    """``z``, ``x`` and ``y`` after a step along the direction ``d``."""
    z = state.z - eta * d
    x = (1 - c) * state.x + c * z
    y = (1 - beta) * z + beta * x
    return y, z, x


def _check_schedule_free(opt):
    return dict(lr=_check_lr(opt.lr),
                weight_decay=_nonneg("weight_decay", opt.weight_decay),
                warmup_steps=check_int("warmup_steps", opt.warmup_steps, low=0),
                r=_nonneg("r", opt.r),
                weight_lr_power=_nonneg("weight_lr_power", opt.weight_lr_power))


def _schedule_free_inplace(opt, grads, state, params, chunk, workers):
    """``update`` written back into ``params`` and the state's buffers."""
    check_int("chunk", chunk, low=1)
    if workers is not None:
        check_int("workers", workers, low=1)
    _check_inplace(params, (("state.z", state.z), ("state.x", state.x), ("state.v", state.v)))
    new_params, new = opt.update(grads, state, params)
    params[...] = new_params
    for name in ("z", "x", "v"):
        if getattr(state, name) is not None:
            getattr(state, name)[...] = getattr(new, name)
    return new._replace(z=state.z, x=state.x, v=state.v)


def _eval_params(opt, state):
    _check_state(opt, state, None)
    return np.array(state.x, dtype=np.float64, copy=True)


class _ScheduleFree:
    """What the two schedule-free optimizers share beyond their ``update``:
    the in-place update and where the model is evaluated."""

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` written back in place into ``params`` (:math:`y`) and
        ``state.z``, ``state.x`` (``state.v``): the same numbers, bit for bit.
        Unlike the other optimizers' ``update_`` it is not blocked: it makes
        temporaries the size of ``params`` (``chunk`` and ``workers`` are
        checked and otherwise unused). Returns the new state, which shares
        the buffers of ``state``."""
        return _schedule_free_inplace(self, grads, state, params, chunk, workers)

    def eval_params(self, state):
        """The average :math:`x`, where the model is evaluated (a copy)."""
        return _eval_params(self, state)


@dataclass(frozen=True)
class ScheduleFreeSGD(_ScheduleFree):
    r"""Schedule-free SGD (Defazio et al., 2024): gradients at an interpolation, an average to evaluate.

    Three sequences replace the decay schedule: the gradient steps move
    :math:`z`, :math:`x` is a weighted average of the :math:`z` iterates, and
    the gradient is taken at :math:`y`, between the two:

    .. math::

        y_t &= (1-\beta)\,z_t + \beta\,x_t, \qquad g_t = \nabla f(y_t) + \lambda\,y_t \\
        \gamma_t &= \eta\,\min(1,\ t/W) \\
        z_{t+1} &= z_t - \gamma_t\,g_t \\
        c_{t+1} &= \frac{w_t}{\sum_{i \le t} w_i}, \qquad
        w_t = t^{r}\,\bigl(\max_{i \le t}\gamma_i\bigr)^{p} \\
        x_{t+1} &= (1 - c_{t+1})\,x_t + c_{t+1}\,z_{t+1}

    with :math:`z_1 = x_1 = y_1` the initial parameters, where :math:`\eta` is
    ``lr``, :math:`\beta` is ``momentum``, :math:`\lambda` is
    ``weight_decay``, :math:`W` is ``warmup_steps`` (no warmup when 0),
    :math:`r` is ``r``, :math:`p` is ``weight_lr_power`` and :math:`t =
    \texttt{state.count} + 1` numbers the update.

    **Where to evaluate.** :meth:`update` returns :math:`y_{t+1}`, the point
    where the next gradient must be taken (PyTorch's ``optimizer.train()``
    mode), so a training loop needs no change. The model to *evaluate*
    (validation loss, accuracy, the final answer) is the average
    :math:`x_{t+1}`: ``opt.eval_params(state)`` (``optimizer.eval()`` mode).
    Losses measured at :math:`y` are those of a different, noisier point.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1.0
        Rate :math:`\eta` (see the module docstring); a constant rate is the
        point of the method.
    momentum : float, default 0.9
        Interpolation :math:`\beta \in [0, 1)`.
    weight_decay : float, default 0.0
        :math:`\lambda \ge 0`, added to the gradient at :math:`y`.
    warmup_steps : int, default 0
        Linear warmup :math:`W \ge 0` of :math:`\gamma_t`, built in (no schedule).
    r : float, default 0.0
        Polynomial weighting :math:`r \ge 0` of the average.
    weight_lr_power : float, default 2.0
        :math:`p \ge 0`: during warmup the weights grow as :math:`\gamma^p`, so
        early, small-rate iterates count little in :math:`x`.

    Notes
    -----
    Matches ``schedulefree.SGDScheduleFree(params, lr, momentum, weight_decay,
    warmup_steps, r, weight_lr_power)`` (the authors' package, version 1.4.1)
    step by step: the parameters after ``optimizer.step()`` in train mode are
    ``update``'s return value, and after ``optimizer.eval()`` they are
    :meth:`eval_params`. The reference stores only :math:`y` and :math:`z` and
    updates :math:`y` directly; here :math:`x` is stored, which is the same
    algebra, rounded differently (about 1e-15 per step). As in the reference,
    :math:`c_{t+1} = 0` if every weight so far is 0, and :math:`\gamma` in
    the weights is the running maximum, so a rate that falls (a schedule)
    does not shrink the weights. The reference refuses ``momentum=0`` (its
    ``eval()`` divides by :math:`\beta`); here :math:`\beta = 0` is SGD on
    :math:`z` with a running average :math:`x`.

    References
    ----------
    Defazio, Yang, Mehta, Mishchenko, Khaled, Cutkosky (2024), The Road Less
    Scheduled, NeurIPS, arXiv:2405.15682, equations (1)-(3) and section 4.

    Examples
    --------
    >>> opt, y = ScheduleFreeSGD(lr=0.5), np.array([1.0])
    >>> state = opt.init(y)
    >>> for _ in range(3):
    ...     y, state = opt.update(y, state, y)      # f = x**2/2, grads = y
    ...     print(round(float(y[0]), 6), round(float(opt.eval_params(state)[0]), 6))
    0.5 0.5
    0.3625 0.375
    0.2525 0.272917
    """
    lr: LearningRate = 1.0
    momentum: float = 0.9
    weight_decay: float = 0.0
    warmup_steps: int = 0
    r: float = 0.0
    weight_lr_power: float = 2.0

    def __post_init__(self):
        _set(self, momentum=_unit("momentum", self.momentum), **_check_schedule_free(self))

    def init(self, params):
        z = _zeros(params)
        z[...] = params
        return ScheduleFreeState(count=0, z=z, x=z.copy(), v=None, weight_sum=0.0, lr_max=0.0)

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta, c, weight_sum, lr_max = _schedule_free_weights(self, state, params)
        g = _l2(grads, params, self.weight_decay)             # at y, as the reference
        y, z, x = _schedule_free_step(self, state, params, g, eta, c, self.momentum)
        return y, ScheduleFreeState(state.count + 1, z, x, None, weight_sum, lr_max)


@dataclass(frozen=True)
class ScheduleFreeAdamW(_ScheduleFree):
    r"""Schedule-free AdamW (Defazio et al., 2024): Adam's normalisation on the schedule-free sequences.

    .. math::

        y_t &= (1-\beta_1)\,z_t + \beta_1\,x_t, \qquad g_t = \nabla f(y_t) \\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2, \qquad v_0 = 0 \\
        \gamma_t &= \eta\,\min(1,\ t/W) \\
        z_{t+1} &= z_t - \gamma_t\Bigl(\frac{g_t}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}
                   + \lambda\,y_t\Bigr) \\
        c_{t+1} &= \frac{w_t}{\sum_{i \le t} w_i}, \qquad
        w_t = t^{r}\,\bigl(\max_{i \le t}\gamma_i\bigr)^{p} \\
        x_{t+1} &= (1 - c_{t+1})\,x_t + c_{t+1}\,z_{t+1}

    with :math:`z_1 = x_1 = y_1` the initial parameters, where :math:`\eta` is
    ``lr``, :math:`(\beta_1, \beta_2)` is ``betas``, :math:`\epsilon` is
    ``eps``, :math:`\lambda` is ``weight_decay`` (decoupled, taken at
    :math:`y`), :math:`W` is ``warmup_steps``, :math:`r` is ``r``, :math:`p`
    is ``weight_lr_power`` and :math:`t = \texttt{state.count} + 1`. There is
    no first moment: :math:`\beta_1` is the interpolation, the momentum of the
    method. As with :class:`ScheduleFreeSGD`, :meth:`update` returns
    :math:`y_{t+1}` (train here) and :meth:`eval_params` gives :math:`x_{t+1}`
    (**evaluate here**).

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 0.0025
        Rate :math:`\eta` (see the module docstring).
    betas : (float, float), default (0.9, 0.999)
        :math:`\beta_1, \beta_2 \in [0, 1)`.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`, added after the root of the corrected :math:`v_t`.
    weight_decay : float, default 0.0
        Decoupled decay :math:`\lambda \ge 0`, at :math:`y`, multiplied by :math:`\gamma_t`.
    warmup_steps : int, default 0
        Linear warmup :math:`W \ge 0` of :math:`\gamma_t`.
    r : float, default 0.0
        Polynomial weighting :math:`r \ge 0` of the average.
    weight_lr_power : float, default 2.0
        :math:`p \ge 0`.

    Notes
    -----
    Matches ``schedulefree.AdamWScheduleFree(params, lr, betas, eps,
    weight_decay, warmup_steps, r, weight_lr_power)`` (version 1.4.1, the
    non-closure optimizer used with ``optimizer.train()``/``eval()``) step by
    step. The paper's Algorithm 1 folds Adam's bias correction into the rate,
    :math:`\gamma_t\sqrt{1-\beta_2^t}\,g_t/(\sqrt{v_t} + \epsilon)`, and
    weights the average by :math:`\gamma_t^2` itself; the reference (and this
    class) divides :math:`v_t` by :math:`1-\beta_2^t` inside the root and
    weights by the running maximum of :math:`\gamma`, so the two differ by
    where :math:`\epsilon` sits and in the averaging weights during the first
    :math:`1/(1-\beta_2)` steps.

    References
    ----------
    Defazio, Yang, Mehta, Mishchenko, Khaled, Cutkosky (2024), The Road Less
    Scheduled, NeurIPS, arXiv:2405.15682, Algorithm 1.

    Examples
    --------
    >>> opt, y = ScheduleFreeAdamW(lr=0.1), np.array([1.0])
    >>> state = opt.init(y)
    >>> for _ in range(3):
    ...     y, state = opt.update(y, state, y)      # f = x**2/2, grads = y
    ...     print(round(float(y[0]), 6), round(float(opt.eval_params(state)[0]), 6))
    0.9 0.9
    0.847965 0.852696
    0.79683 0.806141
    """
    lr: LearningRate = 0.0025
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    warmup_steps: int = 0
    r: float = 0.0
    weight_lr_power: float = 2.0

    def __post_init__(self):
        _set(self, betas=_check_betas(self.betas), eps=_nonneg("eps", self.eps),
             **_check_schedule_free(self))

    def init(self, params):
        z = _zeros(params)
        z[...] = params
        return ScheduleFreeState(count=0, z=z, x=z.copy(), v=np.zeros_like(z),
                                 weight_sum=0.0, lr_max=0.0)

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        beta1, beta2 = self.betas
        eta, c, weight_sum, lr_max = _schedule_free_weights(self, state, params)
        t = state.count + 1
        v = beta2 * state.v + (1 - beta2) * grads * grads
        d = _div(grads, np.sqrt(v / (1 - beta2 ** t)) + self.eps, self.eps)
        if self.weight_decay:
            d = d + self.weight_decay * params                  # decay at y
        y, z, x = _schedule_free_step(self, state, params, d, eta, c, beta1)
        return y, ScheduleFreeState(t, z, x, v, weight_sum, lr_max)
