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
        self._frozen = False
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
        if change["old"] != change["new"] and not self._frozen:
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
    eta, lam : float
        Initial control values, within the sliders' ranges:
        ``1e-3 <= eta <= 10`` and ``0.1 <= lam <= 10``.
    theta0 : float
        Starting point (the minimiser is :math:`\theta^\star = 0`).
    steps : int, 1 <= steps <= 10000
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
        end = trace.finite_length()
        t = np.arange(end)
        self.path_line.set_data(t, trace.params[:end, 0])
        self.loss_line.set_data(t, trace.losses[:end])
        self.title.set_text(f"η = {eta:.3g}, λ = {lam:.1f}: ηλ = {eta * lam:.2f} "
                            f"(critical 2/λ = {2 / lam:.3g})")
        return gd_verdict(trace, eta, problem.eigenvalues)


#: Lines of title a static twin's frames have room for (longer verdicts are cut
#: with an ellipsis rather than drawn outside the figure).
_TWIN_TITLE_LINES = 2


def _wrap_title(text, fig, title):
    """``text`` wrapped to the width of ``fig`` in at most ``_TWIN_TITLE_LINES`` lines."""
    import textwrap

    width_pt = fig.get_figwidth() * 72
    chars = max(20, int(width_pt / (0.55 * title.get_fontsize())))
    return textwrap.fill(str(text), chars, max_lines=_TWIN_TITLE_LINES, placeholder=" ...")


def _add_title_band(fig, lines):
    """Make the figure taller by room for ``lines`` of title above the axes.

    The axes keep their size in inches (their positions are rescaled), so the
    frames show exactly the widget's figure with a band on top. Returns a
    function that puts the figure back as it was.
    """
    fontsize_pt = 12.0
    height = fig.get_figheight()
    band = (lines * 1.3 * fontsize_pt + 10) / 72
    saved = [(ax, ax.get_position(original=True), ax.get_position()) for ax in fig.axes]
    fig.set_figheight(height + band)
    scale = height / (height + band)
    for ax, original, active in saved:
        for pos, which in ((original, "original"), (active, "active")):
            ax.set_position([pos.x0, pos.y0 * scale, pos.width, pos.height * scale], which=which)

    def restore():
        fig.set_figheight(height)
        for ax, original, active in saved:
            ax.set_position(original, which="original")
            ax.set_position(active, which="active")
    return restore


def static_twin(explorer, name, values, *, interval=400, alt=None):
    """The explorer's figure at each value of control ``name``, as a scrubbable animation.

    Returns an :class:`IPython.display.HTML` object holding a matplotlib
    JavaScript animation (:class:`matplotlib.animation.HTMLWriter`, the writer
    behind ``to_jshtml``): one frame per value, with play and scrub controls
    that work in a static page with no kernel. Each frame is exactly the
    figure the widget shows at that value, with the widget's message as the
    figure's title. ``alt`` is the image's alternative text (a default
    describing the grid is used if omitted). The explorer is left as it was.
    """
    import tempfile
    from pathlib import Path

    from IPython.display import HTML
    from matplotlib.animation import HTMLWriter

    if name not in explorer.controls:
        raise ValueError(f"name must be one of {sorted(explorer.controls)}, got {name!r}")
    values = [v.item() if hasattr(v, "item") else v for v in values]
    if not values:
        raise ValueError("values must contain at least one value")
    if alt is None:
        alt = (f"Animation of the figure above for {len(values)} values of {name}, "
               f"from {values[0]} to {values[-1]}.")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty string")
    start = explorer.values[name]
    fig = explorer.fig
    restore = _add_title_band(fig, _TWIN_TITLE_LINES)
    suptitle = fig.suptitle("", y=1 - 0.25 / fig.get_figheight(), va="top")
    explorer._frozen = True              # no widget re-render while frames are made
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "twin.html")
            writer = HTMLWriter(fps=1000 / interval, embed_frames=True, default_mode="once")
            with writer.saving(fig, path, dpi=fig.dpi):
                for value in values:
                    explorer.controls[name].value = value
                    suptitle.set_text(_wrap_title(explorer.redraw(), fig, suptitle))
                    writer.grab_frame()
            html = path.read_text()
    finally:
        explorer._frozen = False
        suptitle.remove()
        restore()
        explorer.invalidate()
        explorer.controls[name].value = start
        explorer.refresh()
    escaped = alt.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return HTML(html.replace('<img id="_anim_img', f'<img alt="{escaped}" id="_anim_img', 1))


#: Every explorer of the book, constructible with no arguments. The latency
#: benchmark (bench/widget_latency.py) and tests/test_widgets.py drive each one
#: through every control; append new explorers here.
EXPLORERS = [QuadraticExplorer]


# --- x2 explorers ---
# Schedule playground (chapters "Schedules" and "Frameworks"), ReduceLROnPlateau
# ("Plateau"), the LR range test ("Choosing a learning rate") and the linear
# regression case study. Each explorer only wires lrtutor objects to artists.

import textwrap as _textwrap  # noqa: E402

from lrtutor import finder as _finder  # noqa: E402
from lrtutor import schedules as _sch  # noqa: E402
from lrtutor._validate import check_choice as _check_choice  # noqa: E402

__all__ += ["SCHEDULE_KINDS", "schedule_with_calls", "ScheduleExplorer", "PlateauExplorer",
            "RangeTestExplorer", "RegressionExplorer"]


def _g(x):
    """A number as a short, readable literal for a framework call."""
    return f"{float(x):.6g}"


#: The schedules of :class:`ScheduleExplorer`: (key, dropdown label), in order.
SCHEDULE_KINDS = (
    ("constant", "constant"), ("step", "step"), ("multistep", "multi-step"),
    ("exponential", "exponential"), ("inverse_time", "inverse time"),
    ("linear", "linear"), ("polynomial", "polynomial"), ("cosine", "cosine"),
    ("warmup_cosine", "warmup + cosine"), ("restarts", "warm restarts"),
    ("triangular", "cyclic triangular"), ("triangular2", "cyclic triangular2"),
    ("exp_range", "cyclic exp_range"), ("onecycle", "one-cycle"),
)
_KIND_KEYS = tuple(k for k, _ in SCHEDULE_KINDS)

#: The controls each schedule reads (the others are disabled while it is shown).
_KIND_USES = {
    "constant": ("eta0",), "step": ("eta0", "step_size", "gamma"),
    "multistep": ("eta0", "horizon", "gamma"), "exponential": ("eta0", "step_size", "gamma"),
    "inverse_time": ("eta0", "step_size", "gamma"), "linear": ("eta0", "horizon", "floor"),
    "polynomial": ("eta0", "horizon", "power", "floor"),
    "cosine": ("eta0", "horizon", "floor"),
    "warmup_cosine": ("eta0", "horizon", "warmup", "floor"),
    "restarts": ("eta0", "step_size", "gamma", "floor"),
    "triangular": ("eta0", "step_size", "floor"), "triangular2": ("eta0", "step_size", "floor"),
    "exp_range": ("eta0", "step_size", "gamma", "floor"), "onecycle": ("eta0", "horizon", "warmup"),
}


def schedule_with_calls(kind, eta0=0.1, horizon=200, step_size=50, gamma=0.5, warmup=20,
                        power=2.0, floor=0.0):
    r"""One schedule of :mod:`lrtutor.schedules` and the framework calls that reproduce it.

    The playground's parameters have one meaning across schedules:
    :math:`\eta_0` = ``eta0`` is the initial (or peak) rate, :math:`T` =
    ``horizon`` the decay horizon (``decay_steps``, ``T_max``,
    ``total_steps``), :math:`k` = ``step_size`` the period of step, exponential
    and inverse-time decay (the rate is :math:`\gamma\eta_0` at :math:`t = k`),
    the first restart period or the half cycle, :math:`\gamma` = ``gamma`` the
    factor per period (per cycle for ``exp_range``, per restart for warm
    restarts), :math:`W` = ``warmup`` the warmup length (the rise of one-cycle),
    :math:`p` = ``power`` and :math:`\alpha` = ``floor`` the final rate as a
    fraction of :math:`\eta_0` (``base_lr`` of the cyclic schedules).
    Multi-step cuts at :math:`\lfloor T/2 \rfloor` and :math:`\lfloor 3T/4 \rfloor`;
    warm restarts double their period. Out-of-range combinations are clipped
    (``warmup`` to ``[1, T-1]``, ``[2, T-1]`` for one-cycle).

    Parameters
    ----------
    kind : str
        One of the keys of :data:`SCHEDULE_KINDS`.
    eta0 : float > 0
    horizon : int >= 10
    step_size : int >= 1
    gamma : float in (0, 1]
    warmup : int >= 1
    power : float > 0
    floor : float in [0, 1]

    Returns
    -------
    schedule : a schedule of :mod:`lrtutor.schedules`
    torch_like : a schedule or None
        What the named PyTorch call gives where it differs from ``schedule``
        past the horizon (the unclamped ``CosineAnnealingLR``), else None.
    calls : dict
        ``"lrtutor"``, ``"PyTorch"``, ``"Keras"`` and ``"optax"`` call strings
        (PyTorch with an optimizer ``opt`` of base lr :math:`\eta_0`, Keras
        classes from ``keras.optimizers.schedules``); "no exact equivalent"
        where none exists.

    Examples
    --------
    >>> s, _, calls = schedule_with_calls("step", eta0=0.05, step_size=30, gamma=0.1)
    >>> round(s(30), 6), calls["PyTorch"]
    (0.005, 'StepLR(opt, step_size=30, gamma=0.1)')
    """
    kind = _check_choice("kind", kind, _KIND_KEYS)
    eta0 = check_real("eta0", eta0, low=0, low_op=">")
    T = check_int("horizon", horizon, low=10)
    k = check_int("step_size", step_size, low=1)
    gamma = check_real("gamma", gamma, low=0, low_op=">", high=1)
    W = check_int("warmup", warmup, low=1)
    p = check_real("power", power, low=0, low_op=">")
    a = check_real("floor", floor, low=0, high=1)
    e, lo, torch_like = _g(eta0), _g(a * eta0), None
    if kind == "constant":
        s = _sch.Constant(eta0)
        calls = {"lrtutor": f"Constant({e})", "PyTorch": f"no scheduler: SGD(params, lr={e})",
                 "Keras": f"learning_rate={e}", "optax": f"optax.constant_schedule({e})"}
    elif kind == "step":
        s = _sch.StepDecay(eta0, k, gamma)
        calls = {"lrtutor": f"StepDecay({e}, step_size={k}, gamma={_g(gamma)})",
                 "PyTorch": f"StepLR(opt, step_size={k}, gamma={_g(gamma)})",
                 "Keras": f"ExponentialDecay({e}, decay_steps={k}, decay_rate={_g(gamma)}, "
                          "staircase=True)",
                 "optax": f"optax.exponential_decay({e}, transition_steps={k}, "
                          f"decay_rate={_g(gamma)}, staircase=True)"}
    elif kind == "multistep":
        m1, m2 = T // 2, (3 * T) // 4
        s = _sch.MultiStepDecay(eta0, (m1, m2), gamma)
        calls = {"lrtutor": f"MultiStepDecay({e}, milestones=({m1}, {m2}), gamma={_g(gamma)})",
                 "PyTorch": f"MultiStepLR(opt, milestones=[{m1}, {m2}], gamma={_g(gamma)})",
                 "Keras": f"PiecewiseConstantDecay(boundaries=[{m1 - 1}, {m2 - 1}], values=["
                          f"{e}, {_g(eta0 * gamma)}, {_g(eta0 * gamma ** 2)}])  (right-closed)",
                 "optax": f"optax.piecewise_constant_schedule({e}, {{{m1}: {_g(gamma)}, "
                          f"{m2}: {_g(gamma)}}})  (cumulative scales)"}
    elif kind == "exponential":
        s = _sch.ExponentialDecay(eta0, gamma, k)
        calls = {"lrtutor": f"ExponentialDecay({e}, decay_rate={_g(gamma)}, decay_steps={k})",
                 "PyTorch": f"ExponentialLR(opt, gamma={gamma ** (1 / k):.8g})  (= gamma^(1/{k}))",
                 "Keras": f"ExponentialDecay({e}, decay_steps={k}, decay_rate={_g(gamma)})",
                 "optax": f"optax.exponential_decay({e}, transition_steps={k}, "
                          f"decay_rate={_g(gamma)})"}
    elif kind == "inverse_time":
        r = 1 / gamma - 1
        s = _sch.InverseTimeDecay(eta0, r, k)
        calls = {"lrtutor": f"InverseTimeDecay({e}, decay_rate={_g(r)}, decay_steps={k})",
                 "PyTorch": f"no built-in scheduler; LambdaLR(opt, lambda t: 1 / (1 + {_g(r)} "
                            f"* t / {k}))",
                 "Keras": f"InverseTimeDecay({e}, decay_steps={k}, decay_rate={_g(r)})",
                 "optax": f"no built-in schedule; lambda count: {e} / (1 + {_g(r)} * count "
                          f"/ {k})"}
    elif kind == "linear":
        s = _sch.LinearSchedule(eta0, a * eta0, T)
        calls = {"lrtutor": f"LinearSchedule({e}, {lo}, transition_steps={T})",
                 "PyTorch": f"LinearLR(opt, start_factor=1.0, end_factor={_g(a)}, "
                            f"total_iters={T})",
                 "Keras": f"PolynomialDecay({e}, decay_steps={T}, end_learning_rate={lo}, "
                          "power=1.0)",
                 "optax": f"optax.linear_schedule({e}, {lo}, transition_steps={T})"}
    elif kind == "polynomial":
        s = _sch.PolynomialDecay(eta0, a * eta0, T, p)
        calls = {"lrtutor": f"PolynomialDecay({e}, {lo}, decay_steps={T}, power={_g(p)})",
                 "PyTorch": (f"PolynomialLR(opt, total_iters={T}, power={_g(p)})" if a == 0
                             else "no exact equivalent (PolynomialLR always ends at 0)"),
                 "Keras": f"PolynomialDecay({e}, decay_steps={T}, end_learning_rate={lo}, "
                          f"power={_g(p)})",
                 "optax": f"optax.polynomial_schedule({e}, {lo}, power={_g(p)}, "
                          f"transition_steps={T})"}
    elif kind == "cosine":
        s = _sch.CosineDecay(eta0, T, a)
        torch_like = _sch.CosineAnnealing(eta0, T, min(a * eta0, eta0))
        calls = {"lrtutor": f"CosineDecay({e}, decay_steps={T}, alpha={_g(a)})",
                 "PyTorch": f"CosineAnnealingLR(opt, T_max={T}, eta_min={lo}): equal up to "
                            f"step {T} only, then it rises again (dashed)",
                 "Keras": f"CosineDecay({e}, decay_steps={T}, alpha={_g(a)})",
                 "optax": f"optax.cosine_decay_schedule({e}, decay_steps={T}, alpha={_g(a)})"}
    elif kind == "warmup_cosine":
        W = min(W, T - 1)
        s = _sch.Warmup(_sch.CosineDecay(eta0, T - W, a), W, 0.0)
        torch_like = _sch.Warmup(_sch.CosineAnnealing(eta0, T - W, min(a * eta0, eta0)), W, 0.0)
        calls = {"lrtutor": f"Warmup(CosineDecay({e}, {T - W}, alpha={_g(a)}), warmup_steps={W})",
                 "PyTorch": f"no exact equivalent (LinearLR needs start_factor > 0); closest "
                            f"SequentialLR(opt, [LinearLR(opt, 1e-8, total_iters={W}), "
                            f"CosineAnnealingLR(opt, T_max={T - W}, eta_min={lo})], "
                            f"milestones=[{W}]) (dashed after step {T})",
                 "Keras": f"CosineDecay(0.0, decay_steps={T - W}, alpha={_g(a)}, "
                          f"warmup_target={e}, warmup_steps={W})  (decay_steps excludes warmup)",
                 "optax": f"optax.warmup_cosine_decay_schedule(0.0, {e}, warmup_steps={W}, "
                          f"decay_steps={T}, end_value={lo})  (decay_steps includes warmup)"}
    elif kind == "restarts":
        s = _sch.CosineWarmRestarts(eta0, k, 2, min(a * eta0, eta0), gamma)
        calls = {"lrtutor": f"CosineWarmRestarts({e}, T_0={k}, T_mult=2, eta_min={lo}, "
                            f"m_mul={_g(gamma)})",
                 "PyTorch": (f"CosineAnnealingWarmRestarts(opt, T_0={k}, T_mult=2, eta_min={lo})"
                             if gamma == 1 else "no exact equivalent (no per-restart decay "
                             "m_mul; set gamma = 1)"),
                 "Keras": f"CosineDecayRestarts({e}, first_decay_steps={k}, t_mul=2.0, "
                          f"m_mul={_g(gamma)}, alpha={_g(a)})",
                 "optax": "no single call; optax.join_schedules of one cosine_decay_schedule "
                          f"per period (boundaries {k}, {3 * k}, {7 * k}, ...)"}
    elif kind in ("triangular", "triangular2", "exp_range"):
        g = gamma ** (1 / (2 * k)) if kind == "exp_range" else 1.0
        s = _sch.Cyclic(min(a * eta0, eta0), eta0, k, mode=kind, gamma=g)
        extra = f", gamma={g:.8g}" if kind == "exp_range" else ""
        calls = {"lrtutor": f"Cyclic({lo}, {e}, step_size_up={k}, mode='{kind}'{extra})",
                 "PyTorch": f"CyclicLR(opt, base_lr={lo}, max_lr={e}, step_size_up={k}, "
                            f"mode='{kind}'{extra})",
                 "Keras": "no exact equivalent (no cyclic schedule; subclass "
                          "LearningRateSchedule)",
                 "optax": "no exact equivalent (no cyclic schedule)"}
    else:  # onecycle
        W = min(max(W, 2), T - 1)
        pct = W / T
        s = _sch.OneCycle(eta0, T, pct)
        calls = {"lrtutor": f"OneCycle({e}, total_steps={T}, pct_start={_g(pct)})",
                 "PyTorch": f"OneCycleLR(opt, max_lr={e}, total_steps={T}, pct_start={_g(pct)})",
                 "Keras": "no exact equivalent (no one-cycle schedule)",
                 "optax": f"no exact equivalent; optax.cosine_onecycle_schedule({T}, {e}, "
                          f"pct_start={_g(pct)}) peaks at step {int(np.floor(pct * T))}, "
                          f"one step after torch's {W - 1}"}
    return s, torch_like, calls


