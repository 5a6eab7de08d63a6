"""Tests of lrtutor.optim.

Expected values come from three independent places:

- CONVENTIONS B.8 and ERRATA PART 4: numbers printed by torch 2.13, optax 0.2.8
  and Keras 3.15.1. They are printed to 6 or 7 decimals, so they are compared
  with ``assert_printed`` (error at most half a unit in the last printed place)
  instead of ``rtol=1e-12``.
- Hand computations written out below step by step with plain arithmetic.
- Closed forms and exact identities between optimizers (``rtol=1e-12`` or
  bitwise).
"""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from lrtutor import optim, problems, train
from lrtutor.optim import (SGD, Adadelta, AdaGrad, Adam, Adamax, AdamW, EMAMomentum, HeavyBall,
                           Lion, NAdam, RAdam, RMSprop, ScheduleFreeAdamW, ScheduleFreeSGD,
                           Yogi)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def run(opt, x0, steps, grad=lambda x: x):
    """Iterates x_1..x_steps of ``opt`` from ``x0``; default f(x) = x**2/2 (grad x)."""
    x = np.asarray(x0, dtype=float)
    state = opt.init(x)
    xs = []
    for _ in range(steps):
        x, state = opt.update(grad(x), state, x)
        xs.append(x)
    return np.array(xs)


def run_grads(opt, x0, grads):
    """Iterates of a scalar parameter fed a fixed sequence of gradients."""
    x = np.array(x0, dtype=float)
    state = opt.init(x)
    xs = []
    for g in grads:
        x, state = opt.update(np.array(g, dtype=float), state, x)
        xs.append(float(x))
    return np.array(xs)


def assert_printed(actual, printed, decimals):
    """``actual`` rounds to ``printed``, a reference printed with ``decimals`` places."""
    half_unit = 0.5 * 10.0 ** -decimals
    assert_allclose(np.ravel(actual), printed, rtol=0, atol=half_unit * (1 + 1e-9))


LRS_CHANGING = [0.1, 0.1, 0.1, 0.01, 0.01]


def changing(t):
    return LRS_CHANGING[t]


# ---------------------------------------------------------------------------
# Framework reference values (CONVENTIONS B.8: f = x**2/2, x0 = 1, 6 decimals)
# ---------------------------------------------------------------------------

B8 = {
    # torch column
    "SGD lr .1": (SGD(lr=0.1), [0.9, 0.81, 0.729]),
    "SGD momentum .9": (SGD(lr=0.1, momentum=0.9), [0.9, 0.72, 0.486]),
    "SGD Nesterov": (SGD(lr=0.1, momentum=0.9, nesterov=True), [0.81, 0.5751, 0.327321]),
    "SGD dampening .5": (SGD(lr=0.1, momentum=0.9, dampening=0.5), [0.9, 0.765, 0.60525]),
    "Adam lr .1": (Adam(lr=0.1), [0.9, 0.800412, 0.701586]),
    "Adam + L2 .1 = plain Adam": (Adam(lr=0.1, weight_decay=0.1), [0.9, 0.800412, 0.701586]),
    "AdamW lr .1 wd .1": (AdamW(lr=0.1, weight_decay=0.1), [0.89, 0.781572, 0.675101]),
    "RMSprop lr .01": (RMSprop(lr=0.01), [0.9, 0.832918, 0.779982]),
    "Adagrad lr .1": (AdaGrad(lr=0.1), [0.9, 0.833104, 0.780456]),
    # Keras column, with the argument maps the Notes give
    "Keras SGD momentum": (HeavyBall(lr=0.1, beta=0.9), [0.9, 0.72, 0.486]),
    "Keras SGD Nesterov": (HeavyBall(lr=0.1, beta=0.9, nesterov=True),
                           [0.81, 0.5751, 0.327321]),
    "Keras RMSprop rho .9 (eps inside sqrt)": (RMSprop(lr=0.01, alpha=0.9),
                                               [0.968377, 0.945788, 0.927053]),
    "Keras/optax Adagrad accumulator .1": (AdaGrad(lr=0.1, initial_accumulator_value=0.1),
                                           [0.904654, 0.839339, 0.787513]),
}


@pytest.mark.parametrize("name", list(B8))
def test_framework_reference_values(name):
    opt, printed = B8[name]
    assert_printed(run(opt, [1.0], 3), printed, 6)


def test_changing_rate_separates_the_momentum_forms():
    # CONVENTIONS B.8, last row: lr .1,.1,.1,.01,.01, momentum .9, f = x**2/2 from 1
    torch = [0.9, 0.72, 0.486, 0.46008, 0.432151]
    keras = [0.9, 0.72, 0.486, 0.27054, 0.073921]
    assert_printed(run(SGD(lr=changing, momentum=0.9), [1.0], 5), torch, 6)
    assert_printed(run(HeavyBall(lr=changing, beta=0.9), [1.0], 5), keras, 6)
    # EMA momentum puts the rate outside, like torch: rates scaled by 1/(1-beta)
    ema = EMAMomentum(lr=lambda t: changing(t) / (1 - 0.9), beta=0.9)
    assert_printed(run(ema, [1.0], 5), torch, 6)


def test_errata_adam_gradient_sequence():
    # ERRATA PART 4 (torch.optim.Adam), printed to 7 decimals
    xs = run_grads(Adam(lr=1e-3), 0.0, [1, -0.5, 2, 0.3, 0.3])
    assert_printed(xs, [-0.001, -0.0012663, -0.0019244, -0.0025345, -0.0031161], 7)


@pytest.mark.parametrize("opt", [SGD(lr=0.01, momentum=0.9), HeavyBall(lr=0.01, beta=0.9)])
def test_errata_classical_momentum(opt):
    # ERRATA PART 4 (torch.optim.SGD), printed to 6 decimals
    assert_printed(run(opt, [1.0], 5), [0.99, 0.9711, 0.944379, 0.910886, 0.871634], 6)


