"""Tests of the tools of the chapter "A fixed rate on a network" (book/network_rates.ipynb):
train.sweep_seeds, train.epoch_losses, diagnostics.rate_window, plotting.band_stats,
update_band, plot_u_curve and widgets.NetworkRateExplorer."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

from lrtutor import data, network, optim, plotting, train, widgets  # noqa: E402
from lrtutor.diagnostics import rate_window  # noqa: E402
from lrtutor.problems import Quadratic  # noqa: E402


@pytest.fixture(scope="module")
def small():
    """A 64-4-10 network on the first 120 training digits, and 40 validation digits."""
    split = data.load_digits_split(seed=0)
    net = network.MLP(split.X_train[:120], split.y_train[:120], hidden=(4,))
    return net, (split.X_val[:40], split.y_val[:40])


# --- train.sweep_seeds -------------------------------------------------------

def test_sweep_seeds_equals_one_run_per_rate_and_seed(small):
    net, val = small
    lrs = np.array([0.05, 0.5, 50.0])                    # the last one diverges
    x0 = net.init(np.random.default_rng(1), k=2)
    rngs = [np.random.default_rng(7), np.random.default_rng(8)]
    grid = train.sweep_seeds(net, optim.SGD(lr=1.0, momentum=0.9), lrs, x0, 12, rng=rngs,
                             batch_size=16, sampling="epoch", record_every=4,
                             eval_every=6, validation=val)
    assert grid.diverged_at.shape == (3, 2) and grid.params.shape == (4, 3, 2, net.dim)
    assert grid.evals["val_loss"].shape == (3, 3, 2)
    for i, eta in enumerate(lrs):
        for s, seed in enumerate((7, 8)):
            one = train.run(net, optim.SGD(lr=eta, momentum=0.9), x0[s], 12,
                            rng=np.random.default_rng(seed), batch_size=16,
                            sampling="epoch", record_every=4, eval_every=6, validation=val)
            # one network alone and in a batch of 6: a stacked matrix product may
            # round differently in the last bit (see train.sweep), hence not equality
            assert_allclose(grid.params[:, i, s], one.params, rtol=1e-12, atol=1e-14)
            assert_allclose(grid.losses[:, i, s], one.losses, rtol=1e-12)
            assert_allclose(grid.batch_losses[:, i, s], one.batch_losses, rtol=1e-12)
            assert_allclose(grid.evals["val_loss"][:, i, s], one.evals["val_loss"],
                            rtol=1e-12)
            assert grid.diverged_at[i, s] == one.diverged_at
            assert_array_equal(grid.lrs[:, i, s], eta)
    assert np.all(grid.diverged_at[2] >= 0) and np.all(grid.diverged_at[:2] < 0)
    assert "diverged at step" in grid.message((2, 0))


def test_sweep_seeds_copies_the_generators(small):
    net, _ = small
    rngs = [np.random.default_rng(3)]
    before = rngs[0].bit_generator.state
    x0 = net.init(np.random.default_rng(0), k=1)
    a = train.sweep_seeds(net, optim.SGD(lr=1.0), [0.1, 0.2], x0, 5, rng=rngs, batch_size=8)
    assert rngs[0].bit_generator.state == before
    b = train.sweep_seeds(net, optim.SGD(lr=1.0), [0.1, 0.2], x0, 5, rng=rngs, batch_size=8)
    assert_array_equal(a.params, b.params)


def test_sweep_seeds_full_batch_on_a_quadratic_is_the_closed_form():
    # theta_t = (1 - eta)^t theta_0 on f = theta^2 / 2
    trace = train.sweep_seeds(Quadratic.one_d(1.0), optim.SGD(lr=0.1), [0.5, 1.5],
                              [[1.0], [-3.0]], 6)
    t = np.arange(7)
    for i, eta in enumerate([0.5, 1.5]):
        for s, start in enumerate([1.0, -3.0]):
            assert_allclose(trace.params[:, i, s, 0], start * (1 - eta) ** t, rtol=1e-12)


def test_sweep_seeds_bad_arguments(small):
    net, _ = small
    x0 = net.init(np.random.default_rng(0), k=2)
    with pytest.raises(TypeError, match="rng must be a list of 2"):
        train.sweep_seeds(net, optim.SGD(lr=1.0), [0.1], x0, 3, batch_size=8,
                          rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a list of 2"):
        train.sweep_seeds(net, optim.SGD(lr=1.0), [0.1], x0, 3, batch_size=8,
                          rng=[np.random.default_rng(0)])
    with pytest.raises(ValueError, match="lrs"):
        train.sweep_seeds(net, optim.SGD(lr=1.0), [], x0, 3)
    with pytest.raises(ValueError, match="lrs"):
        train.sweep_seeds(net, optim.SGD(lr=1.0), [-0.1], x0, 3)
    with pytest.raises(ValueError, match="x0"):
        train.sweep_seeds(net, optim.SGD(lr=1.0), [0.1], x0[0], 3)
    with pytest.raises(TypeError, match="unexpected keyword"):
        train.sweep_seeds(net, optim.SGD(lr=1.0), [0.1], x0, 3, state=None)


# --- train.epoch_losses ------------------------------------------------------

def test_epoch_losses_by_hand_and_nan_after_divergence():
    q = Quadratic.one_d(1.0)
    trace = train.run(q, optim.SGD(lr=np.array([0.5, 3.0])), [[2.0], [2.0]], 6)
    # rate 0.5: f_t = 2 * 0.25^t; epochs of 3 steps
    f = 2.0 * 0.25 ** np.arange(6)
    out = train.epoch_losses(trace, 3)
    assert out.shape == (2, 2)
    assert_allclose(out[:, 0], [f[:3].mean(), f[3:].mean()], rtol=1e-12)
    # rate 3: f_t = 2 * 4^t, finite for 6 steps: no divergence, plain means
    g = 2.0 * 4.0 ** np.arange(6)
    assert_allclose(out[:, 1], [g[:3].mean(), g[3:].mean()], rtol=1e-12)
    diverging = train.run(q, optim.SGD(lr=3.0), [2.0], 30)          # diverges at step 14
    per_epoch = train.epoch_losses(diverging, 10)
    assert np.isfinite(per_epoch[0]) and np.isnan(per_epoch[1]) and np.isnan(per_epoch[2])
    assert train.epoch_losses(trace, 4).shape == (1, 2)             # the partial epoch is dropped


def test_epoch_losses_bad_arguments():
    trace = train.run(Quadratic.one_d(1.0), optim.SGD(lr=0.5), [2.0], 4)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        train.epoch_losses(trace, 5)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        train.epoch_losses(trace, 0)
    with pytest.raises(TypeError, match="trace"):
        train.epoch_losses(trace.losses, 2)


# --- diagnostics.rate_window ---------------------------------------------------

LRS = np.array([1e-3, 1e-2, 1e-1, 1.0, 10.0])


@pytest.mark.parametrize("values, factor, expected", [
    ([5.0, 1.4, 1.0, 1.5, np.nan], 1.5, (1e-2, 1.0)),      # both neighbours within 1.5
    ([5.0, 1.6, 1.0, 1.6, 1.0], 1.5, (1e-1, 1e-1)),        # argmin is the first minimum
    ([1.0, 1.2, 9.0, 1.1, 1.0], 1.5, (1e-3, 1e-2)),        # a bad rate ends the window
    ([2.0, 1.0, 1.0, np.inf, 1.0], 1.0, (1e-2, 1e-1)),     # inf counts as diverged
    ([0.3, 0.2, 0.25, 0.299, 0.3], 1.5, (1e-3, 10.0)),     # 1.5 * 0.2 = 0.3 is inside
])
def test_rate_window_by_hand(values, factor, expected):
    low, high = rate_window(LRS, values, factor=factor)
    assert (low, high) == expected


def test_rate_window_per_seed_column_and_all_diverged():
    values = np.array([[5.0, np.nan], [1.0, np.nan], [1.2, np.nan], [4.0, np.nan],
                       [np.nan, np.nan]])
    low, high = rate_window(LRS, values)
    assert low.shape == (2,)
    assert_array_equal(low[:1], [1e-2]) and assert_array_equal(high[:1], [1e-1])
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_rate_window_bad_arguments():
    with pytest.raises(ValueError, match="lrs"):
        rate_window([0.1, 0.1], [1.0, 2.0])
    with pytest.raises(ValueError, match="values"):
        rate_window(LRS, [1.0, 2.0])
    with pytest.raises(ValueError, match="factor"):
        rate_window(LRS, np.ones(5), factor=0.5)
    with pytest.raises(ValueError, match=">= 0"):
        rate_window(LRS, [1.0, -1.0, 1.0, 1.0, 1.0])


# --- plotting --------------------------------------------------------------------

RUNS = np.array([[1.0, 2.0, 3.0, 4.0, 100.0],
                 [np.nan, 1.0, 1.0, 1.0, np.nan],
                 [np.nan] * 5])


def test_band_stats_equal_what_plot_band_draws_and_by_hand():
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # an all-NaN row must not warn
        med, low, high = plotting.band_stats(RUNS)
        fig, ax = plt.subplots()
        line, band = plotting.plot_band(ax, np.arange(3.0), RUNS)
    assert_allclose(line.get_ydata(), med, rtol=1e-12, equal_nan=True)
    # by hand: median 3; 10th percentile of 1..4, 100: 1 + 0.4 * (2 - 1) = 1.4;
    # 90th: 4 + 0.6 * (100 - 4) = 61.6
    assert_allclose([med[0], low[0], high[0]], [3.0, 1.4, 61.6], rtol=1e-12)
    assert_allclose([med[1], low[1], high[1]], [1.0, 1.0, 1.0], rtol=1e-12)
    assert np.isnan(med[2]) and np.isnan(low[2])
    plt.close(fig)


def test_update_band_replaces_the_data():
    fig, ax = plt.subplots()
    line, band = plotting.plot_band(ax, np.arange(3.0), np.full((3, 5), np.nan))
    med, low, high = plotting.update_band(line, band, np.arange(3.0), RUNS)
    assert_allclose(line.get_ydata(), med, equal_nan=True)
    verts = band.get_paths()[0].vertices
    # the polygon runs along the lower edge and back along the upper one,
    # over the two finite points
    ys = set(np.round(verts[:, 1], 12))
    assert {1.4, 61.6, 1.0} <= ys
    with pytest.raises(ValueError, match="runs"):
        plotting.update_band(line, band, np.arange(4.0), RUNS)
    plt.close(fig)


def test_plot_u_curve_marks_every_fully_diverged_rate_and_the_window():
    fig, ax = plt.subplots()
    lrs = np.array([0.01, 0.1, 1.0])
    line, band, crosses, span = plotting.plot_u_curve(ax, lrs, RUNS, window=(0.01, 0.1),
                                                      diverged_label="diverged")
    assert_allclose(line.get_xdata(), lrs)
    assert_allclose(crosses.get_xdata(), [1.0])                 # only the all-NaN rate
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert_allclose([span.get_x(), span.get_x() + span.get_width()], [0.01, 0.1],
                    rtol=1e-12)
    _, _, none, nospan = plotting.plot_u_curve(ax, lrs[:2], RUNS[:2])
    assert none is None and nospan is None
    plt.close(fig)


# --- widgets.NetworkRateExplorer ----------------------------------------------------

@pytest.fixture(scope="module")
def tiny(small):
    net, val = small
    lrs = np.array([0.01, 0.3, 3.0, 1e4])
    rngs = [np.random.default_rng(100 + s) for s in range(3)]
    m = 8                                             # 120 rows / 16 per batch = 7.5 -> 8
    trace = train.sweep_seeds(net, optim.SGD(lr=1.0), lrs,
                              net.init(np.random.default_rng(0), k=3), 3 * m, rng=rngs,
                              batch_size=16, sampling="epoch", record_every=3 * m,
                              eval_every=m, validation=val)
    return lrs, trace, m


def test_explorer_draws_the_medians_and_says_what_they_are(tiny):
    lrs, trace, m = tiny
    ex = widgets.NetworkRateExplorer(lrs, trace, m, label="SGD")
    try:
        val_med = plotting.band_stats(trace.evals["val_loss"][-1])[0]
        best = int(np.nanargmin(val_med))
        assert ex.values["rate"] == best
        for i in range(lrs.size):
            ex.set("rate", i)
            x, y = ex.train_line.get_data()
            assert_allclose(y, plotting.band_stats(train.epoch_losses(trace, m)[:, i])[0],
                            rtol=1e-12, equal_nan=True)
            assert_allclose(ex.val_line.get_data()[1],
                            plotting.band_stats(trace.evals["val_loss"][:, i])[0],
                            rtol=1e-12, equal_nan=True)
            assert_allclose(ex.marker.get_xdata(), [lrs[i]] * 2)
            text = ex.message.value
            assert text.startswith(f"<b>SGD, η = {lrs[i]:.3g}: ")
            n_div = int(np.count_nonzero(trace.diverged_at[i] >= 0))
            if n_div == 3:
                assert "every seed diverged" in text
            else:
                assert f"validation loss {val_med[i]:.3f}" in text
                assert f"{val_med[i] / val_med[best]:.2f} x the best" in text
                assert ("seeds diverged" in text) == (n_div > 0)
        assert "every seed diverged" in ex.set("rate", lrs.size - 1).message.value
    finally:
        plt.close(ex.fig)


def test_explorer_bad_arguments(tiny):
    lrs, trace, m = tiny
    with pytest.raises(ValueError, match="together"):
        widgets.NetworkRateExplorer(lrs, trace)
    with pytest.raises(ValueError, match="batch shape"):
        widgets.NetworkRateExplorer(lrs[:2], trace, m)
    with pytest.raises(TypeError, match="trace"):
        widgets.NetworkRateExplorer(lrs, trace.losses, m)
    no_val = train.sweep_seeds(Quadratic.one_d(1.0), optim.SGD(lr=0.1), [0.5], [[1.0]], 4)
    with pytest.raises(ValueError, match="val_loss"):
        widgets.NetworkRateExplorer([0.5], no_val, 2)
