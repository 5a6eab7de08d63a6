"""Tests of lrtutor.problems.

Expected values come from formulas written out here independently of the
implementation (loops over samples and eigenpairs, expanded derivatives),
from central finite differences, from numpy's linear algebra (normal
equations, eigvalsh) and from ERRATA PART 4 (the source article's data).
"""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from lrtutor.problems import (LinearRegression, LogisticRegression, Quadratic,
                              Rosenbrock, make_linear_data, make_logistic_data)

coord = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def points(d):
    return st.lists(coord, min_size=d, max_size=d).map(np.array)


def fd_grad(f, x, h=1e-6):
    """Central finite differences: error O(h^2 f''') + O(eps f / h), so only ~1e-7 accurate."""
    g = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def assert_fd_close(problem, x):
    g = problem.grad(x)
    fd = fd_grad(lambda z: float(problem.loss(z)), x)
    # finite differences are approximate: relative 1e-6 plus a floor for ~0 entries
    assert_allclose(g, fd, rtol=1e-6, atol=1e-6 * (1 + np.abs(g).max()))


def legacy_data():
    """The source article's data (ERRATA PART 4): np.random.seed(0), rand, randn."""
    rs = np.random.RandomState(0)
    X = rs.rand(100, 1)
    y = 2 * X + 1 + rs.randn(100, 1)
    return X, y.ravel()


# --------------------------------------------------------------------------
# Quadratic
# --------------------------------------------------------------------------

def rotated_quadratic():
    return Quadratic.two_d(0.5, 4.0, angle=0.3, minimizer=(1.0, -2.0))


@given(points(2))
def test_quadratic_grad_matches_finite_differences(x):
    assert_fd_close(rotated_quadratic(), x)


@given(points(4))
def test_quadratic_loss_and_grad_match_eigenpair_sums(x):
    q = Quadratic.random(4, L=10.0, mu=0.1, rng=np.random.default_rng(1))
    e = x - q.minimizer
    loss = sum(0.5 * lam * (v @ e) ** 2 for lam, v in zip(q.eigenvalues, q.basis.T))
    grad = sum(lam * v * (v @ e) for lam, v in zip(q.eigenvalues, q.basis.T))
    assert_allclose(q.loss(x), loss, rtol=1e-12, atol=1e-14)
    assert_allclose(q.grad(x), grad, rtol=1e-12, atol=1e-13)


def test_quadratic_loss_zero_and_grad_zero_at_minimizer():
    q = rotated_quadratic()
    assert q.loss(q.minimizer) == 0.0
    assert np.all(q.grad(q.minimizer) == 0.0)
    assert np.all(q.loss(q.minimizer + np.array([1e-3, 0.0])) > 0)


def test_quadratic_hessian_is_symmetric_with_given_eigenvalues():
    q = Quadratic([3.0, 0.5, 1.0], basis=np.linalg.qr(
        np.random.default_rng(2).standard_normal((3, 3)))[0])
    assert np.array_equal(q.hessian, q.hessian.T)
    assert_allclose(np.linalg.eigvalsh(q.hessian), [0.5, 1.0, 3.0], rtol=1e-12)
    assert q.eigenvalues.tolist() == [0.5, 1.0, 3.0]
    assert (q.L, q.mu, q.condition_number, q.dim) == (3.0, 0.5, 6.0, 3)


def test_quadratic_sorting_keeps_eigenvectors_paired():
    # eigenvalue 5 belongs to e_1, eigenvalue 1 to e_2 before sorting
    q = Quadratic([5.0, 1.0])
    assert_allclose(q.grad([1.0, 0.0]), [5.0, 0.0], rtol=1e-12)
    assert_allclose(q.grad([0.0, 1.0]), [0.0, 1.0], rtol=1e-12)


def test_two_d_rotation():
    phi = np.pi / 6
    q = Quadratic.two_d(1.0, 9.0, angle=phi)
    u = np.array([np.cos(phi), np.sin(phi)])       # eigenvector of lam1
    w = np.array([-np.sin(phi), np.cos(phi)])      # eigenvector of lam2
    assert_allclose(q.hessian @ u, 1.0 * u, rtol=1e-12)
    assert_allclose(q.hessian @ w, 9.0 * w, rtol=1e-12)
    # by hand: H = R diag(1, 9) R^T with cos = sqrt(3)/2, sin = 1/2
    c, s = np.sqrt(3) / 2, 0.5
    expected = np.array([[c * c + 9 * s * s, (1 - 9) * c * s],
                         [(1 - 9) * c * s, s * s + 9 * c * c]])
    assert_allclose(q.hessian, expected, rtol=1e-12)


