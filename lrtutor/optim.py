r"""Optimizers: gradient descent, three forms of momentum, AdaGrad, RMSprop, Adam, AdamW, schedule-free.

Every optimizer is a frozen dataclass of hyperparameters with two pure methods,
in the shape optax made popular::

    state = opt.init(params)
    params, state = opt.update(grads, state, params)

``state`` is a :class:`~typing.NamedTuple` whose ``count`` is the number of
updates already applied (0 before the first) and whose other fields are
buffers shaped like ``params`` (``None`` for a buffer the hyperparameters do
not use). ``update`` modifies nothing; ``update_`` is the same update done
in place (for large arrays, bit for bit equal). Invalid arguments raise
:class:`TypeError` or :class:`ValueError` naming the argument.

**Step counting.** In the formulas, :math:`t = 1, 2, \dots` numbers the update
being made, so :math:`t = \texttt{state.count} + 1` during an update; it is the
exponent in Adam's bias corrections. The rate :math:`\eta` of that update is
``lr`` itself when it is a float, and ``lr(state.count)`` when it is a schedule,
so ``lr(0)`` is the rate of the first update (the :mod:`lrtutor.schedules` and
optax convention).

**The learning rate** ``lr`` is a float :math:`> 0`; or a schedule, any
callable ``t -> rate`` such as those of :mod:`lrtutor.schedules` (values finite
and :math:`\ge 0`); or, for a sweep, a 1-D array of ``k`` positive rates with
``params`` of shape ``(k, ...)``: row ``i`` then gets exactly the iterates of a
separate run with the float ``lr[i]``.

**Numbers** are those of ``torch.optim`` (torch 2.13) for the same
hyperparameters; each class's Notes say where optax and Keras differ.
:class:`HeavyBall` and :class:`EMAMomentum` are the two other ways of writing
momentum, and their Notes give the exact conversions. The schedule-free
optimizers (:class:`ScheduleFreeSGD`, :class:`ScheduleFreeAdamW`) have no
``torch.optim`` twin: they match the authors' ``schedulefree`` package, and
their ``update`` returns the point where the next gradient is taken, while
``eval_params(state)`` returns the average to evaluate.
"""

from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Union

import numpy as np

from lrtutor._validate import check_array, check_bool, check_int, check_real

__all__ = ["SGD", "HeavyBall", "EMAMomentum", "AdaGrad", "RMSprop", "Adam", "AdamW",
           "ScheduleFreeSGD", "ScheduleFreeAdamW",
           "SGDState", "VelocityState", "AdaGradState", "RMSpropState", "AdamState",
           "ScheduleFreeState"]

LearningRate = Union[float, Callable[[int], float], np.ndarray]


# --- Shared plumbing: argument checks and the rate of one update -------------

def _set(obj, **fields):
    """Store validated values on a frozen dataclass (only from ``__post_init__``)."""
    for name, value in fields.items():
        object.__setattr__(obj, name, value)


def _check_lr(lr):
    """The field ``lr``: a float > 0, a schedule, or a read-only 1-D array > 0."""
    if callable(lr):
        return lr
    if np.ndim(lr) == 0:
        return check_real("lr", lr, low=0, low_op=">")
    rates = check_array("lr", lr, ndim=1, low=0, low_op=">").copy()
    rates.flags.writeable = False
    return rates


def _unit(name, value):
    """A coefficient in [0, 1): momentum, beta, alpha."""
    return check_real(name, value, low=0, high=1, high_op="<")


def _nonneg(name, value):
    """A finite coefficient >= 0: weight decay, eps, lr_decay, ..."""
    return check_real(name, value, low=0)


def _check_betas(betas):
    """Adam's ``(beta1, beta2)``, each in [0, 1)."""
    try:
        n = len(betas)
    except TypeError:
        raise TypeError("betas must be a pair (beta1, beta2), got "
                        f"{type(betas).__name__}") from None
    if n != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {n} values")
    return (_unit("betas[0]", betas[0]), _unit("betas[1]", betas[1]))


