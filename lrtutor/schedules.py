r"""Learning-rate schedules as pure maps from step to rate, :math:`t \mapsto \eta_t`.

A schedule ``s`` is a frozen dataclass; ``s(t)`` is the rate of update number
``t``, where **t is the number of updates already applied**: ``s(0)`` is the
rate of the first update. ``t`` is a Python int (the result is a float) or an
integer numpy array of any shape (the result is a float64 array of that shape),
so ``s(np.arange(T))`` gives the whole curve at once.

How ``t`` maps onto each framework:

- **optax**: ``t`` is the ``count`` the schedule is called with (0 on the first
  update).
- **Keras**: ``t`` is ``optimizer.iterations`` (0 on the first update).
- **PyTorch**: ``s(t)`` is the lr after ``t`` calls of ``scheduler.step()``
  (``scheduler.last_epoch == t``; the constructor's initial step gives ``t = 0``).

Each class names the framework whose numbers it reproduces and the mapping of
arguments. The one stateful object, :class:`ReduceLROnPlateau`, is a controller
that reacts to a metric, not a schedule.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from lrtutor._validate import INT_MAX, check_bool, check_callable, check_int, check_real

__all__ = [
    "Constant",
    "StepDecay",
    "MultiStepDecay",
    "PiecewiseConstant",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LinearSchedule",
    "PolynomialDecay",
    "CosineDecay",
    "CosineAnnealing",
    "Warmup",
    "Join",
    "PerRun",
    "CosineWarmRestarts",
    "Cyclic",
    "OneCycle",
    "WarmupStableDecay",
    "InverseSqrtDecay",
    "ReduceLROnPlateau",
]


# ---------------------------------------------------------------- plumbing --

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


def _check_choice(name, value, choices):
    """Return ``value`` if it is one of the strings ``choices``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def _check_increasing(name, values, *, low):
    """Return ``values`` as a tuple of ints, strictly increasing, all >= low."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of integers, got "
                        f"{type(values).__name__}")
    out = tuple(check_int(f"{name}[{i}]", v, low=low) for i, v in enumerate(values))
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"{name} must be strictly increasing, got {list(out)}")
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


# ------------------------------------------------------- simple schedules --

@dataclass(frozen=True)
class Constant(_Schedule):
    r"""The same rate at every step.

    .. math:: \eta_t = \eta_0

    where :math:`\eta_0` is ``value``.

    Parameters
    ----------
    value : float
        The rate, >= 0.

    Notes
    -----
    Equals ``optax.constant_schedule(value)`` and a plain float ``lr``.

    Examples
    --------
    >>> s = Constant(0.1)
    >>> s(0), s(1000)
    (0.1, 0.1)
    """

    value: float

    def __post_init__(self):
        _set(self, value=check_real("value", self.value, low=0))

    def _rate(self, t):
        return np.full(t.shape, self.value)


@dataclass(frozen=True)
class StepDecay(_Schedule):
    r"""Multiply the rate by :math:`\gamma` every ``step_size`` steps.

    .. math:: \eta_t = \eta_0\,\gamma^{\lfloor t / k \rfloor}

    where :math:`\eta_0` is ``init_value``, :math:`k` is ``step_size`` and
    :math:`\gamma` is ``gamma``.

    Parameters
    ----------
    init_value : float
        Rate of the first update, >= 0.
    step_size : int
        Steps between two cuts, >= 1.
    gamma : float
        Factor applied at each cut, in (0, 1].

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.StepLR(opt, step_size, gamma)`` with base
    lr ``init_value``: ``s(t)`` is the lr after ``t`` calls of
    ``scheduler.step()``. The first cut happens *at* ``t = step_size``.

    Examples
    --------
    >>> s = StepDecay(0.05, step_size=30)
    >>> [round(s(t), 6) for t in (29, 30, 60)]
    [0.05, 0.005, 0.0005]
    """

    init_value: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             step_size=check_int("step_size", self.step_size, low=1),
             gamma=check_real("gamma", self.gamma, low=0, low_op=">", high=1))

    def _rate(self, t):
        return self.init_value * self.gamma ** (t // self.step_size)


@dataclass(frozen=True)
class MultiStepDecay(_Schedule):
    r"""Multiply the rate by :math:`\gamma` at each milestone.

    .. math:: \eta_t = \eta_0\,\gamma^{\#\{i \,:\, m_i \le t\}}

    where :math:`\eta_0` is ``init_value``, :math:`m_i` are the ``milestones``
    and :math:`\gamma` is ``gamma``. The rate changes *at* a milestone
    (left-closed intervals).

    Parameters
    ----------
    init_value : float
        Rate of the first update, >= 0.
    milestones : sequence of int
        Steps of the cuts, strictly increasing, each >= 1.
    gamma : float
        Factor applied at each milestone, in (0, 1].

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma)`` with
    base lr ``init_value``; ``s(t)`` is the lr after ``t`` calls of
    ``scheduler.step()``. Torch counts a repeated milestone twice; here
    milestones must be distinct.

    Examples
    --------
    >>> s = MultiStepDecay(0.05, milestones=(30, 80))
    >>> [round(s(t), 6) for t in (29, 30, 79, 80)]
    [0.05, 0.005, 0.005, 0.0005]
    """

    init_value: float
    milestones: tuple
    gamma: float = 0.1

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             milestones=_check_increasing("milestones", self.milestones, low=1),
             gamma=check_real("gamma", self.gamma, low=0, low_op=">", high=1))

    def _rate(self, t):
        passed = np.searchsorted(self.milestones, t, side="right")
        return self.init_value * self.gamma ** passed


@dataclass(frozen=True)
class PiecewiseConstant(_Schedule):
    r"""Absolute rates on right-closed intervals between boundaries.

    .. math::

        \eta_t = \begin{cases} v_0 & t \le b_0 \\
                               v_i & b_{i-1} < t \le b_i \\
                               v_n & t > b_{n-1} \end{cases}

    where :math:`b_i` are the ``boundaries`` and :math:`v_i` the ``values``.

    Parameters
    ----------
    boundaries : sequence of int
        Strictly increasing steps, each >= 0.
    values : sequence of float
        ``len(boundaries) + 1`` rates, each >= 0.

    Notes
    -----
    Equals ``keras.optimizers.schedules.PiecewiseConstantDecay(boundaries,
    values)`` with ``t = optimizer.iterations``.

    **Trap**: Keras intervals are *right*-closed, so the step ``t = b_0`` still
    uses ``values[0]``. PyTorch's ``MultiStepLR`` (:class:`MultiStepDecay`) and
    optax's ``piecewise_constant_schedule`` change the rate *at* the boundary,
    and optax's dict holds cumulative *scales*, not absolute values.

    Examples
    --------
    >>> s = PiecewiseConstant((100, 110), (1.0, 0.5, 0.1))
    >>> [s(t) for t in (100, 101, 110, 111)]
    [1.0, 0.5, 0.5, 0.1]
    """

    boundaries: tuple
    values: tuple

    def __post_init__(self):
        boundaries = _check_increasing("boundaries", self.boundaries, low=0)
        if isinstance(self.values, (str, bytes)) or not hasattr(self.values, "__iter__"):
            raise TypeError(f"values must be a sequence of numbers, got "
                            f"{type(self.values).__name__}")
        values = tuple(check_real(f"values[{i}]", v, low=0)
                       for i, v in enumerate(self.values))
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"values must have len(boundaries) + 1 = "
                             f"{len(boundaries) + 1} entries, got {len(values)}")
        _set(self, boundaries=boundaries, values=values)

    def _rate(self, t):
        return np.asarray(self.values)[np.searchsorted(self.boundaries, t, side="left")]


@dataclass(frozen=True)
class ExponentialDecay(_Schedule):
    r"""Multiply the rate by ``decay_rate`` every ``decay_steps`` steps, smoothly.

    .. math:: \eta_t = \eta_0\, r^{p}, \qquad p = t/T \text{ (or } \lfloor t/T \rfloor
              \text{ if staircase)}

    where :math:`\eta_0` is ``init_value``, :math:`r` is ``decay_rate`` and
    :math:`T` is ``decay_steps``. The three textbook parameterisations are
    constructors: :meth:`from_factor` (:math:`\eta_0\gamma^t`), :meth:`from_rate`
    (:math:`\eta_0(1-\beta)^t`) and :meth:`from_time_constant`
    (:math:`\eta_0 e^{-t/\tau}`); they agree when :math:`\gamma = 1-\beta =
    e^{-1/\tau}`.

    Parameters
    ----------
    init_value : float
        Rate of the first update, >= 0.
    decay_rate : float
        Factor per ``decay_steps`` steps, > 0 (> 1 grows the rate).
    decay_steps : int
        Steps over which the rate is multiplied by ``decay_rate``, >= 1.
    staircase : bool
        Apply the factor in whole jumps.

    Notes
    -----
    Equals ``keras.optimizers.schedules.ExponentialDecay(init_value,
    decay_steps, decay_rate, staircase)`` and ``optax.exponential_decay(
    init_value, decay_steps, decay_rate, staircase=staircase)`` (defaults
    ``transition_begin=0``, ``end_value=None``). With ``decay_steps=1`` it equals
    ``torch.optim.lr_scheduler.ExponentialLR(opt, gamma=decay_rate)`` with base
    lr ``init_value``. Mind the names: Keras's ``decay_rate`` *is* the
    multiplier :math:`\gamma`, while a "decay rate" :math:`\beta` in many texts
    multiplies by :math:`1-\beta`.

    Examples
    --------
    >>> s = ExponentialDecay(0.1, decay_rate=0.5, decay_steps=10)
    >>> [round(s(t), 7) for t in (5, 10, 20)]
    [0.0707107, 0.05, 0.025]
    >>> ExponentialDecay.from_factor(0.05, 0.9)(3)
    0.03645
    """

    init_value: float
    decay_rate: float
    decay_steps: int = 1
    staircase: bool = False

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             decay_rate=check_real("decay_rate", self.decay_rate, low=0, low_op=">"),
             decay_steps=check_int("decay_steps", self.decay_steps, low=1),
             staircase=check_bool("staircase", self.staircase))

    @classmethod
    def from_factor(cls, init_value, gamma):
        r""":math:`\eta_t = \gamma\,\eta_{t-1}`, i.e. :math:`\eta_0\gamma^t`; ``gamma`` > 0."""
        return cls(init_value, check_real("gamma", gamma, low=0, low_op=">"))

    @classmethod
    def from_rate(cls, init_value, beta):
        r""":math:`\eta_t = (1-\beta)\,\eta_{t-1}`, i.e. :math:`\eta_0(1-\beta)^t`.

        ``beta`` is the fraction removed per step, in [0, 1).
        """
        return cls(init_value, 1.0 - check_real("beta", beta, low=0, high=1, high_op="<"))

    @classmethod
    def from_time_constant(cls, init_value, tau):
        r""":math:`\eta_t = \eta_0 e^{-t/\tau}`; ``tau`` > 0 (steps to shrink by e)."""
        return cls(init_value, math.exp(-1.0 / check_real("tau", tau, low=0, low_op=">")))

    def _rate(self, t):
        p = t / self.decay_steps
        if self.staircase:
            p = np.floor(p)
        return self.init_value * self.decay_rate ** p


@dataclass(frozen=True)
class InverseTimeDecay(_Schedule):
    r"""Hyperbolic decay, :math:`\eta_0/(1 + r\,t/T)`.

    .. math:: \eta_t = \frac{\eta_0}{1 + r\,p}, \qquad p = t/T \text{ (or }
              \lfloor t/T \rfloor \text{ if staircase)}

    where :math:`\eta_0` is ``init_value``, :math:`r` is ``decay_rate`` and
    :math:`T` is ``decay_steps``.

    Parameters
    ----------
    init_value : float
        Rate of the first update, >= 0.
    decay_rate : float
        Coefficient :math:`r`, >= 0.
    decay_steps : int
        Time unit :math:`T`, >= 1.
    staircase : bool
        Use :math:`\lfloor t/T \rfloor`.

    Notes
    -----
    Equals ``keras.optimizers.schedules.InverseTimeDecay(init_value,
    decay_steps, decay_rate, staircase)``. The legacy Keras argument
    ``SGD(learning_rate=lr, decay=d)`` (ignored since Keras 3) equals
    ``InverseTimeDecay(lr, d, 1)`` with ``t`` counting optimizer steps
    (batches): it is hyperbolic, not exponential.

    Examples
    --------
    >>> s = InverseTimeDecay(0.01, decay_rate=0.001)
    >>> [round(s(t), 8) for t in (100, 1000, 3200)]
    [0.00909091, 0.005, 0.00238095]
    """

    init_value: float
    decay_rate: float
    decay_steps: int = 1
    staircase: bool = False

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             decay_rate=check_real("decay_rate", self.decay_rate, low=0),
             decay_steps=check_int("decay_steps", self.decay_steps, low=1),
             staircase=check_bool("staircase", self.staircase))

    def _rate(self, t):
        p = t / self.decay_steps
        if self.staircase:
            p = np.floor(p)
        return self.init_value / (1 + self.decay_rate * p)


@dataclass(frozen=True)
class PolynomialDecay(_Schedule):
    r"""Polynomial interpolation from ``init_value`` to ``end_value``, then flat.

    .. math:: \eta_t = (\eta_0 - \eta_T)\,\bigl(1 - \min(t, T)/T\bigr)^{p} + \eta_T

    where :math:`\eta_0` is ``init_value``, :math:`\eta_T` is ``end_value``,
    :math:`T` is ``decay_steps`` and :math:`p` is ``power``.

    Parameters
    ----------
    init_value, end_value : float
        Rates at ``t = 0`` and ``t >= decay_steps``, >= 0.
    decay_steps : int
        Horizon :math:`T`, >= 1.
    power : float
        Exponent :math:`p`, > 0.

    Notes
    -----
    Equals ``optax.polynomial_schedule(init_value, end_value, power,
    decay_steps)`` and ``keras.optimizers.schedules.PolynomialDecay(init_value,
    decay_steps, end_value, power, cycle=False)`` (Keras's default end is 1e-4,
    not 0). With ``end_value=0`` it equals
    ``torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=decay_steps,
    power=power)`` with base lr ``init_value``.

    Examples
    --------
    >>> s = PolynomialDecay(0.05, 0.0, decay_steps=50, power=0.9)
    >>> [round(s(t), 7) for t in (0, 1, 50, 60)]
    [0.05, 0.0490991, 0.0, 0.0]
    """

    init_value: float
    end_value: float
    decay_steps: int
    power: float = 1.0

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             end_value=check_real("end_value", self.end_value, low=0),
             decay_steps=check_int("decay_steps", self.decay_steps, low=1),
             power=check_real("power", self.power, low=0, low_op=">"))

    def _rate(self, t):
        frac = 1 - np.minimum(t, self.decay_steps) / self.decay_steps
        return (self.init_value - self.end_value) * frac ** self.power + self.end_value


@dataclass(frozen=True)
class LinearSchedule(_Schedule):
    r"""Straight line from ``init_value`` to ``end_value`` over T steps, then flat.

    .. math:: \eta_t = (\eta_0 - \eta_T)\bigl(1 - \min(t, T)/T\bigr) + \eta_T

    where :math:`\eta_0` is ``init_value``, :math:`\eta_T` is ``end_value`` and
    :math:`T` is ``transition_steps``: :class:`PolynomialDecay` with power 1.
    ``end_value > init_value`` gives a ramp up.

    Parameters
    ----------
    init_value, end_value : float
        Rates at ``t = 0`` and ``t >= transition_steps``, >= 0.
    transition_steps : int
        Horizon :math:`T`, >= 1.

    Notes
    -----
    Equals ``optax.linear_schedule(init_value, end_value, transition_steps)``.
    ``torch.optim.lr_scheduler.LinearLR(opt, start_factor=a, end_factor=b,
    total_iters=T)`` with base lr :math:`\eta` equals
    ``LinearSchedule(a * eta, b * eta, T)``.

    Examples
    --------
    >>> s = LinearSchedule(0.0025, 0.05, transition_steps=40)
    >>> [round(s(t), 7) for t in (0, 1, 40, 41)]
    [0.0025, 0.0036875, 0.05, 0.05]
    """

    init_value: float
    end_value: float
    transition_steps: int

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             end_value=check_real("end_value", self.end_value, low=0),
             transition_steps=check_int("transition_steps", self.transition_steps, low=1))

    def _rate(self, t):
        T = self.transition_steps
        return (self.init_value - self.end_value) * (1 - np.minimum(t, T) / T) + self.end_value


@dataclass(frozen=True)
class CosineDecay(_Schedule):
    r"""Half a cosine from ``init_value`` down to ``alpha * init_value``, then flat.

    .. math:: \eta_t = \eta_0\Bigl((1-\alpha)\Bigl[\tfrac12\bigl(1 + \cos(\pi
              \min(t, T)/T)\bigr)\Bigr]^{p} + \alpha\Bigr)

    where :math:`\eta_0` is ``init_value``, :math:`T` is ``decay_steps``,
    :math:`\alpha` is ``alpha`` and :math:`p` is ``exponent``. The rate is
    never negative and stays at :math:`\alpha\eta_0` after :math:`T`.

    Parameters
    ----------
    init_value : float
        Rate of the first update, >= 0.
    decay_steps : int
        Horizon :math:`T`, >= 1.
    alpha : float
        Final rate as a fraction of ``init_value``, in [0, 1].
    exponent : float
        Power :math:`p` of the cosine factor, > 0.

    Notes
    -----
    Equals ``optax.cosine_decay_schedule(init_value, decay_steps, alpha,
    exponent)`` and, for ``exponent=1``, ``keras.optimizers.schedules.
    CosineDecay(init_value, decay_steps, alpha)`` without warmup (add warmup
    with :class:`Warmup`). Unlike :class:`CosineAnnealing` (PyTorch) it is
    clamped after :math:`T`.

    Examples
    --------
    >>> s = CosineDecay(0.1, decay_steps=1000)
    >>> [round(s(t), 5) for t in (0, 250, 500, 750, 1000, 2000)]
    [0.1, 0.08536, 0.05, 0.01464, 0.0, 0.0]
    """

    init_value: float
    decay_steps: int
    alpha: float = 0.0
    exponent: float = 1.0

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             decay_steps=check_int("decay_steps", self.decay_steps, low=1),
             alpha=check_real("alpha", self.alpha, low=0, high=1),
             exponent=check_real("exponent", self.exponent, low=0, low_op=">"))

    def _rate(self, t):
        cosine = 0.5 * (1 + np.cos(np.pi * np.minimum(t, self.decay_steps) / self.decay_steps))
        return self.init_value * ((1 - self.alpha) * cosine ** self.exponent + self.alpha)


@dataclass(frozen=True)
class CosineAnnealing(_Schedule):
    r"""PyTorch's cosine annealing: a cosine of period :math:`2T`, not clamped.

    .. math:: \eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})
              \bigl(1 + \cos(\pi t / T)\bigr)

    where :math:`\eta_0` is ``init_value``, :math:`T` is ``T_max`` and
    :math:`\eta_{\min}` is ``eta_min``. It reaches :math:`\eta_{\min}` at
    :math:`t = T` and **rises again** afterwards, back to :math:`\eta_0` at
    :math:`2T`: stop training at ``T_max`` or use :class:`CosineDecay`.

    Parameters
    ----------
    init_value : float
        Rate of the first update, >= 0.
    T_max : int
        Half period :math:`T`, >= 1.
    eta_min : float
        Lowest rate, in [0, init_value].

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max, eta_min)``
    with base lr ``init_value``; ``s(t)`` is the lr after ``t`` calls of
    ``scheduler.step()``. This is torch's closed form; its recursive ``step()``
    gives the same numbers when nothing else edits the lr.

    Examples
    --------
    >>> s = CosineAnnealing(0.1, T_max=10)
    >>> [round(s(t), 6) for t in (0, 5, 10, 15, 20)]
    [0.1, 0.05, 0.0, 0.05, 0.1]
    """

    init_value: float
    T_max: int
    eta_min: float = 0.0

    def __post_init__(self):
        init_value = check_real("init_value", self.init_value, low=0)
        _set(self, init_value=init_value,
             T_max=check_int("T_max", self.T_max, low=1),
             eta_min=check_real("eta_min", self.eta_min, low=0, high=init_value))

    def _rate(self, t):
        return self.eta_min + (self.init_value - self.eta_min) * (
            1 + np.cos(np.pi * t / self.T_max)) / 2


# ------------------------------------------------------------ composition --

@dataclass(frozen=True)
class Warmup(_Schedule):
    r"""Linear warmup for ``warmup_steps`` steps, then any schedule in local time.

    .. math::

        \eta_t = \begin{cases} \eta_w + (s(0) - \eta_w)\,t/W & t < W \\
                               s(t - W) & t \ge W \end{cases}

    where :math:`s` is ``schedule``, :math:`W` is ``warmup_steps`` and
    :math:`\eta_w` is ``init_value``. The inner schedule starts its own clock
    at the end of warmup, so its horizon excludes the warmup.

    Parameters
    ----------
    schedule : callable
        Any schedule of this module (called with non-negative int arrays).
    warmup_steps : int
        Length :math:`W` of the ramp, >= 1.
    init_value : float
        Rate of the first update, >= 0.

    Notes
    -----
    - Keras ``CosineDecay(init, decay_steps=T, warmup_target=peak,
      warmup_steps=W)`` equals ``Warmup(CosineDecay(peak, T, alpha), W, init)``
      (Keras's ``decay_steps`` *excludes* the warmup).
    - optax ``warmup_cosine_decay_schedule(init, peak, W, decay_steps=D,
      end_value=e)`` equals ``Warmup(CosineDecay(peak, D - W, alpha=e/peak), W,
      init)`` (optax's ``decay_steps`` *includes* the warmup).
    - PyTorch ``SequentialLR(opt, [LinearLR(opt, start_factor=init/peak,
      total_iters=W), inner], milestones=[W])`` with base lr ``peak`` equals
      ``Warmup(inner_equivalent, W, init)``; ``LinearLR`` alone is
      ``Warmup(Constant(peak), W, init)``.

    Examples
    --------
    >>> s = Warmup(Constant(0.1), warmup_steps=5, init_value=0.001)
    >>> [round(s(t), 4) for t in range(7)]
    [0.001, 0.0208, 0.0406, 0.0604, 0.0802, 0.1, 0.1]
    """

    schedule: object
    warmup_steps: int
    init_value: float = 0.0

    def __post_init__(self):
        _set(self, schedule=check_callable("schedule", self.schedule),
             warmup_steps=check_int("warmup_steps", self.warmup_steps, low=1),
             init_value=check_real("init_value", self.init_value, low=0))

    def _rate(self, t):
        W = self.warmup_steps
        peak = self.schedule(0)
        ramp = self.init_value + (peak - self.init_value) * t / W
        return np.where(t < W, ramp, self.schedule(np.maximum(t - W, 0)))


@dataclass(frozen=True)
class Join(_Schedule):
    r"""Run schedules one after another, each in its own local time.

    .. math:: \eta_t = s_i(t - b_{i-1}) \quad \text{for } b_{i-1} \le t < b_i,
              \qquad b_{-1} = 0,\ b_n = \infty

    where :math:`s_i` are the ``schedules`` and :math:`b_i` the ``boundaries``.

    Parameters
    ----------
    schedules : sequence of callables
        The pieces, in order.
    boundaries : sequence of int
        ``len(schedules) - 1`` switch steps, strictly increasing, each >= 1.

    Notes
    -----
    Each piece is evaluated only on its own steps, so a piece that is not
    defined past its end (such as :class:`OneCycle` after ``total_steps``)
    can be followed by another. Equals ``optax.join_schedules(schedules,
    boundaries)``, and PyTorch
    ``SequentialLR(opt, schedulers, milestones=boundaries)`` (each scheduler
    restarts from its own step 0 at its milestone).

    Examples
    --------
    >>> s = Join((Constant(0.1), LinearSchedule(1.0, 0.0, 10)), boundaries=(5,))
    >>> [s(t) for t in (4, 5, 10, 15)]
    [0.1, 1.0, 0.5, 0.0]
    """

    schedules: tuple
    boundaries: tuple

    def __post_init__(self):
        if isinstance(self.schedules, (str, bytes)) or not hasattr(self.schedules, "__iter__"):
            raise TypeError(f"schedules must be a sequence of schedules, got "
                            f"{type(self.schedules).__name__}")
        schedules = tuple(check_callable(f"schedules[{i}]", s)
                          for i, s in enumerate(self.schedules))
        if not schedules:
            raise ValueError("schedules must contain at least one schedule, got 0")
        boundaries = _check_increasing("boundaries", self.boundaries, low=1)
        if len(boundaries) != len(schedules) - 1:
            raise ValueError(f"boundaries must have len(schedules) - 1 = "
                             f"{len(schedules) - 1} entries, got {len(boundaries)}")
        _set(self, schedules=schedules, boundaries=boundaries)

    def _rate(self, t):
        # each piece sees only its own steps, in local time: a piece need not be
        # defined past its end (OneCycle raises there), since it is never asked
        piece = np.searchsorted(self.boundaries, t, side="right")
        starts = (0,) + self.boundaries
        rate = np.empty(t.shape)
        for i, schedule in enumerate(self.schedules):
            mine = piece == i
            if mine.any():
                rate[mine] = schedule(t[mine] - starts[i])
        return rate


@dataclass(frozen=True)
class PerRun:
    r"""One schedule per run of a batched training: the rates of ``k`` runs at once.

    .. math:: \eta^{(i)}_t = s_i(t), \qquad i = 1, \dots, k,

    where :math:`s_i` is ``schedules[i]``. Passed as an optimizer's ``lr``
    with parameters of shape ``(k, d)``, run ``i`` follows its own schedule,
    so one call of :func:`lrtutor.train.run` compares ``k`` schedules (or
    ``k`` peak rates of one shape) in one batched pass.

    Parameters
    ----------
    schedules : sequence of schedules or floats
        One per run: a schedule of this module, or a rate >= 0 for a constant
        one (:class:`Constant`).

    Returns
    -------
    ``s(t)`` is a float64 array of shape ``(k,)`` for an int ``t``, and of
    shape ``t.shape + (k,)`` for an integer array ``t``.

    Examples
    --------
    >>> s = PerRun((Constant(0.1), CosineDecay(0.1, 10), 0.5))
    >>> s(5).round(4).tolist()
    [0.1, 0.05, 0.5]
    >>> s(np.arange(3)).shape
    (3, 3)
    """

    schedules: tuple

    def __post_init__(self):
        if isinstance(self.schedules, (str, bytes)) or not hasattr(self.schedules, "__iter__"):
            raise TypeError(f"schedules must be a sequence of schedules or rates, got "
                            f"{type(self.schedules).__name__}")
        pieces = []
        for i, s in enumerate(self.schedules):
            if not isinstance(s, _Schedule):
                if callable(s):
                    raise TypeError(f"schedules[{i}] must be a schedule of lrtutor.schedules "
                                    f"or a rate >= 0, got {type(s).__name__}")
                s = Constant(check_real(f"schedules[{i}]", s, low=0))
            pieces.append(s)
        if not pieces:
            raise ValueError("schedules must contain at least one schedule, got 0")
        _set(self, schedules=tuple(pieces))

    def __call__(self, t):
        steps, scalar = _as_steps(t)
        flat = steps.reshape(-1)
        rates = np.stack([s(flat) for s in self.schedules], axis=-1)
        return rates[0] if scalar else rates.reshape(steps.shape + (len(self.schedules),))


# -------------------------------------------------------- modern schedules --

_DECAY_SHAPES = ("linear", "cosine", "1-sqrt")


@dataclass(frozen=True)
class WarmupStableDecay(_Schedule):
    r"""Warmup-stable-decay (WSD): linear warmup, a long constant phase, a short cooldown.

    .. math::

        \eta_t = \begin{cases}
            \eta_w + (\eta_{\max} - \eta_w)\,t/W & 0 \le t < W \\
            \eta_{\max} & W \le t < T_0 \\
            \eta_T + (\eta_{\max} - \eta_T)\,\varphi\bigl((t - T_0)/D\bigr) & T_0 \le t < T \\
            \eta_T & t \ge T
        \end{cases}
        \qquad T_0 = T - D,

    .. math::

        \varphi(u) = 1 - u \ \text{('linear')}, \qquad
        \varphi(u) = \tfrac12\bigl(1 + \cos(\pi u)\bigr) \ \text{('cosine')}, \qquad
        \varphi(u) = 1 - \sqrt{u} \ \text{('1-sqrt')},

    where :math:`\eta_{\max}` is ``peak_value``, :math:`W` is ``warmup_steps``,
    :math:`D` is ``decay_steps``, :math:`T` is ``total_steps``,
    :math:`\eta_w` is ``init_value``, :math:`\eta_T` is ``end_value`` and
    :math:`\varphi` is ``decay_shape``. The cooldown takes the *last* :math:`D`
    steps of the horizon :math:`T`: it starts at :math:`T_0 = T - D`, and the
    rate reaches :math:`\eta_T` at :math:`t = T`.

    Parameters
    ----------
    peak_value : float
        Rate of the stable phase, >= 0.
    warmup_steps : int
        Length :math:`W` of the linear warmup, >= 0 (0: no warmup).
    decay_steps : int
        Length :math:`D` of the cooldown, >= 1.
    total_steps : int
        Horizon :math:`T`, >= ``warmup_steps + decay_steps``.
    init_value : float
        Rate of the first update when ``warmup_steps > 0``, >= 0.
    end_value : float
        Rate at :math:`t = T`, held afterwards, >= 0.
    decay_shape : {'1-sqrt', 'linear', 'cosine'}
        Shape :math:`\varphi` of the cooldown.

    Notes
    -----
    **Past the horizon** (:math:`t \ge T`) the rate stays at ``end_value``: a
    run that goes on after its cooldown continues at the final rate, it does
    not restart. To stop a run early, build a new schedule with the shorter
    ``total_steps``: the stable phase does not depend on :math:`T` (that is
    the point of WSD: checkpoints taken during the stable phase can be cooled
    down later, for any budget).

    The shapes are those of Hägele et al. (2024), whose code
    (``wsd_schedule`` in epfml/schedules-and-scaling) writes the cooldown
    :math:`\eta_T + (\eta_{\max} - \eta_T)\,\varphi((t - T_0)/D)` for
    :math:`T_0 \le t < T` with :math:`D = \lfloor f\,T \rfloor` (``fract_decay``
    :math:`f`) and warms up from :math:`\eta_{\max}/100`; their 1-sqrt is
    ``decay_type='sqrt'``. Hu et al. (2024, MiniCPM) introduced the name with
    an exponential cooldown, which is not offered here.

    Equals ``transformers.get_wsd_schedule(opt, num_warmup_steps=W,
    num_decay_steps=D, num_training_steps=T, decay_type=decay_shape,
    min_lr_ratio=r)`` (a ``torch.optim.lr_scheduler.LambdaLR``) with base lr
    ``peak_value`` when ``init_value = end_value = r * peak_value``:
    Hugging Face warms up *from* ``min_lr_ratio`` times the peak, and its
    default shape is ``'cosine'``. ``s(t)`` is the lr after ``t`` calls of
    ``scheduler.step()``. optax 0.2.8, PyTorch and Keras have no WSD;
    :class:`Join` of :class:`Warmup`, :class:`Constant` and
    :class:`LinearSchedule` builds the linear one.

    References
    ----------
    Hu et al. (2024), MiniCPM, arXiv:2404.06395. Hägele, Bakouch, Kosson,
    Ben Allal, Von Werra, Jaggi (2024), Scaling Laws and Compute-Optimal
    Training Beyond Fixed Training Durations, NeurIPS, arXiv:2405.18392.

    Examples
    --------
    >>> s = WarmupStableDecay(1.0, warmup_steps=10, decay_steps=20, total_steps=100)
    >>> [round(s(t), 4) for t in (0, 5, 10, 79, 80, 85, 99, 100, 500)]
    [0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0253, 0.0, 0.0]
    >>> lin = WarmupStableDecay(1.0, 10, 20, 100, decay_shape="linear")
    >>> [round(lin(t), 4) for t in (80, 85, 99, 100)]
    [1.0, 0.75, 0.05, 0.0]
    """

    peak_value: float
    warmup_steps: int
    decay_steps: int
    total_steps: int
    init_value: float = 0.0
    end_value: float = 0.0
    decay_shape: str = "1-sqrt"

    def __post_init__(self):
        W = check_int("warmup_steps", self.warmup_steps, low=0)
        D = check_int("decay_steps", self.decay_steps, low=1)
        _set(self, peak_value=check_real("peak_value", self.peak_value, low=0),
             warmup_steps=W, decay_steps=D,
             total_steps=check_int("total_steps", self.total_steps, low=W + D),
             init_value=check_real("init_value", self.init_value, low=0),
             end_value=check_real("end_value", self.end_value, low=0),
             decay_shape=_check_choice("decay_shape", self.decay_shape, _DECAY_SHAPES))

    def _rate(self, t):
        W, D, T = self.warmup_steps, self.decay_steps, self.total_steps
        peak, end = self.peak_value, self.end_value
        u = np.clip((t - (T - D)) / D, 0.0, 1.0)           # cooldown progress
        if self.decay_shape == "linear":
            phi = 1.0 - u
        elif self.decay_shape == "cosine":
            phi = 0.5 * (1.0 + np.cos(np.pi * u))
        else:
            phi = 1.0 - np.sqrt(u)
        rate = np.where(t <= T - D, peak, end + (peak - end) * phi)   # phi(0) = 1, exactly
        rate = np.where(t >= T, end, rate)                  # exact end value from T on
        if W:
            ramp = self.init_value + (peak - self.init_value) * t / W
            rate = np.where(t < W, ramp, rate)
        return rate


@dataclass(frozen=True)
class InverseSqrtDecay(_Schedule):
    r"""Linear warmup, then decay as one over the square root of the step.

    .. math::

        \eta_t = \begin{cases}
            \eta_w + (\eta_{\max} - \eta_w)\,t/W & t < W \\
            \eta_{\max}\sqrt{\dfrac{\tau}{t - W + \tau}} & t \ge W
        \end{cases}

    where :math:`\eta_{\max}` is ``peak_value``, :math:`W` is
    ``warmup_steps``, :math:`\eta_w` is ``init_value`` and :math:`\tau` is
    ``timescale`` (default :math:`W`, which gives
    :math:`\eta_{\max}\sqrt{W/t}`). The rate is :math:`\eta_{\max}` at
    :math:`t = W`, continuous there, and halves every time :math:`t - W + \tau`
    quadruples; it never reaches zero.

    Parameters
    ----------
    peak_value : float
        Rate at the end of warmup, >= 0.
    warmup_steps : int
        Length :math:`W` of the linear warmup, >= 0.
    init_value : float
        Rate of the first update (:math:`t = 0`) when ``warmup_steps > 0``, >= 0.
    timescale : int or None
        :math:`\tau`, >= 1; ``None`` means ``warmup_steps`` (which must then
        be >= 1).

    Notes
    -----
    **The step convention, and a trap.** Vaswani et al. (2017) count steps
    from 1: :math:`\eta = d^{-1/2}\min(n^{-1/2},\ n\,w^{-3/2})` for
    :math:`n = 1, 2, \dots`. Here ``t`` is the number of updates already
    applied, so update ``t`` is their step :math:`n = t + 1`;
    :meth:`vaswani` makes that schedule (:math:`W = w - 1`, :math:`\eta_w =
    \eta_{\max}/w`, :math:`\tau = w`). Fairseq instead evaluates its formula
    at :math:`n = t` (its trainer calls ``step_update(0)`` before the first
    update), so with the default ``--warmup-init-lr`` (0 when warming up)
    **the first update has rate 0**: a wasted step that the direct
    transcription of the paper would also give (:math:`n = 0`). This class
    keeps Fairseq's numbers (``init_value=0`` is its default) and says so;
    pass ``init_value > 0`` or use :meth:`vaswani` to avoid the zero.

    Matches, with ``s(t)`` the rate of update ``t``:

    - Fairseq ``--lr-scheduler inverse_sqrt --lr P --warmup-updates W
      --warmup-init-lr I`` (``InverseSquareRootSchedule.step_update(t)``):
      ``InverseSqrtDecay(P, W, init_value=I)`` (``I`` defaults to 0);
      Fairseq needs ``W >= 1``.
    - Hugging Face ``transformers.get_inverse_sqrt_schedule(opt,
      num_warmup_steps=W, timescale=tau)`` (a ``LambdaLR``) with base lr
      ``P``: ``InverseSqrtDecay(P, W, timescale=tau)`` (its default
      ``timescale`` is ``W``, or 10 000 when ``W = 0``).
    - T5 (Raffel et al. 2020) ``1/sqrt(max(t, W))``, constant during warmup:
      ``InverseSqrtDecay(W ** -0.5, W, init_value=W ** -0.5)``.

    References
    ----------
    Vaswani et al. (2017), Attention Is All You Need, NeurIPS,
    arXiv:1706.03762, section 5.3. Ott et al. (2019), fairseq, NAACL demo,
    arXiv:1904.01038. Raffel et al. (2020), Exploring the Limits of Transfer
    Learning with a Unified Text-to-Text Transformer, JMLR, arXiv:1910.10683.

    Examples
    --------
    >>> s = InverseSqrtDecay(1e-3, warmup_steps=4)          # Fairseq's numbers
    >>> [round(s(t), 6) for t in (0, 1, 4, 16, 64)]
    [0.0, 0.00025, 0.001, 0.0005, 0.00025]
    >>> v = InverseSqrtDecay.vaswani(d_model=512, warmup_steps=4000)
    >>> [f"{v(t):.3e}" for t in (0, 3999, 15999)]
    ['1.747e-07', '6.988e-04', '3.494e-04']
    """

    peak_value: float
    warmup_steps: int
    init_value: float = 0.0
    timescale: object = None

    def __post_init__(self):
        W = check_int("warmup_steps", self.warmup_steps, low=0)
        if self.timescale is None:
            if W == 0:
                raise ValueError("timescale must be given (an integer >= 1) when "
                                 "warmup_steps = 0, got None")
            tau = W
        else:
            tau = check_int("timescale", self.timescale, low=1)
        _set(self, peak_value=check_real("peak_value", self.peak_value, low=0),
             warmup_steps=W, init_value=check_real("init_value", self.init_value, low=0),
             timescale=tau)

    @classmethod
    def vaswani(cls, d_model, warmup_steps):
        r"""Vaswani et al.'s rate :math:`d^{-1/2}\min(n^{-1/2}, n\,w^{-3/2})` at
        their step :math:`n = t + 1`, where :math:`d` is ``d_model`` (an int
        >= 1) and :math:`w` is ``warmup_steps`` (an int >= 1; the paper uses
        4000). The peak :math:`d^{-1/2} w^{-1/2}` is the rate of update
        ``t = w - 1``."""
        d = check_int("d_model", d_model, low=1)
        w = check_int("warmup_steps", warmup_steps, low=1)
        peak = d ** -0.5 * w ** -0.5
        return cls(peak, w - 1, init_value=peak / w, timescale=w)

    def _rate(self, t):
        W, tau, peak = self.warmup_steps, self.timescale, self.peak_value
        decay = peak * np.sqrt(tau / np.maximum(t - W + tau, 1))
        if not W:
            return decay
        ramp = self.init_value + (peak - self.init_value) * t / W
        return np.where(t < W, ramp, decay)


# ------------------------------------------------------ cyclic schedules --

@dataclass(frozen=True)
class CosineWarmRestarts(_Schedule):
    r"""Cosine annealing that restarts, periods growing by ``T_mult`` (SGDR).

    .. math:: \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\, m^{i}\,
              \tfrac12\bigl(1 + \cos(\pi\, t_{\mathrm{cur}} / T_i)\bigr)

    where :math:`\eta_0` is ``init_value``, :math:`\eta_{\min}` is ``eta_min``,
    :math:`m` is ``m_mul``, :math:`i` is the index of the current period,
    :math:`T_i = T_0\,T_{\mathrm{mult}}^i` its length (:math:`T_0` is ``T_0``),
    and :math:`t_{\mathrm{cur}}` the steps since its start
    :math:`T_0 (T_{\mathrm{mult}}^i - 1)/(T_{\mathrm{mult}} - 1)` (or
    :math:`i T_0` when :math:`T_{\mathrm{mult}} = 1`).

    Parameters
    ----------
    init_value : float
        Peak rate of the first period, >= 0.
    T_0 : int
        Length of the first period, >= 1.
    T_mult : float
        Growth factor of the periods, >= 1 (torch needs an integer).
    eta_min : float
        Floor of every period, in [0, init_value].
    m_mul : float
        Factor on the peak height (above ``eta_min``) at each restart, in (0, 1].

    Notes
    -----
    With ``m_mul=1`` and integer ``T_mult`` it equals
    ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0, T_mult,
    eta_min)`` with base lr ``init_value``, stepped once per update (no
    fractional epochs). It equals ``keras.optimizers.schedules.
    CosineDecayRestarts(init_value, first_decay_steps=T_0, t_mul=T_mult,
    m_mul=m_mul, alpha=eta_min / init_value)``; note Keras's defaults
    ``t_mul=2.0`` and that ``m_mul`` scales only the part above the floor.

    Examples
    --------
    >>> s = CosineWarmRestarts(0.1, T_0=5, T_mult=2, eta_min=1e-3)
    >>> [round(s(t), 7) for t in (0, 1, 4, 5, 15)]
    [0.1, 0.0905463, 0.0104537, 0.1, 0.1]
    """

    init_value: float
    T_0: int
    T_mult: float = 1
    eta_min: float = 0.0
    m_mul: float = 1.0

    def __post_init__(self):
        init_value = check_real("init_value", self.init_value, low=0)
        _set(self, init_value=init_value,
             T_0=check_int("T_0", self.T_0, low=1),
             T_mult=check_real("T_mult", self.T_mult, low=1),
             eta_min=check_real("eta_min", self.eta_min, low=0, high=init_value),
             m_mul=check_real("m_mul", self.m_mul, low=0, low_op=">", high=1))

    def _period(self, t):
        """Return ``(i, t_cur, T_i)`` for each step (closed form, exact for int T_mult)."""
        T0, m = self.T_0, self.T_mult
        if m == 1:
            i = t // T0
            return i, t - i * T0, np.full(t.shape, float(T0))
        # first step of period i; (m**i - 1)/(m - 1) is exactly 1 for i = 1, so the
        # first restart falls on t = T_0 whatever m is
        start = lambda i: T0 * ((m ** i - 1) / (m - 1))  # noqa: E731
        i = np.floor(np.log1p(t / T0 * (m - 1)) / np.log(m))
        i = np.where(start(i + 1) <= t, i + 1, i)  # repair log() rounding at restarts
        i = np.where(start(i) > t, i - 1, i)
        return i, t - start(i), T0 * m ** i

    def _rate(self, t):
        i, t_cur, T_i = self._period(t)
        return self.eta_min + (self.init_value - self.eta_min) * self.m_mul ** i * (
            1 + np.cos(np.pi * t_cur / T_i)) / 2


@dataclass(frozen=True)
class Cyclic(_Schedule):
    r"""Cyclical learning rate (Smith 2017): triangles between two bounds.

    .. math::

        c = \lfloor 1 + t/(u+d) \rfloor,\quad x = 1 + t/(u+d) - c,\quad
        h = \begin{cases} x/r & x \le r \\ (x-1)/(r-1) & x > r \end{cases},
        \quad \eta_t = \eta_{\mathrm{lo}} + (\eta_{\mathrm{hi}} -
        \eta_{\mathrm{lo}})\, h\, \sigma

    where :math:`\eta_{\mathrm{lo}}` is ``base_lr``, :math:`\eta_{\mathrm{hi}}`
    is ``max_lr``, :math:`u, d` are ``step_size_up``, ``step_size_down``,
    :math:`r = u/(u+d)`, :math:`c` is the cycle number (from 1) and the scale
    :math:`\sigma` is 1 (``'triangular'``), :math:`2^{1-c}`
    (``'triangular2'``) or :math:`\gamma^t` (``'exp_range'``, :math:`\gamma` is
    ``gamma``).

    Parameters
    ----------
    base_lr, max_lr : float
        Bounds of the cycle, ``0 <= base_lr <= max_lr``.
    step_size_up : int
        Steps from ``base_lr`` up to ``max_lr``, >= 1.
    step_size_down : int or None
        Steps back down, >= 1; ``None`` means ``step_size_up``.
    mode : {'triangular', 'triangular2', 'exp_range'}
        Amplitude policy.
    gamma : float
        Per-step amplitude factor of ``'exp_range'``, in (0, 1]; must stay 1
        for the other modes (torch ignores it there silently).

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.CyclicLR(opt, base_lr, max_lr,
    step_size_up, step_size_down, mode, gamma)`` (stepped per batch); ``s(t)``
    is the lr after ``t`` calls of ``scheduler.step()``. :meth:`momentum` is
    its ``cycle_momentum``.

    Examples
    --------
    >>> s = Cyclic(0.01, 0.1, step_size_up=4)
    >>> [round(s(t), 4) for t in range(6)]
    [0.01, 0.0325, 0.055, 0.0775, 0.1, 0.0775]
    """

    base_lr: float
    max_lr: float
    step_size_up: int = 2000
    step_size_down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0

    def __post_init__(self):
        base_lr = check_real("base_lr", self.base_lr, low=0)
        up = check_int("step_size_up", self.step_size_up, low=1)
        down = (up if self.step_size_down is None
                else check_int("step_size_down", self.step_size_down, low=1))
        mode = _check_choice("mode", self.mode, ("triangular", "triangular2", "exp_range"))
        gamma = check_real("gamma", self.gamma, low=0, low_op=">", high=1)
        if mode != "exp_range" and gamma != 1.0:
            raise ValueError(f"gamma must be 1.0 unless mode='exp_range', got {gamma!r}")
        _set(self, base_lr=base_lr,
             max_lr=check_real("max_lr", self.max_lr, low=base_lr),
             step_size_up=up, step_size_down=down, mode=mode, gamma=gamma)

    def _shape(self, t):
        """Return ``(h, sigma)``: position in the triangle and amplitude scale."""
        total = self.step_size_up + self.step_size_down
        ratio = self.step_size_up / total
        cycle = np.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        h = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        if self.mode == "triangular2":
            return h, 0.5 ** (cycle - 1)  # torch: 1 / 2**(cycle - 1), same number
        if self.mode == "exp_range":
            return h, self.gamma ** t
        return h, 1.0

    def _rate(self, t):
        h, sigma = self._shape(t)
        return self.base_lr + (self.max_lr - self.base_lr) * h * sigma

    def momentum(self, t, base_momentum=0.8, max_momentum=0.9):
        r"""Cyclical momentum, opposite to the rate: :math:`\mu_t = \mu_{\max} -
        (\mu_{\max} - \mu_{\min})\,h\,\sigma` (torch ``cycle_momentum``), where
        :math:`\mu_{\min}` is ``base_momentum`` and :math:`\mu_{\max}` is
        ``max_momentum``, ``0 <= base_momentum <= max_momentum < 1``, and ``t``
        are steps (ints >= 0)."""
        base_momentum = check_real("base_momentum", base_momentum, low=0, high=1, high_op="<")
        max_momentum = check_real("max_momentum", max_momentum, low=base_momentum,
                                  high=1, high_op="<")
        steps, scalar = _as_steps(t)
        h, sigma = self._shape(steps.reshape(-1))         # 1-D: see _Schedule.__call__
        m = np.broadcast_to(max_momentum - (max_momentum - base_momentum) * h * sigma,
                            (steps.size,))
        return float(m[0]) if scalar else np.asarray(m, dtype=np.float64).reshape(steps.shape)


@dataclass(frozen=True)
class OneCycle(_Schedule):
    r"""The 1cycle policy: warm up to ``max_lr``, then anneal far below the start.

    Two phases (default): from :math:`\eta_{\max}/\delta` up to
    :math:`\eta_{\max}` on steps :math:`[0,\ pN-1]`, then down to
    :math:`\eta_{\max}/(\delta\phi)` on :math:`[pN-1,\ N-1]`. Each phase anneals
    from :math:`a` to :math:`b` with :math:`\pi_k \in [0, 1]` the fraction of
    the phase done:

    .. math:: \eta = b + \tfrac12 (a - b)\bigl(1 + \cos(\pi\,\pi_k)\bigr)
              \quad\text{('cos')}, \qquad \eta = a + (b - a)\,\pi_k
              \quad\text{('linear')}

    where :math:`\eta_{\max}` is ``max_lr``, :math:`N` is ``total_steps``,
    :math:`p` is ``pct_start``, :math:`\delta` is ``div_factor`` and
    :math:`\phi` is ``final_div_factor``. With ``three_phase`` the phases are
    up on :math:`[0, pN-1]`, back to :math:`\eta_{\max}/\delta` on
    :math:`[pN-1, 2pN-2]`, then down to :math:`\eta_{\max}/(\delta\phi)` on
    :math:`[2pN-2, N-1]`.

    Parameters
    ----------
    max_lr : float
        Peak rate, > 0.
    total_steps : int
        Number of updates :math:`N`, >= 2; ``t`` must be < ``total_steps``.
    pct_start : float
        Fraction of the steps spent rising, with every phase at least one
        step long: ``0 < pct_start * total_steps - 1 < total_steps - 1``
        (three-phase: ``2 * pct_start * total_steps - 2 < total_steps - 1``).
    anneal_strategy : {'cos', 'linear'}
        Shape of each phase.
    div_factor, final_div_factor : float
        Start at ``max_lr / div_factor``, end at that divided by
        ``final_div_factor``; both > 0.
    three_phase : bool
        Use the paper's symmetric three-phase variant.

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.OneCycleLR(opt, max_lr,
    total_steps=total_steps, pct_start=pct_start, anneal_strategy=anneal_strategy,
    div_factor=div_factor, final_div_factor=final_div_factor,
    three_phase=three_phase)`` (keywords: torch's third and fourth positional
    arguments are ``epochs`` and ``steps_per_epoch``); ``s(t)`` is
    the lr after ``t`` calls of ``scheduler.step()``. The peak is at step
    :math:`pN - 1` (optax's ``cosine_onecycle_schedule`` peaks at
    :math:`\lfloor pN \rfloor`). Torch tolerates one extra ``step()``
    (``t = N``, a rate no update uses) and raises after; here any
    ``t >= total_steps`` raises ``ValueError``. :meth:`momentum` is torch's
    ``cycle_momentum``.

    Examples
    --------
    >>> s = OneCycle(1.0, total_steps=100)
    >>> [round(s(t), 6) for t in (0, 10, 29, 50, 99)]
    [0.04, 0.295164, 1.0, 0.793893, 4e-06]
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False

    def __post_init__(self):
        _set(self, max_lr=check_real("max_lr", self.max_lr, low=0, low_op=">"),
             total_steps=check_int("total_steps", self.total_steps, low=2),
             pct_start=check_real("pct_start", self.pct_start, low=0, high=1),
             anneal_strategy=_check_choice("anneal_strategy", self.anneal_strategy,
                                           ("cos", "linear")),
             div_factor=check_real("div_factor", self.div_factor, low=0, low_op=">"),
             final_div_factor=check_real("final_div_factor", self.final_div_factor,
                                         low=0, low_op=">"),
             three_phase=check_bool("three_phase", self.three_phase))
        ends = [end for end, _, _ in self._phases(0, 0, 0)]
        if not all(a < b for a, b in zip([0] + ends, ends)):
            raise ValueError(f"pct_start must give every phase a positive length, but "
                             f"pct_start={self.pct_start!r} and total_steps="
                             f"{self.total_steps} put the phase ends at {ends} (need "
                             f"0 < end_1 < end_2 ...)")

    def _phases(self, lo, hi, end):
        """``(end_step, start, stop)`` per phase, for rates or momenta (torch's table)."""
        p, N = self.pct_start, self.total_steps
        if self.three_phase:
            return [(p * N - 1, lo, hi), (2 * p * N - 2, hi, lo), (N - 1, lo, end)]
        return [(p * N - 1, lo, hi), (N - 1, hi, end)]

    def _anneal(self, a, b, pct):
        if self.anneal_strategy == "cos":
            return b + (a - b) / 2.0 * (np.cos(np.pi * pct) + 1)
        return (b - a) * pct + a

    def _follow(self, t, phases):
        if t.size and t.max() >= self.total_steps:
            raise ValueError(f"Tried to step {t.max()} times: t must be < total_steps "
                             f"= {self.total_steps} (0 <= t <= {self.total_steps - 1})")
        out = np.zeros(t.shape)
        done = np.zeros(t.shape, dtype=bool)
        start = 0.0
        for k, (end, a, b) in enumerate(phases):
            here = ~done if k == len(phases) - 1 else ~done & (t <= end)
            out = np.where(here, self._anneal(a, b, (t - start) / (end - start)), out)
            done |= here
            start = end
        return out

    def _rate(self, t):
        initial = self.max_lr / self.div_factor
        return self._follow(t, self._phases(initial, self.max_lr,
                                            initial / self.final_div_factor))

    def momentum(self, t, base_momentum=0.85, max_momentum=0.95):
        r"""Cyclical momentum: ``max -> base`` while the rate rises, then back
        (three-phase: back during phase 2, flat in phase 3), torch's
        ``cycle_momentum``; ``0 <= base_momentum <= max_momentum < 1``, and
        ``t`` are steps (ints >= 0) below ``total_steps``."""
        base_momentum = check_real("base_momentum", base_momentum, low=0, high=1, high_op="<")
        max_momentum = check_real("max_momentum", max_momentum, low=base_momentum,
                                  high=1, high_op="<")
        steps, scalar = _as_steps(t)
        m = self._follow(steps.reshape(-1),                # 1-D: see _Schedule.__call__
                         self._phases(max_momentum, base_momentum, max_momentum))
        return float(m[0]) if scalar else m.reshape(steps.shape)


# ------------------------------------------------- a stateful controller --

@dataclass(eq=False)
class ReduceLROnPlateau:
    r"""Cut the rate by ``factor`` when a monitored metric stops improving.

    Not a schedule: the rate depends on the metric, so this object keeps state
    (``lr``, ``best``, ``num_bad_epochs``, ``cooldown_counter``, ``history``)
    and changes it only through :meth:`step`. A step is *better* if

    .. math:: a < a^\ast(1-\vartheta) \ \text{(min, rel)},\quad a < a^\ast - \vartheta
              \ \text{(min, abs)},\quad a > a^\ast(1+\vartheta) \ \text{(max, rel)},
              \quad a > a^\ast + \vartheta \ \text{(max, abs)}

    where :math:`a` is the new metric, :math:`a^\ast` is ``best`` and
    :math:`\vartheta` is ``threshold``. After more than ``patience`` bad steps in a
    row: :math:`\eta \leftarrow \max(\gamma\eta,\ \eta_{\min})`, with :math:`\gamma` =
    ``factor`` and :math:`\eta_{\min}` = ``min_lr``, then ``cooldown`` steps
    in which bad steps are not counted.

    Parameters
    ----------
    init_value : float
        Starting rate, >= 0.
    mode : {'min', 'max'}
        Whether smaller or larger metrics are better.
    factor : float
        Cut factor, in (0, 1).
    patience : int
        Bad steps tolerated before a cut, >= 0.
    threshold : float
        Minimal significant improvement, >= 0.
    threshold_mode : {'rel', 'abs'}
        Relative or absolute threshold.
    cooldown : int
        Steps after a cut during which bad steps are ignored, >= 0.
    min_lr : float
        Lower bound of the rate, >= 0.
    eps : float
        Cuts smaller than ``eps`` are skipped, >= 0.
    convention : {'torch', 'keras'}
        Which library's rule :meth:`step` follows; use :meth:`keras` for Keras.

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode, factor,
    patience, threshold, threshold_mode, cooldown, min_lr, eps)`` with base lr
    ``init_value``: ``step(metric)`` returns the lr after torch's
    ``scheduler.step(metric)``. A NaN or infinite metric is never better
    (torch would store ``-inf`` as the best loss and then never improve).
    Keras's callback differs: it cuts when ``wait >= patience`` (one step
    earlier), its ``min_delta`` is absolute, and cooldown is handled before the
    improvement test (so ``cooldown=c`` ignores only ``c - 1`` bad epochs, and
    ``cooldown=1`` none); :meth:`keras` reproduces it (in float64; Keras stores the
    rate in float32).

    Examples
    --------
    >>> plateau = ReduceLROnPlateau(0.1, factor=0.5, patience=2)
    >>> [plateau.step(m) for m in (1, .8, .7, .71, .72, .73)]
    [0.1, 0.1, 0.1, 0.1, 0.1, 0.05]
    """

    init_value: float
    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8
    convention: str = "torch"
    lr: float = field(init=False)
    best: float = field(init=False)
    num_bad_epochs: int = field(init=False, default=0)
    cooldown_counter: int = field(init=False, default=0)
    history: list = field(init=False, default_factory=list, repr=False)

    def __post_init__(self):
        self.init_value = check_real("init_value", self.init_value, low=0)
        self.mode = _check_choice("mode", self.mode, ("min", "max"))
        self.factor = check_real("factor", self.factor, low=0, low_op=">", high=1, high_op="<")
        self.patience = check_int("patience", self.patience, low=0)
        self.threshold = check_real("threshold", self.threshold, low=0)
        self.threshold_mode = _check_choice("threshold_mode", self.threshold_mode, ("rel", "abs"))
        self.cooldown = check_int("cooldown", self.cooldown, low=0)
        self.min_lr = check_real("min_lr", self.min_lr, low=0)
        self.eps = check_real("eps", self.eps, low=0)
        self.convention = _check_choice("convention", self.convention, ("torch", "keras"))
        self.lr = self.init_value
        self.best = math.inf if self.mode == "min" else -math.inf

    @classmethod
    def keras(cls, init_value, mode="min", factor=0.1, patience=10, min_delta=1e-4,
              cooldown=0, min_lr=0.0):
        """Keras's ``callbacks.ReduceLROnPlateau(monitor, factor, patience, mode,
        min_delta, cooldown, min_lr)``, one :meth:`step` per epoch."""
        return cls(init_value, mode, factor, patience, threshold=min_delta,
                   threshold_mode="abs", cooldown=cooldown, min_lr=min_lr, eps=0.0,
                   convention="keras")

    def _is_better(self, a):
        if not math.isfinite(a):
            return False
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < self.best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < self.best - self.threshold
        if self.threshold_mode == "rel":
            return a > self.best * (self.threshold + 1.0)
        return a > self.best + self.threshold

    def step(self, metric):
        """Record one metric value (one epoch) and return the rate to use next."""
        if isinstance(metric, (bool, np.bool_)) or not isinstance(metric, numbers.Real):
            raise TypeError(f"metric must be a real number, got {type(metric).__name__}")
        a = float(metric)
        if self.convention == "torch":
            self._step_torch(a)
        else:
            self._step_keras(a)
        self.history.append(self.lr)
        return self.lr

    def _step_torch(self, a):  # torch ReduceLROnPlateau.step, line for line
        if self._is_better(a):
            self.best, self.num_bad_epochs = a, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0

    def _step_keras(self, a):  # keras ReduceLROnPlateau.on_epoch_end ("wait" = num_bad)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self._is_better(a):
            self.best, self.num_bad_epochs = a, 0
        elif self.cooldown_counter == 0:
            self.num_bad_epochs += 1
            if self.num_bad_epochs >= self.patience and self.lr > self.min_lr:
                self.lr = max(self.lr * self.factor, self.min_lr)
                self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
