"""Plumbing shared by every schedule: the step check and the ``_Schedule`` base.

Private: the public names live in :mod:`lrtutor.schedules`.
"""

from __future__ import annotations

import numpy as np

from lrtutor._validate import INT_MAX, check_callable, check_choice, check_int, check_real


def _as_steps(t):
    """Return ``(t as an int64 array, True if t was a scalar)`` after checks."""
    if isinstance(t, np.ndarray):
        if t.dtype == np.bool_ or not np.issubdtype(t.dtype, np.integer):
            raise TypeError(f"t must be an integer or an integer array, got an "
                            f"array of dtype {t.dtype}")
        if t.size and t.min() < 0:
            raise ValueError(f"t must be >= 0 (updates already applied), got an "
                             f"array with minimum {t.min()}")
        if t.size and int(t.max()) > INT_MAX:        # uint64 beyond int64 would wrap
            raise ValueError(f"t must be an integer array with entries <= 2**63 - 1, "
                             f"got maximum {int(t.max())}")
        return t.astype(np.int64), False
    return np.asarray(check_int("t", t, low=0), dtype=np.int64), True


#: One of a few strings (the shared check of :mod:`lrtutor._validate`).
_check_choice = check_choice


def _check_increasing(name, values, *, low):
    """Return ``values`` as a tuple of ints, strictly increasing, all >= low."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of integers, got "
                        f"{type(values).__name__}")
    out = tuple(check_int(f"{name}[{i}]", v, low=low) for i, v in enumerate(values))
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"{name} must be strictly increasing, got {list(out)}")
    return out


def _check_schedules(name, values):
    """Return ``values`` as a non-empty tuple of callables (the pieces of a composition)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of schedules, got {type(values).__name__}")
    out = tuple(check_callable(f"{name}[{i}]", s) for i, s in enumerate(values))
    if not out:
        raise ValueError(f"{name} must contain at least one schedule, got 0")
    return out


def _set(obj, **fields):
    """Store normalised field values on a frozen dataclass."""
    for name, value in fields.items():
        object.__setattr__(obj, name, value)


class _Schedule:
    """Shared ``__call__``: check ``t``, evaluate ``_rate`` on an int64 array."""

    def __call__(self, t):
        steps, scalar = _as_steps(t)
        # Always evaluate on a 1-D array: numpy's 0-d and array kernels of
        # ``**``, ``cos`` etc. may differ in the last bit, and ``s(t)`` must equal
        # ``s(np.array([t]))[0]`` exactly.
        flat = steps.reshape(-1)
        with np.errstate(all="ignore"):
            rate = np.broadcast_to(np.asarray(self._rate(flat), dtype=np.float64), flat.shape)
        if not np.all(np.isfinite(rate)):
            bad = int(flat[np.flatnonzero(~np.isfinite(rate))[0]])
            raise ValueError(f"t = {bad} is past what this schedule can represent: its rate "
                             f"there overflows float64 ({self!r})")
        return float(rate[0]) if scalar else rate.reshape(steps.shape).copy()


def _check_momenta(base_momentum, max_momentum):
    """Return the two bounds of a cycled momentum, ``0 <= base <= max < 1``."""
    base = check_real("base_momentum", base_momentum, low=0, high=1, high_op="<")
    return base, check_real("max_momentum", max_momentum, low=base, high=1, high_op="<")


def _momenta(owner, t, follow):
    """Evaluate ``follow(flat int64 steps)`` like ``_Schedule.__call__`` does for
    rates, and check that every momentum is finite and >= 0."""
    steps, scalar = _as_steps(t)
    flat = steps.reshape(-1)                 # 1-D: see _Schedule.__call__
    with np.errstate(all="ignore"):
        m = np.broadcast_to(np.asarray(follow(flat), dtype=np.float64), flat.shape)
    bad = ~(np.isfinite(m) & (m >= 0))
    if bad.any():
        raise ValueError(f"t = {int(flat[np.flatnonzero(bad)[0]])} is past where the cycled "
                         f"momentum of {owner!r} is a number in [0, 1): its amplitude has "
                         f"grown beyond max_momentum - base_momentum")
    return float(m[0]) if scalar else m.reshape(steps.shape).copy()
