r"""The explorer of the chapter "Preconditioning": rotate a valley, pick a preconditioner.

:class:`PreconditionExplorer` runs preconditioned gradient descent
(:class:`lrtutor.precondition.PreconditionedGD`) at its best constant rate on
a 2-D quadratic whose eigenvectors are rotated by a chosen angle, and shows
the path beside the condition number that the preconditioner leaves,
:math:`\tilde\kappa` of :math:`P^{-1/2} H P^{-1/2}`, as a function of the
angle. It is built on :class:`lrtutor.widgets.Explorer` and has a static twin
through :func:`lrtutor.widgets.static_twin`, like every explorer of the book.
"""

from __future__ import annotations

import math

import numpy as np

from lrtutor import plotting, precondition, problems, theory, train
from lrtutor._validate import check_choice, check_int, check_real
from lrtutor.widgets import Explorer, _frame_below

__all__ = ["PRECONDITIONERS", "PreconditionExplorer", "preconditioner_for"]

#: The preconditioners of :class:`PreconditionExplorer`: (dropdown label, key).
PRECONDITIONERS = (("none: P = I", "none"), ("Jacobi: P = diag(H)", "jacobi"),
                   ("Newton: P = H", "newton"))
_KEYS = tuple(k for _, k in PRECONDITIONERS)


def preconditioner_for(kind, H):
    r"""The matrix :math:`P` of a preconditioner key for the Hessian ``H``.

    ``"none"`` gives :math:`I`, ``"jacobi"`` gives
    :func:`lrtutor.precondition.jacobi_preconditioner` (:math:`\operatorname{diag} H`),
    ``"newton"`` gives :math:`H` itself.

    >>> preconditioner_for("jacobi", [[2.0, 1.0], [1.0, 3.0]]).tolist()
    [[2.0, 0.0], [0.0, 3.0]]
    """
    kind = check_choice("kind", kind, _KEYS)
    H = np.asarray(H, dtype=np.float64)
    if kind == "none":
        return np.eye(H.shape[0])
    if kind == "jacobi":
        return precondition.jacobi_preconditioner(H)
    return H.copy()


