"""x2's explorers: what they draw follows the mathematics and the framework reference values.

Reference values marked [verified] in /work/shared/CONVENTIONS.md were printed by
torch 2.13.0, optax 0.2.8 and keras 3.15.1; they are embedded here as constants.
"""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from lrtutor import finder, problems, schedules, theory, widgets  # noqa: E402


def text(ex):
    """The message as one line (the schedule explorer wraps its calls with <br>)."""
    return re.sub(r"<br>( {4})?", " ", ex.message.value)


def _close(ex):
    plt.close(ex.fig)


@pytest.fixture
def sched():
    ex = widgets.ScheduleExplorer()
    yield ex
    _close(ex)


def kind_index(kind):
    return [k for k, _ in widgets.SCHEDULE_KINDS].index(kind)


def curve(ex):
    t, y = ex.line.get_data()
    return np.asarray(t, dtype=int), np.asarray(y, dtype=float)


def pick(ex, **values):
    """Set the controls (the schedule by key) and return the drawn curve."""
    for name, value in values.items():
        ex.set(name, kind_index(value) if name == "schedule" else value)
    return curve(ex)


# ------------------------------------------------------------ schedules --

def test_every_schedule_is_drawn_from_its_lrtutor_object(sched):
    for kind, _ in widgets.SCHEDULE_KINDS:
        t, y = pick(sched, schedule=kind)
        s, _, calls = widgets.schedule_with_calls(kind, *[sched.values[n] for n in (
            "eta0", "horizon", "step_size", "gamma", "warmup", "power", "floor")])
        assert_allclose(y, s(t), rtol=1e-14)
        assert np.all(np.isfinite(y)) and y.size >= 10
        for fw in ("PyTorch:", "Keras:", "optax:"):
            assert fw in text(sched), (kind, sched.message.value)


def test_step_matches_torch_steplr(sched):            # StepLR doc [verified]
    t, y = pick(sched, schedule="step", eta0=0.05, step_size=30, gamma=0.1)
    assert_allclose(y[[0, 29, 30, 59, 60, 89]], [.05, .05, .005, .005, .0005, .0005], rtol=1e-12)
    assert "StepLR(opt, step_size=30, gamma=0.1)" in text(sched)
    assert "staircase=True" in text(sched)


def test_exponential_torch_gamma_is_the_per_step_factor(sched):
    t, y = pick(sched, schedule="exponential", eta0=0.1, step_size=10, gamma=0.5)
    assert_allclose(y, schedules.ExponentialDecay.from_factor(0.1, 0.5 ** 0.1)(t), rtol=1e-12)
    assert_allclose(y[[5, 10, 20]], [.0707107, .05, .025], rtol=1e-6)      # Keras [verified]
    assert f"ExponentialLR(opt, gamma={0.5 ** 0.1:.8g})" in text(sched)


def test_multistep_keras_boundaries_reproduce_torch_milestones(sched):
    t, y = pick(sched, schedule="multistep", eta0=0.05, horizon=120, gamma=0.1)
    assert "MultiStepLR(opt, milestones=[60, 90], gamma=0.1)" in text(sched)
    assert "boundaries=[59, 89]" in text(sched)
    keras = schedules.PiecewiseConstant((59, 89), (0.05, 0.005, 0.0005))   # right-closed
    assert_allclose(y, keras(t), rtol=1e-12)


def test_inverse_time_reaches_gamma_times_eta0_at_step_k(sched):
    t, y = pick(sched, schedule="inverse_time", eta0=0.2, step_size=40, gamma=0.25)
    assert_allclose(y[40], 0.05, rtol=1e-12)
    assert_allclose(y, 0.2 / (1 + 3.0 * t / 40), rtol=1e-12)                # r = 1/gamma - 1
    assert "no built-in scheduler" in text(sched)


def test_polynomial_matches_torch_polynomiallr_only_when_it_ends_at_zero(sched):
    t, y = pick(sched, schedule="polynomial", eta0=0.05, horizon=50, power=0.9, floor=0.0)
    assert_allclose(y[[0, 1, 2, 3, 49, 50, 60]],                          # torch [verified]
                    [.05, .0490991, .0481963, .0472917, .00147876, 0, 0], rtol=1e-5, atol=1e-12)
    assert "PolynomialLR(opt, total_iters=50, power=0.9)" in text(sched)
    sched.set("floor", 0.1)
    assert "PyTorch: no exact equivalent" in text(sched)


