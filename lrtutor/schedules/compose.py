r"""Compositions: sequential joins, products, rates from any callable, one schedule per run."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

from lrtutor._validate import check_callable, check_real
from lrtutor.schedules._core import (_as_steps, _check_increasing, _check_schedules, _Schedule,
                                     _set)
from lrtutor.schedules.decay import (Constant, CosineDecay, ExponentialDecay,  # noqa: F401
                                     LinearSchedule)                  # (doctests)

#: :class:`Multiplicative` calls its function once per step up to ``t``: the
#: largest ``t`` it accepts (ten million steps, about a second per call).
MULTIPLICATIVE_MAX_T = 10**7


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
    can be followed by another. **Past the horizon** (after the last
    boundary) the last piece runs on in its own local time, so the join does
    what that piece does past its own horizon. Equals ``optax.join_schedules(schedules,
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
        schedules = _check_schedules("schedules", self.schedules)
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
    shape ``t.shape + (k,)`` for an integer array ``t``. **Past the horizon**
    of a run's schedule, its column does what that schedule does.

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


# ---------------------------------------------- rates from any callable --

def _factors(fn, steps):
    """``fn(s)`` for each int ``s`` of ``steps``, each checked finite and >= 0."""
    return np.array([check_real(f"fn({s})", fn(s), low=0) for s in steps.tolist()],
                    dtype=np.float64)


@dataclass(frozen=True)
class _FromFunction(_Schedule):
    """Fields and checks shared by the schedules built from a factor function."""

    init_value: float
    fn: object

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             fn=check_callable("fn", self.fn))

    def __repr__(self):
        # a function's repr holds its memory address; its name is deterministic
        fn = self.fn
        name = fn.__name__ if inspect.isroutine(fn) else repr(fn)
        return f"{type(self).__name__}(init_value={self.init_value!r}, fn={name})"


@dataclass(frozen=True, repr=False)
class LambdaSchedule(_FromFunction):
    r"""Any factor of the step, from a function: :math:`\eta_t = \eta_0\,f(t)`.

    .. math:: \eta_t = \eta_0\, f(t)

    where :math:`\eta_0` is ``init_value`` and :math:`f` is ``fn``.

    Parameters
    ----------
    init_value : float
        Base rate :math:`\eta_0`, >= 0.
    fn : callable
        ``fn(t)`` takes a Python int ``t >= 0`` and returns the factor, a
        finite real number >= 0 (checked at call time).

    Raises
    ------
    TypeError, ValueError
        At call time, when ``fn(t)`` is not a real number, or is NaN,
        infinite or negative: the message names ``fn(t)`` with the ``t``.
        An exception raised inside ``fn`` propagates unchanged.

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=fn)`` with base
    lr ``init_value``: ``s(t)`` is the lr after ``t`` calls of
    ``scheduler.step()``, ``base_lr * fn(t)`` in torch's order. ``fn`` is
    called once per distinct step, with a Python int, so a function written
    for torch (``lambda epoch: 0.95 ** epoch``) works unchanged. Keras's
    ``LearningRateScheduler`` callback is the same idea per epoch, but its
    function returns the rate itself. **Past the horizon**: whatever ``fn``
    returns; there is no horizon of its own.

    Examples
    --------
    >>> s = LambdaSchedule(0.1, lambda t: 1 / (1 + t))
    >>> [round(s(t), 4) for t in (0, 1, 4)]
    [0.1, 0.05, 0.02]
    """

    def _rate(self, t):
        steps, where = np.unique(t, return_inverse=True)
        return self.init_value * _factors(self.fn, steps)[where.reshape(t.shape)]


@dataclass(frozen=True, repr=False)
class Multiplicative(_FromFunction):
    r"""Multiply the rate by a function's factor at every step.

    .. math:: \eta_t = \eta_0 \prod_{s=1}^{t} f(s)

    where :math:`\eta_0` is ``init_value`` and :math:`f` is ``fn``: the
    first update uses :math:`\eta_0` (no factor), and update :math:`t`
    has been multiplied by :math:`f(1), \dots, f(t)`.

    Parameters
    ----------
    init_value : float
        Rate of the first update, >= 0.
    fn : callable
        ``fn(s)`` takes a Python int ``s >= 1`` and returns the factor applied
        at step ``s``, a finite real number >= 0 (checked at call time).

    Raises
    ------
    TypeError, ValueError
        At call time, when some ``fn(s)`` with ``s <= t`` is not a finite real
        number >= 0 (the message names ``fn(s)``); when ``t`` exceeds
        ``MULTIPLICATIVE_MAX_T`` (:math:`10^7`); or when the product overflows float64
        (the message names ``t``).

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.MultiplicativeLR(opt, lr_lambda=fn)``
    with base lr ``init_value``: torch's constructor leaves the lr alone
    (``t = 0``) and its ``k``-th ``step()`` multiplies the lr by
    ``fn(k)``, so ``s(t)`` is the lr after ``t`` calls of ``step()``. The
    product is formed in torch's order, :math:`((\eta_0 f(1)) f(2)) \cdots`,
    so the numbers agree to the last bit or two. Like torch, it calls ``fn``
    once per step: the products already formed are kept (so a training loop
    that asks for ``s(0), s(1), ...`` costs one call of ``fn`` per step), which
    assumes ``fn`` is a function of ``s`` alone; ``fn`` must not depend on
    anything that changes between calls. Every product up to ``t`` is kept,
    hence the limit on ``t``.
    ``Multiplicative(eta, lambda s: g)`` is ``ExponentialDecay.from_factor(eta,
    g)``. **Past the horizon**: whatever the factors give; no horizon of its own.

    Examples
    --------
    >>> s = Multiplicative(0.1, lambda s: 0.5 if s % 10 == 0 else 1.0)
    >>> [s(t) for t in (0, 9, 10, 25)]
    [0.1, 0.1, 0.05, 0.025]
    """

    def _rate(self, t):
        last = int(t.max()) if t.size else 0
        if last > MULTIPLICATIVE_MAX_T:
            raise ValueError(f"t must be <= {MULTIPLICATIVE_MAX_T} for Multiplicative (it "
                             f"calls fn at every step from 1 to t), got t = {last}")
        # products[s] = init * fn(1) * ... * fn(s), kept between calls (not a field:
        # equality, hash and repr see init_value and fn only)
        products = self.__dict__.get("_products")
        if products is None:
            products = np.array([self.init_value])
        if last >= products.size:
            more = _factors(self.fn, np.arange(products.size, last + 1))
            products = np.concatenate([products, np.cumprod(np.r_[products[-1], more])[1:]])
            object.__setattr__(self, "_products", products)
        return products[t]


@dataclass(frozen=True)
class Chained(_Schedule):
    r"""The product of schedules: each contributes its factor, as in ``ChainedScheduler``.

    .. math:: \eta_t = \prod_{i=1}^{n} s_i(t)

    where :math:`s_i` are the ``schedules``. Give the base rate to one piece
    and write the others as pure factors (base rate 1): a step decay on top
    of a warmup is ``Chained((Warmup(Constant(eta), W), StepDecay(1.0, k)))``.

    Parameters
    ----------
    schedules : sequence of callables
        The factors, at least one; each is called with the same steps.

    Notes
    -----
    **What it means for PyTorch.** ``ChainedScheduler([A, B, ...])`` on one
    optimizer with base lr :math:`\eta` calls every scheduler's ``step()``,
    and each *chainable* scheduler multiplies whatever lr it finds by the
    ratio of its own successive factors. So when every scheduler in the list
    is chainable, torch's lr at step ``t`` is :math:`\eta \prod_i f_i(t)`,
    with :math:`f_i` scheduler ``i``'s closed form divided by its base lr:
    ``Chained((A_eta, B_1, ...))`` with ``A_eta`` lrtutor's twin of ``A``
    for base lr :math:`\eta` and ``B_1`` that of ``B`` for base lr 1.
    Chainable, with their lrtutor factors (base 1):

    - ``ConstantLR(factor=f, total_iters=T)``:
      ``Join((Constant(f), Constant(1.0)), (T,))``;
    - ``LinearLR(start_factor=a, end_factor=b, total_iters=T)``:
      ``LinearSchedule(a, b, T)``;
    - ``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``PolynomialLR``,
      ``MultiplicativeLR``: :class:`StepDecay`, :class:`MultiStepDecay`,
      :class:`ExponentialDecay`, :class:`PolynomialDecay` (end 0) and
      :class:`Multiplicative` with ``init_value=1.0``;
    - ``CosineAnnealingLR(T_max, eta_min=0)``: :class:`CosineAnnealing`
      ``(1.0, T_max)``, for ``t <= T_max`` only: at each trough torch's
      recursion *adds* a multiple of the optimizer's initial lr instead of
      multiplying, so past ``T_max`` the chain is no longer a product (nor
      with ``eta_min > 0`` at all).

    The order of the list does not matter for these. ``LambdaLR``,
    ``CyclicLR`` and ``OneCycleLR`` are not chainable: they overwrite the
    lr, so in torch the last of them in the list wins, whatever came before;
    use them alone, or chain lrtutor's :class:`LambdaSchedule` here (a
    product, whatever the order). ``ReduceLROnPlateau`` cannot be chained
    (torch refuses it too). optax has no product of schedules; Keras neither.

    **Past the horizon** each factor does what it does past its own, and the
    product is defined where every factor is (a :class:`OneCycle` factor
    raises past its ``total_steps``).

    Examples
    --------
    Torch's documented example, ``ConstantLR(factor=0.1, total_iters=20)``
    chained with ``ExponentialLR(gamma=0.9)`` at base lr 0.05 (its docstring
    prints numbers ten times too large; these are what torch 2.13 computes):

    >>> s = Chained((Join((Constant(0.005), Constant(0.05)), (20,)),
    ...              ExponentialDecay(1.0, 0.9)))
    >>> [round(s(t), 8) for t in (0, 1, 2, 19, 20, 21)]
    [0.005, 0.0045, 0.00405, 0.00067543, 0.00607883, 0.00547095]
    """

    schedules: tuple

    def __post_init__(self):
        _set(self, schedules=_check_schedules("schedules", self.schedules))

    def _rate(self, t):
        rate = np.ones(t.shape)
        for i, schedule in enumerate(self.schedules):
            piece = np.broadcast_to(np.asarray(schedule(t), dtype=np.float64), t.shape)
            if np.any(piece < 0):
                raise ValueError(f"schedules[{i}] must give rates >= 0, got "
                                 f"{piece.min()!r} at t = {int(t[np.argmin(piece)])}")
            rate = rate * piece if i else piece
        return rate
