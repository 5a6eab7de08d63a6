"""Checks of the part "More adaptive methods" of book/adaptive_methods.ipynb.

The page states what NAdam, RAdam, Adamax, Adadelta, Yogi and Lion do to the
learning rate and shows it with printed numbers; the conformance checks behind
those statements live here, not on the page:

- theory.radam_rectification and theory.nadam_momentum against hand
  computations and against the optimizers' own updates;
- the closed-form claims of the text (NAdam's first step in optax's form,
  Adamax's step bound, Yogi's additive second moment, Adadelta's
  independence of the gradient's scale, RAdam as a warmup of about
  2 / (1 - beta2) updates, Lion's fixed step length);
- the measured claim of the Lion section: on the book's network testbed the
  best rate of Lion is 3 to 10 times smaller than AdamW's;
- the page itself: no assert in its cells, its figures, its citations.
"""

import json
import math
import pathlib
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import lrtutor as lrt
from lrtutor.optim import (Adadelta, Adam, Adamax, AdamW, Lion, NAdam, RAdam,
                           Yogi)
from lrtutor.theory import nadam_momentum, radam_rectification

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "adaptive_methods.ipynb"


def feed(opt, grads):
    """Step lengths and states when the scalar gradients ``grads`` are fed in turn."""
    x, state, lengths, states = np.zeros(1), opt.init(np.zeros(1)), [], []
    for g in grads:
        new, state = opt.update(np.array([g]), state, x)
        lengths.append(abs(new[0] - x[0]))
        states.append(state)
        x = new
    return np.array(lengths), states


# --- theory.radam_rectification ----------------------------------------------

def test_radam_rho_by_hand():
    # rho_1 = rho_inf - 2 beta2 / (1 - beta2) = 1 for every beta2
    for beta2 in (0.5, 0.9, 0.999):
        assert radam_rectification(beta2, 1)[0] == pytest.approx(1.0, rel=1e-12)
    # beta2 = 0.5: rho_inf = 3, rho_2 = 3 - 4 * 0.25 / 0.75 = 5/3
    assert radam_rectification(0.5, 2)[0] == pytest.approx(5 / 3, rel=1e-12)
    # beta2 = 0.9, t = 10 by hand: rho_inf = 19
    b = 0.9 ** 10
    rho = 19 - 20 * b / (1 - b)
    r = math.sqrt((rho - 4) * (rho - 2) * 19 / (15 * 17 * rho))
    got_rho, got_r = radam_rectification(0.9, 10)
    assert got_rho == pytest.approx(rho, rel=1e-12)
    assert got_r == pytest.approx(r, rel=1e-12)


def test_radam_rectification_is_radams_step():
    """Under a constant gradient 1 with eps = 0, RAdam's adaptive step is
    exactly r_t * eta (m_hat = 1 and sqrt(1 - beta2^t) / sqrt(v_t) = 1), and
    its momentum steps, where r_t is NaN, are eta * m_hat = eta."""
    eta, T = 0.01, 400
    for beta2 in (0.99, 0.999):
        steps, _ = feed(RAdam(lr=eta, betas=(0.9, beta2), eps=0.0), np.ones(T))
        rho, r = radam_rectification(beta2, np.arange(1, T + 1))
        momentum = np.isnan(r)
        assert_array_equal(momentum, rho <= 5)
        assert momentum.sum() == 5                      # the page's five steps
        assert_allclose(steps[momentum], eta, rtol=1e-12)
        # rho_t is a difference of two numbers near rho_inf (1999) that leaves
        # about 6 at the switch, so float64 rounding of 2e-16 * 2000 becomes a
        # relative 1e-13 in rho_t, amplified by 1 / (rho_t - 4) in r_t; 1e-10
        # is far below any error of the formula (r_6 vs r_7 differ by 25 %)
        assert_allclose(steps[~momentum] / eta, r[~momentum], rtol=1e-10)


def test_radam_rectification_limits_and_shapes():
    rho, r = radam_rectification(0.999, np.arange(6, 200_001, 997))
    # increasing until rho_t reaches rho_inf in float64 (then constant)
    assert np.all(np.diff(rho) >= 0) and np.all(np.diff(r) >= 0)
    assert np.all(np.diff(rho[:6]) > 0) and np.all(np.diff(r[:6]) > 0)
    assert rho[-1] == pytest.approx(1999.0, rel=1e-9)
    assert r[-1] == pytest.approx(1.0, rel=1e-9)
    grid = np.arange(1, 13).reshape(3, 4)
    rho2, r2 = radam_rectification(0.99, grid)
    assert rho2.shape == r2.shape == (3, 4)
    assert isinstance(radam_rectification(0.99, 7)[1], float)
    # beta2 <= 0.6: rho_inf <= 4, never rectified
    assert np.all(np.isnan(radam_rectification(0.6, np.arange(1, 1000))[1]))