class PreconditionExplorer(Explorer):
    r"""Preconditioned gradient descent in a rotated valley; :math:`\tilde\kappa` per angle.

    The problem is :math:`f(\theta) = \tfrac12\theta^\top H\theta` with
    eigenvalues :math:`\mu = 1/\kappa` and :math:`L = 1`, eigenvectors
    rotated by ``angle`` degrees (:meth:`lrtutor.problems.Quadratic.two_d`).
    The run is :math:`\theta_{t+1} = \theta_t - \eta P^{-1} g_t` with the best
    constant rate for the preconditioned Hessian,
    :math:`\eta = 2/(\tilde L + \tilde\mu)`. Left: the path on the level sets.
    Right: :math:`\tilde\kappa` of the three preconditioners for every angle
    (log scale), the current one marked. The message gives :math:`\tilde\kappa`,
    the contraction factor :math:`(\tilde\kappa - 1)/(\tilde\kappa + 1)` and
    the loss reached.

    Parameters
    ----------
    angle : float in [0, 90]
        Degrees.
    preconditioner : {"none", "jacobi", "newton"}
    kappa : float in [1, 1000]
    steps : int in [1, 2000]

    Examples
    --------
    >>> ex = PreconditionExplorer(angle=0.0, preconditioner="jacobi", kappa=20.0)
    >>> "κ̃ = 1 (κ = 20), one step reaches the minimum" in ex.message.value
    True
    """

    theta0 = (-1.8, 0.9)
    #: level sets drawn, as fractions of f(theta_0)
    level_fractions = np.geomspace(1.0, 1e-3, 7)
    #: angles (degrees) of the right panel's curves
    angles = np.linspace(0.0, 90.0, 181)

    def __init__(self, angle=45.0, preconditioner="jacobi", kappa=20.0, steps=40):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        angle = check_real("angle", angle, low=0.0, high=90.0)
        preconditioner = check_choice("preconditioner", preconditioner, _KEYS)
        kappa = check_real("kappa", kappa, low=1.0, high=1000.0)
        self.steps = check_int("steps", steps, low=1, high=2000)
        super().__init__({
            "angle": w.FloatSlider(value=angle, min=0.0, max=90.0, step=5.0,
                                   description="angle °", readout_format=".0f"),
            "preconditioner": w.Dropdown(options=PRECONDITIONERS, value=preconditioner,
                                         description="P"),
            "kappa": w.FloatLogSlider(value=kappa, base=10, min=0, max=3, step=0.05,
                                      description="κ", readout_format=".3g"),
        })
        with plt.ioff():
            self.fig, (self.ax_path, self.ax_kappa) = plt.subplots(
                1, 2, figsize=(9.0, 3.6), dpi=80, gridspec_kw={"width_ratios": [1.25, 1]})
            self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
        ax = self.ax_path
        self.levels_line = plotting.plot_level_sets(ax, self.problem(), [1.0], zorder=2.1)
        ax.plot(0.0, 0.0, "*", color="k", markersize=11, zorder=1.5)
        (self.path_line,) = ax.plot([], [], marker=".", markersize=4, linewidth=1.2,
                                    color="C0", zorder=3)
        ax.set(xlim=(-2.4, 2.4), ylim=(-1.6, 1.6), xlabel=r"$\theta_1$",
               ylabel=r"$\theta_2$", aspect="equal")
        self.title = ax.set_title(" ", fontsize="small")
        k = self.ax_kappa
        self.curves, self._curves_for = {}, None
        styles = {"none": ("0.5", "--"), "jacobi": ("C0", "-"), "newton": ("C2", ":")}
        for label, key in PRECONDITIONERS:
            color, style = styles[key]
            (self.curves[key],) = k.plot(self.angles, np.ones_like(self.angles), style,
                                         color=color, linewidth=1.6, zorder=2.6,
                                         label=label.split(":")[0])
        (self.marker,) = k.plot([], [], "o", color="C3", markersize=8, zorder=3)
        k.set(yscale="log", xlim=(0, 90), ylim=(0.8, 3e4), xlabel="angle (degrees)",
              ylabel=r"$\tilde\kappa$ of $P^{-1/2} H P^{-1/2}$",
              xticks=[0, 15, 30, 45, 60, 75, 90])
        k.legend(loc="upper right", fontsize="small", ncols=3).set_zorder(1.8)
        _frame_below(*self.fig.axes)
        self.animated = [self.levels_line, self.path_line, self.title,
                         *self.curves.values(), self.marker]
        self.refresh()

    def problem(self, angle=None):
        """The quadratic of the current controls (or of another ``angle``, degrees)."""
        v = self.values
        a = v["angle"] if angle is None else angle
        return problems.Quadratic.two_d(1.0 / v["kappa"], 1.0, math.radians(a))

    def kappa_after(self, kind, angle):
        r""":math:`\tilde\kappa` of preconditioner ``kind`` at ``angle`` degrees."""
        H = self.problem(angle).hessian
        return precondition.preconditioned_condition_number(H, preconditioner_for(kind, H))

    def redraw(self):
        v = self.values
        kind, label = v["preconditioner"], dict((k, l) for l, k in PRECONDITIONERS)
        q = self.problem()
        P = preconditioner_for(kind, q.hessian)
        lam = np.linalg.eigvalsh(precondition.preconditioned_hessian(q.hessian, P))
        eta = 2.0 / (lam[0] + lam[-1])
        trace = train.run(q, precondition.PreconditionedGD(lr=eta, P=P), self.theta0,
                          self.steps)
        f0 = float(trace.losses[0])
        plotting.plot_level_sets(self.ax_path, q, f0 * self.level_fractions,
                                 line=self.levels_line)
        end = trace.finite_length()
        self.path_line.set_data(trace.params[:end, 0], trace.params[:end, 1])
        if self._curves_for != v["kappa"]:           # the curves depend on kappa only
            for key, line in self.curves.items():
                line.set_ydata([self.kappa_after(key, a) for a in self.angles])
            self._curves_for = v["kappa"]
        kappa_t = float(lam[-1] / lam[0])
        self.marker.set_data([v["angle"]], [kappa_t])
        self.title.set_text(f"{label[kind]}, angle {v['angle']:.0f}°, "
                            f"η = 2/(L̃+μ̃) = {eta:.3g}")
        rho = (kappa_t - 1) / (kappa_t + 1)
        if rho < 1e-12:
            tail = "one step reaches the minimum"
        else:
            need = theory.iterations_to_tolerance(rho, 1e-6)
            tail = (f"error x{rho:.3f} per step, 1e-6 after {need} steps; "
                    f"loss {float(trace.losses[-1]):.1e} after {self.steps}")
        return (f"{label[kind]}: κ̃ = {kappa_t:.3g} (κ = {q.condition_number:.3g}), "
                f"{tail}")