def test_cosine_clamps_while_torch_rises_again(sched):
    t, y = pick(sched, schedule="cosine", eta0=0.1, horizon=10, floor=0.0)
    assert_allclose(y[[0, 5, 10, 15, 20]], [.1, .05, 0, 0, 0], atol=1e-12)
    tt, yt = sched.torch_line.get_data()
    tt, yt = np.asarray(tt), np.asarray(yt)
    assert tt[0] == 10
    assert_allclose(yt[[0, 5, 10]], [0.0, .05, .1], atol=1e-12)   # torch t10 0, t15 .05, t20 .1
    sched.set("schedule", kind_index("step"))
    assert len(sched.torch_line.get_xdata()) == 0


def test_warmup_cosine_matches_optax_and_keras(sched):
    t, y = pick(sched, schedule="warmup_cosine", eta0=1.0, horizon=110, warmup=10, floor=0.01)
    assert_allclose(y[[5, 10, 60, 110]], [.5, 1.0, .505, .01], rtol=1e-9)    # optax [verified]
    msg = text(sched)
    assert "warmup_cosine_decay_schedule(0.0, 1, warmup_steps=10, decay_steps=110" in msg
    assert "CosineDecay(0.0, decay_steps=100, alpha=0.01, warmup_target=1, warmup_steps=10)" in msg
    t, y = pick(sched, floor=0.0, eta0=0.1)
    assert_allclose(y[[5, 10, 60, 110]], [.05, .1, .05, 0], atol=1e-12)      # Keras [verified]


def test_warm_restarts_match_torch_and_keras(sched):
    t, y = pick(sched, schedule="restarts", eta0=0.1, step_size=5, gamma=1.0, floor=0.01)
    assert_allclose(y[[0, 1, 4, 5, 10, 14, 15]],                          # torch [verified]
                    [.1, .0905463, .0104537, .1, .0505, .0034227, .1], rtol=1e-5)
    assert "CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, eta_min=0.001)" in text(sched)
    t, y = pick(sched, eta0=1.0, step_size=10, gamma=0.5, floor=0.0)
    assert_allclose(y[[5, 9, 10, 20, 29, 30, 70]],                        # Keras [verified]
                    [.5, .0244718, .5, .25, .00307791, .25, .125], rtol=1e-5)
    assert "PyTorch: no exact equivalent" in text(sched)


def test_cyclic_modes_match_torch_cycliclr(sched):
    t, y = pick(sched, schedule="triangular", eta0=0.1, floor=0.1, step_size=4)
    assert_allclose(y[:6], [.01, .0325, .055, .0775, .1, .0775], rtol=1e-9)
    t, y = pick(sched, schedule="triangular2")
    assert_allclose([y[4], y[12], y[20]], [.1, .055, .0325], rtol=1e-9)
    t, y = pick(sched, schedule="exp_range", gamma=0.9 ** 8)         # gamma per step 0.9
    assert_allclose(y[:6], [.01, .03025, .04645, .0592075, .069049, .0498581], rtol=1e-6)
    assert "gamma=0.9)" in text(sched)
    assert "Keras: no exact equivalent" in text(sched)


def test_onecycle_matches_torch_and_stops_at_total_steps(sched):
    t, y = pick(sched, schedule="onecycle", eta0=1.0, horizon=100, warmup=30)
    assert t[-1] == 99
    assert_allclose(y[[0, 10, 29, 30, 50, 99]],                           # torch [verified]
                    [.04, .295164, 1.0, .999497, .793893, 4e-6], rtol=1e-5)
    assert "OneCycleLR(opt, max_lr=1, total_steps=100, pct_start=0.3)" in text(sched)
    assert "peaks at step 30, one step after torch's 29" in text(sched)


def test_unused_controls_are_disabled(sched):
    pick(sched, schedule="constant")
    assert [n for n, c in sched.controls.items() if not c.disabled] == ["schedule", "eta0"]
    pick(sched, schedule="onecycle")
    assert not sched.controls["warmup"].disabled and sched.controls["gamma"].disabled


def test_schedule_arguments_are_validated():
    with pytest.raises(ValueError, match="schedule"):
        widgets.ScheduleExplorer(schedule="linearr")
    with pytest.raises(ValueError, match="eta0"):
        widgets.ScheduleExplorer(eta0=2.0)
    with pytest.raises(ValueError, match="horizon"):
        widgets.ScheduleExplorer(horizon=5)
    with pytest.raises(ValueError, match="gamma"):
        widgets.schedule_with_calls("step", gamma=0.0)
    with pytest.raises(ValueError, match="kind"):
        widgets.schedule_with_calls("cosine annealing")


# -------------------------------------------------------------- plateau --

def torch_rule(metrics, lr, factor, patience, threshold, cooldown, min_lr):
    best, bad, cool, out = np.inf, 0, 0, []
    for a in metrics:
        if a < best * (1 - threshold):
            best, bad = a, 0
        else:
            bad += 1
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > patience:
            new = max(lr * factor, min_lr)
            lr = new if lr - new > 1e-8 else lr
            cool, bad = cooldown, 0
        out.append(lr)
    return np.array(out)


