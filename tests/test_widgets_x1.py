"""Tests of the x1 explorers (gradient descent, momentum, adaptive methods, common mistakes).

Controls are set programmatically; what is drawn is compared with closed forms,
hand-written recurrences or independent runs, and the verdicts with the
thresholds theory predicts. The generic robustness and blitting tests live in
tests/test_widgets.py (they pick these explorers up through EXPLORERS).
"""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from lrtutor import optim, plotting, problems, schedules, theory, train, widgets  # noqa: E402


@pytest.fixture
def close_all():
    yield
    plt.close("all")


def text(ex):
    return ex.message.value.removeprefix("<b>").removesuffix("</b>")


# --- plotting helpers ---------------------------------------------------------

def test_level_sets_lie_on_their_level():
    q = problems.Quadratic.two_d(0.05, 1.0, angle=0.4, minimizer=(0.3, -0.2))
    levels = np.array([2.0, 0.5, 1e-3])
    x, y = plotting.level_set_xy(q, levels, num=50)
    pts = np.stack([x, y], axis=-1).reshape(3, 51, 2)
    assert np.all(np.isnan(pts[:, -1]))                     # separators
    assert_allclose(q.loss(pts[:, :-1]), np.repeat(levels[:, None], 50, axis=1), rtol=1e-12)


def test_level_sets_bad_arguments():
    with pytest.raises(TypeError, match="problem"):
        plotting.level_set_xy(problems.Rosenbrock(), [1.0])
    with pytest.raises(ValueError, match="levels"):
        plotting.level_set_xy(problems.Quadratic.two_d(1.0, 2.0), [-1.0])
    with pytest.raises(ValueError, match="num"):
        plotting.level_set_xy(problems.Quadratic.two_d(1.0, 2.0), [1.0], num=2)


def test_measured_contraction_of_a_geometric_sequence():
    assert widgets.measured_contraction(3.0 * 0.7 ** np.arange(40)) == pytest.approx(0.7, rel=1e-12)
    assert widgets.measured_contraction([1.0, 0.0, 0.0]) is None
    assert widgets.measured_contraction(2.0 ** np.arange(10), window=3) == pytest.approx(2.0, rel=1e-12)


# --- ValleyExplorer -------------------------------------------------------------

def test_valley_path_is_the_closed_form(close_all):
    ex = widgets.ValleyExplorer(eta=0.7, kappa=10.0, angle=20.0, steps=60)
    q = problems.Quadratic.two_d(0.1, 1.0, math.radians(20.0))
    x, y = ex.path_line.get_data()
    expected = np.array([theory.gd_iterate(q.hessian, ex.theta0, 0.7, t) for t in range(61)])
    assert_allclose(np.stack([x, y], axis=-1), expected, rtol=1e-10, atol=1e-14)
    _, loss = ex.loss_line.get_data()
    assert_allclose(loss, q.loss(expected), rtol=1e-10)
    rho = max(abs(1 - 0.7 * 0.1), abs(1 - 0.7))
    _, bound = ex.bound_line.get_data()
    assert_allclose(bound, loss[0] * rho ** (2 * np.arange(61)), rtol=1e-12)
    assert np.all(loss <= bound * (1 + 1e-12))               # the bound holds


def test_valley_levels_are_fractions_of_the_start_loss(close_all):
    ex = widgets.ValleyExplorer(kappa=50.0, angle=10.0)
    q = problems.Quadratic.two_d(0.02, 1.0, math.radians(10.0))
    x, y = ex.levels_line.get_data()
    keep = np.isfinite(x)
    f0 = float(q.loss(np.array(ex.theta0)))
    losses = q.loss(np.stack([x[keep], y[keep]], axis=-1)) / f0
    assert_allclose(np.unique(losses.round(9)), np.sort(ex.level_fractions).round(9), rtol=1e-9)


def test_valley_title_states_both_rates(close_all):
    ex = widgets.ValleyExplorer(kappa=4.0)
    assert "2/L = 2" in ex.title.get_text()
    assert "2/(L+μ) = 1.6" in ex.title.get_text()          # 2 / (1 + 0.25)