class ScheduleExplorer(Explorer):
    r"""A schedule playground: pick a schedule, move its parameters, read the framework calls.

    Controls: the schedule (dropdown of :data:`SCHEDULE_KINDS`), the rate
    ``eta0`` (log slider) and the parameters of :func:`schedule_with_calls`
    (``horizon``, ``step_size``, ``gamma``, ``warmup``, ``power``, ``floor``;
    those the chosen schedule ignores are greyed out). The figure shows
    :math:`\eta_t` for :math:`t = 0, \dots, 399` (one-cycle stops at its
    ``total_steps``); where PyTorch's call differs past the horizon, its curve
    is dashed (for the half period in which it climbs back to the peak). The
    message gives the PyTorch, Keras and optax calls.

    Parameters
    ----------
    schedule : str
        Initial schedule, a key of :data:`SCHEDULE_KINDS`.
    eta0, horizon, step_size, gamma, warmup, power, floor
        Initial control values (ranges as in the sliders: ``eta0`` in
        [1e-3, 1], ``horizon`` in [10, 400], ``step_size`` and ``warmup`` in
        [1, 200], ``gamma`` in [0.05, 1], ``power`` in [0.25, 4], ``floor`` in
        [0, 1]).

    Examples
    --------
    >>> ex = ScheduleExplorer(schedule="step", step_size=30, gamma=0.1)
    >>> "StepLR(opt, step_size=30, gamma=0.1)" in ex.message.value
    True
    """

    steps = 400

    def __init__(self, schedule="cosine", eta0=0.1, horizon=200, step_size=50, gamma=0.5,
                 warmup=20, power=2.0, floor=0.0):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        schedule = _check_choice("schedule", schedule, _KIND_KEYS)
        eta0 = check_real("eta0", eta0, low=1e-3, high=1.0)
        horizon = check_int("horizon", horizon, low=10, high=self.steps)
        step_size = check_int("step_size", step_size, low=1, high=200)
        gamma = check_real("gamma", gamma, low=0.05, high=1.0)
        warmup = check_int("warmup", warmup, low=1, high=200)
        power = check_real("power", power, low=0.25, high=4.0)
        floor = check_real("floor", floor, low=0.0, high=1.0)
        style = {"description_width": "initial"}
        super().__init__({
            "schedule": w.Dropdown(options=[(label, i) for i, (_, label) in
                                            enumerate(SCHEDULE_KINDS)],
                                   value=_KIND_KEYS.index(schedule), description="schedule"),
            "eta0": w.FloatLogSlider(value=eta0, base=10, min=-3, max=0, step=0.05,
                                     description="η₀", readout_format=".3g"),
            "horizon": w.IntSlider(value=horizon, min=10, max=self.steps, step=10,
                                   description="horizon T", style=style),
            "step_size": w.IntSlider(value=step_size, min=1, max=200, description="step k",
                                     style=style),
            "gamma": w.FloatSlider(value=gamma, min=0.05, max=1.0, step=0.05, description="γ",
                                   readout_format=".2f"),
            "warmup": w.IntSlider(value=warmup, min=1, max=200, description="warmup W",
                                  style=style),
            "power": w.FloatSlider(value=power, min=0.25, max=4.0, step=0.25, description="power p",
                                   style=style),
            "floor": w.FloatSlider(value=floor, min=0.0, max=1.0, step=0.05,
                                   description="floor α", readout_format=".2f", style=style),
        })
        c = self.controls
        self.widget.children = (w.HBox([c["schedule"], c["eta0"], c["horizon"], c["step_size"]]),
                                w.HBox([c["gamma"], c["warmup"], c["power"], c["floor"]]),
                                self.image, self.message)
        with plt.ioff():
            # the top margin holds the framework calls when the static twin
            # writes the message as the figure's title (up to 7 lines)
            self.fig, self.ax = plt.subplots(figsize=(8.6, 5.0), dpi=80)
            self.fig.subplots_adjust(left=0.08, right=0.8, bottom=0.1, top=0.6)
        t = np.arange(self.steps)
        (self.line,) = self.ax.plot(t, t * 0.0, color="C0", label="lrtutor")
        (self.torch_line,) = self.ax.plot(t, t * 0.0, color="C3", linestyle="--", linewidth=1.2,
                                          label="PyTorch's call\npast the horizon")
        self.horizon_line = self.ax.axvline(horizon, color="0.5", linestyle=":", linewidth=1)
        self.title = self.ax.set_title(" ", fontsize="small")
        self.ax.set(xlim=(0, self.steps), xlabel="update $t$ (updates already applied)",
                    ylabel=r"rate $\eta_t$")
        # legends outside the axes: static, and no mathtext to re-render per move
        self.ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        self._ylim_for = None
        self.animated = [self.line, self.torch_line, self.horizon_line, self.title]
        self.refresh()

    def current(self):
        """``schedule_with_calls`` at the current control values."""
        v = self.values
        kind = _KIND_KEYS[int(v["schedule"])]
        return kind, schedule_with_calls(kind, v["eta0"], v["horizon"], v["step_size"],
                                         v["gamma"], v["warmup"], v["power"], v["floor"])

    def refresh(self):
        text = super().refresh()
        self.message.value = self.message.value.replace("\n", "<br>")
        return text

    def redraw(self):
        kind, (s, torch_like, calls) = self.current()
        for name, control in self.controls.items():
            control.disabled = name != "schedule" and name not in _KIND_USES[kind]
        eta0 = self.values["eta0"]
        if self._ylim_for != eta0:          # the axis scales with eta0: a full redraw
            self.ax.set_ylim(0, 1.08 * eta0)
            self._ylim_for = eta0
            self.invalidate()
        n = self.values["horizon"] if kind == "onecycle" else self.steps
        t = np.arange(n)
        self.line.set_data(t, s(t))
        if torch_like is None:
            self.torch_line.set_data([], [])
        else:
            # one half period past the horizon: back up to the peak
            T = int(self.values["horizon"])
            rise = torch_like.schedule.T_max if kind == "warmup_cosine" else torch_like.T_max
            tt = np.arange(T, min(T + rise + 1, self.steps))
            self.torch_line.set_data(tt, torch_like(tt))
        uses_t = "horizon" in _KIND_USES[kind]
        self.horizon_line.set_visible(uses_t)
        self.horizon_line.set_xdata([self.values["horizon"]] * 2)
        self.title.set_text("lrtutor: " + calls["lrtutor"])
        lines = []
        for fw in ("PyTorch", "Keras", "optax"):
            lines += _textwrap.wrap(f"{fw}: {calls[fw]}", 80, subsequent_indent="    ",
                                    break_on_hyphens=False, break_long_words=False)
        return "\n".join(lines)


class PlateauExplorer(Explorer):
    r"""ReduceLROnPlateau replayed on a fixed, noisy validation curve.

    The metric is :math:`a_k = 0.3 + 0.7\,e^{-k/6} + 0.01\,z_k` for epochs
    :math:`k = 0, \dots, 59` (:math:`z_k` standard normal from
    ``numpy.random.default_rng(seed)``), replayed: it does not react to the
    rate, so the figure isolates the controller's rule. Controls: ``factor``, ``patience``,
    ``cooldown``, ``threshold`` (log slider; relative for PyTorch, the absolute
    ``min_delta`` for Keras) and ``convention`` (PyTorch's rule or
    :meth:`lrtutor.schedules.ReduceLROnPlateau.keras`). Top: the metric with
    a marker on each epoch whose report triggered a cut; bottom: the rate used
    in each epoch, starting at 0.1, floor ``min_lr`` = 1e-4.

    Parameters
    ----------
    factor : float in [0.05, 0.95]
    patience : int in [0, 20]
    cooldown : int in [0, 10]
    threshold : float in [1e-5, 0.1]
    convention : {'torch', 'keras'}
    seed : int >= 0
        Seed of the metric's noise.

    Examples
    --------
    >>> ex = PlateauExplorer(patience=3)
    >>> ex.message.value.startswith("<b>PyTorch rule:")
    True
    """

    init_value, min_lr, epochs = 0.1, 1e-4, 60

    def __init__(self, factor=0.5, patience=5, cooldown=0, threshold=1e-3, convention="torch",
                 seed=0):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        factor = check_real("factor", factor, low=0.05, high=0.95)
        patience = check_int("patience", patience, low=0, high=20)
        cooldown = check_int("cooldown", cooldown, low=0, high=10)
        threshold = check_real("threshold", threshold, low=1e-5, high=0.1)
        convention = _check_choice("convention", convention, ("torch", "keras"))
        seed = check_int("seed", seed, low=0)
        k = np.arange(self.epochs)
        self.metrics = 0.3 + 0.7 * np.exp(-k / 6) + 0.01 * np.random.default_rng(
            seed).standard_normal(self.epochs)
        super().__init__({
            "factor": w.FloatSlider(value=factor, min=0.05, max=0.95, step=0.05,
                                    description="factor", readout_format=".2f"),
            "patience": w.IntSlider(value=patience, min=0, max=20, description="patience"),
            "cooldown": w.IntSlider(value=cooldown, min=0, max=10, description="cooldown"),
            "threshold": w.FloatLogSlider(value=threshold, base=10, min=-5, max=-1, step=0.1,
                                          description="threshold", readout_format=".1e"),
            "convention": w.Dropdown(options=[("PyTorch", "torch"), ("Keras", "keras")],
                                     value=convention, description="rule"),
        })
        with plt.ioff():
            self.fig, (self.ax_m, self.ax_r) = plt.subplots(2, 1, figsize=(8.5, 4.6), dpi=80,
                                                            sharex=True)
            self.fig.subplots_adjust(left=0.1, right=0.98, bottom=0.11, top=0.86, hspace=0.12)
        plotting.plot_plateau((self.ax_m, self.ax_r), self.metrics,
                              [np.full(self.epochs, self.init_value)], logy=False)
        self.ax_m.get_lines()[0].set_zorder(1.5)
        self.rate_line = self.ax_r.get_lines()[0]
        (self.cuts,) = self.ax_m.plot([], [], "v", color="C3", markersize=8,
                                      label="report that triggered a cut")
        self.ax_m.legend(loc="upper right")     # the metric's tail stays low: no overlap
        self.ax_r.set_yscale("log")
        self.ax_r.set_ylim(self.min_lr / 2, 2 * self.init_value)
        self.ax_r.axhline(self.min_lr, color="0.5", linestyle=":", linewidth=1, zorder=1.5)
        plotting.sparse_log_ticks(self.ax_r)
        self.ax_m.set_xlim(-0.5, self.epochs - 0.5)
        lo, hi = self.metrics.min(), self.metrics.max()
        self.ax_m.set_ylim(lo - 0.05 * (hi - lo), hi + 0.12 * (hi - lo))
        self.title = self.ax_m.set_title(" ")
        self.animated = [self.rate_line, self.cuts, self.title]
        self.refresh()

    def controller(self):
        """A fresh :class:`lrtutor.schedules.ReduceLROnPlateau` for the current controls."""
        v = self.values
        if v["convention"] == "keras":
            return _sch.ReduceLROnPlateau.keras(self.init_value, factor=v["factor"],
                                                patience=int(v["patience"]),
                                                min_delta=v["threshold"],
                                                cooldown=int(v["cooldown"]), min_lr=self.min_lr)
        return _sch.ReduceLROnPlateau(self.init_value, factor=v["factor"],
                                      patience=int(v["patience"]), threshold=v["threshold"],
                                      cooldown=int(v["cooldown"]), min_lr=self.min_lr)

    def replay(self):
        """``(rates, after, cuts)``: the rate used in each epoch, the rate returned
        after each epoch's report, and the epochs whose report cut the rate."""
        ctrl = self.controller()
        after = np.array([ctrl.step(float(a)) for a in self.metrics])
        rates = np.concatenate([[self.init_value], after[:-1]])
        return rates, after, np.flatnonzero(after < rates)

    def redraw(self):
        rates, after, cuts = self.replay()
        v = self.values
        self.rate_line.set_data(np.arange(self.epochs), rates)
        self.cuts.set_data(cuts, self.metrics[cuts])
        rule = "PyTorch" if v["convention"] == "torch" else "Keras"
        kind = "relative threshold" if v["convention"] == "torch" else "absolute min_delta"
        self.title.set_text(f"{rule}: factor {v['factor']:.2f}, patience {v['patience']}, "
                            f"cooldown {v['cooldown']}, {kind} {v['threshold']:.1e}")
        if cuts.size == 0:
            return (f"{rule} rule: no cut in {self.epochs} epochs; the rate stays "
                    f"{self.init_value:g}")
        shown = ", ".join(str(c) for c in cuts[:12]) + (", ..." if cuts.size > 12 else "")
        return (f"{rule} rule: {cuts.size} cut{'s' if cuts.size > 1 else ''}, after epochs "
                f"{shown}; rate {self.init_value:g} -> {after[-1]:.3g}")