def test_radam_is_a_warmup_of_about_two_over_one_minus_beta2():
    """The page's claim: the rate RAdam withholds, sum(1 - r_t), is what a
    linear warmup over about 2 / (1 - beta2) updates withholds (within 6 %)."""
    for beta2 in (0.99, 0.995, 0.999):
        r = radam_rectification(beta2, np.arange(1, 60_001))[1]
        warmup = 2 * np.nansum(1 - r)
        assert warmup == pytest.approx(2 / (1 - beta2), rel=0.06)


@pytest.mark.parametrize("bad, exc, word", [
    (dict(beta2=1.0, t=3), ValueError, "beta2"),
    (dict(beta2=0.0, t=3), ValueError, "beta2"),
    (dict(beta2=0.9, t=0), ValueError, "t must"),
    (dict(beta2=0.9, t=np.array([1, -2])), ValueError, "t must"),
    (dict(beta2=0.9, t=1.5), TypeError, "t must"),
    (dict(beta2=0.9, t=True), TypeError, "t must"),
    (dict(beta2="0.9", t=3), TypeError, "beta2"),
])
def test_radam_rectification_rejects_bad_input(bad, exc, word):
    with pytest.raises(exc, match=word):
        radam_rectification(**bad)


# --- theory.nadam_momentum ---------------------------------------------------

def test_nadam_momentum_by_hand_and_against_the_optimizer():
    mu, prod = nadam_momentum(0.9, 0.004, np.arange(1, 201))
    assert mu[0] == pytest.approx(0.9 * (1 - 0.5 * 0.96 ** 0.004), rel=1e-15)
    assert prod[1] == pytest.approx(mu[0] * mu[1], rel=1e-13)
    # against NAdam's state: the product it carries, update by update
    opt, x = NAdam(lr=0.01), np.array([1.0, -2.0])
    state = opt.init(x)
    carried = []
    for _ in range(200):
        x, state = opt.update(x, state, x)
        carried.append(state.mu_product)
    # exp(sum of logs) against a running product: t roundings of 1e-16 each
    assert_allclose(prod, carried, rtol=1e-12)
    assert_allclose(prod, np.cumprod(mu), rtol=1e-12)


def test_nadam_momentum_limits_and_bad_input():
    mu, prod = nadam_momentum(0.9, 1e5, np.arange(1, 6))      # optax's constant mu
    assert_allclose(mu, 0.9, rtol=1e-15)
    assert_allclose(prod, 0.9 ** np.arange(1, 6), rtol=1e-13)
    mu, prod = nadam_momentum(0.0, 0.004, np.array([1, 3]))
    assert_array_equal(mu, 0.0) and assert_array_equal(prod, 0.0)
    assert isinstance(nadam_momentum(0.9, 0.004, 4)[0], float)
    with pytest.raises(ValueError, match="psi"):
        nadam_momentum(0.9, -1.0, 3)
    with pytest.raises(ValueError, match="beta1"):
        nadam_momentum(1.0, 0.004, 3)
    with pytest.raises(ValueError, match="t must"):
        nadam_momentum(0.9, 0.004, 0)
    with pytest.raises(ValueError, match="t must have every entry <= 10000000"):
        nadam_momentum(0.9, 0.004, np.array([3, 2 ** 40]))      # no 8 TB allocation


# --- the text's closed forms -------------------------------------------------

def test_nadam_first_step_in_optax_form():
    """mu_t = beta1: the first step under a constant gradient is
    eta (1 + beta1 (1 - beta1) / (1 - beta1^2)) = 1.4737 eta (eps = 0)."""
    steps, _ = feed(NAdam(lr=0.01, eps=0.0, momentum_decay=1e5), [1.0, 1.0])
    assert steps[0] == pytest.approx(0.01 * (1 + 0.9 * 0.1 / (1 - 0.81)), rel=1e-12)


def test_adamax_step_is_bounded():
    """|step| <= eta (1 - beta1) / (1 - beta1 / beta2) whatever the gradients;
    heavy-tailed random gradients and spikes of 1e4 do not break it."""
    rng = np.random.default_rng(0)
    grads = rng.standard_cauchy(5000)
    grads[::500] *= 1e4
    for betas in ((0.9, 0.999), (0.5, 0.9)):
        steps, _ = feed(Adamax(lr=0.01, betas=betas, eps=0.0), grads)
        bound = 0.01 * (1 - betas[0]) / (1 - betas[0] / betas[1])
        assert steps.max() <= bound * (1 + 1e-12)
        assert steps.max() > 0.5 * 0.01           # the bound is not vacuous