@pytest.mark.parametrize("eta, expected", [
    (1.99, "too slow"),                 # rho = 0.99: 1375 steps > 150
    (2.0, "does not converge: ηL = 2.00"),
    (2.01, "diverging: ηL = 2.01 > 2, error x1.0100 per step (theory 1.0100)"),
    (2.1, "diverged at step 97"),       # loss x1.21 per step passes 1e8 f0 (see the doctest)
    (1.6, "converges, zig-zagging"),               # rho = max(0.84, 0.6): 80 steps, within the run
    (0.5, "too slow"),
])
def test_valley_regimes_at_kappa_10(close_all, eta, expected):
    ex = widgets.ValleyExplorer(eta=0.5, kappa=10.0, steps=150)
    ex.set("eta", eta)
    rho = float(theory.contraction_factor(eta, [0.1, 1.0]))
    need = theory.iterations_to_tolerance(rho, 1e-6) if rho < 1 else math.inf
    if expected.startswith("converges"):
        assert need <= 150
    assert text(ex).startswith(expected), text(ex)


def test_valley_monotone_and_one_step(close_all):
    ex = widgets.ValleyExplorer(eta=0.9, kappa=1.0, steps=150)
    assert text(ex).startswith("converges smoothly: error x0.1000 per step (theory 0.1000)")
    ex.set("eta", 1.0)
    assert text(ex) == "converges in one step: the rate cancels every curvature exactly"


def test_valley_measured_contraction_equals_theory_at_the_optimal_rate(close_all):
    kappa = 20.0
    eta = theory.optimal_rate(1.0, 1 / kappa)
    ex = widgets.ValleyExplorer(eta=round(eta, 6), kappa=kappa, steps=300)
    rho = float(theory.contraction_factor(round(eta, 6), [1 / kappa, 1.0]))
    measured = float(text(ex).split("error x")[1].split()[0])
    assert measured == pytest.approx(rho, abs=1e-4)
    assert f"theory {rho:.4f}" in text(ex)


def test_valley_diverged_run_stops_at_its_last_finite_point(close_all):
    ex = widgets.ValleyExplorer(eta=3.0, kappa=10.0)
    at = int(text(ex).split("diverged at step ")[1].split(":")[0])
    x, _ = ex.path_line.get_data()
    _, loss = ex.loss_line.get_data()
    assert len(x) == at and len(loss) == at and np.all(np.isfinite(loss))
    # |1 - 3| = 2 per step along the steep direction: the loss passes 1e8 f0 near log(1e8)/log(4)
    assert 12 <= at <= 16


# --- MomentumPlaneExplorer ---------------------------------------------------------

def heavy_ball_by_hand(q, x0, eta, beta, steps):
    x, b, out = np.array(x0, dtype=float), np.zeros(2), [np.array(x0, dtype=float)]
    for _ in range(steps):
        b = beta * b + q.hessian @ x          # minimizer at the origin
        x = x - eta * b
        out.append(x)
    return np.array(out)


def test_momentum_path_is_the_heavy_ball_recurrence(close_all):
    ex = widgets.MomentumPlaneExplorer(eta=0.8, beta=0.7, kappa=50.0, steps=80)
    x, y = ex.path_line.get_data()
    assert_allclose(np.stack([x, y], axis=-1),
                    heavy_ball_by_hand(ex.problem, ex.theta0, 0.8, 0.7, 80), rtol=1e-10, atol=1e-14)
    assert ex.point.get_data() == ([0.8], [0.7])
    ex.set("beta", 0.2)
    assert ex.point.get_data() == ([0.8], [0.2])


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_momentum_stability_boundary(close_all, beta):
    ex = widgets.MomentumPlaneExplorer(eta=0.5, beta=beta, kappa=100.0, steps=2000)
    limit = 2 + 2 * beta                                    # eta L < 2 + 2 beta, L = 1
    ex.set("eta", limit * 0.98)
    assert text(ex).startswith("converges"), text(ex)
    ex.set("eta", min(limit * 1.02, 5.0))
    assert text(ex).startswith("diverged at step"), text(ex)


