"""Tests of the optimizers added with issue 15 and of cycle momentum.

NAdam, RAdam, Adamax and Adadelta (``torch.optim``), Yogi and Lion (optax), and
SGD's ``momentum`` / Adam's ``betas[0]`` driven by a schedule as PyTorch's
``cycle_momentum`` does. Expected values come from:

- hand computations written out step by step below (plain arithmetic on the
  formulas of the docstrings, ``rtol=1e-12``);
- numbers printed by torch 2.13 and optax 0.2.8 (x64) for ``f = x**2/2`` from 1,
  compared to half a unit of the last printed digit;
- trajectories recorded from the frameworks in ``tests/golden/golden.json``
  (sections ``families`` and ``cycle_momentum``, written by
  ``tests/golden/record.py families``), over random configurations, schedules
  and gradient sequences rebuilt here from their seeds.

Tolerance of the recorded trajectories: ``max|ours - ref| <= 1e-10 max|ref|``.
The runs are open loop (the gradients do not depend on the iterates) or, for
SGD, a contracting quadratic, so rounding is not amplified: each of at most 300
updates adds a few units of 1e-16 relative, and the largest difference measured
on this machine is 1e-14 (NAdam; 4e-16 for the others). ``1e-10`` leaves four
orders of magnitude for another BLAS or libm (``pow``, ``sqrt`` rounding),
while a wrong formula (an ``eps`` moved, a bias correction off by one step, a
momentum read one step late) gives differences of 1e-4 or more.
"""

import dataclasses
import functools
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
import frameworks as F  # noqa: E402
import optim_families as G  # noqa: E402
import record as R  # noqa: E402

from lrtutor import optim as O  # noqa: E402
from lrtutor import problems as P  # noqa: E402
from lrtutor import schedules as S  # noqa: E402
from lrtutor import train as T  # noqa: E402
from lrtutor.optim import (SGD, Adadelta, Adam, Adamax, AdamW, Lion, NAdam,  # noqa: E402
                           RAdam, Yogi)

GOLDEN = json.loads((Path(__file__).resolve().parent / "golden" / "golden.json").read_text())
RTOL = 1e-10                # see the module docstring


def run_grads(opt, x0, grads):
    """Iterates of ``opt`` fed a fixed sequence of gradients (scalars or arrays)."""
    x = np.array(x0, dtype=float)
    state = opt.init(x)
    xs = []
    for g in grads:
        x, state = opt.update(np.array(g, dtype=float), state, x)
        xs.append(x)
    return np.array(xs)


def run(opt, x0, steps):
    """Iterates on f = |x|^2/2 (grads = x)."""
    x = np.array(x0, dtype=float)
    state = opt.init(x)
    xs = []
    for _ in range(steps):
        x, state = opt.update(x, state, x)
        xs.append(x)
    return np.array(xs)


# ---------------------------------------------------------------------------
# Printed by the frameworks: f = x**2/2 from x0 = 1 (grads = x), three updates
# ---------------------------------------------------------------------------

PRINTED = {   # (optimizer, x0, printed iterates, decimals)
    # torch 2.13, torch.set_default_dtype(torch.float64), round(float(p), 9)
    "torch NAdam lr .1": (NAdam(lr=0.1), [1.0], [0.894354823, 0.819973072, 0.752729268], 9),
    "torch RAdam lr .1": (RAdam(lr=0.1), [1.0], [0.9, 0.805263158, 0.715770052], 9),
    "torch Adamax lr .1": (Adamax(lr=0.1), [1.0], [0.900000001, 0.805168328, 0.715499475], 9),
    "torch Adadelta": (Adadelta(), [1.0], [0.996837738, 0.993598198, 0.990309083], 9),
    # optax 0.2.8, jax x64, np.round(x, 9) printed with numpy's 8 significant digits
    "optax yogi(.1)": (Yogi(lr=0.1), [1.0], [0.90014886, 0.80071924, 0.70207613], 8),
    "optax lion(.1, weight_decay=0)": (Lion(lr=0.1, weight_decay=0.0), [1.0, -0.001],
                                       [[0.9, 0.099], [0.8, -0.001], [0.7, -0.101]], 8),
}