def _zeros(params):
    """A zero buffer shaped like ``params`` (checked as a float array)."""
    return np.zeros_like(check_array("params", params, finite=False))


def _check_pair(grads, params):
    """``grads`` and ``params`` as float64 arrays of one shape (may be non-finite)."""
    params = check_array("params", params, finite=False)
    grads = check_array("grads", grads, finite=False)
    if grads.shape != params.shape:
        raise ValueError(f"grads must have the shape of params {params.shape}, "
                         f"got {grads.shape}")
    return grads, params


def _rate(lr, count, params):
    """The rate :math:`\\eta` of the update after ``count`` updates.

    A float stays a float. A schedule is called with ``count`` and its value
    checked (finite, >= 0). An array of ``k`` rates is reshaped to
    ``(k, 1, ..., 1)`` so that row ``i`` of ``params`` gets ``lr[i]``.
    """
    rate = lr(count) if callable(lr) else lr
    if isinstance(rate, np.ndarray) and rate.ndim == 0:
        rate = rate[()]
    if np.ndim(rate) == 0:
        if callable(lr):            # a float field was checked in __post_init__
            rate = check_real(f"lr({count})", rate, low=0)
        return rate
    if callable(lr):
        rate = check_array(f"lr({count})", rate, ndim=1, low=0)
    k = rate.shape[0]
    if params.ndim == 0 or params.shape[0] != k:
        raise ValueError(f"lr holds {k} rates, one per row, so params must have "
                         f"shape ({k}, ...), got {params.shape}")
    return rate.reshape((k,) + (1,) * (params.ndim - 1))


def _div(num, den, eps, out=None):
    """``num / den`` elementwise, with ``0 / 0`` taken as 0 when ``eps == 0``.

    An adaptive step divides by the root of a gradient history plus ``eps``.
    With ``eps = 0`` that root is 0 exactly where every gradient so far was 0
    (at the optimum, say), and then so is the numerator: no information means
    no step, not the NaN of IEEE's 0/0. A non-zero numerator over 0 stays
    infinite (the method really does blow up there). With ``eps > 0`` this is
    plain division, bit for bit.
    """
    zero = ((num == 0) & (den == 0)) if eps == 0 else None
    q = np.divide(num, den, out=out)
    if zero is not None and np.any(zero):
        q[zero] = 0.0
    return q


def _l2(grads, params, weight_decay):
    """The gradient of loss + (λ/2)‖θ‖², i.e. g + λθ (PyTorch's ``weight_decay``)."""
    return grads + weight_decay * params if weight_decay else grads


def _state_layout(opt):
    """``(state class, which buffers are present)`` of ``opt.init``, computed once
    per optimizer from a one-element probe."""
    layout = opt.__dict__.get("_state_layout")
    if layout is None:
        probe = opt.init(np.zeros(1))
        layout = (type(probe), tuple(getattr(probe, f) is not None for f in probe._fields[1:]))
        object.__setattr__(opt, "_state_layout", layout)     # a cache, not a field
    return layout


