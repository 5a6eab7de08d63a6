"""Tests of lrtutor.network (the multilayer perceptron).

Expected values come from: a per-example reference written out here with plain
loops (loss), central finite differences (gradients, Hessian-vector products),
closed forms (multinomial logistic regression and least squares when there is
no hidden layer, the L2 penalty, the initialisation distributions), hand
computations (accuracy), and PyTorch: numbers recorded by
``tests/golden/record_network.py`` into ``tests/golden/network.json`` and, where
``torch`` is importable, recomputed live.
"""

import json
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lrtutor import network
from lrtutor.network import MLP
from lrtutor.optim import SGD, Adam

GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN))
import record_network as RN  # noqa: E402

ACTS = ("relu", "tanh")
LOSSES = ("cross_entropy", "squared_error")


def small_data(seed=0, n=9, p=3, C=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = np.arange(n) % C                    # every class present
    return X, rng.permutation(y)


def blocks(x, sizes):
    """(W, b) per layer from the documented layout, computed here independently."""
    out, start = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = x[start:start + fan_in * fan_out].reshape(fan_in, fan_out)
        b = x[start + fan_in * fan_out:start + (fan_in + 1) * fan_out]
        out.append((W, b))
        start += (fan_in + 1) * fan_out
    assert start == x.size
    return out


def reference_loss(x, X, y, sizes, activation, loss, l2, rows=None):
    """Mean per-example loss plus penalty, one example and one layer at a time."""
    rows = range(len(X)) if rows is None else rows
    sigma = (lambda u: max(u, 0.0)) if activation == "relu" else np.tanh
    layers = blocks(x, sizes)
    total = 0.0
    for i in rows:
        a = list(X[i])
        for j, (W, b) in enumerate(layers):
            z = [sum(a[k] * W[k, c] for k in range(len(a))) + b[c] for c in range(W.shape[1])]
            a = z if j == len(layers) - 1 else [sigma(u) for u in z]
        if loss == "cross_entropy":
            m = max(a)
            total += m + np.log(sum(np.exp(u - m) for u in a)) - a[y[i]]
        else:
            total += 0.5 * sum((u - (c == y[i])) ** 2 for c, u in enumerate(a))
    penalty = 0.5 * l2 * sum(float(np.sum(W * W)) for W, _ in layers)
    return total / len(rows) + penalty


def pre_activations(x, X, sizes, activation):
    """Every hidden pre-activation z_l (to keep finite differences off ReLU's kink)."""
    out, a = [], X
    for j, (W, b) in enumerate(blocks(x, sizes)):
        z = a @ W + b
        if j < len(sizes) - 2:
            out.append(z.ravel())
            a = np.maximum(z, 0) if activation == "relu" else np.tanh(z)
    return np.concatenate(out) if out else np.zeros(1) + np.inf


def point_off_kinks(net, rng, margin=1e-3):
    """Random parameters whose hidden pre-activations are all at least ``margin``
    from 0, so a finite-difference step of 1e-5 never crosses ReLU's kink (the
    pre-activations move by far less than the margin)."""
    for _ in range(1000):
        x = net.init(rng) + 0.3 * rng.standard_normal(net.dim)
        if np.min(np.abs(pre_activations(x, net.X, net.sizes, net.activation))) > margin:
            return x
    raise AssertionError("no point off the kinks")


def fd_grad(f, x, h=1e-5):
    """Central differences: error O(h^2 f''') + O(eps f / h), about 1e-10 here."""
    g = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def rel_err(a, b):
    """Largest error relative to the largest entry (entries near 0 carry no scale of their own)."""
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b))


# --------------------------------------------------------------------------
# Loss against a reference, gradients and Hessian-vector products against
# finite differences
# --------------------------------------------------------------------------

CONFIGS = [(act, loss, hidden, l2) for act in ACTS for loss in LOSSES
           for hidden in ((), (4,), (4, 3)) for l2 in (0.0, 0.3)]


@pytest.mark.parametrize("act,loss,hidden,l2", CONFIGS)
def test_loss_matches_per_example_reference(act, loss, hidden, l2):
    X, y = small_data()
    net = MLP(X, y, hidden=hidden, activation=act, loss=loss, l2=l2)
    x = net.init(np.random.default_rng(1)) + 0.2
    # same formula, different summation order: a few ulps apart
    assert_allclose(net.loss(x), reference_loss(x, X, y, net.sizes, act, loss, l2),
                    rtol=1e-12)
    rows = [4, 0, 4, 7]
    assert_allclose(net.batch_loss(x, rows),
                    reference_loss(x, X, y, net.sizes, act, loss, l2, rows), rtol=1e-12)


