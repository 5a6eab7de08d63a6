"""Tests of lrtutor.plotting: the data drawn must be the data computed."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from lrtutor import optim, plotting, problems, theory, train  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def sweep():
    return train.sweep(problems.Quadratic.one_d(1.0), optim.SGD(lr=0.1),
                       [0.5, 2.5], [1.0], steps=40)


def test_use_book_style_sets_rcparams_only_when_called():
    with matplotlib.rc_context():
        matplotlib.rcParams["axes.grid"] = False
        plotting.use_book_style()
        assert matplotlib.rcParams["axes.grid"] is True
        assert tuple(matplotlib.rcParams["figure.figsize"]) == plotting.BOOK_STYLE["figure.figsize"]


def test_plot_iterates_draws_trace_and_marks_divergence(ax):
    trace = sweep()
    plotting.plot_iterates(ax, trace, labels=["a", "b"], minimizer=0.0)
    lines = ax.get_lines()
    # run a: full path; run b: path up to its last finite iterate, then a cross
    assert_allclose(lines[0].get_ydata(), 0.5 ** np.arange(41), rtol=1e-12)
    at = int(trace.diverged_at[1])
    assert at == 24                       # 0.5 * 2.25^t first exceeds 1e8 at t = 24
    assert_allclose(lines[1].get_ydata(), (-1.5) ** np.arange(at), rtol=1e-12)
    assert lines[2].get_marker() == "x"
    assert_allclose(lines[2].get_ydata(), [(-1.5) ** (at - 1)])
    assert lines[3].get_ydata()[0] == 0.0                   # the minimiser line
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", r"$\theta^\star$"]


def test_plot_losses_log_scale_and_divergence_label(ax):
    trace = sweep()
    plotting.plot_losses(ax, trace, labels=["a", "b"])
    assert ax.get_yscale() == "log"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["a", "b (diverged at step 24)"]
    assert_allclose(ax.get_lines()[0].get_ydata(), 0.5 * 0.25 ** np.arange(41), rtol=1e-12)


def test_plot_losses_floor_is_subtracted(ax):
    trace = train.run(problems.Quadratic.one_d(2.0), optim.SGD(lr=0.1), [1.0], steps=5)
    plotting.plot_losses(ax, trace, floor=0.25)
    assert_allclose(ax.get_lines()[0].get_ydata(), trace.losses - 0.25, rtol=1e-12)
    assert ax.get_ylabel() == r"$f(\theta_t) - f^\star$"


def test_plot_contraction_marks_critical_and_optimal_rates(ax):
    eig = [0.5, 2.0]
    etas = np.linspace(0, 1.2, 13)
    plotting.plot_contraction(ax, eig, etas)
    curve, one, crit, opt = ax.get_lines()
    expected = np.maximum(np.abs(1 - etas * 0.5), np.abs(1 - etas * 2.0))
    assert_allclose(curve.get_ydata(), expected, rtol=1e-12)
    assert crit.get_xdata()[0] == pytest.approx(2 / 2.0, rel=1e-15)
    assert opt.get_xdata()[0] == pytest.approx(2 / 2.5, rel=1e-15)
    assert theory.critical_rate(2.0) == crit.get_xdata()[0]


def test_plot_band_draws_median_and_percentiles():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from lrtutor import plotting
    fig, ax = plt.subplots()
    runs = np.array([[1.0, 2.0, 3.0, 4.0, 5.0],
                     [10.0, np.nan, 30.0, np.nan, 20.0],
                     [np.nan] * 5])
    line, band = plotting.plot_band(ax, [0, 1, 2], runs, label="m")
    ydata = line.get_ydata()
    assert ydata[0] == 3.0 and ydata[1] == 20.0 and np.isnan(ydata[2])   # NaN runs left out
    verts = band.get_paths()[0].vertices
    assert np.isclose(verts[:, 1].min(), np.percentile([1, 2, 3, 4, 5], 10))
    assert np.isclose(verts[:, 1].max(), np.percentile([10, 20, 30], 90))
    with pytest.raises(ValueError, match="runs"):
        plotting.plot_band(ax, [0, 1], runs)
    plt.close(fig)


def test_plot_losses_uses_the_recorded_steps():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from lrtutor import optim, plotting, problems, train
    trace = train.run(problems.Quadratic.one_d(1.0), optim.SGD(lr=0.1), [1.0], 10,
                      record_every=4)
    fig, ax = plt.subplots()
    plotting.plot_losses(ax, trace)
    assert ax.lines[0].get_xdata().tolist() == [0, 4, 8, 10]
    plt.close(fig)


def test_momentum_stable_regions_shade_what_the_roots_say():
    """The shaded regions come from spectral radii, the lines from Jury's closed forms:
    away from the boundary (more than one grid cell) the two must agree, and the
    lines are the formulas of the chapter."""
    xs, betas = np.linspace(0.0, 4.2, 211), np.linspace(0.0, 0.99, 100)
    fig, ax = plt.subplots()
    plotting.plot_momentum_stable_regions(ax, xs, betas)
    heavy, nest = ax.lines[0], ax.lines[1]
    assert_allclose(heavy.get_xdata(), 2 + 2 * betas, rtol=1e-15)
    assert_allclose(nest.get_xdata(), (2 + 2 * betas) / (1 + 2 * betas), rtol=1e-15)
    gx, gb = np.meshgrid(xs, betas)
    step = xs[1] - xs[0]
    for rate, edge in ((theory.momentum_rate, 2 + 2 * gb),
                       (theory.nesterov_rate, (2 + 2 * gb) / (1 + 2 * gb))):
        stable = rate(gx, gb, [1.0]) < 1
        clear = (np.abs(gx - edge) > step) & (gx > step)
        assert np.array_equal(stable[clear], (gx < edge)[clear])
    assert len(ax.get_legend().get_texts()) == 3
    plt.close(fig)


def test_flowchart_arrows_start_and_end_on_box_edges():
    """Each arrow's ends lie on the edges of the boxes it joins (measured in
    display pixels, 1 px of tolerance for antialiasing-free geometry), labels
    are drawn, and malformed nodes or edges are rejected by name."""
    nodes = {"a": (0, 2, "first step", "step"), "q": (0, 1, "a question?", "question"),
             "b": (2, 1, "other", "step"), "z": (0, 0, "the end", "end")}
    edges = [("a", "q", None, ("bottom", "top"), "arc3"),
             ("q", "b", "yes", ("right", "left"), "arc3"),
             ("q", "z", "no", ("bottom", "top"), "arc3"),
             ("z", "a", None, ("left", "left"), "arc,angleA=180,angleB=180,armA=20,armB=20,rad=5")]
    fig, ax = plt.subplots(figsize=(5, 4))
    boxes = plotting.plot_flowchart(ax, nodes, edges)
    fig.canvas.draw()
    arrows = [c for c in ax.texts if c.get_text() == "" and hasattr(c, "arrow_patch")]
    assert len(arrows) == len(edges)
    for (src, dst, _, sides, _), arrow in zip(edges, arrows):
        for name, side, xy in ((src, sides[0], arrow.xyann), (dst, sides[1], arrow.xy)):
            ext = boxes[name].get_bbox_patch().get_window_extent()
            px, py = ax.transData.transform(xy)
            want = {"top": (ext.x0 + ext.width / 2, ext.y1),
                    "bottom": (ext.x0 + ext.width / 2, ext.y0),
                    "left": (ext.x0, ext.y0 + ext.height / 2),
                    "right": (ext.x1, ext.y0 + ext.height / 2)}[side]
            assert abs(px - want[0]) < 1 and abs(py - want[1]) < 1, (name, side)
    assert {"yes", "no"} <= {t.get_text() for t in ax.texts}
    with pytest.raises(ValueError, match="kind"):
        plotting.plot_flowchart(ax, {"a": (0, 0, "x", "diamond")}, [])
    with pytest.raises(ValueError, match="unknown node"):
        plotting.plot_flowchart(ax, {"a": (0, 0, "x", "step")},
                                [("a", "b", None, ("top", "top"), "arc3")])
    with pytest.raises(ValueError, match="sides"):
        plotting.plot_flowchart(ax, {"a": (0, 0, "x", "step"), "b": (1, 0, "y", "step")},
                                [("a", "b", None, ("up", "top"), "arc3")])
    plt.close(fig)