def test_momentum_optimum_gives_the_optimal_rate(close_all):
    ex = widgets.MomentumPlaneExplorer(kappa=100.0)
    eta_s, beta_s = theory.heavy_ball_optimal(1.0, 0.01)
    ex.set("beta", beta_s).set("eta", eta_s)
    assert text(ex).startswith("converges: ρ = 0.8182 per step")
    assert "gradient descent at best 0.9802" in text(ex)


def test_momentum_map_stays_in_the_cached_background(close_all):
    ex = widgets.MomentumPlaneExplorer()
    background = ex._background
    ex.set("eta", 2.0).set("beta", 0.3)
    assert ex._background is background                    # never redrawn on a move


# --- OptimizerRaceExplorer -----------------------------------------------------------

def test_race_paths_are_independent_runs(close_all):
    ex = widgets.OptimizerRaceExplorer(surface="rotated", steps=40)
    q = problems.Quadratic.two_d(0.01, 1.0, math.radians(30.0))
    x, y = ex.paths["gd"].get_data()
    expected = np.array([theory.gd_iterate(q.hessian, ex.starts["rotated"], 1.0, t)
                         for t in range(41)])
    assert_allclose(np.stack([x, y], axis=-1), expected, rtol=1e-10, atol=1e-14)
    x, y = ex.paths["nesterov"].get_data()
    nest = train.run(q, optim.SGD(lr=0.5, momentum=0.9, nesterov=True), ex.starts["rotated"], 40)
    assert_allclose(np.stack([x, y], axis=-1), nest.params, rtol=1e-12)


def test_race_moving_one_slider_reruns_only_that_optimizer(close_all):
    ex = widgets.OptimizerRaceExplorer(steps=30)
    before = {k: ex._traces[k] for k in ex.names}
    ex.set("adam", 0.05)
    assert all(ex._traces[k] is before[k] for k in ex.names if k != "adam")
    assert ex._traces["adam"] is not before["adam"]


def test_race_leader_and_diverged_runs(close_all):
    ex = widgets.OptimizerRaceExplorer(surface="aligned", steps=100)
    ex.set("gd", 2.5)                                       # eta L = 2.5 > 2
    finals = {ex.names[k]: float(ex._traces[k].final_loss) for k in ex.names if k != "gd"}
    leader = min(finals, key=finals.get)
    assert text(ex).startswith(f"after 100 steps: {leader} leads")
    assert text(ex).endswith("diverged: GD (step 24)")     # 1.5^t from f0: see the doctest


def test_race_each_surface_remembers_its_rates(close_all):
    ex = widgets.OptimizerRaceExplorer(steps=20)
    ex.set("gd", 0.3)
    ex.set("surface", "rosenbrock")
    assert ex.values["gd"] == ex.default_rates["rosenbrock"]["gd"]
    x, y = ex.paths["gd"].get_data()
    assert (x[0], y[0]) == ex.starts["rosenbrock"]
    ex.set("surface", "aligned")
    assert ex.values["gd"] == 0.3
    assert ex.ax_path.get_xlim() == ex.windows["aligned"][0]


def test_race_verdict_when_everything_diverges():
    q = problems.Quadratic.two_d(0.1, 1.0)
    runs = {"a": train.run(q, optim.SGD(3.0), [1.0, 1.0], 30),
            "b": train.run(q, optim.SGD(2.5), [1.0, 1.0], 30)}
    assert widgets.race_verdict(runs).startswith("every run diverged; diverged: a (step")
    with pytest.raises(ValueError, match="traces"):
        widgets.race_verdict({})


# --- CosineErratumExplorer -----------------------------------------------------------