def test_gradient_descent_closed_form():
    # x_t = (1 - lr * lam)^t x_0 on f = sum(lam * x**2) / 2
    lam = np.array([0.5, 1.0, 3.0])
    xs = run(SGD(lr=0.3), [1.0, -2.0, 0.5], 20, grad=lambda x: lam * x)
    t = np.arange(1, 21)[:, None]
    assert_allclose(xs, (1 - 0.3 * lam) ** t * np.array([1.0, -2.0, 0.5]), rtol=1e-12)


# ---------------------------------------------------------------------------
# Momentum: three forms, one method (for a constant rate)
# ---------------------------------------------------------------------------

def test_momentum_forms_agree_for_a_constant_rate():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    hessian = q @ np.diag([0.1, 0.3, 0.7, 1.2, 2.0]) @ q.T
    x0 = rng.standard_normal(5)
    lr, beta = 0.05, 0.9
    sgd = run(SGD(lr=lr, momentum=beta), x0, 50, grad=lambda x: hessian @ x)
    heavy = run(HeavyBall(lr=lr, beta=beta), x0, 50, grad=lambda x: hessian @ x)
    ema = run(EMAMomentum(lr=lr / (1 - beta), beta=beta), x0, 50, grad=lambda x: hessian @ x)
    assert np.max(np.abs(sgd - x0)) > 0.1           # it moved
    assert_allclose(heavy, sgd, rtol=1e-12)
    assert_allclose(ema, sgd, rtol=1e-12)
    nag = run(SGD(lr=lr, momentum=beta, nesterov=True), x0, 50, grad=lambda x: hessian @ x)
    nag_keras = run(HeavyBall(lr=lr, beta=beta, nesterov=True), x0, 50,
                    grad=lambda x: hessian @ x)
    assert_allclose(nag_keras, nag, rtol=1e-12)


# ---------------------------------------------------------------------------
# Hand computations (theta0 = 1 unless said, fixed gradient sequences)
# ---------------------------------------------------------------------------

GRADS = [0.5, -1.0, 2.0]


def test_sgd_by_hand_momentum_dampening_weight_decay():
    # lr .1, momentum .5, dampening .5, weight_decay .1
    # t=1: g = .5 + .1*1 = .6;        b = g = .6 (no dampening);          x = 1 - .06 = .94
    # t=2: g = -1 + .094 = -.906;     b = .5*.6 + .5*(-.906) = -.153;      x = .94 + .0153 = .9553
    # t=3: g = 2 + .09553 = 2.09553;  b = .5*(-.153) + .5*2.09553 = .971265; x = .8581735
    opt = SGD(lr=0.1, momentum=0.5, dampening=0.5, weight_decay=0.1)
    assert_allclose(run_grads(opt, 1.0, GRADS), [0.94, 0.9553, 0.8581735], rtol=1e-12)


def test_sgd_by_hand_nesterov_weight_decay():
    # lr .1, momentum .9, nesterov, weight_decay .1
    # t=1: g = .6; b = .6; d = .6 + .9*.6 = 1.14; x = 1 - .114 = .886
    # t=2: g = -1 + .0886 = -.9114; b = .54 - .9114 = -.3714;
    #      d = -.9114 + .9*(-.3714) = -1.24566; x = .886 + .124566 = 1.010566
    opt = SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)
    assert_allclose(run_grads(opt, 1.0, GRADS[:2]), [0.886, 1.010566], rtol=1e-12)


def test_heavy_ball_by_hand():
    # lr .1, beta .9: v = .9 v - .1 g
    # v1 = -.05, x1 = .95; v2 = -.045 + .1 = .055, x2 = 1.005; v3 = .0495 - .2 = -.1505, x3 = .8545
    assert_allclose(run_grads(HeavyBall(lr=0.1, beta=0.9), 1.0, GRADS),
                    [0.95, 1.005, 0.8545], rtol=1e-12)
    # Keras Nesterov: x += .9 v_new - .1 g
    # x1 = 1 - .045 - .05 = .905; x2 = .905 + .0495 + .1 = 1.0545;
    # x3 = 1.0545 - .13545 - .2 = .71905
    assert_allclose(run_grads(HeavyBall(lr=0.1, beta=0.9, nesterov=True), 1.0, GRADS),
                    [0.905, 1.0545, 0.71905], rtol=1e-12)


def test_ema_momentum_by_hand():
    # lr .1, beta .9: v = .9 v + .1 g; x -= .1 v
    # v1 = .05, x1 = .995; v2 = .045 - .1 = -.055, x2 = 1.0005;
    # v3 = -.0495 + .2 = .1505, x3 = .98545
    assert_allclose(run_grads(EMAMomentum(lr=0.1, beta=0.9), 1.0, GRADS),
                    [0.995, 1.0005, 0.98545], rtol=1e-12)


def test_adagrad_by_hand_lr_decay():
    # lr .1, lr_decay .5, theta0 = 0, grads 3, 4, 12: sums 9, 25, 169 (roots 3, 5, 13);
    # rates .1/(1 + 0), .1/(1 + .5), .1/(1 + 1)
    x1 = 0.0 - 0.1 * 3 / (3 + 1e-10)
    x2 = x1 - (0.1 / 1.5) * 4 / (5 + 1e-10)
    x3 = x2 - (0.1 / 2.0) * 12 / (13 + 1e-10)
    assert_allclose(run_grads(AdaGrad(lr=0.1, lr_decay=0.5), 0.0, [3, 4, 12]),
                    [x1, x2, x3], rtol=1e-12)


def test_adagrad_by_hand_weight_decay_initial_accumulator():
    # lr .1, weight_decay .1, initial_accumulator_value .5, eps 1e-10
    g1 = 0.5 + 0.1 * 1.0
    s1 = 0.5 + g1 ** 2
    x1 = 1.0 - 0.1 * g1 / (math.sqrt(s1) + 1e-10)
    g2 = -1.0 + 0.1 * x1
    s2 = s1 + g2 ** 2
    x2 = x1 - 0.1 * g2 / (math.sqrt(s2) + 1e-10)
    opt = AdaGrad(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5)
    assert_allclose(run_grads(opt, 1.0, GRADS[:2]), [x1, x2], rtol=1e-12)


