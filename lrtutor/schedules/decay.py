r"""Decay schedules: constant, step, exponential, polynomial and cosine rates.

Each is a pure map ``t -> eta_t`` (see :mod:`lrtutor.schedules`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrtutor._validate import check_bool, check_int, check_real
from lrtutor.schedules._core import _Schedule, _check_increasing, _set


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
    Equals ``optax.constant_schedule(value)`` and a plain float ``lr``. It has
    no horizon: the same rate for every ``t >= 0``.

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
        Factor applied at each cut, >= 0: below 1 a decay, above 1 a growth
        (as PyTorch allows), 0 a rate of 0 after the first cut.

    Raises
    ------
    ValueError
        At call time, for a ``t`` where :math:`\gamma > 1` makes the rate
        overflow float64 (the message names that ``t``).

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.StepLR(opt, step_size, gamma)`` with base
    lr ``init_value``: ``s(t)`` is the lr after ``t`` calls of
    ``scheduler.step()``. The first cut happens *at* ``t = step_size``. There
    is no horizon: the cuts go on for every ``t``, as in PyTorch. A negative
    ``gamma``, which PyTorch does not check, would make every other rate
    negative and is refused.

    Examples
    --------
    >>> s = StepDecay(0.05, step_size=30)
    >>> [round(s(t), 6) for t in (29, 30, 60)]
    [0.05, 0.005, 0.0005]
    >>> StepDecay(0.01, step_size=10, gamma=2.0)(25)         # a growth, like torch
    0.04
    """

    init_value: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             step_size=check_int("step_size", self.step_size, low=1),
             gamma=check_real("gamma", self.gamma, low=0))

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
        Steps of the cuts, strictly increasing, each >= 0 (a milestone 0 cuts
        the rate of the first update, as in PyTorch).
    gamma : float
        Factor applied at each milestone, >= 0 (above 1 a growth, as PyTorch
        allows).

    Raises
    ------
    ValueError
        At call time, for a ``t`` where :math:`\gamma > 1` makes the rate
        overflow float64 (the message names that ``t``).

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma)`` with
    base lr ``init_value``; ``s(t)`` is the lr after ``t`` calls of
    ``scheduler.step()``. **Past the horizon** (the last milestone) the rate
    stays at :math:`\eta_0\gamma^n` (``n`` milestones) for every ``t``. Torch counts a
    repeated milestone twice and accepts any order; here milestones must be
    distinct and increasing (an out-of-order list is almost always a typo:
    write ``gamma ** 2`` at a milestone with :class:`PiecewiseConstant` or
    sort the list).

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
             milestones=_check_increasing("milestones", self.milestones, low=0),
             gamma=check_real("gamma", self.gamma, low=0))

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

    **Past the horizon** (the last boundary) the rate stays at ``values[-1]``
    for every ``t``.

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
class _StaircaseDecay(_Schedule):
    """Fields, checks and progress :math:`p` shared by the Keras-style decays."""

    init_value: float
    decay_rate: float
    decay_steps: int = 1
    staircase: bool = False

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             decay_rate=check_real("decay_rate", self.decay_rate, low=0),
             decay_steps=check_int("decay_steps", self.decay_steps, low=1),
             staircase=check_bool("staircase", self.staircase))

    def _progress(self, t):
        r""":math:`p = t/T`, or :math:`\lfloor t/T \rfloor` with ``staircase``."""
        p = t / self.decay_steps
        return np.floor(p) if self.staircase else p


@dataclass(frozen=True)
class ExponentialDecay(_StaircaseDecay):
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
        Factor per ``decay_steps`` steps, >= 0 (> 1 grows the rate; 0 gives
        :math:`\eta_0` at ``t = 0`` and 0 afterwards, as PyTorch does).
    decay_steps : int
        Steps over which the rate is multiplied by ``decay_rate``, >= 1.
    staircase : bool
        Apply the factor in whole jumps.

    Raises
    ------
    ValueError
        At call time, for a ``t`` where a ``decay_rate`` above 1 makes the
        rate overflow float64 (the message names that ``t``).

    Notes
    -----
    There is no horizon: ``decay_steps`` is a time unit, and the rate keeps
    shrinking (or growing) for every ``t``, as in all three frameworks.

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

    @classmethod
    def from_factor(cls, init_value, gamma):
        r""":math:`\eta_t = \gamma\,\eta_{t-1}`, i.e. :math:`\eta_0\gamma^t`; ``gamma`` >= 0."""
        return cls(init_value, check_real("gamma", gamma, low=0))

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
        return self.init_value * self.decay_rate ** self._progress(t)


@dataclass(frozen=True)
class InverseTimeDecay(_StaircaseDecay):
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
    There is no horizon: the rate decays as :math:`1/t` for every ``t``.
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

    def _rate(self, t):
        return self.init_value / (1 + self.decay_rate * self._progress(t))


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
        Exponent :math:`p`, >= 0 (0: the constant ``init_value``, even past
        :math:`T`, since :math:`0^0 = 1` as in PyTorch).

    Notes
    -----
    **Past the horizon** (:math:`t \ge T`) the rate stays at ``end_value``,
    as in PyTorch (``PolynomialLR`` holds its last rate, 0), optax and Keras
    (``cycle=False``).

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
             power=check_real("power", self.power, low=0))

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
    **Past the horizon** (:math:`t \ge T`) the rate stays at ``end_value``, as
    in optax and PyTorch (``LinearLR`` holds its end factor).

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
    with :class:`Warmup`). **Past the horizon** (:math:`t \ge T`) the rate
    stays at :math:`\alpha\eta_0`, as in optax and Keras; PyTorch's
    ``CosineAnnealingLR`` (:class:`CosineAnnealing`) is not clamped and rises
    again.

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
        Rate at :math:`t = T`, >= 0. Usually below ``init_value``; above it,
        as PyTorch allows, the cosine rises from ``init_value`` to ``eta_min``.

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max, eta_min)``
    with base lr ``init_value``; ``s(t)`` is the lr after ``t`` calls of
    ``scheduler.step()``.

    **Past the horizon** (:math:`t > T`) this follows torch's closed form
    (``_get_closed_form_lr``): the same cosine, periodic with period
    :math:`2T`, at :math:`\eta_0` again for :math:`t = 2T, 4T, \dots`.
    Torch's ``step()`` uses a recursive ("chainable") form instead, with a
    special case at each trough; when nothing else edits the lr the two give
    the same curve, up to rounding that accumulates with the steps (about
    :math:`10^{-14}` of the peak after eight half periods, measured with torch
    2.13). Inside torch's ``ChainedScheduler`` the recursion is this formula
    times the other factors only up to ``T_max`` and with ``eta_min = 0``
    (see :class:`Chained`).

    Examples
    --------
    >>> s = CosineAnnealing(0.1, T_max=10)
    >>> [round(s(t), 6) for t in (0, 5, 10, 15, 20)]
    [0.1, 0.05, 0.0, 0.05, 0.1]
    >>> [round(CosineAnnealing(0.1, 10, eta_min=0.3)(t), 6) for t in (0, 5, 10)]
    [0.1, 0.2, 0.3]
    """

    init_value: float
    T_max: int
    eta_min: float = 0.0

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             T_max=check_int("T_max", self.T_max, low=1),
             eta_min=check_real("eta_min", self.eta_min, low=0))

    def _rate(self, t):
        return self.eta_min + (self.init_value - self.eta_min) * (
            1 + np.cos(np.pi * t / self.T_max)) / 2