@pytest.mark.parametrize("name", list(PRINTED))
def test_framework_printed_values(name):
    opt, x0, printed, decimals = PRINTED[name]
    half_unit = 0.5 * 10.0 ** -decimals
    assert_allclose(np.ravel(run(opt, x0, 3)), np.ravel(printed), rtol=0,
                    atol=half_unit * (1 + 1e-9))


# ---------------------------------------------------------------------------
# By hand
# ---------------------------------------------------------------------------

def test_nadam_by_hand_momentum_decay_and_mu_product():
    # lr .1, betas (.9, .999), psi .004, eps 1e-8, theta0 = 1, grads .5, -1
    mu = [0.9 * (1 - 0.5 * 0.96 ** (t * 0.004)) for t in (1, 2, 3)]
    # t = 1: m = .05, v = .00025, D = sqrt(.00025 / .001) + eps = .5 + eps
    d1 = 0.5 + 1e-8
    x1 = 1.0 - 0.1 * (1 - mu[0]) / (1 - mu[0]) * 0.5 / d1 \
        - 0.1 * mu[1] / (1 - mu[0] * mu[1]) * 0.05 / d1
    # t = 2: m = .045 - .1 = -.055, v = .00024975 + .001 = .00124975
    d2 = math.sqrt(0.00124975 / (1 - 0.999 ** 2)) + 1e-8
    p2 = mu[0] * mu[1]
    x2 = x1 - 0.1 * (1 - mu[1]) / (1 - p2) * -1.0 / d2 \
        - 0.1 * mu[2] / (1 - p2 * mu[2]) * -0.055 / d2
    opt = NAdam(lr=0.1)
    assert_allclose(run_grads(opt, 1.0, [0.5, -1.0]), [x1, x2], rtol=1e-12)
    state = opt.init(np.array(1.0))
    for g in (0.5, -1.0):
        _, state = opt.update(np.array(g), state, np.array(1.0))
    assert_allclose(state.mu_product, p2, rtol=1e-15)
    # psi = 0: mu_t = beta1 / 2 at every step
    _, s = NAdam(lr=0.1, momentum_decay=0.0).update(np.array(1.0),
                                                    NAdam(momentum_decay=0.0).init(1.0), 1.0)
    assert s.mu_product == 0.45


def test_nadam_decoupled_weight_decay_is_nadamw():
    # decoupled: theta shrinks by (1 - lr wd) first, then the step of the raw gradient
    grads = [0.5, -1.0, 0.25]
    plain = run_grads(NAdam(lr=0.1), 0.0, grads)                 # from 0: decay does nothing
    assert_array_equal(run_grads(NAdam(lr=0.1, weight_decay=0.3,
                                       decoupled_weight_decay=True), 0.0, grads[:1]),
                       plain[:1])
    x1 = 1.0 * (1 - 0.1 * 0.3) + (run_grads(NAdam(lr=0.1), 1.0, [0.5])[0] - 1.0)
    assert_allclose(run_grads(NAdam(lr=0.1, weight_decay=0.3, decoupled_weight_decay=True),
                              1.0, [0.5])[0], x1, rtol=1e-15)
    coupled = run_grads(NAdam(lr=0.1, weight_decay=0.3), 1.0, [0.5])[0]    # gradient .8
    assert_allclose(coupled, run_grads(NAdam(lr=0.1), 1.0, [0.8])[0], rtol=1e-15)


def test_radam_switches_on_rectification_after_five_updates():
    # beta2 = .999: rho_inf = 1999; rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    rho_inf = 2 / (1 - 0.999) - 1
    rho = [rho_inf - 2 * t * 0.999 ** t / (1 - 0.999 ** t) for t in range(1, 8)]
    assert [r > 5 for r in rho] == [False] * 5 + [True] * 2
    grads = [1.0, -0.5, 2.0, 0.25, -1.0, 0.5, 0.75]
    xs = run_grads(RAdam(lr=0.1), 0.0, grads)
    x, m, v = 0.0, 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        m_hat = m / (1 - 0.9 ** t)
        if t <= 5:                                   # momentum SGD with bias correction
            x = x - 0.1 * m_hat
        else:
            r = rho[t - 1]
            rect = math.sqrt((r - 4) * (r - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * r))
            x = x - 0.1 * m_hat * rect * math.sqrt(1 - 0.999 ** t) / (math.sqrt(v) + 1e-8)
        assert_allclose(xs[t - 1], x, rtol=1e-12)


