"""Issue 15: the composed schedules, the values PyTorch accepts, and every
schedule past its horizon.

Expected values are hand computations from the formulas, or PyTorch 2.13's
printed numbers (CONVENTIONS.md B.1, marked). Framework parity over random
configurations is in ``tests/test_schedules_extra_golden.py`` (recorded) and
at the end of ``tests/test_conformance.py`` (live).

Tolerances: ``rtol=1e-12`` for a closed form evaluated in another order (a
few ulps); products of ``t`` factors formed one step at a time are compared
at ``rtol=1e-13`` for ``t <= 300`` (at most ``t`` roundings, 300 ulps =
``6.7e-14``); equalities that hold by construction (the same float
operations) are exact.
"""

import inspect
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from lrtutor import schedules as S
from lrtutor.schedules import (Chained, Constant, CosineAnnealing, CosineWarmRestarts, Cyclic,
                               ExponentialDecay, Join, LambdaSchedule, LinearSchedule,
                               Multiplicative, MultiStepDecay, OneCycle, PolynomialDecay,
                               ReduceLROnPlateau, StepDecay, Warmup)


def quiet(fn, *args):
    """Call with every warning an error (the contract: no RuntimeWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


# ------------------------------------------------------------ LambdaSchedule --

def test_lambda_is_base_times_the_function():
    s = LambdaSchedule(0.2, lambda t: 0.5 ** t)
    assert [s(t) for t in range(4)] == [0.2, 0.1, 0.05, 0.025]       # exact powers of 2
    t = np.arange(50)
    assert_array_equal(s(t), [0.2 * 0.5 ** k for k in range(50)])    # torch: base * f(t)
    assert s(np.array([[3, 1]])).shape == (1, 2)


def test_lambda_calls_the_function_with_python_ints_once_per_distinct_step():
    seen = []

    def f(t):
        seen.append(t)
        return 1.0 if t < 5 else 0.1
    s = LambdaSchedule(1.0, f)
    assert_array_equal(s(np.array([7, 0, 7, 3, 0])), [0.1, 1.0, 0.1, 1.0, 1.0])
    assert sorted(seen) == [0, 3, 7] and all(type(t) is int for t in seen)
    # a function written for torch, with Python control flow, works unchanged
    warm = LambdaSchedule(0.1, lambda epoch: min(1.0, (epoch + 1) / 4))
    assert_allclose(warm(np.arange(6)), [0.025, 0.05, 0.075, 0.1, 0.1, 0.1], rtol=1e-15)


def test_lambda_output_is_checked_at_call_time():
    s = LambdaSchedule(0.1, lambda t: 1.0 - 0.25 * t)    # negative from t = 5
    assert s(4) == 0.0
    with pytest.raises(ValueError, match=r"fn\(5\) must be a finite number >= 0, got -0.25"):
        s(np.arange(10))
    with pytest.raises(TypeError, match=r"fn\(0\) must be a real number, got str"):
        LambdaSchedule(0.1, lambda t: "0.5")(0)
    with pytest.raises(TypeError, match=r"fn\(0\) must be a real number, got bool"):
        LambdaSchedule(0.1, lambda t: True)(0)
    with pytest.raises(ZeroDivisionError):               # the user's own error, unchanged
        LambdaSchedule(0.1, lambda t: 1 / t)(0)


def test_lambda_equals_the_matching_closed_forms():
    t = np.arange(300)
    assert_allclose(LambdaSchedule(0.05, lambda k: 0.97 ** k)(t),
                    ExponentialDecay.from_factor(0.05, 0.97)(t), rtol=1e-13)
    assert_array_equal(LambdaSchedule(1.0, StepDecay(1.0, 10, 0.5))(t), StepDecay(1.0, 10, 0.5)(t))


# ------------------------------------------------------------ Multiplicative --

def test_multiplicative_follows_torchs_indexing():
    # torch: the constructor leaves the lr alone (t = 0); the k-th step() multiplies
    # by fn(k). So s(t) = base * fn(1) * ... * fn(t), and fn(0) is never called.
    seen = []

    def f(s):
        seen.append(s)
        return 1.0 + s                     # fn(1) = 2, fn(2) = 3, fn(3) = 4
    m = Multiplicative(0.5, f)
    assert m(0) == 0.5 and seen == []
    assert [m(t) for t in range(4)] == [0.5, 1.0, 3.0, 12.0]
    assert 0 not in seen and max(seen) == 3
    assert all(type(s) is int for s in seen)


def test_multiplicative_constant_factor_is_exponential_decay():
    t = np.arange(301)
    assert_allclose(Multiplicative(0.1, lambda s: 0.95)(t),
                    ExponentialDecay.from_factor(0.1, 0.95)(t), rtol=1e-13)


def test_multiplicative_cut_every_k_is_step_decay():
    m = Multiplicative(0.05, lambda s: 0.1 if s % 30 == 0 else 1.0)
    assert_allclose(m(np.arange(91)), StepDecay(0.05, 30)(np.arange(91)), rtol=1e-15)


def test_multiplicative_zero_factor_and_errors():
    m = Multiplicative(0.1, lambda s: 0.0 if s == 3 else 2.0)
    assert_array_equal(m(np.arange(6)), [0.1, 0.2, 0.4, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"fn\(3\) must be a finite number >= 0"):
        Multiplicative(0.1, lambda s: 1.0 - s / 2)(5)
    # growth past float64: a named error at the first t that overflows
    big = Multiplicative(1.0, lambda s: 1e100)
    assert big(3) == pytest.approx(1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="t = 4 is past"):
            big(np.arange(10))
    with pytest.raises(ValueError, match="t must be <= 10000000 for Multiplicative"):
        Multiplicative(0.1, lambda s: 1.0)(2**62)


# ------------------------------------------------------------------- Chained --

def test_chained_is_the_product():
    a, b = StepDecay(0.1, 3, 0.5), ExponentialDecay.from_factor(1.0, 0.9)
    t = np.arange(20)
    assert_array_equal(Chained((a, b))(t), a(t) * b(t))
    assert_array_equal(Chained((a,))(t), a(t))
    three = (a, b, LinearSchedule(0.5, 1.0, 7))
    assert_allclose(Chained(three)(t), Chained(three[::-1])(t), rtol=1e-15)


def test_chained_reproduces_torchs_documented_example():
    # CONVENTIONS B.1 [verified, torch 2.13]: ConstantLR(.1, 20) + ExponentialLR(.9),
    # base .05: t0 .005, t1 .0045, t2 .00405, t19 .000675, t20 .00607883, t21 .00547
    s = Chained((Join((Constant(0.005), Constant(0.05)), (20,)), ExponentialDecay(1.0, 0.9)))
    got = s(np.array([0, 1, 2, 19, 20, 21]))
    assert_allclose(got[:3], [0.005, 0.0045, 0.00405], rtol=1e-12)
    assert abs(got[3] - 0.000675) <= 0.5e-6          # printed to 3 significant digits
    assert abs(got[4] - 0.00607883) <= 0.5e-8
    assert abs(got[5] - 0.00547) <= 0.5e-5


def test_chained_is_defined_where_every_factor_is():
    s = Chained((OneCycle(1.0, 10), Constant(0.5)))
    assert s(10) == 0.5 * OneCycle(1.0, 10)(10)
    with pytest.raises(ValueError, match="total_steps"):
        s(11)


# ------------------------------------------------------- values torch accepts --

def test_step_decay_gamma_above_one_and_zero():
    # torch StepLR(step_size=3, gamma=2.0), base 0.1 [verified, torch 2.13]:
    # 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.4, 0.4, 0.4
    assert_array_equal(StepDecay(0.1, 3, 2.0)(np.arange(9)),
                       [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.4, 0.4, 0.4])
    assert_array_equal(StepDecay(0.1, 3, 0.0)(np.arange(5)), [0.1, 0.1, 0.1, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"t = 3072 is past"):      # 2**1024 overflows
        quiet(StepDecay(1.0, 3, 2.0), np.arange(3069, 3075))
    assert quiet(StepDecay(1.0, 3, 2.0), 3071) == 2.0 ** 1023


def test_multistep_milestone_zero_and_growth():
    # torch MultiStepLR([0, 3], gamma=2.0), base 0.1 [verified, torch 2.13]:
    # 0.2, 0.2, 0.2, 0.4, 0.4, 0.4 (the milestone 0 already applies at t = 0)
    assert_array_equal(MultiStepDecay(0.1, (0, 3), 2.0)(np.arange(6)),
                       [0.2, 0.2, 0.2, 0.4, 0.4, 0.4])


def test_exponential_factor_zero_and_growth():
    # torch ExponentialLR(gamma=0.0), base 0.1 [verified]: 0.1, 0.0, 0.0, 0.0
    assert_array_equal(ExponentialDecay.from_factor(0.1, 0.0)(np.arange(4)), [0.1, 0, 0, 0])
    assert_array_equal(ExponentialDecay(0.1, 0.0, 10)(np.array([0, 1, 10])), [0.1, 0, 0])
    g = ExponentialDecay.from_factor(1.0, 1.5)
    assert g(10) == pytest.approx(1.5 ** 10, rel=1e-15)
    with pytest.raises(ValueError, match="t = 1751 is past"):        # 1.5**1751 > 1.8e308
        quiet(g, np.arange(1740, 1760))
    assert np.isfinite(quiet(g, 1750))


def test_cosine_annealing_eta_min_above_the_base_rate():
    # eta_min + (base - eta_min)(1 + cos(pi t / T)) / 2: rises from base to eta_min
    s = CosineAnnealing(0.1, 4, eta_min=0.5)
    expected = [0.5 - 0.2 * (1 + math.cos(math.pi * t / 4)) for t in range(9)]
    assert_allclose(s(np.arange(9)), expected, rtol=1e-12)
    assert s(0) == pytest.approx(0.1, rel=1e-15) and s(4) == 0.5
    assert s(8) == pytest.approx(0.1, rel=1e-15)
    assert np.all(np.diff(s(np.arange(5))) > 0)


def test_cosine_annealing_past_t_max_is_the_closed_form_period_2T():
    s = CosineAnnealing(0.3, 7, eta_min=0.01)
    t = np.arange(0, 14)
    for k in (1, 2, 5):                                      # periodic with period 2T
        assert_allclose(s(t + 14 * k), s(t), rtol=1e-12, atol=1e-15)
    assert_allclose(s(np.array([7, 21, 35])), 0.01, rtol=1e-12)   # every odd multiple of T


def test_warm_restarts_eta_min_above_the_base_rate():
    s = CosineWarmRestarts(0.1, 4, T_mult=1, eta_min=0.3)
    expected = [0.3 + (0.1 - 0.3) * (1 + math.cos(math.pi * (t % 4) / 4)) / 2 for t in range(9)]
    assert_allclose(s(np.arange(9)), expected, rtol=1e-12)


def test_polynomial_power_zero_is_constant_even_past_the_horizon():
    # torch PolynomialLR(total_iters=5, power=0.0), base 0.1 [verified]: 0.1 x 9 (0**0 = 1)
    assert_array_equal(PolynomialDecay(0.1, 0.0, 5, 0.0)(np.arange(9)), [0.1] * 9)


def test_cyclic_growing_amplitude_and_its_momentum():
    s = Cyclic(0.01, 0.05, 4, mode="exp_range", gamma=1.1)
    t = np.arange(9)
    h = np.array([0, .25, .5, .75, 1, .75, .5, .25, 0])
    assert_allclose(s(t), 0.01 + 0.04 * h * 1.1 ** t, rtol=1e-12, atol=1e-17)
    assert_allclose(s.momentum(t), 0.9 - 0.1 * h * 1.1 ** t, rtol=1e-12)
    # the momentum amplitude passes max_momentum - base_momentum: named error, not < 0
    # 0.9 - 0.1 h 1.1**t: t = 26 gives 0.9 - 0.05 * 11.92 >= 0, t = 27 0.9 - 0.075 * 13.1 < 0
    assert s.momentum(26) >= 0
    with pytest.raises(ValueError, match=r"t = 27 is past where the cycled momentum"):
        quiet(s.momentum, np.arange(200))


def test_plateau_metric_beyond_float64_is_a_named_error():
    p = ReduceLROnPlateau(0.1)
    with pytest.raises(ValueError, match="metric must be a real number within float64's range"):
        p.step(10**400)
    assert p.history == [] and p.step(1e308) == 0.1          # nothing recorded, still usable


def test_plateau_factor_zero_drops_to_min_lr():
    p = ReduceLROnPlateau(0.1, factor=0.0, patience=0, min_lr=1e-3)
    assert [p.step(m) for m in (1.0, 2.0, 3.0)] == [0.1, 1e-3, 1e-3]


# ------------------------------------------------------- past every horizon --

# (schedule, horizon H, its rate for every t >= H as a function of t), by hand
PAST = [
    (StepDecay(0.1, 10, 0.5), 10, lambda t: 0.1 * 0.5 ** (t // 10)),
    (MultiStepDecay(0.1, (5, 8), 0.5), 8, lambda t: 0.025),
    (S.PiecewiseConstant((5, 8), (0.3, 0.2, 0.1)), 9, lambda t: 0.1),
    (ExponentialDecay(0.1, 0.5, 10), 10, lambda t: 0.1 * 0.5 ** (t / 10)),
    (S.InverseTimeDecay(0.1, 0.5, 10), 10, lambda t: 0.1 / (1 + 0.5 * t / 10)),
    (LinearSchedule(0.1, 0.02, 10), 10, lambda t: 0.02),
    (PolynomialDecay(0.1, 0.02, 10, 2.0), 10, lambda t: 0.02),
    (S.CosineDecay(0.1, 10, alpha=0.2), 10, lambda t: 0.02),
    (CosineAnnealing(0.1, 10, 0.02), 10,
     lambda t: 0.02 + 0.08 * (1 + math.cos(math.pi * t / 10)) / 2),
    (Warmup(S.CosineDecay(0.1, 10), 5), 15, lambda t: 0.0),
    (Join((Constant(0.1), LinearSchedule(0.1, 0.0, 10)), (5,)), 15, lambda t: 0.0),
    (CosineWarmRestarts(0.1, 10), 10,
     lambda t: 0.1 * (1 + math.cos(math.pi * (t % 10) / 10)) / 2),
    (Cyclic(0.01, 0.1, 5), 10, lambda t: 0.01 + 0.09 * (1 - abs((t % 10) - 5) / 5)),
    (OneCycle(1.0, 10), 9, None),                               # t = 10 only, then raises
    (S.WarmupStableDecay(1.0, 2, 3, 10, end_value=0.05), 10, lambda t: 0.05),
    (S.InverseSqrtDecay(1.0, 4), 4, lambda t: math.sqrt(4 / t)),
    (LambdaSchedule(0.1, lambda t: max(0.0, 1 - t / 10)), 10, lambda t: 0.0),
    (Multiplicative(0.1, lambda s: 0.5 if s <= 10 else 1.0), 10, lambda t: 0.1 * 0.5 ** 10),
    (Chained((StepDecay(0.1, 10, 0.5), LinearSchedule(1.0, 0.5, 10))), 10,
     lambda t: 0.05 * 0.5 ** (t // 10)),
    (Constant(0.1), 0, lambda t: 0.1),
]


@pytest.mark.parametrize("sched, H, rule", PAST, ids=[type(s).__name__ for s, _, _ in PAST])
def test_past_the_horizon_by_hand(sched, H, rule):
    if rule is None:           # 1cycle: t = N is torch's extra step, t > N raises
        assert np.isfinite(sched(H + 1))
        with pytest.raises(ValueError, match="total_steps"):
            sched(H + 2)
        return
    t = np.array([H, H + 1, H + 7, 3 * H + 2, 10 * H + 3])
    assert_allclose(quiet(sched, t), [rule(int(k)) for k in t], rtol=1e-12, atol=1e-17)


def test_every_schedule_docstring_says_what_happens_past_its_horizon():
    for name in S.__all__:
        if name == "ReduceLROnPlateau":        # a controller: no horizon, no t
            continue
        doc = inspect.getdoc(getattr(S, name))
        assert "horizon" in doc.lower(), name


# ---------------------------------------- large t: finite or a named error --

HUGE = np.array([0, 1, 10**6, 10**12, 2**53 + 1, 2**62, 2**63 - 1], dtype=np.int64)
SAMPLES = [s for s, _, _ in PAST if not isinstance(s, (OneCycle, Multiplicative))] + [
    StepDecay(0.1, 10, 1.5), MultiStepDecay(0.1, (0, 5), 3.0), ExponentialDecay(1e-3, 1.01),
    Cyclic(0.01, 0.1, 5, mode="exp_range", gamma=1.001), CosineWarmRestarts(0.1, 7, 2.5),
    CosineAnnealing(0.1, 3, eta_min=0.2), PolynomialDecay(0.1, 0.0, 5, 0.0),
    LambdaSchedule(0.1, lambda t: 1.0 / (1 + t)), Chained((Constant(2.0), StepDecay(1.0, 3, 2.0)))]


@pytest.mark.parametrize("sched", SAMPLES, ids=[type(s).__name__ for s in SAMPLES])
def test_huge_steps_give_finite_rates_or_an_error_naming_t(sched):
    for t in HUGE:
        try:
            r = quiet(sched, int(t))
        except ValueError as exc:
            assert str(exc).startswith(f"t = {int(t)} is past"), str(exc)
            assert t > 10**3                   # only a growth can overflow, and late
            continue
        assert math.isfinite(r) and r >= 0, (sched, int(t), r)
        vec = quiet(sched, np.array([int(t)]))  # scalar equals vectorised
        assert vec[0] == r


@settings(max_examples=60, deadline=None)
@given(gamma=st.floats(0, 50), k=st.integers(1, 10**6), t=st.integers(0, 2**63 - 1),
       base=st.floats(0, 1e6))
def test_growing_step_schedules_never_warn(gamma, k, t, base):
    for sched in (StepDecay(base, k, gamma), MultiStepDecay(base, (0, k), gamma),
                  ExponentialDecay(base, gamma, k), Cyclic(base, 2 * base + 1, k,
                                                           mode="exp_range", gamma=gamma)):
        try:
            r = quiet(sched, t)
        except ValueError as exc:
            assert f"t = {t} " in str(exc)
        else:
            assert math.isfinite(r) and r >= 0


# ------------------------------------------- one invalid argument at a time --

NEW = [(LambdaSchedule, dict(init_value=0.1, fn=lambda t: 1.0)),
       (Multiplicative, dict(init_value=0.1, fn=lambda s: 0.9)),
       (Chained, dict(schedules=(Constant(0.1), StepDecay(1.0, 5))))]
BAD = {"init_value": [-1.0, math.nan, math.inf, "0.1", None, [0.1], 1 + 1j, True, 10**400],
       "fn": [0.1, "f", None, [lambda t: 1.0]],
       "schedules": [(), "ab", 3, None, (Constant(0.1), 0.5), Constant(0.1)]}


@pytest.mark.parametrize("cls, good", NEW, ids=[c.__name__ for c, _ in NEW])
def test_each_invalid_argument_of_the_new_schedules_is_named(cls, good):
    quiet(cls(**good), np.arange(5))
    for name in good:
        for bad in BAD[name]:
            with pytest.raises((TypeError, ValueError), match=name):
                quiet(cls, *[bad if n == name else v for n, v in good.items()])


def test_function_schedules_have_a_deterministic_repr():
    # a function's own repr holds a memory address; nbval and plot labels need
    # the same text on every run
    def warm(t):
        return 1.0
    assert repr(LambdaSchedule(0.1, lambda t: 1.0)) == \
        "LambdaSchedule(init_value=0.1, fn=<lambda>)"
    assert repr(Multiplicative(0.1, warm)) == "Multiplicative(init_value=0.1, fn=warm)"
    assert repr(LambdaSchedule(0.2, Constant(0.5))) == \
        "LambdaSchedule(init_value=0.2, fn=Constant(value=0.5))"


def test_multiplicative_calls_fn_once_per_step_across_calls():
    # like torch, which calls fn(k) once at its k-th step: a loop asking for
    # s(0), s(1), ... costs one call per step, and the products are the same
    # bits as one call for the whole range
    calls = []

    def f(s):
        calls.append(s)
        return 0.99 if s % 3 else 1.01
    m = Multiplicative(0.3, f)
    one_by_one = [m(t) for t in range(200)]
    assert calls == list(range(1, 200))
    fresh = Multiplicative(0.3, lambda s: 0.99 if s % 3 else 1.01)
    assert_array_equal(one_by_one, fresh(np.arange(200)))
    assert m == Multiplicative(0.3, f) and hash(m) == hash(Multiplicative(0.3, f))
    # a failing factor leaves the kept products as they were
    bad = Multiplicative(1.0, lambda s: 1.0 if s < 5 else -1.0)
    assert bad(4) == 1.0
    with pytest.raises(ValueError, match=r"fn\(5\)"):
        bad(7)
    assert bad(3) == 1.0


def test_join_asks_each_piece_only_for_its_own_steps():
    def only_below_5(t):
        if t >= 5:
            raise AssertionError(f"piece asked for its step {t}")
        return 1.0
    j = Join((LambdaSchedule(0.1, only_below_5), Constant(0.01)), (5,))
    assert_array_equal(j(np.arange(12)), [0.1] * 5 + [0.01] * 7)
