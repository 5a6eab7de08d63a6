"""Tests of lrtutor.diagnostics.

Expected values come from closed forms (the spectrum a Quadratic is built
from), from dense Hessians built here independently (a sample loop for
logistic regression, central finite differences of the gradient for
Rosenbrock and the network) and diagonalised with numpy's eigvalsh, from the
Kaniel-Paige-Saad bound of Lanczos theory, from hand computations, and from
PyTorch 2.13's ``clip_grad_norm_`` (recorded in tests/golden/diagnostics.json
by tests/golden/record_diagnostics.py, re-checked live when torch is
installed).
"""

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lrtutor import diagnostics as D
from lrtutor.diagnostics import clip_grad_norm, global_norm, sharpness, update_ratio
from lrtutor.problems import (LinearRegression, LogisticRegression, Quadratic, Rosenbrock,
                              make_linear_data, make_logistic_data)

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))
import record_diagnostics as R  # noqa: E402

GOLDEN = json.loads((GOLDEN_DIR / "diagnostics.json").read_text())


@pytest.fixture(autouse=True)
def no_warnings():
    """Every test here runs with warnings as errors: no RuntimeWarning may escape."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def start_vector(d, seed=D.DEFAULT_SEED):
    """The documented start vector: rng.standard_normal(d), normalised."""
    v = np.random.default_rng(seed).standard_normal(d)
    return v / np.linalg.norm(v)


def random_quadratic(rng, d):
    """Eigenvalues uniform in [0.1, 10] (random gaps), random orthogonal basis."""
    lam = rng.uniform(0.1, 10.0, d)
    basis = np.linalg.qr(rng.standard_normal((d, d)))[0]
    return Quadratic(lam, basis=basis, minimizer=rng.standard_normal(d))


def kps_bound(q, v0, k):
    """Kaniel-Paige-Saad: relative error of the top Ritz value after k Lanczos steps.

    (lam1 - theta) / lam1 <= (lam1 - lamd) / lam1 * (tan(v0, u1) / T_{k-1}(1 + 2 gamma))^2,
    gamma = (lam1 - lam2) / (lam2 - lamd), T_j(t) = cosh(j arccosh t) for t >= 1.
    """
    lam = q.eigenvalues[::-1]
    if lam.size <= k:
        return 0.0                               # Krylov space is all of R^d: exact
    c = abs(q.basis[:, -1] @ v0)
    tan = np.sqrt(1 - c * c) / c
    gamma = (lam[0] - lam[1]) / (lam[1] - lam[-1])
    cheb = np.cosh((k - 1) * np.arccosh(1 + 2 * gamma))
    return (lam[0] - lam[-1]) / lam[0] * (tan / cheb) ** 2


def logistic_dense_hessian(problem, theta):
    """Sum over samples of p(1-p) x x^T / n, written out."""
    H = np.zeros((problem.dim, problem.dim))
    for xi in problem.design:
        p = 1.0 / (1.0 + np.exp(-(xi @ theta)))
        H += p * (1 - p) * np.outer(xi, xi)
    return H / problem.n


def fd_hessian(problem, x, h=1e-5):
    """Dense Hessian from central differences of grad, symmetrised (error ~1e-9 relative)."""
    d = x.size
    H = np.empty((d, d))
    for j in range(d):
        e = np.zeros(d)
        e[j] = h
        H[:, j] = (problem.grad(x + e) - problem.grad(x - e)) / (2 * h)
    return (H + H.T) / 2


class CountingProblem:
    """Wraps a problem and counts hvp calls (and the shapes they see)."""

    def __init__(self, problem):
        self.problem, self.dim, self.calls = problem, problem.dim, []

    def hvp(self, x, v):
        self.calls.append(np.shape(v))
        return self.problem.hvp(x, v)


# --------------------------------------------------------------------------
# sharpness: against closed forms and dense Hessians
# --------------------------------------------------------------------------

@pytest.mark.parametrize("d", [1, 2, 3, 5, 10, 16, 20])
def test_sharpness_is_L_of_quadratic_exactly_when_d_le_iters(d):
    # With d <= iters the Krylov space is all of R^d, so T_d is H in an
    # orthonormal basis (orthonormal to rounding, by the reorthogonalisation):
    # the top eigenvalue is exact up to a few eps * ||H||.
    rng = np.random.default_rng(100 + d)
    for _ in range(5):
        q = random_quadratic(rng, d)
        x = rng.standard_normal(d)               # the Hessian is the same everywhere
        assert_allclose(sharpness(q, x), q.L, rtol=1e-12)
        assert_allclose(sharpness(q, x, iters=d), q.L, rtol=1e-12)


@pytest.mark.parametrize("d", [25, 30, 40, 50])
def test_sharpness_of_quadratic_within_kaniel_paige_saad_bound(d):
    # d > iters: the Ritz value lies below L and above L minus the KPS bound,
    # computed from the known spectrum and the documented start vector.
    rng = np.random.default_rng(200 + d)
    errors = []
    for _ in range(5):
        q = random_quadratic(rng, d)
        s = sharpness(q, np.zeros(d))
        err = (q.L - s) / q.L
        assert -1e-13 <= err <= kps_bound(q, start_vector(d), 20) + 1e-13
        errors.append(err)
    # documented in sharpness's Notes: at most 2e-5 on these 20 spectra at iters=20
    assert max(errors) < 2e-5


def test_sharpness_documented_accuracy_and_power_iteration():
    # Notes of sharpness: 50-dim log-spaced spectrum 1..100, iters=20
    q = Quadratic.random(50, L=100.0, mu=1.0, rng=np.random.default_rng(0))
    lanczos = sharpness(q, np.zeros(50))
    power = sharpness(q, np.zeros(50), method="power")
    assert abs(lanczos - 100.0) / 100.0 < 1e-13
    assert 1e-2 < (100.0 - power) / 100.0 < 1e-1            # documented: 4e-2
    # power iteration converges too, just slowly: error ~ (lam2/lam1)^(2k)
    assert (100.0 - sharpness(q, np.zeros(50), method="power", iters=400)) / 100 < 1e-6
    # more Lanczos steps never hurt (Krylov spaces are nested)
    errs = [100.0 - sharpness(q, np.zeros(50), iters=k) for k in (2, 5, 10)]
    assert errs[0] >= errs[1] >= errs[2] >= -1e-12


def test_sharpness_of_logistic_regression_equals_dense_hessian_top_eigenvalue():
    rng = np.random.default_rng(31)
    # d = 3 <= iters: exact
    small = LogisticRegression(*make_logistic_data(n=60, rng=np.random.default_rng(5)))
    for theta in rng.standard_normal((4, 3)):
        top = np.linalg.eigvalsh(logistic_dense_hessian(small, theta))[-1]
        assert_allclose(sharpness(small, theta), top, rtol=1e-12)
        assert sharpness(small, theta) <= small.L * (1 + 1e-12)     # L is an upper bound
    # d = 31 > iters: documented accuracy at iters=20 below 1e-11 (measured 2.5e-12)
    big = LogisticRegression(*make_logistic_data(n=200, weights=np.linspace(-1, 1, 30),
                                                 rng=np.random.default_rng(1)))
    theta = 0.3 * np.random.default_rng(2).standard_normal(31)
    top = np.linalg.eigvalsh(logistic_dense_hessian(big, theta))[-1]
    assert_allclose(sharpness(big, theta), top, rtol=1e-11)
    assert_allclose(sharpness(big, theta, iters=31), top, rtol=1e-12)
    assert abs(sharpness(big, theta, method="power") - top) / top > 1e-2   # documented 3e-2


def test_sharpness_of_linear_regression_is_L():
    problem = LinearRegression(*make_linear_data())
    assert_allclose(sharpness(problem, [0.0, 0.0]), problem.L, rtol=1e-12)


def test_sharpness_of_rosenbrock_equals_finite_difference_hessian():
    r = Rosenbrock(a=1.0, b=100.0)
    for point in ([1.0, 1.0], [-1.2, 1.0], [0.3, -0.4]):
        x = np.array(point)
        top = np.linalg.eigvalsh(fd_hessian(r, x))[-1]
        assert_allclose(sharpness(r, x), top, rtol=1e-8)
        assert_allclose(sharpness(r, x), np.linalg.eigvalsh(r.hessian_at(x))[-1], rtol=1e-12)
    # at the minimizer by hand: eigenvalues of [[802, -400], [-400, 200]]
    assert_allclose(sharpness(r, [1.0, 1.0]), 501.0 + np.sqrt(301.0 ** 2 + 400.0 ** 2),
                    rtol=1e-12)


def test_power_iteration_finds_largest_magnitude_lanczos_largest_value():
    # Rosenbrock at (0, 1): H = [[2 - 4b, 0], [0, 2b]] = diag(-398, 200), a saddle
    # of the Hessian (indefinite). The sharpness is 200; power iteration finds
    # -398, the eigenvalue of largest magnitude.
    r = Rosenbrock()
    assert r.hessian_at([0.0, 1.0]).tolist() == [[-398.0, 0.0], [0.0, 200.0]]
    assert_allclose(sharpness(r, [0.0, 1.0]), 200.0, rtol=1e-12)
    # power error ~ (200/398)^(2k), k = 20: 1e-12
    assert_allclose(sharpness(r, [0.0, 1.0], method="power"), -398.0, rtol=1e-9)
    # a non-diagonal indefinite point: (0.1, 1.5), det = 4b - 8b^2 (y - x^2) < 0
    x = np.array([0.1, 1.5])
    lam = np.linalg.eigvalsh(r.hessian_at(x))
    assert lam[0] < 0 < lam[1] < -lam[0]
    assert_allclose(sharpness(r, x), lam[1], rtol=1e-12)
    assert_allclose(sharpness(r, x, method="power", iters=60), lam[0], rtol=1e-9)
    # on a convex problem the two agree (all eigenvalues >= 0)
    q = Quadratic.two_d(1.0, 10.0, angle=0.4)
    assert_allclose(sharpness(q, [0.0, 0.0], method="power", iters=60), 10.0, rtol=1e-12)


def test_sharpness_with_one_step_is_rayleigh_quotient_of_start_vector():
    q = Quadratic.random(8, L=10.0, mu=1.0, rng=np.random.default_rng(4))
    v0 = start_vector(8)
    assert_allclose(sharpness(q, np.zeros(8), iters=1), v0 @ q.hessian @ v0, rtol=1e-12)
    assert_allclose(sharpness(q, np.zeros(8), iters=1, method="power"), v0 @ q.hessian @ v0,
                    rtol=1e-12)
    rng = np.random.default_rng(7)
    v7 = rng.standard_normal(8)
    v7 /= np.linalg.norm(v7)
    assert_allclose(sharpness(q, np.zeros(8), iters=1, rng=np.random.default_rng(7)),
                    v7 @ q.hessian @ v7, rtol=1e-12)


def test_lanczos_stops_at_breakdown():
    # two distinct eigenvalues: the Krylov space has dimension 2, so Lanczos
    # stops after 2 hvp calls, with the exact answer
    q = CountingProblem(Quadratic([2.0, 2.0, 2.0, 7.0, 7.0],
                                  basis=np.linalg.qr(np.random.default_rng(3)
                                                     .standard_normal((5, 5)))[0]))
    assert_allclose(sharpness(q, np.zeros(5)), 7.0, rtol=1e-12)
    assert len(q.calls) == 2
    # a multiple of the identity: one call
    q = CountingProblem(Quadratic([3.0] * 30))
    assert_allclose(sharpness(q, np.zeros(30)), 3.0, rtol=1e-12)
    assert len(q.calls) == 1
    # in a batch, one run's breakdown does not stop the others
    mixed = CountingProblem(Quadratic.random(30, L=5.0, mu=1.0, rng=np.random.default_rng(0)))
    assert len(sharpness(mixed, np.zeros((2, 30)))) == 2
    assert len(mixed.calls) == 20 and mixed.calls[0] == (2, 30)


def test_sharpness_calls_hvp_once_per_step_for_the_whole_batch():
    q = CountingProblem(Quadratic.random(40, L=5.0, mu=1.0, rng=np.random.default_rng(0)))
    sharpness(q, np.zeros((3, 2, 40)), iters=7)
    assert q.calls == [(3, 2, 40)] * 7
    q.calls.clear()
    sharpness(q, np.zeros((3, 40)), iters=7, method="power")
    assert q.calls == [(3, 40)] * 7


def test_return_vector_is_a_unit_eigenvector():
    q = Quadratic.random(12, L=20.0, mu=1.0, rng=np.random.default_rng(6))
    value, u = sharpness(q, np.zeros(12), return_vector=True)
    assert isinstance(value, float) and u.shape == (12,)
    assert_allclose(np.linalg.norm(u), 1.0, rtol=1e-12)
    assert_allclose(abs(u @ q.basis[:, -1]), 1.0, rtol=1e-12)        # +- top eigenvector
    assert_allclose(q.hessian @ u, value * u, atol=1e-12 * q.L)
    r = Rosenbrock()
    x = np.array([[1.0, 1.0], [0.0, 1.0], [np.nan, 1.0]])
    values, vectors = sharpness(r, x, return_vector=True)
    assert vectors.shape == (3, 2)
    for i in range(2):
        assert_allclose(r.hessian_at(x[i]) @ vectors[i], values[i] * vectors[i],
                        atol=1e-10 * abs(values[i]))
    assert np.all(np.isnan(vectors[2]))
    values, vectors = sharpness(r, x, return_vector=True, method="power", iters=80)
    assert_allclose(r.hessian_at(x[1]) @ vectors[1], values[1] * vectors[1], atol=1e-8)
    assert_allclose(values[1], -398.0, rtol=1e-12)
    assert np.all(np.isnan(vectors[2]))


# --------------------------------------------------------------------------
# sharpness: batches, diverged runs, reproducibility, mini-batches
# --------------------------------------------------------------------------

BATCH = [Quadratic.random(30, L=50.0, mu=0.5, rng=np.random.default_rng(1)),
         Rosenbrock(),
         LogisticRegression(*make_logistic_data(n=80, weights=np.linspace(-2, 2, 25)))]


@pytest.mark.parametrize("problem", BATCH, ids=["quadratic", "rosenbrock", "logistic"])
@pytest.mark.parametrize("method", ["lanczos", "power"])
def test_batched_sharpness_equals_separate_calls(problem, method):
    xs = np.random.default_rng(9).uniform(-1, 1, size=(2, 3, problem.dim))
    batched = sharpness(problem, xs, method=method)
    assert batched.shape == (2, 3) and batched.dtype == np.float64
    for i in range(2):
        for j in range(3):
            single = sharpness(problem, xs[i, j], method=method)
            assert isinstance(single, float)
            assert_allclose(batched[i, j], single, rtol=1e-12)
    values, vectors = sharpness(problem, xs, method=method, return_vector=True)
    assert_allclose(values, batched, rtol=0)
    assert vectors.shape == xs.shape


@pytest.mark.parametrize("problem", BATCH, ids=["quadratic", "rosenbrock", "logistic"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", ["lanczos", "power"])
def test_a_diverged_run_gives_nan_only_there(problem, bad, method):
    xs = np.random.default_rng(10).uniform(-1, 1, size=(4, problem.dim))
    clean = sharpness(problem, xs, method=method)
    xs[2, 0] = bad
    out = sharpness(problem, xs, method=method)          # warnings are errors here
    assert np.isnan(out[2]) and np.all(np.isfinite(out[[0, 1, 3]]))
    assert np.array_equal(out[[0, 1, 3]], clean[[0, 1, 3]])
    assert np.isnan(sharpness(problem, xs[2], method=method))


def test_hvp_overflow_gives_nan_for_that_run():
    # finite parameters whose Hessian-vector products overflow (1e200^2)
    x = np.array([[1.0, 1.0], [1e200, 1e200], [1e100, 0.0]])
    out = sharpness(Rosenbrock(), x)
    assert np.isfinite(out[0]) and np.isnan(out[1]) and np.isnan(out[2])
    assert np.isnan(sharpness(Rosenbrock(), x, method="power")[1])


def test_sharpness_is_reproducible_and_rng_only_moves_the_start():
    q = Quadratic.random(45, L=50.0, mu=0.5, rng=np.random.default_rng(2))
    a = sharpness(q, np.zeros(45))
    assert sharpness(q, np.zeros(45)) == a
    assert sharpness(q, np.zeros(45), rng=np.random.default_rng(D.DEFAULT_SEED)) == a
    b = sharpness(q, np.zeros(45), rng=np.random.default_rng(5))
    assert b != a and abs(b - q.L) / q.L < 1e-6


def test_sharpness_of_a_mini_batch():
    X, y = make_logistic_data(n=50, weights=(1.0, -1.0, 0.5), rng=np.random.default_rng(3))
    problem = LogisticRegression(X, y)
    idx = np.array([1, 4, 4, 9, 20, 33])
    sub = LogisticRegression(X[idx], y[idx])              # built independently
    theta = np.array([0.2, -0.5, 0.7, 0.1])
    assert_allclose(sharpness(problem, theta, idx=idx), sharpness(sub, theta), rtol=1e-12)
    assert sharpness(problem, theta, idx=idx) != sharpness(problem, theta)
    with pytest.raises(TypeError, match="idx must be None for Quadratic"):
        sharpness(Quadratic.one_d(1.0), [0.0], idx=[0])
    with pytest.raises(ValueError, match="idx must have every entry"):
        sharpness(problem, theta, idx=[0, 50])


def test_sharpness_bad_inputs():
    q = Quadratic.two_d(1.0, 2.0)
    with pytest.raises(TypeError, match="problem must have a method hvp"):
        sharpness(object(), [0.0, 0.0])
    with pytest.raises(ValueError, match=r"x must be an array of shape \(\.\.\., 2\)"):
        sharpness(q, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"x must be an array of shape"):
        sharpness(q, 1.0)
    with pytest.raises(ValueError, match="iters must be an integer >= 1, got 0"):
        sharpness(q, [0.0, 0.0], iters=0)
    with pytest.raises(TypeError, match="iters must be an integer"):
        sharpness(q, [0.0, 0.0], iters=2.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        sharpness(q, [0.0, 0.0], rng=0)
    with pytest.raises(TypeError, match="return_vector must be True or False"):
        sharpness(q, [0.0, 0.0], return_vector=1)
    with pytest.raises(ValueError, match="method must be one of 'lanczos', 'power'"):
        sharpness(q, [0.0, 0.0], method="arnoldi")
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        sharpness(q, ["a", "b"])

    class Wrong:
        dim = 2

        def hvp(self, x, v):
            return np.zeros(3)
    with pytest.raises(ValueError, match="problem.hvp must return an array of shape"):
        sharpness(Wrong(), [0.0, 0.0])


def test_sharpness_of_empty_batch():
    assert sharpness(Rosenbrock(), np.zeros((0, 2))).shape == (0,)


# --------------------------------------------------------------------------
# global_norm and clip_grad_norm
# --------------------------------------------------------------------------

def test_global_norm_by_hand():
    assert global_norm([3.0, 4.0]) == 5.0
    assert global_norm([[3.0, 4.0], [0.0, 0.0]]).tolist() == [5.0, 0.0]
    out = global_norm(np.array([[[1.0, 2.0, 2.0]], [[-1e200, 0.0, 0.0]], [[np.inf, 0.0, 1.0]],
                                [[np.nan, 0.0, 1.0]], [[np.inf, np.nan, 0.0]]]))
    assert out.shape == (5, 1)
    assert out[:, 0].tolist()[:3] == [3.0, np.inf, np.inf] and np.all(np.isnan(out[3:]))
    with pytest.raises(ValueError, match=r"grads must be an array of shape \(\.\.\., d\)"):
        global_norm(1.0)


def test_clip_grad_norm_by_hand():
    grads = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    clipped, norm = clip_grad_norm(grads, max_norm=1.0)
    assert norm.tolist() == [5.0, 0.5, 0.0]
    c = 1.0 * (1.0 / (5.0 + 1e-6))              # torch: max_norm * reciprocal(norm + 1e-6)
    assert clipped[0].tolist() == [3.0 * c, 4.0 * c]
    assert_allclose(clipped[0], [0.6, 0.8], rtol=1e-6)          # the 1e-6 costs 2e-7
    # below the threshold the coefficient is exactly 1: equal bit for bit
    assert clipped[1].tolist() == [0.3, 0.4] and clipped[2].tolist() == [0.0, 0.0]
    assert clipped is not grads and not np.shares_memory(clipped, grads)
    # a norm exactly at max_norm is still scaled, by max_norm / (max_norm + 1e-6)
    clipped, norm = clip_grad_norm([0.6, 0.8], max_norm=1.0)
    assert float(norm) == 1.0 and clipped.tolist() == [0.6 * (1 / 1.000001), 0.8 * (1 / 1.000001)]
    # one run: shapes (d,) -> (d,) and ()
    clipped, norm = clip_grad_norm([3.0, 4.0], max_norm=10.0)
    assert clipped.shape == (2,) and np.ndim(norm) == 0 and clipped.tolist() == [3.0, 4.0]


def test_clip_grad_norm_nonfinite_as_torch():
    grads = np.array([[1.0, np.inf, -2.0], [1.0, np.nan, -2.0], [-1e200, 1e200, 3.0],
                      [np.inf, -np.inf, 0.0], [1.0, 2.0, 2.0]])
    clipped, norm = clip_grad_norm(grads, max_norm=1.0)
    assert norm[0] == np.inf and np.isnan(norm[1]) and norm[2] == np.inf and norm[3] == np.inf
    # inf norm: coefficient 0; finite entries 0 (sign kept), inf entries inf * 0 = nan
    assert np.isnan(clipped[0, 1]) and clipped[0, [0, 2]].tolist() == [0.0, -0.0]
    assert np.signbit(clipped[0, 2]) and not np.signbit(clipped[0, 0])
    assert np.all(np.isnan(clipped[1]))                       # nan norm: all nan
    assert clipped[2].tolist() == [-0.0, 0.0, 0.0]             # squares overflow: norm inf
    assert np.all(np.isnan(clipped[3, :2])) and clipped[3, 2] == 0.0
    assert_allclose(clipped[4], np.array([1.0, 2.0, 2.0]) * (1 / (3 + 1e-6)), rtol=0)


def test_clip_grad_norm_bad_inputs():
    with pytest.raises(ValueError, match="max_norm must be a finite number > 0, got 0"):
        clip_grad_norm([1.0], 0.0)
    with pytest.raises(ValueError, match="max_norm must be a finite number > 0"):
        clip_grad_norm([1.0], np.inf)
    with pytest.raises(ValueError, match="max_norm must be a finite number > 0"):
        clip_grad_norm([1.0], -1.0)
    with pytest.raises(TypeError, match="max_norm must be a real number"):
        clip_grad_norm([1.0], "1")
    with pytest.raises(TypeError, match="grads must be an array of real numbers"):
        clip_grad_norm(["a"], 1.0)
    with pytest.raises(ValueError, match="grads must be an array of shape"):
        clip_grad_norm(2.0, 1.0)


CLIP_CASES = R.clip_cases()


def same_bits(a, b):
    """Equal as floats, NaN where NaN, same sign of zero (JSON does not keep NaN's sign)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    nan = np.isnan(a)
    return (np.array_equal(nan, np.isnan(b)) and np.array_equal(a[~nan], b[~nan])
            and np.array_equal(np.signbit(a[~nan]), np.signbit(b[~nan])))


def test_golden_clip_cases_are_the_recorded_ones():
    assert GOLDEN["versions"]["torch"].startswith("2.13")
    assert GOLDEN["seed"] == [R.SEED, R.N_RANDOM] and len(GOLDEN["cases"]) == len(CLIP_CASES)
    for (grads, max_norm, splits), rec in zip(CLIP_CASES, GOLDEN["cases"]):
        assert rec["shape"] == list(grads.shape) and rec["max_norm"] == max_norm, \
            "the draw changed: re-run tests/golden/record_diagnostics.py"
        assert rec["splits"] == splits and rec["checksum"] == R.checksum(grads)


@pytest.mark.parametrize("index", range(len(CLIP_CASES)))
def test_clip_grad_norm_matches_recorded_torch(index):
    grads, max_norm, _ = CLIP_CASES[index]
    rec = GOLDEN["cases"][index]
    clipped, norm = clip_grad_norm(grads, max_norm)
    for key_norm, key_clip in (("total_norm", "clipped"), ("split_total_norm", "split_clipped")):
        ref_norm, ref_clip = np.array(rec[key_norm]), np.array(rec[key_clip])
        # the norm: torch sums the squares in another order (measured: <= 1 ulp, 2e-16)
        assert same_bits(np.isfinite(norm), np.isfinite(ref_norm))
        fin = np.isfinite(ref_norm)
        assert_allclose(norm[fin], ref_norm[fin], rtol=1e-15, atol=0)
        assert same_bits(norm[~fin], ref_norm[~fin])
        assert_allclose(clipped, ref_clip, rtol=1e-15, atol=0, equal_nan=True)
        assert same_bits(np.signbit(clipped[~np.isnan(clipped)]),
                         np.signbit(ref_clip[~np.isnan(ref_clip)]))
        # given torch's own norm, the clipped gradients are torch's bit for bit
        with np.errstate(invalid="ignore"):
            ours = grads * D._clip_coefficient(ref_norm, max_norm)[:, None]
        assert same_bits(ours, ref_clip)
    # below the threshold (norm + 1e-6 <= max_norm) the run is returned unchanged
    below = np.asarray(rec["total_norm"]) + 1e-6 <= max_norm
    assert same_bits(clipped[below], grads[below])


def test_golden_cases_cover_the_edges():
    norms = np.concatenate([c["total_norm"] for c in GOLDEN["cases"]])
    maxes = np.concatenate([[c["max_norm"]] * c["shape"][0] for c in GOLDEN["cases"]])
    fin = np.isfinite(norms)
    assert np.sum(norms[fin] + 1e-6 <= maxes[fin]) >= 10          # unchanged runs
    assert np.sum(norms[fin] > maxes[fin]) >= 10                  # clipped runs
    assert np.sum(norms == 0) >= 4 and np.sum(np.isinf(norms)) >= 8 and np.isnan(norms).sum() >= 3


def test_clip_grad_norm_matches_live_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(99)
    for _ in range(300):
        d, k = int(rng.integers(1, 60)), int(rng.integers(1, 4))
        grads = rng.standard_normal((k, d)) * 10.0 ** rng.uniform(-6, 6, size=(k, 1))
        if rng.random() < 0.2:
            grads[0, rng.integers(d)] = rng.choice([np.inf, -np.inf, np.nan])
        max_norm = float(10.0 ** rng.uniform(-3, 3))
        clipped, norm = clip_grad_norm(grads, max_norm)
        for i in range(k):
            ref_norm, ref_clip = R.torch_clip(torch, grads[i], max_norm)
            if np.isfinite(ref_norm):
                assert_allclose(norm[i], ref_norm, rtol=1e-15, atol=0)
                assert_allclose(clipped[i], ref_clip, rtol=1e-15, atol=0)
            else:
                assert same_bits(norm[i], ref_norm)
            with np.errstate(invalid="ignore"):
                ours = grads[i] * D._clip_coefficient(ref_norm, max_norm)
            assert same_bits(ours, ref_clip)


# --------------------------------------------------------------------------
# update_ratio
# --------------------------------------------------------------------------

class TwoLayers:
    """A stand-in with the network's unflatten: W1 (2x2), b1 (2), W2 (2x1), b2 (1)."""
    dim = 9

    def unflatten(self, x):
        x = np.asarray(x)
        lead = x.shape[:-1]
        return [(x[..., 0:4].reshape(lead + (2, 2)), x[..., 4:6]),
                (x[..., 6:8].reshape(lead + (2, 1)), x[..., 8:9])]


def test_update_ratio_whole_vector_by_hand():
    q = Quadratic.two_d(1.0, 2.0)
    out = update_ratio(q, [3.0, 4.0], [3.003, 4.004])      # |dx| = 0.005, |x| = 5
    assert out.shape == (1,)
    assert_allclose(out, [1e-3], rtol=1e-10)
    out = update_ratio(q, [[3.0, 4.0], [0.0, 0.0], [0.0, 0.0], [np.nan, 1.0]],
                       [[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    assert out.shape == (4, 1)
    assert out[0, 0] == 1.0 and out[1, 0] == np.inf and out[2, 0] == 0.0 and np.isnan(out[3, 0])


def test_update_ratio_per_layer_on_weights_only():
    before = np.array([3.0, 0.0, 0.0, 4.0, 7.0, 7.0, 1.0, 0.0, 5.0])
    after = before.copy()
    after[0] += 0.005                          # layer 1 weights: |dW1| = 0.005, |W1| = 5
    after[4:6] += 100.0                        # biases move a lot: not counted
    after[7] += 0.5                            # layer 2 weights: |dW2| = 0.5, |W2| = 1
    out = update_ratio(TwoLayers(), before, after)
    assert out.shape == (2,)
    assert_allclose(out, [1e-3, 0.5], rtol=1e-12)
    batch = update_ratio(TwoLayers(), np.stack([before, before]), np.stack([after, before]))
    assert batch.shape == (2, 2) and batch[1].tolist() == [0.0, 0.0]
    assert_allclose(batch[0], out, rtol=0)
    # zero weights in a layer: inf if they moved, 0 if not (a layer that did not move)
    zero = before.copy()
    zero[6:8] = 0.0
    moved = zero.copy()
    moved[6] = 1.0
    assert update_ratio(TwoLayers(), zero, moved)[1] == np.inf
    assert update_ratio(TwoLayers(), zero, zero)[1] == 0.0


def test_update_ratio_bad_inputs():
    q = Quadratic.two_d(1.0, 2.0)
    with pytest.raises(ValueError, match=r"x_after must have the shape of x_before"):
        update_ratio(q, np.zeros((2, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"x_before must be an array of shape \(\.\.\., 2\)"):
        update_ratio(q, [1.0], [1.0])
    with pytest.raises(ValueError, match=r"x_after must be an array of shape \(\.\.\., 9\)"):
        update_ratio(TwoLayers(), np.ones(9), np.ones(8))
    with pytest.raises(TypeError, match="x_before must be an array of real numbers"):
        update_ratio(q, "ab", [1.0, 2.0])

    class NotCallable:
        unflatten = 3
    with pytest.raises(TypeError, match="problem.unflatten must be callable"):
        update_ratio(NotCallable(), [1.0], [1.0])


# --------------------------------------------------------------------------
# The network (lrtutor.network.MLP)
# --------------------------------------------------------------------------

def tiny_network(activation="tanh", hidden=(4,), loss="cross_entropy", l2=0.0):
    network = pytest.importorskip("lrtutor.network")
    rng = np.random.default_rng(40)
    X = rng.standard_normal((12, 3))
    y = np.arange(12) % 3
    return network.MLP(X, y, hidden=hidden, activation=activation, loss=loss, l2=l2)


@pytest.mark.parametrize("activation,loss,l2", [("tanh", "cross_entropy", 0.0),
                                                ("tanh", "squared_error", 0.1),
                                                ("relu", "cross_entropy", 0.0)])
def test_sharpness_of_tiny_network_equals_finite_difference_hessian(activation, loss, l2):
    net = tiny_network(activation, loss=loss, l2=l2)
    assert net.dim == 31
    x = np.random.default_rng(41).standard_normal(net.dim)   # weights and biases
    lam = np.linalg.eigvalsh(fd_hessian(net, x))
    # finite differences of an exact gradient: ~1e-9 relative (ReLU: piecewise
    # smooth, no kink is crossed at this point with h = 1e-5)
    assert_allclose(sharpness(net, x, iters=net.dim), lam[-1], rtol=1e-7)
    assert_allclose(sharpness(net, x), lam[-1], rtol=1e-7)   # 20 < d = 31 steps
    # documented accuracy at iters=20, against the Hessian assembled from hvp
    # columns (the operator Lanczos sees): below 2e-15
    H = np.column_stack([net.hvp(x, e) for e in np.eye(net.dim)])
    assert_allclose(sharpness(net, x), np.linalg.eigvalsh((H + H.T) / 2)[-1], rtol=2e-15)
    # the network's Hessian is indefinite; power iteration converges to the
    # eigenvalue of largest magnitude (here the positive end, by a few percent)
    assert lam[0] < 0 < lam[-1]
    largest_magnitude = lam[np.argmax(np.abs(lam))]
    assert_allclose(sharpness(net, x, method="power", iters=500), largest_magnitude, rtol=1e-7)


def test_sharpness_of_network_batched_and_per_run_minibatch():
    net = tiny_network()
    xs = np.random.default_rng(42).standard_normal((3, net.dim))
    batched = sharpness(net, xs)
    for i in range(3):
        assert_allclose(batched[i], sharpness(net, xs[i]), rtol=1e-12)
    idx = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])      # rows per run
    per_run = sharpness(net, xs, idx=idx)
    for i in range(3):
        assert_allclose(per_run[i], sharpness(net, xs[i], idx=idx[i]), rtol=1e-12)
    xs[1, 0] = np.nan
    out = sharpness(net, xs)
    assert np.isnan(out[1]) and np.array_equal(out[[0, 2]], batched[[0, 2]])


def test_update_ratio_uses_the_network_layers():
    net = tiny_network(hidden=(5, 4))
    rng = np.random.default_rng(43)
    before = rng.standard_normal((2, net.dim))
    after = before + 1e-3 * rng.standard_normal(before.shape)
    out = update_ratio(net, before, after)
    assert out.shape == (2, 3)
    for k in range(2):
        for l, (sw, _) in enumerate(net.layout):        # weights only, from the layout
            expected = np.linalg.norm(after[k, sw] - before[k, sw]) / np.linalg.norm(before[k, sw])
            assert_allclose(out[k, l], expected, rtol=1e-12)
    # moving the biases only leaves every ratio at 0
    only_bias = before.copy()
    for _, sb in net.layout:
        only_bias[:, sb] += 1.0
    assert np.all(update_ratio(net, before, only_bias) == 0.0)