def test_one_d():
    q = Quadratic.one_d(3.0, minimizer=2.0)
    assert float(q.loss([4.0])) == 0.5 * 3.0 * 2.0 ** 2
    assert q.grad([4.0]).tolist() == [6.0]
    assert q.grad([[4.0], [1.0]]).tolist() == [[6.0], [-3.0]]


def test_random_quadratic_spectrum_and_basis():
    q = Quadratic.random(5, L=50.0, mu=0.5, rng=np.random.default_rng(3))
    assert q.eigenvalues[0] == 0.5 and q.eigenvalues[-1] == 50.0
    assert_allclose(np.diff(np.log(q.eigenvalues)), np.log(100) / 4, rtol=1e-12)
    assert_allclose(q.basis.T @ q.basis, np.eye(5), atol=1e-14)
    assert_allclose(np.linalg.eigvalsh(q.hessian), q.eigenvalues, rtol=1e-12)
    assert not np.allclose(q.basis, np.eye(5))      # really rotated
    assert np.all(q.minimizer == 0)
    # same rng seed, same problem; another seed, another basis
    again = Quadratic.random(5, L=50.0, mu=0.5, rng=np.random.default_rng(3))
    other = Quadratic.random(5, L=50.0, mu=0.5, rng=np.random.default_rng(4))
    assert np.array_equal(q.hessian, again.hessian)
    assert not np.allclose(q.hessian, other.hessian)


BATCH_PROBLEMS = [rotated_quadratic(), Rosenbrock(), LinearRegression(*legacy_data()),
                  LogisticRegression(*make_logistic_data(n=30))]
BATCH_IDS = ["quadratic", "rosenbrock", "linear", "logistic"]