def _check_state(opt, state, params):
    """``state`` must be a state of ``opt.init`` whose buffers match ``params``.

    A state made by another optimizer, or by the same one configured
    differently (``amsgrad``, ``centered``, ``momentum``), is rejected: using
    it would fail deep inside the update or, worse, silently run another method.
    """
    if not (isinstance(state, tuple) and hasattr(state, "_fields") and "count" in state._fields):
        raise TypeError("state must be the state returned by init(), got "
                        f"{type(state).__name__}")
    cls, present = _state_layout(opt)
    if type(state) is not cls:
        raise TypeError(f"state must be the {cls.__name__} made by {type(opt).__name__}.init(), "
                        f"got {type(state).__name__}")
    for name, needed in zip(state._fields[1:], present):
        if (getattr(state, name) is None) == needed:
            raise ValueError(f"state.{name} is {'missing' if needed else 'not used'}: the state "
                             f"was made by an optimizer configured differently from this "
                             f"{type(opt).__name__}; make it with this optimizer's init()")
    check_int("state.count", state.count, low=0)
    shape = np.shape(params) if isinstance(params, (np.ndarray, np.generic, float)) else None
    per_run = getattr(cls, "_per_run", ())      # a number per run, not an array like params
    for name in state._fields[1:]:
        buf = getattr(state, name)
        if buf is None:
            continue
        if name in per_run:
            if not isinstance(buf, (np.ndarray, np.generic, float)) or np.ndim(buf) > 1:
                raise TypeError(f"state.{name} must be a float or a 1-D array, got "
                                f"{type(buf).__name__}")
            continue
        if not isinstance(buf, (np.ndarray, np.generic, float)):
            raise TypeError(f"state.{name} must be an array, got {type(buf).__name__}")
        if shape is not None and np.shape(buf) != shape:
            raise ValueError(f"state.{name} must have the shape of params {shape}, "
                             f"got {np.shape(buf)}")


def _quiet(method):
    """Check ``state``, then run an update without floating-point warnings.

    Non-finite or overflowing numbers propagate as ``inf``/``nan`` (IEEE
    arithmetic); :func:`lrtutor.train.run` turns them into a reported
    divergence, so a warning would only be noise.
    """
    @functools.wraps(method)
    def update(self, grads, state, params, **kwargs):
        _check_state(self, state, params)
        with np.errstate(all="ignore"):
            return method(self, grads, state, params, **kwargs)
    return update


# --- In-place updates (``update_``): same numbers, no parameter-sized temporaries

#: Elements per block of an in-place update: the scratch arrays of one block
#: (a few times 512 KiB) stay in the CPU cache, so main memory sees each
#: parameter, gradient and buffer read once and written once. Measured on 2
#: cores (AMD EPYC, 1 MiB L2 per core): 2**16 beats 2**14 by 10-25 % for Adam,
#: with one thread or two (fewer Python-level calls, which hold the GIL).
CHUNK = 1 << 16


def _check_inplace(params, buffers):
    """``params`` and every state buffer must be writeable C-contiguous float64 arrays."""
    if not isinstance(params, np.ndarray):
        raise TypeError("params must be a numpy array for an in-place update, got "
                        f"{type(params).__name__}")
    for name, arr in (("params", params),) + tuple(buffers):
        if arr is None:
            continue
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{name} must be a numpy array for an in-place update, "
                            f"got {type(arr).__name__}")
        if arr.dtype != np.float64:
            raise TypeError(f"{name} must have dtype float64 for an in-place update, "
                            f"got {arr.dtype}")
        if not (arr.flags.c_contiguous and arr.flags.writeable):
            raise ValueError(f"{name} must be a writeable C-contiguous array for an "
                             "in-place update")
        if arr.shape != params.shape:
            raise ValueError(f"{name} must have the shape of params {params.shape}, "
                             f"got {arr.shape}")


