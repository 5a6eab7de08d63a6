"""Tests of the w4 helpers (translation and errata chapters).

theory.steps_per_epoch, theory.scheduler_rates_used, theory.ema_to_classical_lr,
plotting.plot_schedules, plotting.plot_rate_grids. Expected values come from hand
computation, from PyTorch's documented loop behaviour (CONVENTIONS.md B.0) and
from running the optimizers of lrtutor.optim (independent code paths).
"""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from lrtutor import optim, plotting, problems, schedules, theory, train  # noqa: E402


# --------------------------------------------------------- steps_per_epoch --

@pytest.mark.parametrize("n, b, drop, expected", [
    (1000, 32, False, 32),   # 31 full batches + one of 8
    (1000, 32, True, 31),
    (1024, 32, False, 32), (1024, 32, True, 32),
    (1, 1, False, 1), (5, 10, False, 1),
])
def test_steps_per_epoch_by_hand(n, b, drop, expected):
    assert theory.steps_per_epoch(n, b, drop_last=drop) == expected


@given(st.integers(1, 10_000), st.integers(1, 500))
def test_steps_per_epoch_counts_batches(n, b):
    # independent: count the slices a loader would produce
    assert theory.steps_per_epoch(n, b) == len(range(0, n, b))
    if n >= b:
        assert theory.steps_per_epoch(n, b, drop_last=True) == sum(
            1 for i in range(0, n, b) if i + b <= n)


