"""Tests of lrtutor.finder: log-scale search and the LR range test.

Expected values come from hand computations (written out next to each test),
from closed forms of gradient descent on a 1-D quadratic, and from fastai's
published rules (fastai/callback/schedule.py; CONVENTIONS.md B.5).
"""

import bisect

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from lrtutor import finder as F
from lrtutor.optim import SGD, Adam
from lrtutor.problems import LinearRegression, Quadratic, make_linear_data


# ---------------------------------------------------------------- helpers --

def result_with_window(lrs, smoothed):
    """A RangeTestResult whose suggestion window is exactly (lrs, smoothed).

    Pads num_it // 10 points in front (smaller rates) and 5 behind (larger).
    """
    lrs = np.asarray(lrs, dtype=float)
    w = lrs.size
    m = w + 5
    while m - 5 - m // 10 != w:
        m += 1
    front = m // 10
    full_lrs = np.r_[lrs[0] / 2.0 ** np.arange(front, 0, -1), lrs,
                     lrs[-1] * 2.0 ** np.arange(1, 6)]
    full = np.r_[np.full(front, 100.0), np.asarray(smoothed, float), np.full(5, 100.0)]
    return F.RangeTestResult(lrs=full_lrs, losses=full, smoothed=full,
                             stopped_at=-1, num_it=m)


# --------------------------------------------------------- log-scale grid --

def test_log_grid_one_point_per_decade():
    assert_allclose(F.log_grid(1e-4, 1.0, 5), [1e-4, 1e-3, 1e-2, 1e-1, 1.0], rtol=1e-12)


def test_log_grid_constant_ratio_and_exact_ends():
    g = F.log_grid(3e-5, 0.7, 9)
    assert g[0] == 3e-5 and g[-1] == 0.7
    ratios = g[1:] / g[:-1]
    assert_allclose(ratios, (0.7 / 3e-5) ** (1 / 8), rtol=1e-12)


def test_linspace_wastes_the_grid_e004_7():
    # the erratum's numbers (printed rounded there): 1e-4 + k (1 - 1e-4) / 4
    lin = np.linspace(1e-4, 1, 5)
    assert_allclose(lin, [1e-4, 0.250075, 0.50005, 0.750025, 1.0], rtol=1e-12)
    decades = lambda g: np.histogram(np.log10(g), bins=[-4, -3, -2, -1, 0.01])[0]
    assert decades(lin).tolist() == [1, 0, 0, 4]
    assert decades(F.log_grid(1e-4, 1, 5)).tolist() == [1, 1, 1, 2]


def test_log_uniform_is_the_transform_of_uniform_draws():
    u = np.random.default_rng(7).random(6)
    expected = 1e-5 * (1e-1 / 1e-5) ** u
    assert_allclose(F.log_uniform(1e-5, 1e-1, 6, np.random.default_rng(7)), expected,
                    rtol=1e-12)