class RangeTestExplorer(Explorer):
    r"""The LR range test on linear regression, where the optimal rate is known.

    Data: :func:`lrtutor.problems.make_linear_data` with 200 rows
    (``default_rng(1)``), a :class:`~lrtutor.problems.LinearRegression` with
    Hessian eigenvalues :math:`\mu, L`. Controls: ``start_lr`` and ``end_lr``
    (log sliders), ``num_it``, the smoothing ``beta`` and ``batch`` (0 = full
    batch, else a mini-batch size; mini-batches are drawn from
    ``default_rng(0)``). The figure shows the raw and smoothed loss of
    :func:`lrtutor.finder.range_test` against the rate, the window the rules
    read (shaded), each rule of :data:`lrtutor.finder.SUGGESTIONS` as a
    vertical line, and :math:`\eta^\star = 2/(L+\mu)` and :math:`2/L`.

    Parameters
    ----------
    start_lr : float in [1e-6, 1e-2]
    end_lr : float in [1, 1000]
    num_it : int in [20, 200]
    beta : float in [0, 0.99]
    batch_size : int, one of 0 (full batch), 64, 16, 4

    Examples
    --------
    >>> ex = RangeTestExplorer()
    >>> "the optimal rate" in ex.message.value
    True
    """

    BATCHES = (("full batch", 0), ("64", 64), ("16", 16), ("4", 4))

    def __init__(self, start_lr=1e-4, end_lr=100.0, num_it=100, beta=0.98, batch_size=0):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        start_lr = check_real("start_lr", start_lr, low=1e-6, high=1e-2)
        end_lr = check_real("end_lr", end_lr, low=1.0, high=1000.0)
        num_it = check_int("num_it", num_it, low=20, high=200)
        beta = check_real("beta", beta, low=0.0, high=0.99)
        batch_size = check_int("batch_size", batch_size, low=0)
        if batch_size not in [b for _, b in self.BATCHES]:
            raise ValueError(f"batch_size must be one of 0 (full batch), 64, 16, 4, "
                             f"got {batch_size}")
        X, y = problems.make_linear_data(n=200, rng=np.random.default_rng(1))
        self.problem = problems.LinearRegression(X, y)
        self.eta_star = float(theory.optimal_rate(self.problem.L, self.problem.mu))
        self.eta_crit = float(theory.critical_rate(self.problem.L))
        super().__init__({
            "start_lr": w.FloatLogSlider(value=start_lr, base=10, min=-6, max=-2, step=0.1,
                                         description="start η", readout_format=".0e"),
            "end_lr": w.FloatLogSlider(value=end_lr, base=10, min=0, max=3, step=0.1,
                                       description="end η", readout_format=".3g"),
            "num_it": w.IntSlider(value=num_it, min=20, max=200, step=10, description="num_it"),
            "beta": w.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="β",
                                  readout_format=".2f"),
            "batch": w.Dropdown(options=list(self.BATCHES), value=batch_size,
                                description="batch"),
        })
        with plt.ioff():
            self.fig, self.ax = plt.subplots(figsize=(8.5, 4.2), dpi=80)
            self.fig.subplots_adjust(left=0.09, right=0.72, bottom=0.13, top=0.85)
        ax = self.ax
        ax.set(xscale="log", yscale="log", xlim=(1e-6, 1e3), ylim=(0.05, 1e3),
               xlabel=r"learning rate $\eta_i$ (log scale)", ylabel="loss")
        plotting.sparse_log_ticks(ax)
        ax.axvline(self.eta_star, color="0.25", linestyle=":", linewidth=1.2, zorder=0.9,
                   label=rf"$\eta^\star = 2/(L+\mu)$ = {self.eta_star:.3g}")
        ax.axvline(self.eta_crit, color="0.25", linestyle="--", linewidth=1.2, zorder=0.9,
                   label=rf"$2/L$ = {self.eta_crit:.3g}")
        self.span = ax.axvspan(1e-5, 1e-4, ymin=0.005, ymax=0.995, color="C0", alpha=0.08,
                               zorder=1)  # clear of the spines (drawn in the background)
        (self.raw_line,) = ax.plot([1e-5], [1.0], color="0.65", linewidth=1,
                                   label=r"loss $\ell_i$")
        (self.smooth_line,) = ax.plot([1e-5], [1.0], color="C0", label=r"smoothed $\bar\ell_i$")
        self.rule_lines = {}
        for i, name in enumerate(_finder.SUGGESTIONS):
            self.rule_lines[name] = ax.axvline(1e-5, color=f"C{i + 1}", linewidth=1.6,
                                               label=name)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))   # outside: static
        self.title = ax.set_title(" ")
        self.animated = [self.span, self.raw_line, self.smooth_line, self.title,
                         *self.rule_lines.values()]
        self.refresh()

    def run_test(self):
        """:func:`lrtutor.finder.range_test` at the current controls."""
        v = self.values
        batch = int(v["batch"])
        return _finder.range_test(self.problem, optim.SGD(lr=1.0), np.zeros(2),
                                  start_lr=v["start_lr"], end_lr=v["end_lr"],
                                  num_it=int(v["num_it"]), beta=v["beta"],
                                  rng=np.random.default_rng(0),
                                  batch_size=batch if batch else None)

    def suggestions(self, result):
        """Each rule's suggestion, or None where its window is too short."""
        out = {}
        for name, rule in _finder.SUGGESTIONS.items():
            try:
                out[name] = float(rule(result))
            except ValueError:
                out[name] = None
        return out

    def redraw(self):
        result = self.run_test()
        ok = np.isfinite(result.losses)
        self.raw_line.set_data(result.lrs[ok], result.losses[ok])
        ok = np.isfinite(result.smoothed)
        self.smooth_line.set_data(result.lrs[ok], result.smoothed[ok])
        lrs, _ = _finder.suggestion_window(result)
        if lrs.size:
            self.span.set_visible(True)
            self.span.set_x(lrs[0])
            self.span.set_width(lrs[-1] - lrs[0])
        else:
            self.span.set_visible(False)
        sugg = self.suggestions(result)
        parts = []
        for name, rate in sugg.items():
            line = self.rule_lines[name]
            line.set_visible(rate is not None)
            if rate is not None:
                line.set_xdata([rate, rate])
                parts.append(f"{name} {rate / self.eta_star:.2g}")
            else:
                parts.append(f"{name} -")
        stop = ("ran all updates" if result.stopped_at < 0 else
                f"stopped at eta = {result.lrs[result.stopped_at]:.3g}")
        batch = int(self.values["batch"])
        self.title.set_text(f"{'full batch' if not batch else f'mini-batches of {batch}'}, "
                            f"{result.lrs.size} updates, {stop}")
        if all(r is None for r in sugg.values()):
            return (f"no suggestion: the window lrs[num_it//10:-5] is too short ({stop}); "
                    "widen the range or run longer")
        return (", ".join(parts) + f" times the optimal rate 2/(L+mu) = {self.eta_star:.3g}")