def _blocks(eta, params, grads, buffers, chunk):
    """Yield ``(eta, p, g, *buffers)`` as views on consecutive blocks.

    A scalar rate blocks the flattened arrays; an array of per-row rates
    (shape ``(k, 1, ..., 1)``) blocks whole rows, with the matching rates.
    """
    if np.ndim(eta) == 0:
        flat = [a.reshape(-1) if a is not None else None for a in (params, grads) + buffers]
        n, step, rows = flat[0].shape[0], chunk, None
    else:
        k = params.shape[0]
        flat = [a.reshape(k, -1) if a is not None else None
                for a in (params, grads) + buffers]
        rows = eta.reshape(k, 1)
        n, step = k, max(1, chunk // max(flat[0].shape[1], 1))
    for i in range(0, n, step):
        views = [a[i:i + step] if a is not None else None for a in flat]
        yield (eta if rows is None else rows[i:i + step]), views


def _inplace(grads, state, params, buffers, eta, chunk, workers, kernel, nwork):
    """Run ``kernel(eta, p, g, *buffers, *work)`` block by block, in place.

    ``buffers`` are the state arrays (or ``None``) the kernel updates; each
    worker thread has its own ``nwork`` scratch blocks. Blocks are disjoint
    and every operation is elementwise, so the result does not depend on
    ``chunk`` or ``workers`` (numpy releases the GIL inside its loops, which
    is what lets two threads run two blocks at once). Checks ``grads``,
    ``params``, the buffers, ``chunk`` and ``workers`` before touching anything.
    """
    chunk = check_int("chunk", chunk, low=1)
    workers = _available_cores() if workers is None else check_int("workers", workers, low=1)
    _check_inplace(params, buffers)
    grads = check_array("grads", grads, finite=False)
    if not grads.flags.c_contiguous:
        grads = grads.copy(order="C")
    if grads.shape != params.shape:
        raise ValueError(f"grads must have the shape of params {params.shape}, "
                         f"got {grads.shape}")
    blocks = list(_blocks(eta, params, grads, tuple(b for _, b in buffers), chunk))

    def run(part):
        if not part:
            return
        first_p = part[0][1][0]                     # the largest block of this worker
        work = [np.empty(first_p.shape) for _ in range(nwork)]
        for eta_b, (p, g, *bufs) in part:
            kernel(eta_b, p, g, *bufs, *[w[:p.shape[0]] for w in work])

    workers = min(workers, len(blocks))
    if workers <= 1:
        run(blocks)
        return
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(run, [blocks[i::workers] for i in range(workers)]):
            pass                                    # re-raises a worker's exception


def _available_cores():
    """The number of CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                          # macOS, Windows
        return os.cpu_count() or 1


# --- Gradient descent and momentum, three ways -------------------------------

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
    :math:`\theta` the parameters.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,)
        Learning rate :math:`\eta` (see the module docstring).
    momentum : float, default 0.0
        :math:`\mu \in [0, 1)`.
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
             momentum=_unit("momentum", self.momentum),
             dampening=check_real("dampening", self.dampening, low=0, high=1),
             nesterov=check_bool("nesterov", self.nesterov),
             weight_decay=_nonneg("weight_decay", self.weight_decay))
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening == 0, "
                             f"got momentum={self.momentum}, dampening={self.dampening}")

    def init(self, params):
        return SGDState(count=0, buf=_zeros(params) if self.momentum else None)

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        g = _l2(grads, params, self.weight_decay)
        buf = state.buf
        if self.momentum:
            if state.count == 0:
                buf = g.copy()                      # b_1 = g_1
            else:
                buf = self.momentum * buf + (1 - self.dampening) * g
            g = g + self.momentum * buf if self.nesterov else buf
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
        mu, damp, wd, nest = self.momentum, 1 - self.dampening, self.weight_decay, self.nesterov
        first = state.count == 0

        def kernel(eta, p, g, buf, w1, w2):
            if wd:                                  # g + wd * p
                np.multiply(p, wd, out=w1)
                g = np.add(g, w1, out=w1)
            d = g
            if buf is not None:
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


# --- Adaptive methods: a rate per coordinate ---------------------------------

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
    ``momentum`` (with :math:`\mu = 0`, :math:`b_t = g_t / D_t`),
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
    momentum : float, default 0.0
        :math:`\mu \in [0, 1)`.
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
             momentum=_unit("momentum", self.momentum),
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
        buf = state.buf
        if self.momentum:
            buf = self.momentum * buf + _div(g, denom, self.eps)
            new_params = params - eta * buf
        else:
            new_params = params - _div(eta * g, denom, self.eps)
        return new_params, RMSpropState(state.count + 1, square_avg, grad_avg, buf)

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place (``params`` and the state buffers), bit for bit;
        see :meth:`SGD.update_`."""
        eta = _rate(self.lr, state.count, check_array("params", params, finite=False))
        a, wd, eps, mu = self.alpha, self.weight_decay, self.eps, self.momentum

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
            if buf is not None:
                np.add(np.multiply(buf, mu, out=buf), _div(g, w2, eps, out=w3), out=buf)
                np.subtract(p, np.multiply(buf, eta, out=w3), out=p)
            else:
                _div(np.multiply(g, eta, out=w3), w2, eps, out=w3)
                np.subtract(p, w3, out=p)

        _inplace(grads, state, params,
                 (("state.square_avg", state.square_avg), ("state.grad_avg", state.grad_avg),
                  ("state.buf", state.buf)), eta, chunk, workers, kernel, 3)
        return RMSpropState(state.count + 1, state.square_avg, state.grad_avg, state.buf)


class AdamState(NamedTuple):
    """State of :class:`Adam` and :class:`AdamW`: ``count``, ``m``, ``v``, ``v_max``."""
    count: int
    m: Any          # array like params
    v: Any          # array like params
    v_max: Any      # array like params; None unless amsgrad


@dataclass(frozen=True)
class Adam:
    r"""Adam: momentum divided by the root of a moving average of squared gradients.

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t, \qquad m_0 = 0 \\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2, \qquad v_0 = 0 \\
        \hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1-\beta_2^t} \\
        \theta_t &= \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    where :math:`\eta` is ``lr``, :math:`(\beta_1, \beta_2)` is ``betas``,
    :math:`\epsilon` is ``eps``, :math:`\lambda` is ``weight_decay``,
    :math:`g_t` the gradient passed to update :math:`t` and :math:`\theta` the
    parameters; :math:`t = \texttt{state.count} + 1` (so :math:`t = 1` on the
    first update). With ``amsgrad``, :math:`v_t` in :math:`\hat v_t` is replaced
    by the running maximum :math:`\max(v_1, \dots, v_t)`; with
    ``bias_correction=False``, :math:`\hat m_t = m_t` and :math:`\hat v_t = v_t`.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1e-3
        Learning rate :math:`\eta` (see the module docstring).
    betas : (float, float), default (0.9, 0.999)
        :math:`\beta_1, \beta_2 \in [0, 1)`.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`, added after the root of the corrected
        :math:`\hat v_t`.
    weight_decay : float, default 0.0
        L2 coefficient :math:`\lambda \ge 0`, added to the gradient (coupled);
        see :class:`AdamW` for decoupled decay.
    amsgrad : bool, default False
        Use the running maximum of :math:`v_t` (Reddi et al., 2018).
    bias_correction : bool, default True
        A teaching switch: ``False`` shows what the corrections are for. The
        first step is then :math:`(1-\beta_1)/\sqrt{1-\beta_2} \approx 3.16`
        times the corrected one for the default betas.

    Notes
    -----
    Matches ``torch.optim.Adam``, which is Algorithm 1 of Kingma & Ba (2015)
    with :math:`\epsilon` added to :math:`\sqrt{\hat v_t}`. It is evaluated as
    :math:`\theta_{t-1} - \frac{m_t}{\sqrt{v_t} + \epsilon\sqrt{c_2}}
    \cdot \frac{\eta\sqrt{c_2}}{c_1}` with :math:`c_1 = 1-\beta_1^t`,
    :math:`c_2 = 1-\beta_2^t`: the same number, folded so that the in-place
    update makes one pass fewer over the arrays; it agrees with PyTorch's
    :math:`\eta/c_1` and :math:`\sqrt{v_t}/\sqrt{c_2} + \epsilon` to a few
    units in the last place.
    ``optax.adam`` is the same formula (its ``eps_root``, 0 by default, adds a
    second constant inside the root); JAX computes in float32 unless its x64
    mode is on, so optax's printed values agree to about 1e-6 by default and
    to 1e-12 in x64 mode. Keras's ``Adam`` adds its
    :math:`\hat\epsilon` (1e-7) to the root of the *uncorrected* :math:`v_t`
    (the paper's "efficient" form), which no fixed ``eps`` here reproduces
    exactly. Coupled L2 decay passes through the adaptive denominator, so a
    coordinate with large gradients gets little of it: on :math:`f = x^2/2`,
    whose minimum is at 0, ``weight_decay=0.1`` only multiplies every gradient
    by 1.1, and the iterates equal those without decay (up to :math:`\epsilon`).
    That is why AdamW exists.

    Examples
    --------
    >>> opt, x = Adam(lr=0.1), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(round(float(x[0]), 6))
    0.9
    0.800412
    0.701586
    """
    lr: LearningRate = 1e-3
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    amsgrad: bool = False
    bias_correction: bool = True

    def __post_init__(self):
        _set(self, lr=_check_lr(self.lr), betas=_check_betas(self.betas),
             eps=_nonneg("eps", self.eps),
             weight_decay=_nonneg("weight_decay", self.weight_decay),
             amsgrad=check_bool("amsgrad", self.amsgrad),
             bias_correction=check_bool("bias_correction", self.bias_correction))

    def init(self, params):
        return AdamState(count=0, m=_zeros(params), v=_zeros(params),
                         v_max=_zeros(params) if self.amsgrad else None)

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        beta1, beta2 = self.betas
        t = state.count + 1
        g = _l2(grads, params, self.weight_decay)
        m = beta1 * state.m + (1 - beta1) * g
        v = beta2 * state.v + (1 - beta2) * g * g
        v_max = np.maximum(state.v_max, v) if self.amsgrad else None
        v_used = v_max if self.amsgrad else v
        c1, c2 = _bias_corrections(beta1, beta2, t, self.bias_correction)
        # eta * m_hat / (sqrt(v_hat) + eps), with 1 / sqrt(c2) folded into the
        # step size and eps (one pass fewer for update_; see Notes)
        sqrt_c2 = math.sqrt(c2)
        denom = np.sqrt(v_used) + self.eps * sqrt_c2
        new_params = params - _div(m, denom, self.eps) * (eta * sqrt_c2 / c1)
        return new_params, AdamState(t, m, v, v_max)

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place (``params``, ``state.m``, ``state.v``,
        ``state.v_max``), bit for bit; see :meth:`SGD.update_`."""
        eta = _rate(self.lr, state.count, check_array("params", params, finite=False))
        self._adam_inplace(grads, state, params, eta, chunk, workers, self.weight_decay)
        return AdamState(state.count + 1, state.m, state.v, state.v_max)

    def _adam_inplace(self, grads, state, params, eta, chunk, workers, wd,
                      decoupled=0.0):
        beta1, beta2 = self.betas
        t = state.count + 1
        eps = self.eps
        c1, c2 = _bias_corrections(beta1, beta2, t, self.bias_correction)
        sqrt_c2 = math.sqrt(c2)

        def kernel(eta, p, g, m, v, v_max, w1, w2, w3):
            if decoupled:                           # AdamW: p * (1 - eta * lambda)
                np.multiply(p, 1 - eta * decoupled, out=p)
            if wd:
                np.multiply(p, wd, out=w1)
                g = np.add(g, w1, out=w1)
            np.add(np.multiply(m, beta1, out=m), np.multiply(g, 1 - beta1, out=w2), out=m)
            np.multiply(np.multiply(g, 1 - beta2, out=w2), g, out=w2)
            np.add(np.multiply(v, beta2, out=v), w2, out=v)
            used = v
            if v_max is not None:
                used = np.maximum(v_max, v, out=v_max)
            np.add(np.sqrt(used, out=w2), eps * sqrt_c2, out=w2)
            np.multiply(_div(m, w2, eps, out=w3), eta * sqrt_c2 / c1, out=w3)
            np.subtract(p, w3, out=p)

        _inplace(grads, state, params,
                 (("state.m", state.m), ("state.v", state.v), ("state.v_max", state.v_max)),
                 eta, chunk, workers, kernel, 3)


def _bias_corrections(beta1, beta2, t, on):
    """Adam's :math:`(1-\\beta_1^t, 1-\\beta_2^t)`, or ``(1.0, 1.0)`` when switched off."""
    return (1 - beta1 ** t, 1 - beta2 ** t) if on else (1.0, 1.0)


@dataclass(frozen=True)
class AdamW:
    r"""AdamW: shrink the weights by :math:`(1 - \eta\lambda)`, then take an Adam step.

    .. math::

        \theta' &= (1 - \eta\lambda)\,\theta_{t-1} \\
        \theta_t &= \theta' - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    with :math:`\hat m_t, \hat v_t` computed from the raw gradient :math:`g_t`
    as in :class:`Adam` (no L2 term), where :math:`\eta` is ``lr``,
    :math:`\lambda` is ``weight_decay``, :math:`(\beta_1, \beta_2)` is
    ``betas``, :math:`\epsilon` is ``eps`` and :math:`t = \texttt{state.count} + 1`.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1e-3
        Learning rate :math:`\eta` (see the module docstring).
    betas : (float, float), default (0.9, 0.999)
        :math:`\beta_1, \beta_2 \in [0, 1)`.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`.
    weight_decay : float, default 1e-2
        Decoupled decay :math:`\lambda \ge 0`, multiplied by the rate.
    amsgrad : bool, default False
        As in :class:`Adam`.

    Notes
    -----
    Matches ``torch.optim.AdamW`` (Loshchilov & Hutter, 2019). The decay is
    multiplied by the current rate, so a schedule decays it too. The paper
    writes the decay as :math:`\eta_t\lambda'\theta` with only the schedule
    multiplier :math:`\eta_t`, not the base rate; its :math:`\lambda'` is
    ``weight_decay * lr`` here. ``optax.adamw`` applies the same update
    :math:`-\eta(\dots + \lambda\theta)` with default ``weight_decay=1e-4``
    (in float32 unless JAX's x64 mode is on, see :class:`Adam`);
    Keras's ``AdamW`` defaults to 0.004 and uses its own :math:`\epsilon`
    convention (see :class:`Adam`). The state is an :class:`AdamState`.

    Examples
    --------
    >>> opt, x = AdamW(lr=0.1, weight_decay=0.1), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(round(float(x[0]), 6))
    0.89
    0.781572
    0.675101
    """
    lr: LearningRate = 1e-3
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 1e-2
    amsgrad: bool = False

    def __post_init__(self):
        _set(self, lr=_check_lr(self.lr), betas=_check_betas(self.betas),
             eps=_nonneg("eps", self.eps),
             weight_decay=_nonneg("weight_decay", self.weight_decay),
             amsgrad=check_bool("amsgrad", self.amsgrad))

    def _adam(self):
        """The Adam step that follows the decay: same hyperparameters, no L2."""
        return Adam(lr=self.lr, betas=self.betas, eps=self.eps, amsgrad=self.amsgrad)

    def init(self, params):
        return self._adam().init(params)

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        decayed = params * (1 - eta * self.weight_decay)
        return self._adam().update(grads, state, decayed)

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place (``params``, ``state.m``, ``state.v``,
        ``state.v_max``), bit for bit; see :meth:`SGD.update_`."""
        eta = _rate(self.lr, state.count, check_array("params", params, finite=False))
        self._adam()._adam_inplace(grads, state, params, eta, chunk, workers, 0.0,
                                   decoupled=self.weight_decay)
        return AdamState(state.count + 1, state.m, state.v, state.v_max)


# --- Schedule-free training: no decay schedule, an average instead ----------

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