def test_radam_never_rectifies_when_beta2_is_small():
    # beta2 = .6: rho_inf = 4, rho_t < 5 always -> momentum SGD with corrected m
    grads = np.random.default_rng(0).normal(size=50)
    ours = run_grads(RAdam(lr=0.1, betas=(0.8, 0.6)), 0.0, grads)
    x, m = 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        m = 0.8 * m + 0.2 * g
        x = x - 0.1 * m / (1 - 0.8 ** t)
        assert_allclose(ours[t - 1], x, rtol=1e-12, atol=1e-15)


def test_adamax_by_hand_eps_inside_the_max():
    # lr .1, betas (.9, .5), eps .01 (large, to see where it sits), grads 1, .2, -3
    u1 = max(0.0, 1 + 0.01)
    x1 = 0.0 - 0.1 / 0.1 * (0.1 / u1)
    m2, u2 = 0.09 + 0.02, max(0.5 * u1, 0.2 + 0.01)
    x2 = x1 - 0.1 / (1 - 0.81) * (m2 / u2)
    m3, u3 = 0.9 * m2 - 0.3, max(0.5 * u2, 3 + 0.01)
    x3 = x2 - 0.1 / (1 - 0.729) * (m3 / u3)
    assert_allclose(run_grads(Adamax(lr=0.1, betas=(0.9, 0.5), eps=0.01), 0.0, [1, 0.2, -3]),
                    [x1, x2, x3], rtol=1e-12)
    assert u2 == 0.505          # the decayed maximum, not the new |g| + eps = .21


def test_adadelta_by_hand():
    # lr 1, rho .9, eps 1e-6, theta0 = 1, grads .5, -2
    v1 = 0.1 * 0.25
    d1 = math.sqrt(0 + 1e-6) / math.sqrt(v1 + 1e-6) * 0.5
    u1 = 0.1 * d1 ** 2
    v2 = 0.9 * v1 + 0.1 * 4
    d2 = math.sqrt(u1 + 1e-6) / math.sqrt(v2 + 1e-6) * -2
    assert_allclose(run_grads(Adadelta(), 1.0, [0.5, -2.0]), [1 - d1, 1 - d1 - d2], rtol=1e-12)
    # rho = 1 (PyTorch accepts it): nothing accumulates and every step is lr * g
    assert_allclose(run_grads(Adadelta(lr=0.3, rho=1.0), 1.0, [0.5, -2.0]), [0.85, 1.45],
                    rtol=1e-12)


def test_yogi_by_hand_additive_second_moment():
    # lr .1, betas (.5, .9), eps 1e-3, s0 = 1e-6 (both moments), grads 2, .1
    s0 = 1e-6
    m1 = 0.5 * 2 + 0.5 * s0
    v1 = s0 - 0.1 * np.sign(s0 - 4) * 4                # grows by (1 - beta2) g^2 = .4
    x1 = -0.1 * (m1 / 0.5) / (math.sqrt(v1 / 0.1) + 1e-3)
    m2 = 0.5 * 0.1 + 0.5 * m1
    v2 = v1 - 0.1 * np.sign(v1 - 0.01) * 0.01         # shrinks by .001 only (Adam: x .9)
    x2 = x1 - 0.1 * (m2 / 0.75) / (math.sqrt(v2 / 0.19) + 1e-3)
    assert_allclose(run_grads(Yogi(lr=0.1, betas=(0.5, 0.9)), 0.0, [2.0, 0.1]), [x1, x2],
                    rtol=1e-12)
    assert v2 == pytest.approx(0.399001, rel=1e-12)