class RegressionExplorer(Explorer):
    r"""The case study: (mini-batch) gradient descent on one-feature linear regression.

    Controls: the rate ``eta`` (log slider), ``batch`` (0 = full batch),
    ``schedule`` (``constant``; ``step``: halve every ``steps/4``; ``cosine``
    to 0 over the run; ``inverse_time``: :math:`\eta/(1 + t/10)`) and
    ``steps``. Left: the data, the least-squares line and the current fit;
    right: :math:`f(\theta_t) - f^\star` on a log scale (stopping at the last
    finite step of a diverged run). The verdict gives the final gap or the
    divergence step, and the stability limit :math:`2/L` of the data.

    Parameters
    ----------
    eta : float in [1e-3, 10**0.5]
    batch_size : int, one of 0 (full batch), 50, 10, 1
    schedule : {'constant', 'step', 'cosine', 'inverse_time'}
    steps : int in [10, 300]
    X, y : array_like, optional
        One-feature data, shape (n, 1) and (n,); default
        :func:`lrtutor.problems.make_linear_data` with 100 rows
        (``default_rng(0)``). Mini-batches come from ``default_rng(0)``.

    Examples
    --------
    >>> ex = RegressionExplorer(eta=0.5)
    >>> ex.set("eta", 3.0).message.value.startswith("<b>diverged at step")
    True
    """

    BATCHES = (("full batch", 0), ("50", 50), ("10", 10), ("1", 1))
    SCHEDULES = (("constant", "constant"), ("step: halve every steps/4", "step"),
                 ("cosine to 0", "cosine"), ("1/t: η/(1 + t/10)", "inverse_time"))
    max_steps = 300

    def __init__(self, eta=0.5, batch_size=0, schedule="constant", steps=200, X=None, y=None):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        eta = check_real("eta", eta, low=1e-3, high=10 ** 0.5)
        batch_size = check_int("batch_size", batch_size, low=0)
        if batch_size not in [b for _, b in self.BATCHES]:
            raise ValueError(f"batch_size must be one of 0 (full batch), 50, 10, 1, "
                             f"got {batch_size}")
        schedule = _check_choice("schedule", schedule, tuple(s for _, s in self.SCHEDULES))
        steps = check_int("steps", steps, low=10, high=self.max_steps)
        if (X is None) != (y is None):
            raise ValueError("X and y must be given together")
        if X is None:
            X, y = problems.make_linear_data(n=100, rng=np.random.default_rng(0))
        X = check_array("X", X, shape=(None, 1))
        self.problem = problems.LinearRegression(X, y)
        if self.problem.n < max(b for _, b in self.BATCHES):
            raise ValueError(f"X must have at least 50 rows, got {self.problem.n}")
        self.x = X[:, 0]
        self.f_star = float(self.problem.loss(self.problem.minimizer))
        self.eta_crit = float(theory.critical_rate(self.problem.L))
        super().__init__({
            "eta": w.FloatLogSlider(value=eta, base=10, min=-3, max=0.5, step=0.01,
                                    description="η", readout_format=".3g"),
            "batch": w.Dropdown(options=list(self.BATCHES), value=batch_size,
                                description="batch"),
            "schedule": w.Dropdown(options=list(self.SCHEDULES), value=schedule,
                                   description="schedule"),
            "steps": w.IntSlider(value=steps, min=10, max=self.max_steps, step=10,
                                 description="steps"),
        })
        with plt.ioff():
            self.fig, (self.ax_fit, self.ax_gap) = plt.subplots(1, 2, figsize=(8.5, 3.6), dpi=80)
            self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.8, wspace=0.3)
        b, wt = self.problem.minimizer
        plotting.plot_regression_fit(self.ax_fit, self.x, y, {
            f"least squares ({b:.3f}, {wt:.3f})": (b, wt)})
        for line in self.ax_fit.get_lines():
            line.set_zorder(1.5)
        self.ax_fit.get_lines()[1].set(color="k", linestyle="--", linewidth=1.2)
        self.grid = np.array([self.x.min(), self.x.max()])
        (self.fit_line,) = self.ax_fit.plot(self.grid, self.grid * 0.0, color="C3", linewidth=3,
                                            alpha=0.6, label="gradient descent")
        self.ax_fit.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3,
                           handlelength=1.2, columnspacing=0.8)   # outside: static
        span = float(np.ptp(y))
        self.ax_fit.set_ylim(y.min() - 0.2 * span, y.max() + 0.2 * span)
        (self.gap_line,) = self.ax_gap.plot([0.0], [1.0], color="C3")
        self.ax_gap.set(yscale="log", xlim=(-5, self.max_steps), ylim=(1e-15, 1e10),
                        xlabel="step $t$", ylabel=r"$f(\theta_t) - f^\star$")
        plotting.sparse_log_ticks(self.ax_gap)
        self.title = self.ax_gap.set_title(" ")
        self.animated = [self.fit_line, self.gap_line, self.title]
        self.refresh()

    def schedule(self):
        """The lrtutor schedule of the current controls."""
        v = self.values
        eta, steps = v["eta"], int(v["steps"])
        kind = v["schedule"]
        if kind == "step":
            return _sch.StepDecay(eta, max(steps // 4, 1), 0.5)
        if kind == "cosine":
            return _sch.CosineDecay(eta, steps)
        if kind == "inverse_time":
            return _sch.InverseTimeDecay(eta, 1.0, 10)
        return _sch.Constant(eta)

    def run(self):
        """:func:`lrtutor.train.run` from :math:`\\theta_0 = 0` at the current controls."""
        v = self.values
        batch = int(v["batch"])
        return train.run(self.problem, optim.SGD(lr=self.schedule()), np.zeros(2),
                         int(v["steps"]), rng=np.random.default_rng(0),
                         batch_size=batch if batch else None)

    def redraw(self):
        trace = self.run()
        at, end = int(trace.diverged_at), trace.finite_length()
        gap = trace.losses[:end] - self.f_star
        t = np.arange(end, dtype=float)
        keep = np.isfinite(gap) & (gap > 0)
        self.gap_line.set_data(t[keep], gap[keep])
        b, wt = trace.params[end - 1]
        self.fit_line.set_data(self.grid, b + wt * self.grid)
        v = self.values
        batch = int(v["batch"])
        self.title.set_text(f"{'full batch' if not batch else f'batch {batch}'}, "
                            f"{v['schedule']} from η = {v['eta']:.3g}; 2/L = {self.eta_crit:.3g}")
        limit = f"stability limit 2/L = {self.eta_crit:.4g}"
        if at >= 0:
            return f"diverged at step {at}: η = {v['eta']:.3g}, {limit}"
        final = float(trace.losses[-1] - self.f_star)
        gap_text = (f"{final:.2e}" if final > 1e-15 else
                    "below 1e-15 (float64 rounding)")
        return f"final gap f - f* = {gap_text} after {trace.steps} steps; {limit}"


EXPLORERS.extend([ScheduleExplorer, PlateauExplorer, RangeTestExplorer, RegressionExplorer])

# --- x1 explorers ---
# Explorers of the chapters "Gradient descent" (ValleyExplorer), "Momentum"
# (MomentumPlaneExplorer), "Adaptive methods" (OptimizerRaceExplorer) and
# "Common mistakes" (CosineErratumExplorer).

import math as _math

from lrtutor import schedules as _schedules

__all__ += ["ValleyExplorer", "valley_verdict", "measured_contraction",
            "MomentumPlaneExplorer", "OptimizerRaceExplorer", "race_verdict",
            "source_cosine", "CosineErratumExplorer"]

_VALLEY_START = (-1.8, 0.9)      # generic for rotations 0..45 degrees: on no eigenvector


def _lowered(ax, before):
    """Give every artist added to ``ax`` since ``before`` a zorder below the animated ones."""
    new = [a for a in ax.get_children() if a not in before]
    for artist in new:
        artist.set_zorder(min(artist.get_zorder(), 1.5))
    return new


def _frame_below(*axes):
    """Draw the axes frames under the data, as the blitted fast path does anyway.

    A full draw paints the spines (zorder 2.5) over lines that leave the axes; the
    cached background has them under. Lowering them makes both paths agree.
    """
    for ax in axes:
        for spine in ax.spines.values():
            spine.set_zorder(1.5)


def measured_contraction(errors, window=20, floor=1e-200):
    r"""Per-step contraction factor measured from the last steps of a run.

    .. math:: \hat\rho = \Big(\frac{e_j}{e_{j-w}}\Big)^{1/w},

    where :math:`e_t = \lVert\theta_t - \theta^\star\rVert` are ``errors``,
    :math:`j` is the last step with a finite error above ``floor`` (below it
    the error has reached the limits of float64) and :math:`w` is ``window``
    (an int >= 1; fewer steps if the run is shorter). Returns ``None`` when fewer than two
    such errors exist (e.g. a run that hit the minimum exactly).

    >>> round(measured_contraction(2.0 * 0.9 ** np.arange(50)), 12)
    0.9
    """
    e = check_array("errors", errors, ndim=1, finite=False)
    window = check_int("window", window, low=1)
    good = np.flatnonzero(np.isfinite(e) & (e > floor))
    if good.size < 2:
        return None
    j = int(good[-1])
    i = max(int(good[0]), j - window)
    if i == j or e[i] <= 0:
        return None
    return float((e[j] / e[i]) ** (1.0 / (j - i)))


def valley_verdict(trace, eta, eigenvalues, minimizer):
    r"""The verdict on gradient descent in a 2-D valley: the regime and both contraction factors.

    The regime follows the closed form :math:`\rho = \max_i|1 - \eta\lambda_i|`
    (:func:`lrtutor.theory.contraction_factor`) and the run: *diverged at step k*
    (the run's :attr:`~lrtutor.train.Trace.diverged_at`), *diverging*
    (:math:`\rho > 1` but not yet past the blow-up threshold), *does not
    converge* (:math:`\rho = 1`), *too slow* (more steps to :math:`10^{-6}` than the
    run has), *converges, zig-zagging* (:math:`\eta L > 1`: the steep
    direction flips sign every step, and the error still reaches
    :math:`10^{-6}` within the run) or *converges smoothly*
    (:math:`\eta L \le 1`). At the optimal rate :math:`2/(L+\mu)` the
    verdict says so. The measured factor is
    :func:`measured_contraction` of the run's errors.

    >>> from lrtutor import optim, problems, train
    >>> q = problems.Quadratic.two_d(0.1, 1.0)
    >>> tr = train.run(q, optim.SGD(lr=1.5), [1.0, 1.0], 100)
    >>> valley_verdict(tr, 1.5, q.eigenvalues, q.minimizer)
    'converges, zig-zagging: error x0.8500 per step (theory 0.8500), 1e-6 after 86 steps'
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    rho = float(theory.contraction_factor(eta, lam))
    end = trace.finite_length()
    errors = np.linalg.norm(trace.params[:end] - np.asarray(minimizer), axis=-1)
    seen = measured_contraction(errors)
    measured = "n/a" if seen is None else f"{seen:.4f}"
    at = int(trace.diverged_at)
    if at >= 0:
        return (f"diverged at step {at}: ηL = {eta * lam.max():.2f} > 2, "
                f"error x{measured} per step (theory {rho:.4f})")
    if rho > 1:
        return (f"diverging: ηL = {eta * lam.max():.2f} > 2, error x{measured} per step "
                f"(theory {rho:.4f}), not yet past the blow-up threshold after {trace.steps} steps")
    if rho == 1:
        return (f"does not converge: ηL = {eta * lam.max():.2f}, contraction factor {rho:.4f}: "
                "the steep direction flips sign forever")
    if rho == 0:
        return "converges in one step: the rate cancels every curvature exactly"
    need = theory.iterations_to_tolerance(rho, 1e-6)
    if need > trace.steps:
        kind = "too slow"
    elif eta * lam.max() > 1:
        kind = "converges, zig-zagging"
    else:
        kind = "converges smoothly"
    if abs(rho - theory.optimal_contraction(lam.max(), lam.min())) <= 1e-12:
        kind += " at the best constant rate 2/(L+μ)"
    return (f"{kind}: error x{measured} per step (theory {rho:.4f}), "
            f"1e-6 after {need} steps")


class ValleyExplorer(Explorer):
    r"""Gradient descent in an ill-conditioned, rotated 2-D valley.

    :math:`f(\theta) = \tfrac12\theta^\top H\theta` with eigenvalues
    :math:`\mu = 1/\kappa` and :math:`L = 1`, eigenvectors rotated by ``angle``
    degrees (:meth:`lrtutor.problems.Quadratic.two_d`). Controls: the rate
    ``eta`` (log slider), the condition number ``kappa`` (log slider) and
    ``angle``. Left: the path on the loss's level sets (ellipses at fixed
    fractions of :math:`f(\theta_0)`); right: the loss on a log scale with the
    bound :math:`\rho^{2t} f(\theta_0)` dashed. The title states the
    stability limit :math:`2/L` and the optimal rate :math:`2/(L+\mu)`; the
    verdict names the regime and compares the measured contraction with
    :math:`\rho = \max_i|1-\eta\lambda_i|` (:func:`valley_verdict`).

    Parameters
    ----------
    eta : float in [0.01, 3.16]
    kappa : float in [1, 1000]
    angle : float in [0, 45]
        Degrees.
    steps : int in [1, 2000]

    Examples
    --------
    >>> ex = ValleyExplorer(eta=1.9, kappa=10.0)
    >>> ex.set("eta", 2.1).message.value[:23]
    '<b>diverged at step 97:'
    """

    theta0 = _VALLEY_START
    #: level sets drawn, as fractions of f(theta_0)
    level_fractions = np.geomspace(1.0, 1e-3, 7)

    def __init__(self, eta=1.8, kappa=20.0, angle=30.0, steps=150):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        eta = check_real("eta", eta, low=0.01, high=10 ** 0.5)
        kappa = check_real("kappa", kappa, low=1.0, high=1000.0)
        angle = check_real("angle", angle, low=0.0, high=45.0)
        self.steps = check_int("steps", steps, low=1, high=2000)
        super().__init__({
            "eta": w.FloatLogSlider(value=eta, base=10, min=-2, max=0.5, step=0.01,
                                    description="η", readout_format=".3g"),
            "kappa": w.FloatLogSlider(value=kappa, base=10, min=0, max=3, step=0.05,
                                      description="κ", readout_format=".3g"),
            "angle": w.FloatSlider(value=angle, min=0.0, max=45.0, step=1.0,
                                   description="angle °", readout_format=".0f"),
        })
        with plt.ioff():
            self.fig, (self.ax_path, self.ax_loss) = plt.subplots(
                1, 2, figsize=(9.0, 3.6), dpi=80, gridspec_kw={"width_ratios": [1.25, 1]})
            self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.22)
        ax = self.ax_path
        self.levels_line = plotting.plot_level_sets(
            ax, self.problem(), [1.0], zorder=2.1)
        ax.plot(0.0, 0.0, "*", color="k", markersize=11, zorder=1.5)
        (self.path_line,) = ax.plot([], [], marker=".", markersize=4, linewidth=1.2,
                                    color="C0", zorder=3)
        # room for every run that does not diverge at the defaults (kappa = 20, 30
        # degrees): at eta = 2/L the path from _VALLEY_START spans theta_2 = -1.95..1.45
        ax.set(xlim=(-2.7, 2.7), ylim=(-2.05, 1.55), xlabel=r"$\theta_1$",
               ylabel=r"$\theta_2$", aspect="equal")
        self.title = ax.set_title(" ", fontsize="small")
        t = np.arange(self.steps + 1)
        (self.loss_line,) = self.ax_loss.plot(t, t + 1.0, color="C0", zorder=3,
                                              label=r"$f(\theta_t)$")
        (self.bound_line,) = self.ax_loss.plot(t, t + 1.0, "--", color="C1", linewidth=1,
                                               zorder=2.5, label=r"$\rho^{2t} f(\theta_0)$")
        self.ax_loss.set(yscale="log", xlabel="step $t$", ylabel="loss",
                         xlim=(0, self.steps), ylim=(1e-30, 1e10))
        plotting.sparse_log_ticks(self.ax_loss)
        self.ax_loss.legend(loc="lower left").set_zorder(1.8)   # under the animated lines, as blitting draws it
        _frame_below(*self.fig.axes)
        self.animated = [self.levels_line, self.path_line, self.bound_line,
                         self.loss_line, self.title]      # in zorder
        self.refresh()

    def problem(self):
        """The quadratic of the current controls."""
        v = self.values
        return problems.Quadratic.two_d(1.0 / v["kappa"], 1.0, _math.radians(v["angle"]))

    def redraw(self):
        eta = self.values["eta"]
        q = self.problem()
        trace = train.run(q, optim.SGD(lr=eta), self.theta0, self.steps)
        f0 = float(trace.losses[0])
        plotting.plot_level_sets(self.ax_path, q, f0 * self.level_fractions,
                                 line=self.levels_line)
        end = trace.finite_length()
        self.path_line.set_data(trace.params[:end, 0], trace.params[:end, 1])
        t = np.arange(end)
        self.loss_line.set_data(t, np.maximum(trace.losses[:end], 1e-300))
        rho = float(theory.contraction_factor(eta, q.eigenvalues))
        full = np.arange(self.steps + 1)
        with np.errstate(over="ignore", under="ignore"):
            bound = np.clip(f0 * rho ** (2.0 * full), 1e-300, 1e300)
        self.bound_line.set_data(full, bound)
        self.title.set_text(
            f"κ = {q.condition_number:.3g}: stable below 2/L = {theory.critical_rate(q.L):.3g}, "
            f"optimal 2/(L+μ) = {theory.optimal_rate(q.L, q.mu):.4g}; η = {eta:.4g}")
        return valley_verdict(trace, eta, q.eigenvalues, q.minimizer)


class MomentumPlaneExplorer(Explorer):
    r"""Heavy-ball momentum in the valley, and where :math:`(\eta, \beta)` sits in the convergence region.

    The problem is the rotated valley of :class:`ValleyExplorer` with
    :math:`L = 1`, :math:`\mu = 1/\kappa`; the optimizer is PyTorch's
    ``SGD(lr=eta, momentum=beta)`` (:class:`lrtutor.optim.SGD`). Controls:
    ``eta`` (log slider) and ``beta``. Left: the path on the contours; middle:
    the contraction factor :func:`lrtutor.theory.momentum_rate` over the
    :math:`(\eta, \beta)` plane (drawn once, by
    :func:`lrtutor.plotting.plot_momentum_rate_map`, with Polyak's optimum
    :func:`lrtutor.theory.heavy_ball_optimal` as a star) and the current
    point as a red dot; right: the loss, with gradient descent at its best
    rate :math:`2/(L+\mu)` dashed for comparison.

    Parameters
    ----------
    eta : float in [0.01, 5]
    beta : float in [0, 0.99]
    kappa : float in [2, 10000]
        Fixed for the explorer's life (the map is drawn once).
    steps : int in [1, 2000]

    Examples
    --------
    >>> ex = MomentumPlaneExplorer(kappa=100.0)
    >>> ex.set("beta", 0.0).set("eta", 2.2).message.value[:27]
    '<b>diverged at step 51: ρ ='
    """

    theta0 = _VALLEY_START

    def __init__(self, eta=1.0, beta=0.9, kappa=100.0, steps=200):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        eta = check_real("eta", eta, low=0.01, high=5.0)
        beta = check_real("beta", beta, low=0.0, high=0.99)
        kappa = check_real("kappa", kappa, low=2.0, high=1e4)
        self.steps = check_int("steps", steps, low=1, high=2000)
        self.problem = problems.Quadratic.two_d(1.0 / kappa, 1.0, _math.radians(30.0))
        q = self.problem
        self.eta_star, self.beta_star = theory.heavy_ball_optimal(q.L, q.mu)
        super().__init__({
            "eta": w.FloatLogSlider(value=eta, base=10, min=-2, max=_math.log10(5.0),
                                    step=0.01, description="η", readout_format=".3g"),
            "beta": w.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01,
                                  description="β", readout_format=".2f"),
        })
        with plt.ioff():
            self.fig, (self.ax_path, self.ax_map, self.ax_loss) = plt.subplots(
                1, 3, figsize=(9.6, 3.2), dpi=80, gridspec_kw={"width_ratios": [1.2, 1.2, 1]})
            self.fig.subplots_adjust(left=0.065, right=0.975, bottom=0.15, top=0.86, wspace=0.6)
        before = set(self.ax_path.get_children())
        plotting.plot_contour_paths(self.ax_path, q, [], xlim=(-2.4, 2.4), ylim=(-1.6, 1.6),
                                    levels=5)
        _lowered(self.ax_path, before)
        (self.path_line,) = self.ax_path.plot([], [], linewidth=0.9, color="C3", zorder=3)
        before = set(self.ax_map.get_children())
        plotting.plot_momentum_rate_map(self.ax_map, np.geomspace(0.01, 5.0, 160),
                                        np.linspace(0.0, 0.99, 100), q.eigenvalues)
        self.ax_map.set_xscale("log")
        _lowered(self.ax_map, before)
        self.ax_map.get_legend().remove()
        self.ax_map.set_title(f"ρ(η, β), κ = {q.condition_number:.3g}\n"
                              f"star: η* = {self.eta_star:.3g}, β* = {self.beta_star:.3g}",
                              fontsize="small")
        (self.point,) = self.ax_map.plot([eta], [beta], "o", color="C3", markersize=9,
                                         markeredgecolor="w", zorder=3, clip_on=False)
        t = np.arange(self.steps + 1)
        gd = train.run(q, optim.SGD(lr=theory.optimal_rate(q.L, q.mu)), self.theta0, self.steps)
        self.ax_loss.plot(t, gd.losses, "--", color="0.4", linewidth=1, zorder=1.5,
                          label="GD at 2/(L+μ)")
        (self.loss_line,) = self.ax_loss.plot(t, t + 1.0, color="C3", zorder=3,
                                              label="momentum")
        self.ax_loss.set(yscale="log", xlabel="step $t$", ylabel="loss",
                         xlim=(0, self.steps), ylim=(1e-30, 1e10))
        plotting.sparse_log_ticks(self.ax_loss)
        self.ax_loss.legend(loc="lower left").set_zorder(1.8)   # under the animated lines, as blitting draws it
        self.title = self.ax_path.set_title(" ", fontsize="small")
        _frame_below(*self.fig.axes)
        self.animated = [self.path_line, self.point, self.loss_line, self.title]
        self.refresh()

    def redraw(self):
        eta, beta = self.values["eta"], self.values["beta"]
        q = self.problem
        trace = train.run(q, optim.SGD(lr=eta, momentum=beta), self.theta0, self.steps)
        end = trace.finite_length()
        self.path_line.set_data(trace.params[:end, 0], trace.params[:end, 1])
        self.loss_line.set_data(np.arange(end), np.maximum(trace.losses[:end], 1e-300))
        self.point.set_data([eta], [beta])
        self.title.set_text(f"η = {eta:.3g}, β = {beta:.2f}\n"
                            f"ηL = {eta * q.L:.3g}, stable below 2 + 2β = {2 + 2 * beta:.3g}")
        rho = float(theory.momentum_rate(eta, beta, q.eigenvalues))
        best = theory.heavy_ball_optimal_rate(q.L, q.mu)
        at = int(trace.diverged_at)
        if at >= 0:
            return (f"diverged at step {at}: ρ = {rho:.4f} > 1 "
                    f"(ηL = {eta * q.L:.3g} ≥ 2 + 2β = {2 + 2 * beta:.3g})")
        if rho > 1:
            return (f"diverging: ρ = {rho:.4f} > 1, not yet past the blow-up threshold "
                    f"after {self.steps} steps")
        if rho == 1:
            return f"does not converge: ρ = {rho:.4f}"
        need = theory.iterations_to_tolerance(rho, 1e-6)
        return (f"converges: ρ = {rho:.4f} per step, 1e-6 after {need} steps "
                f"(optimum ρ* = {best:.4f} at the star; gradient descent at best "
                f"{theory.optimal_contraction(q.L, q.mu):.4f})")


def race_verdict(traces):
    r"""Who leads an optimizer race: the runs ranked by final loss, then every diverged run.

    ``traces`` maps a name to a single-run :class:`~lrtutor.train.Trace`, all
    of the same length; a run leads with the smallest final loss
    :math:`f(\theta_T)` among those that did not diverge, and the others
    follow in order, so moving one rate shows where that run now ranks.

    >>> from lrtutor import optim, problems, train
    >>> q = problems.Quadratic.two_d(0.1, 1.0)
    >>> race_verdict({"slow": train.run(q, optim.SGD(0.1), [1.0, 1.0], 50),
    ...               "fast": train.run(q, optim.SGD(1.0), [1.0, 1.0], 50),
    ...               "wild": train.run(q, optim.SGD(3.0), [1.0, 1.0], 50)})
    'after 50 steps: fast leads, loss 1.3e-06; then slow 1.8e-02; diverged: wild (step 14)'
    """
    if not traces:
        raise ValueError("traces must contain at least one run")
    steps = next(iter(traces.values())).steps
    alive = sorted((float(tr.final_loss), name) for name, tr in traces.items()
                   if int(tr.diverged_at) < 0)
    dead = [f"{name} (step {int(tr.diverged_at)})" for name, tr in traces.items()
            if int(tr.diverged_at) >= 0]
    if alive:
        loss, name = alive[0]
        text = f"after {steps} steps: {name} leads, loss {loss:.1e}"
        if len(alive) > 1:
            text += "; then " + ", ".join(f"{n} {v:.1e}" for v, n in alive[1:])
    else:
        text = "every run diverged"
    if dead:
        text += "; diverged: " + ", ".join(dead)
    return text


class OptimizerRaceExplorer(Explorer):
    r"""A race of gradient descent, momentum, Nesterov, RMSprop and Adam on one surface.

    Controls: the ``surface`` (an axis-aligned or a rotated ill-conditioned
    quadratic, :math:`L = 1`, :math:`\mu = 0.01`, or Rosenbrock's valley,
    :class:`lrtutor.problems.Rosenbrock`) and one log slider per optimizer
    for its learning rate: ``gd`` (:class:`lrtutor.optim.SGD`), ``momentum``
    and ``nesterov`` (``SGD`` with momentum 0.9, plain or Nesterov),
    ``rmsprop`` (:class:`lrtutor.optim.RMSprop`, PyTorch defaults) and
    ``adam`` (:class:`lrtutor.optim.Adam`, PyTorch defaults). Each surface
    remembers its own rates (good rates differ by orders of magnitude between
    them). Left: the paths on the contours; right: the losses on a log scale;
    the verdict names the leader after ``steps`` steps and every diverged run
    (:func:`race_verdict`). Moving one slider reruns only that optimizer.

    Parameters
    ----------
    surface : {"aligned", "rotated", "rosenbrock"}
    steps : int in [1, 2000]

    Examples
    --------
    >>> ex = OptimizerRaceExplorer(surface="aligned")
    >>> ex.set("gd", 2.5).message.value.endswith("diverged: GD (step 24)</b>")
    True
    """

    names = {"gd": "GD", "momentum": "momentum", "nesterov": "Nesterov",
             "rmsprop": "RMSprop", "adam": "Adam"}
    surfaces = {"aligned": "quadratic, axis-aligned", "rotated": "quadratic, rotated 30°",
                "rosenbrock": "Rosenbrock"}
    #: starting rates per surface (each surface remembers the reader's changes)
    default_rates = {
        "aligned": {"gd": 1.0, "momentum": 0.5, "nesterov": 0.5, "rmsprop": 0.03, "adam": 0.1},
        "rotated": {"gd": 1.0, "momentum": 0.5, "nesterov": 0.5, "rmsprop": 0.03, "adam": 0.1},
        "rosenbrock": {"gd": 1.5e-3, "momentum": 2e-4, "nesterov": 2e-4, "rmsprop": 1e-2,
                       "adam": 0.1},
    }
    starts = {"aligned": (-1.8, 0.9), "rotated": (-1.8, 0.9), "rosenbrock": (-1.2, 1.0)}
    windows = {"aligned": ((-2.4, 2.4), (-1.6, 1.6)), "rotated": ((-2.4, 2.4), (-1.6, 1.6)),
               "rosenbrock": ((-2.0, 2.0), (-1.0, 3.0))}

    def __init__(self, surface="aligned", steps=250):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        if surface not in self.surfaces:
            raise ValueError(f"surface must be one of {sorted(self.surfaces)}, got {surface!r}")
        self.steps = check_int("steps", steps, low=1, high=2000)
        self._rates = {s: dict(r) for s, r in self.default_rates.items()}
        self._muted = False
        controls = {"surface": w.Dropdown(options=[(v, k) for k, v in self.surfaces.items()],
                                          value=surface, description="surface")}
        for key, label in self.names.items():
            controls[key] = w.FloatLogSlider(value=self._rates[surface][key], base=10, min=-5,
                                             max=0.5, step=0.05, description=f"η {label}",
                                             readout_format=".2g")
        super().__init__(controls)
        c = self.controls
        self.widget = w.VBox([w.HBox([c["surface"], c["gd"], c["momentum"]]),
                              w.HBox([c["nesterov"], c["rmsprop"], c["adam"]]),
                              self.image, self.message])
        with plt.ioff():
            self.fig, (self.ax_path, self.ax_loss) = plt.subplots(
                1, 2, figsize=(9.5, 3.8), dpi=80, gridspec_kw={"width_ratios": [1.2, 1]})
            self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.9, wspace=0.22)
        self._surface, self._contours, self._traces, self._ran = None, {}, {}, {}
        self._cache = {}      # (surface, slider, rate) -> trace: switching back costs nothing
        self.paths, self.losses = {}, {}
        for i, (key, label) in enumerate(self.names.items()):
            (self.paths[key],) = self.ax_path.plot([], [], linewidth=1.2, color=f"C{i}",
                                                   zorder=3, label=label)
            (self.losses[key],) = self.ax_loss.plot([], [], color=f"C{i}", zorder=3,
                                                    label=label)
        self.ax_loss.set(yscale="log", xlabel="step $t$", ylabel=r"loss $f(\theta_t)$",
                         xlim=(0, self.steps), ylim=(1e-25, 1e10))
        plotting.sparse_log_ticks(self.ax_loss)
        self.ax_loss.legend(loc="lower left", ncols=2).set_zorder(1.8)   # under the animated lines, as blitting draws it
        _frame_below(*self.fig.axes)
        self.animated = list(self.paths.values()) + list(self.losses.values())
        self.refresh()

    def _on_change(self, change):
        if not self._muted:
            super()._on_change(change)

    def problem(self, surface):
        """The objective of ``surface``."""
        if surface == "rosenbrock":
            return problems.Rosenbrock()
        angle = _math.radians(30.0) if surface == "rotated" else 0.0
        return problems.Quadratic.two_d(0.01, 1.0, angle)

    def optimizer(self, key, lr):
        """The optimizer of slider ``key`` at rate ``lr``."""
        if key == "gd":
            return optim.SGD(lr=lr)
        if key in ("momentum", "nesterov"):
            return optim.SGD(lr=lr, momentum=0.9, nesterov=key == "nesterov")
        if key == "rmsprop":
            return optim.RMSprop(lr=lr)
        return optim.Adam(lr=lr)

    def _switch(self, surface):
        """Show ``surface``: its contours, limits and remembered rates (a full redraw)."""
        if self._surface is not None:
            self._rates[self._surface] = {k: self.controls[k].value for k in self.names}
        self._muted = True
        try:
            for key in self.names:
                self.controls[key].value = self._rates[surface][key]
        finally:
            self._muted = False
        ax = self.ax_path
        for artists in self._contours.values():
            for artist in artists:
                artist.set_visible(False)
        xlim, ylim = self.windows[surface]
        if surface not in self._contours:       # drawn once per surface, then shown or hidden
            before = set(ax.get_children())
            plotting.plot_contour_paths(ax, self.problem(surface), [], xlim=xlim, ylim=ylim,
                                        levels=14)
            self._contours[surface] = _lowered(ax, before)
        for artist in self._contours[surface]:
            artist.set_visible(True)
        ax.set(xlim=xlim, ylim=ylim)
        ax.set_title(self.surfaces[surface], fontsize="small")
        self._surface, self._ran = surface, {}
        self.invalidate()

    def redraw(self):
        surface = self.values["surface"]
        if surface != self._surface:
            self._switch(surface)
        problem = self.problem(surface)
        for key in self.names:
            lr = float(self.controls[key].value)
            if self._ran.get(key) != lr:
                if (surface, key, lr) not in self._cache:
                    if len(self._cache) > 200:
                        self._cache.clear()
                    self._cache[surface, key, lr] = train.run(
                        problem, self.optimizer(key, lr), self.starts[surface], self.steps)
                self._traces[key] = self._cache[surface, key, lr]
                self._ran[key] = lr
                trace = self._traces[key]
                end = trace.finite_length()
                self.paths[key].set_data(trace.params[:end, 0], trace.params[:end, 1])
                self.losses[key].set_data(np.arange(end), np.maximum(trace.losses[:end], 1e-300))
        return race_verdict({self.names[k]: self._traces[k] for k in self.names})


def source_cosine(eta0, T, t):
    r"""The source's "cosine decay" formula, kept **only** to show that it is wrong (ERRATA E004-4).

    .. math:: \eta_t = \eta_0 \Big(1 - \frac{t}{T}\Big)^3 \cos\frac{3\pi t}{2T} \qquad \text{(wrong)},

    where :math:`\eta_0` is ``eta0`` (>= 0), :math:`T` is ``T`` (an int >= 1)
    and :math:`t` is ``t`` (ints >= 0). For :math:`T/3 < t < T` the cosine is negative and the cube
    positive, so the "rate" is negative for two thirds of training (gradient
    ascent). The correct schedule is :class:`lrtutor.schedules.CosineDecay`.

    >>> t = np.arange(1001)
    >>> eta = source_cosine(0.1, 1000, t)
    >>> int(np.sum(eta < 0)), int(t[np.argmin(eta)]), round(float(eta.min()), 5)
    (666, 479, -0.00896)
    """
    eta0 = check_real("eta0", eta0, low=0)
    T = check_int("T", T, low=1)
    t = check_array("t", t, low=0)
    return eta0 * (1 - t / T) ** 3 * np.cos(3 * np.pi * t / (2 * T))


class CosineErratumExplorer(Explorer):
    r"""The source's cosine formula against the correct cosine decay, and what each does to training.

    Controls: the peak rate ``eta_max`` (log slider), the floor as a fraction
    ``eta_min_fraction`` :math:`= \eta_{\min}/\eta_{\max}` and the horizon
    ``T``. Left: both rates in units of :math:`\eta_{\max}` against
    :math:`t/T`, the source's :func:`source_cosine` with its negative region
    shaded, the correct :class:`lrtutor.schedules.CosineDecay` (``alpha`` =
    the fraction) staying in :math:`[\eta_{\min}, \eta_{\max}]`. Right:
    :math:`|\theta_t|` of gradient descent on :math:`f(\theta) = \theta^2/2`
    from :math:`\theta_0 = 1` with each schedule,
    :math:`\theta_t = \prod_{s<t}(1 - \eta_s)` (the closed form of a 1-D
    quadratic; :func:`lrtutor.train.run` refuses the negative rates).

    Parameters
    ----------
    eta_max : float in [0.001, 0.79]
    eta_min_fraction : float in [0, 0.5]
    T : int in [12, 1000]

    Examples
    --------
    >>> ex = CosineErratumExplorer(eta_max=0.1, T=1000)
    >>> ex.message.value[:60]
    "<b>source's rate goes negative at step 334 (on 666 of 1000 u"
    """

    def __init__(self, eta_max=0.1, eta_min_fraction=0.0, T=1000):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        eta_max = check_real("eta_max", eta_max, low=1e-3, high=10 ** -0.1)
        fraction = check_real("eta_min_fraction", eta_min_fraction, low=0.0, high=0.5)
        T = check_int("T", T, low=12, high=1000)
        super().__init__({
            "eta_max": w.FloatLogSlider(value=eta_max, base=10, min=-3, max=-0.1, step=0.05,
                                        description="η_max", readout_format=".3g"),
            "eta_min_fraction": w.FloatSlider(value=fraction, min=0.0, max=0.5, step=0.01,
                                              description="η_min/η_max",
                                              readout_format=".2f"),
            "T": w.IntSlider(value=T, min=12, max=1000, step=1, description="T"),
        })
        with plt.ioff():
            self.fig, (self.ax_rate, self.ax_x) = plt.subplots(1, 2, figsize=(9.5, 3.6), dpi=80)
            self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.86, wspace=0.25)
        ax = self.ax_rate
        ax.axhline(0.0, color="0.3", linewidth=1, zorder=1.5)
        self.shade = plotting.shade_negative(ax, [0.0, 1.0], [0.0, 0.0], zorder=2.1,
                                             label=r"$\eta_t < 0$: gradient ascent")
        (self.src_line,) = ax.plot([], [], color="C3", zorder=3,
                                   label=r"source: $\eta_0(1-t/T)^3\cos(3\pi t/2T)$")
        (self.cos_line,) = ax.plot([], [], color="C0", zorder=3, label="cosine decay")
        ax.set(xlim=(0, 1), ylim=(-0.15, 1.08), xlabel="$t/T$",
               ylabel=r"$\eta_t / \eta_{\max}$")
        ax.legend(loc="upper right", fontsize="x-small").set_zorder(1.8)   # under the animated lines, as blitting draws it
        (self.src_x,) = self.ax_x.plot([], [], color="C3", zorder=3, label="source's rates")
        (self.cos_x,) = self.ax_x.plot([], [], color="C0", zorder=3, label="cosine decay")
        self.ax_x.set(yscale="log", xlim=(0, 1), ylim=(1e-60, 1e2), xlabel="$t/T$",
                      ylabel=r"$|\theta_t|$ on $f = \theta^2/2$")
        plotting.sparse_log_ticks(self.ax_x)
        self.ax_x.legend(loc="lower left").set_zorder(1.8)   # under the animated lines, as blitting draws it
        self.title = self.ax_rate.set_title(" ", fontsize="small")
        _frame_below(*self.fig.axes)
        self.animated = [self.shade, self.src_line, self.cos_line, self.src_x, self.cos_x,
                         self.title]
        self.refresh()

    def schedules(self):
        """``(source, correct)``: the rates of the current controls for ``t = 0 .. T``."""
        v = self.values
        t = np.arange(v["T"] + 1)
        correct = _schedules.CosineDecay(v["eta_max"], v["T"], alpha=v["eta_min_fraction"])
        return source_cosine(v["eta_max"], v["T"], t), correct(t)

    def redraw(self):
        v = self.values
        T, eta_max = int(v["T"]), v["eta_max"]
        src, cos = self.schedules()
        u = np.arange(T + 1) / T
        plotting.shade_negative(self.ax_rate, u, src / eta_max, shade=self.shade)
        self.src_line.set_data(u, src / eta_max)
        self.cos_line.set_data(u, cos / eta_max)
        # theta_t = prod_{s < t} (1 - eta_s) theta_0: gradient descent on theta^2 / 2
        x_src = np.abs(np.concatenate([[1.0], np.cumprod(1.0 - src[:T])]))
        x_cos = np.abs(np.concatenate([[1.0], np.cumprod(1.0 - cos[:T])]))
        self.src_x.set_data(u, np.maximum(x_src, 1e-300))
        self.cos_x.set_data(u, np.maximum(x_cos, 1e-300))
        eta_min = v["eta_min_fraction"] * eta_max
        self.title.set_text(f"η_max = {eta_max:.3g}, η_min = {eta_min:.3g}, T = {T}")
        used = src[:T]
        neg = np.flatnonzero(used < 0)
        k = int(neg[0])
        grew = float(np.prod(1.0 - used[k:]))          # |theta_T| / |theta_k|
        grew = f"{grew:.3f}" if grew < 10 else f"{grew:.3g}"
        end = f"{x_cos[T]:.1e}" if x_cos[T] > 0 else "< 1e-300"
        return (f"source's rate goes negative at step {k} (on {neg.size} of {T} updates, "
                f"minimum {used.min():.2e}) and |θ| grows x{grew} from there; "
                f"the correct schedule stays in [η_min, η_max] and ends at |θ| = {end}")

EXPLORERS.extend([ValleyExplorer, MomentumPlaneExplorer, OptimizerRaceExplorer,
                  CosineErratumExplorer])


# --- network_rates ---
# Explorer of the chapter "A fixed rate on a network" (book/network_rates.ipynb):
# a slider over a precomputed rate grid of the digits network.

from lrtutor import data as _data  # noqa: E402
from lrtutor import network as _network  # noqa: E402

__all__ += ["NetworkRateExplorer"]


class NetworkRateExplorer(Explorer):
    r"""One rate of a grid on the digits network: its curves against the U-curve.

    The runs are computed once, in ``__init__`` (or passed in): a
    :func:`lrtutor.train.sweep_seeds` trace of an optimizer at ``R`` rates
    and ``S`` seeds, with the validation loss every epoch. The control
    ``rate`` selects one grid rate; a move only redraws. Left: the training
    loss (mean mini-batch loss of each epoch, :func:`lrtutor.train.epoch_losses`)
    and the validation loss against the epoch, median and 10-90 % band over
    seeds. Right: the final training and validation losses against the rate
    (the U-curves, :func:`lrtutor.plotting.plot_u_curve`), with the selected
    rate marked.

    Parameters
    ----------
    lrs : array_like, shape (R,), optional
        The rates of ``trace``, increasing.
    trace : Trace, optional
        Of :func:`lrtutor.train.sweep_seeds`, batch shape ``(R, S)``, with
        ``validation`` evaluated every ``steps_per_epoch`` steps.
    steps_per_epoch : int, optional
    label : str
        The optimizer's name, for the title.

    Notes
    -----
    Without ``lrs``, ``trace`` and ``steps_per_epoch`` (all three or none),
    the chapter's runs are made: a 64-32-10 ReLU network
    (:class:`lrtutor.network.MLP`, cross-entropy) on the digits of
    :func:`lrtutor.data.load_digits_split`, He initialisation from
    ``default_rng(0)`` (5 seeds), SGD at 13 rates from :math:`10^{-3}` to 10,
    10 epochs of mini-batches of 32 (``sampling="epoch"``; seed ``s``
    shuffles with ``default_rng(100 + s)``).

    Examples
    --------
    >>> ex = NetworkRateExplorer()
    >>> ex.set("rate", 12).message.value.startswith("<b>SGD, η = 10: every seed diverged")
    True
    """

    SEEDS, EPOCHS, BATCH, HIDDEN = 5, 10, 32, (32,)

    @classmethod
    def default_runs(cls):
        """``(lrs, trace, steps_per_epoch)``: the chapter's SGD grid (see the class)."""
        split = _data.load_digits_split(seed=0)
        net = _network.MLP(split.X_train, split.y_train, hidden=cls.HIDDEN)
        lrs = np.logspace(-3, 1, 13)
        m = -(-net.n // cls.BATCH)
        trace = train.sweep_seeds(
            net, optim.SGD(lr=1.0), lrs, net.init(np.random.default_rng(0), k=cls.SEEDS),
            cls.EPOCHS * m, rng=[np.random.default_rng(100 + s) for s in range(cls.SEEDS)],
            batch_size=cls.BATCH, sampling="epoch", record_every=cls.EPOCHS * m,
            eval_every=m, validation=(split.X_val, split.y_val))
        return lrs, trace, m

    def __init__(self, lrs=None, trace=None, steps_per_epoch=None, label="SGD"):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        given = [a is not None for a in (lrs, trace, steps_per_epoch)]
        if any(given) and not all(given):
            raise ValueError("lrs, trace and steps_per_epoch must be given together "
                             "(or none of them, for the chapter's runs)")
        if not any(given):
            lrs, trace, steps_per_epoch = self.default_runs()
        self.lrs = check_array("lrs", lrs, ndim=1, low=0, low_op=">")
        if not isinstance(trace, train.Trace):
            raise TypeError(f"trace must be a Trace of train.sweep_seeds, got "
                            f"{type(trace).__name__}")
        if trace.diverged_at.shape[:1] != self.lrs.shape or trace.diverged_at.ndim != 2:
            raise ValueError(f"trace must have batch shape ({self.lrs.size}, seeds) to match "
                             f"lrs, got {trace.diverged_at.shape}")
        if "val_loss" not in trace.evals:
            raise ValueError("trace must have evals['val_loss'] (run with validation=)")
        self.label = str(label)
        m = check_int("steps_per_epoch", steps_per_epoch, low=1, high=trace.steps)
        self.trace = trace
        self.train_epochs = train.epoch_losses(trace, m)            # (E, R, S)
        self.epoch_mid = np.arange(self.train_epochs.shape[0]) + 0.5
        self.val = trace.evals["val_loss"]                           # (V, R, S)
        self.val_epochs = trace.eval_steps / m
        self.final_train = trace.losses[-1]                          # (R, S)
        self.final_val = self.val[-1]
        med_val = plotting.band_stats(self.final_val)[0]
        self.best = int(np.argmin(np.where(np.isfinite(med_val), med_val, np.inf)))
        self.best_val = float(med_val[self.best])
        options = [(f"{r:.3g}", i) for i, r in enumerate(self.lrs)]
        super().__init__({
            "rate": w.SelectionSlider(options=options, value=self.best, description="η",
                                      continuous_update=True),
        })
        with plt.ioff():
            self.fig, (self.ax_time, self.ax_rate) = plt.subplots(1, 2, figsize=(9.0, 3.6),
                                                                  dpi=80)
            self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.84,
                                     wspace=0.25)
        ax = self.ax_time
        ax.set(yscale="log", xlabel="epoch", ylabel="loss", ylim=(1e-3, 1e2),
               xlim=(0, self.val_epochs[-1]))
        plotting.sparse_log_ticks(ax)
        nothing = np.full(self.epoch_mid.shape + (1,), np.nan)
        self.train_line, self.train_band = plotting.plot_band(
            ax, self.epoch_mid, nothing, color="C0", label="training (epoch mean)")
        nothing = np.full(self.val_epochs.shape + (1,), np.nan)
        self.val_line, self.val_band = plotting.plot_band(
            ax, self.val_epochs, nothing, color="C1", label="validation")
        ax.legend(loc="lower left").set_zorder(1.8)
        ax = self.ax_rate
        plotting.plot_u_curve(ax, self.lrs, self.final_train, color="C0", label="training")
        plotting.plot_u_curve(ax, self.lrs, self.final_val, color="C1", label="validation",
                              diverged_label="every seed diverged")
        ax.set(xlabel=r"learning rate $\eta$", ylabel="final loss", ylim=(5e-4, 1e2),
               xlim=(self.lrs[0] / 2, self.lrs[-1] * 2))
        plotting.sparse_log_ticks(ax)
        ax.legend(loc="upper right").set_zorder(1.8)
        self.marker = ax.axvline(self.lrs[self.best], color="0.2", linewidth=1.2,
                                 linestyle="--")
        self.title = self.ax_time.set_title(" ", fontsize="small", loc="left")
        _frame_below(*self.fig.axes)
        self.animated = [self.train_band, self.val_band, self.train_line, self.val_line,
                         self.marker, self.title]
        self.refresh()

    def redraw(self):
        i = int(self.values["rate"])
        eta = float(self.lrs[i])
        plotting.update_band(self.train_line, self.train_band, self.epoch_mid,
                             self.train_epochs[:, i])
        plotting.update_band(self.val_line, self.val_band, self.val_epochs, self.val[:, i])
        self.marker.set_xdata([eta, eta])
        at = self.trace.diverged_at[i]
        S = at.size
        self.title.set_text(f"{self.label}, η = {eta:.3g}: median and 10-90 % band "
                            f"of {S} seeds")
        head = f"{self.label}, η = {eta:.3g}: "
        if np.all(at >= 0):
            return head + f"every seed diverged (steps {at.min()}-{at.max()})"
        tr = plotting.band_stats(self.final_train[i])[0]
        va = plotting.band_stats(self.final_val[i])[0]
        text = (head + f"final training loss {tr:.2e}, validation loss {va:.3f} "
                f"(medians), {va / self.best_val:.2f} x the best, "
                f"at η = {self.lrs[self.best]:.3g}")
        if np.any(at >= 0):
            text += f"; {np.count_nonzero(at >= 0)} of {S} seeds diverged"
        return text


EXPLORERS.append(NetworkRateExplorer)


# --- loss spikes explorer ---
# Chapter "Loss spikes, clipping and what to watch" (book/loss_spikes): the digits
# network trained at a grid of rates with and without clipping by global norm.

from lrtutor import data as _data  # noqa: E402
from lrtutor import network as _network  # noqa: E402

__all__ += ["ClipExplorer"]


class ClipExplorer(Explorer):
    r"""Loss and gradient-norm logs of the digits network, clipped or not.

    A :class:`lrtutor.network.MLP` with one hidden layer of 64 ReLU units on
    the digits (:func:`lrtutor.data.load_digits_split`, seed 0), trained by
    SGD with momentum 0.9 on mini-batches of 32 for ``steps`` updates from one
    He initialisation (``default_rng(0)``), every run on the same batches
    (``default_rng(1)``). All runs are computed once, in ``__init__``: one
    :func:`lrtutor.train.run` per clipping threshold, with the rates of
    :attr:`RATES` as one batch, so a control move only selects a run.

    Controls: ``eta``, the rate (one of :attr:`RATES`), and ``clip``, the
    threshold :math:`c` of clipping by global norm (one of :attr:`CLIPS`;
    0 means no clipping). Left: the batch loss :math:`f_{B_t}(\theta_t)`;
    right: the gradient norm :math:`\lVert g_t\rVert` before clipping, with
    :math:`c` dashed. The unclipped run at the same rate is drawn in grey.
    The message says whether the run diverged, how often clipping was
    active, and the final training loss and validation accuracy.

    Parameters
    ----------
    eta : float, one of RATES
    clip : float, one of CLIPS (0 for no clipping)
    steps : int in [10, 1000]

    Examples
    --------
    >>> ex = ClipExplorer(eta=1.0, clip=0.0, steps=100)
    >>> ex.message.value.startswith("<b>η = 1, no clipping: diverged at step")
    True
    """

    RATES = (0.01, 0.03, 0.1, 0.3, 1.0)
    CLIPS = (0.0, 2.0, 1.0, 0.5)
    #: Lower ends of the loss and norm axes.
    LOG_FLOORS = (1e-4, 1e-3)

    def __init__(self, eta=0.3, clip=1.0, steps=150):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        eta = check_real("eta", eta)
        if eta not in self.RATES:
            raise ValueError(f"eta must be one of {list(self.RATES)}, got {eta}")
        clip = check_real("clip", clip)
        if clip not in self.CLIPS:
            raise ValueError(f"clip must be one of {list(self.CLIPS)} (0: no clipping), "
                             f"got {clip}")
        self.steps = check_int("steps", steps, low=10, high=1000)
        self.traces = self.compute(self.steps)
        super().__init__({
            "eta": w.SelectionSlider(options=[(f"{r:g}", r) for r in self.RATES], value=eta,
                                     description="η", continuous_update=True),
            "clip": w.SelectionSlider(options=[("off" if c == 0 else f"{c:g}", c)
                                               for c in self.CLIPS],
                                      value=clip, description="clip c",
                                      continuous_update=True),
        })
        with plt.ioff():
            # fixed margins: a layout engine would re-measure every label on each redraw
            self.fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.4), dpi=80)
            self.fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.84, wspace=0.3)
        self.ax_loss, self.ax_norm = axes
        t = np.arange(self.steps)
        ref = plotting.plot_spike_logs(axes, t, np.ones(self.steps), np.ones(self.steps),
                                       color="0.7", linewidth=1.0, label="no clipping")
        run = plotting.plot_spike_logs(axes, t, np.ones(self.steps), np.ones(self.steps),
                                       color="C0", linewidth=1.0, label="this run")
        self.ref_lines, self.run_lines = ref, run
        self.clip_line = self.ax_norm.axhline(1.0, color="C3", linestyle="--", linewidth=1.2)
        losses = np.concatenate([tr.batch_losses.ravel() for tr in self.traces.values()])
        norms = np.concatenate([tr.grad_norms.ravel() for tr in self.traces.values()])
        # a fitted batch can have a loss or gradient of 1e-150: the axes show the
        # range that matters, from LOG_FLOORS up to the largest value of any run
        for ax, values, floor in ((self.ax_loss, losses, self.LOG_FLOORS[0]),
                                  (self.ax_norm, norms, self.LOG_FLOORS[1])):
            top = np.nanmax(plotting.positive_or_nan(values))
            ax.set_ylim(floor, 10.0 ** np.ceil(np.log10(top)))
            ax.set_xlim(0, self.steps)
            plotting.sparse_log_ticks(ax)
        self.ax_loss.legend(loc="upper right", ncols=2, bbox_to_anchor=(1.0, 1.17))
        _frame_below(self.ax_loss, self.ax_norm)
        self.title = self.ax_norm.set_title(" ")
        self.animated = [*self.ref_lines, *self.run_lines, self.clip_line, self.title]
        self.refresh()

    @classmethod
    def compute(cls, steps):
        """The runs: a dict ``clip -> Trace`` with one run per rate of :attr:`RATES`."""
        split = _data.load_digits_split(seed=0)
        net = _network.MLP(split.X_train, split.y_train, hidden=(64,))
        x0 = np.tile(net.init(np.random.default_rng(0)), (len(cls.RATES), 1))
        opt = optim.SGD(lr=np.array(cls.RATES), momentum=0.9)
        return {c: train.run(net, opt, x0, steps, rng=np.random.default_rng(1),
                             batch_size=32, record_every=steps, eval_every=steps,
                             validation=(split.X_val, split.y_val),
                             clip_norm=c if c > 0 else None)
                for c in cls.CLIPS}

    def summary(self, eta, clip):
        """The run at ``(eta, clip)``: a dict of what the message reports."""
        i = self.RATES.index(eta)
        tr = self.traces[clip]
        norms = tr.grad_norms[:, i]
        alive = np.isfinite(norms)
        return {
            "diverged_at": int(tr.diverged_at[i]),
            "clipped": (float(np.mean(norms[alive] > clip)) if clip > 0 and alive.any()
                        else 0.0),
            "loss": float(tr.losses[-1, i]),
            "accuracy": float(tr.evals["val_accuracy"][-1, i]),
        }

    def redraw(self):
        eta, clip = self.values["eta"], self.values["clip"]
        i = self.RATES.index(eta)
        t = np.arange(self.steps)
        for lines, tr in ((self.ref_lines, self.traces[0.0]), (self.run_lines, self.traces[clip])):
            lines[0].set_data(t, plotting.positive_or_nan(tr.batch_losses[:, i]))
            lines[1].set_data(t, plotting.positive_or_nan(tr.grad_norms[:, i]))
        self.clip_line.set_visible(clip > 0)
        self.clip_line.set_ydata([clip if clip > 0 else 1.0] * 2)
        s = self.summary(eta, clip)
        what = "no clipping" if clip == 0 else f"c = {clip:g}"
        self.title.set_text(f"η = {eta:g}, {what}")
        # short enough to be the static twin's one-line title
        if s["diverged_at"] >= 0:
            return f"η = {eta:g}, {what}: diverged at step {s['diverged_at']}"
        text = (f"η = {eta:g}, {what}: train loss {s['loss']:.3g}, "
                f"val. accuracy {s['accuracy']:.1%}")
        if clip > 0:
            text += f", {s['clipped']:.0%} of steps clipped"
        return text


