"""Tests of the stochastic-gradient and momentum helpers of lrtutor.theory (w1),
and of the plotting functions of the chapters "Gradient descent, SGD and
mini-batches" and "Momentum".

Expected values come from the recursion v <- (1 - eta lam)^2 v + eta^2 sigma^2
iterated by hand, its geometric-sum closed form, Monte Carlo simulations of
noisy gradient descent (tolerances set at several standard errors, seeds
fixed), exact enumeration of every mini-batch of a small data set, and numpy's
eigenvalues of the 2x2 momentum iteration matrix.
"""

import itertools
import math

import matplotlib
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lrtutor import plotting  # noqa: E402
from lrtutor.optim import SGD  # noqa: E402
from lrtutor.problems import LinearRegression, Quadratic, make_linear_data  # noqa: E402
from lrtutor.schedules import InverseTimeDecay  # noqa: E402
from lrtutor.theory import (gradient_variance, heavy_ball_optimal,  # noqa: E402
                            minibatch_gradient_variance, momentum_critical_beta,
                            momentum_rate, momentum_roots, sgd_stationary_variance,
                            sgd_variance)
from lrtutor.train import run  # noqa: E402


# --- sgd_stationary_variance ---------------------------------------------

@pytest.mark.parametrize("eta, lam, sigma2", [(0.1, 1.0, 1.0), (0.5, 3.0, 0.2),
                                              (1.9, 1.0, 2.0), (1e-3, 10.0, 4.0)])
def test_stationary_variance_is_fixed_point_of_the_recursion(eta, lam, sigma2):
    v = 0.0
    for _ in range(200_000):                     # iterate v <- a v + eta^2 sigma^2 by hand
        v_new = (1 - eta * lam) ** 2 * v + eta ** 2 * sigma2
        if v_new == v:
            break
        v = v_new
    assert_allclose(sgd_stationary_variance(eta, lam, sigma2), v, rtol=1e-12)


def test_stationary_variance_hand_value():
    # eta sigma^2 / (lam (2 - eta lam)) = 0.1 * 2 / (4 * (2 - 0.4)) = 0.03125
    assert_allclose(sgd_stationary_variance(0.1, 4.0, 2.0), 0.03125, rtol=1e-12)


def test_stationary_variance_matches_a_long_simulation():
    # one chain of noisy GD, g = lam * theta + xi, time-averaged after burn-in
    eta, lam, sigma2 = 0.2, 1.0, 1.0
    rng = np.random.default_rng(1)
    xi = rng.standard_normal(400_000) * math.sqrt(sigma2)
    theta, acc, acc2, count = 0.0, 0.0, 0.0, 0
    for t, x in enumerate(xi):
        theta = theta - eta * (lam * theta + x)
        if t >= 1000:
            acc += theta
            acc2 += theta * theta
            count += 1
    var = acc2 / count - (acc / count) ** 2
    # autocorrelation 0.8: effective sample size ~ 400000/9, standard error ~1.5 %
    assert_allclose(var, sgd_stationary_variance(eta, lam, sigma2), rtol=0.06)


def test_stationary_variance_matches_many_chains_and_uses_lrtutor_sgd():
    eta, lam, sigma2, chains = 0.5, 2.0, 0.5, 20_000
    q, opt = Quadratic.one_d(lam), SGD(lr=eta)
    rng = np.random.default_rng(2)
    x = np.zeros((chains, 1))
    state = opt.init(x)
    for _ in range(60):                          # (1 - eta lam)^2 = 0: stationary after 1 step
        g = q.grad(x) + math.sqrt(sigma2) * rng.standard_normal(x.shape)
        x, state = opt.update(g, state, x)
    # standard error of a sample variance: sqrt(2 / chains) = 1 %
    assert_allclose(x.var(), sgd_stationary_variance(eta, lam, sigma2), rtol=0.05)


def test_stationary_variance_small_rate_limit():
    # eta sigma^2 / (2 lam) for eta lam -> 0
    assert_allclose(sgd_stationary_variance(1e-9, 2.0, 3.0), 1e-9 * 3 / 4, rtol=1e-8)


@pytest.mark.parametrize("args, match", [((2.0, 1.0, 1.0), "eta \\* lam must be < 2"),
                                         ((0.0, 1.0, 1.0), "eta must be"),
                                         ((0.1, -1.0, 1.0), "lam must be"),
                                         ((0.1, 1.0, -1.0), "sigma2 must be")])
