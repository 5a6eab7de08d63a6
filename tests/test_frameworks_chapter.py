"""The frameworks chapter's numbers, held to what the frameworks print.

The chapter puts lrtutor's values beside the values PyTorch, optax and Keras
print; these tests hold lrtutor to them, so the page can read as a lesson.
Printed framework values carry 6 digits: atol is half a unit in the last
digit printed (5e-7 or 5e-8), and 3e-6 for float32 framework values
(float32 rounding of a value near 1 is 6e-8, amplified over three steps);
lrtutor's own identities are held at rtol 1e-12 (a few ulps).
"""

import numpy as np

import lrtutor as lrt
from lrtutor.schedules import (Constant, CosineAnnealing, CosineDecay, Join,
                               LinearSchedule, MultiStepDecay, OneCycle,
                               PiecewiseConstant, PolynomialDecay,
                               ExponentialDecay, InverseTimeDecay,
                               ReduceLROnPlateau, StepDecay, Warmup)

q = lrt.problems.Quadratic.one_d(1.0)    # f = x**2/2, gradient x, from x0 = 1
O = lrt.optim


def first3(opt):
    return lrt.train.run(q, opt, [1.0], 3).params[1:, 0]


def test_linear_warmup_rates_used_in_both_loop_orders():
    # the chapter's cell 4
    # torch LinearLR(start_factor=0.1, total_iters=4), base lr 0.1
    warmup = LinearSchedule(0.01, 0.1, 4)
    right = lrt.theory.scheduler_rates_used(warmup, 6)
    wrong = lrt.theory.scheduler_rates_used(warmup, 6, scheduler_first=True)

    # the values PyTorch 2.13 prints for this LinearLR:
    # 0.01, 0.0325, 0.055, 0.0775, 0.1, 0.1
    np.testing.assert_allclose(right, [0.01, 0.0325, 0.055, 0.0775, 0.1, 0.1],
                               rtol=1e-12)
    np.testing.assert_allclose(wrong, right[1:].tolist() + [0.1], rtol=1e-12)


def test_keras_per_epoch_and_legacy_decay():
    # the chapter's cell 6
    # LearningRateScheduler(lambda epoch, lr: 0.05 * 0.5 ** (epoch // 2))
    per_epoch = StepDecay(0.05, step_size=2, gamma=0.5)
    # the rates Keras's callback sets, epochs 0-5
    np.testing.assert_allclose(per_epoch(np.arange(6)),
                               [0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125],
                               rtol=1e-12)
    # legacy SGD(0.01, decay=0.001); LambdaLR(lambda t: 1/(1 + 0.001*t))
    legacy_decay = InverseTimeDecay(0.01, decay_rate=0.001)
    t = np.array([0, 1, 1000, 3199])
    np.testing.assert_allclose(legacy_decay(t), 0.01 / (1 + 0.001 * t), rtol=1e-12)


def test_onecycle_matches_torch():
    # the chapter's cell 8
    onecycle = OneCycle(1.0, total_steps=100)
    steps = np.array([0, 10, 29, 30, 50, 99])
    # torch 2.13, printed to 6 digits
    torch_onecycle = [0.04, 0.295164, 1.0, 0.999497, 0.793893, 4e-6]

    np.testing.assert_allclose(onecycle(steps), torch_onecycle, rtol=0, atol=5e-7)
    np.testing.assert_allclose(
        OneCycle(1.0, 100, three_phase=True)(np.array([29, 58, 99])),
        [1.0, 0.04, 4e-6], rtol=0, atol=5e-7)


def test_linear_and_polynomial_match_torch():
    # the chapter's cell 12
    lin = LinearSchedule(0.05 * 0.05, 0.05, 40)
    # torch PolynomialLR(total_iters=50, power=0.9)
    poly = PolynomialDecay(0.05, 0.0, 50, power=0.9)

    # t = 0..4, printed by torch
    torch_linear = [0.0025, 0.0036875, 0.004875, 0.0060625, 0.00725]
    # t = 0..3
    torch_poly = [0.05, 0.0490991, 0.0481963, 0.0472917]
    np.testing.assert_allclose(lin(np.arange(5)), torch_linear, rtol=1e-12)
    np.testing.assert_allclose(lin(40), 0.05, rtol=1e-12)
    np.testing.assert_allclose(poly(np.arange(4)), torch_poly, rtol=0, atol=5e-8)
    np.testing.assert_allclose(poly(np.array([49, 50])), [0.00147876, 0.0],
                               rtol=0, atol=5e-9)


