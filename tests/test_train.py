"""Tests of lrtutor.train against closed forms and hand computations."""

import json
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from lrtutor import optim, problems, schedules, train


def quad1(lam=4.0, star=1.0):
    return problems.Quadratic.one_d(lam, minimizer=star)


def test_run_matches_closed_form_iterate():
    # theta_t = theta* + (1 - eta*lam)^t (theta_0 - theta*), written out here
    lam, star, x0, eta = 4.0, 1.0, 3.0, 0.2
    trace = train.run(quad1(lam, star), optim.SGD(lr=eta), [x0], steps=15)
    expected = [star + (1 - eta * lam) ** t * (x0 - star) for t in range(16)]
    assert_allclose(trace.params[:, 0], expected, rtol=1e-12)
    assert_allclose(trace.losses, [0.5 * lam * (e - star) ** 2 for e in expected],
                    rtol=1e-12, atol=1e-300)
    assert_allclose(trace.grad_norms, [lam * abs(e - star) for e in expected[:-1]],
                    rtol=1e-12)
    assert_array_equal(trace.lrs, np.full(15, eta))
    assert trace.diverged_at == -1 and not trace.diverged
    assert trace.message() == f"ran 15 steps, final loss {trace.losses[-1]:.3e}"


def test_divergence_step_is_reported_by_hand():
    # lam = 1, eta = 2.5: theta_t = (-1.5)^t, loss 0.5 * 2.25^t; threshold 1e8 * max(0.5, 1)
    trace = train.run(problems.Quadratic.one_d(1.0), optim.SGD(lr=2.5), [1.0], steps=100)
    first = next(t for t in range(200) if 0.5 * 2.25 ** t > 1e8)
    assert int(trace.diverged_at) == first
    assert trace.message() == f"diverged at step {first}"
    # frozen at the last finite iterate, NaN losses from the divergence on
    assert_array_equal(trace.params[first:, 0], np.full(101 - first, (-1.5) ** (first - 1)))
    assert np.all(np.isnan(trace.losses[first:]))
    assert np.all(np.isfinite(trace.losses[:first]))
    # update first - 1 used the last finite iterate; no gradient after that (Trace docstring)
    assert np.isnan(trace.grad_norms[first:]).all()
    assert np.all(np.isfinite(trace.grad_norms[:first]))
    assert trace.params.shape == (101, 1)


def test_overflow_to_inf_is_reported_without_warnings():
    # with an enormous blowup factor only a non-finite loss can stop the run;
    # pyproject turns any RuntimeWarning into an error, so this also checks silence
    trace = train.run(problems.Quadratic.one_d(1.0), optim.SGD(lr=1e6), [1.0],
                      steps=100, blowup=1e300)
    # theta_t = (1 - 1e6)^t overflows the float64 square once |theta| > ~1.3e154
    # in logs: 0.5 * (1e6 - 1)^(2t) > 1e300 first at t = 26, where theta^2 also overflows
    first = next(t for t in range(100) if math.log10(0.5) + 2 * t * math.log10(1e6 - 1) > 300)
    assert int(trace.diverged_at) == first == 26
    assert np.all(np.isfinite(trace.params))


def test_sweep_rows_equal_single_runs_exactly():
    q = problems.Quadratic.two_d(10.0, 1.0, angle=0.3)
    etas = [0.01, 0.1, 0.19, 0.21]
    x0 = [1.0, -2.0]
    batch = train.sweep(q, optim.SGD(lr=1.0, momentum=0.5), etas, x0, steps=60)
    for i, eta in enumerate(etas):
        single = train.run(q, optim.SGD(lr=eta, momentum=0.5), x0, steps=60)
        assert_array_equal(batch.params[:, i], single.params)
        assert_array_equal(batch.diverged_at[i], single.diverged_at)
        assert_array_equal(batch.lrs[:, i], single.lrs)
    assert batch.diverged_at.shape == (4,)


def test_stochastic_sweep_rows_see_the_same_batches_as_single_runs():
    # The promise that makes a stochastic sweep a fair comparison of rates:
    # row i is the run with rate i and the same generator seed, batch for batch.
    X, y = problems.make_linear_data(n=60, rng=np.random.default_rng(3))
    lin = problems.LinearRegression(X, y)
    etas = [0.05, 0.3, 0.9]
    batch = train.sweep(lin, optim.Adam(lr=1.0), etas, [0.0, 0.0], steps=80,
                        rng=np.random.default_rng(9), batch_size=5)
    for i, eta in enumerate(etas):
        single = train.run(lin, optim.Adam(lr=eta), [0.0, 0.0], 80,
                           rng=np.random.default_rng(9), batch_size=5)
        assert_allclose(batch.params[:, i], single.params, rtol=1e-13, atol=1e-15)
    other = train.run(lin, optim.Adam(lr=etas[0]), [0.0, 0.0], 80,
                      rng=np.random.default_rng(10), batch_size=5)
    assert not np.allclose(batch.params[:, 0], other.params)    # the seed matters


