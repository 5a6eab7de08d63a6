"""Interactive explorers: sliders wired to :mod:`lrtutor.train` and :mod:`lrtutor.plotting`.

An explorer owns one matplotlib figure, drawn once. Moving a control recomputes
the run, updates the data of the existing artists and re-renders the figure into
an :class:`ipywidgets.Image`: the page shows one picture that changes in place,
with no new figure per move and no flicker. A text line under the picture says
what happened ("diverged at step 51").

Every explorer also has a static twin for readers without a kernel:
:func:`static_twin` renders the same figure at each value of a grid of one
control into a matplotlib animation with its own scrub slider (plain HTML and
JavaScript, no server).

Nothing here computes mathematics: runs come from :mod:`lrtutor.train`,
closed forms from :mod:`lrtutor.theory`, drawing from :mod:`lrtutor.plotting`.
"""

from __future__ import annotations

import io

import numpy as np

from lrtutor import optim, plotting, problems, theory, train
from lrtutor._validate import check_array, check_int, check_real

__all__ = ["Explorer", "QuadraticExplorer", "gd_verdict", "static_twin", "EXPLORERS"]


class Explorer:
    """Base class: named controls, one figure, an image of it, and a message.

    Subclasses create ``self.fig`` and its artists in ``__init__``, list the
    artists that change from move to move in ``self.animated``, and implement
    :meth:`redraw`, which reads ``self.values``, updates those artists and
    returns the message text. :meth:`set` changes a control programmatically
    exactly as a reader's slider move does (tests and benchmarks use it).

    Rendering is blitted: the static part of the figure (axes, ticks, labels,
    reference lines) is drawn once and cached; a move redraws only the
    animated artists on top of it. A subclass whose :meth:`redraw` changes
    anything static (axis limits, titles, tick labels) calls :meth:`invalidate`
    so that the cache is redrawn. Static artists must lie below the animated
    ones (a lower ``zorder``), since the animated ones are drawn last. A test
    checks that the image equals a full redraw. Subclasses are listed in
    :data:`EXPLORERS`.
    """

    #: zlib level of the PNG sent to the page: fast beats small here.
    png_compress_level = 1

    def __init__(self, controls):
        import ipywidgets as w

        self.controls = dict(controls)
        self.animated = []
        self._background = None
        self.image = w.Image(format="png")
        self.message = w.HTML()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = w.VBox([w.HBox(list(self.controls.values())), self.image,
                              self.message])

    @property
    def values(self):
        """Current value of every control, by name."""
        return {name: c.value for name, c in self.controls.items()}

    def set(self, name, value):
        """Move control ``name`` to ``value`` (as a reader would) and redraw."""
        if name not in self.controls:
            raise ValueError(f"name must be one of {sorted(self.controls)}, got {name!r}")
        self.controls[name].value = value
        return self

    def invalidate(self):
        """Mark the static part of the figure as changed (redrawn on the next render)."""
        self._background = None

    def refresh(self):
        """Recompute and re-render with the current control values."""
        text = self.redraw()
        self.image.value = self._render()
        self.message.value = f"<b>{text}</b>"
        return text

    def _render(self):
        """PNG bytes of the figure: cached background plus the animated artists."""
        from PIL import Image

        canvas = self.fig.canvas
        for artist in self.animated:
            artist.set_animated(True)       # left out of the cached background
        if self._background is None:
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self.animated:
            self.fig.draw_artist(artist)
        width, height = canvas.get_width_height()
        rgba = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw",
                                "RGBA", 0, 1)
        buf = io.BytesIO()
        rgba.convert("RGB").save(buf, format="png", compress_level=self.png_compress_level)
        return buf.getvalue()

    def _on_change(self, change):
        if change["old"] != change["new"]:
            self.refresh()

    def redraw(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def gd_verdict(trace, eta, eigenvalues):
    r"""The one-line verdict on a gradient-descent run on a quadratic.

    Uses the run's :attr:`~lrtutor.train.Trace.diverged_at` and the closed-form
    contraction factor :math:`\rho = \max_i |1 - \eta\lambda_i|`.

    >>> from lrtutor import optim, problems, train
    >>> q = problems.Quadratic.one_d(4.0)
    >>> gd_verdict(train.run(q, optim.SGD(lr=0.4), [2.0], 60), 0.4, q.eigenvalues)
    'oscillates and converges: error x0.600 per step, 1e-6 of the start after 28 steps'
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    rho = float(theory.contraction_factor(eta, eigenvalues))
    at = int(trace.diverged_at)
    if at >= 0:
        return f"diverged at step {at}: contraction factor {rho:.3f} > 1"
    if rho >= 1:
        return f"does not converge: contraction factor {rho:.3f}, the error never shrinks"
    if rho == 0:
        return "converges in one step: the rate cancels the curvature exactly"
    kind = "oscillates and converges" if eta * eigenvalues.max() > 1 else "converges monotonically"
    need = theory.iterations_to_tolerance(rho, 1e-6)
    return f"{kind}: error x{rho:.3f} per step, 1e-6 of the start after {need} steps"


class QuadraticExplorer(Explorer):
    r"""Gradient descent on :math:`f(\theta) = \frac{\lambda}{2}(\theta - \theta^\star)^2`.

    Controls: the learning rate ``eta`` (log slider) and the curvature ``lam``.
    Left: the iterates :math:`\theta_t`; right: the loss on a log scale, with
    the verdict (converges, oscillates, diverged at step k) below.

    Parameters
    ----------
    eta, lam : float > 0
        Initial control values.
    theta0 : float
        Starting point (the minimiser is :math:`\theta^\star = 0`).
    steps : int >= 1
        Steps per run.

    Examples
    --------
    >>> ex = QuadraticExplorer(eta=0.2, lam=4.0)
    >>> ex.set("eta", 0.55).message.value
    '<b>diverged at step 51: contraction factor 1.200 > 1</b>'
    """

    def __init__(self, eta=0.2, lam=4.0, theta0=2.0, steps=60):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        eta = check_real("eta", eta, low=1e-3, high=10.0)
        lam = check_real("lam", lam, low=0.1, high=10.0)
        self.theta0 = check_real("theta0", theta0)
        self.steps = check_int("steps", steps, low=1, high=10_000)
        super().__init__({
            "eta": w.FloatLogSlider(value=eta, base=10, min=-3, max=1, step=0.01,
                                    description="η", readout_format=".3g",
                                    continuous_update=True),
            "lam": w.FloatSlider(value=lam, min=0.1, max=10.0, step=0.1,
                                 description="λ", readout_format=".1f"),
        })
        with plt.ioff():
            # fixed margins: a layout engine would re-measure every label on each redraw
            self.fig, (self.ax_path, self.ax_loss) = plt.subplots(1, 2, figsize=(8.5, 3.4), dpi=80)
            self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.82, wspace=0.25)
        steps_axis = np.arange(self.steps + 1)
        (self.path_line,) = self.ax_path.plot(steps_axis, steps_axis * 0.0, marker=".")
        self.ax_path.axhline(0.0, color="0.3", linestyle="--", linewidth=1, zorder=1.5)
        self.ax_path.set(xlabel="step $t$", ylabel=r"$\theta_t$",
                         ylim=(-2.5 * abs(self.theta0) - 1, 2.5 * abs(self.theta0) + 1))
        (self.loss_line,) = self.ax_loss.plot(steps_axis, steps_axis + 1.0)
        self.title = self.ax_path.set_title(" ")
        self.ax_loss.set(yscale="log", xlabel="step $t$", ylabel=r"$f(\theta_t)$",
                         ylim=(1e-30, 1e10))
        plotting.sparse_log_ticks(self.ax_loss)
        self.animated = [self.path_line, self.loss_line, self.title]
        self.refresh()

    def redraw(self):
        eta, lam = self.values["eta"], self.values["lam"]
        problem = problems.Quadratic.one_d(lam)
        trace = train.run(problem, optim.SGD(lr=eta), [self.theta0], self.steps)
        end = self.steps + 1 if trace.diverged_at < 0 else int(trace.diverged_at)
        t = np.arange(end)
        self.path_line.set_data(t, trace.params[:end, 0])
        self.loss_line.set_data(t, trace.losses[:end])
        self.title.set_text(f"η = {eta:.3g}, λ = {lam:.1f}: ηλ = {eta * lam:.2f} "
                            f"(critical 2/λ = {2 / lam:.3g})")
        return gd_verdict(trace, eta, problem.eigenvalues)


def static_twin(explorer, name, values, *, interval=400):
    """The explorer's figure at each value of control ``name``, as a scrubbable animation.

    Returns an :class:`IPython.display.HTML` object holding a matplotlib
    ``to_jshtml`` animation: one frame per value, with play and scrub controls
    that work in a static page. Each frame is exactly the figure the widget
    shows at that value; the message is drawn as the figure's title. The
    explorer is left at its original value.
    """
    import matplotlib.animation as animation
    from IPython.display import HTML

    values = check_array("values", values, ndim=1)
    if values.size == 0:
        raise ValueError("values must contain at least one value")
    if name not in explorer.controls:
        raise ValueError(f"name must be one of {sorted(explorer.controls)}, got {name!r}")
    start = explorer.values[name]
    suptitle = explorer.fig.suptitle("")

    def frame(i):
        explorer.controls[name].value = float(values[i])
        suptitle.set_text(explorer.redraw())
        return []

    anim = animation.FuncAnimation(explorer.fig, frame, frames=len(values),
                                   interval=interval, blit=False)
    html = anim.to_jshtml(default_mode="once")
    suptitle.set_text("")
    explorer.controls[name].value = start
    explorer.refresh()
    return HTML(html)


#: Every explorer of the book, constructible with no arguments. The latency
#: benchmark (bench/widget_latency.py) and tests/test_widgets.py drive each one
#: through every control; append new explorers here.
EXPLORERS = [QuadraticExplorer]
