"""The numbers quoted in book/faq.md, recomputed.

The FAQ is a Markdown page without code cells, so the numbers it quotes are
checked here instead: each test recomputes a number with lrtutor and asserts
that the page prints it, rounded as printed. A change to lrtutor or to the
page that makes them disagree fails here, so the page cannot go stale.

The range-test entry ("Why does the range test overshoot the stability
limit?") measures the overshoot of fastai's range test
(:func:`lrtutor.finder.range_test`) on the quadratic of the chapter "Choosing
a learning rate" by varying two things separately: the smoothing of the
recorded loss (``beta``) and whether the optimizer state is carried through
the ramp (as every range test does) or reset before every update.
"""

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

import lrtutor as lrt
from lrtutor import finder

FAQ = Path(__file__).resolve().parents[1] / "book" / "faq.md"
START, END, N = 1e-4, 100.0, 100          # the chapter's test: 1e-4 .. 100 in 100 updates


def _faq_text():
    """The page with runs of white space (line breaks) collapsed."""
    return re.sub(r"\s+", " ", FAQ.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def text():
    return _faq_text()


@pytest.fixture(scope="module")
def quadratic():
    """The chapter's problem: 10-D quadratic, L = 1, mu = 0.01, seed 0."""
    rng = np.random.default_rng(0)
    problem = lrt.problems.Quadratic.random(10, L=1.0, mu=0.01, rng=rng)
    return problem, rng.standard_normal(10)


def ramp(problem, x0, optimizer, beta, reset):
    """The range test written out, with the optimizer state either carried
    through the ramp (``reset=False``: what range_test does) or re-initialised
    before every update (``reset=True``). Returns rates, raw and smoothed
    losses of the recorded updates (up to the divergence stop)."""
    sweep = finder.ExponentialSweep(START, END, N)
    x, state = np.array(x0, dtype=float), optimizer.init(x0)
    lrs, raw, smooth = [], [], []
    avg, best = 0.0, np.inf
    for i in range(N):
        opt = dataclasses.replace(optimizer, lr=sweep(i))
        if reset:
            state = opt.init(x)
        loss, g = float(problem.loss(x)), problem.grad(x)
        avg = beta * avg + (1 - beta) * loss
        s = avg / (1 - beta ** (i + 1))
        lrs.append(sweep(i))
        raw.append(loss)
        smooth.append(s)
        x, state = opt.update(g, state, x)
        best = min(best, s)
        if not np.isfinite(s) or s > 4 * best:
            break
    return np.array(lrs), np.array(raw), np.array(smooth)


OPTIMIZERS = {
    "SGD": lrt.optim.SGD(lr=1.0),
    "momentum 0.9": lrt.optim.SGD(lr=1.0, momentum=0.9),
    "Adam": lrt.optim.Adam(lr=1.0),
}
# the table's rows: label -> (optimizer, beta, reset)
ROWS = {
    "SGD, $\\beta = 0.98$ (fastai's default)": ("SGD", 0.98, False),
    "SGD, no smoothing ($\\beta = 0$)": ("SGD", 0.0, False),
    "SGD, state reset before every update": ("SGD", 0.98, True),
    "momentum 0.9, state carried": ("momentum 0.9", 0.98, False),
    "momentum 0.9, state reset before every update": ("momentum 0.9", 0.98, True),
    "Adam, state carried": ("Adam", 0.98, False),
    "Adam, state reset before every update": ("Adam", 0.98, True),
}


def _fmt(x):
    return f"{x:#.3g}"


def _table(text):
    """The FAQ's overshoot table: label -> the three numbers as printed."""
    rows = {}
    for label in ROWS:
        m = re.search(r"\| " + re.escape(label) + r" \| ([^|]+) \| ([^|]+) \| ([^|]+) \|", text)
        assert m, f"row {label!r} missing from the FAQ's range-test table"
        rows[label] = tuple(v.strip() for v in m.groups())
    return rows


def test_ramp_with_carried_state_is_range_test(quadratic):
    # the written-out loop equals lrtutor's range_test, so its reset variant
    # differs from range_test in the reset alone
    problem, x0 = quadratic
    for name, opt in OPTIMIZERS.items():
        for beta in (0.0, 0.98):
            res = finder.range_test(problem, opt, x0, START, END, N, beta=beta)
            lrs, raw, smooth = ramp(problem, x0, opt, beta, reset=False)
            np.testing.assert_allclose(lrs, res.lrs, rtol=1e-12, err_msg=name)
            np.testing.assert_allclose(raw, res.losses, rtol=1e-12, err_msg=name)
            np.testing.assert_allclose(smooth, res.smoothed, rtol=1e-12, err_msg=name)


def test_overshoot_table(quadratic, text):
    problem, x0 = quadratic
    printed = _table(text)
    for label, (name, beta, reset) in ROWS.items():
        lrs, raw, smooth = ramp(problem, x0, OPTIMIZERS[name], beta, reset)
        measured = (_fmt(lrs[np.argmin(raw)]), _fmt(lrs[np.argmin(smooth)]), _fmt(lrs[-1]))
        assert printed[label] == measured, label


def test_plain_sgd_has_no_state_to_reset(quadratic):
    # the FAQ says resetting changes nothing for plain SGD: the traces are identical
    problem, x0 = quadratic
    carried = ramp(problem, x0, OPTIMIZERS["SGD"], 0.98, reset=False)
    reset = ramp(problem, x0, OPTIMIZERS["SGD"], 0.98, reset=True)
    for a, b in zip(carried, reset):
        np.testing.assert_array_equal(a, b)


def test_the_stiff_direction_at_the_crossing(quadratic, text):
    # the numbers of the explanation: where eta first exceeds 2/L, how small the
    # error along the top eigenvector is then, and how long it takes to grow back
    problem, x0 = quadratic
    sweep = finder.ExponentialSweep(START, END, N)
    w, V = np.linalg.eigh(problem.hessian)
    x = np.array(x0, dtype=float)
    top, losses = [], []
    for i in range(N):
        top.append(abs((x - problem.minimizer) @ V[:, -1]))
        losses.append(float(problem.loss(x)))
        x = x - sweep(i) * problem.grad(x)
        if not np.isfinite(losses[-1]) or losses[-1] > 1e6:
            break
    top, losses = np.array(top), np.array(losses)
    lrs = sweep(np.arange(top.size))
    cross = int(np.argmax(lrs > 2 / problem.L))
    rise = int(np.argmax(np.diff(losses) > 0)) + 1          # first update whose loss rose
    grown = int(np.argmax((np.arange(top.size) > cross) & (top > 1e-2)))
    quoted = [
        f"factor {sweep(1) / sweep(0):.3f} per update",
        f"update {cross}, at $\\eta = {lrs[cross]:.2f}$",
        f"starts at {top[0]:.2f}",
        f"${top[cross] / 1e-8:.1f} \\times 10^{{-8}}$",
        f"loss is still falling, from {losses[cross]:.3f}",
        f"to {losses[rise - 1]:.4f}",
        f"first rises at update {rise} ($\\eta = {lrs[rise]:.1f}$)",
        f"above $10^{{-2}}$ only at update {grown}",
    ]
    for q in quoted:
        assert q in text, q


def test_stop_in_the_one_dimensional_example_of_range_test():
    # the FAQ quotes the doctest of range_test: one curvature L = 1, stop at 16.6
    res = finder.range_test(lrt.problems.Quadratic.one_d(1.0), lrt.optim.SGD(lr=1.0), [1.0],
                            1e-4, 100.0)
    assert f"{res.lrs[res.stopped_at]:.1f}" == "16.6"
    assert "16.6" in _faq_text()


def test_minimum_rule_reads_the_window_not_the_whole_curve(text, quadratic):
    """The page: the window's lowest smoothed loss is at 8.32 and the minimum
    rule suggests 0.832, while the whole curve's lowest smoothed loss is at 12.6."""
    problem, x0 = quadratic
    result = finder.range_test(problem, lrt.optim.SGD(START), x0, start_lr=START,
                               end_lr=END, num_it=N)
    lrs, smoothed = finder.suggestion_window(result)
    at = float(lrs[int(np.argmin(smoothed))])
    assert f"{at:.3g}" == "8.32" and "$\\eta = 8.32$" in text
    assert f"{finder.suggest_minimum(result):.3g}" == "0.832" and "a tenth of that, 0.832" in text
    whole = float(result.lrs[int(np.nanargmin(result.smoothed))])
    assert f"{whole:.3g}" == "12.6"


def test_suggestions_as_a_share_of_the_optimal_rate(quadratic, text):
    # "The automatic suggestion rules gave 2.5% to 42% of the optimal rate on
    # that quadratic": the four rules of the chapter's test, over 2/(L + mu)
    problem, x0 = quadratic
    result = finder.range_test(problem, lrt.optim.SGD(lr=1.0), x0, start_lr=START,
                               end_lr=END, num_it=N)
    eta_star = lrt.theory.optimal_rate(problem.L, problem.mu)
    shares = [rule(result) / eta_star for rule in finder.SUGGESTIONS.values()]
    assert f"gave {100 * min(shares):.1f}% to {100 * max(shares):.0f}% of the optimal" in text
    # and the heavy-ball limit quoted beside the momentum row, (2 + 2 beta)/L
    assert f"$(2 + 2\\beta)/L = {(2 + 2 * 0.9) / problem.L:.1f}$" in text