def test_schedule_rates_are_recorded():
    sched = schedules.StepDecay(0.1, step_size=3, gamma=0.5)
    trace = train.run(quad1(), optim.SGD(lr=sched), [3.0], steps=7)
    assert_allclose(trace.lrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025], rtol=1e-15)


def test_full_size_minibatch_equals_full_batch_gd():
    X, y = problems.make_linear_data(n=50, rng=np.random.default_rng(1))
    lin = problems.LinearRegression(X, y)
    full = train.run(lin, optim.SGD(lr=0.3), [0.0, 0.0], steps=30)
    mini = train.run(lin, optim.SGD(lr=0.3), [0.0, 0.0], steps=30,
                     rng=np.random.default_rng(0), batch_size=50)
    assert_allclose(mini.params, full.params, rtol=1e-12, atol=1e-14)


def test_stochastic_runs_are_reproducible_and_noisy():
    X, y = problems.make_linear_data(n=100, rng=np.random.default_rng(2))
    lin = problems.LinearRegression(X, y)
    a = train.run(lin, optim.SGD(lr=0.2), [0.0, 0.0], 200, rng=np.random.default_rng(5), batch_size=4)
    b = train.run(lin, optim.SGD(lr=0.2), [0.0, 0.0], 200, rng=np.random.default_rng(5), batch_size=4)
    c = train.run(lin, optim.SGD(lr=0.2), [0.0, 0.0], 200, rng=np.random.default_rng(6), batch_size=4)
    assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)
    # a constant rate leaves SGD in a noise ball above the least-squares loss
    f_star = lin.loss(lin.minimizer)
    assert np.all(a.losses[100:] > f_star)


def test_all_runs_diverged_stops_early_and_fills_trace():
    trace = train.sweep(problems.Quadratic.one_d(1.0), optim.SGD(lr=1.0), [3.0, 4.0],
                        [1.0], steps=1000)
    assert np.all(trace.diverged_at > 0)
    assert trace.params.shape == (1001, 2, 1)
    assert np.all(np.isfinite(trace.params))
    assert_allclose(trace.lrs[-1], [3.0, 4.0])


@given(kappa=st.floats(1.0, 100.0), frac=st.floats(0.05, 0.95))
def test_central_theorem_below_critical_rate_converges(kappa, frac):
    L = 2.0
    q = problems.Quadratic(np.array([L / kappa, L]))
    eta = frac * 2.0 / L
    trace = train.run(q, optim.SGD(lr=eta), [1.0, 1.0], steps=200)
    rho = max(abs(1 - eta * L / kappa), abs(1 - eta * L))
    assert not trace.diverged
    # the error norm is bounded by rho^t times the initial error
    err = np.linalg.norm(trace.params[-1])
    assert err <= rho ** 200 * np.sqrt(2) * (1 + 1e-9) + 1e-300


@given(frac=st.floats(1.05, 3.0))
def test_central_theorem_above_critical_rate_diverges(frac):
    q = problems.Quadratic(np.array([0.5, 2.0]))
    trace = train.run(q, optim.SGD(lr=frac * 2.0 / 2.0), [1.0, 1.0], steps=2000)
    assert trace.diverged


