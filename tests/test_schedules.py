"""Tests of lrtutor.schedules.

Expected values come from three independent places, never from running
lrtutor: the frameworks' printed numbers collected in CONVENTIONS.md (B.1, B.3,
B.4, marked [verified]) and ERRATA.md (PART 2 demos, PART 4 table), and hand
computations from the formulas written out in the test with ``math``.
"""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from lrtutor.schedules import (
    Chained, Constant, CosineAnnealing, CosineDecay, CosineWarmRestarts, Cyclic,
    ExponentialDecay, InverseTimeDecay, Join, LambdaSchedule, LinearSchedule,
    Multiplicative, MultiStepDecay, InverseSqrtDecay, OneCycle, PerRun, PiecewiseConstant,
    PolynomialDecay, ReduceLROnPlateau, StepDecay, Warmup, WarmupStableDecay,
)


def curve(s, ts):
    """Evaluate ``s`` at each step of ``ts`` (one vectorised call)."""
    return s(np.asarray(ts, dtype=np.int64))


def exact(actual, expected):
    """The reference is exact arithmetic: float64 agreement."""
    assert_allclose(actual, expected, rtol=1e-12, atol=0)


def printed(actual, texts, units=0.5):
    """The reference was printed with few digits (given as strings).

    Allow ``units`` of the last printed digit: half a unit for a rounded
    float64 result, one unit for Keras, which computes in float32.
    """
    actual = np.atleast_1d(actual)
    assert len(actual) == len(texts)
    for a, text in zip(actual, texts):
        decimals = len(text.split(".")[1])
        assert abs(a - float(text)) <= units * 10.0 ** -decimals * (1 + 1e-9), (a, text)


# One valid instance of every schedule, for the generic contract tests.
SAMPLES = [
    Constant(0.1),
    StepDecay(0.05, 30),
    MultiStepDecay(0.05, (30, 80)),
    PiecewiseConstant((100, 110), (1.0, 0.5, 0.1)),
    ExponentialDecay(0.1, 0.5, 10),
    InverseTimeDecay(0.1, 0.5),
    LinearSchedule(0.0025, 0.05, 40),
    PolynomialDecay(0.05, 0.0, 50, 0.9),
    CosineDecay(0.1, 100),
    CosineAnnealing(0.1, 10),
    Warmup(CosineDecay(0.1, 100), 10),
    Join((Constant(0.1), LinearSchedule(1.0, 0.0, 10)), (5,)),
    CosineWarmRestarts(0.1, 5, 2, 1e-3),
    Cyclic(0.01, 0.1, 4),
    OneCycle(1.0, 100),
    WarmupStableDecay(0.1, 10, 20, 100),
    InverseSqrtDecay(0.1, 10),
]
IDS = [type(s).__name__ for s in SAMPLES]


# ------------------------------------------------------------ the t contract --

@pytest.mark.parametrize("s", SAMPLES, ids=IDS)
def test_scalar_gives_float_and_array_gives_same_shape(s):
    assert type(s(3)) is float
    assert type(s(np.int64(3))) is float
    grid = np.array([[0, 1, 2], [3, 4, 5]])
    out = s(grid)
    assert out.dtype == np.float64 and out.shape == (2, 3)
    assert [[s(int(t)) for t in row] for row in grid] == out.tolist()
    assert s(np.array(7)).shape == ()
    assert s(np.array([], dtype=int)).shape == (0,)


@pytest.mark.parametrize("s", SAMPLES, ids=IDS)
@pytest.mark.parametrize("bad, error", [
    (-1, ValueError), (1.0, TypeError), (True, TypeError), ("3", TypeError),
    (np.array([0, -2]), ValueError), (np.array([0.0, 1.0]), TypeError),
    (np.array([True]), TypeError),
])
def test_bad_steps_raise_and_name_t(s, bad, error):
    with pytest.raises(error, match=r"\bt\b"):
        s(bad)


@pytest.mark.parametrize("s", SAMPLES, ids=IDS)
def test_frozen_hashable_and_repr_deterministic(s):
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.foo = 1
    hash(s)
    assert repr(s) == repr(dataclasses.replace(s))


def test_repr_is_readable():
    assert repr(StepDecay(0.05, 30)) == "StepDecay(init_value=0.05, step_size=30, gamma=0.1)"
    assert repr(MultiStepDecay(1, [3, 6])) == (
        "MultiStepDecay(init_value=1.0, milestones=(3, 6), gamma=0.1)")


# ------------------------------------------------------- simple schedules --

def test_constant():
    exact(curve(Constant(0.3), [0, 1, 10**9]), [0.3, 0.3, 0.3])


def test_step_decay_torch_doc():
    # CONVENTIONS B.1 StepLR doc: base .05, step 30 -> .05 (t<30), .005, .0005.
    s = StepDecay(0.05, 30)
    exact(curve(s, [0, 29, 30, 31, 59, 60, 61, 89]),
          [.05, .05, .005, .005, .005, .0005, .0005, .0005])


def test_step_decay_errata_table():
    # ERRATA PART 4: StepLR(3, 0.1), base 0.1.
    exact(curve(StepDecay(0.1, 3), range(7)), [.1, .1, .1, .01, .01, .01, .001])


def test_multistep_torch_doc_and_boundaries():
    # CONVENTIONS B.1 MultiStepLR doc [30, 80]; the value changes AT the milestone.
    s = MultiStepDecay(0.05, [30, 80])
    exact(curve(s, [29, 30, 31, 79, 80, 81]), [.05, .005, .005, .005, .0005, .0005])
    # ERRATA PART 4: MultiStepLR([3, 6], 0.1) -> [0.1 x3, 0.01 x3, 0.001 x4].
    exact(curve(MultiStepDecay(0.1, (3, 6)), range(10)), [.1] * 3 + [.01] * 3 + [.001] * 4)


def test_piecewise_constant_keras_right_closed():
    # CONVENTIONS B.4 Keras doc example; boundaries belong to the left interval.
    s = PiecewiseConstant([100, 110], [1.0, 0.5, 0.1])
    exact(curve(s, [0, 99, 100, 101, 109, 110, 111]), [1, 1, 1, .5, .5, .5, .1])
    # ERRATA E002-2 / PART 4.
    s = PiecewiseConstant((1000, 2000), (0.01, 0.001, 0.0001))
    exact(curve(s, [1000, 1001, 1500, 2000, 2001]), [.01, .001, .001, .001, .0001])


def test_piecewise_constant_trap_versus_torch():
    # Same numbers, different intervals: they disagree exactly at the boundaries.
    keras = curve(PiecewiseConstant((3, 6), (.1, .01, .001)), range(9))
    torch = curve(MultiStepDecay(.1, (3, 6)), range(9))
    assert np.flatnonzero(~np.isclose(keras, torch, rtol=1e-12)).tolist() == [3, 6]


def test_exponential_keras_and_optax():
    # CONVENTIONS B.4 Keras (.1, 10, .5): t5 .0707107 (printed, float32), t10 .05, t20 .025.
    s = ExponentialDecay(0.1, 0.5, 10)
    printed(s(5), [".0707107"], units=1)
    exact(curve(s, [0, 10, 20]), [.1, .05, .025])
    exact(ExponentialDecay(0.1, 0.5, 10, staircase=True)(5), 0.1)
    # CONVENTIONS B.3 optax (1, 10, .5).
    printed(ExponentialDecay(1.0, 0.5, 10)(5), [".707107"])
    stair = ExponentialDecay(1.0, 0.5, 10, staircase=True)
    exact(curve(stair, [5, 9, 10, 11, 15, 20]), [1, 1, .5, .5, .5, .25])
    # ERRATA E002-1: ExponentialDecay(0.01, 1000, 0.96).
    exact(curve(ExponentialDecay(0.01, 0.96, 1000), [1000, 2000]), [0.0096, 0.009216])


