"""Argument checks shared by every public function of :mod:`lrtutor`.

Each check raises :class:`TypeError` for a value of the wrong kind and
:class:`ValueError` for a value out of range, and the message always names the
parameter and the allowed range, e.g. ``"lr must be a finite number > 0, got -1"``.
These helpers are private plumbing; they are not part of the lesson.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "INT_MAX",
    "check_real",
    "check_int",
    "check_bool",
    "check_array",
    "check_callable",
    "check_choice",
    "check_problem",
    "check_optimizer",
]

#: The largest integer any argument may have: numpy's int64 maximum.
INT_MAX = int(np.iinfo(np.int64).max)

_OPS = {
    ">": lambda v, b: v > b,
    ">=": lambda v, b: v >= b,
    "<": lambda v, b: v < b,
    "<=": lambda v, b: v <= b,
}


def _range_text(low, high, low_op, high_op, low_name=None, high_name=None):
    parts = []
    for bound, op, label in ((low, low_op, low_name), (high, high_op, high_name)):
        if bound is not None:
            # a bound set by another parameter names it: "<= 2.0 (L)"
            parts.append(f"{op} {bound!r} ({label})" if label else f"{op} {bound!r}")
    return " and ".join(parts)


def check_real(name, value, *, low=None, high=None, low_op=">=", high_op="<=",
               allow_inf=False, low_name=None, high_name=None):
    """Return ``value`` as a Python float after checking kind and range.

    ``low``/``high`` bound the value with ``low_op`` (``">"`` or ``">="``) and
    ``high_op`` (``"<"`` or ``"<="``). NaN is always rejected; infinity only
    when ``allow_inf`` is false. When a bound is another parameter's value,
    ``low_name``/``high_name`` name that parameter in the message
    (``"mu must be a finite number > 0 and <= 2.0 (L), got 3.0"``).

    >>> check_real("lr", 0.1, low=0, low_op=">")
    0.1
    >>> check_real("lr", -1, low=0, low_op=">")
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite number > 0, got -1
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    rng = _range_text(low, high, low_op, high_op, low_name, high_name)
    what = "a number" if allow_inf else "a finite number"
    desc = f"{name} must be {what}" + (f" {rng}" if rng else "")
    try:
        v = float(value)
    except OverflowError:       # a Python int beyond float64 (10**400)
        raise ValueError(f"{desc}, got an integer too large for a float "
                         f"({len(str(abs(int(value))))} digits)") from None
    if np.isnan(v) or (not allow_inf and np.isinf(v)):
        raise ValueError(f"{desc}, got {value!r}")
    if low is not None and not _OPS[low_op](v, low):
        raise ValueError(f"{desc}, got {value!r}")
    if high is not None and not _OPS[high_op](v, high):
        raise ValueError(f"{desc}, got {value!r}")
    return v


def check_int(name, value, *, low=None, high=None, low_name=None, high_name=None):
    """Return ``value`` as a Python int in ``[low, high]`` (bounds inclusive).

    ``low_name``/``high_name`` name the parameter a bound comes from, as in
    :func:`check_real`.

    Booleans and floats are rejected, even integral floats such as ``3.0``.
    Every integer must also fit numpy's int64 (``|value| <= 2**63 - 1``,
    :data:`INT_MAX`): step counts and sizes end up in int64 arrays, where a
    larger value would overflow or, from an unsigned type, wrap to a negative
    number. The value is read exactly (``int(value)``), so ``np.uint64(2**63)``
    is 9223372036854775808 and rejected, not wrapped.

    >>> check_int("step_size", 3, low=1)
    3
    >>> check_int("step_size", 0, low=1)
    Traceback (most recent call last):
    ...
    ValueError: step_size must be an integer >= 1, got 0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)              # exact for Python ints and every numpy integer type
    rng = _range_text(low, high, ">=", "<=", low_name, high_name)
    desc = f"{name} must be an integer" + (f" {rng}" if rng else "")
    if (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"{desc}, got {v!r}")
    if abs(v) > INT_MAX:
        raise ValueError(f"{desc} that fits in int64 (at most 2**63 - 1 in size), got {v!r}")
    return v


def check_bool(name, value):
    """Return ``value`` if it is a bool, else raise :class:`TypeError`."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def check_array(name, value, *, ndim=None, shape=None, finite=True, low=None,
                low_op=">=", dtype=np.float64):
    """Return ``value`` as a float64 array after checking shape and contents.

    ``ndim`` may be an int or a tuple of allowed ints; ``shape`` may contain
    ``None`` for a free axis. ``finite`` rejects NaN and infinity; ``low``
    bounds every entry from below with ``low_op``.

    >>> check_array("x0", [1.0, 2.0], ndim=1).dtype
    dtype('float64')
    >>> check_array("x0", [[1.0]], ndim=1)
    Traceback (most recent call last):
    ...
    ValueError: x0 must be an array with ndim 1, got shape (1, 1)
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError, OverflowError):   # ragged or too large to hold
        raise TypeError(f"{name} must be an array of real numbers, got "
                        f"{type(value).__name__}") from None
    if raw.dtype.kind not in "iuf":
        # strings ("0.1"), None (which numpy would turn into NaN), objects,
        # booleans and complex numbers are not real numbers
        raise TypeError(f"{name} must be an array of real numbers, got "
                        f"{type(value).__name__} of dtype {raw.dtype}")
    try:
        arr = np.asarray(raw, dtype=dtype)          # no copy when it already is one
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{name} must be an array of real numbers, got "
                        f"{type(value).__name__}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = allowed[0] if len(allowed) == 1 else " or ".join(map(str, allowed))
            raise ValueError(f"{name} must be an array with ndim {want}, "
                             f"got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(
                s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers")
    if low is not None and arr.size and not np.all(_OPS[low_op](arr, low)):
        raise ValueError(f"{name} must have every entry {low_op} {low!r}")
    return arr


def check_callable(name, value):
    """Return ``value`` if it is callable, else raise :class:`TypeError`."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {type(value).__name__}")
    return value


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices`` (strings), else raise.

    >>> check_choice("mode", "min", ("min", "max"))
    'min'
    >>> check_choice("mode", "up", ("min", "max"))
    Traceback (most recent call last):
    ...
    ValueError: mode must be one of 'min', 'max', got 'up'
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def check_problem(name, problem):
    """Return ``problem`` if it has ``loss(x)`` and ``grad(x)`` (an lrtutor problem)."""
    if not (callable(getattr(problem, "loss", None)) and callable(getattr(problem, "grad", None))):
        raise TypeError(f"{name} must have loss(x) and grad(x) methods (see "
                        f"lrtutor.problems), got {type(problem).__name__}")
    return problem


def check_optimizer(name, optimizer):
    """Return ``optimizer`` if it is an optimizer of :mod:`lrtutor.optim`
    (a dataclass instance with ``lr``, ``init`` and ``update``)."""
    import dataclasses

    if not (dataclasses.is_dataclass(optimizer) and not isinstance(optimizer, type)
            and all(callable(getattr(optimizer, m, None)) for m in ("init", "update"))
            and hasattr(optimizer, "lr")):
        raise TypeError(f"{name} must be an optimizer of lrtutor.optim (with lr, init "
                        f"and update), got {type(optimizer).__name__}")
    return optimizer