def test_bad_inputs_name_the_parameter():
    q, sgd = quad1(), optim.SGD(lr=0.1)
    with pytest.raises(ValueError, match="steps"):
        train.run(q, sgd, [1.0], steps=-1)
    with pytest.raises(TypeError, match="steps"):
        train.run(q, sgd, [1.0], steps=2.5)
    with pytest.raises(ValueError, match="blowup"):
        train.run(q, sgd, [1.0], steps=5, blowup=1.0)
    with pytest.raises(ValueError, match="x0"):
        train.run(q, sgd, [[[1.0]]], steps=5)
    with pytest.raises(ValueError, match="x0"):
        train.run(q, sgd, [np.nan], steps=5)
    with pytest.raises(TypeError, match="batch_size"):
        train.run(q, sgd, [1.0], steps=5, rng=np.random.default_rng(0), batch_size=2)
    X, y = problems.make_linear_data(n=10, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        train.run(problems.LinearRegression(X, y), sgd, [0.0, 0.0], steps=5, batch_size=2)
    with pytest.raises(ValueError, match="lrs"):
        train.sweep(q, sgd, [0.1, -0.1], [1.0], steps=5)
    with pytest.raises(ValueError, match="index"):
        train.sweep(q, sgd, [0.1, 0.2], [1.0], steps=5).message()


def test_rate_at_and_repr():
    assert train.rate_at(0.3, 7) == 0.3
    assert train.rate_at(schedules.ExponentialDecay(1.0, 0.5), 3) == pytest.approx(0.125, rel=1e-15)
    assert_array_equal(train.rate_at(np.array([0.1, 0.2]), 4), [0.1, 0.2])
    # eta = 1: error factor -3, loss 8 * 9^t passes 1e8 * 8 at t = 9
    trace = train.sweep(quad1(), optim.SGD(lr=0.1), [0.1, 1.0], [3.0], steps=10)
    assert trace.diverged_at.tolist() == [-1, 9]
    assert repr(trace) == "Trace(steps=10, batch_shape=(2,), dim=1, diverged_runs=1)"
    assert math.isnan(trace.final_loss[1]) and trace.final_loss[0] > 0


@pytest.mark.parametrize("opt", [optim.SGD(lr=0.05, momentum=0.9),
                                 optim.Adam(lr=schedules.StepDecay(0.1, 7, 0.5))])
def test_continuing_from_state_equals_one_uninterrupted_run(opt):
    q = problems.Quadratic.two_d(4.0, 1.0, angle=0.4)
    whole = train.run(q, opt, [1.0, -1.0], steps=30)
    first = train.run(q, opt, [1.0, -1.0], steps=12)
    rest = train.run(q, opt, first.final_params, steps=18, state=first.state)
    assert_array_equal(np.concatenate([first.params, rest.params[1:]]), whole.params)
    assert_array_equal(np.concatenate([first.lrs, rest.lrs]), whole.lrs)
    assert rest.state.count == 30


@pytest.mark.parametrize("bad, name", [((1, 2), "tuple"), (object(), "object")])
def test_state_must_be_an_optimizer_state(bad, name):
    # a plain tuple has a .count method: it must not reach the "state.count" check
    with pytest.raises(TypeError, match=rf"^state must be an optimizer state, .* got {name}$"):
        train.run(quad1(), optim.SGD(lr=0.1), [1.0], steps=3, state=bad)


def test_rate_at_and_sweep_reject_bad_input():
    with pytest.raises(ValueError, match="t"):
        train.rate_at(0.1, -1)
    with pytest.raises(ValueError, match="lr"):
        train.rate_at(float("nan"), 0)
    with pytest.raises(ValueError, match="lr"):
        train.rate_at(np.array([0.1, -0.2]), 0)
    with pytest.raises(ValueError, match="lrs"):
        train.sweep(quad1(), optim.SGD(lr=0.1), [], [1.0], steps=3)


def test_trace_checks_its_shapes():
    good = train.run(quad1(), optim.SGD(lr=0.1), [1.0], steps=3)
    fields = {f: getattr(good, f) for f in ("params", "losses", "lrs", "grad_norms",
                                            "diverged_at", "threshold")}
    train.Trace(**fields)                                  # a consistent record is accepted
    with pytest.raises(ValueError, match="losses"):
        train.Trace(**{**fields, "losses": good.losses[:-1]})
    with pytest.raises(ValueError, match="diverged_at"):
        train.Trace(**{**fields, "diverged_at": np.array([1, 2])})
    with pytest.raises(ValueError, match="params"):
        train.Trace(**{**fields, "params": np.ones(4)})


def test_finite_length_is_the_path_up_to_divergence():
    # eta = 1 diverges at step 9 (see test_rate_at_and_repr); eta = 0.1 never does
    trace = train.sweep(quad1(), optim.SGD(lr=0.1), [0.1, 1.0], [3.0], steps=10)
    assert trace.finite_length(0) == 11 and trace.finite_length(1) == 9
    single = train.run(quad1(), optim.SGD(lr=1.0), [3.0], steps=10)
    assert single.finite_length() == 9
    assert np.all(np.isfinite(single.losses[:single.finite_length()]))


# --- Options for long and stochastic runs (the network chapters use them) -----

def _linear_problem(n=10, seed=4):
    X, y = problems.make_linear_data(n=n, rng=np.random.default_rng(seed))
    return problems.LinearRegression(X, y)


def test_epoch_sampling_walks_a_permutation_per_epoch():
    # Replayed by hand from the documented protocol: each epoch a fresh
    # rng.permutation(n), cut into batches of 4, 4 and 2 rows (n = 10).
    lin, eta = _linear_problem(), 0.05
    trace = train.run(lin, optim.SGD(lr=eta), [0.0, 0.0], 7,
                      rng=np.random.default_rng(3), batch_size=4, sampling="epoch")
    rng, x, expected, batch_losses = np.random.default_rng(3), np.zeros(2), [np.zeros(2)], []
    batches = []
    for _ in range(3):
        perm = rng.permutation(10)
        batches += [perm[0:4], perm[4:8], perm[8:10]]
    for idx in batches[:7]:
        batch_losses.append(lin.batch_loss(x, idx))
        x = x - eta * lin.batch_grad(x, idx)
        expected.append(x)
    assert_allclose(trace.params, expected, rtol=1e-12)
    assert_allclose(trace.batch_losses, batch_losses, rtol=1e-12)
    # every row is used exactly once per epoch
    assert sorted(np.concatenate(batches[:3]).tolist()) == list(range(10))


def test_iid_sampling_is_the_old_protocol_and_batch_losses_are_logged():
    lin = _linear_problem(n=30)
    trace = train.run(lin, optim.SGD(lr=0.1), [0.0, 0.0], 5,
                      rng=np.random.default_rng(8), batch_size=6)
    rng, x = np.random.default_rng(8), np.zeros(2)
    for t in range(5):
        idx = rng.choice(30, size=6, replace=False)
        assert_allclose(trace.batch_losses[t], lin.batch_loss(x, idx), rtol=1e-12)
        x = x - 0.1 * lin.batch_grad(x, idx)
        assert_allclose(trace.params[t + 1], x, rtol=1e-12)
        assert_allclose(trace.losses[t + 1], lin.loss(x), rtol=1e-12)


def test_full_batch_losses_are_the_batch_losses():
    trace = train.run(quad1(), optim.SGD(lr=0.1), [3.0], 6)
    assert_array_equal(trace.batch_losses, trace.losses[:-1])


def test_sparse_records_are_the_full_path_at_those_steps():
    lin = _linear_problem(n=20)
    kw = dict(rng=None, batch_size=5)
    dense = train.run(lin, optim.Adam(lr=0.1), [0.0, 0.0], 12,
                      **{**kw, "rng": np.random.default_rng(1)})
    sparse = train.run(lin, optim.Adam(lr=0.1), [0.0, 0.0], 12, record_every=5,
                       **{**kw, "rng": np.random.default_rng(1)})
    assert sparse.recorded.tolist() == [0, 5, 10, 12]
    assert_array_equal(sparse.params, dense.params[[0, 5, 10, 12]])
    assert_array_equal(sparse.losses, dense.losses[[0, 5, 10, 12]])
    assert_array_equal(sparse.batch_losses, dense.batch_losses)
    assert sparse.final_loss == dense.final_loss


def test_sparse_records_detect_divergence_on_the_batch_loss():
    # Between records only the batch loss is known: a run diverges at the first
    # step t whose batch loss f_B(theta_t) exceeds the threshold (or is not
    # finite), and its parameters stay at theta_{t-1}. Replayed by hand.
    lin, eta = _linear_problem(n=40), 3.0
    trace = train.run(lin, optim.SGD(lr=eta), [0.0, 0.0], 200, record_every=1000,
                      rng=np.random.default_rng(2), batch_size=8)
    threshold = 1e8 * max(lin.loss(np.zeros(2)), 1.0)
    rng, xs = np.random.default_rng(2), [np.zeros(2)]
    for t in range(200):
        idx = rng.choice(40, size=8, replace=False)
        if t > 0 and not lin.batch_loss(xs[-1], idx) <= threshold:
            break
        xs.append(xs[-1] - eta * lin.batch_grad(xs[-1], idx))
    first = len(xs) - 1
    assert 0 < first < 200 and int(trace.diverged_at) == first
    assert_array_equal(trace.final_params, xs[first - 1])
    assert np.isnan(trace.batch_losses[first:]).all()
    assert np.isfinite(trace.batch_losses[:first]).all()
    assert trace.finite_length() == 1                    # only theta_0 was recorded before


def test_clip_norm_rescales_the_gradient_like_torch():
    # f = x^2/2 at x = 100: g = 100, clipped to 1 * 100 / (100 + 1e-6)
    trace = train.run(problems.Quadratic.one_d(1.0), optim.SGD(lr=0.1), [100.0], 2,
                      clip_norm=1.0)
    x1 = 100.0 - 0.1 * 100.0 * (1.0 / (100.0 + 1e-6))
    x2 = x1 - 0.1 * x1 * (1.0 / (x1 + 1e-6))
    assert_allclose(trace.params[:, 0], [100.0, x1, x2], rtol=1e-15)
    assert_allclose(trace.grad_norms, [100.0, x1], rtol=1e-15)     # before clipping
    small = train.run(problems.Quadratic.one_d(1.0), optim.SGD(lr=0.1), [0.5], 3,
                      clip_norm=1.0)
    plain = train.run(problems.Quadratic.one_d(1.0), optim.SGD(lr=0.1), [0.5], 3)
    assert_array_equal(small.params, plain.params)     # below the threshold: factor exactly 1


def test_monitors_are_evaluated_every_so_many_steps():
    trace = train.sweep(quad1(), optim.SGD(lr=1.0), [0.1, 0.3, 0.7], [3.0], 7,
                        eval_every=3, monitors={"x": lambda x: x[..., 0]})
    assert trace.eval_steps.tolist() == [0, 3, 6, 7]
    assert_array_equal(trace.evals["x"], trace.params[[0, 3, 6, 7], :, 0])
    diverging = train.run(quad1(), optim.SGD(lr=1.0), [3.0], 12, eval_every=4,
                          monitors={"x": lambda x: x[..., 0]})
    at = int(diverging.diverged_at)            # eta * lam = 4: |1 - 4| = 3 per step
    assert 0 < at <= 12
    assert np.isnan(diverging.evals["x"][diverging.eval_steps >= at]).all()
    assert np.isfinite(diverging.evals["x"][diverging.eval_steps < at]).all()


def test_run_options_reject_bad_input():
    lin, sgd = _linear_problem(), optim.SGD(lr=0.1)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="sampling"):
        train.run(lin, sgd, [0.0, 0.0], 3, rng=rng, batch_size=2, sampling="shuffle")
    with pytest.raises(ValueError, match="record_every"):
        train.run(lin, sgd, [0.0, 0.0], 3, record_every=0)
    with pytest.raises(TypeError, match="record_every"):
        train.run(lin, sgd, [0.0, 0.0], 3, record_every=2.0)
    with pytest.raises(ValueError, match="eval_every"):
        train.run(lin, sgd, [0.0, 0.0], 3, monitors={"a": lin.loss})
    with pytest.raises(ValueError, match="eval_every"):
        train.run(lin, sgd, [0.0, 0.0], 3, eval_every=-1)
    with pytest.raises(TypeError, match="monitors"):
        train.run(lin, sgd, [0.0, 0.0], 3, eval_every=1, monitors=[lin.loss])
    with pytest.raises(TypeError, match="monitors"):
        train.run(lin, sgd, [0.0, 0.0], 3, eval_every=1, monitors={"a": 3})
    with pytest.raises(TypeError, match="validation"):
        train.run(lin, sgd, [0.0, 0.0], 3, eval_every=1, validation=(lin.design, lin.y))
    with pytest.raises(ValueError, match="clip_norm"):
        train.run(lin, sgd, [0.0, 0.0], 3, clip_norm=0.0)
    with pytest.raises(TypeError, match="rng"):
        train.run(lin, sgd, [0.0, 0.0], 3, rng=[rng, "x"], batch_size=2)
    with pytest.raises(TypeError, match="loss_and_grad"):
        train.run(lin, optim.SGD(lr=np.array([0.1, 0.2])), np.zeros((2, 2)), 3,
                  rng=[rng, np.random.default_rng(1)], batch_size=2)
    with pytest.raises(TypeError, match="sweep"):
        train.sweep(lin, sgd, [0.1], [0.0, 0.0], 3, bogus=1)