@pytest.mark.parametrize("act,loss,hidden,l2", CONFIGS)
def test_grad_matches_finite_differences(act, loss, hidden, l2):
    X, y = small_data()
    net = MLP(X, y, hidden=hidden, activation=act, loss=loss, l2=l2)
    rng = np.random.default_rng(2)
    x = point_off_kinks(net, rng)
    g = net.grad(x)
    # relative 1e-6: the finite differences themselves are good to ~1e-10
    assert rel_err(g, fd_grad(lambda z: float(net.loss(z)), x)) < 1e-6
    # every layer's block is non-trivial, so each is really checked
    for (gW, gb) in net.unflatten(g):
        assert np.abs(gW).max() > 1e-6 and np.abs(gb).max() > 1e-6
    rows = np.array([1, 5, 5, 8])
    gb = net.batch_grad(x, rows)
    assert rel_err(gb, fd_grad(lambda z: float(net.batch_loss(z, rows)), x)) < 1e-6


@pytest.mark.parametrize("act,loss,hidden,l2", CONFIGS)
def test_hvp_matches_finite_differences_of_grad(act, loss, hidden, l2):
    X, y = small_data()
    net = MLP(X, y, hidden=hidden, activation=act, loss=loss, l2=l2)
    rng = np.random.default_rng(3)
    x = point_off_kinks(net, rng)
    v = rng.standard_normal(net.dim)
    h = 1e-5        # central difference of the gradient: error O(h^2), ~1e-10
    fd = (net.grad(x + h * v) - net.grad(x - h * v)) / (2 * h)
    assert rel_err(net.hvp(x, v), fd) < 1e-6
    rows = [2, 3, 3]
    fd = (net.batch_grad(x + h * v, rows) - net.batch_grad(x - h * v, rows)) / (2 * h)
    assert rel_err(net.hvp(x, v, idx=rows), fd) < 1e-6


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("loss", LOSSES)
def test_dense_hessian_is_symmetric_and_matches_finite_differences(act, loss):
    X, y = small_data(n=6)
    net = MLP(X, y, hidden=(4,), activation=act, loss=loss, l2=0.1)    # 3-4-3
    x = point_off_kinks(net, np.random.default_rng(4))
    H = net.hvp(x, np.eye(net.dim))         # row i is H e_i (H is symmetric)
    assert H.shape == (net.dim, net.dim)
    # exact in exact arithmetic; the R-operator rounds each entry a little differently
    assert np.max(np.abs(H - H.T)) <= 1e-12 * np.max(np.abs(H))
    fd = np.array([fd_grad(lambda z: float(net.grad(z)[i]), x) for i in range(net.dim)])
    assert rel_err(H, fd) < 1e-6
    if act == "tanh":           # curvature of tanh makes the Hessian indefinite somewhere
        assert np.linalg.eigvalsh((H + H.T) / 2).max() > 0


def test_hvp_is_linear_in_v():
    X, y = small_data()
    net = MLP(X, y, hidden=(4, 3), activation="tanh")
    rng = np.random.default_rng(5)
    x, v, w = rng.standard_normal((3, net.dim))
    lhs = net.hvp(x, 2.5 * v - 0.5 * w)
    rhs = 2.5 * net.hvp(x, v) - 0.5 * net.hvp(x, w)
    assert rel_err(lhs, rhs) < 1e-12       # linear maps, rounding only
    assert np.all(net.hvp(x, np.zeros(net.dim)) == 0)


def test_hvp_broadcasts_x_against_v():
    X, y = small_data()
    net = MLP(X, y, hidden=(3,))
    rng = np.random.default_rng(6)
    x, V = rng.standard_normal(net.dim), rng.standard_normal((2, 4, net.dim))
    out = net.hvp(x, V)
    assert out.shape == (2, 4, net.dim)
    assert_allclose(out[1, 2], net.hvp(x, V[1, 2]), rtol=1e-12, atol=1e-15)
    assert net.hvp(np.stack([x, x]), V[0, 0]).shape == (2, net.dim)


# --------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------

