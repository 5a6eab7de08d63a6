"""Tests of the w2 plotting helpers: the data drawn must be the data computed.

plot_step_sizes is fed AdaGrad's step lengths under a constant gradient, whose
closed form eta/sqrt(t) (hand computation: s_t = t g^2) is checked on the drawn
line; plot_plateau is fed the PyTorch ReduceLROnPlateau reference sequence of
CONVENTIONS.md B.1.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from lrtutor import optim, plotting, schedules  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def adagrad_steps(T, eta=0.1, g=3.0):
    opt = optim.AdaGrad(lr=eta, eps=0.0)
    x, state, out = np.zeros(1), opt.init(np.zeros(1)), []
    for _ in range(T):
        new, state = opt.update(np.full(1, g), state, x)
        out.append(abs(new[0] - x[0]))
        x = new
    return np.array(out)


def test_plot_step_sizes_draws_adagrad_power_law(ax):
    sizes = adagrad_steps(50)
    plotting.plot_step_sizes(ax, [sizes], labels=["AdaGrad"])
    (line,) = ax.get_lines()
    assert_allclose(line.get_xdata(), np.arange(1, 51))
    # constant gradient g: s_t = t g^2, step = eta g / sqrt(t g^2) = eta / sqrt(t)
    assert_allclose(line.get_ydata(), 0.1 / np.sqrt(np.arange(1, 51)), rtol=1e-12)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_legend() is not None


def test_plot_step_sizes_linear_axes_and_bad_shape(ax):
    plotting.plot_step_sizes(ax, [np.ones(3), 2 * np.ones(3)], loglog=False)
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "linear"
    assert ax.get_legend() is None
    with pytest.raises(ValueError, match=r"sizes\[0\] must be 1-D"):
        plotting.plot_step_sizes(ax, [np.ones((2, 2))])


def test_plot_plateau_draws_metric_and_torch_reference_rates():
    # CONVENTIONS.md B.1 [verified]: losses [1.0, 0.9 x 11], factor .5, patience 2,
    # cooldown 1, min_lr .01 -> .1,.1,.1,.1,.05,.05,.05,.05,.025,...
    losses = [1.0] + [0.9] * 11
    plateau = schedules.ReduceLROnPlateau(0.1, factor=0.5, patience=2, cooldown=1,
                                          min_lr=0.01)
    rates = np.array([plateau.step(m) for m in losses])
    assert_allclose(rates[:9], [.1, .1, .1, .1, .05, .05, .05, .05, .025], rtol=1e-12)
    fig, axes = plt.subplots(2, 1, sharex=True)
    try:
        out = plotting.plot_plateau(axes, losses, [rates], labels=["torch"],
                                     metric_label="val")
        assert out is axes
        (metric_line,) = axes[0].get_lines()
        assert_allclose(metric_line.get_ydata(), losses)
        assert metric_line.get_label() == "val"
        (rate_line,) = axes[1].get_lines()
        assert_allclose(rate_line.get_ydata(), rates)
        assert rate_line.get_drawstyle() == "steps-post"
        assert axes[1].get_yscale() == "log" and axes[1].get_legend() is not None
        with pytest.raises(ValueError, match=r"rates\[0\] must be 1-D"):
            plotting.plot_plateau(axes, losses, [np.ones((2, 2))])
    finally:
        plt.close(fig)