def test_runs_with_their_own_schedules_equal_separate_runs():
    # one batched call, k schedules: row i is the run with schedule i alone
    q = problems.Quadratic.two_d(10.0, 1.0, angle=0.4)
    pieces = (schedules.CosineDecay(0.15, 30), schedules.StepDecay(0.1, 5, 0.5),
              schedules.Warmup(schedules.Constant(0.19), 10))
    x0 = np.array([1.0, -2.0])
    batch = train.run(q, optim.SGD(lr=schedules.PerRun(pieces), momentum=0.5),
                      np.tile(x0, (3, 1)), 30)
    for i, s in enumerate(pieces):
        single = train.run(q, optim.SGD(lr=s, momentum=0.5), x0, 30)
        assert_allclose(batch.params[:, i], single.params, rtol=1e-14, atol=1e-300)
        assert_array_equal(batch.lrs[:, i], single.lrs)


def test_update_ratios_are_logged_per_step():
    # f = 2 (x - 1)^2 (lam = 4, star = 1), SGD: |x_{t+1} - x_t| / |x_t| by hand
    trace = train.sweep(quad1(), optim.SGD(lr=1.0), [0.1, 1.0], [3.0], 12,
                        track_update_ratio=True)
    assert trace.update_ratios.shape == (12, 2, 1)
    x = trace.params[:, 0, 0]
    assert_allclose(trace.update_ratios[:, 0, 0], np.abs(np.diff(x)) / np.abs(x[:-1]),
                    rtol=1e-12)
    at = int(trace.diverged_at[1])              # eta * lam = 4 diverges
    assert 0 < at <= 12
    assert np.isnan(trace.update_ratios[at:, 1]).all()
    assert np.isfinite(trace.update_ratios[:at - 1, 1]).all()
    assert train.run(quad1(), optim.SGD(lr=0.1), [3.0], 3).update_ratios is None
    with pytest.raises(TypeError, match="track_update_ratio"):
        train.run(quad1(), optim.SGD(lr=0.1), [3.0], 3, track_update_ratio=1)


