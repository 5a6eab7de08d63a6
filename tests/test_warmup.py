"""Tests of lrtutor.finder.largest_stable_rate and lrtutor.finder.warmup_protocol
(chapter "Warmup and decay on a network").

Expected values are independent of the implementation: hand computations written
next to each test, and the closed form of gradient descent on f(x) = L x^2 / 2,

    x_{t+1} = (1 - eta_t L) x_t,   so   x_T = x_0 prod_t (1 - eta_t L),

with the warmup rates eta_t = eta t / W (t < W), eta (t >= W) of the Tuning
Playbook's protocol written out by hand, not taken from lrtutor.schedules.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from lrtutor import data, network, train
from lrtutor.finder import WarmupProtocolResult, largest_stable_rate, warmup_protocol
from lrtutor.optim import SGD, Adam
from lrtutor.problems import Quadratic
from lrtutor.schedules import Constant, Warmup


def protocol_loss(L, eta, W, hold, x0):
    """f(x_{(1+h)W}) on f = L x^2/2 after a ramp 0, eta/W, ... and h W steps at eta."""
    x = float(x0)
    for t in range((1 + hold) * W):
        rate = eta * t / W if t < W else eta
        x *= 1 - rate * L
    return L * x * x / 2


# ------------------------------------------------------ largest_stable_rate --

def test_largest_stable_rate_by_hand():
    lrs = [0.1, 0.2, 0.4, 0.8, 1.6]
    # columns are seeds; NaN and inf are divergences, 0.6 is exactly at the threshold
    losses = [[0.5, 0.9, np.nan],
              [0.3, 0.7, 0.2],
              [0.59, 0.6, 0.3],
              [np.inf, 0.1, 0.9],
              [2.0, np.nan, 0.4]]
    # seed 0: 0.1, 0.2, 0.4 train -> 0.4; seed 1: only 0.8 (0.6 is not < 0.6);
    # seed 2: 0.2, 0.4 and 1.6 (a late success counts) -> 1.6
    assert_array_equal(largest_stable_rate(lrs, losses, 0.6), [0.4, 0.8, 1.6])
    # no rate trains: 0, the limit lies below the grid (never NaN for finite input)
    assert_array_equal(largest_stable_rate(lrs, [[0.7]] * 5, 0.6), [0.0])


def test_largest_stable_rate_keeps_trailing_axes_and_returns_a_float_for_one_run():
    lrs = [0.1, 0.2, 0.4]
    losses = np.array([1.0, 0.5, 2.0])
    out = largest_stable_rate(lrs, losses, 0.8)
    assert isinstance(out, float) and out == 0.2
    grid = np.stack([losses, losses[::-1]], axis=-1)[:, None, :]      # (3, 1, 2)
    assert largest_stable_rate(lrs, grid, 0.8).shape == (1, 2)


def test_largest_stable_rate_of_gradient_descent_is_the_last_grid_rate_below_2_over_L():
    # f = L x^2 / 2: after T steps f = (1 - eta L)^(2T) f(x_0), below f(x_0) iff 0 < eta < 2/L
    L = 4.0
    lrs = np.array([0.05, 0.1, 0.2, 0.3, 0.45, 0.49, 0.51, 0.6, 1.0])
    trace = train.sweep(Quadratic.one_d(L), SGD(lr=1.0), lrs, [1.0], 60)
    start = L / 2
    assert largest_stable_rate(lrs, trace.final_loss, start) == lrs[lrs < 2 / L].max()
    # and the closed form of every final loss
    assert_allclose(trace.final_loss[:6], start * (1 - lrs[:6] * L) ** 120, rtol=1e-10)


def test_largest_stable_rate_rejects_bad_input():
    with pytest.raises(ValueError, match="lrs"):
        largest_stable_rate([0.2, 0.1], [1.0, 1.0], 0.5)
    with pytest.raises(ValueError, match="lrs"):
        largest_stable_rate([0.1], [1.0], 0.5)
    with pytest.raises(ValueError, match="lrs"):
        largest_stable_rate([-0.1, 0.1], [1.0, 1.0], 0.5)
    with pytest.raises(ValueError, match="losses"):
        largest_stable_rate([0.1, 0.2], [1.0, 1.0, 1.0], 0.5)
    with pytest.raises(ValueError, match="threshold"):
        largest_stable_rate([0.1, 0.2], [1.0, 1.0], np.nan)
    with pytest.raises(TypeError, match="threshold"):
        largest_stable_rate([0.1, 0.2], [1.0, 1.0], "low")


# ----------------------------------------------------------- warmup_protocol --

def test_warmup_protocol_losses_follow_the_closed_form_of_the_ramp_and_hold():
    L = 1.0
    peaks, warmups = [0.5, 1.9, 2.2, 2.5], [2, 5, 9]
    x0 = [[1.0], [-3.0]]
    res = warmup_protocol(Quadratic.one_d(L), SGD(lr=1.0), x0, peaks, warmups,
                          threshold=0.4)
    assert isinstance(res, WarmupProtocolResult)
    assert res.losses.shape == res.stable.shape == (4, 3, 2)
    for i, eta in enumerate(peaks):
        for k, W in enumerate(warmups):
            for s, start in enumerate((1.0, -3.0)):
                expected = protocol_loss(L, eta, W, 2, start)
                got = res.losses[i, k, s]
                if np.isnan(got):          # only a run past the explosion threshold
                    assert expected > 1e8 * protocol_loss(L, 0.0, 1, 0, -3.0)
                else:
                    assert_allclose(got, expected, rtol=1e-10)
                    assert res.stable[i, k, s] == (expected < 0.4)


def test_warmup_protocol_cannot_unlock_a_rate_above_2_over_L_with_a_long_hold():
    # The curvature of a quadratic never falls: every step of the hold at a peak with
    # |1 - eta L| > 1 multiplies |x| by that factor, whatever the ramp did before, so
    # a long enough hold fails for every W. With L = 2 and eta = 1.2 the factor is 1.4.
    L = 2.0
    res = warmup_protocol(Quadratic.one_d(L), SGD(lr=1.0), [[1.0]], [0.9, 1.2],
                          [4, 16, 64], threshold=1.0, hold=10)
    assert res.shortest == (4, None)              # 0.9 < 2/L = 1 < 1.2
    assert not res.stable[1].any() and res.stable[0].all()
    # The Playbook's short hold (h = 2) is a finite-time test and can pass it: for
    # W = 4 the ramp's factors 1, 0.4, -0.2, -0.8 give x = 0.064 before 8 steps at
    # -1.4, x_12 = 0.064 * 1.4**8 = 0.9446 and f = 0.8922 < 1.
    short = warmup_protocol(Quadratic.one_d(L), SGD(lr=1.0), [[1.0]], [1.2], [4],
                            threshold=1.0)
    assert_allclose(short.losses[0, 0, 0], (0.064 * 1.4 ** 8) ** 2, rtol=1e-12)
    assert short.shortest == (4,)


def test_warmup_protocol_picks_the_shortest_warmup_with_enough_stable_seeds():
    # eta = 2.2, L = 1: the ramp shrinks x, the hold multiplies |x| by 1.2 per step.
    # By hand (protocol_loss), f after 3W steps from x_0 = 1, for W = 1, 2, 3, 6, 10:
    # 1.0368, 0.02150, 0.06904, 0.001715, 3.866e-05 (not monotone in W); from
    # x_0 = 3 nine times these. With threshold 0.05, seed 1 is stable for W = 2, 6, 10
    # and seed 2 (0.1935, 0.6214, 0.01543, ...) for W = 6 and 10.
    warmups = [1, 2, 3, 6, 10]
    # (printed with 12 significant digits: rtol 1e-10 covers the rounding)
    expected = [1.0368, 0.0214990848, 0.0690392370512, 0.00171464073182,
                3.86609252950e-05]
    assert_allclose([protocol_loss(1.0, 2.2, W, 2, 1.0) for W in warmups], expected,
                    rtol=1e-10)
    q, x0 = Quadratic.one_d(1.0), [[1.0], [3.0]]
    res = warmup_protocol(q, SGD(lr=1.0), x0, [2.2], warmups, threshold=0.05)
    assert_allclose(res.losses[0], np.outer(expected, [1.0, 9.0]), rtol=1e-10)
    assert_array_equal(res.stable[0, :, 0], [False, True, False, True, True])
    assert_array_equal(res.stable[0, :, 1], [False, False, False, True, True])
    assert res.shortest == (6,)                         # every seed stable
    half = warmup_protocol(q, SGD(lr=1.0), x0, [2.2], warmups, threshold=0.05,
                           min_fraction=0.5)
    assert half.shortest == (2,)                        # one seed of two suffices
    assert repr(res) == ("WarmupProtocolResult(warmups=[1, 2, 3, 6, 10], hold=2, "
                         "shortest W per peak {2.2: 6})")


def test_warmup_protocol_equals_sweep_schedules_on_a_network():
    split = data.load_digits_split(seed=0)
    net = network.MLP(split.X_train[:96], split.y_train[:96], hidden=(4,))
    x0 = net.init(np.random.default_rng(1), k=2)
    rngs = [np.random.default_rng(3), np.random.default_rng(4)]
    res = warmup_protocol(net, Adam(lr=1.0), x0, [0.01, 3.0], [2, 4], threshold=2.0,
                          hold=1, rng=rngs, batch_size=16, sampling="epoch")
    for k, W in enumerate((2, 4)):
        trace = train.sweep_schedules(net, Adam(lr=1.0),
                                      [Warmup(Constant(0.01), W), Warmup(Constant(3.0), W)],
                                      x0, 2 * W, rng=rngs, batch_size=16, sampling="epoch")
        assert_allclose(res.losses[:, k], trace.final_loss, rtol=1e-12)
    # the caller's generators were copied, not advanced
    assert rngs[0].integers(1 << 30) == np.random.default_rng(3).integers(1 << 30)


def test_warmup_protocol_results_are_read_only_and_checked():
    res = warmup_protocol(Quadratic.one_d(1.0), SGD(lr=1.0), [[1.0]], [0.5], [2],
                          threshold=1.0)
    with pytest.raises(ValueError):
        res.losses[0, 0, 0] = 0.0
    with pytest.raises(ValueError):
        res.warmups[0] = 3
    good = dict(peak_lrs=[0.5], warmups=[2, 4], hold=2, threshold=1.0,
                losses=np.ones((1, 2, 3)), stable=np.zeros((1, 2, 3), bool),
                min_fraction=1.0, shortest=(None,))
    assert WarmupProtocolResult(**good).warmups.tolist() == [2, 4]
    for key, bad in [("peak_lrs", [0.0]), ("warmups", [4, 2]), ("losses", np.ones((1, 3, 3))),
                     ("stable", np.ones((1, 2, 3))), ("shortest", (3,)), ("hold", -1),
                     ("min_fraction", 0.0)]:
        with pytest.raises((TypeError, ValueError), match=key):
            WarmupProtocolResult(**{**good, key: bad})


def test_warmup_protocol_rejects_bad_input():
    q, opt = Quadratic.one_d(1.0), SGD(lr=1.0)
    with pytest.raises(ValueError, match="peak_lrs"):
        warmup_protocol(q, opt, [[1.0]], [], [2], threshold=1.0)
    with pytest.raises(ValueError, match="peak_lrs"):
        warmup_protocol(q, opt, [[1.0]], [-0.1], [2], threshold=1.0)
    with pytest.raises(ValueError, match="warmups"):
        warmup_protocol(q, opt, [[1.0]], [0.1], [], threshold=1.0)
    with pytest.raises(ValueError, match="warmups"):
        warmup_protocol(q, opt, [[1.0]], [0.1], [4, 2], threshold=1.0)
    with pytest.raises(ValueError, match=r"warmups\[0\]"):
        warmup_protocol(q, opt, [[1.0]], [0.1], [0, 2], threshold=1.0)
    with pytest.raises(TypeError, match=r"warmups\[1\]"):
        warmup_protocol(q, opt, [[1.0]], [0.1], [2, 2.5], threshold=1.0)
    with pytest.raises(ValueError, match="hold"):
        warmup_protocol(q, opt, [[1.0]], [0.1], [2], threshold=1.0, hold=-1)
    with pytest.raises(ValueError, match="min_fraction"):
        warmup_protocol(q, opt, [[1.0]], [0.1], [2], threshold=1.0, min_fraction=0)
    with pytest.raises(ValueError, match="min_fraction"):
        warmup_protocol(q, opt, [[1.0]], [0.1], [2], threshold=1.0, min_fraction=1.5)
    with pytest.raises(ValueError, match="threshold"):
        warmup_protocol(q, opt, [[1.0]], [0.1], [2], threshold=np.inf)
    with pytest.raises(ValueError, match="x0"):
        warmup_protocol(q, opt, [1.0], [0.1], [2], threshold=1.0)
    with pytest.raises(TypeError, match="optimizer"):
        warmup_protocol(q, "sgd", [[1.0]], [0.1], [2], threshold=1.0)
