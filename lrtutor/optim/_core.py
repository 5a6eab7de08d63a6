"""Plumbing shared by every optimizer of :mod:`lrtutor.optim`: argument
checks, the rate of one update, the state check, and the blocked in-place
update. Private: the lesson is in the optimizer modules."""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Union

import numpy as np

from lrtutor._validate import check_array, check_int, check_real

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


def _unit_or_schedule(name, value):
    """A coefficient in [0, 1), or a schedule ``t -> value`` checked at each
    update by :func:`_coef` (cycle momentum: SGD's ``momentum``, ``betas[0]``)."""
    return value if callable(value) else _unit(name, value)


def _coef(name, value, count):
    """The value of a coefficient for the update after ``count`` updates: the
    float itself, or the schedule's value at ``count``, checked to be a real
    number in [0, 1) (the check names ``name(count)``)."""
    if not callable(value):
        return value
    v = value(count)
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    return _unit(f"{name}({count})", v)


def _check_betas(betas, schedule_beta1=False):
    """Adam's ``(beta1, beta2)``, each in [0, 1); with ``schedule_beta1``,
    ``beta1`` may also be a schedule ``t -> beta1`` (PyTorch's cycle momentum)."""
    try:
        n = len(betas)
    except TypeError:
        raise TypeError("betas must be a pair (beta1, beta2), got "
                        f"{type(betas).__name__}") from None
    if n != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {n} values")
    beta1 = (_unit_or_schedule if schedule_beta1 else _unit)("betas[0]", betas[0])
    return (beta1, _unit("betas[1]", betas[1]))


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


def _blocked_update(opt, grads, state, params, chunk, workers, step, names, **coefs):
    """An update written back in place, block by block, with one formula.

    ``step(eta, p, g, *buffers, **coefs)`` is the pure update of the
    optimizer (the one its ``update`` calls on whole arrays); it returns the
    new parameters and the new buffers. Here it runs on consecutive blocks of
    ``chunk`` elements (views), and each result is copied back into its block:
    every operation is elementwise, so the numbers are those of ``update``
    bit for bit, and the temporaries are the size of a block, not of
    ``params``. ``names`` are the state's buffer fields, in ``step``'s order.
    Returns the new state, which shares the buffers of ``state``.
    """
    eta = _rate(opt.lr, state.count, check_array("params", params, finite=False))
    buffers = tuple((f"state.{n}", getattr(state, n)) for n in names)

    def kernel(eta, p, g, *bufs):
        new = step(eta, p, g, *bufs, **coefs)
        p[...] = new[0]
        for buf, value in zip(bufs, new[1:]):
            buf[...] = value

    _inplace(grads, state, params, buffers, eta, chunk, workers, kernel, 0)
    return state._replace(count=state.count + 1)


class _Stepped:
    """``update`` and ``update_`` of an optimizer written as one pure ``_step``.

    A subclass defines ``_buffers`` (its state's array fields, in order),
    ``_step(eta, p, g, *buffers, **coefs)`` returning the new parameters and
    buffers, and ``_coefs(state)``, the scalars of this update (evaluated
    once, outside the blocks), which may include new per-run state fields
    under the names listed in ``_carried``.
    """
    _buffers: tuple = ()
    _carried: tuple = ()

    def _coefs(self, state):
        return {}

    def _carry(self, coefs):
        return {name: coefs[name] for name in self._carried}

    @_quiet
    def update(self, grads, state, params):
        """One update: ``(new_params, new_state)``; the inputs are not modified."""
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        coefs = self._coefs(state)
        new = self._step(eta, params, grads, *(getattr(state, n) for n in self._buffers),
                         **coefs)
        return new[0], state._replace(count=state.count + 1, **self._carry(coefs),
                                      **dict(zip(self._buffers, new[1:])))

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place: ``params`` and the state's buffers are
        overwritten, block by block, with the same numbers bit for bit (see
        :meth:`SGD.update_` for ``chunk`` and ``workers``). Returns the new
        state, which shares the buffers of ``state``."""
        coefs = self._coefs(state)
        new = _blocked_update(self, grads, state, params, chunk, workers, self._step,
                              self._buffers, **coefs)
        return new._replace(**self._carry(coefs))