def test_exponential_torch_exponential_lr():
    # CONVENTIONS B.1 ExponentialLR(.9) base .05; ERRATA PART 4 base .1.
    exact(curve(ExponentialDecay(0.05, 0.9), range(4)), [.05, .045, .0405, .03645])
    exact(curve(ExponentialDecay(0.1, 0.9), range(4)), [.1, .09, .081, .0729])


def test_exponential_three_parameterisations_agree():
    ts = np.arange(0, 1001)
    eta0, tau = 0.2, 10.0
    gamma = math.exp(-1 / tau)
    beta = 1 - gamma
    factor = ExponentialDecay.from_factor(eta0, gamma)(ts)
    rate = ExponentialDecay.from_rate(eta0, beta)(ts)
    time_constant = ExponentialDecay.from_time_constant(eta0, tau)(ts)
    exact(factor, [eta0 * gamma ** int(t) for t in ts])
    exact(rate, [eta0 * (1 - beta) ** int(t) for t in ts])
    exact(time_constant, [eta0 * math.exp(-int(t) / tau) for t in ts])
    exact(factor, rate)
    exact(factor, time_constant)
    # the recursion eta_t = gamma * eta_{t-1}
    exact(factor[1:], gamma * factor[:-1])


def test_inverse_time_keras_doc_and_errata():
    # CONVENTIONS B.4 Keras doc (.1, 1, .5): t1 .0666667, t2 .05, t10 .0166667.
    s = InverseTimeDecay(0.1, 0.5)
    exact(curve(s, [0, 2]), [.1, .05])
    printed(curve(s, [1, 10]), [".0666667", ".0166667"], units=1)
    # ERRATA PART 4: 1/(1 + 0.5 t), base 0.1.
    exact(curve(s, [0, 2, 3]), [0.1, 0.05, 0.04])
    printed(s(1), [".06667"])
    # ERRATA E002-1: legacy SGD(lr=0.01, decay=0.001) == InverseTimeDecay(0.01, 0.001, 1).
    s = InverseTimeDecay(0.01, 0.001, 1)
    exact(curve(s, [1000]), [0.005])
    printed(curve(s, [100, 3200]), [".00909091", ".0023810"])
    # ERRATA E002-1: per-epoch values with 32 steps per epoch.
    printed(curve(s, [32, 320, 1600, 3200]), [".009690", ".007576", ".003846", ".002381"])


def test_inverse_time_staircase_boundary():
    s = InverseTimeDecay(1.0, 1.0, decay_steps=10, staircase=True)
    exact(curve(s, [9, 10, 11, 19, 20]), [1, 1 / 2, 1 / 2, 1 / 2, 1 / 3])


def test_linear_schedule_matches_torch_linear_lr():
    # CONVENTIONS B.1 LinearLR(s=.05, e=1, T=40), base .05 -> LinearSchedule(.0025, .05, 40).
    s = LinearSchedule(0.05 * 0.05, 0.05 * 1.0, 40)
    exact(curve(s, range(5)), [.0025, .0036875, .004875, .0060625, .00725])
    exact(curve(s, [39, 40, 41, 1000]), [.0025 + .0475 * 39 / 40, .05, .05, .05])


def test_linear_schedule_with_transition_begin_via_join():
    # CONVENTIONS B.3 optax linear_schedule(0, 1, 10, transition_begin=5).
    s = Join((Constant(0.0), LinearSchedule(0.0, 1.0, 10)), (5,))
    exact(curve(s, [0, 5, 10, 15, 20]), [0, 0, .5, 1, 1])


def test_torch_constant_lr_via_join():
    # CONVENTIONS B.1 ConstantLR(0.5, 40), base .05: .025 until t=39, .05 from t=40.
    s = Join((Constant(0.025), Constant(0.05)), (40,))
    exact(curve(s, [0, 39, 40, 41]), [.025, .025, .05, .05])


def test_polynomial_torch_polynomial_lr():
    # CONVENTIONS B.1 PolynomialLR(50, 0.9), base .05 (printed to 6 significant digits).
    s = PolynomialDecay(0.05, 0.0, 50, 0.9)
    exact(s(0), 0.05)
    printed(curve(s, [1, 2, 3, 49]), [".0490991", ".0481963", ".0472917", ".00147876"])
    exact(curve(s, [50, 51, 500]), [0, 0, 0])
    exact(s(48), 0.05 * (1 - 48 / 50) ** 0.9)


def test_polynomial_optax_and_keras():
    exact(PolynomialDecay(1.0, 0.0, 100, 2.0)(50), 0.25)  # optax (1, 0, 2, 100)
    exact(PolynomialDecay(0.1, 1e-4, 100)(100), 1e-4)  # Keras default end 1e-4
    # Keras doc (.1, 10000, .01, p=.5) at 2500: .0879423 (float32).
    printed(PolynomialDecay(0.1, 0.01, 10000, 0.5)(2500), [".0879423"], units=1)


def test_cosine_decay_optax_keras_errata():
    # CONVENTIONS B.3 optax (1, 100).
    s = CosineDecay(1.0, 100)
    printed(s(25), [".853553"])
    exact(curve(s, [0, 50, 100, 101, 1000]), [1, .5, 0, 0, 0])
    exact(curve(CosineDecay(1.0, 100, alpha=0.1), [50, 100, 150]), [.55, .1, .1])
    exact(CosineDecay(1.0, 100, exponent=2.0)(50), 0.25)
    # CONVENTIONS B.4 Keras (.1, 100).
    exact(CosineDecay(0.1, 100)(50), 0.05)
    exact(curve(CosineDecay(0.1, 100, alpha=0.1), [50, 100]), [.055, .01])
    # ERRATA PART 4: Keras CosineDecay(0.1, 1000) at 0/250/500/750/1000.
    printed(curve(CosineDecay(0.1, 1000), [0, 250, 500, 750, 1000]),
            ["0.1", "0.08536", "0.05", "0.01464", "0.0"])


def test_cosine_decay_boundary_by_hand():
    s = CosineDecay(2.0, 100, alpha=0.25)
    hand = [2.0 * (0.75 * 0.5 * (1 + math.cos(math.pi * 99 / 100)) + 0.25), 0.5, 0.5]
    exact(curve(s, [99, 100, 101]), hand)


def test_cosine_decay_never_negative_up_to_10T():
    # ERRATA E004-4: a source's "cosine" went negative for 2/3 of training.
    for T in (1, 7, 100, 1000):
        rates = curve(CosineDecay(0.1, T), range(10 * T + 1))
        assert rates.min() >= 0


def test_cosine_annealing_torch_not_clamped():
    # CONVENTIONS B.1 CosineAnnealingLR base .1, T=10: rises again after T_max.
    s = CosineAnnealing(0.1, 10)
    exact(curve(s, [0, 5, 10, 15, 20]), [.1, .05, 0, .05, .1])
    hand = [0.1 * (1 + math.cos(math.pi * t / 10)) / 2 for t in (9, 11)]
    exact(curve(s, [9, 11]), hand)
    # ERRATA PART 4: CosineAnnealingLR(T_max=9), base 0.1.
    printed(curve(CosineAnnealing(0.1, 9), range(10)),
            ["0.1", "0.09698", "0.0883", "0.075", "0.05868", "0.04132", "0.025",
             "0.0117", "0.00302", "0.0"])


def test_cosine_annealing_eta_min_by_hand():
    s = CosineAnnealing(1.0, 4, eta_min=0.2)
    exact(curve(s, [0, 2, 4, 8]), [1.0, 0.6, 0.2, 1.0])