def test_rmsprop_by_hand_centered():
    # lr .1, alpha .9, eps 1e-8, centered
    v1 = 0.1 * 0.5 ** 2                              # .025
    m1 = 0.1 * 0.5                                   # .05
    x1 = 1.0 - 0.1 * 0.5 / (math.sqrt(v1 - m1 ** 2) + 1e-8)     # sqrt(.0225) = .15
    v2 = 0.9 * v1 + 0.1 * 1.0                        # .1225
    m2 = 0.9 * m1 - 0.1                              # -.055
    x2 = x1 + 0.1 * 1.0 / (math.sqrt(v2 - m2 ** 2) + 1e-8)
    opt = RMSprop(lr=0.1, alpha=0.9, centered=True)
    assert_allclose(run_grads(opt, 1.0, GRADS[:2]), [x1, x2], rtol=1e-12)


def test_rmsprop_by_hand_momentum_weight_decay():
    # lr .1, alpha .9, eps 1e-8, momentum .5, weight_decay .1; buffer starts at 0
    g1 = 0.5 + 0.1 * 1.0
    v1 = 0.1 * g1 ** 2
    b1 = g1 / (math.sqrt(v1) + 1e-8)
    x1 = 1.0 - 0.1 * b1
    g2 = -1.0 + 0.1 * x1
    v2 = 0.9 * v1 + 0.1 * g2 ** 2
    b2 = 0.5 * b1 + g2 / (math.sqrt(v2) + 1e-8)
    x2 = x1 - 0.1 * b2
    opt = RMSprop(lr=0.1, alpha=0.9, momentum=0.5, weight_decay=0.1)
    assert_allclose(run_grads(opt, 1.0, GRADS[:2]), [x1, x2], rtol=1e-12)


def test_rmsprop_by_hand_centered_momentum():
    # lr .1, alpha .9, eps 1e-8, centered, momentum .5: the buffer accumulates
    # g / (sqrt(v - gbar^2) + eps), the *centered* denominator
    v1, m1 = 0.1 * 0.5 ** 2, 0.1 * 0.5              # .025, .05
    b1 = 0.5 / (math.sqrt(v1 - m1 ** 2) + 1e-8)       # .5 / .15
    x1 = 1.0 - 0.1 * b1
    v2, m2 = 0.9 * v1 + 0.1 * 1.0, 0.9 * m1 - 0.1     # .1225, -.055
    b2 = 0.5 * b1 - 1.0 / (math.sqrt(v2 - m2 ** 2) + 1e-8)
    x2 = x1 - 0.1 * b2
    opt = RMSprop(lr=0.1, alpha=0.9, centered=True, momentum=0.5)
    assert_allclose(run_grads(opt, 1.0, GRADS[:2]), [x1, x2], rtol=1e-12)


def test_adam_by_hand_amsgrad():
    # lr .1, betas (.5, .5), theta0 = 0, grads 2, .1
    # t=1: m = 1, v = 2, m_hat = 2, v_hat = 4 -> step .1 * 2 / (2 + eps)
    x1 = -0.1 * 2 / (2 + 1e-8)
    # t=2: m = .5 + .05 = .55, v = 1 + .005 = 1.005 < v_max = 2; corrections 1 - .25 = .75
    x2_ams = x1 - 0.1 * (0.55 / 0.75) / (math.sqrt(2 / 0.75) + 1e-8)
    x2_plain = x1 - 0.1 * (0.55 / 0.75) / (math.sqrt(1.005 / 0.75) + 1e-8)
    assert_allclose(run_grads(Adam(lr=0.1, betas=(0.5, 0.5), amsgrad=True), 0.0, [2, 0.1]),
                    [x1, x2_ams], rtol=1e-12)
    assert_allclose(run_grads(Adam(lr=0.1, betas=(0.5, 0.5)), 0.0, [2, 0.1]),
                    [x1, x2_plain], rtol=1e-12)
    assert abs(x2_ams - x2_plain) > 1e-3


def test_adam_by_hand_l2_weight_decay():
    # lr .1, default betas, weight_decay .1 (coupled: added to the gradient)
    g1 = 0.5 + 0.1 * 1.0
    x1 = 1.0 - 0.1 * g1 / (abs(g1) + 1e-8)           # m_hat = g, v_hat = g**2 at t = 1
    g2 = -1.0 + 0.1 * x1
    m2 = 0.9 * (0.1 * g1) + 0.1 * g2
    v2 = 0.999 * (0.001 * g1 ** 2) + 0.001 * g2 ** 2
    x2 = x1 - 0.1 * (m2 / (1 - 0.9 ** 2)) / (math.sqrt(v2 / (1 - 0.999 ** 2)) + 1e-8)
    assert_allclose(run_grads(Adam(lr=0.1, weight_decay=0.1), 1.0, GRADS[:2]), [x1, x2],
                    rtol=1e-12)


def test_adamw_by_hand():
    # lr .1, weight_decay .1: x <- x * (1 - .01), then the Adam step on the raw gradient
    x1 = 1.0 * (1 - 0.01) - 0.1 * 0.5 / (0.5 + 1e-8)
    m2 = 0.9 * 0.05 + 0.1 * (-1.0)                   # -.055
    v2 = 0.999 * 0.00025 + 0.001 * 1.0               # .00124975
    x2 = x1 * (1 - 0.01) - 0.1 * (m2 / (1 - 0.81)) / (math.sqrt(v2 / (1 - 0.998001)) + 1e-8)
    assert_allclose(run_grads(AdamW(lr=0.1, weight_decay=0.1), 1.0, GRADS[:2]), [x1, x2],
                    rtol=1e-12)


def test_adam_without_bias_correction_first_step():
    # CONVENTIONS B.7: first step (1 - beta1) / sqrt(1 - beta2) = 3.16 times the corrected one
    def first_step(**kw):
        return -run_grads(Adam(lr=0.1, **kw), 0.0, [1.0])[0]
    exact = 0.1 / math.sqrt(0.001)
    assert_allclose(first_step(eps=0.0, bias_correction=False) / first_step(eps=0.0),
                    exact, rtol=1e-12)
    assert round(first_step(bias_correction=False) / first_step(), 2) == 3.16