def test_log_uniform_fills_decades_evenly():
    r = F.log_uniform(1e-6, 1.0, 60000, np.random.default_rng(1))
    counts = np.histogram(np.log10(r), bins=6, range=(-6, 0))[0]
    # each decade expects 10000; binomial sd ~ 91, so 5 sd is 456
    assert np.all(np.abs(counts - 10000) < 456)
    assert r.min() >= 1e-6 and r.max() < 1.0


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.log_grid(0.0, 1.0, 5), ValueError, "low must be a finite number > 0"),
    (lambda: F.log_grid(1.0, 1.0, 5), ValueError, "high must be a finite number > 1.0"),
    (lambda: F.log_grid(1e-3, 1.0, 1), ValueError, "num must be an integer >= 2"),
    (lambda: F.log_grid(1e-3, 1.0, 2.0), TypeError, "num must be an integer"),
    (lambda: F.log_uniform(1e-3, 1.0, 0, np.random.default_rng(0)), ValueError, "size"),
    (lambda: F.log_uniform(1e-3, 1.0, 3, 0), TypeError, "rng must be a numpy.random.Generator"),
])
def test_search_helpers_validate(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_best_on_grid_and_edges():
    assert F.best_on_grid([0.01, 0.1, 1.0], [3.0, 2.0, np.nan]) == (0.1, None)
    assert F.best_on_grid([0.01, 0.1, 1.0], [1.0, 2.0, 3.0]) == (0.01, "low")
    assert F.best_on_grid([0.01, 0.1, 1.0], [3.0, 2.0, 1.0]) == (1.0, "high")
    # a diverged run (inf) never wins
    assert F.best_on_grid([0.01, 0.1, 1.0], [3.0, 2.0, np.inf]) == (0.1, None)


def test_zoom_grid_inside_and_at_the_edge():
    # best 0.01 in the middle: new grid spans its neighbours 1e-3 .. 1e-1
    assert_allclose(F.zoom_grid([1e-3, 1e-2, 1e-1, 1.0], [4, 2, 3, 9], 5),
                    np.geomspace(1e-3, 1e-1, 5), rtol=1e-12)
    # best on the high edge: extended one ratio (10x) past it
    assert_allclose(F.zoom_grid([1e-3, 1e-2, 1e-1], [4, 3, 2], 3), [1e-2, 1e-1, 1.0],
                    rtol=1e-12)
    # best on the low edge: extended one ratio below
    assert_allclose(F.zoom_grid([1e-3, 1e-2, 1e-1], [1, 3, 4], 3), [1e-4, 1e-3, 1e-2],
                    rtol=1e-12)


@pytest.mark.parametrize("rates, scores, match", [
    ([0.1], [1.0], "at least 2 strictly increasing"),
    ([0.1, 0.01], [1.0, 2.0], "strictly increasing"),
    ([0.01, 0.1], [1.0], r"scores must have shape \(2\)"),
    ([0.01, 0.1], [np.nan, np.inf], "at least one finite"),
])
def test_grid_helpers_validate(rates, scores, match):
    with pytest.raises(ValueError, match=match):
        F.best_on_grid(rates, scores)


# ------------------------------------------------------ sweep and smoothing --

def test_exponential_sweep_values():
    s = F.ExponentialSweep(1e-7, 10.0, 100)
    i = np.arange(100)
    # 1e-7 * (1e8)^(i/100) = 10^(-7 + 8 i / 100)
    assert_allclose(s(i), 10.0 ** (-7 + 8 * i / 100), rtol=1e-12)
    assert s(0) == 1e-7
    assert_allclose(s(50), 1e-3, rtol=1e-12)
    assert s(99) < 10.0                     # end_lr itself is never used


def test_exponential_sweep_validates():
    with pytest.raises(ValueError, match="end_lr must be a finite number > 0.1"):
        F.ExponentialSweep(0.1, 0.01, 10)
    with pytest.raises(ValueError, match="t must be an integer"):
        F.ExponentialSweep(0.1, 1.0, 10)(-1)


def test_smooth_losses_hand_computation():
    # beta = 0.5: a = 0.5, 1.25, 2.125; debiased by 0.5, 0.75, 0.875
    assert_allclose(F.smooth_losses([1.0, 2.0, 3.0], beta=0.5), [1.0, 5 / 3, 17 / 7],
                    rtol=1e-12)
    # beta = 0.98 (the default): first value is the first loss, second is
    # (0.98 * 0.02 * 4 + 0.02 * 2) / (1 - 0.98**2)
    assert_allclose(F.smooth_losses([4.0, 2.0]),
                    [4.0, (0.98 * 0.02 * 4 + 0.02 * 2) / (1 - 0.98 ** 2)], rtol=1e-12)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=30), st.floats(0, 0.99))
def test_smooth_losses_is_a_weighted_mean(losses, beta):
    # debiasing makes the weights (1-b) b^(t-k) / (1 - b^t) sum to one
    out = F.smooth_losses(losses, beta)
    t = np.arange(1, len(losses) + 1)
    for i in range(len(losses)):
        w = (1 - beta) * beta ** (i - np.arange(i + 1))
        assert_allclose(out[i], np.dot(w, losses[:i + 1]) / (1 - beta ** t[i]),
                        rtol=1e-9, atol=1e-9)
        assert min(losses[:i + 1]) - 1e-6 <= out[i] <= max(losses[:i + 1]) + 1e-6