EXPLORERS.append(ClipExplorer)


# --- edge of stability ---
# Explorer of the chapter "The edge of stability" (book/edge_of_stability.ipynb):
# full-batch gradient descent on a small tanh network at a grid of rates, computed
# once; the slider selects a rate and the figure shows its loss and sharpness.

from lrtutor import data as _eos_data  # noqa: E402
from lrtutor import diagnostics as _eos_diag  # noqa: E402
from lrtutor import network as _eos_network  # noqa: E402

__all__ += ["EdgeOfStabilityExplorer", "eos_verdict"]


def eos_verdict(steps, sharpness, losses, eta, diverged_at=-1, near=0.95):
    r"""One short line on a full-batch run: did the sharpness reach :math:`2/\eta`, and what then.

    Short enough (under 80 characters for the rates of the explorer) to serve
    as the title of a frame of :func:`static_twin`.

    Parameters
    ----------
    steps : array_like of int, shape (E,)
        Steps at which ``sharpness`` was measured, starting at 0.
    sharpness : array_like, shape (E,)
        :math:`\lambda_{\max}(\theta_t)` at those steps (NaN after divergence).
    losses : array_like, shape (T,)
        The full-batch loss :math:`f(\theta_t)` of every step ``t < T`` (NaN
        after divergence); the line counts the steps on which it rose.
    eta : float > 0
    diverged_at : int
        The step at which the run diverged, or -1.
    near : float in (0, 1]
        The sharpness counts as having reached the edge once it is at least
        ``near * 2 / eta``.

    Returns
    -------
    str

    Examples
    --------
    >>> eos_verdict([0, 10, 20], [1.0, 1.5, 1.9], [1.0, 0.5, 0.6], eta=1.0)
    'η = 1: reached 2/η = 2 at step 20, then 0.95-0.95 × 2/η; loss rose on 1 step'
    """
    eta = check_real("eta", eta, low=0, low_op=">")
    steps = np.asarray(steps)
    sharp = check_array("sharpness", sharpness, ndim=1, finite=False)
    losses = check_array("losses", losses, ndim=1, finite=False)
    if steps.shape != sharp.shape or steps.size == 0:
        raise ValueError(f"steps must have the shape of sharpness {sharp.shape}, got "
                         f"{steps.shape}")
    near = check_real("near", near, low=0, high=1, low_op=">")
    edge = 2.0 / eta
    head = f"η = {eta:.3g}: "
    if int(diverged_at) >= 0:
        return (head + f"diverged at step {int(diverged_at)}; started at "
                f"{sharp[0] / edge:.2f} × 2/η = {edge:.3g}")
    ok = np.isfinite(losses)
    rises = int(np.count_nonzero(np.diff(losses[ok]) > 0))
    loss_text = f"loss rose on {rises} step{'' if rises == 1 else 's'}"
    if sharp[0] >= near * edge:
        low = np.nanmin(sharp[1:]) if sharp.size > 1 else sharp[0]
        return (head + f"started at {sharp[0] / edge:.2f} × 2/η, fell to "
                f"{low / edge:.2f} ×, ended {sharp[-1] / edge:.2f} ×; " + loss_text)
    reached = np.flatnonzero(sharp >= near * edge)
    if reached.size == 0:
        return (head + f"{sharp[0]:.2f} → {sharp[-1]:.2f}, never above "
                f"{np.nanmax(sharp) / edge:.2f} × 2/η = {edge:.3g}; " + loss_text)
    k = int(reached[0])
    after = sharp[k:] / edge
    return (head + f"reached 2/η = {edge:.3g} at step {int(steps[k])}, then "
            f"{np.nanmin(after):.2f}-{np.nanmax(after):.2f} × 2/η; " + loss_text)