# ------------------------------------------------------------ composition --

def test_warmup_keras_cosine_with_warmup():
    # CONVENTIONS B.4 Keras CosineDecay(0, 100, warmup_target=.1, warmup_steps=10).
    s = Warmup(CosineDecay(0.1, 100), 10, 0.0)
    exact(curve(s, [5, 10, 60, 110, 200]), [.05, .1, .05, 0, 0])
    # ERRATA E000-7: Keras CosineDecay(0.0, 900, warmup_target=0.1, warmup_steps=100).
    s = Warmup(CosineDecay(0.1, 900), 100, 0.0)
    exact(curve(s, [0, 50, 100, 1000]), [0, .05, .1, 0])


def test_warmup_optax_warmup_cosine_decay():
    # CONVENTIONS B.3 warmup_cosine_decay_schedule(0, 1, 10, decay_steps=110, end .01):
    # optax's decay_steps includes the warmup, so the cosine lasts 110 - 10 = 100.
    s = Warmup(CosineDecay(1.0, 100, alpha=0.01), 10, 0.0)
    exact(curve(s, [5, 10, 60, 110, 111]), [.5, 1, .505, .01, .01])


def test_warmup_errata_demo_and_torch_linear_lr():
    # ERRATA E000-7: 0.001 -> 0.1 over 5 steps.
    s = Warmup(Constant(0.1), 5, 0.001)
    exact(curve(s, range(7)), [0.001, 0.0208, 0.0406, 0.0604, 0.0802, 0.1, 0.1])
    # ERRATA E000-7 / PART 4: LinearLR(start_factor=0.1, total_iters=4), base 0.1.
    s = Warmup(Constant(0.1), 4, 0.01)
    exact(curve(s, range(6)), [0.01, 0.0325, 0.055, 0.0775, 0.1, 0.1])


def test_warmup_boundary_uses_local_time():
    s = Warmup(StepDecay(1.0, 2, 0.5), 4, 0.2)
    # t=3: ramp 0.2 + 0.8*3/4; t=4: inner(0); t=5: inner(1); t=6: inner(2) = 0.5.
    exact(curve(s, [3, 4, 5, 6]), [0.8, 1.0, 1.0, 0.5])


def test_join_optax_and_torch_sequential():
    # CONVENTIONS B.3 optax join_schedules([const .1, linear 1->0 over 10], [5]).
    s = Join([Constant(0.1), LinearSchedule(1.0, 0.0, 10)], [5])
    exact(curve(s, [4, 5, 6, 10, 15, 20]), [.1, 1, .9, .5, 0, 0])
    # CONVENTIONS B.1 SequentialLR(ConstantLR(.1, 20) -> ExponentialLR(.9)), base .05.
    s = Join((Constant(0.005), ExponentialDecay(0.05, 0.9)), (20,))
    exact(curve(s, [0, 19, 20, 21, 22]), [.005, .005, .05, .045, .0405])


def test_join_three_pieces_and_optax_sgdr():
    s = Join((Constant(3.0), Constant(2.0), StepDecay(1.0, 1, 0.5)), (2, 4))
    exact(curve(s, [1, 2, 3, 4, 5]), [3, 2, 2, 1, 0.5])
    # CONVENTIONS B.3 optax sgdr_schedule, 2 x (0 -> 1, warmup 2, decay_steps 10).
    cycle = Warmup(CosineDecay(1.0, 8), 2, 0.0)
    s = Join((cycle, cycle), (10,))
    exact(curve(s, [1, 2, 10, 11, 12]), [.5, 1, 0, .5, 1])


# ------------------------------------------------------ cyclic schedules --