def test_stationary_variance_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        sgd_stationary_variance(*args)


def test_stationary_variance_type_error():
    with pytest.raises(TypeError, match="eta"):
        sgd_stationary_variance("0.1", 1.0, 1.0)


# --- sgd_variance --------------------------------------------------------

@given(eta=st.floats(0.01, 1.99), v0=st.floats(0.0, 10.0), sigma2=st.floats(0.0, 5.0))
def test_variance_constant_rate_closed_form(eta, v0, sigma2):
    lam, T = 1.0, 50
    a = (1 - eta * lam) ** 2
    t = np.arange(T + 1)
    closed = a ** t * v0 + eta ** 2 * sigma2 * (1 - a ** t) / (1 - a)
    assert_allclose(sgd_variance(np.full(T, eta), lam, sigma2, v0), closed,
                    rtol=1e-10, atol=1e-300)


def test_variance_hand_values_and_limit():
    # a = 0.25: v1 = 0.25, v2 = 0.25/4 + 0.25 = 0.3125, v3 = 0.328125
    assert_allclose(sgd_variance([0.5] * 3, 1.0, 1.0),
                    [0.0, 0.25, 0.3125, 0.328125], rtol=1e-12)
    v = sgd_variance(np.full(2000, 0.1), 1.0, 1.0)
    assert_allclose(v[-1], sgd_stationary_variance(0.1, 1.0, 1.0), rtol=1e-12)


def test_variance_with_a_robbins_monro_schedule_goes_to_zero_and_matches_simulation():
    lam, sigma2, chains, T = 1.0, 1.0, 20_000, 400
    sched = InverseTimeDecay(0.5, decay_rate=1.0, decay_steps=20)
    etas = sched(np.arange(T))
    v = sgd_variance(etas, lam, sigma2)
    assert v[-1] < v[50] / 5                     # decays, unlike a constant rate
    rng = np.random.default_rng(3)
    x = np.zeros(chains)
    for eta in etas:
        x = x - eta * (lam * x + math.sqrt(sigma2) * rng.standard_normal(chains))
    assert_allclose(x.var(), v[-1], rtol=0.05)   # standard error 1 %


def test_variance_rejects_bad_input():
    with pytest.raises(ValueError, match="etas"):
        sgd_variance([[0.1]], 1.0, 1.0)
    with pytest.raises(ValueError, match="etas"):
        sgd_variance([-0.1], 1.0, 1.0)
    with pytest.raises(ValueError, match="v0"):
        sgd_variance([0.1], 1.0, 1.0, v0=-1.0)
    with pytest.raises(ValueError, match="lam"):
        sgd_variance([0.1], 0.0, 1.0)


# --- mini-batch gradient variance ----------------------------------------

@pytest.fixture(scope="module")
def small_problem():
    X, y = make_linear_data(n=7, rng=np.random.default_rng(4))
    return LinearRegression(X, y)


def test_gradient_variance_by_hand(small_problem):
    p, x = small_problem, np.array([0.3, -0.7])
    rows = (p.design @ x - p.y)[:, None] * p.design      # grad of (x.d_i - y_i)^2 / 2
    mean = rows.mean(axis=0)
    assert_allclose(mean, p.grad(x), rtol=1e-12)
    want = np.mean(np.sum((rows - mean) ** 2, axis=1))
    assert_allclose(gradient_variance(p, x), want, rtol=1e-12)


@pytest.mark.parametrize("b", range(1, 8))
def test_minibatch_variance_equals_exact_average_over_all_batches(small_problem, b):
    p, x = small_problem, np.array([0.3, -0.7])
    full = p.grad(x)
    errs = [np.sum((p.batch_grad(x, np.array(c)) - full) ** 2)
            for c in itertools.combinations(range(p.n), b)]
    want = np.mean(errs)
    got = minibatch_gradient_variance(gradient_variance(p, x), b, p.n)
    assert_allclose(got, want, rtol=1e-10, atol=1e-15)


def test_minibatch_variance_monte_carlo_with_stochastic_grad():
    X, y = make_linear_data(n=200, rng=np.random.default_rng(5))
    p, x, rng = LinearRegression(X, y), np.zeros(2), np.random.default_rng(6)
    sigma2 = gradient_variance(p, x)
    for b in (1, 10, 50):
        errs = [np.sum((p.stochastic_grad(x, rng, b) - p.grad(x)) ** 2)
                for _ in range(4000)]
        assert_allclose(np.mean(errs), minibatch_gradient_variance(sigma2, b, p.n),
                        rtol=0.1)