def test_lion_moves_every_coordinate_by_exactly_lr():
    rng = np.random.default_rng(3)
    opt = Lion(lr=0.01, weight_decay=0.0)
    x = rng.normal(size=50)
    state = opt.init(x)
    for _ in range(20):
        g = rng.normal(size=50) * np.exp(rng.uniform(-10, 10, 50))
        new, state = opt.update(g, state, x)
        assert_allclose(np.abs(new - x), 0.01, rtol=1e-12)
        x = new
    # and the decay is decoupled and multiplied by lr: -lr (sign(c) + wd * theta)
    x = np.array([2.0, -3.0])
    new, _ = Lion(lr=0.1, weight_decay=0.5).update(np.array([1.0, 1.0]), Lion().init(x), x)
    assert_allclose(new, [2.0 - 0.1 * (1 + 1.0), -3.0 - 0.1 * (1 - 1.5)], rtol=1e-15)


def test_lion_by_hand_momentum_uses_beta2_and_the_step_beta1():
    # betas (.5, .9), lr .1, wd 0, grads 1, -.3: c2 = .5 * (-.3) + .5 * m1 with m1 = .1
    xs = run_grads(Lion(lr=0.1, betas=(0.5, 0.9), weight_decay=0.0), 0.0, [1.0, -0.3])
    assert_allclose(xs, [-0.1, 0.0], atol=1e-16)        # c2 = -.1 -> sign -1 -> x += .1
    xs = run_grads(Lion(lr=0.1, betas=(0.9, 0.5), weight_decay=0.0), 0.0, [1.0, -0.3])
    assert_allclose(xs, [-0.1, -0.2], atol=1e-16)       # c2 = .45 - .03 > 0


# ---------------------------------------------------------------------------
# Cycle momentum
# ---------------------------------------------------------------------------

def test_sgd_momentum_schedule_by_hand():
    # PyTorch: b1 = g1, then b_t = mu_t b_{t-1} + g_t; mu_t = momentum(t - 1)
    mus = [0.9, 0.5, 0.0, 0.8]
    grads = [1.0, 2.0, -1.0, 0.5]
    b1 = 1.0
    b2 = 0.5 * b1 + 2.0
    b3 = b2                                      # mu = 0: plain step, buffer untouched
    b4 = 0.8 * b3 + 0.5
    x = np.cumsum([-0.1 * d for d in (b1, b2, -1.0, b4)])
    ours = run_grads(SGD(0.1, momentum=lambda t: mus[t]), 0.0, grads)
    assert_allclose(ours, x, rtol=1e-15)


def test_rmsprop_momentum_schedule_by_hand():
    # torch: b_t = mu_t b_{t-1} + g_t / D_t while mu_t > 0; mu_t = 0: plain step, b kept
    mus, grads = [0.5, 0.0, 0.9], [1.0, -2.0, 0.5]
    v1 = 0.01 * 1.0
    b1 = 1.0 / (math.sqrt(v1) + 1e-8)
    v2 = 0.99 * v1 + 0.01 * 4.0
    step2 = -2.0 / (math.sqrt(v2) + 1e-8)
    v3 = 0.99 * v2 + 0.01 * 0.25
    b3 = 0.9 * b1 + 0.5 / (math.sqrt(v3) + 1e-8)
    x = np.cumsum([-0.01 * b1, -0.01 * step2, -0.01 * b3])
    ours = run_grads(O.RMSprop(0.01, momentum=lambda t: mus[t]), 0.0, grads)
    assert_allclose(ours, x, rtol=1e-13)


def test_adam_beta1_schedule_uses_the_current_beta1_in_the_correction():
    # as torch: m_t = b1_t m + (1 - b1_t) g, m_hat = m_t / (1 - b1_t ** t)
    b1s = [0.5, 0.8]
    m1 = 0.5 * 2.0
    x1 = -0.1 * (m1 / 0.5) / (math.sqrt(0.001 * 4 / 0.001) + 1e-8)
    m2 = 0.8 * m1 + 0.2 * 0.1
    v2 = 0.999 * 0.004 + 0.001 * 0.01
    x2 = x1 - 0.1 * (m2 / (1 - 0.8 ** 2)) / (math.sqrt(v2 / (1 - 0.999 ** 2)) + 1e-8)
    ours = run_grads(Adam(lr=0.1, betas=(lambda t: b1s[t], 0.999)), 0.0, [2.0, 0.1])
    assert_allclose(ours, [x1, x2], rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda m: SGD(0.1, momentum=m, dampening=0.2, weight_decay=0.01),
    lambda m: SGD(0.1, momentum=m, nesterov=True),
    lambda m: Adam(0.1, betas=(m, 0.99), amsgrad=True),
    lambda m: AdamW(0.1, betas=(m, 0.99)),
    lambda m: NAdam(0.1, betas=(m, 0.99)), lambda m: RAdam(0.1, betas=(m, 0.9)),
    lambda m: Adamax(0.1, betas=(m, 0.99)),
    lambda m: O.RMSprop(0.01, momentum=m, centered=True, weight_decay=0.01),
], ids=["sgd", "nesterov", "adam", "adamw", "nadam", "radam", "adamax", "rmsprop"])
def test_constant_momentum_schedule_equals_the_float(make):
    x0 = np.array([1.0, -2.0, 0.5])
    assert_array_equal(run(make(lambda t: 0.7), x0, 8), run(make(0.7), x0, 8))