def test_adamw_without_decay_is_adam():
    xs = run(AdamW(lr=0.1, weight_decay=0.0, amsgrad=True), [1.0, -3.0], 10)
    assert_array_equal(xs, run(Adam(lr=0.1, amsgrad=True), [1.0, -3.0], 10))


# ---------------------------------------------------------------------------
# Learning rates: arrays (sweeps) and schedules
# ---------------------------------------------------------------------------

FACTORIES = {
    "SGD": lambda lr: SGD(lr=lr),
    "SGD momentum": lambda lr: SGD(lr=lr, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "SGD Nesterov": lambda lr: SGD(lr=lr, momentum=0.9, nesterov=True),
    "HeavyBall": lambda lr: HeavyBall(lr=lr, beta=0.8),
    "HeavyBall Nesterov": lambda lr: HeavyBall(lr=lr, beta=0.8, nesterov=True),
    "EMAMomentum": lambda lr: EMAMomentum(lr=lr, beta=0.8),
    "AdaGrad": lambda lr: AdaGrad(lr=lr, lr_decay=0.1, weight_decay=0.01,
                                  initial_accumulator_value=0.1),
    "RMSprop": lambda lr: RMSprop(lr=lr, momentum=0.5, centered=True, weight_decay=0.01),
    "Adam": lambda lr: Adam(lr=lr, weight_decay=0.01, amsgrad=True),
    "Adam no correction": lambda lr: Adam(lr=lr, bias_correction=False),
    "AdamW": lambda lr: AdamW(lr=lr, weight_decay=0.1, amsgrad=True),
    "ScheduleFreeSGD": lambda lr: ScheduleFreeSGD(lr=lr, momentum=0.8, weight_decay=0.01,
                                                  warmup_steps=3, r=0.5),
    "ScheduleFreeAdamW": lambda lr: ScheduleFreeAdamW(lr=lr, weight_decay=0.1, warmup_steps=2,
                                                      weight_lr_power=1.0),
    "NAdam": lambda lr: NAdam(lr=lr, weight_decay=0.01, momentum_decay=0.05),
    "NAdamW": lambda lr: NAdam(lr=lr, weight_decay=0.1, decoupled_weight_decay=True),
    "RAdam": lambda lr: RAdam(lr=lr, betas=(0.8, 0.9), weight_decay=0.01),  # rectified at t=3
    "RAdamW": lambda lr: RAdam(lr=lr, betas=(0.8, 0.9), weight_decay=0.1,
                               decoupled_weight_decay=True),
    "Adamax": lambda lr: Adamax(lr=lr, weight_decay=0.01),
    "Adadelta": lambda lr: Adadelta(lr=lr, rho=0.8, eps=1e-3, weight_decay=0.01),
    "Yogi": lambda lr: Yogi(lr=lr, initial_accumulator_value=0.1),
    "Lion": lambda lr: Lion(lr=lr, weight_decay=0.1),
    "SGD cycle momentum": lambda lr: SGD(lr=lr, momentum=lambda t: 0.5 + 0.05 * t),
    "Adam cycle beta1": lambda lr: Adam(lr=lr, betas=(lambda t: 0.9 - 0.1 * t, 0.99)),
}

LAM = np.array([0.5, 2.0])


def quad_grad(x):
    return LAM * x              # elementwise, so rows never mix


@pytest.mark.parametrize("name", list(FACTORIES))
def test_array_lr_rows_equal_separate_runs(name):
    make = FACTORIES[name]
    rates = np.array([0.01, 0.1, 0.5])
    x0 = np.random.default_rng(1).standard_normal((3, 2))
    batched = run(make(rates), x0, 6, grad=quad_grad)
    for i, rate in enumerate(rates):
        assert_array_equal(batched[:, i], run(make(float(rate)), x0[i], 6, grad=quad_grad))


def test_array_lr_broadcasts_over_trailing_axes():
    x0 = np.random.default_rng(2).standard_normal((2, 3, 4))
    batched = run(SGD(lr=[0.1, 0.2], momentum=0.5), x0, 3)
    for i, rate in enumerate([0.1, 0.2]):
        assert_array_equal(batched[:, i], run(SGD(lr=rate, momentum=0.5), x0[i], 3))


@pytest.mark.parametrize("name", list(FACTORIES))
def test_schedule_equals_feeding_the_rates_by_hand(name):
    make = FACTORIES[name]
    x0 = np.array([1.0, -2.0])
    scheduled = run(make(lambda t: 0.1 * 0.7 ** t), x0, 6, grad=quad_grad)
    x, state, manual = x0, make(0.1).init(x0), []
    for t in range(6):
        x, state = make(0.1 * 0.7 ** t).update(quad_grad(x), state, x)
        manual.append(x)
    assert_array_equal(scheduled, manual)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_constant_schedule_equals_float(name):
    make = FACTORIES[name]
    x0 = np.array([1.0, -2.0])
    assert_array_equal(run(make(lambda t: 0.05), x0, 5, grad=quad_grad),
                       run(make(0.05), x0, 5, grad=quad_grad))


def test_schedule_may_return_one_rate_per_row():
    x0 = np.array([[1.0], [1.0]])
    xs = run(SGD(lr=lambda t: np.array([0.1, 0.2])), x0, 2)
    assert_allclose(xs[:, :, 0], [[0.9, 0.8], [0.81, 0.64]], rtol=1e-12)


# ---------------------------------------------------------------------------
# Purity
# ---------------------------------------------------------------------------

def _arrays(state):
    return [np.copy(a) for a in state[1:] if a is not None]


@pytest.mark.parametrize("name", list(FACTORIES))
def test_update_is_pure(name):
    opt = FACTORIES[name](0.1)
    params = np.array([[1.0, -2.0], [0.5, 3.0]])
    state = opt.init(params)
    for _ in range(2):                  # the first update and a later one
        grads = params * 0.7 + 0.1
        saved = (params.copy(), grads.copy(), _arrays(state))
        new_params, new_state = opt.update(grads, state, params)
        assert_array_equal(params, saved[0])
        assert_array_equal(grads, saved[1])
        for before, after in zip(saved[2], _arrays(state)):
            assert_array_equal(after, before)
        assert new_state.count == state.count + 1
        # the outputs do not alias the inputs
        kept = (new_params.copy(), _arrays(new_state))
        grads[...] = 99.0
        params[...] = 99.0
        assert_array_equal(new_params, kept[0])
        for before, after in zip(kept[1], _arrays(new_state)):
            assert_array_equal(after, before)
        params, state = new_params, new_state


def test_init_state_count_and_shapes():
    state = Adam(amsgrad=True).init(np.zeros((3, 2)))
    assert state.count == 0
    assert state.m.shape == state.v.shape == state.v_max.shape == (3, 2)
    assert SGD(lr=0.1).init(np.zeros(2)).buf is None


# ---------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------

rates_st = st.floats(1e-4, 0.5)
unit_st = st.floats(0.0, 0.99)
decay_st = st.floats(0.0, 0.1)
eps_st = st.floats(1e-12, 1e-3)

optimizers_st = st.one_of(
    st.builds(SGD, lr=rates_st, momentum=unit_st, dampening=st.floats(0.0, 1.0),
              weight_decay=decay_st),
    st.builds(SGD, lr=rates_st, momentum=st.floats(0.01, 0.99), nesterov=st.just(True),
              weight_decay=decay_st),
    st.builds(HeavyBall, lr=rates_st, beta=unit_st, nesterov=st.booleans()),
    st.builds(EMAMomentum, lr=rates_st, beta=unit_st),
    st.builds(AdaGrad, lr=rates_st, lr_decay=decay_st, weight_decay=decay_st,
              initial_accumulator_value=st.floats(0.0, 1.0), eps=eps_st),
    st.builds(RMSprop, lr=rates_st, alpha=st.floats(0.5, 0.999), eps=eps_st,
              weight_decay=decay_st, momentum=unit_st, centered=st.booleans()),
    st.builds(Adam, lr=rates_st, betas=st.tuples(unit_st, st.floats(0.5, 0.999)), eps=eps_st,
              weight_decay=decay_st, amsgrad=st.booleans(), bias_correction=st.booleans()),
    st.builds(AdamW, lr=rates_st, betas=st.tuples(unit_st, st.floats(0.5, 0.999)), eps=eps_st,
              weight_decay=decay_st, amsgrad=st.booleans()),
    st.builds(NAdam, lr=rates_st, betas=st.tuples(unit_st, st.floats(0.5, 0.999)), eps=eps_st,
              weight_decay=decay_st, momentum_decay=st.floats(0.0, 0.1),
              decoupled_weight_decay=st.booleans()),
    st.builds(RAdam, lr=rates_st, betas=st.tuples(unit_st, st.floats(0.0, 0.999)), eps=eps_st,
              weight_decay=decay_st, decoupled_weight_decay=st.booleans()),
    st.builds(Adamax, lr=rates_st, betas=st.tuples(unit_st, unit_st), eps=eps_st,
              weight_decay=decay_st),
    st.builds(Adadelta, lr=st.floats(1e-3, 2.0), rho=st.floats(0.0, 1.0), eps=eps_st,
              weight_decay=decay_st),
    st.builds(Yogi, lr=rates_st, betas=st.tuples(unit_st, st.floats(0.5, 0.999)), eps=eps_st,
              initial_accumulator_value=st.floats(0.0, 1.0)),
    st.builds(Lion, lr=rates_st, betas=st.tuples(unit_st, unit_st), weight_decay=decay_st),
)

vectors_st = st.integers(1, 4).flatmap(
    lambda d: st.lists(st.floats(-10.0, 10.0), min_size=d, max_size=d))


@given(opt=optimizers_st, x0=vectors_st, data=st.data())
def test_finite_on_small_quadratics(opt, x0, data):
    lam = np.array(data.draw(st.lists(st.floats(0.1, 2.0), min_size=len(x0),
                                      max_size=len(x0))))
    xs = run(opt, x0, 20, grad=lambda x: lam * x)
    assert np.all(np.isfinite(xs))


@given(opt=st.one_of(
           st.builds(SGD, lr=rates_st, momentum=unit_st, dampening=st.floats(0.0, 1.0)),
           st.builds(Adam, lr=rates_st, betas=st.tuples(unit_st, unit_st), eps=eps_st,
                     amsgrad=st.booleans(), bias_correction=st.booleans())),
       x0=vectors_st)
def test_zero_gradient_leaves_params_unchanged(opt, x0):
    x = np.array(x0)
    new_x, _ = opt.update(np.zeros_like(x), opt.init(x), x)
    assert_array_equal(new_x, x)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------

BAD_FIELDS = [
    (SGD, {"lr": -0.1}, ValueError, "lr"),
    (SGD, {"lr": 0.0}, ValueError, "lr"),
    (SGD, {"lr": float("nan")}, ValueError, "lr"),
    (SGD, {"lr": float("inf")}, ValueError, "lr"),
    (SGD, {"lr": "0.1"}, TypeError, "lr"),
    (SGD, {"lr": True}, TypeError, "lr"),
    (SGD, {"lr": [[0.1, 0.2]]}, ValueError, "lr"),
    (SGD, {"lr": [0.1, -0.2]}, ValueError, "lr"),
    (SGD, {"lr": [0.1, 0.0]}, ValueError, "lr"),
    (SGD, {"lr": [0.1, float("nan")]}, ValueError, "lr"),
    (SGD, {"lr": 0.1, "momentum": 1.0}, ValueError, "momentum"),
    (SGD, {"lr": 0.1, "momentum": -0.1}, ValueError, "momentum"),
    (SGD, {"lr": 0.1, "momentum": float("nan")}, ValueError, "momentum"),
    (SGD, {"lr": 0.1, "momentum": "0.9"}, TypeError, "momentum"),
    (SGD, {"lr": 0.1, "momentum": 0.9, "dampening": -0.5}, ValueError, "dampening"),
    (SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 1.5}, ValueError, "dampening"),
    (SGD, {"lr": 0.1, "weight_decay": -1e-4}, ValueError, "weight_decay"),
    (SGD, {"lr": 0.1, "weight_decay": float("inf")}, ValueError, "weight_decay"),
    (SGD, {"lr": 0.1, "nesterov": True}, ValueError, "nesterov"),
    (SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True},
     ValueError, "nesterov"),
    (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": 1}, TypeError, "nesterov"),
    (HeavyBall, {"lr": 0.1, "beta": 1.0}, ValueError, "beta"),
    (HeavyBall, {"lr": -1.0}, ValueError, "lr"),
    (HeavyBall, {"lr": 0.1, "nesterov": "yes"}, TypeError, "nesterov"),
    (EMAMomentum, {"lr": 0.1, "beta": -0.1}, ValueError, "beta"),
    (EMAMomentum, {"lr": None}, TypeError, "lr"),
    (AdaGrad, {"lr_decay": -0.1}, ValueError, "lr_decay"),
    (AdaGrad, {"initial_accumulator_value": -1.0}, ValueError, "initial_accumulator_value"),
    (AdaGrad, {"eps": -1e-10}, ValueError, "eps"),
    (AdaGrad, {"weight_decay": float("nan")}, ValueError, "weight_decay"),
    (RMSprop, {"alpha": 1.0}, ValueError, "alpha"),
    (RMSprop, {"momentum": 1.0}, ValueError, "momentum"),
    (RMSprop, {"eps": float("inf")}, ValueError, "eps"),
    (RMSprop, {"centered": 1}, TypeError, "centered"),
    (Adam, {"betas": (1.0, 0.999)}, ValueError, "betas"),
    (Adam, {"betas": (0.9, -0.1)}, ValueError, "betas"),
    (Adam, {"betas": (0.9,)}, ValueError, "betas"),
    (Adam, {"betas": 0.9}, TypeError, "betas"),
    (Adam, {"betas": ("a", "b")}, TypeError, "betas"),
    (Adam, {"eps": -1.0}, ValueError, "eps"),
    (Adam, {"weight_decay": -0.1}, ValueError, "weight_decay"),
    (Adam, {"amsgrad": None}, TypeError, "amsgrad"),
    (Adam, {"bias_correction": "no"}, TypeError, "bias_correction"),
    (AdamW, {"betas": (0.9, 1.0)}, ValueError, "betas"),
    (AdamW, {"weight_decay": -0.01}, ValueError, "weight_decay"),
    (AdamW, {"lr": [0.0]}, ValueError, "lr"),
    (ScheduleFreeSGD, {"momentum": 1.0}, ValueError, "momentum"),
    (ScheduleFreeSGD, {"warmup_steps": -1}, ValueError, "warmup_steps"),
    (ScheduleFreeSGD, {"warmup_steps": 2.5}, TypeError, "warmup_steps"),
    (ScheduleFreeSGD, {"r": -0.5}, ValueError, "r"),
    (ScheduleFreeSGD, {"weight_lr_power": float("inf")}, ValueError, "weight_lr_power"),
    (ScheduleFreeSGD, {"weight_decay": -1.0}, ValueError, "weight_decay"),
    (ScheduleFreeSGD, {"lr": 0.0}, ValueError, "lr"),
    (ScheduleFreeAdamW, {"betas": (0.9,)}, ValueError, "betas"),
    (ScheduleFreeAdamW, {"eps": -1e-8}, ValueError, "eps"),
    (ScheduleFreeAdamW, {"weight_lr_power": "2"}, TypeError, "weight_lr_power"),
    (NAdam, {"momentum_decay": -1e-3}, ValueError, "momentum_decay"),
    (NAdam, {"momentum_decay": float("inf")}, ValueError, "momentum_decay"),
    (NAdam, {"decoupled_weight_decay": 1}, TypeError, "decoupled_weight_decay"),
    (NAdam, {"betas": (0.9, 1.0)}, ValueError, "betas"),
    (RAdam, {"betas": (1.0, 0.999)}, ValueError, "betas"),
    (RAdam, {"betas": (0.9, lambda t: 0.9)}, TypeError, "betas"),   # only beta1 may be scheduled
    (RAdam, {"decoupled_weight_decay": "yes"}, TypeError, "decoupled_weight_decay"),
    (Adamax, {"eps": -1e-8}, ValueError, "eps"),
    (Adamax, {"weight_decay": float("nan")}, ValueError, "weight_decay"),
    (Adadelta, {"rho": 1.5}, ValueError, "rho"),
    (Adadelta, {"rho": -0.1}, ValueError, "rho"),
    (Adadelta, {"eps": -1e-6}, ValueError, "eps"),
    (Adadelta, {"lr": 0.0}, ValueError, "lr"),
    (Yogi, {"initial_accumulator_value": -1e-6}, ValueError, "initial_accumulator_value"),
    (Yogi, {"betas": (lambda t: 0.9, 0.999)}, TypeError, "betas"),   # optax has no cycle momentum
    (Yogi, {"eps": float("nan")}, ValueError, "eps"),
    (Lion, {"betas": (0.9, 1.0)}, ValueError, "betas"),
    (Lion, {"weight_decay": -1e-3}, ValueError, "weight_decay"),
    (Lion, {"lr": "1e-4"}, TypeError, "lr"),
]


