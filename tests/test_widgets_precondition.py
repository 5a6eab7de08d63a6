"""The preconditioning explorer: what it draws follows lrtutor.precondition and closed forms.

It lives in its own module (lrtutor.widgets_precondition), so the generic checks
that tests/test_widgets.py runs on widgets.EXPLORERS are run on it here.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

import test_widgets as generic  # noqa: E402
from lrtutor import widgets  # noqa: E402
from lrtutor.widgets_precondition import PreconditionExplorer, preconditioner_for  # noqa: E402


@pytest.fixture
def ex():
    e = PreconditionExplorer(angle=45.0, preconditioner="jacobi", kappa=20.0)
    yield e
    plt.close(e.fig)


def test_jacobi_at_45_degrees_leaves_kappa_and_at_0_removes_it(ex):
    assert "κ̃ = 20 (κ = 20)" in ex.message.value
    ex.set("angle", 0.0)
    assert "κ̃ = 1 (κ = 20), one step reaches the minimum" in ex.message.value
    # one Jacobi step on an axis-aligned quadratic lands on the minimiser
    x, y = ex.path_line.get_data()
    assert_allclose([x[1], y[1]], [0.0, 0.0], atol=1e-14)


def test_curves_are_the_two_by_two_closed_forms(ex):
    ex.set("kappa", 100.0)
    angles = np.radians(ex.angles)
    mu, L = 0.01, 1.0
    # H = Q diag(mu, L) Q^T: a = mu c^2 + L s^2, c' = mu s^2 + L c^2, b = (mu - L) s c
    c, s = np.cos(angles), np.sin(angles)
    a, d, b = mu * c**2 + L * s**2, mu * s**2 + L * c**2, (mu - L) * s * c
    r = np.abs(b) / np.sqrt(a * d)
    assert_allclose(ex.curves["jacobi"].get_ydata(), (1 + r) / (1 - r), rtol=1e-8)
    assert_allclose(ex.curves["none"].get_ydata(), 100.0, rtol=1e-10)
    assert_allclose(ex.curves["newton"].get_ydata(), 1.0, rtol=1e-10)


def test_path_is_preconditioned_gd_at_the_best_rate(ex):
    ex.set("angle", 30.0)
    q = ex.problem()
    P = np.diag(np.diag(q.hessian))
    lam = np.linalg.eigvals(np.linalg.solve(P, q.hessian)).real
    lam.sort()
    eta = 2 / (lam[0] + lam[-1])
    theta = np.array(ex.theta0)
    x, y = ex.path_line.get_data()
    for t in range(5):          # independent loop: theta <- theta - eta P^{-1} H theta
        assert_allclose([x[t], y[t]], theta, rtol=1e-12, atol=1e-15)
        theta = theta - eta * np.linalg.solve(P, q.hessian @ theta)
    rho = (lam[-1] / lam[0] - 1) / (lam[-1] / lam[0] + 1)
    assert f"error x{rho:.3f} per step" in ex.message.value


def test_newton_reaches_the_minimum_in_one_step_at_every_angle(ex):
    ex.set("preconditioner", "newton")
    for angle in (0.0, 20.0, 45.0, 70.0):
        ex.set("angle", angle)
        x, y = ex.path_line.get_data()
        assert_allclose([x[1], y[1]], [0.0, 0.0], atol=1e-12)
        assert "one step reaches the minimum" in ex.message.value


def test_static_twin_over_the_angle(ex):
    html = widgets.static_twin(ex, "angle", [0.0, 45.0, 90.0]).data
    assert html.count("data:image/png;base64") == 3
    assert ex.values["angle"] == 45.0


def test_preconditioner_for_and_bad_arguments():
    H = np.array([[2.0, 1.0], [1.0, 3.0]])
    assert_allclose(preconditioner_for("none", H), np.eye(2))
    assert_allclose(preconditioner_for("newton", H), H)
    with pytest.raises(ValueError, match="kind must be one of"):
        preconditioner_for("adam", H)
    with pytest.raises(ValueError, match="angle"):
        PreconditionExplorer(angle=100.0)
    with pytest.raises(ValueError, match="preconditioner must be one of"):
        PreconditionExplorer(preconditioner="full")
    with pytest.raises(ValueError, match="kappa"):
        PreconditionExplorer(kappa=0.5)


def test_survives_every_control_at_both_ends():
    generic.test_every_explorer_survives_every_control_at_both_ends(PreconditionExplorer)


def test_blitted_image_equals_a_full_redraw():
    generic.test_blitted_image_equals_a_full_redraw(PreconditionExplorer)