@pytest.mark.parametrize("make, name", [
    (lambda m: SGD(0.1, momentum=m), "momentum"),
    (lambda m: Adam(0.1, betas=(m, 0.99)), "betas"),
    (lambda m: AdamW(0.1, betas=(m, 0.99)), "betas"),
    (lambda m: NAdam(0.1, betas=(m, 0.99)), "betas"),
    (lambda m: O.RMSprop(0.01, momentum=m), "momentum"),
])
def test_momentum_schedule_is_checked_at_each_update(make, name):
    for bad, error in ((1.0, ValueError), (-0.1, ValueError), (math.nan, ValueError),
                       (math.inf, ValueError), ("0.9", TypeError), (None, TypeError),
                       (np.array([0.9, 0.8]), TypeError)):
        opt = make(lambda t, bad=bad: 0.9 if t == 0 else bad)
        x = np.ones(2)
        state = opt.init(x)
        _, state = opt.update(x, state, x)                 # t = 0 is fine
        for method in (opt.update, opt.update_):
            with pytest.raises(error, match=rf"{name}.*\(1\)"):
                method(x.copy(), state, x.copy())
    # a 0-d array is a number
    opt = make(lambda t: np.array(0.5))
    assert_array_equal(run(opt, [1.0], 3), run(make(0.5), [1.0], 3))


def test_nesterov_with_a_momentum_schedule_still_refuses_dampening():
    with pytest.raises(ValueError, match="nesterov"):
        SGD(0.1, momentum=lambda t: 0.9, dampening=0.1, nesterov=True)
    SGD(0.1, momentum=lambda t: 0.9, nesterov=True)        # accepted


def test_one_cycle_momentum_drives_sgd_through_functools_partial():
    # the documented usage; the momenta fed are the schedule's, step by step
    sched = S.OneCycle(0.05, 40)
    seen = []

    def momentum(t):
        value = sched.momentum(t, base_momentum=0.85, max_momentum=0.95)
        seen.append((t, value))
        return value
    opt = SGD(sched, momentum=momentum)
    run(opt, [1.0], 40)
    assert [t for t, _ in seen] == list(range(40))
    opt2 = SGD(sched, momentum=functools.partial(sched.momentum, base_momentum=0.85,
                                                  max_momentum=0.95))
    assert_array_equal(run(opt2, [1.0], 40), run(opt, [1.0], 40))


# ---------------------------------------------------------------------------
# Recorded frameworks (tests/golden/golden.json)
# ---------------------------------------------------------------------------

FAMILY = R.family_cases()
CYCLE = R.cycle_cases()