# --- Networks: K copies in one call equal K separate runs ---------------------

def _digits_net(hidden=(16,), n=200, **kw):
    from lrtutor.data import load_digits_split
    from lrtutor.network import MLP
    split = load_digits_split(seed=0)
    return MLP(split.X_train[:n], split.y_train[:n], hidden=hidden, **kw), split


@pytest.mark.parametrize("make_opt", [lambda lr: optim.SGD(lr=lr, momentum=0.9),
                                      lambda lr: optim.Adam(lr=lr)],
                         ids=["momentum", "adam"])
def test_network_copies_equal_separate_runs(make_opt):
    # Copies differ in rate, initial weights and batch order; each equals its
    # own run to 1e-12 relative (a batched product may round differently from a
    # single one in the last bits; measured well below 1e-13 over these steps).
    net, split = _digits_net()
    rates = np.array([0.01, 0.05, 0.002])
    x0 = net.init(np.random.default_rng(1), k=3)
    kw = dict(batch_size=16, sampling="epoch", record_every=20, eval_every=10,
              validation=(split.X_val, split.y_val), track_update_ratio=True)
    batch = train.run(net, make_opt(rates), x0, 40,
                      rng=[np.random.default_rng(s) for s in (7, 8, 9)], **kw)
    assert batch.evals["val_accuracy"].shape == (5, 3)
    for i, lr in enumerate(rates):
        single = train.run(net, make_opt(float(lr)), x0[i], 40,
                           rng=np.random.default_rng(7 + i), **kw)
        assert_allclose(batch.params[:, i], single.params, rtol=1e-12, atol=1e-14)
        assert_allclose(batch.batch_losses[:, i], single.batch_losses, rtol=1e-12)
        assert_allclose(batch.losses[:, i], single.losses, rtol=1e-12)
        for name in ("val_loss", "val_accuracy"):
            assert_allclose(batch.evals[name][:, i], single.evals[name], rtol=1e-12)
        assert_allclose(batch.update_ratios[:, i], single.update_ratios, rtol=1e-10)
        assert single.diverged_at == -1


