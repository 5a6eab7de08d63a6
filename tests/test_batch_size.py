"""Tests of what the chapter "Batch size and the learning rate" adds to lrtutor.

train.sweep_batch_sizes, train.best_rate, train.steps_to_target,
train.critical_batch_fit, plotting.scaling_rule / plot_loss_vs_rate /
plot_best_rates / plot_steps_to_target and widgets.BatchSizeExplorer.
Expected values come from closed forms or from independent runs of train.run.
"""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from lrtutor import optim, plotting, train, widgets  # noqa: E402
from lrtutor.network import MLP  # noqa: E402


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 3))
    y = rng.integers(0, 3, 20)
    net = MLP(X, y, hidden=(4,))
    return net, net.init(np.random.default_rng(0), k=2)


# --- sweep_batch_sizes -------------------------------------------------------

def test_sweep_batch_sizes_equals_separate_runs(tiny):
    """Each (batch size, rate, seed) is the run train.run makes alone with the
    same generator; float64 batched products may differ in the last bits."""
    net, x0 = tiny
    lrs = np.array([0.05, 0.5])
    traces = train.sweep_batch_sizes(net, optim.SGD(lr=1.0), lrs, x0, [3, 8], 2,
                                     rng=[np.random.default_rng(s) for s in (10, 11)])
    assert [t.steps for t in traces] == [2 * math.ceil(20 / 3), 2 * math.ceil(20 / 8)]
    for b, tr in zip([3, 8], traces):
        assert tr.final_loss.shape == (2, 2)
        assert tr.recorded.tolist() == [0, tr.steps]          # default record_every
        for i, eta in enumerate(lrs):
            for s in range(2):
                alone = train.run(net, optim.SGD(lr=eta), x0[s], tr.steps,
                                  rng=np.random.default_rng(10 + s), batch_size=b,
                                  sampling="epoch")
                assert_allclose(tr.final_loss[i, s], alone.final_loss, rtol=1e-12)
                assert_allclose(tr.batch_losses[:, i, s], alone.batch_losses, rtol=1e-12)


def test_sweep_batch_sizes_leaves_the_generators_alone(tiny):
    net, x0 = tiny
    rngs = [np.random.default_rng(s) for s in (0, 1)]
    before = [r.bit_generator.state for r in rngs]
    train.sweep_batch_sizes(net, optim.SGD(lr=1.0), [0.1], x0, [5], 1, rng=rngs)
    assert [r.bit_generator.state for r in rngs] == before


