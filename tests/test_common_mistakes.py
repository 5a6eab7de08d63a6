"""The numbers the common-mistakes chapter prints, held to independent values.

The chapter shows each mistake and its repair; the checks that the repairs
agree with the frameworks (PyTorch's and Keras's printed values, to the six
or seven decimals they print: atol half a unit in the last digit) and with
closed forms live here, so that the page reads as a lesson. Problems and
seeds are the chapter's own.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import lrtutor as lrt
from lrtutor.problems import LinearRegression, Quadratic, make_linear_data
from lrtutor.schedules import (CosineDecay, ExponentialDecay, InverseTimeDecay,
                               LinearSchedule, PiecewiseConstant, ReduceLROnPlateau,
                               StepDecay)


def chapter_problem():
    X, y = make_linear_data(rng=np.random.default_rng(0))
    return LinearRegression(X, y)


def test_right_sign_reaches_the_least_squares_solution():
    problem = chapter_problem()
    downhill = lrt.train.run(problem, lrt.optim.SGD(lr=0.5), np.zeros(2), 1000)
    # rho = 1 - 0.5 mu per step; after 1000 steps the error is far below 1e-10
    assert_allclose(downhill.final_params, problem.minimizer, rtol=1e-10)


def test_three_optimizers_reach_the_least_squares_solution_of_file_004():
    X4, y4 = make_linear_data(noise_std=0.5, rng=np.random.default_rng(0))
    p4 = LinearRegression(X4, y4)
    for opt in (lrt.optim.SGD(0.5), lrt.optim.SGD(0.1, momentum=0.9),
                lrt.optim.Adam(0.05)):
        final = lrt.train.run(p4, opt, np.zeros(2), 1000).final_params
        assert_allclose(final, p4.minimizer, rtol=1e-10)


def test_linear_warmup_values_by_hand():
    right = LinearSchedule(0.001, 0.1, 5)           # steps of 0.099 / 5 = 0.0198
    assert_allclose(right(np.arange(7)),
                    [0.001, 0.0208, 0.0406, 0.0604, 0.0802, 0.1, 0.1], rtol=1e-12)


def test_cosine_matches_keras_printed_values():
    # keras.optimizers.schedules.CosineDecay(0.1, 1000), printed to 7 decimals
    assert_allclose(CosineDecay(0.1, 1000)(np.array([0, 250, 500, 750, 1000])),
                    [0.1, 0.0853553, 0.05, 0.0146447, 0.0], rtol=0, atol=5e-8)


def test_three_spellings_of_exponential_decay_agree():
    t = np.arange(1001)
    by_factor = ExponentialDecay.from_factor(0.1, 0.999)
    assert_allclose(by_factor(t), ExponentialDecay.from_rate(0.1, 0.001)(t), rtol=1e-12)
    assert_allclose(by_factor(t),
                    ExponentialDecay.from_time_constant(0.1, -1 / np.log(0.999))(t),
                    rtol=1e-12)
    assert_allclose(by_factor(t), 0.1 * 0.999 ** t, rtol=1e-12)


def test_legacy_keras_decay_is_inverse_time():
    # 0.01 / (1 + 0.001 t) by hand at t = 100, 1000, 3200
    assert_allclose(InverseTimeDecay(0.01, 0.001)(np.array([100, 1000, 3200])),
                    [0.01 / 1.1, 0.005, 0.01 / 4.2], rtol=1e-12)


def test_piecewise_and_per_epoch_step_decay_by_hand():
    steps = PiecewiseConstant((1000, 2000), (0.01, 0.001, 0.0001))
    assert_allclose(steps(np.array([1000, 1500, 2000, 2001])),
                    [0.01, 0.001, 0.001, 0.0001], rtol=1e-12)
    assert_allclose(StepDecay(0.05, step_size=2, gamma=0.5)(np.arange(6)),
                    [0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125], rtol=1e-12)


def test_plateau_rule_on_the_chapter_losses():
    # torch convention, patience 2: bad epochs at .71, .72, .73 -> cut after the third;
    # .69 is a new best, then .70, .71, .72 -> cut again
    val_losses = [1, .8, .7, .71, .72, .73, .69, .70, .71, .72]
    plateau = ReduceLROnPlateau(0.1, factor=0.5, patience=2)
    assert_allclose([plateau.step(v) for v in val_losses],
                    [0.1] * 5 + [0.05] * 4 + [0.025], rtol=1e-12)


def test_adam_and_momentum_reference_runs_match_framework_values():
    def feed(opt, grads):
        x, state, out = np.zeros(1), opt.init(np.zeros(1)), []
        for g in grads:
            x, state = opt.update(np.array([g]), state, x)
            out.append(x[0])
        return np.array(out)

    # torch.optim.Adam(lr=1e-3) on gradients 1, -0.5, 2, 0.3, 0.3, printed to 7 decimals
    assert_allclose(feed(lrt.optim.Adam(1e-3), [1, -0.5, 2, 0.3, 0.3]),
                    [-0.001, -0.0012663, -0.0019244, -0.0025345, -0.0031161],
                    rtol=0, atol=5e-8)
    q = Quadratic.one_d(1.0)
    mom = lrt.train.run(q, lrt.optim.SGD(0.01, momentum=0.9), [1.0], 5).params[1:, 0]
    # torch.optim.SGD(lr=0.01, momentum=0.9) on x^2/2 from 1, printed to 6 decimals
    assert_allclose(mom, [0.99, 0.9711, 0.944379, 0.910886, 0.871634], rtol=0, atol=5e-7)


def test_ema_momentum_at_converted_rate_equals_classical():
    q = Quadratic.one_d(1.0)
    classical = lrt.train.run(q, lrt.optim.SGD(0.01, momentum=0.9), [1.0], 5).params[-1, 0]
    converted = lrt.train.run(q, lrt.optim.EMAMomentum(0.1, 0.9), [1.0], 5).params[-1, 0]
    assert_allclose(converted, classical, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_decaying_rate_beats_both_constants_on_noisy_sgd(seed):
    """The chapter's order of the mean errors over the last half of the run:
    decaying < constant 0.005 < constant 0.05, in both coordinates. Seed 0 is
    the chapter's; the order holds for seeds 1 and 2 too (gaps of 1.5x or more; seed 2 is
    left out to save time)."""
    X4, y4 = make_linear_data(noise_std=0.5, rng=np.random.default_rng(0))
    p4 = LinearRegression(X4, y4)
    steps = 10_000
    constant = lrt.train.sweep(p4, lrt.optim.SGD(1.0), [0.05, 0.005], p4.minimizer, steps,
                               rng=np.random.default_rng(seed), batch_size=1)
    decaying = lrt.train.run(p4, lrt.optim.SGD(InverseTimeDecay(0.05, 1.0, 10)),
                             p4.minimizer, steps, rng=np.random.default_rng(seed),
                             batch_size=1)
    paths = [decaying.params, constant.params[:, 1], constant.params[:, 0]]
    err = [np.abs(p[-steps // 2:] - p4.minimizer).mean(axis=0) for p in paths]
    assert np.all(err[0] < err[1]) and np.all(err[1] < err[2])


def test_linear_decay_equals_linspace():
    assert_allclose(LinearSchedule(0.1, 0.001, 999)(np.arange(1000)),
                    np.linspace(0.1, 0.001, 1000), rtol=1e-12)


# --- the exercises' solutions ---------------------------------------------------

def test_exercise_feature_in_millimetres():
    # x' = 1000 x: L grows about a million times (det H = Var x' = L mu), mu stays of
    # order 1, kappa goes from 19.1 to 1.68e6, and 1/L needs 86 against about 7.7
    # million steps for a hundredfold; standardising gives H = I.
    X, y = make_linear_data(rng=np.random.default_rng(0))
    p1, p1000 = LinearRegression(X, y), LinearRegression(1000 * X, y)
    assert_allclose(p1000.L * p1000.mu, np.var(1000 * X), rtol=1e-9)
    assert round(p1.L / p1.mu, 1) == 19.1 and round(p1000.L / p1000.mu, -4) == 1.68e6
    assert lrt.theory.iterations_to_tolerance(1 - p1.mu / p1.L, 0.01) == 86
    slow = lrt.theory.iterations_to_tolerance(1 - p1000.mu / p1000.L, 0.01)
    assert abs(slow - 7_722_182) <= 2          # a ceil of a ratio near 7.7e6
    assert "diverged" in lrt.train.run(p1000, lrt.optim.SGD(0.01), np.zeros(2),
                                       100).message()
    ps = LinearRegression((X - X.mean()) / X.std(), y)
    assert_allclose(ps.hessian, np.eye(2), atol=1e-12)


def test_exercise_batch_of_ten_matches_a_ten_times_smaller_rate():
    """Spread over the last half of 10 000 steps started at the minimiser, the
    chapter's seed: batches of 10 at 0.05 within 25 % of single examples at 0.005 (both
    print (0.018, 0.019); seed 1 differs by up to 21 %, left out to save time), and at
    least 2.5 times below single examples at 0.05 (sqrt(10) = 3.2 expected)."""
    X4, y4 = make_linear_data(noise_std=0.5, rng=np.random.default_rng(0))
    p4 = LinearRegression(X4, y4)
    steps = 10_000
    batched = lrt.train.run(p4, lrt.optim.SGD(0.05), p4.minimizer, steps,
                            rng=np.random.default_rng(0), batch_size=10)
    single = lrt.train.sweep(p4, lrt.optim.SGD(1.0), [0.05, 0.005], p4.minimizer, steps,
                             rng=np.random.default_rng(0), batch_size=1)
    spread = [np.abs(p[-steps // 2:] - p4.minimizer).mean(axis=0)
              for p in (batched.params, single.params[:, 0], single.params[:, 1])]
    assert_allclose(spread[0], spread[2], rtol=0.25)
    assert np.all(spread[1] > 2.5 * spread[0])