def test_a_diverging_network_copy_stops_and_spares_the_others():
    # rate 50 blows up; the copies at 0.05 and 0.1 go on exactly as alone.
    # pyproject turns RuntimeWarnings into errors, so this also checks silence.
    net, _ = _digits_net()
    x0 = net.init(np.random.default_rng(2))
    rates = [0.05, 50.0, 0.1]
    batch = train.sweep(net, optim.SGD(lr=1.0), rates, x0, 60,
                        rng=np.random.default_rng(3), batch_size=20, record_every=60)
    assert batch.diverged_at[0] == -1 and batch.diverged_at[2] == -1
    at = int(batch.diverged_at[1])
    assert 0 < at < 60
    assert np.isnan(batch.batch_losses[at:, 1]).all()
    assert np.isfinite(batch.final_params[1]).all()     # frozen at the last finite iterate
    for i in (0, 2):
        single = train.run(net, optim.SGD(lr=rates[i]), x0, 60,
                           rng=np.random.default_rng(3), batch_size=20, record_every=60)
        assert_allclose(batch.batch_losses[:, i], single.batch_losses, rtol=1e-12)
        assert_allclose(batch.final_params[i], single.final_params, rtol=1e-12, atol=1e-14)


def test_full_batch_network_run_uses_one_pass_per_step():
    # full-batch GD on a network: losses[t] is f(theta_t) and the gradient of
    # step t comes from the same forward pass (loss_and_grad), as by hand
    net, _ = _digits_net(n=60, activation="tanh", loss="squared_error")
    x = net.init(np.random.default_rng(4))
    trace = train.run(net, optim.SGD(lr=0.2), x, 5)
    for t in range(5):
        assert_allclose(trace.losses[t], net.loss(x), rtol=1e-12)
        x = x - 0.2 * net.grad(x)
    assert_allclose(trace.final_params, x, rtol=1e-12)