def test_minibatch_variance_values_and_errors():
    assert minibatch_gradient_variance(3.0, 1, 10) == 3.0
    assert minibatch_gradient_variance(3.0, 10, 10) == 0.0
    assert_allclose(minibatch_gradient_variance(3.0, 4, 10), 3 / 4 * 6 / 9, rtol=1e-12)
    assert minibatch_gradient_variance(3.0, 1, 1) == 0.0
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_gradient_variance(1.0, 11, 10)
    with pytest.raises(ValueError, match="sigma2"):
        minibatch_gradient_variance(-1.0, 1, 10)
    with pytest.raises(TypeError, match="batch_size"):
        minibatch_gradient_variance(1.0, 2.0, 10)
    with pytest.raises(TypeError, match="problem"):
        gradient_variance(Quadratic.one_d(1.0), [0.0])


# --- momentum roots and critical damping ----------------------------------

@given(eta=st.floats(0.0, 4.0), beta=st.floats(0.0, 0.99), lam=st.floats(0.1, 10.0))
def test_roots_are_eigenvalues_of_the_iteration_matrix(eta, beta, lam):
    s1, s2 = momentum_roots(eta, beta, lam)
    b = 1 + beta - eta * lam
    eig = np.linalg.eigvals(np.array([[b, -beta], [1.0, 0.0]]))
    got = np.sort_complex(np.array([complex(s1), complex(s2)]))
    assert_allclose(np.sort(np.abs(got)), np.sort(np.abs(eig)), atol=1e-6 * (1 + abs(b)))
    assert_allclose(complex(s1) * complex(s2), beta, atol=1e-12 * (1 + b * b))
    assert_allclose(complex(s1) + complex(s2), b, atol=1e-12 * (1 + abs(b)))


def test_roots_give_momentum_rate_on_a_grid():
    eta, beta = np.meshgrid(np.linspace(0, 3, 31), np.linspace(0, 0.95, 20))
    s1, s2 = momentum_roots(eta, beta, 1.3)
    assert s1.shape == eta.shape
    assert_allclose(np.maximum(abs(s1), abs(s2)), momentum_rate(eta, beta, [1.3]),
                    rtol=1e-12)


@pytest.mark.parametrize("x", [0.01, 0.25, 1.0, 2.0, 3.5])
def test_critical_beta_closes_the_discriminant_and_minimises_the_rate(x):
    bc = momentum_critical_beta(x, 1.0)
    assert_allclose((1 + bc - x) ** 2, 4 * bc, rtol=1e-12, atol=1e-15)
    # rate at critical damping is |1 - sqrt(x)| (sqrt sensitivity: ~1e-8)
    assert_allclose(momentum_rate(x, bc, [1.0]), abs(1 - math.sqrt(x)), rtol=1e-7)
    betas = np.linspace(0, 0.999, 2001)
    assert momentum_rate(x, betas, [1.0]).min() >= abs(1 - math.sqrt(x)) - 1e-7


def test_polyak_optimum_critically_damps_both_ends():
    L, mu = 1.0, 0.01
    eta, beta = heavy_ball_optimal(L, mu)
    assert_allclose(momentum_critical_beta(eta, L), beta, rtol=1e-12)
    assert_allclose(momentum_critical_beta(eta, mu), beta, rtol=1e-12)


def test_critical_beta_rejects_bad_input():
    with pytest.raises(ValueError, match="eta \\* lam must be < 4"):
        momentum_critical_beta(4.0, 1.0)
    with pytest.raises(ValueError, match="eta"):
        momentum_critical_beta(0.0, 1.0)
    with pytest.raises(ValueError, match="beta"):
        momentum_roots(0.1, 1.0, 1.0)
    with pytest.raises(ValueError, match="lam"):
        momentum_roots(0.1, 0.5, 0.0)


# --- plotting (smoke tests: the functions draw what they promise) ----------

@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    fig.canvas.draw()           # renders every label: a mathtext error fails here
    plt.close(fig)


def test_plot_contour_paths(ax):
    q = Quadratic.two_d(1.0, 10.0, angle=0.3)
    tr = run(q, SGD(lr=0.15), [0.8, 0.5], 10)
    assert plotting.plot_contour_paths(ax, q, [tr.params], labels=["GD"]) is ax
    assert len(ax.lines) == 2 and ax.get_legend() is not None
    assert_allclose(ax.lines[0].get_xydata(), tr.params, rtol=1e-12)