def test_warmup_cosine_matches_optax_and_keras():
    # the chapter's cell 14
    optax_like = Warmup(CosineDecay(1.0, 110 - 10, alpha=0.01 / 1.0), 10,
                        init_value=0.0)
    keras_like = Warmup(CosineDecay(0.1, 100), 10, init_value=0.0)

    t = np.array([5, 10, 60, 110])
    np.testing.assert_allclose(optax_like(t), [0.5, 1.0, 0.505, 0.01],
                               rtol=1e-12)  # optax 0.2.8
    np.testing.assert_allclose(keras_like(t), [0.05, 0.1, 0.05, 0.0],
                               rtol=0, atol=1e-12)  # Keras 3.15


def test_cosine_annealing_past_t_max():
    # the chapter's cell 19
    torch_cos, clamped = CosineAnnealing(0.1, T_max=10), CosineDecay(0.1, 10)
    t = np.array([5, 10, 15, 20])
    np.testing.assert_allclose(torch_cos(t), [0.05, 0.0, 0.05, 0.1],
                               rtol=0, atol=1e-15)  # torch 2.13
    np.testing.assert_allclose(clamped(t), [0.05, 0.0, 0.0, 0.0],
                               rtol=0, atol=1e-15)


def test_piecewise_and_multistep_boundaries():
    # the chapter's cell 25
    keras_pc = PiecewiseConstant((100, 110), (1.0, 0.5, 0.1))
    torch_ms = MultiStepDecay(0.05, (30, 80), gamma=0.1)
    # cumulative, left-closed
    optax_pc = PiecewiseConstant((99, 199), (1.0, 1.0 * 0.1, 1.0 * 0.1 * 0.01))

    np.testing.assert_allclose(keras_pc(np.array([100, 101, 110, 111])),
                               [1.0, 0.5, 0.5, 0.1], rtol=1e-12)
    np.testing.assert_allclose(torch_ms(np.array([29, 30, 79, 80])),
                               [0.05, 0.005, 0.005, 0.0005], rtol=1e-12)
    np.testing.assert_allclose(optax_pc(np.array([50, 99, 100, 200])),
                               [1.0, 1.0, 0.1, 0.001], rtol=1e-12)
    # the same drop written both ways: Keras boundary b == torch milestone b + 1
    t = np.arange(300)
    np.testing.assert_allclose(
        PiecewiseConstant((99, 199), (0.1, 0.01, 0.001))(t),
        MultiStepDecay(0.1, (100, 200), gamma=0.1)(t), rtol=1e-12)


def test_chained_and_sequential_match_torch():
    # the chapter's cell 27
    base = 0.05
    # ConstantLR(factor=0.1, total_iters=20)
    constant_factor = Join((Constant(0.1), Constant(1.0)), (20,))
    # ExponentialLR(gamma=0.9)
    exponential = ExponentialDecay(base, 0.9)
    # ChainedScheduler: factors multiply
    chained = lambda t: constant_factor(t) * exponential(t)
    sequential = Join((Constant(0.1 * base), ExponentialDecay(base, 0.9)), (20,))

    t = np.array([0, 1, 2, 19, 20, 21])
    # as run; some printed to 3 digits
    torch_chained = [0.005, 0.0045, 0.00405, 0.000675, 0.00607883, 0.00547]
    np.testing.assert_allclose(chained(t), torch_chained, rtol=0, atol=2e-6)
    np.testing.assert_allclose(sequential(np.array([0, 19, 20, 21, 22])),
                               [0.005, 0.005, 0.05, 0.045, 0.0405], rtol=1e-12)


