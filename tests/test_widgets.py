"""Widget tests without a browser: set controls programmatically, check what is drawn."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from lrtutor import widgets  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def explorer():
    ex = widgets.QuadraticExplorer(eta=0.2, lam=4.0, theta0=2.0, steps=60)
    yield ex
    plt.close(ex.fig)


def test_initial_state_is_rendered(explorer):
    assert bytes(explorer.image.value).startswith(PNG)
    # eta * lam = 0.8: factor 0.2, error below 1e-6 after ceil(log 1e-6 / log 0.2) = 9 steps
    assert explorer.message.value == ("<b>converges monotonically: error x0.200 per step, "
                                      "1e-6 of the start after 9 steps</b>")


def test_path_on_the_figure_is_the_closed_form(explorer):
    explorer.set("eta", 0.1).set("lam", 3.0)
    t, theta = explorer.path_line.get_data()
    assert_allclose(theta, 2.0 * (1 - 0.1 * 3.0) ** np.asarray(t), rtol=1e-12)
    _, loss = explorer.loss_line.get_data()
    assert_allclose(loss, 0.5 * 3.0 * theta ** 2, rtol=1e-12)


@pytest.mark.parametrize("eta, expected", [
    (0.25, "converges in one step"),                        # eta = 1/lambda
    (0.4, "oscillates and converges: error x0.600 per step, 1e-6 of the start after 28 steps"),
    (0.5, "does not converge: contraction factor 1.000"),   # eta = 2/lambda
    (0.55, "diverged at step 51"),                          # 8 * 1.44^t > 8e8 first at t = 51
])
def test_message_follows_the_mathematics(explorer, eta, expected):
    explorer.set("eta", eta)
    assert expected in explorer.message.value


def test_updates_in_place_without_new_figures(explorer):
    figures = plt.get_fignums()
    fig, line, before = explorer.fig, explorer.path_line, explorer.image.value
    explorer.set("eta", 0.45)
    assert explorer.fig is fig and explorer.path_line is line
    assert explorer.image.value != before
    assert plt.get_fignums() == figures


def test_every_control_at_both_ends_gives_a_figure_and_a_message(explorer):
    ends = {name: (c.min, c.max) for name, c in explorer.controls.items()}
    # a log slider's min/max are exponents
    ends["eta"] = (10.0 ** explorer.controls["eta"].min, 10.0 ** explorer.controls["eta"].max)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for eta in ends["eta"]:
            for lam in ends["lam"]:
                explorer.set("eta", eta).set("lam", lam)
                assert bytes(explorer.image.value).startswith(PNG)
                text = explorer.message.value
                assert ("converges" in text) or ("diverged at step" in text), text
    # the largest rate and curvature diverge at once; the smallest creep
    assert "diverged at step" in text
    explorer.set("eta", ends["eta"][0]).set("lam", ends["lam"][0])
    assert "converges monotonically" in explorer.message.value


def test_static_twin_has_one_frame_per_value_and_restores_state(explorer):
    before = explorer.values
    image = explorer.image.value
    html = widgets.static_twin(explorer, "eta", [0.1, 0.3, 0.55]).data
    assert html.count("data:image/png;base64") == 3
    assert '<img alt="Animation of the figure above for 3 values of eta' in html
    assert "diverged at step 51" not in explorer.message.value
    assert explorer.values == before and explorer.image.value == image
    # the explorer stays usable: a later move still redraws
    explorer.set("eta", 0.55)
    assert "diverged at step 51" in explorer.message.value


def test_bad_arguments_name_the_parameter(explorer):
    with pytest.raises(ValueError, match="eta"):
        widgets.QuadraticExplorer(eta=-1.0)
    with pytest.raises(ValueError, match="lam"):
        widgets.QuadraticExplorer(lam=100.0)
    with pytest.raises(ValueError, match="name"):
        explorer.set("beta", 0.3)
    with pytest.raises(ValueError, match="values"):
        widgets.static_twin(explorer, "eta", [])
    with pytest.raises(ValueError, match="name"):
        widgets.static_twin(explorer, "beta", [0.1])
    with pytest.raises(ValueError, match="alt"):
        widgets.static_twin(explorer, "eta", [0.1], alt=" ")


def control_extremes(control):
    """Both ends of a slider (a log slider's bounds are exponents), or every option."""
    import ipywidgets as w

    if isinstance(control, w.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max]
    if hasattr(control, "options"):
        return [value for _, value in control.options] if control.options and \
            isinstance(control.options[0], tuple) else list(control.options)
    if hasattr(control, "min") and hasattr(control, "max"):
        return [control.min, control.max]
    if isinstance(control.value, bool):
        return [False, True]
    raise AssertionError(f"no extremes known for {type(control).__name__}")


@pytest.mark.parametrize("cls", widgets.EXPLORERS, ids=lambda c: c.__name__)
def test_every_explorer_survives_every_control_at_both_ends(cls):
    """Each control alone at each extreme, then all controls at their lowest and
    at their highest: always a PNG and a non-empty message, never a warning."""
    ex = cls()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            start = ex.values
            for name, control in ex.controls.items():
                for value in control_extremes(control):
                    ex.set(name, value)
                    assert bytes(ex.image.value).startswith(PNG), (name, value)
                    assert ex.message.value.strip(), (name, value)
                ex.set(name, start[name])
            for pick in (0, -1):
                for name, control in ex.controls.items():
                    ex.set(name, control_extremes(control)[pick])
                assert bytes(ex.image.value).startswith(PNG)
                assert ex.message.value.strip()
    finally:
        plt.close(ex.fig)


def decode(png):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB"))


@pytest.mark.parametrize("cls", widgets.EXPLORERS, ids=lambda c: c.__name__)
def test_blitted_image_equals_a_full_redraw(cls):
    """The cached-background fast path must show what a full draw shows.

    The only allowed difference: where a data line leaves the axes, a full draw
    paints the axes frame over it, the fast path paints the line over the
    frame (a few pixels). A static artist drawn in the wrong order, a stale
    background or a missing animated artist changes hundreds of pixels."""
    import io

    ex = cls()
    try:
        for name, control in ex.controls.items():
            ex.set(name, control_extremes(control)[-1])
            buf = io.BytesIO()
            ex.fig.savefig(buf, format="png", dpi=ex.fig.dpi)
            fast, full = decode(ex.image.value), decode(buf.getvalue())
            assert fast.shape == full.shape
            differing = np.count_nonzero(np.any(fast != full, axis=-1))
            assert differing <= 20, (name, differing)
    finally:
        plt.close(ex.fig)