def test_plot_error_norms(ax):
    q = Quadratic.one_d(1.0)
    tr = run(q, SGD(lr=0.5), [1.0], 5)
    plotting.plot_error_norms(ax, [tr], [0.0], labels=["a"], rates=[0.5])
    assert ax.get_yscale() == "log" and len(ax.lines) == 2
    assert_allclose(ax.lines[1].get_ydata(), 0.5 ** np.arange(6), rtol=1e-12)


def test_plot_sgd_variance_and_batch_variance(ax):
    v = sgd_variance([0.1] * 5, 1.0, 1.0)
    measured = [0.0, 0.012, 0.017, 0.026, 0.031, 0.033]       # deliberately not v
    plotting.plot_sgd_variance(ax, [v], ["x"], measured=[measured], floors=[0.05])
    assert ax.get_yscale() == "log" and len(ax.lines) == 3
    (dots,) = [ln for ln in ax.lines if ln.get_marker() == "."]
    (theory,) = [ln for ln in ax.lines if ln.get_label() == "x"]
    # v_0 = 0 is left out of the log axis
    assert_allclose(dots.get_xydata(), np.c_[1:6, measured[1:]], rtol=1e-12)
    # v_{t+1} = .81 v_t + .01 from v_0 = 0: v_t = .01 (1 - .81^t) / .19 (.01, .0181, .024661, ...)
    t = np.arange(1, 6)
    assert_allclose(theory.get_xydata(), np.c_[t, 0.01 * (1 - 0.81 ** t) / 0.19], rtol=1e-12)
    assert dots.get_color() == theory.get_color()
    fig, ax2 = plt.subplots()
    # n = 4 examples of unit variance: (n - b) / (b (n - 1)) = 1, 1/3, 0 for b = 1, 2, 4
    plotting.plot_batch_variance(ax2, [1, 2, 4], [0.9, 0.4, 0.0], [1.0, 1 / 3, 0.0])
    assert ax2.get_xscale() == "log" and ax2.get_yscale() == "log"
    (line,) = [ln for ln in ax2.lines if ln.get_label() == "theory"]
    (dots,) = [ln for ln in ax2.lines if ln.get_label() == "measured"]
    assert line.get_linestyle() == "-" and dots.get_marker() == "o"
    # b = 4 has variance 0 and is left out of the log axes
    assert_allclose(line.get_xydata(), [[1, 1.0], [2, 1 / 3]], rtol=1e-12)
    assert_allclose(dots.get_xydata(), [[1, 0.9], [2, 0.4]], rtol=1e-12)
    fig.canvas.draw()
    plt.close(fig)


def test_plot_losses_per_epoch(ax):
    q = Quadratic.one_d(1.0)
    tr = run(q, SGD(lr=0.5), [1.0], 4)
    plotting.plot_losses_per_epoch(ax, [tr], [5], 10, ["b"])
    assert_allclose(ax.lines[0].get_xdata(), [0, 0.5, 1, 1.5, 2], rtol=1e-12)


def test_plot_momentum_figures(ax):
    etas, betas = np.linspace(0, 5, 21), np.linspace(0, 0.95, 11)
    plotting.plot_momentum_rate_map(ax, etas, betas, [0.01, 1.0])     # L = 1, mu = .01
    assert ax.get_xlabel().startswith("learning rate") and ax.get_legend() is not None
    (edge,) = [ln for ln in ax.lines if ln.get_label().startswith("stability boundary")]
    assert_allclose(edge.get_xydata(), np.c_[(2 + 2 * betas) / 1.0, betas], rtol=1e-12)
    (star,) = [ln for ln in ax.lines if ln.get_marker() == "*"]
    # CONVENTIONS B.7: lambda_1 = .01, lambda_n = 1 -> alpha* = 3.305785, beta* = .669421
    assert_allclose(star.get_xydata(), [[3.305785, 0.669421]], rtol=0, atol=5e-7)
    assert_allclose(star.get_xydata(), [heavy_ball_optimal(1.0, 0.01)], rtol=1e-12)
    rho = ax.collections[0].get_array()                # rows: betas, columns: etas
    for i, j in [(0, 4), (7, 10), (10, 2), (3, 7)]:
        # largest root of sigma^2 - (1 + beta - eta lam) sigma + beta over both eigenvalues
        want = max(np.abs(np.roots([1, -(1 + betas[i] - etas[j] * lam), betas[i]])).max()
                   for lam in (0.01, 1.0))
        assert_allclose(rho[i, j], want, rtol=1e-9)
    assert rho.mask[0, 20]                  # eta L = 5 > 2 at beta = 0: blank, not coloured
    fig, ax2 = plt.subplots()
    plotting.plot_momentum_rate_vs_beta(ax2, [0.1, 1.0], np.linspace(0, 0.99, 50))
    assert len(ax2.lines) == 5
    fig.canvas.draw()
    plt.close(fig)


