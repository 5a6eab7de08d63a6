"""Drawing for the book's figures: every chapter's plots go through here.

Functions take a matplotlib ``Axes`` to draw on and return it, so that a
chapter (or a widget) owns its figure and can redraw in place. Nothing here
computes mathematics: the numbers come from :mod:`lrtutor.train` and
:mod:`lrtutor.theory`. Importing this module changes no matplotlib settings;
call :func:`use_book_style` explicitly.
"""

from __future__ import annotations

import numpy as np

from lrtutor import theory

__all__ = ["BOOK_STYLE", "use_book_style", "plot_iterates", "plot_losses",
           "plot_contraction"]

#: matplotlib rcParams used by every figure of the book.
BOOK_STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": "medium",
    "legend.fontsize": "small",
    "legend.frameon": False,
    "lines.linewidth": 1.6,
}


def use_book_style():
    """Apply :data:`BOOK_STYLE` to matplotlib's global settings."""
    import matplotlib as mpl

    mpl.rcParams.update(BOOK_STYLE)


def _runs(trace, labels):
    """Yield ``(index, label)`` for each run of a trace (a single run or a 1-D sweep)."""
    if trace.diverged_at.ndim == 0:
        yield (), (labels[0] if labels else None)
    else:
        for i in range(trace.diverged_at.shape[0]):
            yield (i,), (labels[i] if labels else None)


def plot_iterates(ax, trace, labels=None, coordinate=0, minimizer=None):
    r"""Plot one coordinate of the iterates :math:`\theta_t` against the step ``t``.

    A run that diverged ends with a cross at its last finite iterate.
    ``minimizer`` draws a dashed line at :math:`\theta^\star`.
    """
    steps = np.arange(trace.params.shape[0])
    for index, label in _runs(trace, labels):
        path = trace.params[(slice(None),) + index + (coordinate,)]
        at = int(trace.diverged_at[index])
        end = len(steps) if at < 0 else at
        (line,) = ax.plot(steps[:end], path[:end], marker=".", label=label)
        if at >= 0:
            ax.plot(steps[end - 1], path[end - 1], "x", color=line.get_color(),
                    markersize=9)
    if minimizer is not None:
        ax.axhline(minimizer, color="0.3", linestyle="--", linewidth=1,
                   label=r"$\theta^\star$")
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$\theta_t$")
    if labels:
        ax.legend()
    return ax


def plot_losses(ax, trace, labels=None, floor=None):
    r"""Plot the loss :math:`f(\theta_t)` against ``t`` on a log scale.

    Diverged runs stop at their last finite loss, marked with a cross; the
    legend label says where they diverged. ``floor`` (e.g. the minimum loss)
    is subtracted first, so the curve shows :math:`f(\theta_t) - f^\star`.
    """
    steps = np.arange(trace.losses.shape[0])
    for index, label in _runs(trace, labels):
        loss = trace.losses[(slice(None),) + index]
        if floor is not None:
            loss = loss - floor
        at = int(trace.diverged_at[index])
        if at >= 0 and label is not None:
            label = f"{label} (diverged at step {at})"
        end = len(steps) if at < 0 else at
        (line,) = ax.plot(steps[:end], loss[:end], label=label)
        if at >= 0:
            ax.plot(steps[end - 1], loss[end - 1], "x", color=line.get_color(),
                    markersize=9)
    ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$f(\theta_t)$" if floor is None else r"$f(\theta_t) - f^\star$")
    if labels:
        ax.legend()
    return ax


def plot_contraction(ax, eigenvalues, etas):
    r"""Plot the contraction factor :math:`\rho(\eta) = \max_i |1 - \eta\lambda_i|`.

    Marks the critical rate :math:`2/L` (where :math:`\rho = 1`) and the
    optimal constant rate :math:`2/(L + \mu)`.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    etas = np.asarray(etas, dtype=np.float64)
    L, mu = eigenvalues.max(), eigenvalues.min()
    ax.plot(etas, theory.contraction_factor(etas, eigenvalues),
            label=r"$\rho(\eta)=\max_i|1-\eta\lambda_i|$")
    ax.axhline(1.0, color="0.3", linewidth=1)
    ax.axvline(theory.critical_rate(L), color="C3", linestyle="--",
               label=r"critical rate $2/L$")
    ax.axvline(theory.optimal_rate(L, mu), color="C2", linestyle=":",
               label=r"optimal rate $2/(L+\mu)$")
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(r"contraction factor $\rho$")
    ax.legend()
    return ax