def test_recorded_sections_and_versions():
    fam, cyc = GOLDEN["families"], GOLDEN["cycle_momentum"]
    assert fam["versions"]["torch"].startswith("2.13") and fam["versions"]["optax"] == "0.2.8"
    assert fam["seeds"] == [R.FAM_SEED, R.FAM_PER_KIND, R.FAM_STEPS]
    assert cyc["seeds"] == [R.CYC_SEED, R.CYC_PER_KIND, R.CYC_STEPS]
    assert {r["kind"] for r in fam["runs"]} == set(G.FAMILY_KINDS)
    assert {r["kind"] for r in cyc["runs"]} == set(G.CYCLE_KINDS)
    assert len(fam["runs"]) == len(FAMILY) and len(cyc["runs"]) == len(CYCLE)
    # the draws cover schedules, both weight decays and RAdam's two branches
    cfgs = [r["config"] for r in fam["runs"]]
    for source, kinds in (("torch", G.FAMILY_TORCH), ("optax", G.FAMILY_OPTAX)):
        assert any(c["schedule"] for c in cfgs if c["kind"] in kinds), source
    assert {c["kw"]["decoupled_weight_decay"] for c in cfgs if c["kind"] == "NAdam"
            and c["kw"]["weight_decay"]} == {True, False}
    assert any(c["kw"]["betas"][1] < 0.66 for c in cfgs if c["kind"] == "RAdam")
    assert any(c["kw"]["betas"][1] > 0.9 for c in cfgs if c["kind"] == "RAdam")


@pytest.mark.parametrize("index", range(len(FAMILY)),
                         ids=[f"{c[0]['kind']}-{i}" for i, c in enumerate(FAMILY)])
def test_family_matches_recorded_framework(index):
    cfg, x0, grads = FAMILY[index]
    entry = GOLDEN["families"]["runs"][index]
    assert entry["config"] == R._clean(cfg), "the draw changed: re-run record.py families"
    ref = np.array(entry["torch" if cfg["kind"] in G.FAMILY_TORCH else "optax"])
    ours = G.lrtutor_open_loop(G.family_optimizer(cfg), x0, grads)
    assert ours.shape == ref.shape
    assert F.relerr(ours, ref, np.max(np.abs(ref))) <= RTOL


@pytest.mark.parametrize("index", range(len(CYCLE)),
                         ids=[f"{c[0]['kind']}-{i}" for i, c in enumerate(CYCLE)])
def test_cycle_momentum_matches_recorded_torch(index):
    cfg, prob = CYCLE[index]
    entry = GOLDEN["cycle_momentum"]["runs"][index]
    assert entry["config"] == R._clean(cfg), "the draw changed: re-run record.py families"
    ref = np.array(entry["torch"])
    ours = G.lrtutor_cycle(cfg, prob, R.CYC_STEPS)
    assert ours.shape == ref.shape == (R.CYC_STEPS + 1, len(prob["x0"]))
    assert F.relerr(ours, ref, np.max(np.abs(ref))) <= RTOL


def test_recorded_cycle_momentum_is_not_constant_momentum():
    """The recorded runs would fail with the momentum held at its first value:
    the check above can tell cycle momentum from none."""
    cfg, prob = CYCLE[0]
    ref = np.array(GOLDEN["cycle_momentum"]["runs"][0]["torch"])
    sched, _ = G._cycle_schedule(cfg["schedule"], prob.get("L"))
    opt = SGD(sched, momentum=cfg["max_momentum"], nesterov=cfg["kw"]["nesterov"],
              weight_decay=cfg["kw"]["weight_decay"])
    fixed = F.lrtutor_trajectory(opt, prob["A"], prob["b"], prob["x0"], R.CYC_STEPS)
    assert F.relerr(fixed, ref, np.max(np.abs(ref))) > 1e3 * RTOL


# ---------------------------------------------------------------------------
# The contract: hostile input, foreign states, eps = 0, in place
# ---------------------------------------------------------------------------

NEW = [NAdam(), NAdam(weight_decay=0.1, decoupled_weight_decay=True), RAdam(),
       Adamax(weight_decay=0.1), Adadelta(), Yogi(), Lion(),
       SGD(0.1, momentum=lambda t: 0.9), Adam(betas=(lambda t: 0.9, 0.999))]

HOSTILE_ARRAYS = [np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]), np.array([[1.0, 2.0]]),
                  np.array([np.nan, 1.0]), np.array([np.inf, 1.0]), [1.0, 2.0], "ab", None,
                  np.array([1, 2]), np.array([1.0, 2.0])[::-1], 3.0,
                  np.array([1e300, -1e300])]