# --- nesterov_rate --------------------------------------------------------

from lrtutor.theory import nesterov_rate  # noqa: E402


@given(eta=st.floats(0.0, 3.0), beta=st.floats(0.0, 0.99), lam=st.floats(0.1, 3.0))
def test_nesterov_rate_is_spectral_radius_of_its_iteration_matrix(eta, beta, lam):
    q = 1 - eta * lam
    m = np.array([[(1 + beta) * q, -beta * q], [1.0, 0.0]])
    want = np.abs(np.linalg.eigvals(m)).max()
    assert_allclose(nesterov_rate(eta, beta, [lam]), want, rtol=1e-6, atol=1e-7)


@given(eta=st.floats(0.01, 3.0), beta=st.floats(0.0, 0.99))
def test_nesterov_stability_region(eta, beta):
    limit = (2 + 2 * beta) / (1 + 2 * beta)
    if abs(eta - limit) > 1e-6:
        assert (nesterov_rate(eta, beta, [1.0]) < 1) == (eta < limit)


def test_nesterov_rate_matches_lrtutor_sgd_nesterov_run():
    # real roots (over-damped): the error ratio tends to the larger root
    eta, beta, lam = 1.2, 0.3, 1.0
    tr = run(Quadratic.one_d(lam), SGD(lr=eta, momentum=beta, nesterov=True), [1.0], 40)
    e = tr.params[:, 0]
    assert_allclose(abs(e[-1] / e[-2]), nesterov_rate(eta, beta, [lam]), rtol=1e-9)
    # the recursion e_{t+1} = (1+b)(1-x) e_t - b(1-x) e_{t-1} holds exactly
    q = 1 - eta * lam
    assert_allclose(e[2:], (1 + beta) * q * e[1:-1] - beta * q * e[:-2], rtol=1e-10,
                    atol=1e-300)


def test_nesterov_constants_give_one_minus_inverse_sqrt_kappa():
    for kappa in (10.0, 100.0, 1e4):
        beta = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
        assert_allclose(nesterov_rate(1.0, beta, [1 / kappa, 1.0]),
                        1 - 1 / math.sqrt(kappa), rtol=1e-7)


def test_nesterov_rate_reduces_to_gd_and_rejects_bad_input():
    etas = np.linspace(0, 1, 11)
    assert_allclose(nesterov_rate(etas, 0.0, [0.5, 2.0]),
                    np.max(np.abs(1 - etas[:, None] * [0.5, 2.0]), axis=1), rtol=1e-12)
    with pytest.raises(ValueError, match="beta"):
        nesterov_rate(0.1, 1.0, [1.0])
    with pytest.raises(ValueError, match="eigenvalues"):
        nesterov_rate(0.1, 0.5, [0.0])


def test_running_means(ax):
    q = Quadratic.one_d(1.0)
    tr = run(q, SGD(lr=0.5), [1.0], 4)               # losses 0.5 * 0.25**t
    plotting.plot_running_losses(ax, [tr], ["r"], window=2)
    want = 0.5 * np.array([(1 + 0.25) / 2, (0.25 + 0.0625) / 2, (0.0625 + 0.015625) / 2,
                           (0.015625 + 0.00390625) / 2])
    assert_allclose(ax.lines[0].get_xdata(), [1, 2, 3, 4])
    assert_allclose(ax.lines[0].get_ydata(), want, rtol=1e-12)
    fig, ax2 = plt.subplots()
    plotting.plot_losses_per_epoch(ax2, [tr], [5], 10, ["b"], window_epochs=1.0)
    assert_allclose(ax2.lines[0].get_xdata(), [0.5, 1.0, 1.5, 2.0], rtol=1e-12)
    assert_allclose(ax2.lines[0].get_ydata(), want, rtol=1e-12)
    fig.canvas.draw()
    plt.close(fig)