def test_smooth_losses_constant_sequence_is_unchanged():
    assert_allclose(F.smooth_losses(np.full(50, 3.0)), 3.0, rtol=1e-12)


# ------------------------------------------------------------- range test --

def test_range_test_follows_gd_closed_form():
    # on f = lam/2 theta^2, theta_{i+1} = (1 - eta_i lam) theta_i exactly
    lam = 2.0
    res = F.range_test(Quadratic.one_d(lam), SGD(lr=1.0), [1.5], 1e-4, 1.0, 40)
    etas = 1e-4 * (1.0 / 1e-4) ** (np.arange(40) / 40)
    theta = 1.5 * np.r_[1.0, np.cumprod(1 - etas * lam)][:40]
    assert res.stopped_at == -1 and res.lrs.size == 40
    assert_allclose(res.lrs, etas, rtol=1e-12)
    assert_allclose(res.losses, lam / 2 * theta ** 2, rtol=1e-12)
    assert_allclose(res.smoothed, F.smooth_losses(res.losses), rtol=1e-12)


def test_range_test_stop_div_rule():
    res = F.range_test(Quadratic.one_d(1.0), SGD(lr=1.0), [1.0], 1e-4, 100.0, 100)
    k = res.stopped_at
    assert k == res.lrs.size - 1 and k > 0
    s = res.smoothed
    # stops at the first i with s_i > 4 min_{j<=i} s_j, and not before
    assert s[k] > 4 * s[:k + 1].min()
    assert all(s[i] <= 4 * s[:i + 1].min() for i in range(k))
    # divergence needs eta > 2 on this problem
    assert res.lrs[k] > 2.0


def test_range_test_without_stop_div_runs_to_the_end():
    res = F.range_test(Quadratic.one_d(1.0), SGD(lr=1.0), [1.0], 1e-4, 100.0, 100,
                       stop_div=False)
    assert res.stopped_at == -1 and res.lrs.size == 100


def test_range_test_nonfinite_loss_stops(recwarn):
    # rates up to 1e6 on lam = 1e3 overflow to inf; no RuntimeWarning may escape
    res = F.range_test(Quadratic.one_d(1e3), SGD(lr=1.0), [1.0], 1e-2, 1e6, 400,
                       beta=0.0)
    assert res.stopped_at >= 0
    assert not any(issubclass(w.category, RuntimeWarning) for w in recwarn)


def test_range_test_does_not_touch_x0_and_keeps_optimizer_options():
    x0 = np.array([1.0, -2.0])
    q = Quadratic.two_d(1.0, 0.1)
    res = F.range_test(q, Adam(lr=1.0), x0, 1e-4, 1.0, 20)
    assert_array_equal(x0, [1.0, -2.0])
    # first Adam step moves each coordinate by lr * sign(g): loss check by hand
    x1 = x0 - 1e-4 * np.sign(q.grad(x0))
    assert_allclose(res.losses[1], q.loss(x1), rtol=1e-9)