class EdgeOfStabilityExplorer(Explorer):
    r"""Full-batch gradient descent on a digits network: loss and sharpness at one rate of a grid.

    The runs are made once, in ``__init__``: a 64-64-10 tanh network
    (:class:`lrtutor.network.MLP`, squared error on one-hot targets) on the
    first ``n`` rows of the training part of
    :func:`lrtutor.data.load_digits_split`, Glorot weights scaled by
    ``scale`` from ``default_rng(0)`` (one seed), gradient descent at every
    rate of ``RATES`` in one batched :func:`lrtutor.train.run` of ``steps``
    steps, with the sharpness (:func:`lrtutor.diagnostics.sharpness`, 20
    Lanczos steps) every ``every`` steps. The control ``eta`` selects a
    rate; a move only redraws. Left: the training loss of every step (log
    scale). Right: the sharpness and the line :math:`2/\eta`
    (:func:`lrtutor.plotting.plot_sharpness`). The message is
    :func:`eos_verdict`.

    Parameters
    ----------
    eta : float
        The starting rate, one of ``RATES``.
    n : int in [50, 1078]
    steps : int in [10, 2000]
    every : int in [1, steps]
    scale : float in (0, 2]

    Examples
    --------
    >>> ex = EdgeOfStabilityExplorer()
    >>> ex.set("eta", 2.0).message.value[:26]
    '<b>η = 2: diverged at step'
    """

    RATES = (0.1, 0.2, 0.3, 0.45, 0.6, 0.9, 1.3, 2.0)

    def __init__(self, eta=0.45, n=200, steps=240, every=24, scale=0.3):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        eta = check_real("eta", eta, low=0, low_op=">")
        if eta not in self.RATES:
            raise ValueError(f"eta must be one of {self.RATES}, got {eta!r}")
        n = check_int("n", n, low=50, high=1078)
        self.steps = check_int("steps", steps, low=10, high=2000)
        every = check_int("every", every, low=1, high=self.steps)
        scale = check_real("scale", scale, low=0, high=2.0, low_op=">")
        split = _eos_data.load_digits_split(seed=0)
        net = _eos_network.MLP(split.X_train[:n], split.y_train[:n], hidden=(64,),
                               activation="tanh", loss="squared_error")
        x0 = net.init(np.random.default_rng(0), scale=scale)
        rates = np.array(self.RATES)
        self.trace = train.run(
            net, optim.SGD(lr=rates), np.tile(x0, (rates.size, 1)), self.steps,
            record_every=self.steps, eval_every=every,
            monitors={"sharpness": lambda x: _eos_diag.sharpness(net, x, iters=20)})
        self.sharp = self.trace.evals["sharpness"]            # (E, R)
        self.losses = self.trace.batch_losses                 # (T, R): full-batch losses
        super().__init__({
            "eta": w.SelectionSlider(options=[(f"{r:g}", r) for r in self.RATES], value=eta,
                                     description="η", continuous_update=True),
        })
        with plt.ioff():
            self.fig, (self.ax_loss, self.ax_sharp) = plt.subplots(1, 2, figsize=(9.0, 3.6),
                                                                   dpi=80)
            self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.84,
                                     wspace=0.25)
        t = np.arange(self.steps)
        (self.loss_line,) = self.ax_loss.plot(t, np.ones(self.steps), color="C0",
                                              linewidth=1.0, zorder=2.2)
        self.ax_loss.set(yscale="log", xlabel="step $t$", ylabel=r"loss $f(\theta_t)$",
                         xlim=(0, self.steps), ylim=(1e-3, 1e9))
        plotting.sparse_log_ticks(self.ax_loss)
        self.artists = plotting.plot_sharpness(
            self.ax_sharp, self.trace.eval_steps, self.sharp[:, 0], self.RATES[0],
            color="C3", label=r"$\lambda_{\max}(\theta_t)$", ref_label=r"$2/\eta$")
        self.ax_sharp.set(xlabel="step $t$", ylabel=r"sharpness $\lambda_{\max}$",
                          xlim=(0, self.steps), ylim=(0, 21))
        self.ax_sharp.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2,
                             borderaxespad=0.2)   # above the axes: covers nothing
        self.title = self.ax_loss.set_title(" ", fontsize="small", loc="left")
        _frame_below(*self.fig.axes)
        self.animated = [self.artists[2], self.artists[1], self.artists[0], self.loss_line,
                         self.title]
        self.refresh()

    def redraw(self):
        eta = float(self.values["eta"])
        i = self.RATES.index(eta)
        loss = self.losses[:, i]
        ok = np.isfinite(loss)
        t = np.arange(self.steps)
        self.loss_line.set_data(t[ok], loss[ok])
        plotting.update_sharpness(self.artists, self.trace.eval_steps, self.sharp[:, i], eta)
        self.title.set_text(f"gradient descent, η = {eta:g}, 2/η = {2 / eta:.3g} (one seed)")
        return eos_verdict(self.trace.eval_steps, self.sharp[:, i], loss, eta,
                           self.trace.diverged_at[i])