def keras_rule(metrics, lr, factor, patience, min_delta, cooldown, min_lr):
    best, wait, cool, out = np.inf, 0, 0, []
    for a in metrics:
        if cool > 0:
            cool, wait = cool - 1, 0
        if a < best - min_delta:                 # keras: np.less(a, best - min_delta)
            best, wait = a, 0
        elif cool == 0:
            wait += 1
            if wait >= patience and lr > min_lr:
                lr, cool, wait = max(lr * factor, min_lr), cooldown, 0
        out.append(lr)
    return np.array(out)


@pytest.mark.parametrize("factor, patience, cooldown, threshold", [
    (0.5, 5, 0, 1e-3), (0.2, 2, 3, 1e-2), (0.05, 0, 0, 1e-5), (0.95, 20, 10, 0.1)])
@pytest.mark.parametrize("convention", ["torch", "keras"])
def test_plateau_rates_follow_the_rule(factor, patience, cooldown, threshold, convention):
    ex = widgets.PlateauExplorer(factor, patience, cooldown, threshold, convention)
    try:
        rule = torch_rule if convention == "torch" else keras_rule
        after = rule(ex.metrics, 0.1, factor, patience, threshold, cooldown, 1e-4)
        used = np.r_[0.1, after[:-1]]
        _, drawn = ex.rate_line.get_data()
        assert_allclose(drawn, used, rtol=1e-12)
        cuts = np.flatnonzero(after < used)
        assert_allclose(ex.cuts.get_xdata(), cuts)
        assert_allclose(ex.cuts.get_ydata(), ex.metrics[cuts])
        text = ex.message.value
        if cuts.size:
            assert f"{cuts.size} cut" in text and f"after epochs {cuts[0]}" in text
            assert f"-> {after[-1]:.3g}" in text
        else:
            assert "no cut" in text
    finally:
        _close(ex)


def test_keras_cuts_one_epoch_before_torch_on_the_same_curve():
    # with a threshold far below the noise both rules see the same improvements;
    # torch cuts at num_bad > patience, Keras at wait >= patience
    ex = widgets.PlateauExplorer(factor=0.5, patience=4, threshold=1e-5)
    try:
        torch_first = int(ex.cuts.get_xdata()[0])
        ex.set("convention", "keras")
        assert int(ex.cuts.get_xdata()[0]) == torch_first - 1
    finally:
        _close(ex)


def test_plateau_arguments_are_validated():
    with pytest.raises(ValueError, match="factor"):
        widgets.PlateauExplorer(factor=1.0)
    with pytest.raises(ValueError, match="convention"):
        widgets.PlateauExplorer(convention="fastai")
    with pytest.raises(ValueError, match="patience"):
        widgets.PlateauExplorer(patience=-1)


# ----------------------------------------------------------- range test --

@pytest.fixture
def ranger():
    ex = widgets.RangeTestExplorer()
    yield ex
    _close(ex)


def test_reference_lines_are_the_closed_form_rates(ranger):
    X, y = problems.make_linear_data(n=200, rng=np.random.default_rng(1))
    Xb = np.column_stack([np.ones(200), X[:, 0]])
    mu, L = np.linalg.eigvalsh(Xb.T @ Xb / 200)
    assert_allclose(ranger.eta_star, 2 / (L + mu), rtol=1e-12)
    assert_allclose(ranger.eta_crit, 2 / L, rtol=1e-12)
    xs = sorted(float(line.get_xdata()[0]) for line in ranger.ax.get_lines()
                if line not in ranger.animated and len(line.get_xdata()) == 2)
    assert_allclose(xs, sorted([2 / (L + mu), 2 / L]), rtol=1e-12)


@pytest.mark.parametrize("batch", [0, 16])
def test_range_test_curves_and_suggestions_are_drawn_as_computed(ranger, batch):
    ranger.set("batch", batch).set("num_it", 150).set("beta", 0.9)
    p = ranger.problem
    res = finder.range_test(p, widgets.optim.SGD(lr=1.0), [0.0, 0.0], 1e-4, 100.0, 150,
                            rng=np.random.default_rng(0), batch_size=batch or None, beta=0.9)
    lrs, smooth = ranger.smooth_line.get_data()
    assert_allclose(smooth, finder.smooth_losses(res.losses, 0.9)[np.isfinite(res.smoothed)],
                    rtol=1e-12)
    assert_allclose(lrs, res.lrs[np.isfinite(res.smoothed)], rtol=1e-12)
    for name, rule in finder.SUGGESTIONS.items():
        rate = rule(res)
        assert_allclose(ranger.rule_lines[name].get_xdata()[0], rate, rtol=1e-12)
        assert f"{name} {rate / ranger.eta_star:.2g}" in ranger.message.value


