"""Tests of the tools of the chapter "Warmup and decay on a network"
(book/network_schedules.ipynb): train.sweep_schedules, plotting.plot_schedule_run and
widgets.ScheduleBudgetExplorer."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

from lrtutor import data, network, optim, plotting, train, widgets  # noqa: E402
from lrtutor.problems import Quadratic  # noqa: E402
from lrtutor.schedules import Constant, CosineDecay, PerRun, Warmup  # noqa: E402


@pytest.fixture(scope="module")
def small():
    split = data.load_digits_split(seed=0)
    net = network.MLP(split.X_train[:120], split.y_train[:120], hidden=(4,))
    return net, (split.X_val[:40], split.y_val[:40])


def test_sweep_schedules_equals_one_run_per_schedule_and_seed(small):
    net, val = small
    scheds = [0.05, CosineDecay(0.5, 12), Warmup(Constant(50.0), 3)]   # the last diverges
    x0 = net.init(np.random.default_rng(1), k=2)
    rngs = [np.random.default_rng(7), np.random.default_rng(8)]
    grid = train.sweep_schedules(net, optim.SGD(lr=1.0, momentum=0.9), scheds, x0, 12,
                                 rng=rngs, batch_size=16, sampling="epoch", record_every=4,
                                 eval_every=6, validation=val)
    assert grid.diverged_at.shape == (3, 2) and grid.params.shape == (4, 3, 2, net.dim)
    for j, s in enumerate(scheds):
        for k, seed in enumerate((7, 8)):
            one = train.run(net, optim.SGD(lr=PerRun((s,)), momentum=0.9), x0[k:k + 1], 12,
                            rng=[np.random.default_rng(seed)], batch_size=16,
                            sampling="epoch", record_every=4, eval_every=6, validation=val)
            # a batched matrix product may round differently in the last bit (train.sweep)
            assert_allclose(grid.params[:, j, k], one.params[:, 0], rtol=1e-12, atol=1e-14)
            assert_allclose(grid.evals["val_loss"][:, j, k], one.evals["val_loss"][:, 0],
                            rtol=1e-12)
            assert_array_equal(grid.lrs[:, j, k], one.lrs[:, 0])     # exactly the schedule
            assert grid.diverged_at[j, k] == one.diverged_at[0]
    assert np.all(grid.diverged_at[2] >= 0) and np.all(grid.diverged_at[:2] < 0)


def test_sweep_schedules_on_a_quadratic_follows_the_closed_form():
    # x_{t+1} = (1 - eta_t) x_t on f = x^2/2: the product of the factors
    s = CosineDecay(1.5, 10)
    trace = train.sweep_schedules(Quadratic.one_d(1.0), optim.SGD(lr=1.0), [s, 0.5],
                                  [[1.0], [-2.0]], 10)
    rates = s(np.arange(10))
    expected = np.cumprod(np.concatenate([[1.0], 1 - rates]))
    assert_allclose(trace.params[:, 0, 0, 0], expected, rtol=1e-12)
    assert_allclose(trace.params[:, 0, 1, 0], -2 * expected, rtol=1e-12)
    assert_allclose(trace.params[:, 1, 0, 0], 0.5 ** np.arange(11), rtol=1e-12)


def test_sweep_schedules_bad_arguments_name_the_parameter(small):
    net, _ = small
    x0 = net.init(np.random.default_rng(1), k=2)
    with pytest.raises(TypeError, match="rng"):
        train.sweep_schedules(net, optim.SGD(lr=1.0), [0.1], x0, 3, rng=np.random.default_rng(0),
                              batch_size=8)
    with pytest.raises(ValueError, match="schedules"):
        train.sweep_schedules(net, optim.SGD(lr=1.0), [], x0, 3)
    with pytest.raises(ValueError, match="steps"):
        train.sweep_schedules(net, optim.SGD(lr=1.0), [0.1], x0, 0)
    with pytest.raises(TypeError, match="unexpected"):
        train.sweep_schedules(net, optim.SGD(lr=1.0), [0.1], x0, 3, state=None)


def test_plot_schedule_run_draws_the_data():
    fig, (a, b) = plt.subplots(1, 2)
    runs = np.array([[1.0, 2.0, 3.0], [0.5, 0.6, 0.7]])
    rate, line, band, ref = plotting.plot_schedule_run(
        a, b, [0, 1, 2], [0.1, 0.2, 0.3], [0, 1], runs, reference=[1.5, 0.4])
    assert_allclose(rate.get_ydata(), [0.1, 0.2, 0.3], rtol=1e-12)
    assert_allclose(line.get_ydata(), [2.0, 0.6], rtol=1e-12)       # medians
    assert_allclose(ref.get_ydata(), [1.5, 0.4], rtol=1e-12)
    with pytest.raises(ValueError, match="rates"):
        plotting.plot_schedule_run(a, b, [0, 1], [0.1], [0, 1], runs)
    plt.close(fig)


def test_explorer_selects_the_given_runs_and_says_so():
    epochs = np.arange(3.0)
    val = np.stack([np.full((3, 5), 1.0), np.full((3, 5), 0.5)], axis=1)   # (3, 2, 5)
    val[-1, 1] = [0.4, 0.45, 0.5, 0.55, 0.6]                              # median 0.5
    rates = np.array([[0.1, 0.2]] * 4)
    ex = widgets.ScheduleBudgetExplorer(["flat", "half"], rates, epochs, val)
    try:
        assert ex.message.value == ("<b>flat: final validation loss 1.0000 (median), "
                                    "1.000 x that of flat</b>")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ex.set("schedule", 1)
        assert "half: final validation loss 0.5000" in ex.message.value
        assert "0.500 x that of flat" in ex.message.value
        assert_allclose(ex.rate_line.get_ydata(), 0.2, rtol=1e-12)
        assert_allclose(ex.val_line.get_ydata(), [0.5, 0.5, 0.5], rtol=1e-12)
        val2 = val.copy()
        val2[:, 1] = np.nan
        ex2 = widgets.ScheduleBudgetExplorer(["flat", "dead"], rates, epochs, val2)
        ex2.set("schedule", 1)
        assert "every seed diverged" in ex2.message.value
        plt.close(ex2.fig)
    finally:
        plt.close(ex.fig)
    with pytest.raises(ValueError, match="together"):
        widgets.ScheduleBudgetExplorer(["a"])
    with pytest.raises(ValueError, match="shape"):
        widgets.ScheduleBudgetExplorer(["a", "b", "c"], rates, epochs, val)


def test_tabulated_rates_repeat_each_schedule_per_seed_and_check_t():
    table = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    rates = train._TabulatedRates(table, 3)
    assert_array_equal(rates(1), [0.3, 0.3, 0.3, 0.4, 0.4, 0.4])   # schedule by schedule
    assert repr(rates) == "_TabulatedRates(2 schedules x 3 seeds, 3 steps)"
    with pytest.raises(ValueError, match="t"):
        rates(3)                                # past the tabulated steps: no silent clamp
    with pytest.raises(ValueError, match="t"):
        rates(-1)


def test_sweep_schedules_rates_are_the_schedules_and_seeds_share_batches(small):
    # lrs[t, j, s] = s_j(t) exactly, and two identical seeds give identical runs
    net, _ = small
    s = Warmup(CosineDecay(0.3, 9), 3)
    x0 = np.repeat(net.init(np.random.default_rng(2), k=1), 2, axis=0)
    rngs = [np.random.default_rng(5), np.random.default_rng(5)]
    trace = train.sweep_schedules(net, optim.SGD(lr=1.0), [s, 0.1], x0, 12, rng=rngs,
                                  batch_size=16, record_every=1)
    assert_array_equal(trace.lrs[:, 0, 0], s(np.arange(12)))
    assert_array_equal(trace.lrs[:, 1, 1], np.full(12, 0.1))
    assert_array_equal(trace.params[:, :, 0], trace.params[:, :, 1])
    assert not np.array_equal(trace.params[-1, 0], trace.params[-1, 1])
    # the caller's generators are copied, not advanced
    assert rngs[0].integers(1 << 30) == np.random.default_rng(5).integers(1 << 30)


def test_sweep_schedules_with_a_schedule_free_optimizer_equals_single_runs(small):
    net, _ = small
    x0 = net.init(np.random.default_rng(3), k=2)
    opt = optim.ScheduleFreeSGD(lr=1.0, warmup_steps=3)
    grid = train.sweep_schedules(net, opt, [0.2, 0.5], x0, 8, record_every=2)
    for j, lr in enumerate((0.2, 0.5)):
        one = train.run(net, optim.ScheduleFreeSGD(lr=lr, warmup_steps=3), x0, 8,
                        record_every=2)
        assert_allclose(grid.params[:, j], one.params, rtol=1e-12, atol=1e-14)


def test_sweep_schedules_rejects_bad_x0_and_rng_lengths(small):
    net, _ = small
    x0 = net.init(np.random.default_rng(1), k=2)
    with pytest.raises(TypeError, match="rng must be a list of 2"):
        train.sweep_schedules(net, optim.SGD(lr=1.0), [0.1], x0, 3,
                              rng=[np.random.default_rng(0)], batch_size=8)
    with pytest.raises(ValueError, match="x0"):
        train.sweep_schedules(net, optim.SGD(lr=1.0), [0.1], x0[:0], 3)
    with pytest.raises(ValueError, match="x0"):
        train.sweep_schedules(net, optim.SGD(lr=1.0), [0.1], x0[0], 3)
    with pytest.raises((TypeError, ValueError), match="schedules"):
        train.sweep_schedules(net, optim.SGD(lr=1.0), ["fast"], x0, 3)


def test_plot_schedule_run_band_is_the_percentiles_and_skips_dead_epochs():
    fig, (a, b) = plt.subplots(1, 2)
    runs = np.array([[1.0, 2.0, 3.0], [np.nan, np.nan, np.nan], [0.5, 0.6, np.nan]])
    rate, line, band, ref = plotting.plot_schedule_run(
        a, b, [0, 1], [0.1, 0.2], [0, 1, 2], runs)
    assert ref is None
    # median of the finite runs; an epoch where every seed diverged is not drawn
    assert_allclose(line.get_ydata(), [2.0, np.nan, 0.55], rtol=1e-12)
    ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    assert np.any(np.isclose(ys, 1.2, rtol=1e-12))        # 10th percentile of 1, 2, 3
    assert np.any(np.isclose(ys, 2.8, rtol=1e-12))        # 90th percentile
    assert b.get_yscale() == "log" and a.get_xlabel() == "step $t$"
    plt.close(fig)


def test_explorer_rejects_inconsistent_runs():
    epochs = np.arange(3.0)
    val = np.ones((3, 2, 5))
    rates = np.full((4, 2), 0.1)
    with pytest.raises(ValueError, match="rates"):
        widgets.ScheduleBudgetExplorer(["a", "b"], -rates, epochs, val)
    with pytest.raises(ValueError, match="shape"):
        widgets.ScheduleBudgetExplorer(["a", "b"], rates, np.arange(4.0), val)
    with pytest.raises(ValueError, match="val_loss"):
        widgets.ScheduleBudgetExplorer(["a", "b"], rates, epochs, val[0])