@pytest.mark.parametrize("cls, kwargs, error, name", BAD_FIELDS)
def test_bad_fields(cls, kwargs, error, name):
    with pytest.raises(error, match=name):
        cls(**kwargs)


def test_replace_revalidates():
    with pytest.raises(ValueError, match="momentum"):
        dataclasses.replace(SGD(lr=0.1, momentum=0.5), momentum=2.0)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_bad_update_arguments(name):
    make = FACTORIES[name]
    x = np.ones(3)
    opt = make(0.1)
    with pytest.raises(ValueError, match="grads"):
        opt.update(np.ones(2), opt.init(x), x)
    with pytest.raises(TypeError, match="grads"):
        opt.update(["a", "b", "c"], opt.init(x), x)
    for bad in (-0.1, float("nan"), float("inf")):
        scheduled = make(lambda t, bad=bad: 0.1 if t == 0 else bad)
        state = scheduled.init(x)
        _, state = scheduled.update(x, state, x)            # t = 0 is fine
        with pytest.raises(ValueError, match=r"lr\(1\)"):
            scheduled.update(x, state, x)
    swept = make(np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="lr"):
        swept.update(np.ones((3, 2)), swept.init(np.ones((3, 2))), np.ones((3, 2)))


# ---------------------------------------------------------------------------
# Schedule-free SGD and AdamW (Defazio et al. 2024)
# ---------------------------------------------------------------------------