def test_plateau_torch_and_keras_conventions():
    # the chapter's cell 31
    losses = [1.0] + [0.9] * 11
    torch_rule = ReduceLROnPlateau(0.1, factor=0.5, patience=2, cooldown=1,
                                   min_lr=0.01)
    keras_rule = ReduceLROnPlateau.keras(0.1, factor=0.5, patience=2, cooldown=1,
                                         min_lr=0.01)
    torch_lrs = [torch_rule.step(m) for m in losses]
    keras_lrs = [keras_rule.step(m) for m in losses]
    np.testing.assert_allclose(
        torch_lrs,
        [.1, .1, .1, .1, .05, .05, .05, .05, .025, .025, .025, .025],
        rtol=1e-12)
    np.testing.assert_allclose(
        keras_lrs,
        [.1, .1, .1, .05, .05, .025, .025, .0125, .0125, .01, .01, .01],
        rtol=1e-12)


def test_changing_rate_momentum_torch_and_keras():
    # the chapter's cell 33
    drop = lambda t: 0.1 if t < 3 else 0.01  # rate 0.1, 0.1, 0.1, 0.01, 0.01
    torch_path = lrt.train.run(q, lrt.optim.SGD(drop, momentum=0.9),
                               [1.0], 5).params[1:, 0]
    keras_path = lrt.train.run(q, lrt.optim.HeavyBall(drop, 0.9),
                               [1.0], 5).params[1:, 0]
    np.testing.assert_allclose(torch_path, [0.9, 0.72, 0.486, 0.46008, 0.432151],
                               rtol=0, atol=5e-7)
    np.testing.assert_allclose(keras_path, [0.9, 0.72, 0.486, 0.27054, 0.073921],
                               rtol=0, atol=5e-7)


def test_optimizers_match_printed_framework_values():
    # the chapter's cell 35
    checks = {   # lrtutor object: (framework, printed values)
        "Adam(0.1)": (O.Adam(0.1), "torch", [0.9, 0.800412, 0.701586]),
        "Adam(0.1) vs Keras": (O.Adam(0.1), "Keras",
                               [0.900001, 0.800414, 0.701589]),
        "AdamW(0.1, wd 0.1)": (O.AdamW(0.1, weight_decay=0.1), "torch",
                               [0.89, 0.781572, 0.675101]),
        "RMSprop(0.01)": (O.RMSprop(0.01), "torch", [0.9, 0.832918, 0.779982]),
        "RMSprop(0.01, alpha=0.9)": (O.RMSprop(0.01, alpha=0.9), "optax/Keras",
                                     [0.968377, 0.945788, 0.927053]),
        "AdaGrad(0.1)": (O.AdaGrad(0.1), "torch", [0.9, 0.833104, 0.780456]),
        "AdaGrad(0.1, acc 0.1)": (O.AdaGrad(0.1, initial_accumulator_value=0.1),
                                  "optax/Keras",
                                  [0.904654, 0.839339, 0.787513]),
    }
    for name, (opt, framework, ref) in checks.items():
        ours = first3(opt)
        # float32 references, 6 digits
        np.testing.assert_allclose(ours, ref, rtol=0, atol=3e-6)


def test_coupled_l2_in_adam():
    # the chapter's cell 37
    # f = x**2/2, minimiser 0: equal up to the tiny effect of eps
    # (a relative 4e-10 here, which the page prints as "4e-10"). By hand, the first
    # step: x1 = 1 - 0.1 * 1.1 / (1.1 + eps) against 1 - 0.1 / (1 + eps), a relative
    # gap of 0.1 * eps * (1 - 1 / 1.1) / 0.9 = 1.01e-10 (rtol 1e-4: a difference of
    # two numbers near 0.9 loses six of sixteen digits); it grows over three steps.
    gaps = np.abs(first3(O.Adam(0.1, weight_decay=0.1)) / first3(O.Adam(0.1)) - 1)
    np.testing.assert_allclose(gaps[0], 0.1 * 1e-8 * (1 - 1 / 1.1) / 0.9, rtol=1e-4)
    assert f"{gaps.max():.0e}" == "4e-10"

    # f = (x - 1)**2/2 from 0: the L2 term changes the path and the end point
    q1 = lrt.problems.Quadratic.one_d(1.0, minimizer=1.0)
    plain = lrt.train.run(q1, O.Adam(0.1), [0.0], 1000).params[:, 0]
    coupled = lrt.train.run(q1, O.Adam(0.1, weight_decay=0.1),
                            [0.0], 1000).params[:, 0]
    np.testing.assert_allclose([plain[-1], coupled[-1]], [1.0, 1 / 1.1],
                               rtol=1e-9)


# --- the exercises' solutions ---------------------------------------------------