def test_sweep_batch_sizes_bad_arguments(tiny):
    net, x0 = tiny
    rng = [np.random.default_rng(0), np.random.default_rng(1)]
    with pytest.raises(ValueError, match="batch_sizes"):
        train.sweep_batch_sizes(net, optim.SGD(lr=1.0), [0.1], x0, [], 1, rng=rng)
    with pytest.raises(ValueError, match=r"batch_sizes\[1\]"):
        train.sweep_batch_sizes(net, optim.SGD(lr=1.0), [0.1], x0, [4, 21], 1, rng=rng)
    with pytest.raises(ValueError, match="epochs"):
        train.sweep_batch_sizes(net, optim.SGD(lr=1.0), [0.1], x0, [4], 0, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        train.sweep_batch_sizes(net, optim.SGD(lr=1.0), [0.1], x0, [4], 1,
                                rng=np.random.default_rng(0))
    from lrtutor.problems import Quadratic
    with pytest.raises(TypeError, match="problem"):
        train.sweep_batch_sizes(Quadratic.one_d(1.0), optim.SGD(lr=1.0), [0.1],
                                [[1.0]], [1], 1, rng=rng[:1])


# --- best_rate -------------------------------------------------------------

def test_best_rate_recovers_the_vertex_of_a_log_log_parabola():
    """log f = (log eta - log 0.37)^2 + 1 on a grid of factor 2: the three-point
    parabola is exact, so the vertex 0.37 comes back to rounding."""
    lrs = 2.0 ** np.arange(-6, 3)
    f = np.exp((np.log(lrs) - np.log(0.37)) ** 2 + 1.0)
    assert_allclose(train.best_rate(lrs, f), 0.37, rtol=1e-12)


def test_best_rate_is_scale_free_and_vectorised():
    """Multiplying the losses by a constant does not move the vertex; rows are
    independent (a batch of curves equals the curves one by one)."""
    lrs = np.geomspace(1e-3, 1.0, 7)
    rng = np.random.default_rng(0)
    curves = np.exp((np.log(lrs)[None] - rng.uniform(-6, -1, (4, 1))) ** 2 / 3)
    together = train.best_rate(lrs, curves)
    assert_allclose(together, [train.best_rate(lrs, c) for c in curves], rtol=1e-15)
    assert_allclose(train.best_rate(lrs, 7.5 * curves), together, rtol=1e-12)
    assert np.all((together >= lrs[0]) & (together <= lrs[-1]))


@pytest.mark.parametrize("losses, expected", [
    ([1.0, 2.0, 3.0], 0.01),                  # minimum at the lower end: the grid rate
    ([3.0, 2.0, 1.0], 1.0),                   # at the upper end
    ([2.0, 1.0, np.nan], 0.1),                # neighbour diverged: not refined
    ([2.0, 1.0, np.inf], 0.1),
    ([np.nan, np.nan, np.nan], np.nan),       # every run diverged
    ([2.0, 0.0, 2.0], 0.1),                   # a zero loss has no logarithm
])
def test_best_rate_edge_cases(losses, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = train.best_rate([0.01, 0.1, 1.0], losses)
    assert_allclose(got, expected, rtol=1e-15)


def test_best_rate_bad_arguments():
    with pytest.raises(ValueError, match="lrs"):
        train.best_rate([0.1, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="lrs"):
        train.best_rate([0.1, 0.01, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="losses"):
        train.best_rate([0.01, 0.1, 1.0], [1.0, 2.0])


# --- steps_to_target -------------------------------------------------------

def test_steps_to_target_by_hand():
    losses = np.array([1.0, 0.9, 0.6, 0.5, 0.45, 0.2])
    # window 1: the first loss <= 0.5 is at t = 3, after 4 updates
    assert train.steps_to_target(losses, 0.5) == 4.0
    # window 3: means 0.8333, 0.6667, 0.5167, 0.3833 end at t = 2..5; the first
    # <= 0.5 ends at t = 5, centred: 5 + 1 - (3 - 1) / 2 = 5
    assert train.steps_to_target(losses, 0.5, window=3) == 5.0
    assert np.isnan(train.steps_to_target(losses, 0.1))


def test_steps_to_target_never_counts_a_diverged_run():
    losses = np.array([[1.0, 1.0], [0.5, np.nan], [0.1, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = train.steps_to_target(losses, 0.6, window=2)
    # column 0: means 0.75, 0.3 end at t = 1, 2: hit at t = 2 -> 2 + 1 - 0.5
    assert_allclose(got, [2.5, np.nan])


def test_steps_to_target_bad_arguments():
    with pytest.raises(ValueError, match="window"):
        train.steps_to_target([1.0, 0.5], 0.5, window=3)
    with pytest.raises(ValueError, match="batch_losses"):
        train.steps_to_target(np.empty(0), 0.5)


# --- critical_batch_fit ----------------------------------------------------

def test_critical_batch_fit_recovers_the_model_exactly():
    B = np.array([8.0, 16, 32, 64, 128, 256])
    S = 7.0 * (1 + 90.0 / B)
    s_min, e_min, b_crit = train.critical_batch_fit(B, S)
    assert_allclose([s_min, e_min, b_crit], [7.0, 630.0, 90.0], rtol=1e-10)


def test_critical_batch_fit_columns_and_missing_points():
    B = np.array([1.0, 2.0, 4.0, 8.0])
    S = np.stack([10 * (1 + 4 / B), 3 * (1 + 20 / B)], axis=1)
    S[0, 1] = np.nan                                        # never reached: left out
    s_min, e_min, b_crit = train.critical_batch_fit(B, S)
    assert_allclose(b_crit, [4.0, 20.0], rtol=1e-10)
    only_one = train.critical_batch_fit(B, np.array([5.0, np.nan, np.nan, np.nan]))
    assert all(np.isnan(v) for v in only_one)
    # steps falling faster than 1/B: the fitted S_min is -1 < 0, no plateau
    s_min, _, b_crit = train.critical_batch_fit(B, 16 / B - 1)
    assert_allclose(s_min, -1.0, rtol=1e-12)
    assert b_crit == np.inf


def test_critical_batch_fit_bad_arguments():
    with pytest.raises(ValueError, match="batch_sizes"):
        train.critical_batch_fit([4.0, 4.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="steps"):
        train.critical_batch_fit([4.0, 8.0], [1.0, 2.0, 3.0])


# --- plotting --------------------------------------------------------------

def test_scaling_rule_closed_form():
    assert_allclose(plotting.scaling_rule([8, 16, 64], 8, 0.2, 1.0), [0.2, 0.4, 1.6],
                    rtol=1e-15)
    assert_allclose(plotting.scaling_rule([8, 32], 8, 0.2, 0.5), [0.2, 0.4], rtol=1e-15)


def test_plot_loss_vs_rate_draws_the_median_and_marks_the_best():
    lrs = np.array([0.01, 0.1, 1.0, 10.0])
    runs = np.array([[2.0, 3.0, 4.0], [0.5, 1.0, 2.0], [0.2, 0.4, np.nan],
                     [np.nan, np.nan, np.nan]])
    fig, ax = plt.subplots()
    line, band, crosses, marker = plotting.plot_loss_vs_rate(ax, lrs, runs, best=0.3)
    x, y = line.get_data()
    assert_allclose(y[:3], [3.0, 1.0, 0.3], rtol=1e-15)     # medians, NaN left out
    assert np.isnan(y[3])
    assert_allclose(crosses.get_xdata(), [10.0])            # every seed diverged
    # triangle on the median curve, interpolated in log-log between 0.1 and 1
    u = (np.log(0.3) - np.log(0.1)) / np.log(10)
    assert_allclose(marker.get_xdata(), [0.3])
    assert_allclose(marker.get_ydata(), [np.exp((1 - u) * np.log(1.0) + u * np.log(0.3))],
                    rtol=1e-12)
    _, _, _, none = plotting.plot_loss_vs_rate(ax, lrs, runs, best=np.nan)
    assert len(none.get_xdata()) == 0
    plt.close(fig)


def test_plot_best_rates_lines_go_through_the_anchor():
    sizes, best = np.array([8, 16, 32, 64]), np.array([0.1, 0.2, 0.3, 0.35])
    fig, ax = plt.subplots()
    art = plotting.plot_best_rates(ax, sizes, best, low=best * 0.9, high=best * 1.2,
                                   anchor=1)
    assert_allclose(art["measured"].get_ydata(), best)
    assert_allclose(art["linear rule"].get_ydata(), 0.2 * sizes / 16, rtol=1e-15)
    assert_allclose(art["square-root rule"].get_ydata(), 0.2 * np.sqrt(sizes / 16),
                    rtol=1e-15)
    assert art["errors"] is not None
    assert [t.get_text() for t in ax.get_xticklabels()] == ["8", "16", "32", "64"]
    plt.close(fig)


def test_plot_steps_to_target_draws_data_and_fit():
    sizes = np.array([8, 16, 32, 64])
    steps = 5.0 * (1 + 30.0 / sizes[None])             # B_crit = 30, inside [8, 64]
    fit = train.critical_batch_fit(sizes, steps[0])
    fig, axes = plt.subplots(1, 2)
    (line,) = plotting.plot_steps_to_target(axes, sizes, steps, [fit], ["t"])
    assert_allclose(line.get_ydata(), steps[0])
    examples = [ln for ln in axes[1].lines if ln.get_linestyle() == "None"][0]
    assert_allclose(examples.get_ydata(), steps[0] * sizes)
    fitted = [ln for ln in axes[0].lines if ln.get_linestyle() == "-"][0]
    bx, by = fitted.get_data()
    assert_allclose(by, fit[0] + fit[1] / bx, rtol=1e-12)
    cross = [ln for ln in axes[0].lines if ln.get_marker() == "X"][0]
    assert_allclose(cross.get_data(), [[fit[2]], [2 * fit[0]]], rtol=1e-12)
    plt.close(fig)


# --- the explorer ----------------------------------------------------------

def fake_sweeps():
    """Known curves: log f = (log eta - log eta*_B)^2, so the best rates are exact."""
    lrs = 2.0 ** np.arange(-6, 3)
    sizes = np.array([8, 16, 32])
    centres = np.array([0.1, 0.2, 0.3])
    f = np.exp((np.log(lrs)[None] - np.log(centres)[:, None]) ** 2)
    losses = np.repeat(f[..., None], 3, axis=-1)          # 3 identical seeds
    losses[2, -1] = np.nan                                # B = 32, rate 4: all diverged
    return {"SGD": (lrs, sizes, losses), "Adam": (lrs / 64, sizes, losses * 2)}, centres


def test_explorer_message_follows_the_data():
    sweeps, centres = fake_sweeps()
    ex = widgets.BatchSizeExplorer(sweeps)
    try:
        assert ex.message.value.startswith("<b>SGD, B = 8: best rate 0.1;")
        ex.set("batch", 32)
        text = ex.message.value
        # linear from B = 8: 0.1 * 4 = 0.4; square root: 0.1 * 2 = 0.2
        assert "best rate 0.3;" in text and "linear rule predicts 0.4" in text
        assert "square-root rule 0.2;" in text and "3 of 27 runs diverged" in text
        ex.set("optimizer", "Adam")
        assert ex.message.value.startswith("<b>Adam, B = 32: best rate 0.00469")  # 0.3/64
        # the circled point is the selected best rate
        assert_allclose(ex.circle.get_ydata(), [0.3 / 64], rtol=1e-12)
        visible = [k for k, arts in ex.curves.items() if arts[0].get_visible()]
        assert visible == [("Adam", 32)]
    finally:
        plt.close(ex.fig)


def test_explorer_flags_a_best_rate_at_the_grid_edge():
    sweeps, _ = fake_sweeps()
    lrs, sizes, losses = sweeps["SGD"]
    rising = np.broadcast_to(np.arange(1.0, 10.0)[None, :, None], losses.shape).copy()
    ex = widgets.BatchSizeExplorer({"SGD": (lrs, sizes, rising)})
    try:
        assert "a grid point" in ex.message.value      # minimum at the smallest rate
    finally:
        plt.close(ex.fig)


def test_explorer_bad_arguments():
    sweeps, _ = fake_sweeps()
    with pytest.raises(TypeError, match="sweeps"):
        widgets.BatchSizeExplorer({})
    with pytest.raises(ValueError, match="batch"):
        widgets.BatchSizeExplorer(sweeps, batch=12)
    lrs, sizes, losses = sweeps["SGD"]
    with pytest.raises(ValueError, match="losses"):
        widgets.BatchSizeExplorer({"SGD": (lrs, sizes, losses[:2])})
    with pytest.raises(ValueError, match="same batch_sizes"):
        widgets.BatchSizeExplorer({"SGD": sweeps["SGD"], "Adam": (lrs, sizes * 2, losses)})