def test_steps_per_epoch_onecycle_horizon():
    # OneCycle over 3 epochs of 1000 examples in batches of 32: 96 updates
    total = 3 * theory.steps_per_epoch(1000, 32)
    s = schedules.OneCycle(0.1, total)
    assert total == 96
    # every update has a rate; torch OneCycleLR endpoints (B.1): max/div and max/(div*final_div)
    rates = s(np.arange(total))
    assert rates.shape == (96,) and np.all(rates > 0) and rates.max() <= 0.1
    assert_allclose(rates[[0, -1]], [0.1 / 25, 0.1 / (25 * 1e4)], rtol=1e-12)
    # 93 < 96 is fine (drop_last's horizon): cos phase from step pN-1 = 27.8 down to N-1 = 95
    pct = (93 - 27.8) / (95 - 27.8)
    assert_allclose(s(3 * (1000 // 32)),
                    4e-7 + (0.1 - 4e-7) / 2 * (1 + math.cos(math.pi * pct)), rtol=1e-12)
    with pytest.raises(ValueError, match="total_steps"):
        s(total + 1)                         # torch defines t = total_steps; past it raises


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(n=0, batch_size=1), ValueError, "n must be"),
    (dict(n=10, batch_size=0), ValueError, "batch_size must be"),
    (dict(n=1.5, batch_size=1), TypeError, "n must be"),
    (dict(n=10, batch_size=2, drop_last=1), TypeError, "drop_last must be a bool"),
    (dict(n=3, batch_size=4, drop_last=True), ValueError, "drop_last=True needs"),
])
def test_steps_per_epoch_rejects(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        theory.steps_per_epoch(**kwargs)


# ---------------------------------------------------- scheduler_rates_used --

def test_rates_used_right_order_is_the_schedule():
    s = schedules.StepDecay(0.1, step_size=3, gamma=0.1)
    assert_allclose(theory.scheduler_rates_used(s, 7),
                    [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001], rtol=1e-12)


def test_rates_used_wrong_order_skips_first_value():
    # torch LinearLR(start_factor=0.1, total_iters=4), base 0.1 (ERRATA E000-7):
    # [0.01, 0.0325, 0.055, 0.0775, 0.1]; scheduler.step() first skips 0.01
    s = schedules.LinearSchedule(0.01, 0.1, 4)
    used = theory.scheduler_rates_used(s, 5, scheduler_first=True)
    assert_allclose(used, [0.0325, 0.055, 0.0775, 0.1, 0.1], rtol=1e-12)


def test_rates_used_matches_a_simulated_torch_loop():
    # a loop written the torch way: the scheduler object holds last_epoch
    s = schedules.CosineAnnealing(0.1, T_max=5)
    for first in (False, True):
        last_epoch, used = 0, []          # constructor: lr = s(0)
        for _ in range(8):
            if first:
                last_epoch += 1
            used.append(s(last_epoch))    # optimizer.step() uses the current lr
            if not first:
                last_epoch += 1
        assert_allclose(theory.scheduler_rates_used(s, 8, scheduler_first=first),
                        used, rtol=1e-12)


def test_rates_used_empty_and_errors():
    assert theory.scheduler_rates_used(schedules.Constant(0.1), 0).shape == (0,)
    with pytest.raises(TypeError, match="schedule must be callable"):
        theory.scheduler_rates_used(0.1, 3)
    with pytest.raises(ValueError, match="steps must be"):
        theory.scheduler_rates_used(schedules.Constant(0.1), -1)
    with pytest.raises(TypeError, match="scheduler_first must be a bool"):
        theory.scheduler_rates_used(schedules.Constant(0.1), 3, scheduler_first="yes")


# ----------------------------------------------------- ema_to_classical_lr --

@pytest.mark.parametrize("eta, beta", [(0.1, 0.9), (0.5, 0.0), (0.03, 0.99)])
def test_ema_equals_classical_at_converted_rate(eta, beta):
    q = problems.Quadratic.two_d(1.0, 10.0, angle=0.3)
    x0 = [1.0, -2.0]
    ema = train.run(q, optim.EMAMomentum(eta, beta), x0, 40)
    lr_c = theory.ema_to_classical_lr(eta, beta)
    torch_like = train.run(q, optim.SGD(lr_c, momentum=beta), x0, 40)
    keras_like = train.run(q, optim.HeavyBall(lr_c, beta), x0, 40)
    assert_allclose(ema.params, torch_like.params, rtol=1e-10, atol=1e-14)
    assert_allclose(ema.params, keras_like.params, rtol=1e-10, atol=1e-14)


def test_ema_conversion_by_hand_and_errata_numbers():
    assert math.isclose(theory.ema_to_classical_lr(0.1, 0.9), 0.01, rel_tol=1e-12)
    # ERRATA E004-6: 5 steps on x**2/2 from 1 at lr 0.01: classical 0.871634, EMA 0.9869
    q = problems.Quadratic.one_d(1.0)
    classical = train.run(q, optim.SGD(0.01, momentum=0.9), [1.0], 5).params[-1, 0]
    ema = train.run(q, optim.EMAMomentum(0.01, 0.9), [1.0], 5).params[-1, 0]
    assert round(classical, 6) == 0.871634
    assert round(ema, 4) == 0.9869


@pytest.mark.parametrize("eta, beta, exc", [
    (0.0, 0.9, ValueError), (0.1, 1.0, ValueError), (0.1, -0.1, ValueError),
    ("0.1", 0.9, TypeError),
])
def test_ema_conversion_rejects(eta, beta, exc):
    with pytest.raises(exc, match="eta|beta"):
        theory.ema_to_classical_lr(eta, beta)


# ---------------------------------------------------------------- plotting --

@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_plot_schedules_draws_the_values(ax):
    s = schedules.CosineDecay(0.1, 10)
    wrong = lambda t: 0.1 - 0.02 * np.asarray(t)   # noqa: E731  goes negative
    out = plotting.plot_schedules(ax, [s, wrong], 12, labels=["cos", "wrong"])
    assert out is ax
    lines = ax.get_lines()
    assert_allclose(lines[0].get_ydata(), s(np.arange(12)), rtol=1e-12)
    assert_allclose(lines[1].get_ydata(), 0.1 - 0.02 * np.arange(12), rtol=1e-12)
    assert len(ax.collections) == 1           # the negative part is shaded, once
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[:2] == ["cos", "wrong"] and "gradient ascent" in texts[2]


def test_plot_schedules_positive_rates_have_no_shading(ax):
    plotting.plot_schedules(ax, [schedules.CosineDecay(0.1, 10)], 12)
    assert not ax.collections and ax.get_legend() is None


def test_plot_schedules_log(ax):
    plotting.plot_schedules(ax, [schedules.ExponentialDecay(0.1, 0.9)], 5, logy=True)
    assert ax.get_yscale() == "log" and not ax.collections


def test_plot_rate_grids(ax):
    grids = [np.linspace(1e-4, 1, 5), np.logspace(-4, 0, 5)]
    plotting.plot_rate_grids(ax, grids, ["linspace", "logspace"])
    assert ax.get_xscale() == "log"
    assert_allclose(ax.get_lines()[1].get_xdata(), np.logspace(-4, 0, 5), rtol=1e-12)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["linspace", "logspace"]
