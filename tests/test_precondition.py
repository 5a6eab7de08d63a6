"""lrtutor.precondition against independent checks: closed forms, numpy.linalg.cond,
hand computations, the Armijo condition itself, finite differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lrtutor import optim, precondition as pc, problems, train


def rotated(lam1, lam2, angle):
    return problems.Quadratic.two_d(lam1, lam2, angle=angle).hessian


# ------------------------------------------------ condition numbers --

@pytest.mark.parametrize("angle", [0.0, 0.3, np.pi / 4, 1.2])
def test_condition_number_without_p_is_numpys(angle):
    H = rotated(1.0, 20.0, angle)
    assert_allclose(pc.preconditioned_condition_number(H), np.linalg.cond(H), rtol=1e-12)


def test_preconditioned_condition_number_is_cond_of_the_transformed_matrix():
    rng = np.random.default_rng(3)
    A, B = rng.standard_normal((2, 5, 5))
    H, P = A @ A.T + 0.1 * np.eye(5), B @ B.T + 0.5 * np.eye(5)
    # independent P^{-1/2}: from a Cholesky-free matrix square root by eig of P^{-1}
    w, V = np.linalg.eigh(np.linalg.inv(P))
    root = V @ np.diag(np.sqrt(w)) @ V.T
    expected = np.linalg.cond(root @ H @ root)
    assert_allclose(pc.preconditioned_condition_number(H, P), expected, rtol=1e-9)
    # same spectrum as P^{-1} H (similar matrices)
    lam = np.sort(np.linalg.eigvals(np.linalg.solve(P, H)).real)
    assert_allclose(np.linalg.eigvalsh(pc.preconditioned_hessian(H, P)), lam, rtol=1e-9)


def test_jacobi_removes_axis_aligned_conditioning_and_not_rotated():
    # axis-aligned: diag(H) = H, so kappa after is exactly 1
    assert_allclose(pc.preconditioned_condition_number(
        np.diag([1.0, 20.0]), pc.jacobi_preconditioner(np.diag([1.0, 20.0]))), 1.0, rtol=1e-12)
    # 45 degrees: diag(H) = (L + mu)/2 I, a multiple of I: kappa unchanged
    H = rotated(1.0, 20.0, np.pi / 4)
    assert_allclose(np.diag(H), [10.5, 10.5], rtol=1e-12)
    assert_allclose(pc.preconditioned_condition_number(H, pc.jacobi_preconditioner(H)),
                    20.0, rtol=1e-12)


@pytest.mark.parametrize("angle", [0.1, 0.5, 0.9])
def test_jacobi_in_two_dimensions_matches_the_hand_formula(angle):
    H = rotated(2.0, 30.0, angle)
    r = abs(H[0, 1]) / np.sqrt(H[0, 0] * H[1, 1])
    assert_allclose(pc.preconditioned_condition_number(H, pc.jacobi_preconditioner(H)),
                    (1 + r) / (1 - r), rtol=1e-10)


def test_preconditioned_hessian_by_hand():
    out = pc.preconditioned_hessian([[4.0, 2.0], [2.0, 9.0]], [[4.0, 0.0], [0.0, 9.0]])
    # diag(1/2, 1/3) H diag(1/2, 1/3): off-diagonal 2 / 6
    assert_allclose(out, [[1.0, 1 / 3], [1 / 3, 1.0]], rtol=1e-12)


# ------------------------------------------------ Hessian and Newton --

def test_hessian_from_hvp_against_finite_differences_of_the_gradient():
    X, y = problems.make_logistic_data(n=50, rng=np.random.default_rng(1))
    lg = problems.LogisticRegression(X, y)
    x, h = np.array([0.3, -0.2, 0.5]), 1e-5
    fd = np.array([(lg.grad(x + h * e) - lg.grad(x - h * e)) / (2 * h) for e in np.eye(3)])
    # central differences: error O(h^2) ~ 1e-10 relative to entries of size ~0.1
    assert_allclose(pc.hessian_from_hvp(lg, x), fd, rtol=1e-7, atol=1e-9)
    assert_allclose(pc.hessian_from_hvp(problems.Rosenbrock(), [0.5, -1.0]),
                    problems.Rosenbrock().hessian_at([0.5, -1.0]), rtol=1e-12)


def test_one_newton_step_solves_a_quadratic():
    q = problems.Quadratic.random(6, L=1e3, mu=1.0, rng=np.random.default_rng(0))
    x = np.arange(6.0)
    new = x + pc.newton_step(q.hessian, q.grad(x))
    assert_allclose(new, q.minimizer, atol=1e-10)
    assert_allclose(pc.newton_step([[2.0, 0.0], [0.0, 4.0]], [1.0, 1.0]), [-0.5, -0.25],
                    rtol=1e-12)


def test_preconditioned_gd_with_p_identity_is_sgd_and_with_p_h_is_newton():
    q = problems.Quadratic.two_d(1.0, 20.0, angle=0.4)
    x0 = [1.0, -0.5]
    a = train.run(q, pc.PreconditionedGD(lr=0.09, P=np.eye(2)), x0, 30)
    b = train.run(q, optim.SGD(lr=0.09), x0, 30)
    assert_allclose(a.params, b.params, rtol=1e-12, atol=1e-15)
    newton = train.run(q, pc.PreconditionedGD(lr=1.0, P=q.hessian), x0, 1)
    assert_allclose(newton.params[1], q.minimizer, atol=1e-14)


def test_preconditioned_gd_contracts_at_the_predicted_rate_and_diverges_past_2_over_l():
    q = problems.Quadratic.two_d(1.0, 20.0, angle=0.3)
    P = pc.jacobi_preconditioner(q.hessian)
    lam = np.linalg.eigvalsh(pc.preconditioned_hessian(q.hessian, P))
    eta = 2 / (lam[0] + lam[-1])
    tr = train.run(q, pc.PreconditionedGD(lr=eta, P=P), [1.0, 1.0], 200)
    # error in the P-norm shrinks by exactly rho each step in the worst direction;
    # measure over the last 100 steps (the slow mode dominates by then)
    err = np.linalg.norm(tr.params - q.minimizer, axis=-1)
    rho = (lam[-1] - lam[0]) / (lam[-1] + lam[0])
    assert_allclose((err[200] / err[100]) ** (1 / 100), rho, rtol=1e-6)
    bad = train.run(q, pc.PreconditionedGD(lr=2.05 / lam[-1], P=P), [1.0, 1.0], 2000)
    assert bad.diverged_at >= 0


def test_preconditioned_gd_runs_a_batch_of_starts():
    opt = pc.PreconditionedGD(lr=0.5, P=np.diag([1.0, 4.0]))
    x = np.array([[1.0, 1.0], [2.0, -1.0]])
    new, state = opt.update(np.ones_like(x), opt.init(x), x)
    assert_allclose(new, x - 0.5 * np.array([1.0, 0.25]), rtol=1e-12)
    assert state.count == 1


# ------------------------------------------------ line searches --

def test_exact_rate_minimises_along_the_line():
    q = problems.Quadratic.two_d(1.0, 20.0, angle=0.7)
    x = np.array([1.0, 0.3])
    g = q.grad(x)
    eta = pc.exact_line_search_rate(q.hessian, g)
    # independent: the derivative of f(x - eta g) in eta is zero there (central difference)
    h = 1e-6
    deriv = (q.loss(x - (eta + h) * g) - q.loss(x - (eta - h) * g)) / (2 * h)
    assert abs(deriv) < 1e-8
    assert q.loss(x - eta * g) < min(q.loss(x - 0.9 * eta * g), q.loss(x - 1.1 * eta * g))
    assert 1 / q.L <= eta <= 1 / q.mu


def test_exact_steepest_descent_zigzags_with_orthogonal_gradients_and_two_rates():
    q = problems.Quadratic.two_d(1.0, 20.0)
    tr = pc.line_search_descent(q, [-1.0, 0.6], 12, rule="exact")
    g = q.grad(tr.params)
    assert_allclose(np.sum(g[1:] * g[:-1], axis=-1), 0.0, atol=1e-12 * np.abs(g).max() ** 2)
    assert_allclose(tr.rates[2:], tr.rates[:-2], rtol=1e-9)     # period two


def test_exact_steepest_descent_worst_case_is_the_kantorovich_bound():
    # start with gradient equally on both eigenvectors: x = (1/mu, 1/L)
    mu, L = 1.0, 20.0
    q = problems.Quadratic.two_d(mu, L)
    tr = pc.line_search_descent(q, [1 / mu, 1 / L], 5, rule="exact")
    assert_allclose(tr.losses[1:] / tr.losses[:-1], ((L - mu) / (L + mu)) ** 2, rtol=1e-10)


def test_armijo_condition_by_hand():
    # f0 = 1, slope -2, c = 0.25, eta = 0.5: bound 1 - 0.25 * 0.5 * 2 = 0.75
    assert pc.armijo_condition(1.0, 0.75, 0.5, -2.0, c=0.25)
    assert not pc.armijo_condition(1.0, 0.7500001, 0.5, -2.0, c=0.25)
    assert not pc.armijo_condition(1.0, float("nan"), 0.5, -2.0)
    assert not pc.armijo_condition(1.0, float("inf"), 0.5, -2.0)


@pytest.mark.parametrize("x", [[-1.2, 1.0], [0.0, 0.0], [1.5, 2.0]])
def test_backtracking_accepts_the_first_rate_that_satisfies_armijo(x):
    rb = problems.Rosenbrock()
    g = rb.grad(x)
    res = pc.backtracking_line_search(rb, x, -g, eta0=1.0, c=1e-4, gamma=0.5)
    assert res.success and res.evaluations == len(res.trials)
    assert_allclose(res.trials, 0.5 ** np.arange(res.evaluations), rtol=0)
    f0, slope = rb.loss(x), -g @ g
    # independent recomputation of the condition at the accepted and previous trials
    assert rb.loss(x - res.rate * g) <= f0 + 1e-4 * res.rate * slope
    if res.evaluations > 1:
        prev = res.trials[-2]
        assert not rb.loss(x - prev * g) <= f0 + 1e-4 * prev * slope


def test_backtracking_reports_failure_instead_of_raising():
    rb = problems.Rosenbrock()
    res = pc.backtracking_line_search(rb, [-1.2, 1.0], -rb.grad([-1.2, 1.0]), eta0=1.0,
                                      max_iter=3)
    assert not res.success and res.evaluations == 3 and res.rate == 0.25


def test_backtracking_on_a_quadratic_by_hand():
    # f = x^2/2 at x = 1, d = -1, slope -1: f(1 - eta) = (1 - eta)^2 / 2 <= 1/2 - c eta
    # holds iff eta <= 2 (1 - c); from eta0 = 8 the trials are 8, 4, 2, 1
    res = pc.backtracking_line_search(problems.Quadratic.one_d(1.0), [1.0], [-1.0], eta0=8.0)
    assert res.trials.tolist() == [8.0, 4.0, 2.0, 1.0] and res.rate == 1.0


def test_damped_newton_converges_where_pure_newton_diverges():
    X, y = problems.make_logistic_data(n=200, rng=np.random.default_rng(0))
    lg = problems.LogisticRegression(X, y)
    pure = pc.line_search_descent(lg, [2.0, -2.0, 2.0], 15, direction="newton", rule="fixed")
    assert pure.status.startswith("diverged")
    damped = pc.line_search_descent(lg, [2.0, -2.0, 2.0], 30, direction="newton", tol=1e-10)
    assert damped.status.startswith("converged")
    # the minimiser of the log-loss: gradient descent run long, from a different method
    gd = train.run(lg, optim.SGD(lr=1 / lg.L), [0.0, 0.0, 0.0], 3000)
    assert_allclose(damped.params[-1], gd.params[-1], atol=1e-8)
    # near the solution the full step is accepted (quadratic convergence)
    assert damped.rates[-1] == 1.0


def test_line_search_descent_records_rates_and_costs():
    q = problems.Quadratic.two_d(1.0, 20.0)
    tr = pc.line_search_descent(q, [-1.0, 0.6], 10, rule="backtracking", eta0=1.0)
    assert tr.steps == 10 and tr.params.shape == (11, 2) and tr.grad_norms.shape == (11,)
    assert np.all(np.diff(tr.losses) < 0)
    # every rate is eta0 * gamma^k with k + 1 evaluations
    assert_allclose(tr.rates, 0.5 ** (tr.evaluations - 1), rtol=0)
    fixed = pc.line_search_descent(q, [-1.0, 0.6], 10, rule="fixed", eta0=0.09)
    ref = train.run(q, optim.SGD(lr=0.09), [-1.0, 0.6], 10)
    assert_allclose(fixed.params, ref.params, rtol=1e-12, atol=1e-15)
    assert fixed.evaluations.sum() == 0


def test_divergence_is_reported_not_raised():
    q = problems.Quadratic.two_d(1.0, 20.0)
    tr = pc.line_search_descent(q, [1.0, 1.0], 500, rule="fixed", eta0=0.2)
    assert tr.status.startswith("diverged at step") and np.all(np.isfinite(tr.losses))


# ------------------------------------------------ bad input --

def test_bad_arguments_name_the_parameter():
    H = np.diag([1.0, 2.0])
    with pytest.raises(ValueError, match="H must be symmetric"):
        pc.preconditioned_condition_number([[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="P must be positive definite"):
        pc.preconditioned_condition_number(H, np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match="P must have the shape"):
        pc.preconditioned_hessian(H, np.eye(3))
    with pytest.raises(ValueError, match="H must be a square"):
        pc.jacobi_preconditioner(np.ones((2, 3)))
    with pytest.raises(ValueError, match="g must have shape"):
        pc.newton_step(H, [1.0])
    with pytest.raises(ValueError, match="lr must be"):
        pc.PreconditionedGD(lr=0.0, P=H)
    with pytest.raises(TypeError, match="state must be"):
        pc.PreconditionedGD(lr=0.1, P=H).update(np.ones(2), -1, np.ones(2))
    with pytest.raises(ValueError, match="grads and params must have the same shape"):
        opt = pc.PreconditionedGD(lr=0.1, P=H)
        opt.update(np.ones(3), opt.init(np.ones(3)), np.ones(3))
    with pytest.raises(ValueError, match="d must be a descent direction"):
        pc.exact_line_search_rate(H, [1.0, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="g must not be zero"):
        pc.exact_line_search_rate(H, [0.0, 0.0])
    with pytest.raises(ValueError, match="c must be"):
        pc.armijo_condition(1.0, 0.5, 1.0, -1.0, c=1.0)
    with pytest.raises(ValueError, match="slope must be"):
        pc.armijo_condition(1.0, 0.5, 1.0, 1.0)
    with pytest.raises(TypeError, match="f_eta"):
        pc.armijo_condition(1.0, "0.5", 1.0, -1.0)
    q = problems.Quadratic.two_d(1.0, 2.0)
    with pytest.raises(ValueError, match="d must be a descent direction"):
        pc.backtracking_line_search(q, [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="gamma must be"):
        pc.backtracking_line_search(q, [1.0, 1.0], [-1.0, -1.0], gamma=1.0)
    with pytest.raises(ValueError, match="max_iter must be"):
        pc.backtracking_line_search(q, [1.0, 1.0], [-1.0, -1.0], max_iter=0)
    with pytest.raises(ValueError, match="rule must be one of"):
        pc.line_search_descent(q, [1.0, 1.0], 3, rule="wolfe")
    with pytest.raises(ValueError, match="rule='exact' needs"):
        pc.line_search_descent(problems.Rosenbrock(), [1.0, 1.0], 3, rule="exact")
    with pytest.raises(TypeError, match="problem must have"):
        pc.line_search_descent(object(), [1.0, 1.0], 3)
    with pytest.raises(TypeError, match="hvp"):
        pc.hessian_from_hvp(object(), [1.0])