# --- A whole training run against PyTorch (tests/golden/record_training.py) ----

GOLDEN_TRAINING = json.loads((pathlib.Path(__file__).parent / "golden" / "training.json")
                             .read_text())


def _lrtutor_training(key):
    import sys
    sys.path.insert(0, str(pathlib.Path(__file__).parent / "golden"))
    import record_training as R
    net = R.problem()
    name, kw = R.RUNS[key]
    opt = optim.SGD(**kw) if name == "SGD" else optim.Adam(**kw)
    trace = train.run(net, opt, net.init(np.random.default_rng(R.INIT_SEED)), R.STEPS,
                      rng=np.random.default_rng(R.BATCH_SEED), batch_size=R.BATCH,
                      sampling="epoch", record_every=R.STEPS)
    return trace


@pytest.mark.parametrize("key", sorted(GOLDEN_TRAINING["runs"]))
def test_network_training_run_equals_pytorch(key):
    # 60 steps on the digits from the same weights and batches as torch.optim.
    # Rounding differs (torch's kernels sum in another order, ~1e-16 per
    # operation) and training amplifies it step by step: measured gaps are
    # 8e-15 (relative) in the losses and 7e-16 in the weights; the bounds leave
    # a wide margin for other BLAS builds and stay far below any real
    # difference of convention (a wrong epsilon, bias correction or momentum
    # form moves the losses by 1e-4 or more within a few steps).
    gold = GOLDEN_TRAINING["runs"][key]
    trace = _lrtutor_training(key)
    assert trace.diverged_at == -1
    assert_allclose(trace.batch_losses, gold["losses"], rtol=1e-10)
    final = np.asarray(gold["final"])
    assert np.max(np.abs(trace.final_params - final)) < 1e-9 * np.max(np.abs(final))


def test_schedule_free_runs_are_evaluated_at_the_average():
    # monitors and validation see opt.eval_params(state) (x), not the point y
    # where gradients are taken; checked against the state after each stretch
    q = problems.Quadratic.two_d(1.0, 4.0)
    opt = optim.ScheduleFreeSGD(lr=0.2, momentum=0.9)
    trace = train.run(q, opt, [1.0, -1.0], 6, eval_every=3,
                      monitors={"x0": lambda x: x[..., 0]})
    first = train.run(q, opt, [1.0, -1.0], 3)
    assert trace.evals["x0"][1] == opt.eval_params(first.state)[0]
    assert trace.evals["x0"][2] == opt.eval_params(trace.state)[0]
    assert trace.evals["x0"][2] != trace.final_params[0]        # y differs from x


# --- resuming an interrupted run (the full property tests: test_checkpoint.py) ---

def _lin_data(n=23):
    X, y = problems.make_linear_data(n=n, rng=np.random.default_rng(3))
    return problems.LinearRegression(X, y)


def test_the_last_step_of_a_stochastic_run_is_judged_by_its_full_loss():
    # At step 1 the batch loss of the rate 3.0 run is below the threshold, but its
    # full loss is not: the run ends there, records the step and reports the
    # divergence, with a NaN evaluation. Its checkpoint keeps the view of a
    # longer run (which judges step 1 by its batch loss at step 1) and resuming
    # from it finds the divergence where that longer run finds it.
    lin = _lin_data()
    opt = optim.SGD(lr=np.array([0.01, 0.1, 0.5, 0.9, 1.5, 3.0]))
    x0 = np.zeros((6, lin.dim))
    opts = dict(batch_size=4, record_every=2, blowup=2.0, eval_every=1,
                monitors={"x0": lambda x: x[..., 0]})
    first = train.run(lin, opt, x0, 1, rng=np.random.default_rng(1), **opts)
    assert first.diverged_at.tolist() == [-1, -1, -1, -1, -1, 1]
    assert first.losses[-1, 5] > first.threshold or np.isnan(first.losses[-1, 5])
    assert np.isnan(first.evals["x0"][-1, 5]) and not np.isnan(first.evals["x0"][-1, 4])
    assert first.checkpoint["diverged_at"].tolist() == [-1] * 6
    whole = train.run(lin, opt, x0, 6, rng=np.random.default_rng(1), **opts)
    rest = train.run(lin, opt, x0, 6, resume=first, **opts)
    assert_array_equal(rest.diverged_at, whole.diverged_at)
    assert_array_equal(rest.params, whole.params)
    assert whole.diverged_at[5] >= 1