def test_exercise_onecycle_with_gradient_accumulation():
    # 391 batches per epoch, ceil(391 / 4) = 98 updates, 1960 in 20 epochs; a horizon of
    # 7820 puts the peak at update 0.3 * 7820 - 1 = 2345, so every one of the 1960 rates
    # is still rising and the last is 0.0937 (max_lr 0.1).
    S = lrt.theory.steps_per_epoch(50_000, 128)
    assert (S, -(-S // 4)) == (391, 98)
    too_long = OneCycle(0.1, total_steps=20 * S)
    rates = too_long(np.arange(20 * S))
    assert int(np.argmax(rates)) == 2345
    assert np.all(np.diff(rates[:1960]) > 0)
    assert round(float(rates[1959]), 4) == 0.0937


def test_exercise_keras_cosine_in_epochs_stops_training():
    # CosineDecay(0.1, 10) read per batch: 0.05 at 5, 0.1 * (1 + cos(0.9 pi)) / 2 at 9,
    # and exactly 0 from batch 10 on (alpha = 0).
    rates = CosineDecay(0.1, 10)(np.arange(320))
    np.testing.assert_allclose(rates[[5, 9]], [0.05, 0.05 * (1 + np.cos(0.9 * np.pi))],
                               rtol=1e-12)
    assert np.all(rates[10:] == 0.0)


def test_exercise_plateau_translation():
    # Keras patience = torch patience + 1 and cooldown = torch cooldown + 1 cut at the
    # same epochs on the chapter's losses (and on a second sequence with recoveries);
    # on a loss falling 1e-5 per epoch from 2e-3, torch's relative threshold never
    # cuts, Keras's absolute min_delta 1e-4 halves at epochs 3, 6 and 9, and
    # min_delta 1e-7 never cuts.
    def rates(rule, losses):
        return [rule.step(m) for m in losses]

    for losses in ([1.0] + [0.9] * 11,
                   [1.0, 0.9, 0.91, 0.92, 0.93, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9,
                    0.7, 0.75, 0.76, 0.77, 0.78, 0.79, 0.8, 0.81]):
        torch_rule = ReduceLROnPlateau(0.1, factor=0.5, patience=2, cooldown=1, min_lr=0.01)
        keras_rule = ReduceLROnPlateau.keras(0.1, factor=0.5, patience=3, cooldown=2,
                                             min_lr=0.01)
        assert rates(torch_rule, losses) == rates(keras_rule, losses)
    small = [2e-3 * 0.995 ** e for e in range(12)]
    assert rates(ReduceLROnPlateau(0.1, factor=0.5, patience=2), small) == [0.1] * 12
    assert rates(ReduceLROnPlateau.keras(0.1, factor=0.5, patience=3), small) == \
        [0.1] * 3 + [0.05] * 3 + [0.025] * 3 + [0.0125] * 3
    assert rates(ReduceLROnPlateau.keras(0.1, factor=0.5, patience=3, min_delta=1e-7),
                 small) == [0.1] * 12


def test_exercise_keras_epsilon_is_a_step_dependent_epsilon():
    # Keras's first Adam step, written from its formula lr * sqrt(1 - b2) / (1 - b1) *
    # m / (sqrt(v) + eps_hat), equals lrtutor's Adam with eps = eps_hat / sqrt(1 - b2);
    # for g = 1e-6 it is 0.243 times PyTorch's (0.24265), and 0.897 at t = 1000.
    g, lr, b1, b2, eps_hat = 1e-6, 1e-3, 0.9, 0.999, 1e-7
    m, v = (1 - b1) * g, (1 - b2) * g ** 2
    keras_first = lr * np.sqrt(1 - b2) / (1 - b1) * m / (np.sqrt(v) + eps_hat)
    opt = O.Adam(lr, eps=eps_hat / np.sqrt(1 - b2))
    x = np.zeros(1)
    x_new, _ = opt.update(np.array([g]), opt.init(x), x)
    np.testing.assert_allclose(-x_new[0], keras_first, rtol=1e-12)
    torch_first = lr * g / (g + 1e-8)
    assert round(keras_first / torch_first, 3) == 0.243
    assert round((g + 1e-8) / (g + eps_hat / np.sqrt(1 - b2 ** 1000)), 3) == 0.897