def test_range_test_stochastic_records_minibatch_losses():
    X, y = make_linear_data(n=50, rng=np.random.default_rng(0))
    p = LinearRegression(X, y)
    a = F.range_test(p, SGD(lr=1.0), [0.0, 0.0], 1e-4, 10.0, 30,
                     rng=np.random.default_rng(3), batch_size=5)
    b = F.range_test(p, SGD(lr=1.0), [0.0, 0.0], 1e-4, 10.0, 30,
                     rng=np.random.default_rng(3), batch_size=5)
    assert_array_equal(a.losses, b.losses)           # deterministic given rng
    # first loss: mini-batch of the same rows as rng.choice would draw
    idx = np.random.default_rng(3).choice(50, size=5, replace=False)
    assert_allclose(a.losses[0], 0.5 * np.mean(y[idx] ** 2), rtol=1e-12)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(num_it=5), ValueError, "num_it must be an integer >= 6"),
    (dict(start_lr=-1.0), ValueError, "start_lr must be a finite number > 0"),
    (dict(start_lr=1.0, end_lr=0.5), ValueError, "end_lr must be a finite number > 1.0"),
    (dict(beta=1.0), ValueError, "beta must be a finite number >= 0 and < 1"),
    (dict(stop_div=1), TypeError, "stop_div must be True or False"),
    (dict(batch_size=2), TypeError, "batch_size needs a data-set problem"),
])
def test_range_test_validates(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        F.range_test(Quadratic.one_d(1.0), SGD(lr=1.0), [1.0], **kwargs)


def test_range_test_stochastic_needs_rng():
    X, y = make_linear_data(n=20)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        F.range_test(LinearRegression(X, y), SGD(lr=1.0), [0.0, 0.0], batch_size=4)


def test_result_validates_and_is_read_only():
    with pytest.raises(ValueError, match="strictly increasing"):
        F.RangeTestResult(lrs=[1.0, 1.0], losses=[1, 1], smoothed=[1, 1],
                          stopped_at=-1, num_it=2)
    with pytest.raises(ValueError, match="stopped_at must be -1 or 1"):
        F.RangeTestResult(lrs=[1.0, 2.0], losses=[1, 1], smoothed=[1, 1],
                          stopped_at=0, num_it=2)
    with pytest.raises(ValueError, match="num_it must be an integer >= 2"):
        F.RangeTestResult(lrs=[1.0, 2.0], losses=[1, 1], smoothed=[1, 1],
                          stopped_at=-1, num_it=1)
    r = F.RangeTestResult(lrs=[1.0, 2.0], losses=[1, 1], smoothed=[1, 1],
                          stopped_at=-1, num_it=2)
    with pytest.raises(ValueError):
        r.lrs[0] = 5.0


# ------------------------------------------------------------- suggestions --

def test_window_is_fastai_slice():
    lrs = np.geomspace(1e-3, 1.0, 40)
    loss = np.linspace(5, 1, 40)
    r = F.RangeTestResult(lrs=lrs, losses=loss, smoothed=loss, stopped_at=-1, num_it=40)
    wl, ws = F.suggestion_window(r)
    assert_array_equal(wl, lrs[4:35])
    assert_array_equal(ws, loss[4:35])


def test_window_truncates_at_first_nonfinite():
    lrs = np.geomspace(1e-3, 1.0, 40)
    loss = np.linspace(5, 1, 40)
    loss[20] = np.nan
    loss[25] = np.inf
    r = F.RangeTestResult(lrs=lrs, losses=loss, smoothed=loss, stopped_at=-1, num_it=40)
    wl, _ = F.suggestion_window(r)
    assert_array_equal(wl, lrs[4:20])
    # minimum: without truncation argmin would be past the NaN (loss decreasing)
    assert F.suggest_minimum(r) == lrs[19] / 10
    loss[4] = np.nan
    r = F.RangeTestResult(lrs=lrs, losses=loss, smoothed=loss, stopped_at=-1, num_it=40)
    with pytest.raises(ValueError, match="at least 1 finite points"):
        F.suggest_minimum(r)


def test_valley_hand_built():
    # window: 9 8 7 | 8 | 6 5 4 3 | 7 9
    # longest strictly decreasing subsequence: 9 8 7 6 5 4 3 (D = 7) ending at
    # index 7; s = 7 - 7 = 0; k = 0 + 2 + 1 = 3 -> the rate at window index 3
    lrs = np.arange(1.0, 11.0)
    r = result_with_window(lrs, [9, 8, 7, 8, 6, 5, 4, 3, 7, 9])
    assert F.suggest_valley(r) == 4.0


def test_valley_decreasing_run_after_a_bump():
    # window: 1 2 10 9 8 7 6 5 4 3 2.5 2.4 9. Longest strictly decreasing
    # subsequence: 10 9 8 7 6 5 4 3 2.5 2.4 (D = 10) ending at e = 11;
    # s = e - D = 1; k = 1 + floor(10/3) + floor(10/6) = 1 + 3 + 1 = 5
    lrs = np.arange(1.0, 14.0)
    r = result_with_window(lrs, [1, 2, 10, 9, 8, 7, 6, 5, 4, 3, 2.5, 2.4, 9])
    assert F.suggest_valley(r) == 6.0


def _valley_reference(losses):
    """Independent valley index and D, from the definition (not fastai's loop)."""
    d = []
    for i in range(len(losses)):
        d.append(1 + max([d[j] for j in range(i) if losses[j] > losses[i]], default=0))
    D = max(d)
    e = d.index(D)                      # first end of a longest run
    if D == 1:
        return 0, D                     # fastai: max_start = max_end = 0
    return max(e - D + D // 3 + D // 6, 0), D


def _lds_length(losses):
    """Longest strictly decreasing subsequence by patience sorting on -loss."""
    tails = []
    for v in losses:
        k = bisect.bisect_left(tails, -v)
        if k == len(tails):
            tails.append(-v)
        else:
            tails[k] = -v
    return len(tails)


@given(st.lists(st.integers(0, 20), min_size=1, max_size=40))
def test_valley_matches_independent_reference(values):
    losses = np.asarray(values, dtype=float)
    lrs = np.arange(1.0, losses.size + 1)
    k, D = _valley_reference(list(values))
    assert D == _lds_length(values)
    assert F.suggest_valley(result_with_window(lrs, losses)) == lrs[k]


def test_lds_reference_is_right():
    assert _lds_length([9, 8, 7, 8, 6, 5, 4, 3, 7, 9]) == 7
    assert _lds_length([1, 2, 3]) == 1


def test_steep_hand_built():
    # slopes per unit ln(eta): (0.9-1), (0.5-0.9), (0.4-0.5) over ln 10 each;
    # steepest is 0.9 -> 0.5, left end at rate 10
    r = result_with_window(10.0 ** np.arange(4), [1, 0.9, 0.5, 0.4])
    assert F.suggest_steep(r) == 10.0


def test_steep_uses_log_spacing():
    # same loss drops, uneven rate spacing: drop of 0.3 over a factor 1000 is
    # shallower per log-rate than a drop of 0.2 over a factor 2
    r = result_with_window([1.0, 1000.0, 2000.0], [1.0, 0.7, 0.5])
    assert F.suggest_steep(r) == 1000.0


def test_minimum_hand_built():
    r = result_with_window([1.0, 2.0, 3.0, 4.0], [3, 1, 2, 5])
    assert F.suggest_minimum(r) == 0.2


def test_slide_hand_built():
    # slopes (np.gradient): -0.01 up to index 23, 0.045 at 24, 0.1 after.
    # Walk (lr_diff 15): pairs (29,14) ... (25,10) differ by 0.11, (24,9) by
    # 0.055 -> candidate index 9; (23,8) differ by 0 -> stop.
    k = np.arange(30)
    window = np.where(k <= 24, 1 - 0.01 * k, 0.76 + 0.1 * (k - 24))
    lrs = np.arange(1.0, 31.0)
    r = result_with_window(lrs, window)
    assert F.suggest_slide(r) == lrs[9]
    assert F.suggest_slide(r, adjust_value=0.5) == lrs[9] / 2
    # lr_diff 5, thresh 0.05: pairs (29,24) differ by 0.055, (28,23) ... (25,20)
    # by 0.11, (24,19) by 0.055 -> candidate 19; (23,18) by 0 -> stop.
    assert F.suggest_slide(r, lr_diff=5, thresh=0.05) == lrs[19]
    # thresh 0.06: (29,24) differ by only 0.055, so the walk never starts and
    # the suggestion is the rate lr_diff before the end, index 29 - 5
    assert F.suggest_slide(r, lr_diff=5, thresh=0.06) == lrs[24]


def test_slide_straight_line_never_walks():
    lrs = np.arange(1.0, 21.0)
    r = result_with_window(lrs, 1 - 0.01 * np.arange(20))
    assert F.suggest_slide(r) == lrs[20 - 1 - 15]


def test_slide_needs_enough_points():
    r = result_with_window(np.arange(1.0, 11.0), np.linspace(1, 0, 10))
    with pytest.raises(ValueError, match="at least 16 finite points"):
        F.suggest_slide(r)


def test_suggestions_reject_other_types():
    with pytest.raises(TypeError, match="result must be a RangeTestResult"):
        F.suggest_valley({"lrs": [1.0]})


def test_suggestions_on_the_quadratic_are_below_the_stability_limit():
    # f = theta^2/2: eta* = 1, divergence above 2; every rule lands in (0, 2)
    res = F.range_test(Quadratic.one_d(1.0), SGD(lr=1.0), [1.0], 1e-4, 100.0)
    got = {name: rule(res) for name, rule in F.SUGGESTIONS.items()}
    assert all(0 < v < 2 for v in got.values()), got
    assert list(F.SUGGESTIONS) == ["valley", "slide", "minimum", "steep"]


def test_window_of_a_stopped_test_is_fastais_slice_by_num_it():
    # fastai lr_find: recorder.lrs[num_it//10:-5] (CONVENTIONS B.5), num_it the
    # number asked for, not the m recorded. Here num_it = 40 but the test stopped
    # after m = 25 updates: the window is indices 40//10 = 4 .. 25-5-1 = 19.
    lrs = np.arange(1.0, 26.0)                      # lrs[i] = i + 1
    smoothed = np.full(25, 5.0)
    smoothed[15] = 1.0                              # lowest inside the window
    smoothed[3] = 0.5                               # just before it (m//10 = 2 would take it)
    smoothed[20] = 0.2                              # first of the last five, left out
    r = F.RangeTestResult(lrs=lrs, losses=smoothed, smoothed=smoothed,
                          stopped_at=24, num_it=40)
    w_lrs, w_losses = F.suggestion_window(r)
    assert_array_equal(w_lrs, np.arange(5.0, 21.0))            # rates 5 .. 20
    assert_array_equal(w_losses, [5.0] * 11 + [1.0] + [5.0] * 4)
    assert F.suggest_minimum(r) == 1.6                          # lrs[15] / 10 = 16 / 10


# ------------------------------------------- plotting (w3 section of plotting) --

@pytest.fixture
def ax():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_plot_range_test_draws_the_recorded_curves(ax):
    from lrtutor import plotting
    res = F.range_test(Quadratic.one_d(1.0), SGD(lr=1.0), [1.0], 1e-4, 100.0)
    sugg = {"valley": F.suggest_valley(res)}
    plotting.plot_range_test(ax, res, sugg, reference={"2/L": 2.0})
    raw, smooth = ax.lines[0], ax.lines[1]
    assert_allclose(raw.get_xdata(), res.lrs, rtol=1e-12)
    assert_allclose(smooth.get_ydata(), res.smoothed, rtol=1e-12)
    marker = ax.lines[2]
    assert_allclose(marker.get_xdata(), [sugg["valley"]], rtol=1e-12)
    assert ax.get_xscale() == "log"
    assert ax.lines[3].get_xdata()[0] == 2.0             # the reference line


def test_plot_grid_scores_marks_best_and_diverged(ax):
    from lrtutor import plotting
    plotting.plot_grid_scores(ax, [0.1, 1.0, 10.0], [2.0, 1.0, np.nan], label="g")
    line, crosses, star = ax.lines
    assert_allclose(line.get_xdata(), [0.1, 1.0], rtol=1e-12)
    assert_allclose(crosses.get_xdata(), [10.0], rtol=1e-12)
    assert_allclose(star.get_xdata(), [1.0], rtol=1e-12)


def test_plot_regression_fit_and_loss_gaps(ax):
    from lrtutor import plotting
    from lrtutor.train import run
    X, y = make_linear_data(n=10)
    plotting.plot_regression_fit(ax, X, y, {"true": (1.0, 2.0)})
    line = ax.lines[1]
    assert_allclose(line.get_ydata(), 1.0 + 2.0 * line.get_xdata(), rtol=1e-12)
    ax.clear()
    q = Quadratic.one_d(1.0)
    trace = run(q, SGD(lr=1.0), [1.0], 3)            # lands on the minimum: gap 0
    plotting.plot_loss_gaps(ax, [trace], ["gd"], 0.0)
    assert_allclose(ax.lines[0].get_xdata(), [0.0], rtol=1e-12)   # zeros not drawn
    assert ax.get_yscale() == "log"