def test_no_hidden_cross_entropy_is_multinomial_logistic_regression():
    X, y = small_data(n=8, p=2, C=4)
    net = MLP(X, y, hidden=())
    assert net.sizes == (2, 4) and net.dim == 2 * 4 + 4
    zero = np.zeros(net.dim)
    assert_allclose(net.loss(zero), np.log(4), rtol=1e-14)    # uniform p = 1/4
    Y = np.eye(4)[y]
    R = 0.25 - Y                            # p - e_y at zero weights
    [(gW, gb)] = net.unflatten(net.grad(zero))
    assert_allclose(gW, X.T @ R / 8, rtol=1e-12, atol=1e-16)
    assert_allclose(gb, R.mean(axis=0), rtol=1e-12, atol=1e-16)
    # at any point: softmax regression, p = softmax(XW + b)
    x = np.random.default_rng(7).standard_normal(net.dim)
    W, b = x[:8].reshape(2, 4), x[8:]
    Z = X @ W + b
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    assert_allclose(net.loss(x), -np.mean(np.log(P[np.arange(8), y])), rtol=1e-12)
    assert_allclose(net.grad(x), np.concatenate([(X.T @ (P - Y) / 8).ravel(),
                                                 (P - Y).mean(axis=0)]), rtol=1e-12, atol=1e-15)
    # Hessian of softmax regression: mean of [x;1][x;1]^T (x) (diag p - p p^T), in our layout
    H = net.hvp(x, np.eye(net.dim))
    X1 = np.column_stack([X, np.ones(8)])
    dense = sum(np.kron(np.outer(X1[i], X1[i]), np.diag(P[i]) - np.outer(P[i], P[i]))
                for i in range(8)) / 8
    order = [k * 4 + c for k in range(3) for c in range(4)]   # kron order = (W rows, b)
    assert_allclose(H, dense[np.ix_(order, order)], rtol=1e-12, atol=1e-15)