@pytest.mark.parametrize("problem", BATCH_PROBLEMS, ids=BATCH_IDS)
def test_batched_x_equals_row_by_row(problem):
    xs = np.random.default_rng(5).uniform(-2, 2, size=(3, 4, problem.dim))
    losses, grads = problem.loss(xs), problem.grad(xs)
    assert losses.shape == (3, 4) and grads.shape == (3, 4, problem.dim)
    for i, j in itertools.product(range(3), range(4)):
        assert_allclose(losses[i, j], problem.loss(xs[i, j]), rtol=1e-12)
        assert_allclose(grads[i, j], problem.grad(xs[i, j]), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("problem", BATCH_PROBLEMS, ids=BATCH_IDS)
@pytest.mark.parametrize("big", [1e200, 1e300, np.inf, -np.inf, np.nan])
def test_divergent_x_gives_no_runtime_warning(problem, big):
    x = np.full((2, problem.dim), big)
    x[1, 0] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = problem.loss(x)
        grads = problem.grad(x)
        if hasattr(problem, "batch_grad"):
            problem.batch_grad(x, [0, 1])
    if np.isfinite(big) and not isinstance(problem, LogisticRegression):
        assert np.all(~np.isfinite(losses) | (losses > 1e100))
    assert grads.shape == x.shape


def test_quadratic_bad_inputs():
    with pytest.raises(ValueError, match="eigenvalues.*> 0"):
        Quadratic([1.0, 0.0])
    with pytest.raises(ValueError, match="eigenvalues.*> 0"):
        Quadratic([-1.0])
    with pytest.raises(ValueError, match="eigenvalues"):
        Quadratic([])
    with pytest.raises(ValueError, match="basis.*orthogonal"):
        Quadratic([1.0, 2.0], basis=[[1.0, 0.1], [0.0, 1.0]])
    with pytest.raises(ValueError, match="basis"):
        Quadratic([1.0, 2.0], basis=np.eye(3))
    with pytest.raises(ValueError, match="minimizer"):
        Quadratic([1.0, 2.0], minimizer=[0.0])
    with pytest.raises(ValueError, match="lam.*> 0"):
        Quadratic.one_d(0.0)
    with pytest.raises(TypeError, match="lam"):
        Quadratic.one_d("1")
    with pytest.raises(ValueError, match="lam2.*> 0"):
        Quadratic.two_d(1.0, -1.0)
    with pytest.raises(ValueError, match="angle"):
        Quadratic.two_d(1.0, 2.0, angle=np.nan)
    with pytest.raises(ValueError, match="mu.*<= 2.0"):
        Quadratic.random(3, L=2.0, mu=3.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="mu must equal L"):
        Quadratic.random(1, L=2.0, mu=1.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="dim.*>= 1"):
        Quadratic.random(0, L=2.0, mu=1.0, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        Quadratic.random(2, L=2.0, mu=1.0, rng=0)
    q = rotated_quadratic()
    with pytest.raises(ValueError, match=r"x must .*\(\.\.\., 2\)"):
        q.loss([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"x must"):
        q.grad(1.0)


# --------------------------------------------------------------------------
# Rosenbrock
# --------------------------------------------------------------------------

@given(points(2))
def test_rosenbrock_grad_matches_finite_differences_and_expanded_formula(x):
    r = Rosenbrock(a=1.5, b=20.0)
    assert_fd_close(r, x)
    u, v = x
    # d/du [(a-u)^2 + b(v-u^2)^2] expanded: 2u - 2a + 4b u^3 - 4b u v
    expected = [2 * u - 3.0 + 80.0 * u ** 3 - 80.0 * u * v, 40.0 * v - 40.0 * u ** 2]
    assert_allclose(r.grad(x), expected, rtol=1e-10, atol=1e-10)


@given(points(2))
def test_rosenbrock_hessian_matches_finite_differences_of_grad(x):
    r = Rosenbrock(a=1.5, b=20.0)
    h = r.hessian_at(x)
    fd = np.column_stack([fd_grad(lambda z, i=i: r.grad(z)[i], x) for i in range(2)])
    assert_allclose(h, fd, rtol=1e-6, atol=1e-6 * (1 + np.abs(h).max()))
    assert h[0, 1] == h[1, 0]


def test_rosenbrock_minimizer():
    r = Rosenbrock(a=2.0, b=5.0)
    assert r.minimizer.tolist() == [2.0, 4.0]
    assert r.loss([2.0, 4.0]) == 0.0
    assert r.grad([2.0, 4.0]).tolist() == [0.0, 0.0]
    # hand values at (0, 0): f = a^2, grad = (-2a, 0)
    assert r.loss([0.0, 0.0]) == 4.0
    assert r.grad([0.0, 0.0]).tolist() == [-4.0, 0.0]
    # positive definite Hessian at the minimizer: [[2 + 8 b a^2, -4ab], [-4ab, 2b]]
    assert_allclose(r.hessian_at([2.0, 4.0]), [[162.0, -40.0], [-40.0, 10.0]], rtol=1e-12)


def test_rosenbrock_bad_inputs():
    with pytest.raises(ValueError, match="b.*> 0"):
        Rosenbrock(b=0.0)
    with pytest.raises(ValueError, match="a must be a finite"):
        Rosenbrock(a=np.inf)
    with pytest.raises(ValueError, match=r"x must .*\(\.\.\., 2\)"):
        Rosenbrock().grad([1.0])


# --------------------------------------------------------------------------
# LinearRegression
# --------------------------------------------------------------------------

def test_linear_regression_reproduces_errata_reference_numbers():
    problem = LinearRegression(*legacy_data())
    # ERRATA PART 4, printed to 8 decimals: OLS (intercept, slope)
    assert_allclose(problem.minimizer, [1.22215108, 1.93693502], rtol=0, atol=5e-9)
    # printed lambda_max(Xb^T Xb) = 123.96 (2 decimals); ours is divided by n = 100
    assert abs(problem.L * 100 - 123.96) < 0.005
    # printed MSE 0.99244 (5 decimals) is mean squared residual, i.e. 2 * our loss
    assert abs(2 * problem.loss(problem.minimizer) - 0.99244) < 5e-6


def test_linear_regression_minimizer_solves_normal_equations():
    X, y = legacy_data()
    problem = LinearRegression(X, y)
    Xb = np.column_stack([np.ones(100), X])
    theta = np.linalg.solve(Xb.T @ Xb, Xb.T @ y)
    assert_allclose(problem.minimizer, theta, rtol=1e-12)
    assert_allclose(problem.grad(problem.minimizer), 0.0, atol=1e-14)
    assert np.array_equal(problem.design, Xb)


def test_linear_regression_without_intercept_is_misspecified():
    # ERRATA E000-5: slope-only fit gives 3.82 (printed to 2 decimals)
    problem = LinearRegression(*legacy_data(), fit_intercept=False)
    assert problem.dim == 1
    assert abs(problem.minimizer[0] - 3.82) < 0.005


@given(points(3))
def test_linear_regression_loss_and_grad_match_sample_loops(theta):
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((20, 2)), rng.standard_normal(20)
    problem = LinearRegression(X, y)
    loss = sum((theta[0] + X[i] @ theta[1:] - y[i]) ** 2 for i in range(20)) / 40
    grad = sum((theta[0] + X[i] @ theta[1:] - y[i]) * np.r_[1.0, X[i]]
               for i in range(20)) / 20
    assert_allclose(problem.loss(theta), loss, rtol=1e-12)
    assert_allclose(problem.grad(theta), grad, rtol=1e-12, atol=1e-14)
    assert_fd_close(problem, theta)


def test_linear_regression_hessian_and_eigenvalues():
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((50, 3)), rng.standard_normal(50)
    problem = LinearRegression(X, y)
    Xb = np.column_stack([np.ones(50), X])
    assert_allclose(problem.hessian, Xb.T @ Xb / 50, rtol=1e-12)
    eig = np.linalg.eigvalsh(Xb.T @ Xb / 50)
    assert_allclose(problem.eigenvalues, eig, rtol=1e-12)
    assert_allclose([problem.L, problem.mu], [eig[-1], eig[0]], rtol=1e-12)
    assert_allclose(problem.condition_number, eig[-1] / eig[0], rtol=1e-12)
    # the gradient is affine with slope H: grad(a) - grad(b) = H (a - b)
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    assert_allclose(problem.grad(a) - problem.grad(b), (Xb.T @ Xb / 50) @ (a - b),
                    rtol=1e-10)


def test_single_sample_gradients_average_to_full_gradient():
    rng = np.random.default_rng(8)
    X, y = rng.standard_normal((7, 2)), rng.standard_normal(7)
    problem = LinearRegression(X, y)
    theta = np.array([0.3, -1.0, 2.0])
    singles = [problem.batch_grad(theta, [i]) for i in range(7)]
    assert_allclose(np.mean(singles, axis=0), problem.grad(theta), rtol=1e-12)
    # one row by hand
    assert_allclose(singles[2], (theta[0] + X[2] @ theta[1:] - y[2]) * np.r_[1.0, X[2]],
                    rtol=1e-12)


def test_pair_batches_average_to_full_gradient():
    rng = np.random.default_rng(9)
    X, y = rng.standard_normal((5, 1)), rng.standard_normal(5)
    problem = LinearRegression(X, y)
    theta = np.array([1.0, -0.5])
    pairs = [problem.batch_grad(theta, list(p)) for p in itertools.combinations(range(5), 2)]
    assert_allclose(np.mean(pairs, axis=0), problem.grad(theta), rtol=1e-12)


def test_stochastic_grad_draws_distinct_rows():
    rng = np.random.default_rng(10)
    X, y = rng.standard_normal((30, 2)), rng.standard_normal(30)
    problem = LinearRegression(X, y)
    theta = np.array([0.1, 0.2, 0.3])
    # a batch of all n distinct rows is the full gradient (with replacement it is not)
    for seed in range(5):
        g = problem.stochastic_grad(theta, np.random.default_rng(seed), 30)
        assert_allclose(g, problem.grad(theta), rtol=1e-12)
    # a smaller batch is a different, reproducible estimate
    g1 = problem.stochastic_grad(theta, np.random.default_rng(0), 5)
    g2 = problem.stochastic_grad(theta, np.random.default_rng(0), 5)
    assert np.array_equal(g1, g2)
    assert not np.allclose(g1, problem.grad(theta))
    # batched x: same batch for every run, shape kept
    xs = np.stack([theta, 2 * theta])
    gb = problem.stochastic_grad(xs, np.random.default_rng(0), 5)
    assert gb.shape == (2, 3)
    assert_allclose(gb[0], g1, rtol=1e-12)


def test_stochastic_grad_is_unbiased_on_average():
    rng = np.random.default_rng(11)
    X, y = rng.standard_normal((40, 1)), rng.standard_normal(40)
    problem = LinearRegression(X, y)
    theta = np.array([2.0, -1.0])
    draws = np.array([problem.stochastic_grad(theta, rng, 4) for _ in range(4000)])
    spread = draws.std(axis=0) / np.sqrt(len(draws))
    # within 5 standard errors of the full gradient (fails with prob. < 1e-6)
    assert np.all(np.abs(draws.mean(axis=0) - problem.grad(theta)) < 5 * spread)


def test_column_y_is_rejected_with_advice():
    X, y = legacy_data()
    with pytest.raises(ValueError, match=r"y must be 1-D.*y\.ravel\(\)"):
        LinearRegression(X, y.reshape(-1, 1))
    with pytest.raises(ValueError, match=r"y must be 1-D of shape \(100,\)"):
        LinearRegression(X, y[:50])
    with pytest.raises(ValueError, match=r"X must be an array with ndim 2"):
        LinearRegression(X.ravel(), y)
    with pytest.raises(ValueError, match="X must contain only finite"):
        LinearRegression(np.full((100, 1), np.nan), y)
    with pytest.raises(TypeError, match="fit_intercept"):
        LinearRegression(X, y, fit_intercept=1)


def test_batch_arguments_are_checked():
    problem = LinearRegression(*legacy_data())
    theta = np.zeros(2)
    with pytest.raises(ValueError, match="batch_size.*<= 100"):
        problem.stochastic_grad(theta, np.random.default_rng(0), 101)
    with pytest.raises(ValueError, match="batch_size.*>= 1"):
        problem.stochastic_grad(theta, np.random.default_rng(0), 0)
    with pytest.raises(TypeError, match="rng"):
        problem.stochastic_grad(theta, 0, 5)
    with pytest.raises(ValueError, match="idx.*< 100"):
        problem.batch_grad(theta, [100])
    with pytest.raises(ValueError, match="idx.*non-empty"):
        problem.batch_grad(theta, [])
    with pytest.raises(TypeError, match="idx.*integers"):
        problem.batch_grad(theta, [0.5])
    with pytest.raises(ValueError, match=r"x must .*\(\.\.\., 2\)"):
        problem.grad(np.zeros(3))


def test_make_linear_data():
    X, y = make_linear_data()
    assert X.shape == (100, 1) and y.shape == (100,)
    assert np.all((0 <= X) & (X < 1))
    X2, y2 = make_linear_data(rng=np.random.default_rng(0))
    assert np.array_equal(X, X2) and np.array_equal(y, y2)      # documented default
    X3, y3 = make_linear_data(n=5, slope=-1.0, intercept=3.0, noise_std=0.0,
                              rng=np.random.default_rng(1))
    assert_allclose(y3, 3.0 - X3[:, 0], rtol=1e-15)
    # noise has the requested spread (5 standard errors of a sample std)
    _, y4 = make_linear_data(n=20000, slope=0.0, intercept=0.0, noise_std=0.5,
                             rng=np.random.default_rng(2))
    assert abs(y4.std() - 0.5) < 5 * 0.5 / np.sqrt(2 * 20000)
    with pytest.raises(ValueError, match="noise_std.*>= 0"):
        make_linear_data(noise_std=-1.0)
    with pytest.raises(ValueError, match="n.*>= 1"):
        make_linear_data(n=0)
    with pytest.raises(TypeError, match="rng"):
        make_linear_data(rng=0)


# --------------------------------------------------------------------------
# LogisticRegression
# --------------------------------------------------------------------------

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def logistic_problem():
    return LogisticRegression(*make_logistic_data(n=40, rng=np.random.default_rng(12)))


@given(points(3))
def test_logistic_grad_matches_finite_differences_and_sample_loop(theta):
    problem = logistic_problem()
    assert_fd_close(problem, theta)
    X, y = problem.design[:, 1:], problem.y
    p = [sigmoid(theta[0] + X[i] @ theta[1:]) for i in range(problem.n)]
    loss = -np.mean([y[i] * np.log(p[i]) + (1 - y[i]) * np.log(1 - p[i])
                     for i in range(problem.n)])
    grad = sum((p[i] - y[i]) * np.r_[1.0, X[i]] for i in range(problem.n)) / problem.n
    assert_allclose(problem.loss(theta), loss, rtol=1e-12)
    assert_allclose(problem.grad(theta), grad, rtol=1e-12, atol=1e-15)


def test_logistic_loss_is_stable_for_large_margins():
    problem = LogisticRegression([[1.0], [-1.0]], [1.0, 0.0], fit_intercept=False)
    # correct with margin 1000: loss log(1 + e^-1000) ~ e^-1000 underflows to 0
    assert problem.loss([1000.0]) == 0.0
    # wrong with margin 1000: loss ~ 1000 (the naive formula gives inf)
    assert_allclose(problem.loss([-1000.0]), 1000.0, rtol=1e-12)
    assert_allclose(problem.grad([-1000.0]), [-1.0], rtol=1e-12)


@given(points(3))
def test_logistic_L_bounds_hessian(theta):
    problem = logistic_problem()
    Xb = problem.design
    p = sigmoid(Xb @ theta)
    hessian = Xb.T @ np.diag(p * (1 - p)) @ Xb / problem.n
    assert np.linalg.eigvalsh(hessian).max() <= problem.L * (1 + 1e-12)
    # and the bound is the Gram matrix's top eigenvalue over 4
    assert_allclose(problem.L, np.linalg.eigvalsh(Xb.T @ Xb / problem.n).max() / 4,
                    rtol=1e-12)


def test_logistic_has_finite_minimizer_on_generated_data():
    # Newton's method written out here; a zero gradient at a finite point shows
    # the generated labels are not linearly separable.
    problem = LogisticRegression(*make_logistic_data())
    Xb, theta = problem.design, np.zeros(3)
    for _ in range(30):
        p = sigmoid(Xb @ theta)
        hessian = Xb.T @ (Xb * (p * (1 - p))[:, None]) / problem.n
        theta = theta - np.linalg.solve(hessian, problem.grad(theta))
    assert np.abs(problem.grad(theta)).max() < 1e-12
    assert np.all(np.abs(theta) < 10)
    # the fit points the same way as the generating weights (intercept .5, w (2, -1))
    assert theta[1] > 0 > theta[2]


def test_logistic_stochastic_grad_full_batch_equals_grad():
    problem = logistic_problem()
    theta = np.array([0.5, -0.2, 1.0])
    g = problem.stochastic_grad(theta, np.random.default_rng(0), problem.n)
    assert_allclose(g, problem.grad(theta), rtol=1e-12)
    singles = [problem.batch_grad(theta, [i]) for i in range(problem.n)]
    assert_allclose(np.mean(singles, axis=0), problem.grad(theta), rtol=1e-12)


def test_logistic_bad_inputs():
    with pytest.raises(ValueError, match="y must have every entry equal to 0 or 1"):
        LogisticRegression([[0.0], [1.0]], [0.0, 2.0])
    with pytest.raises(ValueError, match="y must have every entry equal to 0 or 1"):
        LogisticRegression([[0.0], [1.0]], [-1.0, 1.0])
    with pytest.raises(ValueError, match=r"y\.ravel\(\)"):
        LogisticRegression([[0.0], [1.0]], [[0.0], [1.0]])


def test_make_logistic_data():
    X, y = make_logistic_data(n=50, weights=(1.0, 2.0, 3.0), rng=np.random.default_rng(0))
    assert X.shape == (50, 3) and y.shape == (50,)
    assert set(np.unique(y).tolist()) == {0.0, 1.0}
    X2, y2 = make_logistic_data(n=50, weights=(1.0, 2.0, 3.0))
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    # labels follow the model: large positive margin -> mostly 1
    Xl, yl = make_logistic_data(n=5000, weights=(0.0,), intercept=3.0,
                                rng=np.random.default_rng(1))
    assert abs(yl.mean() - sigmoid(3.0)) < 5 * np.sqrt(sigmoid(3.0) * (1 - sigmoid(3.0)) / 5000)
    with pytest.raises(ValueError, match="weights"):
        make_logistic_data(weights=())
    with pytest.raises(ValueError, match="intercept"):
        make_logistic_data(intercept=np.nan)
    with pytest.raises(TypeError, match="n must be an integer"):
        make_logistic_data(n=2.0)


def test_batch_loss_is_the_mean_of_row_losses_written_out():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([1.0, 2.0, 2.0, 5.0])
    lin = LinearRegression(X, y)
    theta = np.array([0.5, 1.0])
    # row residuals: 0.5 + x - y = -0.5, -0.5, 0.5, -1.5; half squares 0.125, 0.125, 0.125, 1.125
    assert lin.batch_loss(theta, np.array([0, 3])) == pytest.approx((0.125 + 1.125) / 2, rel=1e-15)
    assert lin.batch_loss(theta, np.arange(4)) == pytest.approx(lin.loss(theta), rel=1e-15)
    with pytest.raises(ValueError, match="idx"):
        lin.batch_loss(theta, np.array([4]))


# --------------------------------------------------------------------------
# Hessian-vector products
# --------------------------------------------------------------------------

def fd_hvp(problem, x, v, h=1e-5):
    """Central difference of the gradient along v: error O(h^2 |v|^3 f''''), O(eps |g| / h)."""
    return (problem.grad(x + h * v) - problem.grad(x - h * v)) / (2 * h)


HVP_PROBLEMS = BATCH_PROBLEMS + [
    Rosenbrock(a=1.5, b=20.0),
    LogisticRegression(*make_logistic_data(n=50, weights=(1.0, -2.0, 0.5)))]
HVP_IDS = BATCH_IDS + ["rosenbrock-1.5-20", "logistic-3"]


@pytest.mark.parametrize("problem", HVP_PROBLEMS, ids=HVP_IDS)
def test_hvp_matches_finite_differences_of_grad(problem):
    rng = np.random.default_rng(21)
    for _ in range(20):
        x, v = rng.uniform(-2, 2, (2, problem.dim))
        hv, fd = problem.hvp(x, v), fd_hvp(problem, x, v)
        # grad is linear for the quadratic and least squares, so there the
        # difference is exact up to rounding, ~eps |g| / h; elsewhere O(h^2)
        assert_allclose(hv, fd, rtol=1e-6, atol=1e-7 * (1 + np.abs(hv).max()))


def test_quadratic_hvp_is_H_v():
    # exactly representable: H = diag(2, 5), so H v is computed without rounding
    q = Quadratic([5.0, 2.0], minimizer=[1.0, -1.0])
    assert q.hvp([3.0, 7.0], [1.0, -2.0]).tolist() == [5.0, -4.0]
    assert q.hvp([np.nan, np.inf], [1.0, 1.0]).tolist() == [5.0, 2.0]   # H is constant
    # two_d(1, 3, pi/4): H = [[2, -1], [-1, 2]] (docstring), H v by hand
    r = Quadratic.two_d(1.0, 3.0, angle=np.pi / 4)
    assert_allclose(r.hvp([0.0, 0.0], [1.0, 2.0]), [0.0, 3.0], atol=1e-15)
    # random spectrum: sum over eigenpairs lambda_i q_i (q_i . v)
    q = Quadratic.random(6, L=30.0, mu=0.2, rng=np.random.default_rng(8))
    v = np.random.default_rng(9).standard_normal(6)
    expected = sum(lam * u * (u @ v) for lam, u in zip(q.eigenvalues, q.basis.T))
    assert_allclose(q.hvp(np.ones(6), v), expected, rtol=1e-12, atol=1e-13)
    assert_allclose(q.hvp(np.ones(6), v), q.hessian @ v, rtol=1e-12, atol=1e-13)


@given(points(2), points(2))
def test_rosenbrock_hvp_is_hessian_times_v(x, v):
    r = Rosenbrock(a=1.5, b=20.0)
    u, w = x
    # expanded by hand: d2f/du2 = 2 + 240 u^2 - 80 w, d2f/dudw = -80 u, d2f/dw2 = 40
    expected = [(2 + 240 * u * u - 80 * w) * v[0] - 80 * u * v[1], -80 * u * v[0] + 40 * v[1]]
    assert_allclose(r.hvp(x, v), expected, rtol=1e-10, atol=1e-10)
    assert_allclose(r.hvp(x, v), r.hessian_at(x) @ v, rtol=1e-12, atol=1e-12)


def test_linear_regression_hvp_is_normal_matrix_times_v():
    problem = LinearRegression(*legacy_data())
    v = np.array([0.3, -1.2])
    Xb = np.column_stack([np.ones(100), legacy_data()[0]])
    # one-half convention: f = |r|^2 / (2n), so H = Xb^T Xb / n (no factor 2)
    expected = sum(np.outer(row, row) @ v for row in Xb) / 100
    assert_allclose(problem.hvp([5.0, -3.0], v), expected, rtol=1e-12)
    assert_allclose(problem.hvp([5.0, -3.0], v), problem.hessian @ v, rtol=1e-12)
    idx = np.array([3, 3, 17])                  # a repeated row counts twice
    expected = sum(np.outer(Xb[i], Xb[i]) @ v for i in idx) / 3
    assert_allclose(problem.hvp([5.0, -3.0], v, idx=idx), expected, rtol=1e-12)


def test_logistic_hvp_matches_sample_loop():
    problem = logistic_problem()
    rng = np.random.default_rng(22)
    theta, v = rng.standard_normal((2, problem.dim))
    H = np.zeros((problem.dim, problem.dim))
    for xi in problem.design:
        p = sigmoid(xi @ theta)
        H += p * (1 - p) * np.outer(xi, xi) / problem.n
    assert_allclose(problem.hvp(theta, v), H @ v, rtol=1e-12, atol=1e-14)
    idx = np.array([0, 5, 5, 9])
    Hb = sum(sigmoid(problem.design[i] @ theta) * (1 - sigmoid(problem.design[i] @ theta))
             * np.outer(problem.design[i], problem.design[i]) for i in idx) / 4
    assert_allclose(problem.hvp(theta, v, idx=idx), Hb @ v, rtol=1e-12, atol=1e-14)


def test_logistic_hvp_is_stable_for_large_margins():
    problem = LogisticRegression([[1.0], [-1.0]], [1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hv = problem.hvp([0.0, 1e6], [1.0, 1.0])       # p(1 - p) underflows to 0
    assert hv.tolist() == [0.0, 0.0]
    # p(1 - p) at z = +-40 is about e^-40 = 4.2e-18 (not 0 - 0 from 1 - p)
    assert_allclose(problem.hvp([0.0, 40.0], [1.0, 0.0]), [np.exp(-40), 0.0],
                    rtol=1e-12, atol=1e-30)


@pytest.mark.parametrize("problem", HVP_PROBLEMS, ids=HVP_IDS)
def test_hvp_batched_and_broadcast(problem):
    rng = np.random.default_rng(23)
    xs = rng.uniform(-2, 2, size=(3, 4, problem.dim))
    vs = rng.standard_normal((3, 4, problem.dim))
    out = problem.hvp(xs, vs)
    assert out.shape == (3, 4, problem.dim) and out.dtype == np.float64
    for i, j in itertools.product(range(3), range(4)):
        assert_allclose(out[i, j], problem.hvp(xs[i, j], vs[i, j]), rtol=1e-12, atol=1e-13)
    # one x, several v (and the reverse) broadcast
    assert problem.hvp(xs[0, 0], vs[0]).shape == (4, problem.dim)
    assert_allclose(problem.hvp(xs[0], vs[0, 0]),
                    [problem.hvp(x, vs[0, 0]) for x in xs[0]], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("problem", HVP_PROBLEMS, ids=HVP_IDS)
@pytest.mark.parametrize("big", [1e200, 1e300, np.inf, -np.inf, np.nan])
def test_hvp_of_divergent_x_gives_no_runtime_warning(problem, big):
    x = np.full((2, problem.dim), big)
    x[1] = 0.5
    v = np.ones((2, problem.dim))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = problem.hvp(x, v)
        problem.hvp(x, np.full(problem.dim, np.nan))
    assert out.shape == x.shape
    assert_allclose(out[1], problem.hvp(x[1], v[1]), rtol=1e-12)   # the other run untouched


def test_hvp_bad_inputs():
    q = rotated_quadratic()
    with pytest.raises(ValueError, match=r"v must .*\(\.\.\., 2\)"):
        q.hvp([0.0, 0.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="v must .*broadcast"):
        q.hvp(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(TypeError, match="v must be an array"):
        q.hvp([0.0, 0.0], "ab")
    with pytest.raises(ValueError, match=r"x must .*\(\.\.\., 2\)"):
        Rosenbrock().hvp([0.0], [1.0, 0.0])
    problem = logistic_problem()
    with pytest.raises(ValueError, match="idx must have every entry"):
        problem.hvp(np.zeros(3), np.ones(3), idx=[0, problem.n])
    with pytest.raises(TypeError, match="idx must be an array of integers"):
        problem.hvp(np.zeros(3), np.ones(3), idx=[0.5])
