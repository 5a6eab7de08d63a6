"""Tests of what the chapter "The edge of stability" adds to lrtutor.

plotting.plot_sharpness / update_sharpness, widgets.eos_verdict and
widgets.EdgeOfStabilityExplorer: the data drawn must be the data computed, and
the message must say what the run did.
"""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

from lrtutor import data, diagnostics, network, optim, plotting, train, widgets  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


RUNS = np.array([[1.0, 2.0, 3.0, 4.0, 5.0],
                 [2.0, 2.0, np.nan, 6.0, 4.0],
                 [np.nan] * 5])
STEPS = np.array([0, 10, 20])


def band_y_at(band, x):
    """The y values of a fill_between polygon at abscissa ``x``."""
    verts = band.get_paths()[0].vertices
    return np.sort(verts[np.isclose(verts[:, 0], x), 1])


# --- plot_sharpness / update_sharpness -------------------------------------

def test_plot_sharpness_draws_the_median_band_and_the_edge(ax):
    line, band, ref = plotting.plot_sharpness(ax, STEPS, RUNS, 0.5, color="C2")
    x, med = line.get_data()
    assert_array_equal(x, STEPS)
    # by hand: median of 1..5 is 3; of (2, 2, 6, 4) (NaN left out) is 3; all NaN: NaN
    assert_allclose(med[:2], [3.0, 3.0], rtol=1e-12)
    assert np.isnan(med[2])
    # 10th and 90th percentiles of 1..5 (linear interpolation): 1.4 and 4.6
    assert_allclose(band_y_at(band, 0.0)[[0, -1]], [1.4, 4.6], rtol=1e-12)
    # of (2, 2, 4, 6): 2 and 2 + 0.7 * 2 = 5.4 (position 0.9 * 3 = 2.7 between 4 and 6)
    assert_allclose(band_y_at(band, 10.0)[[0, -1]], [2.0, 5.4], rtol=1e-12)
    assert_allclose(ref.get_ydata(), [4.0, 4.0], rtol=1e-12)           # 2 / 0.5
    assert ref.get_linestyle() == "--" and ref.get_color() == line.get_color()
    assert ref.get_zorder() < band.get_zorder() < line.get_zorder()    # never on top


def test_plot_sharpness_of_one_run_is_the_run(ax):
    values = np.array([1.5, 2.5, 3.25])
    line, _, ref = plotting.plot_sharpness(ax, STEPS, values, 0.8)
    assert_array_equal(line.get_data()[1], values)
    assert_allclose(ref.get_ydata()[0], 2.5, rtol=1e-12)


def test_update_sharpness_replaces_data_and_edge(ax):
    artists = plotting.plot_sharpness(ax, STEPS, RUNS, 0.5)
    new = np.array([[7.0, 9.0], [8.0, 8.0], [1.0, 3.0]])
    med, low, high = plotting.update_sharpness(artists, STEPS, new, 0.25)
    assert_allclose(artists[0].get_data()[1], [8.0, 8.0, 2.0], rtol=1e-12)
    assert_allclose(med, [8.0, 8.0, 2.0], rtol=1e-12)
    assert_allclose(low, [7.2, 8.0, 1.2], rtol=1e-12)
    assert_allclose(high, [8.8, 8.0, 2.8], rtol=1e-12)
    assert_allclose(band_y_at(artists[1], 20.0)[[0, -1]], [1.2, 2.8], rtol=1e-12)
    assert_allclose(artists[2].get_ydata(), [8.0, 8.0], rtol=1e-12)


@pytest.mark.parametrize("eta", [0.0, -1.0, np.inf, np.nan])
def test_bad_eta_is_refused(ax, eta):
    with pytest.raises(ValueError, match="eta"):
        plotting.plot_sharpness(ax, STEPS, RUNS, eta)
    artists = plotting.plot_sharpness(ax, STEPS, RUNS, 1.0)
    with pytest.raises(ValueError, match="eta"):
        plotting.update_sharpness(artists, STEPS, RUNS, eta)


def test_shape_mismatch_is_refused(ax):
    with pytest.raises(ValueError, match="runs"):
        plotting.plot_sharpness(ax, STEPS, RUNS[:2], 1.0)
    with pytest.raises(ValueError, match="runs"):
        plotting.plot_sharpness(ax, STEPS, np.ones((3, 2, 2)), 1.0)


# --- eos_verdict -------------------------------------------------------------

def test_verdict_reached_the_edge():
    text = widgets.eos_verdict([0, 10, 20, 30], [1.0, 1.5, 1.96, 2.2],
                               [1.0, 0.5, 0.6, 0.4, 0.45], eta=1.0)
    # 1.96 >= 0.95 * 2: reached at step 20; after it 0.98 and 1.1 times 2/eta;
    # the loss rose twice (0.5 -> 0.6, 0.4 -> 0.45)
    assert text == ("η = 1: reached 2/η = 2 at step 20, then 0.98-1.10 × 2/η; "
                    "loss rose on 2 steps")