def test_schedule_free_sgd_first_two_steps_by_hand():
    """Equations (1)-(3) of the paper with weights w_t = t^r max(gamma)^p."""
    lr, beta, wd, W, r, p = 0.4, 0.7, 0.1, 2, 1.0, 2.0
    opt = ScheduleFreeSGD(lr=lr, momentum=beta, weight_decay=wd, warmup_steps=W, r=r,
                          weight_lr_power=p)
    f_grad = lambda y: 3.0 * y - 1.0                          # noqa: E731
    y0 = 2.0
    state = opt.init(np.array([y0]))
    # t = 1: gamma_1 = lr / 2, z_1 = x_1 = y_1 = y0, c_2 = w_1 / w_1 = 1
    g1 = f_grad(y0) + wd * y0
    z2 = y0 - lr / 2 * g1
    x2 = z2
    y2 = (1 - beta) * z2 + beta * x2
    y, state = opt.update(np.array([f_grad(y0)]), state, np.array([y0]))
    assert_allclose([y[0], opt.eval_params(state)[0], state.z[0]], [y2, x2, z2], rtol=1e-15)
    # t = 2: gamma_2 = lr, w_1 = 1 (lr/2)^2, w_2 = 2 lr^2, c_3 = w_2 / (w_1 + w_2)
    g2 = f_grad(y2) + wd * y2
    z3 = z2 - lr * g2
    w1, w2 = 1 ** r * (lr / 2) ** p, 2 ** r * lr ** p
    c3 = w2 / (w1 + w2)
    x3 = (1 - c3) * x2 + c3 * z3
    y3 = (1 - beta) * z3 + beta * x3
    y, state = opt.update(np.array([f_grad(y2)]), state, y)
    assert_allclose([y[0], opt.eval_params(state)[0], state.z[0]], [y3, x3, z3], rtol=1e-14)
    assert state.count == 2 and state.lr_max == lr and state.weight_sum == w1 + w2