def test_no_hidden_squared_error_is_least_squares():
    X, y = small_data(n=10, p=3, C=2)
    net = MLP(X, y, hidden=(), loss="squared_error")
    x = np.random.default_rng(8).standard_normal(net.dim)
    W, b = x[:6].reshape(3, 2), x[6:]
    R = X @ W + b - np.eye(2)[y]            # residuals to one-hot targets
    assert_allclose(net.loss(x), 0.5 * np.sum(R * R) / 10, rtol=1e-12)
    assert_allclose(net.grad(x), np.concatenate([(X.T @ R / 10).ravel(), R.mean(axis=0)]),
                    rtol=1e-12, atol=1e-15)
    # the Hessian is X1^T X1 / n for each class, independent of x
    X1 = np.column_stack([X, np.ones(10)])
    H = net.hvp(x, np.eye(net.dim))
    dense = np.kron(X1.T @ X1 / 10, np.eye(2))
    assert_allclose(H, dense, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("act", ACTS)
def test_l2_adds_l2_times_weights_to_weight_gradients_only(act):
    X, y = small_data()
    plain = MLP(X, y, hidden=(4,), activation=act)
    reg = MLP(X, y, hidden=(4,), activation=act, l2=0.7)
    x = np.random.default_rng(9).standard_normal(plain.dim)
    diff = reg.grad(x) - plain.grad(x)
    for (dW, db), (W, _) in zip(plain.unflatten(diff), plain.unflatten(x)):
        assert_allclose(dW, 0.7 * W, rtol=1e-12, atol=1e-15)
        assert np.all(db == 0)
    sq = sum(np.sum(W * W) for W, _ in plain.unflatten(x))
    assert_allclose(reg.loss(x) - plain.loss(x), 0.35 * sq, rtol=1e-12)
    v = np.random.default_rng(10).standard_normal(plain.dim)
    hdiff = reg.hvp(x, v) - plain.hvp(x, v)
    for (dW, db), (V, _) in zip(plain.unflatten(hdiff), plain.unflatten(v)):
        assert_allclose(dW, 0.7 * V, rtol=1e-12, atol=1e-14)
        assert np.all(db == 0)


# --------------------------------------------------------------------------
# Batched runs equal separate runs; divergence stays in its own run
# --------------------------------------------------------------------------

def net_and_copies(k=4, seed=11, **kw):
    X, y = small_data(n=12, p=3, C=3)
    net = MLP(X, y, hidden=(5, 4), **kw)
    return net, net.init(np.random.default_rng(seed), k=k)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("loss", LOSSES)
def test_batched_copies_equal_separate_runs(act, loss):
    net, xs = net_and_copies(activation=act, loss=loss, l2=0.05)
    vs = np.random.default_rng(12).standard_normal(xs.shape)
    rows = np.array([3, 1, 4, 1, 5])
    f, g = net.loss_and_grad(xs, rows)
    hv = net.hvp(xs, vs, rows)
    full_f, full_g, full_hv = net.loss(xs), net.grad(xs), net.hvp(xs, vs)
    # stacked products may round differently from single ones: 1e-12
    for i in range(len(xs)):
        f1, g1 = net.loss_and_grad(xs[i], rows)
        assert_allclose(f[i], f1, rtol=1e-12)
        assert_allclose(g[i], g1, rtol=1e-12, atol=1e-15)
        assert_allclose(hv[i], net.hvp(xs[i], vs[i], rows), rtol=1e-12, atol=1e-15)
        assert_allclose(full_f[i], net.loss(xs[i]), rtol=1e-12)
        assert_allclose(full_g[i], net.grad(xs[i]), rtol=1e-12, atol=1e-15)
        assert_allclose(full_hv[i], net.hvp(xs[i], vs[i]), rtol=1e-12, atol=1e-15)
    assert_allclose(net.batch_loss(xs, rows), f, rtol=1e-15)
    assert_allclose(net.batch_grad(xs, rows), g, rtol=1e-15)


def test_leading_axes_are_independent_runs():
    net, xs = net_and_copies(k=6)
    grid = xs.reshape(2, 3, net.dim)
    f, g = net.loss_and_grad(grid)
    assert f.shape == (2, 3) and g.shape == (2, 3, net.dim)
    assert_allclose(f.ravel(), net.loss(xs), rtol=1e-12)
    assert_allclose(g.reshape(6, -1), net.grad(xs), rtol=1e-12, atol=1e-15)
    assert net.forward(grid, net.X[:4]).shape == (2, 3, 4, 3)
    assert isinstance(net.loss(xs[0]), np.float64)


def test_per_run_rows_equal_each_run_with_its_own_rows():
    net, xs = net_and_copies(k=3)
    idx = np.array([[0, 1, 2, 2], [11, 10, 9, 8], [5, 5, 5, 5]])
    f, g = net.loss_and_grad(xs, idx)
    vs = np.random.default_rng(13).standard_normal(xs.shape)
    hv = net.hvp(xs, vs, idx)
    for i in range(3):
        assert_allclose(f[i], net.batch_loss(xs[i], idx[i]), rtol=1e-12)
        assert_allclose(g[i], net.batch_grad(xs[i], idx[i]), rtol=1e-12, atol=1e-15)
        assert_allclose(hv[i], net.hvp(xs[i], vs[i], idx[i]), rtol=1e-12, atol=1e-15)
    # per-run rows for a 2-D grid of runs
    grid_idx = np.concatenate([idx, idx[::-1]]).reshape(2, 3, 4)
    grid = np.concatenate([xs, xs]).reshape(2, 3, net.dim)
    # run (1, 0) holds xs[0] and the rows idx[::-1][0] = idx[2]
    assert_allclose(net.batch_loss(grid, grid_idx)[1, 0], net.batch_loss(xs[0], idx[2]),
                    rtol=1e-12)


def test_divergent_runs_stay_in_their_row_without_warnings():
    net, xs = net_and_copies(k=5, l2=0.1)
    bad = xs.copy()
    bad[1, 0] = np.inf
    bad[2, 3] = np.nan
    bad[3] *= 1e300                          # finite but overflowing
    bad[4] = np.nan
    rows = np.arange(6)
    v = np.ones(net.dim)
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # any RuntimeWarning fails the test
        f, g = net.loss_and_grad(bad, rows)
        full_f, full_g = net.loss(bad), net.grad(bad)
        hv = net.hvp(bad, v)
        logits = net.forward(bad, net.X)
        ev_loss, ev_acc = net.evaluate(bad, net.X, net.y)
    assert not np.any(np.isfinite(f[1:])) and not np.any(np.isfinite(full_f[1:]))
    # the healthy run is untouched, bit for bit
    f0, g0 = net.loss_and_grad(xs[0], rows)
    assert f[0] == f0 and np.array_equal(g[0], g0)
    assert full_f[0] == net.loss(xs[0]) and np.array_equal(full_g[0], net.grad(xs[0]))
    assert np.array_equal(hv[0], net.hvp(xs[0], v))
    assert np.array_equal(logits[0], net.forward(xs[0], net.X))
    assert ev_loss[0] == net.evaluate(xs[0], net.X, net.y)[0]
    assert np.all((ev_acc >= 0) & (ev_acc <= 1)) and ev_acc[4] == 0.0  # NaN rows are wrong


@pytest.mark.parametrize("act", ACTS)
def test_nan_in_a_hidden_weight_is_not_hidden_by_the_activation(act):
    # without a penalty, only the forward pass can carry the NaN to the loss:
    # an activation that mapped NaN to a number (np.fmax) would lose it
    net, xs = net_and_copies(k=2, activation=act)
    xs[1, 3] = np.nan                        # W_1[0, 3]
    assert np.isfinite(net.loss(xs[0])) and np.isnan(net.loss(xs[1]))
    assert np.isnan(net.batch_loss(xs, [0, 1])[1]) and np.isnan(net.grad(xs)[1]).any()


def test_divergent_run_in_the_training_loop_is_reported_quietly():
    from lrtutor.train import run
    net, xs = net_and_copies(k=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = run(net, SGD(lr=np.array([0.05, 1e6])), xs, steps=5)
    assert trace.diverged_at[0] == -1 and trace.diverged_at[1] > 0


# --------------------------------------------------------------------------
# Rows: full-data blocks, stochastic gradients
# --------------------------------------------------------------------------

def test_full_data_in_blocks_equals_one_block(monkeypatch):
    net, xs = net_and_copies(k=3, l2=0.2, activation="tanh")
    vs = np.random.default_rng(14).standard_normal(xs.shape)
    X_new = np.random.default_rng(15).standard_normal((7, 3))
    before = (net.loss(xs), net.grad(xs), net.hvp(xs, vs), net.forward(xs, X_new),
              net.evaluate(xs, net.X, net.y))
    monkeypatch.setattr(network, "BLOCK_ELEMENTS", 3 * 5 * 5)     # blocks of 5 rows
    after = (net.loss(xs), net.grad(xs), net.hvp(xs, vs), net.forward(xs, X_new),
             net.evaluate(xs, net.X, net.y))
    # weighted sums of block means: a different summation order only
    for a, b in zip(before[:4], after[:4]):
        assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert_allclose(before[4][0], after[4][0], rtol=1e-12)
    assert np.array_equal(before[4][1], after[4][1])


def test_stochastic_grad_uses_distinct_rows_from_rng():
    net, xs = net_and_copies(k=2)
    g = net.stochastic_grad(xs, np.random.default_rng(16), 5)
    rows = np.random.default_rng(16).choice(net.n, 5, replace=False)
    assert np.array_equal(g, net.batch_grad(xs, rows))
    assert_allclose(net.stochastic_grad(xs, np.random.default_rng(0), net.n), net.grad(xs),
                    rtol=1e-12, atol=1e-15)   # all rows, another order


# --------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------

def test_init_shapes_zero_biases_and_reproducibility():
    X, y = small_data()
    net = MLP(X, y, hidden=(6, 5))
    x = net.init(np.random.default_rng(0))
    assert x.shape == (net.dim,) and x.dtype == np.float64
    assert net.dim == (3 + 1) * 6 + (6 + 1) * 5 + (5 + 1) * 3
    for W, b in net.unflatten(x):
        assert np.all(b == 0) and np.all(W != 0)
    assert np.array_equal(x, net.init(np.random.default_rng(0)))
    xs = net.init(np.random.default_rng(0), k=3)
    assert xs.shape == (3, net.dim)
    assert np.array_equal(xs[0], x) and not np.array_equal(xs[1], xs[0])
    rng = np.random.default_rng(0)          # copy j = the j-th successive draw
    assert np.array_equal(xs[2], [net.init(rng) for _ in range(3)][2])
    assert np.array_equal(net.init(np.random.default_rng(0), scale=0.5), 0.5 * x)
    assert np.all(net.init(np.random.default_rng(0), scale=0.0) == 0)


def test_he_weights_have_std_sqrt_2_over_fan_in():
    rng = np.random.default_rng(17)
    net = MLP(rng.standard_normal((2, 400)), [0, 1], hidden=(300,), n_classes=200)
    (W1, _), (W2, _) = net.unflatten(net.init(rng))      # relu: He by default
    # std of N draws has relative standard error 1/sqrt(2N): 0.2% and 0.3% here,
    # so 1.5% is five standard errors
    assert abs(W1.std() / np.sqrt(2 / 400) - 1) < 0.015
    assert abs(W2.std() / np.sqrt(2 / 300) - 1) < 0.015
    assert abs(W1.mean()) < 5 * np.sqrt(2 / 400) / np.sqrt(W1.size)


def test_glorot_weights_are_uniform_within_the_bound():
    rng = np.random.default_rng(18)
    net = MLP(rng.standard_normal((2, 400)), [0, 1], hidden=(300,), activation="tanh")
    (W1, _), (W2, _) = net.unflatten(net.init(rng))      # tanh: Glorot by default
    a1, a2 = np.sqrt(6 / 700), np.sqrt(6 / 302)
    assert np.abs(W1).max() <= a1 and np.abs(W2).max() <= a2
    # U(-a, a) has std a/sqrt(3); with 120,000 draws the max is within 1e-4 of a
    assert abs(W1.std() / (a1 / np.sqrt(3)) - 1) < 0.015 and np.abs(W1).max() > 0.999 * a1
    he = net.init(np.random.default_rng(0), scheme="he", scale=2.0)
    assert abs(net.unflatten(he)[0][0].std() / (2 * np.sqrt(2 / 400)) - 1) < 0.015


# --------------------------------------------------------------------------
# Other data: forward and evaluate
# --------------------------------------------------------------------------

def test_evaluate_accuracy_by_hand():
    net = MLP([[0.0], [1.0]], [0, 1], hidden=())
    x = np.array([0.0, 1.0, 0.0, -0.5])      # logits (0, t - 0.5)
    X = np.array([[0.0], [1.0], [2.0], [0.4], [0.5]])
    y = np.array([0, 1, 0, 0, 0])
    loss, acc = net.evaluate(x, X, y)
    # predictions 0, 1, 1, 0 and a tie at t = 0.5 (argmax: class 0): 4 of 5 right
    assert acc == 0.8
    t = X[:, 0]
    ce = np.log(1 + np.exp(t - 0.5)) - np.where(y == 1, t - 0.5, 0.0)
    assert_allclose(loss, ce.mean(), rtol=1e-12)
    both = net.evaluate(np.stack([x, -np.asarray(x)]), X, y)[1]
    assert both.tolist() == [0.8, 0.4]      # negated logits: 2 of 5 right (0.0 and the tie)


def test_evaluate_on_training_data_is_loss_without_penalty():
    net, xs = net_and_copies(k=2, l2=0.3)
    plain = MLP(net.X, net.y, hidden=(5, 4))
    assert_allclose(net.evaluate(xs, net.X, net.y)[0], plain.loss(xs), rtol=1e-12)


def test_forward_and_unflatten_views():
    X, y = small_data()
    net = MLP(X, y, hidden=(4,))
    x = np.random.default_rng(19).standard_normal(net.dim)
    (W1, b1), (W2, b2) = net.unflatten(x)
    ref = np.maximum(X @ W1 + b1, 0) @ W2 + b2
    assert_allclose(net.forward(x, X), ref, rtol=1e-12, atol=1e-15)
    W2[0, 0] = 42.0                         # views: writing changes x
    assert x[net.layout[1][0]][0] == 42.0
    assert [W.shape for W, _ in net.unflatten(np.zeros((2, 5, net.dim)))] == \
        [(2, 5, 3, 4), (2, 5, 4, 3)]


def test_copies_and_pickles():
    X, y = small_data()
    net = MLP(X, y, hidden=(4,))
    x = net.init(np.random.default_rng(20))
    net.loss_and_grad(x, [0, 1])              # fills work arrays
    clone = pickle.loads(pickle.dumps(net))
    assert np.array_equal(clone.grad(x), net.grad(x))
    assert not net.X.flags.writeable and not net.y.flags.writeable
    assert repr(net) == ("MLP(sizes=(3, 4, 3), activation='relu', loss='cross_entropy', "
                         "l2=0, n=9, dim=31)")


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------

X0, Y0 = small_data()


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(hidden=(4, 0)), ValueError, r"hidden\[1\] must be an integer >= 1, got 0"),
    (dict(hidden=(-3,)), ValueError, r"hidden\[0\] must be an integer >= 1"),
    (dict(hidden=(4.0,)), TypeError, r"hidden\[0\] must be an integer"),
    (dict(hidden=64), TypeError, "hidden must be a tuple of layer widths"),
    (dict(hidden="64"), TypeError, "hidden must be a tuple"),
    (dict(activation="sigmoid"), ValueError, "activation must be one of 'relu', 'tanh'"),
    (dict(loss="mse"), ValueError, "loss must be one of 'cross_entropy', 'squared_error'"),
    (dict(l2=-0.1), ValueError, "l2 must be a finite number >= 0"),
    (dict(l2=np.nan), ValueError, "l2 must be a finite number"),
    (dict(n_classes=1), ValueError, "n_classes must be an integer >= 2, got 1"),
    (dict(n_classes=2), ValueError, r"y must have every label < n_classes = 2"),
    (dict(n_classes=3.0), TypeError, "n_classes must be an integer"),
])
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        MLP(X0, Y0, **kwargs)


