"""The loss-spikes chapter's additions: plotting.positive_or_nan, plot_spike_logs,
plot_update_ratios, and widgets.ClipExplorer."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

from lrtutor import data, network, optim, plotting, train, widgets  # noqa: E402


# ---------------------------------------------------------------- plotting

def test_positive_or_nan_masks_what_a_log_axis_cannot_show():
    out = plotting.positive_or_nan([[2.0, 0.0], [-1.0, np.inf], [np.nan, 1e-300]])
    assert out.dtype == np.float64
    assert_array_equal(np.isnan(out), [[False, True], [True, True], [True, False]])
    assert out[0, 0] == 2.0 and out[2, 1] == 1e-300
    src = np.array([0.0, 1.0])
    plotting.positive_or_nan(src)
    assert src[0] == 0.0          # a copy: the caller's array is untouched


def test_plot_spike_logs_one_run_draws_the_data_and_the_threshold():
    fig, axes = plt.subplots(1, 2)
    t = np.arange(4)
    loss, norm = np.array([1.0, 0.0, 10.0, np.nan]), np.array([3.0, 2.0, 1.0, 0.5])
    lines = plotting.plot_spike_logs(axes, t, loss, norm, clip_norm=1.5, label="run")
    assert len(lines) == 3
    x, y = lines[0].get_data()
    assert_array_equal(x, t)
    assert_array_equal(np.isnan(y), [False, True, False, True])   # 0 and NaN left out
    assert_allclose(y[[0, 2]], [1.0, 10.0], rtol=0)
    assert_allclose(lines[1].get_data()[1], norm, rtol=0)
    assert_allclose(lines[2].get_ydata(), [1.5, 1.5], rtol=0)
    assert axes[0].get_yscale() == axes[1].get_yscale() == "log"
    plt.close(fig)


def test_plot_spike_logs_seeds_draw_the_median_and_a_band():
    fig, axes = plt.subplots(1, 2)
    runs = np.array([[1.0, 2.0, 4.0, 8.0, 16.0], [5.0, 5.0, 5.0, 5.0, np.nan]])
    (loss_line, _), (norm_line, band) = plotting.plot_spike_logs(
        axes, [0, 1], runs, 2 * runs)
    # median over seeds, NaN (a diverged seed) left out: 4 and 5
    assert_allclose(loss_line.get_data()[1], [4.0, 5.0], rtol=1e-12)
    assert_allclose(norm_line.get_data()[1], [8.0, 10.0], rtol=1e-12)
    assert band is not None
    plt.close(fig)


def test_plot_spike_logs_rejects_three_dimensional_data():
    fig, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="batch_losses and grad_norms"):
        plotting.plot_spike_logs(axes, [0], np.ones((1, 2, 2)), np.ones((1, 2, 2)))
    plt.close(fig)


def test_plot_update_ratios_medians_per_layer_and_reference():
    fig, ax = plt.subplots()
    rates = np.array([0.01, 0.1])
    ratios = np.zeros((2, 3, 2))
    ratios[..., 0] = [[1e-3, 2e-3, 3e-3], [1e-2, 2e-2, 4e-2]]
    ratios[..., 1] = [[5e-3, 5e-3, 0.0], [np.nan, 1e-1, 1e-1]]
    (l1, _), (l2, _) = plotting.plot_update_ratios(ax, rates, ratios)
    assert_allclose(l1.get_data()[1], [2e-3, 2e-2], rtol=1e-12)
    # a zero ratio (a layer that did not move) and NaN are left out of the median
    assert_allclose(l2.get_data()[1], [5e-3, 1e-1], rtol=1e-12)
    assert [h.get_label() for h in ax.get_lines()][-1] == "rule of thumb 0.001"
    assert ax.get_xscale() == ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="ratios must have shape"):
        plotting.plot_update_ratios(ax, rates, ratios[0])
    with pytest.raises(ValueError, match="layer_labels"):
        plotting.plot_update_ratios(ax, rates, ratios, layer_labels=["a"])
    plt.close(fig)


# ---------------------------------------------------------------- explorer

@pytest.fixture(scope="module")
def explorer():
    ex = widgets.ClipExplorer(steps=100)
    yield ex
    plt.close(ex.fig)


def test_explorer_is_registered():
    assert widgets.ClipExplorer in widgets.EXPLORERS


def test_explorer_runs_equal_separate_training_runs(explorer):
    """A run the explorer shows is the run train.run gives for that rate and
    threshold alone (the batched rows of one call are independent networks)."""
    split = data.load_digits_split(seed=0)
    net = network.MLP(split.X_train, split.y_train, hidden=(64,))
    x0 = net.init(np.random.default_rng(0))
    i = widgets.ClipExplorer.RATES.index(0.3)
    alone = train.run(net, optim.SGD(lr=0.3, momentum=0.9), x0, 100,
                      rng=np.random.default_rng(1), batch_size=32, clip_norm=1.0)
    shown = explorer.traces[1.0]
    # batched products may round differently from single ones (train.sweep's
    # docstring: a few parts in 1e16 per step); 100 steps of a chaotic large-rate
    # run amplify that, hence 1e-8 and not 1e-12
    assert_allclose(shown.grad_norms[:, i], alone.grad_norms, rtol=1e-8)
    assert_allclose(shown.batch_losses[:, i], alone.batch_losses, rtol=1e-8)


def test_explorer_draws_the_selected_run_and_threshold(explorer):
    explorer.set("clip", 0.5).set("eta", 1.0)
    i = widgets.ClipExplorer.RATES.index(1.0)
    tr, ref = explorer.traces[0.5], explorer.traces[0.0]
    assert_allclose(explorer.run_lines[1].get_data()[1],
                    plotting.positive_or_nan(tr.grad_norms[:, i]), rtol=0)
    assert_allclose(explorer.run_lines[0].get_data()[1],
                    plotting.positive_or_nan(tr.batch_losses[:, i]), rtol=0)
    assert_allclose(explorer.ref_lines[0].get_data()[1],
                    plotting.positive_or_nan(ref.batch_losses[:, i]), rtol=0)
    assert explorer.clip_line.get_visible()
    assert_allclose(explorer.clip_line.get_ydata(), [0.5, 0.5], rtol=0)
    explorer.set("clip", 0.0)
    assert not explorer.clip_line.get_visible()


def test_explorer_message_follows_the_runs(explorer):
    explorer.set("clip", 0.0).set("eta", 1.0)
    at = int(explorer.traces[0.0].diverged_at[-1])
    assert at >= 0        # the largest rate diverges without clipping (measured)
    assert explorer.message.value == f"<b>η = 1, no clipping: diverged at step {at}</b>"
    explorer.set("clip", 0.5)
    i = widgets.ClipExplorer.RATES.index(1.0)
    tr = explorer.traces[0.5]
    share = np.mean(tr.grad_norms[:, i] > 0.5)
    assert tr.diverged_at[i] == -1        # clipping rescues it
    assert explorer.message.value == (
        f"<b>η = 1, c = 0.5: train loss {tr.losses[-1, i]:.3g}, val. accuracy "
        f"{tr.evals['val_accuracy'][-1, i]:.1%}, {share:.0%} of steps clipped</b>")
    s = explorer.summary(1.0, 0.5)
    assert s["clipped"] == share and s["diverged_at"] == -1


def test_explorer_unclipped_runs_never_report_clipping(explorer):
    for eta in widgets.ClipExplorer.RATES:
        assert explorer.summary(eta, 0.0)["clipped"] == 0.0


def test_explorer_moves_are_fast_and_quiet(explorer):
    import time

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        worst = 0.0
        for eta in widgets.ClipExplorer.RATES:
            for clip in widgets.ClipExplorer.CLIPS:
                explorer.set("clip", clip)
                t0 = time.perf_counter()
                explorer.set("eta", eta)
                worst = max(worst, time.perf_counter() - t0)
    # a move only selects a precomputed run: measured 10-50 ms on a shared
    # 2-core machine; 100 ms is the book's budget per move
    assert worst < 0.1, worst


def test_explorer_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="eta"):
        widgets.ClipExplorer(eta=0.5)
    with pytest.raises(ValueError, match="clip"):
        widgets.ClipExplorer(clip=3.0)
    with pytest.raises(ValueError, match="steps"):
        widgets.ClipExplorer(steps=5)


def test_static_twin_of_the_explorer_has_a_frame_per_rate(explorer):
    explorer.set("clip", 1.0)
    html = widgets.static_twin(explorer, "eta", list(widgets.ClipExplorer.RATES)).data
    assert html.count("data:image/png;base64") == len(widgets.ClipExplorer.RATES)