def test_yogi_second_moment_moves_by_at_most_its_fraction_of_g_squared():
    """v_t - v_{t-1} is -(1 - beta2) sign(v_{t-1} - g_t^2) g_t^2 exactly."""
    rng = np.random.default_rng(1)
    grads = rng.normal(size=300) * np.r_[np.ones(100), np.full(200, 0.01)]
    _, states = feed(Yogi(lr=0.01), grads)
    v = np.r_[1e-6, [s.v[0] for s in states]]
    expected = -(1 - 0.999) * np.sign(v[:-1] - grads ** 2) * grads ** 2
    # each v_t is rounded once (half an ulp of v, at most 0.5 * 2.2e-16 * max v),
    # so the differences are exact up to two such roundings
    assert_allclose(np.diff(v), expected, rtol=1e-9,
                    atol=2 * np.finfo(float).eps * v.max())
    assert np.any(np.diff(v) < 0) and np.any(np.diff(v) > 0)


def test_adadelta_steps_do_not_depend_on_the_gradient_scale():
    """With g^2 >> eps the steps for g = 1 and g = 100 agree: the relative
    difference is of order eps / ((1 - rho) g^2) = 1e-5 for g = 1."""
    a, _ = feed(Adadelta(), np.ones(500))
    b, _ = feed(Adadelta(), np.full(500, 100.0))
    assert_allclose(a, b, rtol=2e-5)
    assert not np.allclose(a, b, rtol=1e-9)      # eps still shows for g = 1


def test_lion_moves_every_live_coordinate_by_eta():
    split = lrt.data.load_digits_split(seed=0)
    net = lrt.network.MLP(split.X_train, split.y_train, hidden=(32,))
    x0 = net.init(np.random.default_rng(0), k=2)
    eta = 0.003
    path = lrt.train.run(net, Lion(lr=eta, weight_decay=0.0), x0, 3,
                         rng=[np.random.default_rng(s) for s in range(2)], batch_size=32,
                         sampling="epoch").params
    steps = np.abs(np.diff(path, axis=0))
    moved = steps > 0
    assert_allclose(steps[moved], eta, rtol=1e-12)
    # the coordinates that never move: the weights of the constant input pixels
    constant = np.ptp(split.X_train, axis=0) == 0
    assert moved.sum(axis=-1).min() == net.dim - 32 * constant.sum()


# --- the measured claim: Lion's best rate is 3 to 10 times smaller than AdamW's

def test_lion_best_rate_is_several_times_smaller_than_adamws():
    split = lrt.data.load_digits_split(seed=0)
    net = lrt.network.MLP(split.X_train, split.y_train, hidden=(32,))
    seeds, epochs, batch = 5, 3, 32
    per_epoch = -(-net.n // batch)
    x0 = net.init(np.random.default_rng(0), k=seeds)
    lrs = np.logspace(-4.5, -0.5, 17)
    best = {}
    for name, opt in {"AdamW": AdamW(lr=1.0, weight_decay=0.0),
                      "Lion": Lion(lr=1.0, weight_decay=0.0)}.items():
        tr = lrt.train.sweep_seeds(net, opt, lrs, x0, epochs * per_epoch,
                                   rng=[np.random.default_rng(100 + s) for s in range(seeds)],
                                   batch_size=batch, sampling="epoch",
                                   record_every=epochs * per_epoch)
        final = lrt.train.epoch_losses(tr, per_epoch)[-1]
        best[name] = lrt.train.best_rate(lrs, np.nanmedian(final, axis=-1))
        assert not tr.diverged.any()
        # the best rate is inside the grid, not at an edge
        assert lrs[1] < best[name] < lrs[-2]
    assert 3 <= best["AdamW"] / best["Lion"] <= 10


# --- the page ----------------------------------------------------------------

@pytest.fixture(scope="module")
def page():
    return json.loads(PAGE.read_text())


def test_page_has_no_assert_statements(page):
    for cell in page["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            assert not re.search(r"^\s*assert\b", src, re.M), src[:80]


def test_page_has_the_six_sections_and_their_figures(page):
    text = "\n".join("".join(c["source"]) for c in page["cells"] if c["cell_type"] == "markdown")
    for name in ("NAdam", "RAdam", "Adamax", "Adadelta", "Yogi", "Lion"):
        assert re.search(rf"^### {name}\b", text, re.M), name
    names = {c["metadata"]["mystnb"]["figure"]["name"] for c in page["cells"]
             if "mystnb" in c["metadata"]}
    for fig in ("nadam", "radam", "adamax", "adadelta", "yogi", "lion"):
        assert f"fig-adapt-{fig}" in names
    for c in page["cells"]:
        if "mystnb" in c["metadata"]:
            assert c["metadata"]["mystnb"]["image"]["alt"].strip()


def test_page_cites_entries_that_exist(page):
    bib = (ROOT / "book" / "references.bib").read_text()
    keys = re.findall(r"^@\w+\{([^,]+),", bib, re.M)
    assert len(keys) == len(set(keys)), "duplicate keys in references.bib"
    text = "".join("".join(c["source"]) for c in page["cells"])
    cited = set(re.findall(r"\{cite:p\}`([^`]+)`", text))
    for key in ("dozat2016incorporating", "liu2020variance", "zeiler2012adadelta",
                "zaheer2018adaptive", "chen2023symbolic", "kingma2015adam"):
        assert key in cited
    assert cited <= set(keys)