def test_verdict_threshold_near_moves_the_step():
    args = ([0, 10, 20, 30], [1.0, 1.5, 1.96, 2.2], [1.0, 0.5], 1.0)
    assert "at step 30" in widgets.eos_verdict(*args, near=1.0)
    assert widgets.eos_verdict([0, 10], [1.0, 1.5], [1.0, 0.9], 0.5) == (
        "η = 0.5: 1.00 → 1.50, never above 0.38 × 2/η = 4; loss rose on 0 steps")


def test_verdict_started_above_and_diverged():
    text = widgets.eos_verdict([0, 5, 10], [3.0, 2.2, 2.1], [2.0, 2.5, 1.0], eta=1.0)
    assert text == ("η = 1: started at 1.50 × 2/η, fell to 1.05 ×, ended 1.05 ×; "
                    "loss rose on 1 step")
    text = widgets.eos_verdict([0, 5], [3.0, np.nan], [2.0, np.nan], 2.0, diverged_at=4)
    assert text == "η = 2: diverged at step 4; started at 3.00 × 2/η = 1"


def test_verdict_bad_arguments():
    with pytest.raises(ValueError, match="eta"):
        widgets.eos_verdict([0], [1.0], [1.0], eta=0.0)
    with pytest.raises(ValueError, match="steps"):
        widgets.eos_verdict([0, 1], [1.0], [1.0], eta=1.0)
    with pytest.raises(ValueError, match="near"):
        widgets.eos_verdict([0], [1.0], [1.0], eta=1.0, near=1.5)


# --- the explorer --------------------------------------------------------------

@pytest.fixture(scope="module")
def explorer():
    ex = widgets.EdgeOfStabilityExplorer()
    yield ex
    plt.close(ex.fig)


def test_explorer_start_is_the_measured_sharpness_of_the_network(explorer):
    split = data.load_digits_split(seed=0)
    net = network.MLP(split.X_train[:200], split.y_train[:200], hidden=(64,),
                      activation="tanh", loss="squared_error")
    x0 = net.init(np.random.default_rng(0), scale=0.3)
    # one network alone against the same network in a batch of eight: batched
    # matrix products may round differently in the last bits, hence 1e-10
    assert_allclose(explorer.sharp[0], diagnostics.sharpness(net, x0, iters=20), rtol=1e-10)
    # and the drawn losses are gradient descent on that network: the first 20
    # steps at eta = 0.45 from a separate run (later steps are chaotic at the edge)
    alone = train.run(net, optim.SGD(lr=0.45), x0, 20)
    explorer.set("eta", 0.45)
    _, drawn = explorer.loss_line.get_data()
    assert_allclose(drawn[:20], alone.losses[:20], rtol=1e-10)


@pytest.mark.parametrize("eta", widgets.EdgeOfStabilityExplorer.RATES)
def test_explorer_draws_its_runs_and_says_what_they_did(explorer, eta):
    explorer.set("eta", eta)
    i = explorer.RATES.index(eta)
    t, drawn = explorer.loss_line.get_data()
    loss = explorer.trace.batch_losses[:, i]
    ok = np.isfinite(loss)
    assert_array_equal(drawn, loss[ok])
    assert_array_equal(t, np.arange(explorer.steps)[ok])
    line, _, ref = explorer.artists
    assert_array_equal(line.get_data()[1], explorer.sharp[:, i])
    assert_allclose(ref.get_ydata()[0], 2 / eta, rtol=1e-12)
    expected = widgets.eos_verdict(explorer.trace.eval_steps, explorer.sharp[:, i], loss,
                                   eta, explorer.trace.diverged_at[i])
    assert explorer.message.value == f"<b>{expected}</b>"


def test_explorer_messages_fit_a_frame_title(explorer):
    """static_twin uses the message as the title of a 9-inch frame: keep it short."""
    for eta in explorer.RATES:
        text = explorer.set("eta", eta).message.value
        assert len(text) - len("<b></b>") <= 90, text


def test_explorer_regimes_across_the_grid(explorer):
    """The grid spans the four regimes the chapter names, in order of the rate."""
    said = {}
    for eta in explorer.RATES:
        said[eta] = explorer.set("eta", eta).message.value
    assert "never above" in said[0.1]                    # never reaches its edge
    assert "reached 2/η" in said[0.6]                    # edge of stability
    assert "started at" in said[0.9]                     # catapult
    assert "diverged at step" in said[2.0]
    assert all("diverged" not in said[e] for e in explorer.RATES[:-1])


def test_explorer_moves_are_fast_and_quiet(explorer):
    import time

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        start = time.perf_counter()
        for eta in explorer.RATES:
            explorer.set("eta", eta)
        per_move = (time.perf_counter() - start) / len(explorer.RATES)
    assert per_move < 0.5        # the target is well under 0.1 s; 0.5 s leaves room for CI load


def test_explorer_bad_arguments():
    with pytest.raises(ValueError, match="eta"):
        widgets.EdgeOfStabilityExplorer(eta=0.33)
    with pytest.raises(ValueError, match="n"):
        widgets.EdgeOfStabilityExplorer(n=10)
    with pytest.raises(ValueError, match="every"):
        widgets.EdgeOfStabilityExplorer(steps=20, every=40)
