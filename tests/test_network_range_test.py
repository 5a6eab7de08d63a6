"""The network range-test chapter's additions: plotting.plot_suggestion_spread,
plot_range_tests, update_range_tests and widgets.RangeTestGradeExplorer."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

from lrtutor import finder, plotting, widgets  # noqa: E402


def fake_test(scale=1.0, m=41, stop=False):
    """A range test written by hand: rates 1e-4..1e0, a U-shaped smoothed loss."""
    lrs = np.logspace(-4, 0, m)
    smoothed = scale * (1.0 + (np.log10(lrs) + 1.5) ** 2)
    losses = smoothed * (1.0 + 0.1 * np.cos(np.arange(m)))
    losses[3] = 0.0                       # a zero a log axis cannot show
    smoothed[0] = np.nan                  # fastai's first smoothed value can be unset
    return finder.RangeTestResult(lrs, losses, smoothed, m - 1 if stop else -1, m)


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


# ------------------------------------------------------ plot_suggestion_spread

def test_suggestion_spread_draws_median_and_range_of_each_rule(ax):
    sugg = {"a": np.array([[1e-3, 2e-3, 4e-3], [0.1, 0.3, 0.2]]),
            "b": np.array([[1.0, np.nan, 3.0], [5e-2, 5e-2, 5e-2]])}
    out = plotting.plot_suggestion_spread(
        ax, ["x", "y"], sugg, best=[0.01, 0.2], window=([0.005, 0.1], [0.02, 0.4]),
        cliff=[1.0, np.nan], spread=0.5)
    # two rules side by side at offsets -0.125 and +0.125 of each level
    line_a, bars_a = out["a"]
    assert_allclose(line_a.get_xdata(), [-0.125, 0.875], rtol=1e-12)
    assert_allclose(line_a.get_ydata(), [2e-3, 0.2], rtol=1e-12)
    assert_allclose(out["b"][0].get_xdata(), [0.125, 1.125], rtol=1e-12)
    assert_allclose(out["b"][0].get_ydata(), [2.0, 5e-2], rtol=1e-12)  # NaN left out
    segs = bars_a.get_segments()
    assert_allclose([s[:, 1] for s in segs], [[1e-3, 4e-3], [0.1, 0.3]], rtol=1e-12)
    # the yardstick: one best bar and one window per level, no cliff where NaN
    assert len(out["best"]) == 2 and len(out["window"]) == 2 and len(out["cliff"]) == 1
    assert_allclose(out["best"][1].get_ydata(), [0.2, 0.2], rtol=0)
    assert_allclose(out["cliff"][0].get_ydata(), [1.0, 1.0], rtol=0)
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]


def test_suggestion_spread_rejects_bad_shapes(ax):
    good = {"a": np.ones((2, 3))}
    with pytest.raises(ValueError, match="levels"):
        plotting.plot_suggestion_spread(ax, [], good)
    with pytest.raises(TypeError, match="suggestions"):
        plotting.plot_suggestion_spread(ax, ["x", "y"], {})
    with pytest.raises(ValueError, match=r"suggestions\['a'\] must have shape \(2, seeds\)"):
        plotting.plot_suggestion_spread(ax, ["x", "y"], {"a": np.ones((3, 3))})
    with pytest.raises(ValueError, match="suggestions"):
        plotting.plot_suggestion_spread(ax, ["x", "y"], {"a": np.ones(6)})
    with pytest.raises(ValueError, match="best"):
        plotting.plot_suggestion_spread(ax, ["x", "y"], good, best=[1.0])
    with pytest.raises(ValueError, match="window"):
        plotting.plot_suggestion_spread(ax, ["x", "y"], good, window=[1.0, 2.0])
    with pytest.raises(TypeError, match="cliff"):
        plotting.plot_suggestion_spread(ax, ["x", "y"], good, cliff=["a", "b"])


# ----------------------------------------------- plot_range_tests and update

def test_plot_range_tests_draws_the_tests_it_is_given(ax):
    tests = [fake_test(1.0), fake_test(2.0), fake_test(3.0, m=21, stop=True)]
    art = plotting.plot_range_tests(ax, tests, highlight=1,
                                    suggestions={"valley": 1e-2, "minimum": None},
                                    window=(0.01, 0.1), cliff=0.5, smallest=10 ** -1.5)
    main = tests[1]
    x, y = art["main"].get_data()
    assert_array_equal(x, main.lrs[1:])              # the NaN smoothed value left out
    assert_array_equal(y, main.smoothed[1:])
    rx, ry = art["raw"].get_data()
    assert 0.0 not in ry and ry.size == main.losses.size - 1
    assert [c.get_visible() for c in art["curves"]] == [True, False, True]
    assert_array_equal(art["curves"][2].get_data()[0], tests[2].lrs[1:])
    # a marker sits on the curve: 1e-2 is a grid rate, loss 2 (1 + 0.5**2)
    mx, my = art["markers"]["valley"].get_data()
    assert_allclose(mx, [1e-2], rtol=0)
    assert_allclose(my, [2.0 * 1.25], rtol=1e-12)
    assert len(art["markers"]["minimum"].get_xdata()) == 0   # None: no marker
    assert_allclose(art["smallest"].get_ydata(), [2.0], rtol=1e-12)
    assert art["window"].get_visible()
    assert_allclose(art["cliff"].get_xdata(), [0.5, 0.5], rtol=0)
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_update_range_tests_moves_the_highlight_and_hides_what_is_missing(ax):
    tests = [fake_test(1.0), fake_test(2.0)]
    art = plotting.plot_range_tests(ax, tests, suggestions={"steep": 0.1},
                                    window=(0.01, 0.1), cliff=0.5)
    x, y = plotting.update_range_tests(art, tests, highlight=1, suggestions={},
                                       window=(np.nan, 1.0), cliff=np.nan)
    assert_array_equal(y, tests[1].smoothed[1:])
    assert_array_equal(art["main"].get_ydata(), tests[1].smoothed[1:])
    assert [c.get_visible() for c in art["curves"]] == [True, False]
    assert not art["window"].get_visible()
    assert len(art["cliff"].get_xdata()) == 0
    assert len(art["markers"]["steep"].get_xdata()) == 0
    assert len(art["smallest"].get_xdata()) == 0


def test_range_tests_reject_bad_input(ax):
    tests = [fake_test(1.0), fake_test(2.0)]
    with pytest.raises(TypeError, match="results"):
        plotting.plot_range_tests(ax, [])
    with pytest.raises(TypeError, match="results"):
        plotting.plot_range_tests(ax, [np.ones(3)])
    with pytest.raises(ValueError, match="highlight"):
        plotting.plot_range_tests(ax, tests, highlight=2)
    with pytest.raises(TypeError, match="highlight"):
        plotting.plot_range_tests(ax, tests, highlight=0.5)
    art = plotting.plot_range_tests(ax, tests)
    with pytest.raises(ValueError, match="one per curve"):
        plotting.update_range_tests(art, tests[:1])
    with pytest.raises(ValueError, match="highlight"):
        plotting.update_range_tests(art, tests, highlight=-1)


# ------------------------------------------------------ RangeTestGradeExplorer

def settings_by_hand():
    entry = dict(best=0.03, window=(0.01, 0.1), cliff=0.5)
    return {"one": dict(entry, results=[fake_test(1.0), fake_test(2.0)]),
            "two": dict(entry, results=[fake_test(3.0), fake_test(4.0, stop=True)],
                        cliff=np.nan)}


def test_explorer_draws_the_selected_test_and_its_suggestions():
    settings = settings_by_hand()
    ex = widgets.RangeTestGradeExplorer(settings)
    try:
        ex.set("setting", "two").set("seed", 1)
        test = settings["two"]["results"][1]
        assert_array_equal(ex.artists["main"].get_ydata(), test.smoothed[1:])
        assert len(ex.artists["cliff"].get_xdata()) == 0      # NaN cliff: no line
        for name, rule in finder.SUGGESTIONS.items():
            rate = float(rule(test))
            assert_allclose(ex.artists["markers"][name].get_xdata(), [rate], rtol=0)
            assert f"{name} {rate:.2g} ({rate / 0.03:.2g}x best)" in ex.message.value
        assert "no failing rate in the sweep" in ex.message.value
        assert_allclose(ex.artists["smallest"].get_xdata(),
                        [10 * finder.suggest_minimum(test)], rtol=1e-12)
        ex.set("setting", "one")
        assert_allclose(ex.artists["cliff"].get_xdata(), [0.5, 0.5], rtol=0)
        assert "cliff 0.5" in ex.message.value
    finally:
        plt.close(ex.fig)


def test_explorer_moves_only_redraw():
    # every test is computed once: a move draws without calling the rules again
    ex = widgets.RangeTestGradeExplorer(settings_by_hand())
    try:
        saved = dict(finder.SUGGESTIONS)
        for name in finder.SUGGESTIONS:
            finder.SUGGESTIONS[name] = None       # would fail if called
        try:
            ex.set("seed", 1).set("setting", "two").set("seed", 0)
        finally:
            finder.SUGGESTIONS.update(saved)
        assert "two, seed 0" in ex.message.value
    finally:
        plt.close(ex.fig)


def test_explorer_rejects_bad_settings():
    good = settings_by_hand()
    with pytest.raises(TypeError, match="settings"):
        widgets.RangeTestGradeExplorer({})
    with pytest.raises(TypeError, match="keys"):
        widgets.RangeTestGradeExplorer({"a": {"results": good["one"]["results"]}})
    with pytest.raises(TypeError, match="RangeTestResult"):
        widgets.RangeTestGradeExplorer({"a": dict(good["one"], results=[1.0])})
    uneven = dict(good, two=dict(good["two"], results=good["two"]["results"][:1]))
    with pytest.raises(ValueError, match="same number"):
        widgets.RangeTestGradeExplorer(uneven)
    with pytest.raises(ValueError, match="best"):
        widgets.RangeTestGradeExplorer({"a": dict(good["one"], best=-1.0)})
    with pytest.raises(ValueError, match="window"):
        widgets.RangeTestGradeExplorer({"a": dict(good["one"], window=(0.1,))})
    with pytest.raises(ValueError, match="setting must be one of"):
        widgets.RangeTestGradeExplorer(good, setting="three")