EXPLORERS.append(EdgeOfStabilityExplorer)


# --- batch_size explorer ---
# Chapter "Batch size and the learning rate" (book/batch_size): a slider over the
# batch sizes of a precomputed rate grid, for SGD and Adam.

from lrtutor import data as _bs_data  # noqa: E402
from lrtutor import network as _bs_network  # noqa: E402

__all__ += ["BatchSizeExplorer"]


class BatchSizeExplorer(Explorer):
    r"""The final loss against the rate at one batch size, and the best rate against both rules.

    The runs are computed once, in ``__init__`` (or passed in): for each
    optimizer, a rate grid from several seeds at several batch sizes for the
    same number of epochs (:func:`lrtutor.train.sweep_batch_sizes`). The
    controls select a batch size and an optimizer; a move only redraws.
    Left: the final training loss against the rate at the selected batch size,
    median and 10-90 % band over seeds (:func:`lrtutor.plotting.plot_loss_vs_rate`),
    the best rate marked: :func:`lrtutor.train.best_rate` of the median over
    seeds, in which a diverged seed counts as an infinite loss.
    Right: the best rate against the batch size with the linear and the
    square-root rule through the smallest batch size
    (:func:`lrtutor.plotting.plot_best_rates`), the selected size circled.

    Parameters
    ----------
    sweeps : dict, optional
        ``{name: (lrs, batch_sizes, losses)}`` for one or more optimizers:
        increasing rates ``lrs`` (shape ``(R,)``), increasing ``batch_sizes``
        (shape ``(m,)``) and the final losses, shape ``(m, R, S)`` (NaN for a
        diverged run). Every optimizer must share the batch sizes.
    batch : int, optional
        Initial batch size (one of ``batch_sizes``; default the smallest).

    Notes
    -----
    Without ``sweeps`` the explorer makes its own, smaller than the
    chapter's (one epoch instead of three, 7 rates, no batch of 8): a 64-16-10 ReLU network
    (:class:`lrtutor.network.MLP`, cross-entropy) on the digits of
    :func:`lrtutor.data.load_digits_split`, He initialisation from
    ``default_rng(0)`` (5 seeds, seed ``s`` shuffling with ``default_rng(s)``),
    batch sizes 16 to 256, SGD at rates :math:`2^{-5}` to :math:`2^{1}` and Adam
    at :math:`2^{-8}` to :math:`2^{-2}`.

    Examples
    --------
    >>> ex = BatchSizeExplorer()
    >>> ex.set("batch", 32).message.value[:25]
    '<b>SGD, B = 32: best rate'
    """

    SEEDS, EPOCHS, HIDDEN = 5, 1, (16,)
    BATCH_SIZES = (16, 32, 64, 128, 256)

    @classmethod
    def default_sweeps(cls):
        """The explorer's own runs (see the class), as the ``sweeps`` argument."""
        split = _bs_data.load_digits_split(seed=0)
        net = _bs_network.MLP(split.X_train, split.y_train, hidden=cls.HIDDEN)
        x0 = net.init(np.random.default_rng(0), k=cls.SEEDS)
        out = {}
        for name, opt, lrs in (("SGD", optim.SGD(lr=1.0), 2.0 ** np.arange(-5, 2)),
                               ("Adam", optim.Adam(lr=1.0), 2.0 ** np.arange(-8, -1))):
            traces = train.sweep_batch_sizes(
                net, opt, lrs, x0, cls.BATCH_SIZES, cls.EPOCHS,
                rng=[np.random.default_rng(s) for s in range(cls.SEEDS)])
            out[name] = (lrs, np.array(cls.BATCH_SIZES), np.stack([t.final_loss for t in traces]))
        return out

    def __init__(self, sweeps=None, batch=None):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        if sweeps is None:
            sweeps = self.default_sweeps()
        if not isinstance(sweeps, dict) or not sweeps:
            raise TypeError("sweeps must be a non-empty dict of name -> (lrs, batch_sizes, "
                            f"losses), got {type(sweeps).__name__}")
        self.sweeps, sizes = {}, None
        for name, entry in sweeps.items():
            if not (isinstance(entry, tuple) and len(entry) == 3):
                raise TypeError(f"sweeps[{name!r}] must be a tuple (lrs, batch_sizes, losses)")
            lrs = check_array(f"sweeps[{name!r}] lrs", entry[0], ndim=1, low=0, low_op=">")
            bs = check_array(f"sweeps[{name!r}] batch_sizes", entry[1], ndim=1, low=1)
            losses = check_array(f"sweeps[{name!r}] losses", entry[2], finite=False)
            if losses.ndim != 3 or losses.shape[:2] != (bs.size, lrs.size):
                raise ValueError(f"sweeps[{name!r}] losses must have shape ({bs.size}, "
                                 f"{lrs.size}, seeds), got {losses.shape}")
            if sizes is not None and not np.array_equal(bs, sizes):
                raise ValueError("every optimizer of sweeps must have the same batch_sizes")
            sizes = bs
            # median over seeds, a diverged seed counting as an infinite loss
            best = train.best_rate(lrs, np.median(np.nan_to_num(losses, nan=np.inf), axis=-1))
            self.sweeps[str(name)] = (lrs, losses, best)
        self.batch_sizes = [int(b) for b in sizes]
        if batch is None:
            batch = self.batch_sizes[0]
        if batch not in self.batch_sizes:
            raise ValueError(f"batch must be one of {self.batch_sizes}, got {batch!r}")
        names = list(self.sweeps)
        super().__init__({
            "batch": w.SelectionSlider(options=self.batch_sizes, value=batch,
                                       description="B", continuous_update=True),
            "optimizer": w.Dropdown(options=names, value=names[0], description="optimizer"),
        })
        with plt.ioff():
            self.fig, (self.ax_u, self.ax_b) = plt.subplots(1, 2, figsize=(9.5, 3.8), dpi=80)
            self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.84,
                                     wspace=0.28)
        all_lrs = np.concatenate([s[0] for s in self.sweeps.values()])
        all_best = np.concatenate([s[2] for s in self.sweeps.values()])
        lo = min(all_lrs.min(), np.nanmin(all_best) / 4) / 1.5
        hi = max(all_lrs.max(), np.nanmax(all_best) * 8) * 1.5
        self.curves, self.rules = {}, {}
        for k, (name, (lrs, losses, best)) in enumerate(self.sweeps.items()):
            for j, b in enumerate(self.batch_sizes):
                self.curves[name, b] = plotting.plot_loss_vs_rate(
                    self.ax_u, lrs, losses[j], best=best[j], color=f"C{k}",
                    label=name if j == 0 else None,
                    diverged_label="every seed diverged" if (k, j) == (0, 0) else None)
            self.rules[name] = plotting.plot_best_rates(
                self.ax_b, self.batch_sizes, best, color=f"C{k}", label=f"{name}, measured")
        self.ax_u.set(xlabel=r"learning rate $\eta$", ylabel="final training loss",
                      xlim=(all_lrs.min() / 1.5, all_lrs.max() * 1.5), ylim=(1e-2, 30))
        plotting.sparse_log_ticks(self.ax_u)
        self.ax_b.set(xlim=(self.batch_sizes[0] / 1.4, self.batch_sizes[-1] * 1.4),
                      ylim=(lo, hi))
        plotting.sparse_log_ticks(self.ax_b)
        (self.circle,) = self.ax_b.plot([], [], marker="o", markersize=14, fillstyle="none",
                                        color="k", linestyle="none", zorder=4)
        # legends from proxies: static, under the animated artists
        from matplotlib.lines import Line2D

        self.ax_b.legend(handles=[Line2D([], [], color="0.35", linestyle="--",
                                         label="linear rule"),
                                  Line2D([], [], color="0.35", linestyle=":",
                                         label="square-root rule"),
                                  Line2D([], [], color="k", marker="o", linestyle="none",
                                         label="measured")],
                         loc="upper left").set_zorder(1.8)
        self.title = self.ax_u.set_title(" ", fontsize="small", loc="left")
        _frame_below(*self.fig.axes)
        self.animated = [a for arts in self.curves.values() for a in arts if a is not None]
        self.animated += [a for arts in self.rules.values() for a in arts.values()
                          if a is not None]
        self.animated += [self.circle]
        # drawn in the order a full draw uses: bands (zorder 1) under lines
        self.animated.sort(key=lambda a: a.get_zorder())
        self.animated.append(self.title)
        self.refresh()

    def redraw(self):
        b, name = int(self.values["batch"]), self.values["optimizer"]
        for (n, size), arts in self.curves.items():
            for a in arts:
                if a is not None:
                    a.set_visible(n == name and size == b)
        for n, arts in self.rules.items():
            for a in arts.values():
                if a is not None:
                    a.set_visible(n == name)
        lrs, losses, best = self.sweeps[name]
        j = self.batch_sizes.index(b)
        self.circle.set_data([b], [best[j]] if np.isfinite(best[j]) else [np.nan])
        seeds = losses.shape[-1]
        self.title.set_text(f"{name}, B = {b}: median and 10-90 % band of {seeds} seeds")
        dead = int(np.count_nonzero(np.isnan(losses[j])))
        head = f"{name}, B = {b}: "
        if not np.isfinite(best[j]):
            return head + f"every run diverged ({dead} of {losses[j].size})"
        b0 = self.batch_sizes[0]
        edge = ""
        if best[j] in (lrs[0], lrs[-1]) or (
                np.searchsorted(lrs, best[j]) < lrs.size - 1 and best[j] in lrs
                and np.all(np.isnan(losses[j, np.searchsorted(lrs, best[j]) + 1]))):
            edge = " (a grid point: its neighbour diverged or the grid ends there)"
        return (head + f"best rate {best[j]:.3g}{edge}; from B = {b0} the linear rule "
                f"predicts {best[0] * b / b0:.3g}, the square-root rule "
                f"{best[0] * (b / b0) ** 0.5:.3g}; {dead} of {losses[j].size} runs diverged")


EXPLORERS.append(BatchSizeExplorer)


# --- network_range_test ---
# The range test graded on the digits network (chapter "Choosing a rate for a
# network"): precomputed tests, the controls only select among them.

