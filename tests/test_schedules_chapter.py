"""The schedules chapter's numbers, held to hand computations and framework values.

The chapter derives each schedule and prints its values; these tests hold
lrtutor to the by-hand formulas (rtol 1e-12: a few ulps of the same
arithmetic in another order) and to the values the frameworks print
(atol half a unit in the last printed digit), so the page can read as a lesson.
"""

import numpy as np
import pytest

from lrtutor import schedules as sch


@pytest.fixture(scope="module")
def torch_or_skip():
    # the exercises' PyTorch statements (torch 2.13.0); skipped without torch
    return pytest.importorskip("torch")


def test_step_decay_and_keras_piecewise():
    # the chapter's cell 6
    t = np.arange(100)
    eta0, k, gamma = 0.05, 30, 0.1
    by_hand = eta0 * gamma ** (t // k)
    np.testing.assert_allclose(by_hand, sch.StepDecay(eta0, k, gamma)(t),
                               rtol=1e-12)
    # torch StepLR(step_size=30) docs: 0.05 for t < 30, 0.005 for 30-59,
    # 0.0005 for 60-89
    np.testing.assert_allclose(by_hand[[29, 30, 59, 60, 89]],
                               [0.05, 0.005, 0.005, 0.0005, 0.0005], rtol=1e-12)

    keras_like = sch.PiecewiseConstant(boundaries=(1000, 2000),
                                       values=(0.01, 0.001, 0.0001))
    # values Keras 3.15 prints: 0.01 at 1000, 0.001 at 1500 and 2000,
    # 0.0001 at 2001 (the values are copied, not computed: exact)
    assert ([keras_like(v) for v in (1000, 1500, 2000, 2001)]
            == [0.01, 0.001, 0.001, 0.0001])
    # torch's milestones change the rate at the milestone, Keras's boundaries after it
    torch_like = sch.MultiStepDecay(0.01, milestones=(1000, 2000))
    np.testing.assert_allclose([torch_like(v) for v in (999, 1000, 1999, 2000)],
                               [0.01, 0.001, 0.001, 0.0001], rtol=1e-12)


def test_three_spellings_of_exponential_decay():
    # the chapter's cell 8
    eta0, gamma = 0.1, 0.99
    beta, tau = 1 - gamma, -1 / np.log(gamma)
    t = np.arange(1001)
    forms = [sch.ExponentialDecay.from_factor(eta0, gamma),
             sch.ExponentialDecay.from_rate(eta0, beta),
             sch.ExponentialDecay.from_time_constant(eta0, tau)]
    np.testing.assert_allclose(forms[0](t), eta0 * gamma ** t, rtol=1e-12)
    for f in forms[1:]:
        np.testing.assert_allclose(f(t), forms[0](t), rtol=1e-12)


def test_exponential_to_one_percent():
    # the chapter's cell 10
    T = 1000
    t = np.arange(1001)
    naive = sch.ExponentialDecay.from_time_constant(0.1, tau=T)
    np.testing.assert_allclose(naive(T), 0.1 / np.e, rtol=1e-12)
    # 0.1 * 0.01**(t/T)
    by_100 = sch.ExponentialDecay(0.1, decay_rate=0.01, decay_steps=T)
    same = sch.ExponentialDecay.from_time_constant(0.1, tau=T / np.log(100))
    np.testing.assert_allclose(same(t), by_100(t), rtol=1e-12)


def test_legacy_inverse_time_decay():
    # the chapter's cell 12
    # legacy decay=0.001
    inverse = sch.InverseTimeDecay(0.01, decay_rate=0.001)
    # 0.01 / (1 + 0.1), as Keras's legacy decay printed it (8 decimals)
    assert round(inverse(100), 8) == 0.00909091


def test_polynomial_decay_by_hand_and_torch():
    # the chapter's cell 15
    poly = sch.PolynomialDecay(0.05, 0.0, decay_steps=50, power=0.9)
    t = np.array([0, 1, 2, 3, 49, 50, 60])
    by_hand = (0.05 - 0.0) * (1 - np.minimum(t, 50) / 50) ** 0.9
    np.testing.assert_allclose(poly(t), by_hand, rtol=1e-12)
    np.testing.assert_allclose(poly(t), [0.05, 0.0490991, 0.0481963, 0.0472917,
                                         0.00147876, 0, 0],
                               atol=5e-8)  # reference printed to 7 decimals


def test_cosine_by_hand_and_frameworks():
    # the chapter's cell 17
    eta0, T = 0.1, 1000
    t = np.arange(T + 1)

    cosine = sch.CosineDecay(eta0, decay_steps=T)
    by_hand = 0.5 * eta0 * (1 + np.cos(np.pi * t / T))
    np.testing.assert_allclose(cosine(t), by_hand, rtol=1e-12, atol=1e-18)
    # optax / Keras / torch reference at t = 0, 250, 500, 750, 1000
    np.testing.assert_allclose(cosine(np.array([0, 250, 500, 750, 1000])),
                               [0.1, 0.08536, 0.05, 0.01464, 0.0], atol=5e-6)


def test_source_warmup_recursion_and_linear_warmup():
    # the chapter's cell 20
    eta_max, eta_min = 0.1, 0.001

    # the source article's rule, solved: eta_max - (eta_max - eta_min) * H_t
    def source_warmup(t):
        harmonic = np.array([np.sum(1.0 / np.arange(1, k + 1))
                             for k in np.atleast_1d(t)])
        return (eta_max - (eta_max - eta_min) * harmonic).reshape(np.shape(t))

    rates = [eta_max]
    # the recursion itself, from t = 1 (t = 0 divides by zero)
    for step in range(1, 11):
        rates.append(rates[-1] - (eta_max - eta_min) / step)
    np.testing.assert_allclose(rates, source_warmup(np.arange(11)), rtol=1e-12)

    warm = sch.Warmup(sch.Constant(eta_max), warmup_steps=5, init_value=eta_min)
    np.testing.assert_allclose(warm(np.arange(7)),
                               [0.001, 0.0208, 0.0406, 0.0604, 0.0802, 0.1, 0.1],
                               rtol=1e-12)


def test_warmup_cosine_optax_and_keras():
    # the chapter's cell 22
    # optax (0, 1, 10, 110, end .01)
    optax_like = sch.Warmup(
        sch.CosineDecay(1.0, decay_steps=110 - 10, alpha=0.01), 10)
    # Keras (0, 100, target .1, W 10)
    keras_like = sch.Warmup(sch.CosineDecay(0.1, decay_steps=100), 10)
    np.testing.assert_allclose(optax_like(np.array([5, 10, 60, 110])),
                               [0.5, 1.0, 0.505, 0.01], rtol=1e-12)
    np.testing.assert_allclose(keras_like(np.array([5, 10, 60, 110])),
                               [0.05, 0.1, 0.05, 0.0],
                               rtol=1e-12, atol=1e-18)


def test_cyclic_restarts_onecycle_match_torch():
    # the chapter's cell 25
    # Smith's triangle (eq-sched-cyclic), written from scratch, against lrtutor's
    # torch-style Cyclic
    lo, hi, u = 0.01, 0.1, 4
    t = np.arange(40)
    c = np.floor(1 + t / (2 * u))
    x = np.abs(t / u - 2 * c + 1)
    for mode, sigma in [("triangular", 1.0), ("triangular2", 0.5 ** (c - 1)),
                        ("exp_range", 0.9 ** t)]:
        by_hand = lo + (hi - lo) * np.maximum(0, 1 - x) * sigma
        gamma = 0.9 if mode == "exp_range" else 1.0
        np.testing.assert_allclose(
            sch.Cyclic(lo, hi, u, mode=mode, gamma=gamma)(t), by_hand, rtol=1e-12)

    # the values PyTorch 2.13 prints
    np.testing.assert_allclose(
        sch.Cyclic(lo, hi, u, mode="exp_range", gamma=0.9)(np.arange(6)),
        [.01, .03025, .04645, .0592075, .069049, .0498581],
        atol=5e-8)  # printed to 7 decimals
    restarts = sch.CosineWarmRestarts(0.1, T_0=5, T_mult=2, eta_min=1e-3)
    np.testing.assert_allclose(restarts(np.array([0, 1, 4, 5, 10, 14, 15])),
                               [.1, .0905463, .0104537, .1, .0505, .0034227, .1],
                               atol=5e-8)
    one = sch.OneCycle(1.0, total_steps=100)
    np.testing.assert_allclose(one(np.array([0, 10, 29, 30, 50, 99])),
                               [.04, .295164, 1.0, .999497, .793893, 4e-6],
                               atol=5e-7)  # printed to 6 decimals


def test_cosine_source_formula_negative_past_T():
    # the chapter's cell 17 and the caption of fig-sched-cosine: past T the source's
    # formula is negative again for t = 1001 ... 1666 (T < t < 5T/3), then climbs
    # back to eta_0 at 2T. Sign by hand: (1 - t/T)^3 < 0 and cos(3 pi t / 2T) > 0
    # for 1 < t/T < 5/3.
    eta0, T = 0.1, 1000
    past = np.arange(T + 1, 2 * T + 1)
    rate = eta0 * (1 - past / T) ** 3 * np.cos(3 * np.pi * past / (2 * T))
    negative = past[rate < 0]
    assert (negative[0], negative[-1], negative.size) == (1001, 1666, 666)
    np.testing.assert_allclose(rate[-1], eta0, rtol=1e-12)


def test_exercise_per_epoch_exponential_as_a_per_update_staircase():
    # exercise 1: torch ExponentialLR(0.95) stepped per epoch of 390 updates is
    # 0.1 * 0.95**floor(t / 390) (hand formula); smooth decay is 0.0950125 at t = 389
    t = np.arange(30 * 390)
    stair = sch.ExponentialDecay(0.1, decay_rate=0.95, decay_steps=390,
                                 staircase=True)
    np.testing.assert_allclose(stair(t), 0.1 * 0.95 ** (t // 390), rtol=1e-12)
    smooth = sch.ExponentialDecay(0.1, decay_rate=0.95, decay_steps=390)
    assert round(float(smooth(389)), 4) == 0.0950
    assert round(float(stair(29 * 390)), 5) == 0.02259
    # (b) stepped per batch by mistake
    per_batch = sch.ExponentialDecay.from_factor(0.1, 0.95)
    assert f"{per_batch(390):.1e}" == "2.1e-10"
    assert round(float(per_batch(10)), 4) == 0.0599


def test_exercise_one_cycle_stepped_per_epoch():
    # exercise 2: OneCycle(0.1, 1000) over t = 0..9 stays within 6 % of 0.1 / 25;
    # the values torch 2.13.0 prints for OneCycleLR(max_lr=0.1, epochs=10,
    # steps_per_epoch=100) stepped ten times (6 decimals)
    rates = sch.OneCycle(0.1, total_steps=1000)(np.arange(10))
    np.testing.assert_allclose(
        rates, [0.004, 0.004003, 0.004011, 0.004024, 0.004042, 0.004066,
                0.004095, 0.00413, 0.004169, 0.004214], atol=5e-7)
    assert rates.max() / 0.004 < 1.06
    assert int(np.argmax(sch.OneCycle(0.1, 1000)(np.arange(1000)))) == 299


def test_exercise_warmup_cosine_in_torch(torch_or_skip):
    # exercise 3: LinearLR(start_factor=1e-8, total_iters=100) then
    # CosineAnnealingLR(T_max=900) in SequentialLR(milestones=[100]) agrees with
    # Warmup(CosineDecay(0.1, 900), 100) to 1e-9 (the first rate, 0.1 * 1e-8,
    # against 0) plus float rounding; LinearLR refuses start_factor=0.
    torch = torch_or_skip
    lrs = torch.optim.lr_scheduler
    p = [torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="greater than 0"):
        lrs.LinearLR(opt, start_factor=0.0, total_iters=100)
    seq = lrs.SequentialLR(
        opt, [lrs.LinearLR(opt, start_factor=1e-8, end_factor=1.0, total_iters=100),
              lrs.CosineAnnealingLR(opt, T_max=900)], milestones=[100])
    got = []
    for _ in range(1001):
        got.append(seq.get_last_lr()[0])
        opt.step()
        seq.step()
    ours = sch.Warmup(sch.CosineDecay(0.1, 900), 100)(np.arange(1001))
    np.testing.assert_allclose(got, ours, rtol=0, atol=1e-9 + 1e-15)
    np.testing.assert_allclose(ours[[100, 550, 1000]], [0.1, 0.05, 0.0],
                               rtol=1e-12, atol=1e-17)


def test_cyclic_and_onecycle_are_documented_per_batch(torch_or_skip):
    # cell 24: "PyTorch's documentation asks for CyclicLR and OneCycleLR to be
    # stepped after every batch (torch 2.13.0)"
    lrs = torch_or_skip.optim.lr_scheduler
    for cls in (lrs.CyclicLR, lrs.OneCycleLR):
        assert "after every batch" in " ".join(cls.__doc__.split())


def test_exercise_noise_floor_with_a_larger_batch():
    # exercise 4: mean gap over steps 401-800 and seeds 0-2 of constant-rate SGD
    # (eta 0.5) on the chapter's regression, as the solution prints them (3
    # significant digits, hence rtol 2e-3); the predicted variance ratio
    # (192 / 8) / (168 / 32) = 4.57 by hand
    import lrtutor as lrt
    X, y = lrt.problems.make_linear_data(n=200, rng=np.random.default_rng(0))
    problem = lrt.problems.LinearRegression(X, y)
    f_star = problem.loss(problem.minimizer)

    def floor(batch_size):
        gaps = [lrt.train.run(problem, lrt.optim.SGD(lr=0.5), [0.0, 0.0], 800,
                              rng=np.random.default_rng(seed),
                              batch_size=batch_size).losses[-400:] - f_star
                for seed in range(3)]
        return np.mean(gaps)

    f8, f32 = floor(8), floor(32)
    np.testing.assert_allclose([f8, f32], [3.60e-2, 7.45e-3], rtol=2e-3)
    assert round(f8 / f32, 1) == 4.8
    assert round((192 / 8) / (168 / 32), 1) == 4.6