@pytest.mark.parametrize("opt", NEW, ids=lambda o: type(o).__name__)
def test_methods_with_hostile_arrays_raise_named_errors_or_run_quietly(opt):
    for method in ("update", "update_"):
        for g in HOSTILE_ARRAYS:
            for p in HOSTILE_ARRAYS:
                state = opt.init(np.array([1.0, 2.0]))
                params = p.copy() if isinstance(p, np.ndarray) else p
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    try:
                        getattr(opt, method)(g, state, params)
                    except (TypeError, ValueError) as exc:
                        assert any(n in str(exc) for n in ("grads", "params", "state", "lr"))


def _layout(state):
    return type(state), tuple(b is None for b in state[1:])


def test_a_state_of_another_optimizer_is_rejected():
    x = np.array([1.0, 2.0])
    everyone = NEW + [O.SGD(0.1), O.AdaGrad(), O.RMSprop(), O.Adam(amsgrad=True),
                      O.ScheduleFreeAdamW()]
    for opt in NEW:
        mine = _layout(opt.init(x))
        for other in everyone:
            if _layout(other.init(x)) == mine:
                opt.update(x.copy(), other.init(x), x.copy())     # same layout: accepted
                continue
            for method in (opt.update, opt.update_):
                with pytest.raises((TypeError, ValueError), match="state"):
                    method(x.copy(), other.init(x), x.copy())


def test_nadam_mu_product_is_checked_as_a_per_run_number():
    opt, x = NAdam(), np.ones(2)
    with pytest.raises(TypeError, match="mu_product"):
        opt.update(x, opt.init(x)._replace(mu_product="1"), x)


SPECS = [
    (NAdam, dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False)),
    (RAdam, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False)),
    (Adamax, dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
    (Adadelta, dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0)),
    (Yogi, dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-3, initial_accumulator_value=1e-6)),
    (Lion, dict(lr=1e-4, betas=(0.9, 0.99), weight_decay=1e-3)),
]

BAD = {
    "lr": [-1.0, 0.0, math.nan, math.inf, "0.1", None, [0.1, -0.1], [[0.1]], 1 + 1j, 10**400],
    "betas": [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.9), (0.9,), 0.9, (math.nan, 0.9), "ab",
              (0.9, "0.9")],
    "rho": [-0.1, 1.5, math.nan, "0.9", None],
    "bool": ["yes", None, 1.5, 1],
    "number": [-1.0, math.nan, math.inf, -math.inf, "0.1", None, [0.1], 1 + 1j, 10**400],
}


@pytest.mark.parametrize("cls, good", SPECS, ids=[c.__name__ for c, _ in SPECS])
def test_each_invalid_argument_is_named(cls, good):
    assert dataclasses.asdict(cls(**good)) == {k: (tuple(v) if isinstance(v, tuple) else v)
                                               for k, v in good.items()}   # the defaults
    for name, value in good.items():
        kind = (name if name in ("lr", "betas", "rho") else
                "bool" if isinstance(value, bool) else "number")
        for bad in BAD[kind]:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with pytest.raises((TypeError, ValueError), match=name):
                    cls(**dict(good, **{name: bad}))


@pytest.mark.parametrize("opt", [NAdam(0.5), RAdam(0.5), Adamax(0.5), Adadelta(), Yogi(0.5),
                                 Lion(0.5)], ids=lambda o: type(o).__name__)
def test_runs_report_divergence_never_warn(opt):
    problem = P.Quadratic.random(3, 10.0, 0.1, np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lr in (1e-3, 1e6, np.array([1e-3, 1e6])):
            o = dataclasses.replace(opt, lr=lr)
            x0 = np.ones((2, 3)) if np.ndim(lr) else np.ones(3)
            trace = T.run(problem, o, x0, 40)
            assert np.all(np.isfinite(trace.params))


def test_update_inplace_of_the_families_makes_no_parameter_sized_temporaries():
    import tracemalloc
    for opt in (NAdam(1e-3), Yogi(1e-3), Adadelta()):
        x = np.ones(40 * O.CHUNK)
        g = np.full_like(x, 0.5)
        state = opt.init(x)
        opt.update_(g, state, x, workers=1)
        tracemalloc.start()
        opt.update_(g, state, x, workers=1)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        # about ten block-sized temporaries (10/40 of x); one the size of x is 40
        assert peak < x.nbytes / 2, type(opt).__name__