def test_schedule_free_adamw_first_two_steps_by_hand():
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.99, 1e-3, 0.05
    opt = ScheduleFreeAdamW(lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    f_grad = lambda y: 2.0 * y                                # noqa: E731
    y1 = 1.5
    state = opt.init(np.array([y1]))
    g = f_grad(y1)
    v = (1 - b2) * g * g
    z = y1 - lr * (g / (math.sqrt(v / (1 - b2)) + eps) + wd * y1)
    x = z                                                      # c_2 = 1
    y2 = (1 - b1) * z + b1 * x
    y, state = opt.update(np.array([g]), state, np.array([y1]))
    assert_allclose([y[0], opt.eval_params(state)[0]], [y2, x], rtol=1e-15)
    g = f_grad(y2)
    v = b2 * v + (1 - b2) * g * g
    z = z - lr * (g / (math.sqrt(v / (1 - b2 ** 2)) + eps) + wd * y2)
    x = 0.5 * x + 0.5 * z                                      # equal weights lr^2
    y3 = (1 - b1) * z + b1 * x
    y, state = opt.update(np.array([g]), state, y)
    assert_allclose([y[0], opt.eval_params(state)[0], state.v[0]], [y3, x, v], rtol=1e-14)


def test_schedule_free_without_momentum_averages_sgd():
    """beta = 0: y = z is plain SGD, and x the uniform average of its iterates."""
    xs = run(ScheduleFreeSGD(lr=0.3, momentum=0.0), [1.0], 5)
    sgd = run(SGD(lr=0.3), [1.0], 5)
    assert_allclose(xs[:, 0], sgd[:, 0], rtol=1e-15)
    opt = ScheduleFreeSGD(lr=0.3, momentum=0.0)
    state, y = opt.init(np.array([1.0])), np.array([1.0])
    for _ in range(5):
        y, state = opt.update(y, state, y)
    assert_allclose(opt.eval_params(state), [np.mean(np.r_[1.0, sgd[:, 0]][1:])], rtol=1e-14)


def test_schedule_free_eval_params_is_a_copy_and_checks_the_state():
    opt = ScheduleFreeSGD(lr=0.1)
    state = opt.init(np.array([1.0, 2.0]))
    x = opt.eval_params(state)
    x[...] = 7.0
    assert_array_equal(state.x, [1.0, 2.0])
    with pytest.raises(TypeError, match="state"):
        opt.eval_params(SGD(0.1).init(np.zeros(2)))
    with pytest.raises(ValueError, match="state"):
        opt.eval_params(ScheduleFreeAdamW().init(np.zeros(2)))    # v present: AdamW's


SF_GOLDEN_PATH = __import__("pathlib").Path(__file__).parent / "golden" / "schedulefree.json"
SF_GOLDEN = __import__("json").loads(SF_GOLDEN_PATH.read_text())


def _sf_golden_problems():
    import sys
    sys.path.insert(0, str(SF_GOLDEN_PATH.parent))
    import record_schedulefree
    return {name: (A, b, x0) for name, A, b, x0 in record_schedulefree.problems()}


def _sf_make(kind, kwargs):
    kw = dict(kwargs)
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    return (ScheduleFreeSGD if kind == "SGD" else ScheduleFreeAdamW)(**kw)


def _sf_trajectory(opt, A, b, x0, steps):
    """Train-mode iterates y and eval-mode averages x, as the golden file stores them."""
    y = np.array(x0, dtype=float)
    state = opt.init(y)
    ys, xs = [y], [opt.eval_params(state)]
    for _ in range(steps):
        y, state = opt.update(A @ y - b, state, y)
        ys.append(y)
        xs.append(opt.eval_params(state))
    return np.array(ys), np.array(xs)


def _relerr(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# Tolerance 1e-10, norm-wise relative. The reference updates y in place from
# y and z (y <- lerp(y, z, c) + lr (beta (1 - c) - 1) g) and gets x back as
# lerp(y, z, 1 - 1/beta), a cancellation that loses up to log10(1/beta) digits;
# lrtutor keeps x and z and forms y = (1 - beta) z + beta x. The algebra is the
# same, the rounding is not: measured 7e-16 at worst over these 50-step runs
# (and 1e-15 per step), so 1e-10 leaves room for other BLAS/torch builds while
# any error of the method (a wrong c_t, warmup or decay placement) shows at
# 1e-3 or more.
SF_RTOL = 1e-10


@pytest.mark.parametrize("index", range(len(SF_GOLDEN["runs"])),
                         ids=[f"{r['problem']}-{r['optimizer']}-{i}"
                              for i, r in enumerate(SF_GOLDEN["runs"])])
def test_schedule_free_matches_recorded_reference(index):
    entry = SF_GOLDEN["runs"][index]
    A, b, x0 = _sf_golden_problems()[entry["problem"]]
    ys, xs = _sf_trajectory(_sf_make(entry["optimizer"], entry["kwargs"]), A, b, x0,
                            SF_GOLDEN["steps"])
    ref_y, ref_x = np.array(entry["y"]), np.array(entry["x"])
    assert ys.shape == ref_y.shape
    assert _relerr(ys, ref_y) <= SF_RTOL and _relerr(xs, ref_x) <= SF_RTOL
    assert _relerr(xs, ref_y) > 1e-6            # x and y differ: the test sees which is which


def test_schedule_free_golden_covers_the_options():
    runs = SF_GOLDEN["runs"]
    assert SF_GOLDEN["versions"]["schedulefree"] == "1.4.1"
    for kind in ("SGD", "AdamW"):
        kws = [r["kwargs"] for r in runs if r["optimizer"] == kind]
        for key in ("warmup_steps", "weight_decay", "r", "weight_lr_power"):
            assert any(key in kw for kw in kws) and any(key not in kw for kw in kws), key
    assert {r["problem"] for r in runs} == {"parabola", "quadratic5"}


def test_schedule_free_matches_live_reference():
    """Random configurations against the installed ``schedulefree`` package."""
    torch = pytest.importorskip("torch")
    schedulefree = pytest.importorskip("schedulefree")
    import record_schedulefree as R                    # imported by _sf_golden_problems
    rng = np.random.default_rng(21)
    for trial in range(12):
        d = int(rng.integers(1, 6))
        q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        A = (q * np.exp(rng.uniform(np.log(0.1), np.log(10.0), d))) @ q.T
        A = (A + A.T) / 2
        b, x0 = rng.normal(size=d), rng.normal(size=d) * 3
        kw = dict(lr=float(rng.uniform(0.005, 0.1)), warmup_steps=int(rng.integers(0, 15)),
                  weight_decay=float(rng.choice([0.0, rng.uniform(0, 0.1)])),
                  r=float(rng.choice([0.0, rng.uniform(0, 2)])),
                  weight_lr_power=float(rng.choice([2.0, rng.uniform(0, 3)])))
        if trial % 2:
            kind, kw["momentum"] = "SGD", float(rng.uniform(0.05, 0.98))
        else:
            kind = "AdamW"
            kw.update(betas=(float(rng.uniform(0.05, 0.98)), float(rng.uniform(0.9, 0.999))),
                      eps=float(rng.choice([1e-8, 1e-3])))
        ref_y, ref_x = R.reference_run(torch, schedulefree, kind, kw, A, b, x0, 40)
        ys, xs = _sf_trajectory(_sf_make(kind, kw), A, b, x0, 40)
        assert _relerr(ys, ref_y) <= SF_RTOL and _relerr(xs, ref_x) <= SF_RTOL, kw


@pytest.mark.parametrize("make", [
    lambda: optim.Adam(lr=0.1, eps=0.0), lambda: optim.Adam(lr=0.1, eps=0.0, amsgrad=True),
    lambda: optim.AdamW(lr=0.1, eps=0.0), lambda: optim.RMSprop(lr=0.1, eps=0.0),
    lambda: optim.RMSprop(lr=0.1, eps=0.0, momentum=0.5, centered=True),
    lambda: optim.AdaGrad(lr=0.1, eps=0.0), lambda: optim.ScheduleFreeAdamW(lr=0.1, eps=0.0),
    lambda: optim.NAdam(lr=0.1, eps=0.0), lambda: optim.RAdam(lr=0.1, eps=0.0),
    lambda: optim.RAdam(lr=0.1, betas=(0.9, 0.9), eps=0.0),       # rectified from t = 3
    lambda: optim.Adamax(lr=0.1, eps=0.0), lambda: optim.Adadelta(eps=0.0),
    lambda: optim.Yogi(lr=0.1, eps=0.0, initial_accumulator_value=0.0)],
    ids=["adam", "amsgrad", "adamw", "rmsprop", "rmsprop-centered-momentum", "adagrad",
         "schedule-free-adamw", "nadam", "radam", "radam-rectified", "adamax", "adadelta",
         "yogi"])
def test_eps_zero_at_the_optimum_takes_no_step(make):
    # every gradient so far is 0, so the adaptive denominator is 0 and so is the
    # numerator: 0/0 is no step (not NaN, not "diverged at step 1"), in place too
    opt = make()
    x = np.array([0.0, 3.0])
    g = np.array([0.0, 3.0])             # the first coordinate sits at its optimum
    new, state = opt.update(g, opt.init(x), x)
    assert new[0] == 0.0 and np.isfinite(new).all()
    y = x.copy()
    opt.update_(g.copy(), opt.init(y), y)
    assert_array_equal(y, new)
    trace = train.run(problems.Quadratic.one_d(1.0), make(), [0.0], 5)
    assert trace.diverged_at == -1 and trace.final_params[0] == 0.0