def test_resume_continues_with_the_same_rng_and_schedule():
    lin = _lin_data()
    opt = optim.Adam(lr=schedules.CosineDecay(0.3, 30))
    rng = np.random.default_rng(4)
    first = train.run(lin, opt, np.zeros(lin.dim), 12, rng=rng, batch_size=5,
                      sampling="epoch")
    rest = train.run(lin, opt, np.zeros(lin.dim), 30, rng=rng, batch_size=5,
                     sampling="epoch", resume=first)
    other = np.random.default_rng(4)
    whole = train.run(lin, opt, np.zeros(lin.dim), 30, rng=other, batch_size=5,
                      sampling="epoch")
    assert_array_equal(rest.params, whole.params)
    assert_array_equal(rest.lrs, schedules.CosineDecay(0.3, 30)(np.arange(30)))
    assert rest.state.count == 30
    assert rng.bit_generator.state == other.bit_generator.state    # both advanced alike


def test_resume_arguments_are_checked():
    lin = _lin_data()
    x0 = np.zeros(lin.dim)
    first = train.run(lin, optim.SGD(0.1), x0, 5, rng=np.random.default_rng(0), batch_size=4)
    good = dict(rng=np.random.default_rng(0), batch_size=4)

    def resume(**changes):
        args = dict(problem=lin, optimizer=optim.SGD(0.1), x0=x0, steps=8, **good,
                    resume=first)
        args.update(changes)
        return train.run(**args)

    resume()                                                   # the baseline is valid
    for changes, error, match in [
            (dict(resume="trace"), TypeError, "resume must be a Trace"),
            (dict(resume=train.sweep_seeds(lin, optim.SGD(0.1), [0.1], [x0], 3)), ValueError,
             "resume must be a trace that carries a checkpoint"),
            (dict(state=optim.SGD(0.1).init(x0)), ValueError, "state must be None"),
            (dict(steps=4), ValueError, "steps must be >= 5"),
            (dict(record_every=2), ValueError, "record_every must be 1"),
            (dict(batch_size=5), ValueError, "batch_size must be 4"),
            (dict(sampling="epoch"), ValueError, "sampling must be 'iid'"),
            (dict(optimizer=optim.Adam(0.1)), ValueError, "optimizer must be 'SGD'"),
            (dict(optimizer=optim.SGD(0.1, momentum=0.9)), ValueError, "resume.state"),
            (dict(x0=x0 + 1), ValueError, "x0 must be the starting point"),
            (dict(rng=np.random.Generator(np.random.MT19937(0))), ValueError,
             "rng must use the bit generator"),
            (dict(rng=[np.random.default_rng(0)]), ValueError, "rng holds 1 generators")]:
        with pytest.raises(error, match=match):
            resume(**changes)
    # one generator shared by two runs, resumed with one generator per run
    from lrtutor.network import MLP
    net = MLP(np.arange(12.0).reshape(6, 2) / 10, [0, 1, 0, 1, 0, 1], hidden=(3,))
    x2 = net.init(np.random.default_rng(0), k=2)
    shared = train.run(net, optim.SGD(0.1), x2, 2, rng=np.random.default_rng(0), batch_size=2)
    with pytest.raises(ValueError, match="rng must be what the run being resumed used: one"):
        train.run(net, optim.SGD(0.1), x2, 4, batch_size=2, resume=shared,
                  rng=[np.random.default_rng(0), np.random.default_rng(1)])


def test_trace_index_selects_one_run_or_names_the_problem():
    """message and finite_length take () for a single run, an int per batch axis
    for a sweep (negative from the end, as numpy), and reject anything else by name."""
    q = problems.Quadratic.one_d(1.0)
    single = train.run(q, optim.SGD(0.1), [1.0], 5)
    swept = train.sweep(q, optim.SGD(0.1), [0.1, 3.0], [1.0], 40)
    assert single.message() == single.message(()) == single.message(None)
    assert swept.message(-1) == swept.message(1) == "diverged at step " + str(
        int(swept.diverged_at[1]))
    assert swept.finite_length(np.int64(0)) == swept.params.shape[0]
    for target, bad, exc in [(single, 0, ValueError), (swept, (0, 0), ValueError),
                             (swept, 2, ValueError), (swept, -3, ValueError),
                             (swept, 2 ** 63, ValueError), (swept, "a", TypeError),
                             (swept, True, TypeError), (swept, 0.0, TypeError)]:
        with pytest.raises(exc, match="index"):
            target.message(bad)
        with pytest.raises(exc, match="index"):
            target.finite_length(bad)
    with pytest.raises(ValueError, match="index"):
        swept.message()