@pytest.mark.parametrize("X,y,exc,match", [
    (np.where(np.eye(9, 3) == 1, np.nan, X0), Y0, ValueError, "X must contain only finite"),
    (np.where(np.eye(9, 3) == 1, np.inf, X0), Y0, ValueError, "X must contain only finite"),
    (X0[:, 0], Y0, ValueError, "X must be an array with ndim 2"),
    (X0[:0], Y0[:0], ValueError, "X must have at least one row"),
    (X0, Y0[:-1], ValueError, r"y must be 1-D of shape \(9,\)"),
    (X0, Y0[:, None], ValueError, r"y must be 1-D of shape \(9,\)"),
    (X0, Y0 + 0.5, ValueError, "y must hold integer class labels, got 1.5"),
    (X0, Y0 - 1, ValueError, "y must have every label >= 0"),
    (X0, np.zeros(9), ValueError, "n_classes must be an integer >= 2, got 1 from y"),
    (X0, np.array(["a"] * 9), TypeError, "y must be an array of real numbers"),
])
def test_bad_data(X, y, exc, match):
    with pytest.raises(exc, match=match):
        MLP(X, y)


def test_bad_call_arguments():
    net = MLP(X0, Y0, hidden=(4,))
    x = np.zeros(net.dim)
    with pytest.raises(ValueError, match=rf"x must be an array of shape \(\.\.\., {net.dim}\)"):
        net.loss(np.zeros(net.dim + 1))
    with pytest.raises(ValueError, match="x must be an array of shape"):
        net.grad(1.0)
    with pytest.raises(ValueError, match=r"idx must have every entry >= 0 and < 9"):
        net.batch_grad(x, [0, 9])
    with pytest.raises(ValueError, match=r"idx must have every entry >= 0"):
        net.batch_loss(x, [-1])
    with pytest.raises(TypeError, match="idx must be an array of integers"):
        net.batch_grad(x, [0.0, 1.0])
    with pytest.raises(ValueError, match="idx must be non-empty"):
        net.loss_and_grad(x, [])
    with pytest.raises(ValueError, match=r"idx must be 1-D .* or of shape \(2, B\)"):
        net.batch_grad(np.zeros((2, net.dim)), np.zeros((3, 4), dtype=int))
    with pytest.raises(ValueError, match=r"idx must be 1-D"):
        net.hvp(x, x, np.zeros((1, 2), dtype=int))
    with pytest.raises(ValueError, match="v must be an array of shape"):
        net.hvp(x, np.zeros(3))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        net.init(0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        net.stochastic_grad(x, np.random.RandomState(0), 2)
    with pytest.raises(ValueError, match="k must be an integer >= 1, got 0"):
        net.init(np.random.default_rng(0), k=0)
    with pytest.raises(ValueError, match="scheme must be one of 'he', 'glorot'"):
        net.init(np.random.default_rng(0), scheme="lecun")
    with pytest.raises(ValueError, match="scale must be a finite number >= 0"):
        net.init(np.random.default_rng(0), scale=-1.0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1 and <= 9"):
        net.stochastic_grad(x, np.random.default_rng(0), 10)
    with pytest.raises(ValueError, match=r"X must have shape \(\*, 3\)"):
        net.forward(x, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="X must contain only finite"):
        net.evaluate(x, np.full((2, 3), np.nan), [0, 1])
    with pytest.raises(ValueError, match=r"y must have every label < n_classes = 3"):
        net.evaluate(x, np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match=r"y must be 1-D of shape \(2,\)"):
        net.evaluate(x, np.zeros((2, 3)), [0, 1, 2])


# --------------------------------------------------------------------------
# PyTorch: recorded golden values, and live where torch is installed
# --------------------------------------------------------------------------

GOLD = json.loads((GOLDEN / "network.json").read_text())
CASES = RN.cases()


def assert_close(actual, expected, what):
    """Norm-relative 1e-12, as tests/test_conformance.py: both sides compute in
    float64 with the same formulas in different orders (torch's fused log-softmax,
    its own matmul blocking), which leaves differences of a few ulps; three
    optimizer steps do not amplify them (Adam divides by sqrt(v) + eps, a
    smooth function of gradients that are far from 0 or exactly 0 in both)."""
    expected = np.asarray(expected, dtype=np.float64)
    err = np.max(np.abs(np.asarray(actual) - expected)) / np.max(np.abs(expected))
    assert err <= 1e-12, (what, err)


def lrtutor_case(case):
    """lrtutor's loss, gradient and optimizer paths for one recorded case."""
    net = MLP(case["X"], case["y"], hidden=tuple(RN.SIZES[1:-1]), activation=case["activation"],
              loss=case["loss"], l2=case["l2"], n_classes=RN.SIZES[-1])
    assert net.sizes == RN.SIZES
    loss, grad = net.loss_and_grad(case["x0"], case["idx"])
    paths = {}
    for name, opt in (("sgd", SGD(**RN.SGD_KW)), ("adam", Adam(**RN.ADAM_KW))):
        x, state, path = case["x0"], opt.init(case["x0"]), []
        for _ in range(RN.STEPS):
            x, state = opt.update(net.batch_grad(x, case["idx"]), state, x)
            path.append(x)
        paths[name] = np.array(path)
    return loss, grad, paths


def test_golden_file_matches_its_recorder():
    assert GOLD["versions"]["torch"].startswith("2.13")
    assert GOLD["seed"] == RN.SEED and tuple(GOLD["sizes"]) == RN.SIZES
    assert GOLD["sgd"] == RN.SGD_KW and GOLD["adam"] == RN.ADAM_KW
    assert [(e["activation"], e["loss"], e["l2"]) for e in GOLD["cases"]] == \
        [(c["activation"], c["loss"], c["l2"]) for c in CASES]


@pytest.mark.parametrize("i", range(len(CASES)),
                         ids=[f"{c['activation']}-{c['loss']}-l2={c['l2']}" for c in CASES])
def test_matches_recorded_pytorch(i):
    case, entry = CASES[i], GOLD["cases"][i]
    loss, grad, paths = lrtutor_case(case)
    assert_close(loss, entry["torch_loss"], "loss")
    assert_close(grad, entry["torch_grad"], "grad")
    assert_close(paths["sgd"], entry["torch_sgd"], "SGD")
    assert_close(paths["adam"], entry["torch_adam"], "Adam")


@pytest.mark.parametrize("i", range(len(CASES)),
                         ids=[f"{c['activation']}-{c['loss']}-l2={c['l2']}" for c in CASES])
def test_matches_live_pytorch(i):
    torch = pytest.importorskip("torch")
    case = CASES[i]
    ref = RN.torch_case(torch, case)
    loss, grad, paths = lrtutor_case(case)
    assert_close(loss, ref["loss"], "loss")
    assert_close(grad, ref["grad"], "grad")
    assert_close(paths["sgd"], ref["sgd"], "SGD")
    assert_close(paths["adam"], ref["adam"], "Adam")
    # torch.nn.MSELoss is 2/C times the squared error here, and so are its gradients
    if case["loss"] == "squared_error" and not case["l2"]:
        layers = RN.torch_model(torch, case["x0"])
        a = torch.tensor(case["X"][case["idx"]])
        for j, lin in enumerate(layers):
            a = lin(a)
            if j < len(layers) - 1:
                a = torch.relu(a) if case["activation"] == "relu" else torch.tanh(a)
        onehot = torch.nn.functional.one_hot(torch.tensor(case["y"][case["idx"]]), 3)
        mse = torch.nn.MSELoss()(a, onehot.to(torch.float64))
        assert_close(float(mse.detach()), 2 / 3 * loss, "MSELoss")


def test_overflow_of_finite_weights_is_an_infinite_loss():
    # 1e300 weights overflow the logits to +-inf (inf - inf = nan inside the
    # softmax): the loss of that network is +inf (diverged), the other stays finite
    rng = np.random.default_rng(5)
    net = MLP(rng.normal(size=(10, 3)), np.arange(10) % 3, hidden=(4,))
    good = net.init(rng)
    x = np.stack([np.full(net.dim, 1e300), good])
    loss, grad = net.loss_and_grad(x)
    assert loss[0] == np.inf and np.isfinite(loss[1])
    assert_allclose(loss[1], net.loss(good), rtol=1e-12)
    assert net.evaluate(x, net.X, net.y)[0][0] == np.inf
    assert np.isnan(net.loss(np.r_[np.nan, good[1:]]))          # nan weights stay nan