from lrtutor import data as _rt_data  # noqa: E402
from lrtutor import diagnostics as _rt_diag  # noqa: E402
from lrtutor import network as _rt_network  # noqa: E402

__all__ += ["RangeTestGradeExplorer"]


class RangeTestGradeExplorer(Explorer):
    r"""Range tests on a network, one setting and one seed at a time, against a sweep.

    Every range test is computed once (in ``__init__``, or passed in); the
    controls select a setting (a row of ``settings``) and a seed, and a move
    only redraws (:func:`lrtutor.plotting.update_range_tests`). The figure
    shows the smoothed losses of all seeds of the setting, the raw and
    smoothed loss of the selected seed with the four suggestions of
    :data:`lrtutor.finder.SUGGESTIONS` and the minimum of its smoothed curve,
    and, from a sweep of fixed rates at the same budget, the window of rates
    within 25 % of the best validation loss (shaded) and the cliff (dashed).

    Parameters
    ----------
    settings : dict, optional
        ``{label: {"results": [RangeTestResult, ...], "best": float,
        "window": (low, high), "cliff": float}}``, the same number of results
        (seeds) in every setting. ``cliff`` may be NaN (no failing rate).
    setting : str, optional
        The initial setting (default: the first).

    Notes
    -----
    Without ``settings`` the explorer makes its own, smaller than the
    chapter's: a 64-16-10 ReLU network (cross-entropy) on the digits of
    :func:`lrtutor.data.load_digits_split`, He initialisation from
    ``default_rng(0)``, 5 seeds (seed ``s`` draws its mini-batches of 32 with
    ``default_rng(100 + s)``), range tests from :math:`10^{-7}` to 10 in 100
    updates with smoothing :math:`\beta` = 0, 0.9 and 0.98, graded against a
    sweep of 7 fixed SGD rates (:math:`10^{-1.5}` to :math:`10^{1.5}`) for the
    same 100 updates.

    Examples
    --------
    >>> ex = RangeTestGradeExplorer()
    >>> ex.set("seed", 2).message.value[:17]
    '<b>beta = 0, seed'
    """

    SEEDS, HIDDEN, STEPS, BATCH = 5, (16,), 100, 32
    BETAS = (0.0, 0.9, 0.98)

    @classmethod
    def default_settings(cls):
        """The explorer's own range tests and sweep (see the class), as ``settings``."""
        split = _rt_data.load_digits_split(seed=0)
        net = _rt_network.MLP(split.X_train, split.y_train, hidden=cls.HIDDEN)
        x0 = net.init(np.random.default_rng(0), k=cls.SEEDS)
        lrs = np.logspace(-1.5, 1.5, 7)
        sweep = train.sweep_seeds(
            net, optim.SGD(lr=1.0), lrs, x0, cls.STEPS,
            rng=[np.random.default_rng(100 + s) for s in range(cls.SEEDS)],
            batch_size=cls.BATCH, record_every=cls.STEPS, eval_every=cls.STEPS,
            validation=(split.X_val, split.y_val))
        val = sweep.evals["val_loss"]
        med = np.median(np.nan_to_num(val[-1], nan=np.inf), axis=-1)
        best = float(train.best_rate(lrs, med))
        window = _rt_diag.rate_window(lrs, med, factor=1.25)
        start = float(np.median(val[0]))
        failed = ~(med <= start)
        failed[:int(np.argmin(med))] = False
        cliff = float(lrs[np.argmax(failed)]) if failed.any() else float("nan")
        out = {}
        for beta in cls.BETAS:
            results = [_finder.range_test(net, optim.SGD(lr=1.0), x0[s], 1e-7, 10.0,
                                          cls.STEPS, rng=np.random.default_rng(100 + s),
                                          batch_size=cls.BATCH, beta=beta)
                       for s in range(cls.SEEDS)]
            out[f"beta = {beta:g}"] = {"results": results, "best": best, "window": window,
                                       "cliff": cliff}
        return out

    def __init__(self, settings=None, setting=None):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        if settings is None:
            settings = self.default_settings()
        if not isinstance(settings, dict) or not settings:
            raise TypeError("settings must be a non-empty dict of label -> {'results', "
                            f"'best', 'window', 'cliff'}}, got {type(settings).__name__}")
        seeds = None
        self.settings = {}
        for label, entry in settings.items():
            if not isinstance(entry, dict) or not {"results", "best", "window",
                                                   "cliff"} <= set(entry):
                raise TypeError(f"settings[{label!r}] must be a dict with keys 'results', "
                                "'best', 'window' and 'cliff'")
            results = list(entry["results"])
            if not results or not all(isinstance(r, _finder.RangeTestResult)
                                      for r in results):
                raise TypeError(f"settings[{label!r}]['results'] must be a non-empty list "
                                "of lrtutor.finder.RangeTestResult")
            if seeds is not None and len(results) != seeds:
                raise ValueError("every setting must hold the same number of range tests "
                                 f"(seeds), got {len(results)} and {seeds}")
            seeds = len(results)
            best = check_real(f"settings[{label!r}]['best']", entry["best"], low=0,
                              low_op=">")
            window = check_array(f"settings[{label!r}]['window']", entry["window"],
                                 shape=(2,), low=0, low_op=">")
            cliff = float(entry["cliff"])
            self.settings[str(label)] = {"results": results, "best": best,
                                         "window": tuple(window), "cliff": cliff,
                                         "suggestions": [self.suggest(r) for r in results]}
        if setting is None:
            setting = next(iter(self.settings))
        if setting not in self.settings:
            raise ValueError(f"setting must be one of {list(self.settings)}, got {setting!r}")
        super().__init__({
            "setting": w.SelectionSlider(options=list(self.settings), value=setting,
                                         description="setting", continuous_update=True),
            "seed": w.IntSlider(value=0, min=0, max=seeds - 1, description="seed"),
        })
        every = [r for s in self.settings.values() for r in s["results"]]
        finite = np.concatenate([r.smoothed[np.isfinite(r.smoothed)] for r in every]
                                + [r.losses[np.isfinite(r.losses) & (r.losses > 0)]
                                   for r in every])
        with plt.ioff():
            self.fig, self.ax = plt.subplots(figsize=(9.0, 4.2), dpi=80)
            self.fig.subplots_adjust(left=0.08, right=0.68, bottom=0.13, top=0.88)
        first = self.settings[setting]
        self.artists = plotting.plot_range_tests(self.ax, first["results"],
                                                 suggestions=first["suggestions"][0])
        self.ax.set(xlim=(min(r.lrs[0] for r in every) / 2,
                          max(r.lrs[-1] for r in every) * 2),
                    ylim=(finite.min() / 1.5,
                          min(finite.max(), 5 * max(r.losses[0] for r in every)) * 1.5))
        plotting.sparse_log_ticks(self.ax)
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles = [Patch(color="0.85", label="fixed rates within 25 %\nof the best"),
                   Line2D([], [], color="C3", linestyle="--", label="cliff of the sweep"),
                   Line2D([], [], color="0.65", linewidth=0.8, label=r"loss $\ell_i$"),
                   Line2D([], [], color="C0", linewidth=2, label=r"smoothed $\bar\ell_i$"),
                   Line2D([], [], color="C0", linewidth=0.8, alpha=0.45,
                          label="other seeds"),
                   Line2D([], [], color="k", marker="*", linestyle="none", markersize=10,
                          label=r"minimum of $\bar\ell_i$")]
        markers = "osD^v<>"
        handles += [Line2D([], [], color=f"C{k + 1}", marker=markers[k], linestyle="none",
                           markeredgecolor="k", label=name)
                    for k, name in enumerate(_finder.SUGGESTIONS)]
        self.ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        self.title = self.ax.set_title(" ", fontsize="small", loc="left")
        # The shaded window and the cliff line reach the frame: the frame is
        # animated too (above them, below the curves), so that the blitted
        # image and a full draw paint it in the same order.
        for spine in self.ax.spines.values():
            spine.set_zorder(2.2)
        arts = [self.artists["window"], self.artists["cliff"], self.artists["raw"],
                *self.artists["curves"], self.artists["main"],
                *self.artists["markers"].values(), self.artists["smallest"],
                *self.ax.spines.values()]
        self.animated = sorted(arts, key=lambda a: a.get_zorder()) + [self.title]
        self.refresh()

    @staticmethod
    def suggest(result):
        """Each rule's suggestion for ``result``, or None where its window is too short."""
        out = {}
        for name, rule in _finder.SUGGESTIONS.items():
            try:
                out[name] = float(rule(result))
            except ValueError:
                out[name] = None
        return out

    def redraw(self):
        label, seed = self.values["setting"], int(self.values["seed"])
        entry = self.settings[label]
        sugg = entry["suggestions"][seed]
        smallest = sugg["minimum"] * 10 if sugg["minimum"] is not None else None
        plotting.update_range_tests(self.artists, entry["results"], highlight=seed,
                                    suggestions=sugg, window=entry["window"],
                                    cliff=entry["cliff"], smallest=smallest)
        best = entry["best"]
        self.title.set_text(f"{label}: {len(entry['results'])} seeds, seed {seed} "
                            f"highlighted; best fixed rate {best:.3g}")
        parts = [f"{name} {rate:.2g} ({rate / best:.2g}x best)" if rate is not None
                 else f"{name} -" for name, rate in sugg.items()]
        lo, hi = entry["window"]
        cliff = entry["cliff"]
        tail = (f"cliff {cliff:.3g}" if np.isfinite(cliff) else "no failing rate in the sweep")
        return (f"{label}, seed {seed}: " + ", ".join(parts)
                + f"; fixed rates within 25 % of the best: {lo:.3g} to {hi:.3g}, {tail}")


EXPLORERS.append(RangeTestGradeExplorer)


# --- network_schedules explorer ---
# Chapter "Warmup and decay on a network" (book/network_schedules): the digits
# network trained with each schedule at the same step budget.

__all__ += ["ScheduleBudgetExplorer"]


class ScheduleBudgetExplorer(Explorer):
    r"""One schedule of an equal-budget comparison: its rates and its validation loss.

    The runs are computed once, in ``__init__`` (or passed in): each schedule
    from ``S`` seeds with :func:`lrtutor.train.sweep_schedules`, validation
    loss every epoch. The control ``schedule`` selects one; a move only
    redraws. Left: the rate :math:`\eta_t`; right: the validation loss,
    median and 10-90 % band over seeds, against the median of the first
    schedule (the reference, grey), via :func:`lrtutor.plotting.plot_schedule_run`.

    Parameters
    ----------
    names : sequence of str, optional
        One per schedule; the first is the reference.
    rates : array_like, shape (T, J), optional
        :math:`\eta_t` of each schedule.
    epochs : array_like, shape (E,), optional
    val_loss : array_like, shape (E, J, S), optional
        Validation loss at ``epochs``.

    Notes
    -----
    Without arguments (all four or none), the chapter's runs are made: a
    64-32-10 ReLU network on the digits (:func:`lrtutor.data.load_digits_split`),
    He initialisation from ``default_rng(0)`` (5 seeds, batch order
    ``default_rng(100 + s)``), SGD with momentum 0.9, 10 epochs of batches
    of 64, peak rate 0.05, the seven schedules of the chapter.

    Examples
    --------
    >>> ex = ScheduleBudgetExplorer()
    >>> ex.set("schedule", 2).message.value.startswith("<b>cosine: final validation loss")
    True
    """

    SEEDS, EPOCHS, BATCH, PEAK = 5, 10, 64, 0.05

    @classmethod
    def default_runs(cls):
        """``(names, rates, epochs, val_loss)``: the chapter's runs (see the class)."""
        split = _data.load_digits_split(seed=0)
        net = _network.MLP(split.X_train, split.y_train, hidden=(32,))
        m = -(-net.n // cls.BATCH)
        T, p = cls.EPOCHS * m, cls.PEAK
        scheds = {"constant": _sch.Constant(p),
                  "step": _sch.StepDecay(p, step_size=T // 3 + 1, gamma=0.1),
                  "cosine": _sch.CosineDecay(p, T),
                  "linear to 0": _sch.LinearSchedule(p, 0.0, T),
                  "WSD (1-sqrt)": _sch.WarmupStableDecay(p, m, T // 5, T),
                  "inverse sqrt": _sch.InverseSqrtDecay(p, m),
                  "1cycle": _sch.OneCycle(p, T)}
        trace = train.sweep_schedules(
            net, optim.SGD(lr=1.0, momentum=0.9), list(scheds.values()),
            net.init(np.random.default_rng(0), k=cls.SEEDS), T,
            rng=[np.random.default_rng(100 + s) for s in range(cls.SEEDS)],
            batch_size=cls.BATCH, sampling="epoch", record_every=T, eval_every=m,
            validation=(split.X_val, split.y_val))
        return (list(scheds), trace.lrs[:, :, 0], trace.eval_steps / m,
                trace.evals["val_loss"])

    def __init__(self, names=None, rates=None, epochs=None, val_loss=None):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        given = [a is not None for a in (names, rates, epochs, val_loss)]
        if any(given) and not all(given):
            raise ValueError("names, rates, epochs and val_loss must be given together "
                             "(or none of them, for the chapter's runs)")
        if not any(given):
            names, rates, epochs, val_loss = self.default_runs()
        self.names = [str(n) for n in names]
        self.rates = check_array("rates", rates, ndim=2, low=0)
        self.epochs = check_array("epochs", epochs, ndim=1)
        self.val = check_array("val_loss", val_loss, ndim=3, finite=False)
        J = len(self.names)
        if self.rates.shape[1] != J or self.val.shape[:2] != (self.epochs.size, J):
            raise ValueError(f"rates must have shape (T, {J}) and val_loss shape "
                             f"({self.epochs.size}, {J}, seeds), got {self.rates.shape} "
                             f"and {self.val.shape}")
        self.reference = plotting.band_stats(self.val[:, 0])[0]
        super().__init__({
            "schedule": w.Dropdown(options=[(n, j) for j, n in enumerate(self.names)],
                                   value=0, description="schedule"),
        })
        with plt.ioff():
            self.fig, (self.ax_rate, self.ax_val) = plt.subplots(1, 2, figsize=(9.0, 3.4),
                                                                 dpi=80)
            self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.86,
                                     wspace=0.28)
        steps = np.arange(self.rates.shape[0])
        nothing = np.full(self.epochs.shape + (1,), np.nan)
        (self.rate_line, self.val_line, self.band, _) = plotting.plot_schedule_run(
            self.ax_rate, self.ax_val, steps, np.full(steps.shape, np.nan), self.epochs,
            nothing, reference=self.reference, color="C1", label="selected schedule",
            reference_label=f"{self.names[0]} (median)")
        self.band.set_zorder(1.7)           # above the static grid and reference
        finite = self.val[np.isfinite(self.val)]
        self.ax_rate.set(xlim=(0, steps[-1]), ylim=(0, 1.08 * self.rates.max()))
        self.ax_val.set(xlim=(self.epochs[0], self.epochs[-1]),
                        ylim=(0.8 * finite.min(), 1.25 * finite.max()))
        # no legend over the data (the band would be drawn over it on a move)
        self.ax_val.set_title(f"grey: {self.names[0]} (median)", fontsize="small",
                              loc="right")
        self.title = self.ax_rate.set_title(" ", fontsize="small", loc="left")
        _frame_below(*self.fig.axes)
        self.animated = [self.band, self.val_line, self.rate_line, self.title]
        self.refresh()

    def redraw(self):
        j = int(self.values["schedule"])
        self.rate_line.set_data(np.arange(self.rates.shape[0]), self.rates[:, j])
        med, _, _ = plotting.update_band(self.val_line, self.band, self.epochs, self.val[:, j])
        S = self.val.shape[-1]
        self.title.set_text(f"{self.names[j]}: median and 10-90 % band of {S} seeds")
        ref = self.reference[-1]
        if not np.isfinite(med[-1]):
            return f"{self.names[j]}: every seed diverged"
        return (f"{self.names[j]}: final validation loss {med[-1]:.4f} (median), "
                f"{med[-1] / ref:.3f} x that of {self.names[0]}")


EXPLORERS.append(ScheduleBudgetExplorer)