def _sgdr_by_simulation(init, T_0, T_mult, eta_min, n):
    """torch's recursive CosineAnnealingWarmRestarts.step(), for reference."""
    T_cur, T_i, out = 0, T_0, []
    for _ in range(n):
        out.append(eta_min + (init - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2)
        T_cur += 1
        if T_cur >= T_i:
            T_cur, T_i = T_cur - T_i, T_i * T_mult
    return out


def test_warm_restarts_torch():
    # CONVENTIONS B.1 (T_0=5, T_mult=2, eta_min=1e-3, base .1).
    s = CosineWarmRestarts(0.1, 5, T_mult=2, eta_min=1e-3)
    exact(curve(s, [0, 5, 15]), [.1, .1, .1])
    printed(curve(s, [1, 4, 10, 14]), [".0905463", ".0104537", ".0505", ".0034227"])
    # restarts at 5 and 15, periods 5, 10, 20: boundaries by hand
    def hand(t_cur, T_i):
        return 1e-3 + 0.099 * (1 + math.cos(math.pi * t_cur / T_i)) / 2

    exact(curve(s, [4, 5, 6, 14, 15, 16]),
          [hand(4, 5), hand(0, 10), hand(1, 10), hand(9, 10), hand(0, 20), hand(1, 20)])


@settings(max_examples=40, deadline=None)
@given(T_0=st.integers(1, 6), T_mult=st.integers(1, 4))
def test_warm_restarts_closed_form_equals_torch_recursion(T_0, T_mult):
    s = CosineWarmRestarts(0.3, T_0, T_mult, eta_min=0.01)
    exact(curve(s, range(400)), _sgdr_by_simulation(0.3, T_0, T_mult, 0.01, 400))


def test_warm_restarts_fractional_t_mult():
    # periods 4, 6, 9, 13.5 start at 0, 4, 10, 19, 32.5 (exact in binary).
    s = CosineWarmRestarts(1.0, 4, T_mult=1.5)
    exact(curve(s, range(60)), _sgdr_by_simulation(1.0, 4, 1.5, 0.0, 60))


@settings(max_examples=200, deadline=None)
@given(T_0=st.integers(1, 60), T_mult=st.floats(1.01, 4.0))
def test_warm_restarts_first_two_periods_any_t_mult(T_0, T_mult):
    # Periods T_0 and T_0*T_mult start at 0 and T_0; by hand, inside each one
    # the rate is (1 + cos(pi * t_cur / T_i)) / 2 of the peak. Fractional T_mult
    # once put the first restart at 46.00000000000001 (T_0 = 46, T_mult = 1.7047950297215184).
    s = CosineWarmRestarts(1.0, T_0, T_mult)
    assert s(T_0) == 1.0
    T_1 = T_0 * T_mult
    t = np.arange(int(np.ceil(T_0 + T_1)))
    t_cur, T_i = np.where(t < T_0, t, t - T_0), np.where(t < T_0, T_0, T_1)
    np.testing.assert_allclose(s(t), (1 + np.cos(np.pi * t_cur / T_i)) / 2, rtol=1e-12, atol=1e-15)


def test_warm_restarts_first_restart_regression():
    assert CosineWarmRestarts(1.0, 46, T_mult=1.7047950297215184)(46) == 1.0


def test_warm_restarts_keras():
    # CONVENTIONS B.4 Keras CosineDecayRestarts(1, 10, t_mul=2, m_mul=.5), float32.
    s = CosineWarmRestarts(1.0, 10, T_mult=2.0, m_mul=0.5)
    exact(curve(s, [10, 20, 30, 70]), [.5, .25, .25, .125])
    exact(s(5), 0.5)
    printed(curve(s, [9, 29]), [".0244718", ".00307791"], units=1)


def test_warm_restarts_keras_alpha_floor_is_not_scaled_by_m_mul():
    # Keras: I * ((1 - a) * m^i * (1 + cos(pi f)) / 2 + a), alpha = eta_min / I.
    s = CosineWarmRestarts(2.0, 4, T_mult=1, eta_min=0.5, m_mul=0.5)
    exact(curve(s, [4, 6, 8, 10]), [2 * (0.75 * 0.5 + 0.25), 2 * (0.75 * 0.5 * 0.5 + 0.25),
                                     2 * (0.75 * 0.25 + 0.25), 2 * (0.75 * 0.25 * 0.5 + 0.25)])


def test_cyclic_torch_modes():
    # CONVENTIONS B.1 CyclicLR(base .01, max .1, up 4).
    s = Cyclic(0.01, 0.1, 4)
    exact(curve(s, range(9)), [.01, .0325, .055, .0775, .1, .0775, .055, .0325, .01])
    s2 = Cyclic(0.01, 0.1, 4, mode="triangular2")
    exact(curve(s2, [4, 12, 20]), [.1, .055, .0325])
    s3 = Cyclic(0.01, 0.1, 4, mode="exp_range", gamma=0.9)
    exact(curve(s3, range(3)), [.01, .03025, .04645])
    printed(curve(s3, range(3, 6)), [".0592075", ".069049", ".0498581"])


def test_cyclic_momentum_follows_the_amplitude_scale():
    # torch CyclicLR(cycle_momentum=True): momentum = max - (max - base) * h * scale,
    # base 0.8, max 0.9. Peaks (h = 1) at t = 4, 12, 20 with up = down = 4.
    s2 = Cyclic(0.01, 0.1, 4, mode="triangular2")          # scale 1, 1/2, 1/4
    exact(s2.momentum(np.array([4, 12, 20])), [0.9 - 0.1, 0.9 - 0.05, 0.9 - 0.025])
    s3 = Cyclic(0.01, 0.1, 4, mode="exp_range", gamma=0.9)  # scale 0.9**t
    exact(s3.momentum(4), 0.9 - 0.1 * 0.9 ** 4)


def test_cyclic_boundaries_by_hand():
    # Asymmetric: up 2, down 6, cycle 8; peak at 2, trough at 8.
    s = Cyclic(1.0, 3.0, step_size_up=2, step_size_down=6)
    exact(curve(s, [1, 2, 3, 7, 8, 9, 10]),
          [2.0, 3.0, 3.0 - 2 / 6, 1.0 + 2 / 6, 1.0, 2.0, 3.0])
    s2 = Cyclic(1.0, 3.0, 2, 6, mode="triangular2")  # second cycle has half amplitude
    exact(curve(s2, [9, 10, 11]), [1.5, 2.0, 2.0 - 1 / 6])


def test_cyclic_momentum_moves_opposite():
    s = Cyclic(0.01, 0.1, 4)
    exact(s.momentum(np.arange(9)), [.9, .875, .85, .825, .8, .825, .85, .875, .9])
    exact(s.momentum(2, base_momentum=0.5, max_momentum=0.7), 0.6)


def test_one_cycle_torch():
    # CONVENTIONS B.1 OneCycleLR(max 1, N=100).
    s = OneCycle(1.0, 100)
    exact(curve(s, [0, 29, 99]), [.04, 1, 4e-6])
    printed(curve(s, [10, 30, 50]), [".295164", ".999497", ".793893"])
    exact(s.momentum(np.array([0, 29, 99])), [.95, .85, .95])


def test_one_cycle_phase_end_by_hand():
    s = OneCycle(1.0, 100)
    def cos_anneal(start, end, pct):  # torch's _annealing_cos, written out
        return end + (start - end) / 2 * (1 + math.cos(math.pi * pct))

    # phase 1 ends at pct*N - 1 = 29, phase 2 at N - 1 = 99
    def up(t):
        return cos_anneal(0.04, 1.0, t / 29)

    def down(t):
        return cos_anneal(1.0, 4e-6, (t - 29) / 70)

    exact(curve(s, [28, 29, 30, 98, 99]), [up(28), up(29), down(30), down(98), down(99)])
    lin = OneCycle(1.0, 100, anneal_strategy="linear")
    exact(curve(lin, [15, 29, 64]), [0.04 + 0.96 * 15 / 29, 1.0, 1 + (4e-6 - 1) * 35 / 70])


def test_one_cycle_linear_momentum_by_hand():
    # N = 10, pct 0.3: phase 1 ends at step pN - 1 = 2, phase 2 at N - 1 = 9.
    # Linear annealing: momentum .95 -> .85 over 2 steps, then back over 7.
    s = OneCycle(1.0, 10, pct_start=0.3, anneal_strategy="linear")
    t = np.arange(10)
    hand = np.where(t <= 2, 0.95 - 0.1 * t / 2, 0.85 + 0.1 * (t - 2) / 7)
    np.testing.assert_allclose(s.momentum(t), hand, rtol=1e-13)
    # and the rate mirrors it: 1/25 -> 1 linearly, then down to 1/(25 * 1e4)
    lo, end = 1 / 25, 1 / 25e4
    rate = np.where(t <= 2, lo + (1 - lo) * t / 2, 1 + (end - 1) * (t - 2) / 7)
    np.testing.assert_allclose(s(t), rate, rtol=1e-12)


def test_one_cycle_three_phase():
    # CONVENTIONS B.1: three_phase t29 1.0, t58 .04, t99 4e-6; momentum stays max in phase 3.
    s = OneCycle(1.0, 100, three_phase=True)
    exact(curve(s, [29, 58, 99]), [1, .04, 4e-6])
    # phase ends 29, 2*30 - 2 = 58, 99; phase 2 anneals 1 -> .04, phase 3 .04 -> 4e-6
    def back(t):
        return 0.04 + (1 - 0.04) / 2 * (1 + math.cos(math.pi * (t - 29) / 29))

    def final(t):
        return 4e-6 + (0.04 - 4e-6) / 2 * (1 + math.cos(math.pi * (t - 58) / 41))

    exact(curve(s, [57, 58, 59]), [back(57), back(58), final(59)])
    exact(s.momentum(np.array([0, 29, 58, 80, 99])), [.95, .85, .95, .95, .95])


def test_one_cycle_past_the_end_raises_like_torch():
    # torch defines t = N (one step() after the last update) and raises after
    s = OneCycle(1.0, 100)
    with pytest.raises(ValueError, match="Tried to step 101 times: t must be <= total_steps "
                                         "= 100"):
        s(101)
    with pytest.raises(ValueError, match="total_steps"):
        s(np.arange(102))
    with pytest.raises(ValueError, match="total_steps"):
        s.momentum(500)
    assert s(np.arange(101)).shape == (101,)


def test_one_cycle_at_t_equal_total_steps():
    # CONVENTIONS B.1 numbers (max 1, N = 100), torch 2.13 printed: t = 100 is
    # the cosine one step past its end, the value of t = 98 mirrored about the
    # trough at 99: 0.0005074647154757324 (t = 98: ...4757879).
    cos = OneCycle(1.0, 100)
    assert cos(100) == pytest.approx(0.0005074647154757324, rel=1e-12)
    assert cos(100) == pytest.approx(cos(98), rel=1e-12)
    assert cos.momentum(100) == pytest.approx(0.9499496533270657, rel=1e-12)
    # linear: torch continues the line to -0.014281657142857007; lrtutor holds
    # the end rate 4e-6 (max_lr / 25 / 1e4) and the end momentum 0.95
    lin = OneCycle(1.0, 100, anneal_strategy="linear")
    assert lin(100) == lin(99) == pytest.approx(4e-6, rel=1e-12)
    assert lin.momentum(100) == lin.momentum(99) == 0.95
    three = OneCycle(1.0, 100, three_phase=True)          # last phase min -> min/1e4
    assert three(100) > three(99) and three.momentum(100) == 0.95


# ------------------------------------------------- a stateful controller --

def test_plateau_torch_reference():
    # CONVENTIONS B.1: losses [1, .9 x 11], factor .5, patience 2, cooldown 1, min_lr .01.
    p = ReduceLROnPlateau(0.1, factor=0.5, patience=2, cooldown=1, min_lr=0.01)
    lrs = [p.step(m) for m in [1.0] + [0.9] * 11]
    exact(lrs[:9], [.1, .1, .1, .1, .05, .05, .05, .05, .025])
    # by hand after the second cut: cooldown step, then 3 bad steps -> .0125 at step 13
    exact(lrs[9:], [.025, .025, .025])
    assert p.history == lrs
    exact(p.step(0.9), 0.0125)
    exact([p.step(0.9) for _ in range(8)][-1], 0.01)  # min_lr floor


def test_plateau_errata_demo():
    # ERRATA E002-3: factor .5, patience 2.
    p = ReduceLROnPlateau(0.1, factor=0.5, patience=2)
    lrs = [p.step(m) for m in [1, .8, .7, .71, .72, .73, .69, .70, .71, .72]]
    exact(lrs, [.1] * 5 + [.05] * 4 + [.025])


def test_plateau_keras_preset():
    # CONVENTIONS B.4 Keras ReduceLROnPlateau on the same losses: first cut one epoch earlier.
    p = ReduceLROnPlateau.keras(0.1, factor=0.5, patience=2, cooldown=1, min_lr=0.01)
    lrs = [p.step(m) for m in [1.0] + [0.9] * 11]
    exact(lrs[:10], [.1, .1, .1, .05, .05, .025, .025, .0125, .0125, .01])


def test_plateau_cooldown_longer_than_one_by_hand():
    # patience 1, cooldown 2, factor .5, a flat loss. torch: cut when num_bad > 1, then two
    # steps whose bad count is discarded. Keras: cut when wait >= 1, and no wait counted
    # while cooldown_counter > 0 after its decrement.
    losses = [1.0] * 7
    torch = ReduceLROnPlateau(0.1, factor=0.5, patience=1, cooldown=2)
    exact([torch.step(m) for m in losses], [.1, .1, .05, .05, .05, .05, .025])
    keras = ReduceLROnPlateau.keras(0.1, factor=0.5, patience=1, cooldown=2)
    exact([keras.step(m) for m in losses], [.1, .05, .05, .025, .025, .0125, .0125])


def test_plateau_nan_and_inf_count_as_bad():
    p = ReduceLROnPlateau(1.0, factor=0.5, patience=1)
    assert [p.step(m) for m in [1.0, math.nan, -math.inf]] == [1.0, 1.0, 0.5]
    assert p.best == 1.0
    p.step(0.5)  # a finite improvement still counts after the non-finite ones
    assert p.best == 0.5 and p.num_bad_epochs == 0


def test_plateau_max_mode_and_thresholds_by_hand():
    p = ReduceLROnPlateau(1.0, mode="max", patience=0, factor=0.5, threshold=0.1)
    # rel: better iff a > best * 1.1
    assert [p.step(m) for m in [1.0, 1.05, 1.2, 1.3]] == [1.0, 0.5, 0.5, 0.25]
    p = ReduceLROnPlateau(1.0, patience=0, factor=0.5, threshold=0.1, threshold_mode="abs")
    # abs, min: better iff a < best - 0.1
    assert [p.step(m) for m in [1.0, 0.95, 0.8, 0.75]] == [1.0, 0.5, 0.5, 0.25]
    # abs, max: better iff a > best + 0.1 (1.05 is not, 1.2 is, 1.25 is not)
    p = ReduceLROnPlateau(1.0, mode="max", patience=0, factor=0.5, threshold=0.1,
                          threshold_mode="abs")
    assert [p.step(m) for m in [1.0, 1.05, 1.2, 1.25]] == [1.0, 0.5, 0.5, 0.25]
    # Keras's callback, same test; it cuts when wait >= patience, so patience 1 here
    p = ReduceLROnPlateau.keras(1.0, mode="max", patience=1, factor=0.5, min_delta=0.1)
    assert [p.step(m) for m in [1.0, 1.05, 1.2, 1.25]] == [1.0, 0.5, 0.5, 0.25]


def test_plateau_eps_skips_tiny_cuts():
    p = ReduceLROnPlateau(1e-9, factor=0.5, patience=0)  # cut of 5e-10 < eps=1e-8
    assert [p.step(m) for m in [1.0, 1.0]] == [1e-9, 1e-9]


@settings(max_examples=100, deadline=None)
@given(metrics=st.lists(st.one_of(st.floats(allow_nan=True), st.integers(-5, 5)),
                        max_size=40),
       keras=st.booleans(), min_lr=st.sampled_from([0.0, 0.01, 0.5]))
def test_plateau_never_raises_the_rate(metrics, keras, min_lr):
    p = (ReduceLROnPlateau.keras(0.1, factor=0.5, patience=1, min_lr=min_lr) if keras
         else ReduceLROnPlateau(0.1, factor=0.5, patience=1, min_lr=min_lr))
    lrs = [0.1] + [p.step(m) for m in metrics]
    assert all(b <= a for a, b in zip(lrs, lrs[1:]))
    assert all(lr >= min(min_lr, 0.1) for lr in lrs)


# -------------------------------------------------------------- properties --

pos = st.floats(1e-6, 10.0)
steps = st.integers(1, 50)
frac = st.floats(0.0, 1.0)
decay = st.floats(1e-3, 1.0)

schedules = st.one_of(
    st.builds(Constant, st.floats(0.0, 10.0)),
    st.builds(StepDecay, pos, steps, decay),
    st.builds(lambda a, ms, g: MultiStepDecay(a, sorted(set(ms)), g),
              pos, st.lists(steps, min_size=1, max_size=5), decay),
    st.builds(lambda bs, v: PiecewiseConstant(sorted(set(bs)), [v] * (len(set(bs)) + 1)),
              st.lists(st.integers(0, 50), min_size=1, max_size=4), pos),
    st.builds(ExponentialDecay, pos, decay, steps, st.booleans()),
    st.builds(InverseTimeDecay, pos, st.floats(0.0, 10.0), steps, st.booleans()),
    st.builds(LinearSchedule, pos, pos, steps),
    st.builds(PolynomialDecay, pos, pos, steps, st.floats(0.1, 5.0)),
    st.builds(CosineDecay, pos, steps, frac, st.floats(0.1, 5.0)),
    st.builds(lambda a, T, f: CosineAnnealing(a, T, f * a), pos, steps, frac),
    st.builds(lambda a, W, b: Warmup(CosineDecay(a, 20), W, b), pos, steps, pos),
    st.builds(lambda a, T, m, f, mm: CosineWarmRestarts(a, T, m, f * a, mm),
              pos, steps, st.floats(1.0, 3.0), frac, st.floats(0.01, 1.0)),
    st.builds(lambda a, k, u, d, mode: Cyclic(a, a * k, u, d, mode,
                                              0.99 if mode == "exp_range" else 1.0),
              pos, st.floats(1.0, 10.0), steps, steps,
              st.sampled_from(["triangular", "triangular2", "exp_range"])),
    st.builds(lambda a, p, three, strat: OneCycle(a, 1000, p, strat, three_phase=three),
              pos, st.floats(0.01, 0.45), st.booleans(), st.sampled_from(["cos", "linear"])),
    st.builds(lambda a, W, D, x, f, g, shape: WarmupStableDecay(a, W, D, W + D + x, f * a,
                                                                g * a, shape),
              pos, st.integers(0, 50), steps, st.integers(0, 100), frac, frac,
              st.sampled_from(["linear", "cosine", "1-sqrt"])),
    st.builds(InverseSqrtDecay, pos, steps, pos, st.one_of(st.none(), steps)),
)


def _ts(s, t):
    return min(t, 999) if isinstance(s, OneCycle) else t


@settings(max_examples=300, deadline=None)
@given(s=schedules, t=st.integers(0, 10**6))
def test_rates_finite_nonnegative_pure_and_vectorised(s, t):
    t = _ts(s, t)
    rate = s(t)
    assert math.isfinite(rate) and rate >= 0
    assert s(t) == rate  # pure
    assert s(np.array([t]))[0] == rate  # scalar == vectorised


@settings(max_examples=100, deadline=None)
@given(c=st.floats(0.0, 1e3), t=st.integers(0, 10**9))
def test_constant_equals_its_value(c, t):
    assert Constant(c)(t) == c


monotone = st.one_of(
    st.builds(StepDecay, pos, steps, decay),
    st.builds(lambda a, ms, g: MultiStepDecay(a, sorted(set(ms)), g),
              pos, st.lists(steps, min_size=1, max_size=5), decay),
    st.builds(ExponentialDecay, pos, st.floats(1e-3, 0.999), steps, st.booleans()),
    st.builds(InverseTimeDecay, pos, st.floats(0.0, 10.0), steps, st.booleans()),
    st.builds(lambda a, f, T: LinearSchedule(a, a * f, T), pos, frac, steps),
    st.builds(lambda a, f, T, p: PolynomialDecay(a, a * f, T, p), pos, frac, steps,
              st.floats(0.1, 5.0)),
    st.builds(CosineDecay, pos, steps, frac, st.floats(0.1, 5.0)),
)


@settings(max_examples=200, deadline=None)
@given(s=monotone)
def test_decays_are_non_increasing(s):
    rates = s(np.arange(200))
    assert np.all(np.diff(rates) <= 0)


@settings(max_examples=100, deadline=None)
@given(a=pos, r=st.floats(1.0, 2.0), T=steps)
def test_exponential_growth_is_non_decreasing(a, r, T):
    # decay_rate > 1 grows the rate (e.g. a range test); it must not be refused.
    rates = ExponentialDecay(a, r, T)(np.arange(200))
    assert np.all(np.diff(rates) >= 0)


@settings(max_examples=100, deadline=None)
@given(a=pos, T=steps, f=frac)
def test_cosine_annealing_non_increasing_up_to_T_max(a, T, f):
    rates = CosineAnnealing(a, T, f * a)(np.arange(T + 1))
    assert np.all(np.diff(rates) <= 0)


@settings(max_examples=200, deadline=None)
@given(peak=pos, f=frac, W=st.integers(1, 100))
def test_warmup_non_decreasing_up_to_the_target(peak, f, W):
    s = Warmup(CosineDecay(peak, 50), W, init_value=f * peak)
    rates = s(np.arange(W + 1))
    assert np.all(np.diff(rates) >= 0)
    assert rates[-1] == peak


# ------------------------------------------------------- modern schedules --

def _wsd_by_hand(peak, W, D, T, init, end, shape, t):
    """Hägele et al. (2024), section 3 and their wsd_schedule, written out."""
    if t < W:
        return init + (peak - init) * t / W
    if t < T - D:
        return peak
    if t >= T:
        return end
    u = (t - (T - D)) / D
    phi = {"linear": 1 - u, "cosine": 0.5 * (1 + math.cos(math.pi * u)),
           "1-sqrt": 1 - math.sqrt(u)}[shape]
    return end + (peak - end) * phi


@pytest.mark.parametrize("shape", ["linear", "cosine", "1-sqrt"])
def test_wsd_by_hand_at_every_boundary(shape):
    peak, W, D, T, init, end = 0.3, 7, 12, 50, 0.01, 0.002
    s = WarmupStableDecay(peak, W, D, T, init, end, shape)
    ts = [0, 1, W - 1, W, W + 1, T - D - 1, T - D, T - D + 1, T - 1, T, T + 1, 10 * T]
    exact(curve(s, ts), [_wsd_by_hand(peak, W, D, T, init, end, shape, t) for t in ts])
    assert s(W) == peak and s(T - D) == peak and s(T) == end and s(10**9) == end


def test_wsd_cooldown_values_by_hand():
    # D = 4 from T0 = 6: u = 0, 1/4, 1/2, 3/4, then the end value at T = 10
    t = [6, 7, 8, 9, 10]
    exact(curve(WarmupStableDecay(1.0, 2, 4, 10, decay_shape="linear"), t),
          [1.0, 0.75, 0.5, 0.25, 0.0])
    exact(curve(WarmupStableDecay(1.0, 2, 4, 10, decay_shape="1-sqrt"), t),
          [1.0, 0.5, 1 - math.sqrt(0.5), 1 - math.sqrt(0.75), 0.0])
    exact(curve(WarmupStableDecay(1.0, 2, 4, 10, decay_shape="cosine"), t[1:4]),
          [(1 + math.cos(math.pi / 4)) / 2, 0.5, (1 + math.cos(3 * math.pi / 4)) / 2])


def test_wsd_without_warmup_and_without_stable_phase():
    s = WarmupStableDecay(0.5, 0, 10, 10, init_value=0.2, decay_shape="linear")
    exact(curve(s, [0, 1, 5, 10]), [0.5, 0.45, 0.25, 0.0])       # init unused when W = 0
    s = WarmupStableDecay(1.0, 5, 5, 10, decay_shape="linear")   # warmup, then cooldown
    exact(curve(s, [4, 5, 6, 10]), [0.8, 1.0, 0.8, 0.0])


def test_wsd_stable_phase_does_not_depend_on_the_horizon():
    short, long = WarmupStableDecay(0.1, 10, 20, 200), WarmupStableDecay(0.1, 10, 20, 2000)
    t = np.arange(180)
    assert_array_equal(short(t), long(t))


def test_wsd_equals_hagele_code_convention():
    # their wsd_schedule(n_iterations=T, fract_decay=f, init_div_factor=100,
    # final_lr_factor=0): D = int(f * T), warmup from peak/100; factor at step t
    T, f, W, peak = 1000, 0.2, 50, 3e-3
    D = int(f * T)
    s = WarmupStableDecay(peak, W, D, T, init_value=peak / 100, decay_shape="1-sqrt")
    for t in (0, 25, 49, 50, 799, 800, 801, 900, 999, 1000, 1500):
        if t < W:
            factor = t / W + (1 - t / W) / 100
        elif t < T - D:
            factor = 1.0
        elif t < T:
            factor = 1 - math.sqrt((t - (T - D)) / D)
        else:
            factor = 0.0
        assert abs(s(t) - peak * factor) <= 1e-15 * peak, t


def test_wsd_transformers_printed_by_hand():
    # transformers get_wsd_schedule(num_warmup_steps=2, num_decay_steps=4,
    # num_training_steps=10, decay_type="1-sqrt", min_lr_ratio=0.1), base lr 1:
    # warmup factor 0.1 + 0.9 * t / 2, cooldown 0.1 + 0.9 * (1 - sqrt(u)).
    s = WarmupStableDecay(1.0, 2, 4, 10, init_value=0.1, end_value=0.1)
    exact(curve(s, [0, 1, 2, 7, 10, 11]),
          [0.1, 0.55, 1.0, 0.1 + 0.9 * 0.5, 0.1, 0.1])


def test_inverse_sqrt_fairseq_by_hand():
    # Fairseq step_update(t): warmup_init_lr + t * lr_step for t < W,
    # lr * sqrt(W) * t ** -0.5 after (inverse_square_root_schedule.py)
    lr, W, init = 5e-4, 4000, 1e-7
    s = InverseSqrtDecay(lr, W, init_value=init)
    step = (lr - init) / W
    ts = [0, 1, W - 1, W, W + 1, 4 * W, 10**7]
    expected = [init + t * step if t < W else lr * W ** 0.5 * t ** -0.5 for t in ts]
    exact(curve(s, ts), expected)
    assert s(0) == init and s(W) == lr and s(4 * W) == lr / 2


def test_inverse_sqrt_default_first_rate_is_zero():
    # the trap: Fairseq's default warmup_init_lr gives the first update rate 0
    s = InverseSqrtDecay(1e-3, 100)
    assert s(0) == 0.0 and s(1) == 1e-5


def test_inverse_sqrt_vaswani_by_hand():
    d, w = 512, 4000
    v = InverseSqrtDecay.vaswani(d, w)
    ts = np.array([0, 1, 2, w - 2, w - 1, w, w + 1, 10 * w, 10**6])
    n = ts + 1.0                                    # the paper's step number
    expected = [d ** -0.5 * min(k ** -0.5, k * w ** -1.5) for k in n]
    exact(v(ts), expected)
    assert v(0) > 0
    exact(InverseSqrtDecay.vaswani(64, 1)(np.arange(5)), 64 ** -0.5 / np.sqrt(np.arange(1, 6)))


def test_inverse_sqrt_t5_and_transformers_timescale():
    W = 10_000                                      # T5: 1/sqrt(max(t, W))
    t5 = InverseSqrtDecay(W ** -0.5, W, init_value=W ** -0.5)
    ts = [0, W - 1, W, W + 1, 4 * W]
    exact(curve(t5, ts), [1 / math.sqrt(max(t, W)) for t in ts])
    # transformers: t / W in warmup, then 1 / sqrt((t + tau - W) / tau)
    s = InverseSqrtDecay(2.0, 5, timescale=20)
    ts = [0, 4, 5, 6, 100]
    exact(curve(s, ts), [2.0 * t / 5 if t < 5 else 2.0 / math.sqrt((t + 15) / 20)
                         for t in ts])
    exact(curve(InverseSqrtDecay(1.0, 0, timescale=3), [0, 1, 6]),
          [1.0, math.sqrt(3 / 4), math.sqrt(3 / 9)])


@settings(max_examples=150, deadline=None)
@given(peak=pos, W=st.integers(0, 30), D=st.integers(1, 30), extra=st.integers(0, 60),
       f=frac, g=frac, shape=st.sampled_from(["linear", "cosine", "1-sqrt"]))
def test_wsd_rises_holds_then_falls(peak, W, D, extra, f, g, shape):
    s = WarmupStableDecay(peak, W, D, W + D + extra, f * peak, g * peak, shape)
    T = W + D + extra
    r = s(np.arange(T + 5))
    assert np.all(np.diff(r[:W + 1]) >= 0) and np.all(r[W:T - D + 1] == peak)
    assert np.all(np.diff(r[T - D:]) <= 0) and np.all(r[T:] == g * peak)
    assert np.all(r >= 0) and np.all(r <= peak)


@settings(max_examples=150, deadline=None)
@given(peak=pos, W=st.integers(1, 60), f=frac, tau=st.one_of(st.none(), st.integers(1, 100)))
def test_inverse_sqrt_rises_then_decays(peak, W, f, tau):
    s = InverseSqrtDecay(peak, W, f * peak, tau)
    r = s(np.arange(W + 200))
    assert np.all(np.diff(r[:W + 1]) >= 0) and r[W] == peak
    assert np.all(np.diff(r[W:]) <= 0) and np.all(r[1:] > 0)


BAD_MODERN = [
    (lambda: WarmupStableDecay(0.1, 10, 20, 29), ValueError, r"total_steps.*>= 30"),
    (lambda: WarmupStableDecay(0.1, 10, 0, 100), ValueError, "decay_steps"),
    (lambda: WarmupStableDecay(0.1, -1, 5, 100), ValueError, "warmup_steps"),
    (lambda: WarmupStableDecay(-0.1, 1, 5, 100), ValueError, "peak_value"),
    (lambda: WarmupStableDecay(0.1, 1, 5, 100, end_value=-1.0), ValueError, "end_value"),
    (lambda: WarmupStableDecay(0.1, 1, 5, 100, init_value=math.nan), ValueError, "init_value"),
    (lambda: WarmupStableDecay(0.1, 1, 5, 100, decay_shape="sqrt"), ValueError, "decay_shape"),
    (lambda: WarmupStableDecay(0.1, 1, 5, 100.0), TypeError, "total_steps"),
    (lambda: InverseSqrtDecay(0.1, 0), ValueError, "timescale"),
    (lambda: InverseSqrtDecay(0.1, 10, timescale=0), ValueError, "timescale"),
    (lambda: InverseSqrtDecay(0.1, -1), ValueError, "warmup_steps"),
    (lambda: InverseSqrtDecay(math.inf, 10), ValueError, "peak_value"),
    (lambda: InverseSqrtDecay(0.1, 10, init_value=-1.0), ValueError, "init_value"),
    (lambda: InverseSqrtDecay.vaswani(512, 0), ValueError, "warmup_steps"),
    (lambda: InverseSqrtDecay.vaswani(0.5, 10), TypeError, "d_model"),
]


@pytest.mark.parametrize("make, error, match", BAD_MODERN, ids=[m for _, _, m in BAD_MODERN])
def test_modern_schedules_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ---------------------------------------------------------------- bad input --

BAD = [
    (lambda: Constant(-0.1), ValueError, "value"),
    (lambda: Constant("0.1"), TypeError, "value"),
    (lambda: StepDecay(0.1, 0), ValueError, "step_size"),
    (lambda: StepDecay(0.1, 2.0), TypeError, "step_size"),
    (lambda: StepDecay(0.1, 2, gamma=-0.5), ValueError, r"gamma.*>= 0"),
    (lambda: StepDecay(0.1, 2, gamma=math.inf), ValueError, "gamma"),
    (lambda: StepDecay(-0.1, 2), ValueError, "init_value"),
    (lambda: StepDecay(math.nan, 2), ValueError, "init_value"),
    (lambda: MultiStepDecay(0.1, (5, 5)), ValueError, "milestones.*strictly increasing"),
    (lambda: MultiStepDecay(0.1, (-1, 5)), ValueError, "milestones"),
    (lambda: MultiStepDecay(0.1, 5), TypeError, "milestones"),
    (lambda: MultiStepDecay(0.1, (1.5,)), TypeError, "milestones"),
    (lambda: MultiStepDecay(0.1, (3,), gamma=-1), ValueError, "gamma"),
    (lambda: PiecewiseConstant((10,), (1.0,)), ValueError, "values"),
    (lambda: PiecewiseConstant((10, 5), (1.0, 0.5, 0.1)), ValueError, "boundaries"),
    (lambda: PiecewiseConstant((10,), (1.0, -0.5)), ValueError, "values"),
    (lambda: PiecewiseConstant((10,), 1.0), TypeError, "values"),
    (lambda: ExponentialDecay(0.1, -0.5), ValueError, "decay_rate"),
    (lambda: ExponentialDecay(0.1, 0.5, 0), ValueError, "decay_steps"),
    (lambda: ExponentialDecay(0.1, 0.5, staircase=1), TypeError, "staircase"),
    (lambda: ExponentialDecay.from_factor(0.1, -1.0), ValueError, "gamma"),
    (lambda: ExponentialDecay.from_rate(0.1, 1.0), ValueError, "beta"),
    (lambda: ExponentialDecay.from_time_constant(0.1, 0.0), ValueError, "tau"),
    (lambda: InverseTimeDecay(0.1, -1.0), ValueError, "decay_rate"),
    (lambda: InverseTimeDecay(0.1, 1.0, decay_steps=0), ValueError, "decay_steps"),
    (lambda: LinearSchedule(0.1, 0.0, 0), ValueError, "transition_steps"),
    (lambda: LinearSchedule(0.1, -1.0, 10), ValueError, "end_value"),
    (lambda: PolynomialDecay(0.1, 0.0, 10, power=-1.0), ValueError, "power"),
    (lambda: PolynomialDecay(0.1, 0.0, 0), ValueError, "decay_steps"),
    (lambda: CosineDecay(0.1, 0), ValueError, "decay_steps"),
    (lambda: CosineDecay(0.1, 10, alpha=1.5), ValueError, r"alpha.*>= 0 and <= 1"),
    (lambda: CosineDecay(0.1, 10, exponent=0.0), ValueError, "exponent"),
    (lambda: CosineAnnealing(0.1, 0), ValueError, "T_max"),
    (lambda: CosineAnnealing(0.1, 10, eta_min=-0.2), ValueError, "eta_min"),
    (lambda: Warmup(0.1, 10), TypeError, "schedule"),
    (lambda: Warmup(Constant(0.1), 0), ValueError, "warmup_steps"),
    (lambda: Warmup(Constant(0.1), 5, init_value=-1.0), ValueError, "init_value"),
    (lambda: Join((Constant(0.1), Constant(0.2)), ()), ValueError, "boundaries"),
    (lambda: Join((Constant(0.1), Constant(0.2)), (0,)), ValueError, "boundaries"),
    (lambda: Join((Constant(0.1), 0.2), (5,)), TypeError, "schedules"),
    (lambda: Join((), ()), ValueError, "schedules"),
    (lambda: CosineWarmRestarts(0.1, 0), ValueError, "T_0"),
    (lambda: CosineWarmRestarts(0.1, 5, T_mult=0.5), ValueError, "T_mult"),
    (lambda: CosineWarmRestarts(0.1, 5, eta_min=-0.5), ValueError, "eta_min"),
    (lambda: CosineWarmRestarts(0.1, 5, m_mul=0.0), ValueError, "m_mul"),
    (lambda: Cyclic(0.1, 0.01), ValueError, "max_lr"),
    (lambda: Cyclic(0.01, 0.1, 0), ValueError, "step_size_up"),
    (lambda: Cyclic(0.01, 0.1, 4, 0), ValueError, "step_size_down"),
    (lambda: Cyclic(0.01, 0.1, mode="sine"), ValueError, "mode"),
    (lambda: Cyclic(0.01, 0.1, gamma=0.9), ValueError, "gamma"),
    (lambda: Cyclic(0.01, 0.1, mode="exp_range", gamma=-0.5), ValueError, "gamma"),
    (lambda: Cyclic(0.01, 0.1).momentum(0, base_momentum=0.9, max_momentum=0.8),
     ValueError, "max_momentum"),
    (lambda: OneCycle(-1.0, 100), ValueError, "max_lr"),
    (lambda: OneCycle(1.0, 1), ValueError, "total_steps"),
    (lambda: OneCycle(1.0, 100, pct_start=0.005), ValueError, "pct_start"),
    (lambda: OneCycle(1.0, 100, pct_start=1.0), ValueError, "pct_start"),
    (lambda: OneCycle(1.0, 100, pct_start=0.6, three_phase=True), ValueError, "pct_start"),
    (lambda: OneCycle(1.0, 100, anneal_strategy="exp"), ValueError, "anneal_strategy"),
    (lambda: OneCycle(1.0, 100, div_factor=0.0), ValueError, "div_factor"),
    (lambda: OneCycle(1.0, 100, final_div_factor=-1.0), ValueError, "final_div_factor"),
    (lambda: OneCycle(1.0, 100).momentum(0, base_momentum=1.0), ValueError, "base_momentum"),
    (lambda: ReduceLROnPlateau(0.1, factor=1.0), ValueError, r"factor.*>= 0 and < 1"),
    (lambda: LambdaSchedule(0.1, 0.5), TypeError, "fn"),
    (lambda: LambdaSchedule(-0.1, lambda t: 1.0), ValueError, "init_value"),
    (lambda: LambdaSchedule(0.1, lambda t: -1.0)(3), ValueError, r"fn\(3\) must be .* >= 0"),
    (lambda: LambdaSchedule(0.1, lambda t: math.nan)(0), ValueError, r"fn\(0\)"),
    (lambda: LambdaSchedule(0.1, lambda t: "1")(0), TypeError, r"fn\(0\)"),
    (lambda: LambdaSchedule(0.1, lambda t: None)(0), TypeError, r"fn\(0\)"),
    (lambda: Multiplicative(0.1, None), TypeError, "fn"),
    (lambda: Multiplicative(0.1, lambda s: 0.9 if s < 4 else -0.9)(10), ValueError,
     r"fn\(4\)"),
    (lambda: Multiplicative(0.1, lambda s: math.inf)(2), ValueError, r"fn\(1\)"),
    (lambda: Multiplicative(0.1, lambda s: 0.9)(10**7 + 1), ValueError, r"t must be <= 10000000"),
    (lambda: Chained(()), ValueError, "schedules"),
    (lambda: Chained(Constant(0.1)), TypeError, "schedules"),
    (lambda: Chained((Constant(0.1), 2.0)), TypeError, r"schedules\[1\]"),
    (lambda: Chained((Constant(0.1), lambda t: -t))(np.arange(3)), ValueError,
     r"schedules\[1\] must give rates >= 0"),
    (lambda: ReduceLROnPlateau(0.1, patience=-1), ValueError, "patience"),
    (lambda: ReduceLROnPlateau(0.1, mode="auto"), ValueError, "mode"),
    (lambda: ReduceLROnPlateau(0.1, threshold_mode="pct"), ValueError, "threshold_mode"),
    (lambda: ReduceLROnPlateau(0.1, threshold=-1e-4), ValueError, "threshold"),
    (lambda: ReduceLROnPlateau(0.1, cooldown=1.5), TypeError, "cooldown"),
    (lambda: ReduceLROnPlateau(0.1, min_lr=-1.0), ValueError, "min_lr"),
    (lambda: ReduceLROnPlateau(0.1, eps=-1.0), ValueError, "eps"),
    (lambda: ReduceLROnPlateau(0.1).step("0.5"), TypeError, "metric"),
    (lambda: ReduceLROnPlateau(0.1).step(True), TypeError, "metric"),
]


@pytest.mark.parametrize("make, error, match", BAD, ids=[m for _, _, m in BAD])
def test_bad_arguments_raise_and_name_the_parameter(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_per_run_stacks_the_schedules_columnwise():
    pieces = (CosineDecay(0.1, 20), StepDecay(0.05, 3), Constant(0.2))
    s = PerRun(pieces + (0.3,))
    t = np.arange(25)
    curve = s(t)
    assert curve.shape == (25, 4)
    for i, piece in enumerate(pieces):
        assert_array_equal(curve[:, i], piece(t))
        assert_array_equal(s(7)[i], piece(7))
    assert_array_equal(curve[:, 3], np.full(25, 0.3))
    assert s(np.array([[1, 2]])).shape == (1, 2, 4)


def test_per_run_rejects_bad_pieces():
    with pytest.raises(TypeError, match="schedules"):
        PerRun(0.1)
    with pytest.raises(ValueError, match="schedules"):
        PerRun(())
    with pytest.raises(ValueError, match=r"schedules\[1\]"):
        PerRun((0.1, -0.2))
    with pytest.raises(TypeError, match=r"schedules\[0\]"):
        PerRun((lambda t: 0.1,))
    with pytest.raises(ValueError, match="t"):
        PerRun((0.1,))(-1)
