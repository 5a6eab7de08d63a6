"""The linear-regression case study's exercises, recomputed.

The solutions in book/case_study_regression.ipynb quote hand computations
(eigenvalues of 2 x 2 Hessians, step counts) and, for exercise 3, the gaps a
seeded SGD run prints; these tests recompute them at the digits the solutions
print them.
"""

import numpy as np

import lrtutor as lrt


def _chapter_problem():
    # the source's data: NumPy's legacy generator seeded with 0, as in the chapter
    legacy = np.random.RandomState(0)
    X = legacy.rand(100, 1)
    y = (2 * X + 1 + legacy.randn(100, 1)).ravel()
    return lrt.problems.LinearRegression(X, y)


def test_exercise_1_two_points():
    p = lrt.problems.LinearRegression([[0.0], [1.0]], [0.0, 0.0])
    # (3/2 -+ sqrt(5/4)) / 2 by hand
    np.testing.assert_allclose(p.eigenvalues, [(1.5 - 1.25 ** 0.5) / 2,
                                               (1.5 + 1.25 ** 0.5) / 2], rtol=1e-12)
    assert (round(2 / p.L, 4), round(2 / (p.L + p.mu), 4)) == (1.5279, 1.3333)
    assert (round(1 / p.L, 4), round(1 / (p.L + p.mu), 4)) == (0.7639, 0.6667)


def test_exercise_2_population_hessian():
    lam = np.linalg.eigvalsh(np.array([[1, 1 / 2], [1 / 2, 1 / 3]]))
    assert (round(lam[1], 4), round(lam[0], 4), round(lam[1] / lam[0], 1)) \
        == (1.2676, 0.0657, 19.3)


def test_exercise_3_smaller_constant_rate_against_cosine():
    problem = _chapter_problem()
    f_star = problem.loss(problem.minimizer)

    def gaps(lr):
        run = lrt.train.run(problem, lrt.optim.SGD(lr=lr), [0.0, 0.0], 200,
                            rng=np.random.default_rng(0), batch_size=10)
        return [f"{g:.2e}" for g in run.losses[[50, 200]] - f_star]

    assert gaps(0.1) == ["2.95e-02", "8.37e-03"]
    assert gaps(0.5) == ["2.63e-03", "1.83e-02"]
    assert gaps(lrt.schedules.CosineDecay(0.5, decay_steps=200)) \
        == ["2.69e-03", "2.84e-05"]
    assert round(problem.mu, 3) == 0.067
    assert round((1 - 0.1 * problem.mu) ** 200, 2) == 0.26


def test_exercise_4_the_articles_rate():
    problem = _chapter_problem()
    rho = max(abs(1 - problem.mu), abs(1 - problem.L))
    assert round(rho, 4) == 0.9329
    # ceil(ln 1e-6 / ln rho) = ceil(199.05)
    assert lrt.theory.iterations_to_tolerance(rho, 1e-6) == 200
    rho_star = lrt.theory.optimal_contraction(problem.L, problem.mu)
    assert lrt.theory.iterations_to_tolerance(rho_star, 1e-6) == 128
