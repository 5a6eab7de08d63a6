"""Tests of lrtutor.theory.

Expected values come from CONVENTIONS B.7's worked numbers (printed to six
decimals, compared to half a unit in the last printed digit), from closed forms
written out here, from explicit gradient-descent and heavy-ball loops, and from
numpy's eigenvalues of the momentum iteration matrix.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from lrtutor.problems import Quadratic
from lrtutor.theory import (adam_first_step_ratio, contraction_factor,
                            critical_rate, gd_iterate, heavy_ball_optimal,
                            heavy_ball_optimal_rate, iterations_to_tolerance,
                            momentum_rate, momentum_stable, optimal_contraction,
                            optimal_rate)

HALF_ULP_6 = 5e-7       # B.7 prints six decimals


def gd_loop(hessian, x0, eta, steps, minimizer):
    """Plain gradient descent x <- x - eta H (x - x*), every iterate kept."""
    xs = [np.array(x0, dtype=float)]
    for _ in range(steps):
        xs.append(xs[-1] - eta * hessian @ (xs[-1] - minimizer))
    return np.array(xs)


def heavy_ball_errors(eta, beta, lam, steps):
    """PyTorch-style momentum v <- beta v + grad, w <- w - eta v on f = sum lam w^2 / 2.

    Returns the norm of the state (w_t, w_{t-1}) at each step; stops early once
    it is below 1e-150 (float64 would underflow further on).
    """
    w = np.ones_like(lam)
    w_prev = w.copy()
    v = np.zeros_like(lam)
    norms = []
    for _ in range(steps):
        v = beta * v + lam * w
        w, w_prev = w - eta * v, w
        norms.append(math.hypot(np.linalg.norm(w), np.linalg.norm(w_prev)))
        if norms[-1] < 1e-150:
            break
    return np.array(norms)


# --------------------------------------------------------------------------
# B.7 worked numbers (lambda_1 = 0.01, lambda_n = 1)
# --------------------------------------------------------------------------

def test_b7_gradient_descent_numbers():
    assert abs(optimal_rate(1.0, 0.01) - 1.980198) < HALF_ULP_6
    assert abs(optimal_contraction(1.0, 0.01) - 0.980198) < HALF_ULP_6
    assert abs(contraction_factor(1.980198, [0.01, 1.0]) - 0.980198) < 2 * HALF_ULP_6


def test_b7_momentum_numbers():
    eta, beta = heavy_ball_optimal(1.0, 0.01)
    assert abs(eta - 3.305785) < HALF_ULP_6
    assert abs(beta - 0.669421) < HALF_ULP_6
    assert abs(heavy_ball_optimal_rate(1.0, 0.01) - 0.818182) < HALF_ULP_6
    # the rate is reached along the whole spectrum; sqrt sensitivity at the
    # double roots (see momentum_rate's Notes) limits agreement to ~1e-8
    spectrum = np.linspace(0.01, 1.0, 101)
    assert_allclose(momentum_rate(eta, beta, spectrum), 9 / 11, rtol=1e-7)


def test_b7_iteration_counts():
    # B.7 says "about 345" and "about 34" iterations per 1e-3; the exact
    # smallest t with rate**t <= 1e-3 is one more in both cases:
    gd = optimal_contraction(1.0, 0.01)          # 99/101
    hb = heavy_ball_optimal_rate(1.0, 0.01)      # 9/11
    assert (99 / 101) ** 345 > 1e-3 >= (99 / 101) ** 346
    assert iterations_to_tolerance(gd, 1e-3) == 346
    assert (9 / 11) ** 34 > 1e-3 >= (9 / 11) ** 35
    assert iterations_to_tolerance(hb, 1e-3) == 35


# --------------------------------------------------------------------------
# Gradient descent
# --------------------------------------------------------------------------

def test_simple_closed_forms():
    assert critical_rate(4.0) == 0.5
    assert optimal_rate(3.0, 1.0) == 0.5
    assert optimal_contraction(3.0, 1.0) == 0.5
    assert optimal_contraction(2.0, 2.0) == 0.0
    # |1 - 0.4 * 1| = 0.6, |1 - 0.4 * 4| = 0.6: the optimal rate balances the ends
    assert_allclose(contraction_factor(0.4, [1.0, 2.0, 4.0]), 0.6, rtol=1e-12)
    assert_allclose(contraction_factor([0.0, 0.25, 1.0], [1.0, 4.0]), [1.0, 0.75, 3.0],
                    rtol=1e-12)
    grid = contraction_factor(np.array([[0.1, 0.2], [0.3, 0.4]]), [1.0])
    assert grid.shape == (2, 2)
    assert_allclose(grid, [[0.9, 0.8], [0.7, 0.6]], rtol=1e-12)


@given(st.floats(0.1, 10), st.floats(0.01, 1), st.floats(0.01, 3))
def test_optimal_rate_minimises_contraction(L, mu_frac, eta_frac):
    mu = mu_frac * L
    eta_star = optimal_rate(L, mu)
    rho_star = contraction_factor(eta_star, [mu, L])
    assert_allclose(rho_star, optimal_contraction(L, mu), rtol=1e-12, atol=1e-15)
    assert contraction_factor(eta_frac * eta_star, [mu, L]) >= rho_star - 1e-15


@given(st.integers(1, 4), st.floats(0.1, 10), st.floats(0.05, 1),
       st.floats(0.05, 1.2), st.integers(0, 60))
def test_gd_iterate_equals_explicit_loop(dim, L, mu_frac, eta_frac, t):
    mu = L if dim == 1 else mu_frac * L
    q = Quadratic.random(dim, L=L, mu=mu, rng=np.random.default_rng(dim))
    xstar = np.linspace(-1, 1, dim)
    x0 = np.linspace(2, -3, dim) + 0.5
    eta = eta_frac * 2 / L
    loop = gd_loop(q.hessian, x0, eta, t, xstar)
    closed = gd_iterate(q.hessian, x0, eta, np.arange(t + 1), minimizer=xstar)
    scale = np.abs(loop - xstar).max(axis=-1, keepdims=True) + np.abs(xstar).max()
    # rtol 1e-12 plus a floor relative to each iterate's size: entries that have
    # decayed to ~0 can only agree absolutely (cancellation in the basis change)
    assert np.all(np.abs(closed - loop) <= 1e-12 * (np.abs(loop) + scale))
    single = gd_iterate(q.hessian, x0, eta, t, minimizer=xstar)
    assert np.all(np.abs(single - loop[t]) <= 1e-12 * (np.abs(loop[t]) + scale[t]))


def test_gd_iterate_one_d_closed_form():
    # x_t = (1 - eta lam)^t x0 with lam = 2, eta = 0.3: factor 0.4
    t = np.arange(6)
    assert_allclose(gd_iterate(2.0, 5.0, 0.3, t), 5.0 * 0.4 ** t, rtol=1e-12)
    assert gd_iterate(2.0, [5.0], 0.3, t).shape == (6, 1)
    assert_allclose(gd_iterate(2.0, 5.0, 0.3, 3, minimizer=1.0), 1 + 4 * 0.4 ** 3,
                    rtol=1e-12)
    assert_allclose(gd_iterate(2.0, 5.0, 1.3, 5), 5.0 * (-1.6) ** 5, rtol=1e-12)
    assert gd_iterate(2.0, 5.0, 0.3, np.array([[1, 2], [3, 4]])).shape == (2, 2)


def test_contraction_factor_is_the_measured_contraction():
    """Central theorem: along the slowest eigendirection the error shrinks by rho per step."""
    q = Quadratic.random(4, L=5.0, mu=0.2, rng=np.random.default_rng(13))
    xstar = np.array([1.0, -1.0, 0.5, 2.0])
    for eta in [0.05, 0.2, 1 / 5.0, 2 / 5.2, 0.39]:
        factors = np.abs(1 - eta * q.eigenvalues)
        slow = q.basis[:, np.argmax(factors)]
        errors = gd_loop(q.hessian, xstar + slow, eta, 40, xstar) - xstar
        norms = np.linalg.norm(errors, axis=1)
        measured = norms[1:] / norms[:-1]
        assert_allclose(measured, contraction_factor(eta, q.eigenvalues), rtol=1e-9)
    # from a generic start the ratio tends to rho as well: here the other
    # components shrink relative to the slowest one by (0.82/0.94)**t. (Not too
    # many steps: x is stored to eps * |x*|, so a tiny error x - x* is imprecise.)
    eta = 0.3
    errors = gd_loop(q.hessian, xstar + 1.0, eta, 150, xstar) - xstar
    norms = np.linalg.norm(errors, axis=1)
    assert_allclose(norms[-1] / norms[-2], contraction_factor(eta, q.eigenvalues),
                    rtol=1e-9)


@given(st.floats(0.1, 10), st.floats(0.05, 1), st.floats(0.05, 0.95))
def test_rate_below_critical_converges(L, mu_frac, eta_frac):
    q = Quadratic.two_d(mu_frac * L, L, angle=0.4)
    eta = eta_frac * critical_rate(L)
    assert eta * L < 2                      # the theorem's hypothesis, by hand
    x0 = np.array([1.0, 1.0])
    rho = max(abs(1 - eta * mu_frac * L), abs(1 - eta * L))   # written out here
    steps = math.ceil(math.log(1e-6) / math.log(rho)) + 1
    errors = gd_loop(q.hessian, x0, eta, steps, q.minimizer)
    norms = np.linalg.norm(errors, axis=1)
    assert norms[-1] < 1e-6 * norms[0]
    assert np.all(np.diff(norms) <= 1e-12)  # with rho < 1 the error never grows


@given(st.floats(0.1, 10), st.floats(0.05, 1), st.floats(1.05, 3))
def test_rate_above_critical_diverges(L, mu_frac, eta_frac):
    q = Quadratic.two_d(mu_frac * L, L, angle=0.4)
    eta = eta_frac * critical_rate(L)
    x0 = np.array([1.0, 1.0])
    errors = gd_loop(q.hessian, x0, eta, 200, q.minimizer)
    norms = np.linalg.norm(errors, axis=1)
    # |1 - eta L| >= 1.1, and 1.1**200 ~ 2e8 (at most 5**200 ~ 1e140: no overflow)
    assert norms[-1] > 1e6 * norms[0]


# --------------------------------------------------------------------------
# Momentum
# --------------------------------------------------------------------------

@given(st.floats(0, 5), st.floats(0, 0.99), st.floats(0.05, 2))
def test_momentum_rate_is_spectral_radius_of_iteration_matrix(eta, beta, lam):
    # (w_{t+1}, w_t) = M (w_t, w_{t-1}) with M = [[1 + beta - eta lam, -beta], [1, 0]]
    m = np.array([[1 + beta - eta * lam, -beta], [1.0, 0.0]])
    radius = np.abs(np.linalg.eigvals(m)).max()
    # eigvals of a defective M (double root) are only sqrt(eps)-accurate
    assert_allclose(momentum_rate(eta, beta, [lam]), radius, rtol=1e-7, atol=1e-9)


def test_momentum_rate_with_zero_beta_is_gd_contraction():
    etas = np.linspace(0, 3, 31)
    assert_allclose(momentum_rate(etas, 0.0, [0.3, 1.0]),
                    contraction_factor(etas, [0.3, 1.0]), rtol=1e-12)


@pytest.mark.parametrize("eta, beta", [
    (1.0, 0.5), (0.5, 0.9), (1.9, 0.0), (2.5, 0.3), (3.5, 0.8), (0.2, 0.3),
    (3.0, 0.55),
])
def test_momentum_rate_equals_empirical_rate_of_heavy_ball_loop(eta, beta):
    lam = np.array([0.01, 0.1, 0.5, 1.0])
    norms = heavy_ball_errors(eta, beta, lam, 3000)
    start = len(norms) // 5                 # skip the transient
    empirical = (norms[-1] / norms[start]) ** (1 / (len(norms) - 1 - start))
    assert_allclose(empirical, momentum_rate(eta, beta, lam), rtol=1e-3)


def test_momentum_rate_vectorises_over_a_meshgrid():
    etas, betas = np.meshgrid(np.linspace(0, 4, 9), np.linspace(0, 0.9, 4))
    grid = momentum_rate(etas, betas, [0.1, 1.0])
    assert grid.shape == (4, 9)
    for i in range(4):
        for j in range(9):
            assert grid[i, j] == momentum_rate(float(etas[i, j]), float(betas[i, j]),
                                               [0.1, 1.0])


def test_heavy_ball_optimum_minimises_momentum_rate_on_a_grid():
    L, mu = 1.0, 0.01
    etas, betas = np.meshgrid(np.linspace(0.01, 4.5, 451), np.linspace(0, 0.99, 100))
    grid = momentum_rate(etas, betas, [mu, L])   # mu and L are the binding ends
    best = heavy_ball_optimal_rate(L, mu)
    assert grid.min() >= best - 1e-9
    assert grid.min() < best + 0.01          # and the grid comes close to it
    # a finer grid around the optimum (the spectrum's interior cannot do worse)
    eta_star, beta_star = heavy_ball_optimal(L, mu)
    e, b = np.meshgrid(eta_star + np.linspace(-0.05, 0.05, 101),
                       beta_star + np.linspace(-0.05, 0.05, 101))
    fine = momentum_rate(e, b, np.linspace(mu, L, 50))
    assert fine.min() >= best - 1e-9


def test_heavy_ball_optimal_rate_is_sqrt_beta_star_and_beats_gd():
    for L, mu in [(1.0, 0.01), (10.0, 1.0), (3.0, 3.0), (100.0, 0.001)]:
        eta, beta = heavy_ball_optimal(L, mu)
        kappa = L / mu
        assert_allclose(heavy_ball_optimal_rate(L, mu),
                        (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1),
                        rtol=1e-12, atol=1e-15)
        assert_allclose(math.sqrt(beta), heavy_ball_optimal_rate(L, mu),
                        rtol=1e-12, atol=1e-15)
        assert heavy_ball_optimal_rate(L, mu) <= optimal_contraction(L, mu)
    assert heavy_ball_optimal(4.0, 4.0) == (0.25, 0.0)   # kappa = 1: GD with 1/L


def test_momentum_stable_agrees_with_momentum_rate():
    lam = 0.7
    etas, betas = np.meshgrid(np.linspace(0, 6, 241), np.linspace(0, 0.98, 50))
    stable = momentum_stable(etas, betas, lam)
    rate = momentum_rate(etas, betas, [lam])
    boundary = np.minimum(np.abs(etas * lam), np.abs(etas * lam - 2 - 2 * betas))
    away = boundary > 1e-9                    # rounding decides exactly on the edge
    assert away.sum() > 10000
    assert np.array_equal(stable[away], (rate < 1)[away])
    # the region stretches to eta lam < 2 + 2 beta: beyond plain GD's 2/lam
    assert momentum_stable(1.9 * 2 / lam, 0.95, lam)
    assert not momentum_stable(1.9 * 2 / lam, 0.0, lam)
    assert not momentum_stable(0.0, 0.5, lam)
    # exactly on the boundary eta lam = 2 + 2 beta a root is -1 (rho = 1): not stable
    # (beta = 0: sigma = 1 - 2 = -1; beta = .5: sigma^2 + 1.5 sigma + .5 = (sigma + 1)(sigma + .5))
    assert not momentum_stable(2.0, 0.0, 1.0)
    assert not momentum_stable(3.0, 0.5, 1.0)


# --------------------------------------------------------------------------
# Iterations and Adam
# --------------------------------------------------------------------------

@given(st.floats(0.01, 0.999), st.floats(1e-12, 0.9))
def test_iterations_to_tolerance_is_the_first_step_below_tol(rate, tol):
    t = iterations_to_tolerance(rate, tol)
    assert isinstance(t, int)
    # up to rounding of rate**t on an exact boundary such as 0.01**6 vs 1e-12
    assert rate ** t <= tol * (1 + 1e-10)
    assert t == 0 or rate ** (t - 1) > tol * (1 - 1e-10)


def test_iterations_to_tolerance_hand_values():
    assert iterations_to_tolerance(0.5, 1e-3) == 10          # 2**-10 < 1e-3 < 2**-9
    assert iterations_to_tolerance(0.1, 1e-3) == 3           # exactly on the boundary
    assert iterations_to_tolerance(0.01, 1e-12) == 6         # 0.01**6 rounds above 1e-12
    assert iterations_to_tolerance(0.5, 0.5) == 1
    # eta lambda = 1 in 1-D: rho = 0, the first step lands on the minimizer
    assert iterations_to_tolerance(contraction_factor(0.25, [4.0]), 1e-6) == 1
    assert gd_iterate(4.0, 3.0, 0.25, 1) == 0.0
    assert iterations_to_tolerance(1.0, 0.1) == math.inf
    assert iterations_to_tolerance(2.0, 0.1) == math.inf


def test_adam_first_step_ratio():
    assert_allclose(adam_first_step_ratio(0.9, 0.999), 0.1 / np.sqrt(0.001), rtol=1e-12)
    assert abs(adam_first_step_ratio(0.9, 0.999) - 3.1623) < 5e-5   # B.7: "3.16x"
    # by simulating Adam's first step for a gradient g, without and with bias correction
    g, beta1, beta2 = -0.37, 0.8, 0.99
    m, v = (1 - beta1) * g, (1 - beta2) * g * g
    uncorrected = m / np.sqrt(v)
    corrected = (m / (1 - beta1)) / np.sqrt(v / (1 - beta2))
    assert_allclose(adam_first_step_ratio(beta1, beta2), uncorrected / corrected,
                    rtol=1e-12)
    assert adam_first_step_ratio(0.0, 0.0) == 1.0


# --------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, pattern", [
    (lambda: critical_rate(0.0), ValueError, r"L must be a finite number > 0"),
    (lambda: critical_rate("1"), TypeError, r"L must be a real number"),
    (lambda: optimal_rate(1.0, 2.0), ValueError, r"mu must be a finite number > 0 and <= 1.0"),
    (lambda: optimal_rate(1.0, 0.0), ValueError, r"mu must be .*> 0"),
    (lambda: optimal_contraction(-1.0, 0.5), ValueError, r"L must be .*> 0"),
    (lambda: contraction_factor(-0.1, [1.0]), ValueError, r"eta must have every entry >= 0"),
    (lambda: contraction_factor(0.1, [1.0, 0.0]), ValueError, r"eigenvalues .*> 0"),
    (lambda: contraction_factor(0.1, []), ValueError, r"eigenvalues must have at least"),
    (lambda: contraction_factor(np.nan, [1.0]), ValueError, r"eta must contain only finite"),
    (lambda: gd_iterate([[1.0, 2.0], [0.0, 1.0]], [1.0, 1.0], 0.1, 1), ValueError,
     r"hessian must be symmetric"),
    (lambda: gd_iterate(np.ones((2, 3)), [1.0, 1.0], 0.1, 1), ValueError,
     r"hessian must be a square"),
    (lambda: gd_iterate(np.eye(2), [1.0, 1.0, 1.0], 0.1, 1), ValueError, r"x0 must have shape \(2,\)"),
    (lambda: gd_iterate(np.eye(2), [1.0, 1.0], 0.0, 1), ValueError, r"eta must be .*> 0"),
    (lambda: gd_iterate(np.eye(2), [1.0, 1.0], 0.1, -1), ValueError, r"t must be an integer >= 0"),
    (lambda: gd_iterate(np.eye(2), [1.0, 1.0], 0.1, 1.5), TypeError, r"t must be an integer"),
    (lambda: gd_iterate(np.eye(2), [1.0, 1.0], 0.1, [1, -2]), ValueError, r"t must have every entry >= 0"),
    (lambda: gd_iterate(np.eye(2), [1.0, 1.0], 0.1, 1, minimizer=[0.0]), ValueError,
     r"minimizer must have shape \(2,\)"),
    (lambda: momentum_rate(0.1, 1.0, [1.0]), ValueError, r"beta must have every entry >= 0 and < 1"),
    (lambda: momentum_rate(0.1, -0.1, [1.0]), ValueError, r"beta must have every entry >= 0"),
    (lambda: momentum_rate(-0.1, 0.5, [1.0]), ValueError, r"eta must have every entry >= 0"),
    (lambda: momentum_rate([0.1, 0.2], [0.1, 0.2, 0.3], [1.0]), ValueError, r"broadcast"),
    (lambda: momentum_stable(0.1, 0.5, 0.0), ValueError, r"lam must be .*> 0"),
    (lambda: momentum_stable(0.1, 1.5, 1.0), ValueError, r"beta must have every entry >= 0 and < 1"),
    (lambda: heavy_ball_optimal(1.0, 1.5), ValueError, r"mu must be .*<= 1.0"),
    (lambda: heavy_ball_optimal_rate(0.0, 0.0), ValueError, r"L must be .*> 0"),
    (lambda: iterations_to_tolerance(-0.1, 0.1), ValueError, r"rate must be .*>= 0"),
    (lambda: iterations_to_tolerance(np.nan, 0.1), ValueError, r"rate must be a finite"),
    (lambda: iterations_to_tolerance(0.5, 1.0), ValueError, r"tol must be .*> 0 and < 1"),
    (lambda: adam_first_step_ratio(1.0, 0.999), ValueError, r"beta1 must be .*>= 0 and < 1"),
    (lambda: adam_first_step_ratio(0.9, -0.1), ValueError, r"beta2 must be .*>= 0 and < 1"),
])
def test_bad_inputs_name_the_parameter(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