def test_full_batch_test_stops_only_past_the_stability_limit(ranger):
    for num_it in (50, 100, 200):
        ranger.set("num_it", num_it)
        res = ranger.run_test()
        assert res.stopped_at >= 0
        assert res.lrs[res.stopped_at] > ranger.eta_crit   # below 2/L every GD step lowers f


def test_a_rule_without_enough_points_is_left_out(ranger):
    # 20 updates from 1e-2 stop a few updates past 2/L: fewer than the 16 window
    # points the slide rule needs (lr_diff + 1)
    ranger.set("start_lr", 1e-2).set("end_lr", 1000.0).set("num_it", 20)
    lrs, _ = finder.suggestion_window(ranger.run_test())
    assert lrs.size < 16
    assert "slide -" in ranger.message.value
    assert not ranger.rule_lines["slide"].get_visible()
    assert ranger.rule_lines["valley"].get_visible()


def test_range_test_arguments_are_validated():
    with pytest.raises(ValueError, match="num_it"):
        widgets.RangeTestExplorer(num_it=500)
    with pytest.raises(ValueError, match="batch_size"):
        widgets.RangeTestExplorer(batch_size=7)
    with pytest.raises(ValueError, match="start_lr"):
        widgets.RangeTestExplorer(start_lr=1.0)


# ----------------------------------------------------------- regression --

@pytest.fixture
def reg():
    ex = widgets.RegressionExplorer()
    yield ex
    _close(ex)


def test_full_batch_gap_is_the_closed_form(reg):
    reg.set("eta", 0.3).set("steps", 100)
    p = reg.problem
    H = np.cov(np.c_[np.ones(p.n), reg.x].T, bias=True) + np.outer([1, reg.x.mean()],
                                                                  [1, reg.x.mean()])
    Xb = np.column_stack([np.ones(p.n), reg.x])
    assert_allclose(H, Xb.T @ Xb / p.n, rtol=1e-12)
    theta = theory.gd_iterate(H, [0.0, 0.0], 0.3, np.arange(101), minimizer=p.minimizer)
    err = theta - p.minimizer
    gap = 0.5 * np.einsum("ti,ij,tj->t", err, H, err)
    t, drawn = reg.gap_line.get_data()
    assert_allclose(drawn, gap[np.asarray(t, dtype=int)], rtol=1e-7)
    b, w = theta[-1]
    assert_allclose(reg.fit_line.get_ydata(), b + w * reg.grid, rtol=1e-9)


def test_verdict_flips_at_the_stability_limit(reg):
    limit = 2 / reg.problem.L
    assert f"2/L = {limit:.4g}" in reg.message.value
    reg.set("steps", 300).set("eta", 0.99 * limit)
    assert reg.message.value.startswith("<b>final gap")
    reg.set("eta", 1.1 * limit)
    assert reg.message.value.startswith("<b>diverged at step")
    t, _ = reg.gap_line.get_data()
    at = int(reg.message.value.split("step ")[1].split(":")[0])
    assert t[-1] == at - 1                                  # stops at the last finite step


def test_schedules_and_batches_are_the_lrtutor_ones(reg):
    reg.set("schedule", "step").set("steps", 200).set("eta", 0.8)
    assert reg.schedule() == schedules.StepDecay(0.8, 50, 0.5)
    reg.set("schedule", "inverse_time")
    assert reg.schedule() == schedules.InverseTimeDecay(0.8, 1.0, 10)
    reg.set("batch", 10)
    first = reg.gap_line.get_ydata().copy()
    reg.set("batch", 1).set("batch", 10)                    # same seed: same mini-batches
    assert_allclose(reg.gap_line.get_ydata(), first, rtol=0)
    # mini-batch noise keeps a constant-rate run away from f*; 1/t decay gets closer
    reg.set("schedule", "constant").set("steps", 300).set("eta", 0.5)
    constant = float(reg.message.value.split("= ")[1].split(" ")[0])
    reg.set("schedule", "cosine")
    cosine = float(reg.message.value.split("= ")[1].split(" ")[0])
    assert cosine < constant


def test_regression_arguments_are_validated():
    with pytest.raises(ValueError, match="eta"):
        widgets.RegressionExplorer(eta=10.0)
    with pytest.raises(ValueError, match="schedule"):
        widgets.RegressionExplorer(schedule="cyclic")
    with pytest.raises(ValueError, match="X and y"):
        widgets.RegressionExplorer(X=np.zeros((60, 1)))
    with pytest.raises(ValueError, match="X"):
        widgets.RegressionExplorer(X=np.zeros((60, 2)), y=np.zeros(60))