def test_source_cosine_matches_the_errata_numbers():
    t = np.arange(1001)
    eta = widgets.source_cosine(0.1, 1000, t)
    assert np.count_nonzero(eta < 0) == 666                 # ERRATA E004-4
    assert np.flatnonzero(eta < 0)[0] == 334
    assert int(t[np.argmin(eta)]) == 479
    assert round(float(eta.min()), 5) == -0.00896
    # by hand: t = 500 gives 0.1 * 0.125 * cos(3 pi / 4)
    assert widgets.source_cosine(0.1, 1000, 500) == pytest.approx(-0.0125 / math.sqrt(2), rel=1e-12)


def test_cosine_curves_and_training(close_all):
    ex = widgets.CosineErratumExplorer(eta_max=0.1, eta_min_fraction=0.0, T=1000)
    u, cos = ex.cos_line.get_data()
    idx = [0, 250, 500, 750, 1000]
    # Keras CosineDecay(0.1, 1000), ERRATA, in units of eta_max
    assert_allclose(cos[idx] * 0.1, [0.1, 0.0853553, 0.05, 0.0146447, 0.0], atol=5e-8)
    _, xcos = ex.cos_x.get_data()
    run = train.run(problems.Quadratic.one_d(1.0), optim.SGD(schedules.CosineDecay(0.1, 1000)),
                    [1.0], 1000)
    assert_allclose(xcos, np.abs(run.params[:, 0]), rtol=1e-10)
    _, xsrc = ex.src_x.get_data()
    assert f"{xsrc[334]:.1e}" == "2.2e-07" and f"{xsrc[-1]:.1e}" == "2.6e-06"   # ERRATA
    assert text(ex).startswith("source's rate goes negative at step 334 (on 666 of 1000 updates")
    assert "grows x11.7 from there" in text(ex)


def test_cosine_stays_in_its_band_and_first_negative_step(close_all):
    ex = widgets.CosineErratumExplorer(eta_max=0.2, eta_min_fraction=0.25, T=31)
    _, cos = ex.cos_line.get_data()
    assert cos.min() == pytest.approx(0.25, rel=1e-12) and cos.max() == pytest.approx(1.0)
    assert "goes negative at step 11 " in text(ex)          # first integer t > 31/3
    shaded = ex.shade.get_paths()
    assert len(shaded) >= 1
    verts = np.concatenate([p.vertices for p in shaded])
    assert verts[:, 1].max() <= 1e-12 and verts[:, 1].min() < 0   # only below zero


def test_bad_arguments_name_the_parameter(close_all):
    with pytest.raises(ValueError, match="eta"):
        widgets.ValleyExplorer(eta=5.0)
    with pytest.raises(ValueError, match="kappa"):
        widgets.ValleyExplorer(kappa=0.5)
    with pytest.raises(ValueError, match="angle"):
        widgets.ValleyExplorer(angle=90.0)
    with pytest.raises(ValueError, match="beta"):
        widgets.MomentumPlaneExplorer(beta=1.0)
    with pytest.raises(ValueError, match="kappa"):
        widgets.MomentumPlaneExplorer(kappa=1.0)
    with pytest.raises(ValueError, match="surface"):
        widgets.OptimizerRaceExplorer(surface="bowl")
    with pytest.raises(ValueError, match="steps"):
        widgets.OptimizerRaceExplorer(steps=0)
    with pytest.raises(ValueError, match="eta_min_fraction"):
        widgets.CosineErratumExplorer(eta_min_fraction=0.9)
    with pytest.raises(ValueError, match="T"):
        widgets.CosineErratumExplorer(T=5)
    with pytest.raises(TypeError, match="T"):
        widgets.CosineErratumExplorer(T=10.5)


def test_valley_names_the_best_rate(close_all):
    """At eta* = 2/(L+mu) exactly the verdict says it is the best constant rate;
    just off it, it does not."""
    ex = widgets.ValleyExplorer(eta=0.5, kappa=20.0, steps=150)
    ex.set("eta", theory.optimal_rate(1.0, 1 / 20))
    assert text(ex).startswith("converges, zig-zagging at the best constant rate 2/(L+μ): "
                               "error x0.9048"), text(ex)
    ex.set("eta", 1.88)
    assert "best constant rate" not in text(ex)
