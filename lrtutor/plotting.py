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
           "plot_contraction", "sparse_log_ticks", "plot_band"]

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


def sparse_log_ticks(ax, numticks=6):
    """Give a log-scale y axis a few labelled decades and no minor ticks.

    A log axis spanning forty decades otherwise lays out hundreds of tick
    labels, which is what makes a redraw slow.
    """
    import matplotlib.ticker as mticker

    ax.yaxis.set_major_locator(mticker.LogLocator(base=10, numticks=numticks))
    ax.yaxis.set_minor_locator(mticker.NullLocator())
    return ax


def plot_band(ax, x, runs, *, label=None, color=None, quantiles=(10, 90), axis=-1,
              alpha=0.25, **line_kwargs):
    r"""The median of several seeded runs as a line, and the spread as a band.

    Where randomness enters (initial weights, mini-batch order), one run is an
    anecdote: the book draws the median over seeds and shades the band between
    two percentiles (10 % and 90 % by default; with five seeds the band spans
    the second-lowest to the second-highest run, roughly). NaN entries (runs
    that diverged) are left out of each point's statistics; a point where
    every run is NaN is not drawn.

    Parameters
    ----------
    ax : matplotlib Axes
    x : array_like, shape (m,)
    runs : array_like
        Values with one axis of length ``m`` (the points) and one of seeds;
        ``axis`` is the seed axis (default last: shape ``(m, seeds)``).
    label, color : optional
        Of the median line (the band takes the same colour).
    quantiles : (float, float)
        Lower and upper percentiles of the band.
    **line_kwargs
        Passed to ``ax.plot`` for the median line.

    Returns
    -------
    (line, band) : the median's ``Line2D`` and the band's ``PolyCollection``.
    """
    x = np.asarray(x, dtype=float)
    values = np.moveaxis(np.asarray(runs, dtype=float), axis, -1)
    if values.shape[:-1] != x.shape:
        raise ValueError(f"runs must have {x.shape[0]} points along the non-seed axis "
                         f"to match x, got shape {np.shape(runs)} (seed axis {axis})")
    med, low, high = band_stats(values, quantiles=quantiles)
    (line,) = ax.plot(x, med, label=label, color=color, **line_kwargs)
    band = ax.fill_between(x, low, high, color=line.get_color(), alpha=alpha, linewidth=0)
    return line, band


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
        at, end = int(trace.diverged_at[index]), trace.finite_length(index)
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
    steps = trace.recorded
    for index, label in _runs(trace, labels):
        loss = trace.losses[(slice(None),) + index]
        if floor is not None:
            loss = loss - floor
        at = int(trace.diverged_at[index])
        if at >= 0 and label is not None:
            label = f"{label} (diverged at step {at})"
        end = trace.finite_length(index)
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


# --- w4 ---
# Figures of the translation and errata chapters (frameworks, common_mistakes).

__all__ += ["plot_schedules", "plot_rate_grids"]


def plot_schedules(ax, schedules, steps, labels=None, logy=False, styles=None):
    r"""Plot learning-rate curves :math:`t \mapsto \eta_t` for ``t = 0 .. steps-1``.

    ``schedules`` is a sequence of callables accepting an integer array (the
    schedules of :mod:`lrtutor.schedules`, or a deliberately wrong formula in
    an errata chapter). With a linear axis, a line at :math:`\eta = 0` is drawn
    and negative rates are shaded (with a legend entry), because a negative
    rate turns descent into ascent. ``logy`` uses a log axis (rates must then
    be positive). ``styles`` is an optional sequence of matplotlib line-style
    strings.
    """
    t = np.arange(steps)
    shaded = False
    for i, s in enumerate(schedules):
        eta = np.asarray(s(t), dtype=np.float64)
        label = labels[i] if labels else None
        style = styles[i] if styles else "-"
        (line,) = ax.plot(t, eta, style, label=label)
        if not logy and np.any(eta < 0):
            ax.fill_between(t, eta, 0, where=eta < 0, color=line.get_color(), alpha=0.2,
                            label=None if shaded else r"$\eta_t < 0$: gradient ascent")
            shaded = True
    if logy:
        ax.set_yscale("log")
    else:
        ax.axhline(0.0, color="0.3", linewidth=1)
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"learning rate $\eta_t$")
    if labels or shaded:
        ax.legend()
    return ax


def plot_rate_grids(ax, grids, labels):
    r"""Show candidate learning-rate grids as rows of dots on a log axis.

    ``grids`` is a sequence of 1-D arrays of positive rates, ``labels`` one
    name per grid. Each grid gets its own row, so one sees at a glance which
    decades of :math:`\eta` a search covers.
    """
    for row, (grid, label) in enumerate(zip(grids, labels)):
        grid = np.asarray(grid, dtype=np.float64)
        ax.plot(grid, np.full(grid.shape, row), "o", markersize=7)
    ax.set_xscale("log")
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlabel(r"learning rate $\eta$ (log scale)")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    return ax


# --- w1 ---
# Figures of the chapters "Gradient descent, SGD and mini-batches" and "Momentum".

__all__ += ["plot_contour_paths", "plot_error_norms", "plot_sgd_variance",
            "plot_batch_variance", "plot_losses_per_epoch", "plot_running_losses",
            "plot_momentum_rate_map",
            "plot_momentum_rate_vs_beta"]


def plot_contour_paths(ax, problem, paths, labels=None, xlim=(-1.0, 1.0),
                       ylim=(-1.0, 1.0), levels=12):
    r"""Contours of a 2-D loss with optimizer paths drawn on top.

    ``problem`` is any 2-D problem with a vectorised ``loss`` (e.g.
    :meth:`lrtutor.problems.Quadratic.two_d`); ``paths`` is a sequence of
    arrays of shape ``(T + 1, 2)`` (e.g. ``trace.params``). Contour levels are
    log-spaced between the smallest and largest loss above the minimum on
    the window. The minimizer, if the problem has one, is a black star.
    """
    xs = np.linspace(xlim[0], xlim[1], 201)
    ys = np.linspace(ylim[0], ylim[1], 201)
    gx, gy = np.meshgrid(xs, ys)
    z = problem.loss(np.stack([gx, gy], axis=-1))
    low = getattr(problem, "minimizer", None)
    fmin = float(problem.loss(np.asarray(low))) if low is not None else float(z.min())
    excess = z - fmin
    top = float(excess.max())
    bottom = max(top * 1e-4, float(excess[excess > 0].min()))
    ax.contour(gx, gy, excess, levels=np.geomspace(bottom, top, levels),
               colors="0.6", linewidths=0.7)
    for i, path in enumerate(paths):
        path = np.asarray(path, dtype=np.float64)
        ax.plot(path[:, 0], path[:, 1], marker=".", markersize=4, linewidth=1.2,
                label=labels[i] if labels else None)
    if low is not None:
        ax.plot(low[0], low[1], "*", color="k", markersize=11, label=r"$\theta^\star$")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    if labels:
        ax.legend(loc="upper left")
    return ax


def plot_error_norms(ax, traces, minimizer, labels=None, rates=None):
    r"""The error :math:`\lVert\theta_t - \theta^\star\rVert` on a log scale.

    ``traces`` is a sequence of single-run traces, ``minimizer`` is
    :math:`\theta^\star`. ``rates`` (one per trace, or ``None``) draws the
    prediction :math:`\rho^t\lVert\theta_0-\theta^\star\rVert` as a dashed line
    in the trace's colour.
    """
    minimizer = np.asarray(minimizer, dtype=np.float64)
    for i, trace in enumerate(traces):
        err = np.linalg.norm(trace.params - minimizer, axis=-1)
        steps = np.arange(err.size)
        (line,) = ax.plot(steps, err, label=labels[i] if labels else None)
        if rates is not None and rates[i] is not None:
            ax.plot(steps, err[0] * float(rates[i]) ** steps, "--",
                    color=line.get_color(), linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$\Vert\theta_t - \theta^\star\Vert$")
    if labels:
        ax.legend()
    return ax


def plot_sgd_variance(ax, variances, labels, measured=None, floors=None):
    r"""Variance of SGD's iterate against the step, theory and measurement.

    ``variances`` are 1-D arrays :math:`v_0, \dots, v_T` (e.g. from
    :func:`lrtutor.theory.sgd_variance`) drawn as lines; ``measured`` (same
    length, or ``None``) as faint dots in the same colour; ``floors`` (one
    float or ``None`` per curve) as dashed horizontal lines, the stationary
    variance. Log scale in :math:`v`; :math:`v_0 = 0` is left out.
    """
    for i, v in enumerate(variances):
        v = np.asarray(v, dtype=np.float64)
        steps = np.arange(v.size)
        if measured is not None and measured[i] is not None:
            m = np.asarray(measured[i], dtype=np.float64)
            ax.plot(steps[1:], m[1:], ".", markersize=2.5, alpha=0.35)
            color = ax.lines[-1].get_color()
        else:
            color = None
        (line,) = ax.plot(steps[1:], v[1:], color=color, label=labels[i])
        if floors is not None and floors[i] is not None:
            ax.axhline(floors[i], color=line.get_color(), linestyle="--", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$\operatorname{Var}(\theta_t)$")
    ax.legend()
    return ax


def plot_batch_variance(ax, batch_sizes, measured, predicted):
    r"""Mini-batch gradient variance against the batch size, on log-log axes.

    ``measured`` are dots, ``predicted`` (e.g. from
    :func:`lrtutor.theory.minibatch_gradient_variance`) a line; a batch as
    large as the data set has variance 0 and is left out of the log axes.
    """
    b = np.asarray(batch_sizes, dtype=np.float64)
    measured = np.asarray(measured, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    keep = predicted > 0
    ax.plot(b[keep], predicted[keep], "-", label="theory")
    ax.plot(b[keep], measured[keep], "o", label="measured")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"batch size $|B|$")
    ax.set_ylabel(r"$\mathbb{E}\,\Vert g_B - \nabla f\Vert^2$")
    ax.legend()
    return ax


def _running_mean(values, window):
    """Mean of each run of ``window`` consecutive values, and the index of its last one."""
    if window <= 1:
        return np.arange(values.size), values
    kernel = np.ones(window) / window
    return np.arange(window - 1, values.size), np.convolve(values, kernel, mode="valid")


def plot_losses_per_epoch(ax, traces, batch_sizes, n, labels, floor=0.0,
                          window_epochs=0.0):
    r"""Excess loss :math:`f(\theta_t) - f^\star` against epochs (passes over the data).

    Update :math:`t` of a run with batch size :math:`|B|` has processed
    :math:`t|B|/n` epochs; ``batch_sizes`` gives :math:`|B|` per trace and
    ``n`` the number of examples, ``floor`` is :math:`f^\star`.
    ``window_epochs > 0`` draws the running mean over that many epochs
    (``round(window_epochs * n / |B|)`` updates, at least one) instead of the
    raw, noisy losses.
    """
    for trace, b, label in zip(traces, batch_sizes, labels):
        loss = trace.losses - floor
        window = max(1, int(round(window_epochs * n / b)))
        steps, shown = _running_mean(loss, window)
        ax.plot(steps * b / n, shown, label=label, linewidth=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("epochs (examples processed / $n$)")
    ax.set_ylabel(r"$f(\theta_t) - f^\star$" + (" (running mean)" if window_epochs else ""))
    ax.legend()
    return ax


def plot_running_losses(ax, traces, labels, floor=0.0, window=1):
    r"""Running mean of the excess loss :math:`f(\theta_t) - f^\star` against the update ``t``.

    The value at ``t`` is the mean over updates ``t - window + 1, ..., t``, so
    a noisy stochastic run shows its level (its noise floor) rather than its
    spikes; ``window=1`` draws the raw losses. Log scale.
    """
    for trace, label in zip(traces, labels):
        steps, shown = _running_mean(trace.losses - floor, int(window))
        ax.plot(steps, shown, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$f(\theta_t) - f^\star$" + (f" (mean of {window} steps)" if window > 1 else ""))
    ax.legend()
    return ax


def plot_momentum_rate_map(ax, etas, betas, eigenvalues, vmax=1.0):
    r"""Heat map of heavy-ball momentum's contraction factor over :math:`(\eta, \beta)`.

    Colour is :func:`lrtutor.theory.momentum_rate` (clipped at ``vmax``;
    white where :math:`\rho \ge 1`); the red line is the stability boundary
    :math:`\eta L = 2 + 2\beta`; the star is Polyak's optimum
    :func:`lrtutor.theory.heavy_ball_optimal` and the circle plain gradient
    descent's optimum :math:`(2/(L+\mu), 0)`.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    L, mu = eigenvalues.max(), eigenvalues.min()
    etas = np.asarray(etas, dtype=np.float64)
    betas = np.asarray(betas, dtype=np.float64)
    ge, gb = np.meshgrid(etas, betas)
    rho = theory.momentum_rate(ge, gb, eigenvalues)
    shown = np.ma.masked_where(rho >= vmax, rho)
    mesh = ax.pcolormesh(ge, gb, shown, shading="auto", cmap="viridis",
                         vmin=float(np.min(rho)), vmax=vmax)
    ax.figure.colorbar(mesh, ax=ax, label=r"contraction factor $\rho(\eta,\beta)$")
    ax.plot((2 + 2 * betas) / L, betas, color="C3", linewidth=1.5,
            label=r"stability boundary $\eta L = 2 + 2\beta$")
    eta_s, beta_s = theory.heavy_ball_optimal(L, mu)
    ax.plot(eta_s, beta_s, "*", color="w", markeredgecolor="k", markersize=14,
            label=rf"optimum $\eta^\star={eta_s:.3g}$, $\beta^\star={beta_s:.3g}$")
    ax.plot(theory.optimal_rate(L, mu), 0.0, "o", color="w", markeredgecolor="k",
            markersize=8, clip_on=False, label=r"gradient descent $2/(L+\mu)$")
    ax.set_xlim(etas.min(), etas.max())
    ax.set_ylim(betas.min(), betas.max())
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(r"momentum $\beta$")
    ax.grid(False)
    ax.legend(loc="lower right")
    return ax


def plot_momentum_stable_regions(ax, eta_lams, betas):
    r"""Where heavy ball and Nesterov converge on one eigenvalue, over :math:`(\eta\lambda, \beta)`.

    The shading is computed, not drawn from a formula: a point is stable when
    the spectral radius of the method's iteration (:func:`lrtutor.theory.momentum_rate`,
    :func:`lrtutor.theory.nesterov_rate`, with :math:`\lambda = 1`) is below 1.
    The lines are the closed-form boundaries that the Jury conditions give,
    :math:`\eta\lambda = 2 + 2\beta` (heavy ball) and
    :math:`\eta\lambda = (2 + 2\beta)/(1 + 2\beta)` (Nesterov), so the figure
    shows the two agreeing. The dot is gradient descent's limit
    :math:`\eta\lambda = 2` at :math:`\beta = 0`.
    """
    xs = np.asarray(eta_lams, dtype=np.float64)
    betas = np.asarray(betas, dtype=np.float64)
    gx, gb = np.meshgrid(xs, betas)
    heavy = theory.momentum_rate(gx, gb, [1.0]) < 1
    nest = theory.nesterov_rate(gx, gb, [1.0]) < 1
    ax.contourf(gx, gb, heavy.astype(float), levels=[0.5, 1.5], colors=["C0"],
                alpha=0.25)
    ax.contourf(gx, gb, nest.astype(float), levels=[0.5, 1.5], colors=["C1"],
                alpha=0.45)
    ax.plot(2 + 2 * betas, betas, color="C0", linewidth=1.8,
            label=r"heavy ball: $\eta\lambda = 2 + 2\beta$")
    ax.plot((2 + 2 * betas) / (1 + 2 * betas), betas, color="C1", linewidth=1.8,
            label=r"Nesterov: $\eta\lambda = (2+2\beta)/(1+2\beta)$")
    ax.plot(2.0, 0.0, "o", color="k", markersize=7, clip_on=False,
            label=r"gradient descent: $\eta\lambda = 2$")
    ax.set_xlim(xs.min(), xs.max())
    ax.set_ylim(betas.min(), betas.max())
    ax.set_xlabel(r"$\eta\lambda$")
    ax.set_ylabel(r"momentum $\beta$")
    ax.grid(False)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=1,
              frameon=False)
    return ax


def plot_momentum_rate_vs_beta(ax, eta_lams, betas):
    r"""Contraction factor of momentum on one eigenvalue against :math:`\beta`.

    One curve per value of :math:`\eta\lambda` in ``eta_lams`` (the problem is
    :math:`\lambda = 1`), with a dot at critical damping
    :math:`\beta = (1-\sqrt{\eta\lambda})^2` and the line :math:`\sqrt\beta`
    that every under-damped curve follows.
    """
    betas = np.asarray(betas, dtype=np.float64)
    for x in eta_lams:
        rho = theory.momentum_rate(float(x), betas, [1.0])
        (line,) = ax.plot(betas, rho, label=rf"$\eta\lambda = {x:g}$")
        bc = theory.momentum_critical_beta(float(x), 1.0)
        ax.plot(bc, np.sqrt(bc), "o", color=line.get_color())
    ax.plot(betas, np.sqrt(betas), ":", color="0.3",
            label=r"$\sqrt{\beta}$ (complex roots)")
    ax.set_xlabel(r"momentum $\beta$")
    ax.set_ylabel(r"contraction factor $\rho$")
    ax.legend()
    return ax


# --- w2 ---
# Figures of the chapters "Adaptive methods", "Decay formulas and schedules"
# and "Adapting the rate to performance".

__all__ += ["plot_step_sizes", "plot_plateau"]


def plot_step_sizes(ax, sizes, labels=None, loglog=True):
    r"""Plot step lengths against the update number ``t = 1, 2, ...``.

    .. math:: t \mapsto \lVert \theta_t - \theta_{t-1} \rVert

    where :math:`\theta_t` are the iterates and entry ``k`` of each array in
    ``sizes`` is the length of update :math:`t = k + 1` (updates numbered from
    1, as in Adam's bias corrections). A log-log axis shows power laws such as
    AdaGrad's :math:`\eta/\sqrt t` as straight lines.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    sizes : sequence of 1-D array_like
        One array of step lengths per method.
    labels : sequence of str, optional
        One legend entry per array; no legend when omitted.
    loglog : bool, default True
        Use logarithmic x and y axes.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Raises
    ------
    ValueError
        If an entry of ``sizes`` is not 1-D.

    Notes
    -----
    Used in the chapter "Adaptive methods: AdaGrad, RMSprop, Adam".

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> ax = plot_step_sizes(ax, [0.1 / np.sqrt(np.arange(1, 5))])
    >>> ax.get_lines()[0].get_xdata().tolist(), ax.get_yscale()
    ([1, 2, 3, 4], 'log')
    >>> plt.close(fig)
    """
    for i, s in enumerate(sizes):
        s = np.asarray(s, dtype=np.float64)
        if s.ndim != 1:
            raise ValueError(f"sizes[{i}] must be 1-D, got shape {s.shape}")
        ax.plot(np.arange(1, s.size + 1), s, label=labels[i] if labels else None)
    if loglog:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("update $t$")
    ax.set_ylabel(r"step length $|\theta_t - \theta_{t-1}|$")
    if labels:
        ax.legend()
    return ax


def plot_plateau(axes, metrics, rates, labels=None, logy=True, metric_label="metric"):
    r"""Show a monitored metric and the rates a controller chose, epoch by epoch.

    .. math:: k \mapsto a_k \quad\text{(top)}, \qquad k \mapsto \eta_k
              \quad\text{(bottom)}

    where :math:`a_k` is the metric reported after epoch :math:`k` (entry
    ``k`` of ``metrics``) and :math:`\eta_k` the rate used in epoch :math:`k`
    (entry ``k`` of each array in ``rates``). Rates are drawn as steps, so a
    cut shows as a drop at the epoch where it takes effect.

    Parameters
    ----------
    axes : pair of matplotlib.axes.Axes
        ``(ax_metric, ax_rate)``.
    metrics : 1-D array_like
        The metric after each epoch, drawn in grey with dots.
    rates : sequence of 1-D array_like
        One array of per-epoch rates per controller.
    labels : sequence of str, optional
        Legend entries for ``rates``; no legend when omitted.
    logy : bool, default True
        Logarithmic y axes.
    metric_label : str, default "metric"
        Label of the metric line (shown if the caller adds a legend).

    Returns
    -------
    pair of matplotlib.axes.Axes
        ``axes``.

    Raises
    ------
    ValueError
        If an entry of ``rates`` is not 1-D.

    Notes
    -----
    Used in the chapter "Adapting the rate to performance" with the
    controller :class:`lrtutor.schedules.ReduceLROnPlateau`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, axes = plt.subplots(2, 1)
    >>> _ = plot_plateau(axes, [1.0, 0.9, 0.9], [[0.1, 0.1, 0.05]])
    >>> axes[1].get_lines()[0].get_ydata().tolist()
    [0.1, 0.1, 0.05]
    >>> plt.close(fig)
    """
    ax_m, ax_r = axes
    metrics = np.asarray(metrics, dtype=np.float64)
    epochs = np.arange(metrics.size)
    ax_m.plot(epochs, metrics, ".-", color="0.35", label=metric_label)
    ax_m.set_ylabel("validation loss")
    for i, r in enumerate(rates):
        r = np.asarray(r, dtype=np.float64)
        if r.ndim != 1:
            raise ValueError(f"rates[{i}] must be 1-D, got shape {r.shape}")
        ax_r.step(np.arange(r.size), r, where="post",
                  label=labels[i] if labels else None)
    if logy:
        ax_m.set_yscale("log")
        ax_r.set_yscale("log")
    ax_r.set_xlabel("epoch")
    ax_r.set_ylabel(r"rate $\eta$")
    if labels:
        ax_r.legend()
    return axes


# --- w3 ---
# Figures of the chapters "Choosing a learning rate" and "Case study: linear regression".

from lrtutor import finder as _finder  # noqa: E402  (w3 section; finder is left of plotting)

__all__ += ["plot_range_test", "plot_grid_scores", "plot_regression_fit",
            "plot_loss_gaps"]


def plot_range_test(ax, result, suggestions=None, reference=None, logy=False):
    r"""Plot an LR range test: raw and smoothed loss against :math:`\eta` (log axis).

    ``result`` is a :class:`lrtutor.finder.RangeTestResult`. The raw losses
    are drawn faintly, the smoothed loss :math:`\bar\ell_i` as a line, and the
    window the suggestion rules read (:func:`lrtutor.finder.suggestion_window`)
    is shaded. ``suggestions`` maps a label to a suggested rate, drawn as a
    marker on the smoothed curve (log-interpolated; a rate outside the curve
    sits at its nearest end). ``reference`` maps a label to a known rate
    (e.g. :math:`2/L`), drawn as a vertical line. ``logy`` puts the loss on a
    log axis.
    """
    lrs, raw, smooth = result.lrs, result.losses, result.smoothed
    ok = np.isfinite(raw)
    ax.plot(lrs[ok], raw[ok], color="0.7", linewidth=1, label="loss $\\ell_i$")
    ok = np.isfinite(smooth)
    ax.plot(lrs[ok], smooth[ok], color="C0", label=r"smoothed $\bar\ell_i$")
    wl, _ = _finder.suggestion_window(result)
    if wl.size:
        ax.axvspan(wl[0], wl[-1], color="C0", alpha=0.06)
    markers = "osD^v<>"
    for i, (label, rate) in enumerate((suggestions or {}).items()):
        y = np.interp(np.log(rate), np.log(lrs[ok]), smooth[ok])
        ax.plot(rate, y, markers[i % len(markers)], color=f"C{i + 1}", markersize=8,
                label=f"{label}: {rate:.2g}")
    for i, (label, rate) in enumerate((reference or {}).items()):
        ax.axvline(rate, color="0.25", linestyle=["--", ":", "-."][i % 3],
                   linewidth=1, label=label)
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(r"learning rate $\eta_i$ (log scale)")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def plot_grid_scores(ax, rates, scores, label=None, marker="o"):
    r"""Plot the score (a final loss) of each rate of a search on log-log axes.

    Non-finite scores (diverged runs) are drawn as crosses along the top edge
    of the axes; the best finite score gets a star.
    """
    rates = np.asarray(rates, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    ok = np.isfinite(scores)
    (line,) = ax.plot(rates[ok], scores[ok], marker=marker, label=label)
    if np.any(~ok):
        ax.plot(rates[~ok], np.ones(np.count_nonzero(~ok)), "x", color=line.get_color(),
                markersize=9, transform=ax.get_xaxis_transform(), clip_on=False)
    k = np.flatnonzero(ok)[np.argmin(scores[ok])]
    ax.plot(rates[k], scores[k], "*", color=line.get_color(), markersize=14)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"learning rate $\eta$ (log scale)")
    ax.set_ylabel("final loss")
    if label is not None:
        ax.legend()
    return ax


def plot_regression_fit(ax, x, y, lines):
    r"""Scatter a one-feature data set and draw straight lines over it.

    ``lines`` maps a label to ``(intercept, slope)``, e.g. the true line, the
    least-squares line and a trained model.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    ax.plot(x, y, ".", color="0.55", label="data")
    grid = np.array([x.min(), x.max()])
    styles = ["-", "--", ":", "-."]
    for i, (label, (b, w)) in enumerate(lines.items()):
        ax.plot(grid, b + w * grid, styles[i % 4], linewidth=2, label=label)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.legend()
    return ax


def plot_loss_gaps(ax, traces, labels, fstar, every=None):
    r"""Plot :math:`f(\theta_t) - f^\star` of several single-run traces on a log scale.

    Gaps that are exactly zero (converged to the last bit) or non-finite are
    not drawn. ``every`` (optional) marks every ``every``-th point, which
    helps to tell noisy stochastic curves apart.
    """
    for trace, label in zip(traces, labels):
        gap = np.asarray(trace.losses, dtype=np.float64) - fstar
        steps = np.arange(gap.size).astype(float)
        keep = np.isfinite(gap) & (gap > 0)
        ax.plot(steps[keep], gap[keep], label=label,
                marker="." if every else None, markevery=every)
    ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$f(\theta_t) - f^\star$")
    ax.legend()
    return ax

# --- x1 ---
# Drawing helpers of the explorers of the chapters "Gradient descent",
# "Momentum", "Adaptive methods" and "Common mistakes" (lrtutor.widgets, x1 section).

__all__ += ["level_set_xy", "plot_level_sets", "shade_negative"]


def level_set_xy(problem, levels, num=121):
    r"""Points of the level sets :math:`f(\theta) = c` of a 2-D quadratic, for drawing.

    .. math:: \theta(s) = \theta^\star + Q \begin{pmatrix} \sqrt{2c/\lambda_1}\cos s \\
              \sqrt{2c/\lambda_2}\sin s \end{pmatrix}, \qquad s \in [0, 2\pi],

    where :math:`Q` is ``problem.basis``, :math:`\lambda_i` are
    ``problem.eigenvalues``, :math:`\theta^\star` is ``problem.minimizer`` and
    :math:`c` runs over ``levels``: each level set of
    :math:`\tfrac12(\theta-\theta^\star)^\top H(\theta-\theta^\star)` is an
    ellipse with semi-axes :math:`\sqrt{2c/\lambda_i}` along the eigenvectors.
    Computed in closed form (no grid), so an explorer can redraw the contours of
    a changed quadratic as cheaply as a line.

    Parameters
    ----------
    problem : lrtutor.problems.Quadratic
        With ``dim == 2``.
    levels : array_like, shape (k,)
        Loss values :math:`c > 0`.
    num : int >= 3
        Points per ellipse (the first equals the last).

    Returns
    -------
    (ndarray, ndarray)
        ``x`` and ``y`` of shape ``(k * (num + 1),)``: the ellipses one after
        the other, each followed by a NaN that separates it from the next
        (one ``Line2D`` draws them all).

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> x, y = level_set_xy(Quadratic.two_d(1.0, 4.0), [2.0], num=5)
    >>> x.round(6).tolist()[:4], y.round(6).tolist()[:4]
    ([2.0, 0.0, -2.0, -0.0], [0.0, 1.0, 0.0, -1.0])
    """
    from lrtutor._validate import check_array, check_int

    if getattr(problem, "dim", None) != 2 or not hasattr(problem, "basis"):
        raise TypeError("problem must be a 2-D lrtutor.problems.Quadratic, got "
                        f"{problem!r}")
    levels = check_array("levels", levels, ndim=1, low=0, low_op=">")
    num = check_int("num", num, low=3)
    s = np.linspace(0.0, 2.0 * np.pi, num)
    radii = np.sqrt(2.0 * levels[:, None] / problem.eigenvalues)          # (k, 2)
    z = np.stack([radii[:, :1] * np.cos(s), radii[:, 1:] * np.sin(s)], axis=-1)
    pts = z @ problem.basis.T + problem.minimizer                           # (k, num, 2)
    pts = np.concatenate([pts, np.full((levels.size, 1, 2), np.nan)], axis=1)
    return pts[..., 0].ravel(), pts[..., 1].ravel()


def plot_level_sets(ax, problem, levels, line=None, num=121, **kwargs):
    r"""Draw (or redraw into ``line``) the level-set ellipses of a 2-D quadratic.

    The points are :func:`level_set_xy`; with ``line=None`` a new grey
    ``Line2D`` is added to ``ax`` (``kwargs`` go to ``ax.plot``), otherwise
    the data of ``line`` are replaced, which is what an explorer does on every
    move. Returns the line.
    """
    x, y = level_set_xy(problem, levels, num=num)
    if line is None:
        style = {"color": "0.6", "linewidth": 0.7}
        style.update(kwargs)
        (line,) = ax.plot(x, y, **style)
    else:
        line.set_data(x, y)
    return line


def shade_negative(ax, t, eta, shade=None, **kwargs):
    r"""Shade the region between a rate curve :math:`\eta_t` and 0 where :math:`\eta_t < 0`.

    A negative rate turns descent into ascent. With ``shade=None`` a new
    ``fill_between`` collection is added (``kwargs`` go to it), otherwise the
    data of ``shade`` are replaced (an explorer's move). Returns the collection.
    """
    t = np.asarray(t, dtype=np.float64)
    eta = np.asarray(eta, dtype=np.float64)
    where = eta < 0
    if shade is None:
        style = {"color": "C3", "alpha": 0.25, "linewidth": 0}
        style.update(kwargs)
        shade = ax.fill_between(t, eta, 0.0, where=where, interpolate=True, **style)
    else:
        shade.set_data(t, eta, 0.0, where=where)
    return shade


# --- network_rates ---
# Figures of the chapter "A fixed rate on a network" (book/network_rates.ipynb)
# and its explorer (lrtutor.widgets.NetworkRateExplorer).

__all__ += ["band_stats", "update_band", "plot_u_curve"]


def band_stats(runs, *, quantiles=(10, 90), axis=-1):
    r"""The median and the percentile band over seeds that :func:`plot_band` draws.

    For each point, over the seed axis ``axis`` of ``runs``: the median and
    the ``quantiles`` percentiles of the runs that are not NaN (diverged runs
    are left out); NaN where every run is NaN. No warning is emitted.

    Returns
    -------
    (median, low, high) : arrays of the shape of ``runs`` without ``axis``
    """
    values = np.moveaxis(np.asarray(runs, dtype=float), axis, -1)
    seen = ~np.all(np.isnan(values), axis=-1)
    med = np.full(values.shape[:-1], np.nan)
    low, high = med.copy(), med.copy()
    if seen.any():
        med[seen] = np.nanmedian(values[seen], axis=-1)
        low[seen], high[seen] = np.nanpercentile(values[seen], quantiles, axis=-1)
    return med, low, high


def update_band(line, band, x, runs, *, quantiles=(10, 90), axis=-1):
    """Replace the data of a median ``line`` and its ``band`` (from :func:`plot_band`).

    What an explorer does on every move: the same statistics as
    :func:`band_stats`, drawn into the existing artists. Returns
    ``(median, low, high)``.
    """
    x = np.asarray(x, dtype=float)
    med, low, high = band_stats(runs, quantiles=quantiles, axis=axis)
    if med.shape != x.shape:
        raise ValueError(f"runs must have {x.shape[0]} points along the non-seed axis "
                         f"to match x, got shape {np.shape(runs)} (seed axis {axis})")
    line.set_data(x, med)
    band.set_data(x, low, high, where=np.isfinite(low) & np.isfinite(high))
    return med, low, high


def plot_u_curve(ax, lrs, runs, *, label=None, color=None, window=None,
                 quantiles=(10, 90), marker="o", diverged_label=None, **line_kwargs):
    r"""A final loss (or error) against the learning rate: the U-curve, over seeds.

    Draws the median over seeds of ``runs[i, s]`` (rate ``lrs[i]``, seed
    ``s``) with a percentile band on log-log axes (:func:`plot_band`), and
    marks each rate at which *every* seed diverged (all NaN) with a cross at
    the bottom of the axes, where no data can be hidden under it (in black,
    legend entry ``diverged_label``, so that several curves share one). ``window``
    = ``(low, high)`` shades that range of rates (a
    :func:`lrtutor.diagnostics.rate_window`) in the line's colour.

    Returns
    -------
    (line, band, crosses, span) : the artists (``crosses`` and ``span`` may be
    None when nothing diverged or no window is given).
    """
    import matplotlib.transforms as mtransforms

    lrs = np.asarray(lrs, dtype=float)
    values = np.asarray(runs, dtype=float)
    line, band = plot_band(ax, lrs, values, label=label, color=color,
                           quantiles=quantiles, marker=marker, markersize=4,
                           **line_kwargs)
    ax.set_xscale("log")
    ax.set_yscale("log")
    dead = np.all(np.isnan(values), axis=-1)
    crosses = None
    if dead.any():
        trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
        (crosses,) = ax.plot(lrs[dead], np.full(dead.sum(), 0.04), "x", color="k",
                             transform=trans, clip_on=False, markersize=7,
                             label=diverged_label)
    span = None
    if window is not None and np.all(np.isfinite(window)):
        span = ax.axvspan(window[0], window[1], color=line.get_color(), alpha=0.08,
                          linewidth=0, zorder=0.5)
    return line, band, crosses, span


# --- loss spikes ---
# Figures of the chapter "Loss spikes, clipping and what to watch" (book/loss_spikes)
# and its explorer (lrtutor.widgets.ClipExplorer).

__all__ += ["positive_or_nan", "plot_spike_logs", "plot_update_ratios"]


def positive_or_nan(values):
    """``values`` as float64 with every entry that a log axis cannot show (<= 0, inf) NaN.

    A batch loss or a gradient norm can be exactly 0 (a mini-batch fitted to
    the last bit) and a diverged run leaves NaN; matplotlib would drop the
    non-positive points of a log axis anyway, this makes it explicit.

    >>> positive_or_nan([1.0, 0.0, -2.0, np.inf, 3.0]).tolist()
    [1.0, nan, nan, nan, 3.0]
    """
    v = np.array(values, dtype=np.float64)
    v[~(np.isfinite(v) & (v > 0))] = np.nan
    return v


def plot_spike_logs(axes, steps, batch_losses, grad_norms, *, label=None, color=None,
                    clip_norm=None, **line_kwargs):
    r"""The two logs of a training run: batch loss and gradient norm against the step.

    ``axes`` is a pair ``(ax_loss, ax_norm)``. One run (1-D arrays) is drawn
    as lines; several seeds (2-D arrays of shape ``(T, seeds)``, e.g. one
    column of :attr:`lrtutor.train.Trace.batch_losses`) as the median and
    a 10-90 % band (:func:`plot_band`). Both axes are logarithmic and
    entries that a log axis cannot show are left out
    (:func:`positive_or_nan`). ``clip_norm`` adds a dashed horizontal line
    at the clipping threshold :math:`c` on the norm axis.

    Returns
    -------
    list
        ``[loss_line, norm_line]`` for one run, ``[(line, band), (line,
        band)]`` for several, followed by the threshold line if drawn.
    """
    ax_loss, ax_norm = axes
    steps = np.asarray(steps, dtype=np.float64)
    out = []
    for ax, values in ((ax_loss, batch_losses), (ax_norm, grad_norms)):
        values = positive_or_nan(values)
        if values.ndim == 1:
            (line,) = ax.plot(steps, values, label=label, color=color, **line_kwargs)
            out.append(line)
        elif values.ndim == 2:
            out.append(plot_band(ax, steps, values, label=label, color=color,
                                 **line_kwargs))
        else:
            raise ValueError("batch_losses and grad_norms must have shape (T,) or "
                             f"(T, seeds), got shape {values.shape}")
        ax.set_yscale("log")
        ax.set_xlabel("step $t$")
    ax_loss.set_ylabel(r"batch loss $f_{B_t}(\theta_t)$")
    ax_norm.set_ylabel(r"gradient norm $\|g_t\|$")
    if clip_norm is not None:
        out.append(ax_norm.axhline(clip_norm, color="0.3", linestyle="--", linewidth=1,
                                   label=f"threshold $c$ = {clip_norm:.4g}"))
    return out


def plot_update_ratios(ax, rates, ratios, *, layer_labels=None, reference=1e-3,
                       marker="o", **line_kwargs):
    r"""Update-to-weight ratio against the learning rate, one curve per layer.

    ``ratios`` has shape ``(R, seeds, L)``: for each of the ``R`` rates, each
    seed and each of the ``L`` layers one summary of
    :attr:`lrtutor.train.Trace.update_ratios` (its median over the steps,
    say). Each layer is drawn as the median over seeds with a 10-90 % band
    (:func:`plot_band`), on log-log axes; ``reference`` draws the rule of
    thumb :math:`\lVert\Delta W\rVert/\lVert W\rVert \approx 10^{-3}` as a
    dotted line (``None`` leaves it out). Returns the ``(line, band)`` pairs.
    """
    rates = np.asarray(rates, dtype=np.float64)
    ratios = np.asarray(ratios, dtype=np.float64)
    if ratios.ndim != 3 or ratios.shape[0] != rates.size:
        raise ValueError(f"ratios must have shape ({rates.size}, seeds, layers) to match "
                         f"rates, got shape {ratios.shape}")
    layers = ratios.shape[-1]
    if layer_labels is None:
        layer_labels = [f"layer {i + 1}" for i in range(layers)]
    if len(layer_labels) != layers:
        raise ValueError(f"layer_labels must have {layers} entries, got {len(layer_labels)}")
    out = [plot_band(ax, rates, positive_or_nan(ratios[..., i]), label=lab, marker=marker,
                     **line_kwargs)
           for i, lab in enumerate(layer_labels)]
    if reference is not None:
        ax.axhline(reference, color="0.3", linestyle=":", linewidth=1.2,
                   label=f"rule of thumb {reference:g}")
    ax.set(xscale="log", yscale="log", xlabel=r"learning rate $\eta$",
           ylabel=r"$\|\Delta W_l\| / \|W_l\|$")
    return out


# --- edge of stability ---
# Figures of the chapter "The edge of stability" (book/edge_of_stability.ipynb)
# and its explorer (lrtutor.widgets.EdgeOfStabilityExplorer).

__all__ += ["plot_sharpness", "update_sharpness"]


def _sharpness_stats(steps, runs, quantiles):
    """``steps`` and the median, low and high of ``runs`` (shape (E,) or (E, S))."""
    steps = np.asarray(steps, dtype=float)
    values = np.asarray(runs, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if steps.ndim != 1 or values.ndim != 2 or values.shape[0] != steps.size:
        raise ValueError(f"runs must have shape ({steps.size},) or ({steps.size}, seeds) to "
                         f"match steps, got shape {np.shape(runs)}")
    return (steps,) + band_stats(values, quantiles=quantiles)


def plot_sharpness(ax, steps, runs, eta, *, color=None, label=None, quantiles=(10, 90),
                   ref_label=None):
    r"""The sharpness :math:`\lambda_{\max}(\theta_t)` against the step, and the line :math:`2/\eta`.

    Draws the median over seeds of ``runs`` (shape ``(E,)`` for one run or
    ``(E, S)`` for ``S`` seeds, measured at ``steps``) with a percentile band
    (as :func:`plot_band`; NaN entries, runs that diverged, are left out), and
    a dashed horizontal line at :math:`2/\eta` in the same colour: the
    stability limit of gradient descent on a quadratic with that curvature.
    The line is drawn under the data (lower ``zorder``) so it never hides it.

    Parameters
    ----------
    ax : matplotlib Axes
    steps : array_like, shape (E,)
    runs : array_like, shape (E,) or (E, S)
    eta : float > 0
        The learning rate :math:`\eta`.
    color, label : optional
        Of the median line; ``ref_label`` labels the :math:`2/\eta` line.
    quantiles : (float, float)

    Returns
    -------
    (line, band, ref) : the median's ``Line2D``, the band's collection and the
    reference ``Line2D``; pass them to :func:`update_sharpness` to redraw.
    """
    eta = float(eta)
    if not np.isfinite(eta) or eta <= 0:
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    x, med, low, high = _sharpness_stats(steps, runs, quantiles)
    (line,) = ax.plot(x, med, color=color, label=label, zorder=2.2, marker=".",
                      markersize=4)
    band = ax.fill_between(x, low, high, color=line.get_color(), alpha=0.25,
                           linewidth=0, zorder=2.1)
    ref = ax.axhline(2.0 / eta, color=line.get_color(), linestyle="--", linewidth=1.0,
                     zorder=1.9, label=ref_label)
    return line, band, ref


def update_sharpness(artists, steps, runs, eta, *, quantiles=(10, 90)):
    r"""Redraw the artists of :func:`plot_sharpness` with new data and rate.

    Returns ``(median, low, high)``, the values drawn (NaN where every run is
    NaN): what an explorer does on every move.
    """
    eta = float(eta)
    if not np.isfinite(eta) or eta <= 0:
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    line, band, ref = artists
    x, med, low, high = _sharpness_stats(steps, runs, quantiles)
    line.set_data(x, med)
    band.set_data(x, low, high, where=np.isfinite(low) & np.isfinite(high))
    ref.set_ydata([2.0 / eta, 2.0 / eta])
    return med, low, high


# --- batch_size ---
# Figures of the chapter "Batch size and the learning rate" and of its explorer
# (lrtutor.widgets.BatchSizeExplorer).

__all__ += ["scaling_rule", "plot_loss_vs_rate", "plot_best_rates", "plot_steps_to_target"]


def scaling_rule(batch_sizes, anchor_size, anchor_rate, power):
    r"""The rate a power-law scaling rule gives at each batch size.

    .. math:: \eta(B) = \eta(B_0)\,\Bigl(\frac{B}{B_0}\Bigr)^{\alpha},

    where :math:`B_0` is ``anchor_size``, :math:`\eta(B_0)` is
    ``anchor_rate`` and :math:`\alpha` is ``power``: 1 for the linear rule,
    1/2 for the square-root rule.

    >>> scaling_rule([8, 32, 128], 8, 0.1, 0.5).round(6).tolist()
    [0.1, 0.2, 0.4]
    """
    sizes = np.asarray(batch_sizes, dtype=float)
    return anchor_rate * (sizes / anchor_size) ** power


def plot_loss_vs_rate(ax, lrs, losses, *, best=None, label=None, color=None,
                      diverged_label=None):
    r"""The U-curve of :func:`plot_u_curve` with the best rate marked on it.

    ``losses`` has shape ``(R, S)``: one row per rate of ``lrs``, one column
    per seed (NaN for a run that diverged; a rate where every seed diverged
    gets a cross at the bottom). ``best`` (a rate, e.g. from
    :func:`lrtutor.train.best_rate`) is marked with a triangle on the median
    curve, interpolated in log-log coordinates; NaN or None marks nothing.

    Returns ``(line, band, crosses, marker)``.
    """
    lrs = np.asarray(lrs, dtype=float)
    line, band, crosses, _ = plot_u_curve(ax, lrs, losses, label=label, color=color,
                                          diverged_label=diverged_label)
    (marker,) = ax.plot([], [], linestyle="none", marker="v", markersize=9,
                        color=line.get_color(), markeredgecolor="k", zorder=3)
    if best is not None and np.isfinite(best):
        marker.set_data([best], [_median_at(lrs, np.asarray(losses, dtype=float), best)])
    return line, band, crosses, marker


def _median_at(lrs, losses, rate):
    """The median curve of ``losses`` (R, S) at ``rate``, interpolated in log-log."""
    med = band_stats(losses)[0]
    ok = np.isfinite(med) & (med > 0)
    return float(np.exp(np.interp(np.log(rate), np.log(lrs[ok]), np.log(med[ok]))))


def plot_best_rates(ax, batch_sizes, best, *, low=None, high=None, anchor=0, label=None,
                    color=None, rules=((1.0, "linear rule", "--"),
                                       (0.5, "square-root rule", ":"))):
    r"""Best rate against the batch size in log-log, with scaling rules through one point.

    Draws ``best`` (one rate per batch size) as markers joined by a thin
    line, optional error bars from ``low`` to ``high`` (e.g. a bootstrap
    interval), and for each ``(power, name, linestyle)`` of ``rules`` the
    line :func:`scaling_rule` draws through the measured point
    ``batch_sizes[anchor]``, in grey.

    Returns a dict of the artists: ``"measured"`` (Line2D), ``"errors"``
    (the errorbar container, or None) and one Line2D per rule name.
    """
    sizes = np.asarray(batch_sizes, dtype=float)
    best = np.asarray(best, dtype=float)
    (measured,) = ax.plot(sizes, best, marker="o", color=color, label=label, zorder=3)
    artists = {"measured": measured, "errors": None}
    if low is not None and high is not None:
        yerr = np.stack([best - np.asarray(low, float), np.asarray(high, float) - best])
        artists["errors"] = ax.errorbar(sizes, best, yerr=yerr, fmt="none",
                                        ecolor=measured.get_color(), capsize=3, zorder=3)
    for power, name, style in rules:
        (artists[name],) = ax.plot(sizes, scaling_rule(sizes, sizes[anchor], best[anchor], power),
                                   linestyle=style, color="0.35", linewidth=1.2,
                                   label=name, zorder=2)
    ax.set(xscale="log", yscale="log", xlabel="batch size $B$",
           ylabel=r"best rate $\eta^\star(B)$")
    _batch_ticks(ax, sizes)
    return artists


def _batch_ticks(ax, sizes):
    """Label a log axis of batch sizes with the sizes themselves, no minor labels."""
    import matplotlib.ticker as mticker

    ax.xaxis.set_major_locator(mticker.FixedLocator(sizes))
    ax.xaxis.set_major_formatter(mticker.FixedFormatter([f"{b:g}" for b in sizes]))
    ax.xaxis.set_minor_locator(mticker.NullLocator())


def plot_steps_to_target(axes, batch_sizes, steps, fits, labels, *, low=None, high=None):
    r"""The steps-examples trade-off: :math:`S` and :math:`E = BS` against :math:`B`.

    ``axes`` is a pair. For each row ``k`` of ``steps`` (shape ``(m, len(batch_sizes))``:
    the steps to a target at each batch size) the left panel shows the steps
    :math:`S` and the right one the examples :math:`E = BS`, as markers (with
    error bars from ``low[k]`` to ``high[k]`` if given), and the model fitted
    by :func:`lrtutor.train.critical_batch_fit`, ``fits[k] = (S_min, E_min,
    B_crit)``, as a line: :math:`S = S_{\min} + E_{\min}/B` and
    :math:`E = E_{\min} + S_{\min} B`. A cross on each fitted line marks
    :math:`B_{\mathrm{crit}}`, where :math:`S = 2S_{\min}` and :math:`E = 2E_{\min}`.

    Returns the list of measured Line2D, one per row.
    """
    sizes = np.asarray(batch_sizes, dtype=float)
    steps = np.atleast_2d(np.asarray(steps, dtype=float))
    fine = np.geomspace(sizes[0], sizes[-1], 100)
    lines = []
    for k, (row, (s_min, e_min, b_crit), label) in enumerate(zip(steps, fits, labels)):
        color = f"C{k}"
        for ax, scale in ((axes[0], 1.0), (axes[1], sizes)):
            (line,) = ax.plot(sizes, row * scale, marker="o", linestyle="none", color=color,
                              label=label if ax is axes[0] else None, zorder=3)
            if low is not None and high is not None:
                yerr = np.stack([row - low[k], high[k] - row]) * scale
                ax.errorbar(sizes, row * scale, yerr=yerr, fmt="none", ecolor=color,
                            capsize=3, zorder=3)
            if ax is axes[0]:
                lines.append(line)
        axes[0].plot(fine, s_min + e_min / fine, color=color, linewidth=1.2, zorder=2)
        axes[1].plot(fine, e_min + s_min * fine, color=color, linewidth=1.2, zorder=2)
        if np.isfinite(b_crit) and sizes[0] <= b_crit <= sizes[-1]:
            axes[0].plot([b_crit], [2 * s_min], marker="X", markersize=9, color=color,
                         markeredgecolor="k", linestyle="none", zorder=4)
            axes[1].plot([b_crit], [2 * e_min], marker="X", markersize=9, color=color,
                         markeredgecolor="k", linestyle="none", zorder=4)
    axes[0].set(xscale="log", yscale="log", xlabel="batch size $B$",
                ylabel="steps to the target $S$")
    axes[1].set(xscale="log", yscale="log", xlabel="batch size $B$",
                ylabel="examples to the target $E = BS$")
    for ax in axes[:2]:
        _batch_ticks(ax, sizes)
    return lines


# --- network_range_test ---
# Figures of the chapter "Choosing a rate for a network" (book/network_range_test.ipynb)
# and its explorer (lrtutor.widgets.RangeTestGradeExplorer).

__all__ += ["plot_suggestion_spread", "plot_range_tests", "update_range_tests"]


def plot_suggestion_spread(ax, levels, suggestions, *, best=None, window=None, cliff=None,
                           spread=0.5):
    r"""Each rule's suggested rate at each level of one setting of the range test.

    ``levels`` are the labels of the ``m`` levels (drawn at x = 0, ..., m-1);
    ``suggestions`` maps a rule's name to an array of shape ``(m, S)``: its
    suggestion at each level for each of ``S`` seeds. Each rule gets its own
    x offset within a level (the rules side by side over a width ``spread``):
    a marker at the median over seeds and a vertical bar from the smallest to
    the largest seed. ``best`` (shape ``(m,)``) draws the best fixed rate of a
    sweep at the same budget as a black bar across the level, ``window``
    (``(low, high)``, each of shape ``(m,)``) shades the rates within a
    factor of the best, and ``cliff`` (shape ``(m,)``) draws the smallest rate
    that failed in the sweep as a red dashed bar. The rate axis is
    logarithmic.

    Returns
    -------
    dict
        Rule name -> ``(median Line2D, bars LineCollection)``, plus
        ``"best"``, ``"cliff"`` and ``"window"`` -> lists of artists.
    """
    from lrtutor._validate import check_array

    m = len(levels)
    if m == 0:
        raise ValueError("levels must hold at least one level, got none")
    if not isinstance(suggestions, dict) or not suggestions:
        raise TypeError("suggestions must be a non-empty dict of rule name -> array "
                        f"of shape ({m}, seeds), got {type(suggestions).__name__}")
    names = list(suggestions)
    arrays = {name: check_array(f"suggestions[{name!r}]", v, ndim=2, finite=False)
              for name, v in suggestions.items()}
    for name, v in arrays.items():
        if v.shape[0] != m:
            raise ValueError(f"suggestions[{name!r}] must have shape ({m}, seeds), one row "
                             f"per level, got {v.shape}")
    if best is not None:
        best = check_array("best", best, shape=(m,), finite=False)
    if cliff is not None:
        cliff = check_array("cliff", cliff, shape=(m,), finite=False)
    if window is not None:
        window = check_array("window", window, shape=(2, m), finite=False)
    out = {"best": [], "cliff": [], "window": []}
    offsets = (np.arange(len(names)) - (len(names) - 1) / 2) * spread / max(len(names), 1)
    half = spread / 2 + 0.08
    for j in range(m):
        if window is not None and np.isfinite(window[0][j]) and np.isfinite(window[1][j]):
            out["window"].append(ax.fill_between([j - half, j + half], window[0][j],
                                                 window[1][j], color="0.85", linewidth=0,
                                                 zorder=0.5,
                                                 label="within 25 % of the best" if j == 0
                                                 else None))
        if best is not None and np.isfinite(best[j]):
            (line,) = ax.plot([j - half, j + half], [best[j]] * 2, color="k", linewidth=2,
                              zorder=1, label="best fixed rate" if j == 0 else None)
            out["best"].append(line)
        if cliff is not None and np.isfinite(cliff[j]):
            (line,) = ax.plot([j - half, j + half], [cliff[j]] * 2, color="C3",
                              linestyle="--", linewidth=1.5, zorder=1,
                              label="cliff (first failing rate)" if j == 0 else None)
            out["cliff"].append(line)
    markers = "osD^v<>"
    for k, name in enumerate(names):
        values = arrays[name]
        x = np.arange(m) + offsets[k]
        med = np.nanmedian(values, axis=1)
        # colours as in plot_range_tests (C0 is its loss curves)
        bars = ax.vlines(x, np.nanmin(values, axis=1), np.nanmax(values, axis=1),
                         color=f"C{k + 1}", linewidth=1.5, zorder=2)
        (line,) = ax.plot(x, med, linestyle="none", marker=markers[k % len(markers)],
                          color=f"C{k + 1}", markersize=6, zorder=3, label=name)
        out[name] = (line, bars)
    ax.set_yscale("log")
    ax.set_xticks(np.arange(m), [str(v) for v in levels])
    ax.set_xlim(-0.6, m - 0.4)
    ax.xaxis.set_minor_locator(__import__("matplotlib").ticker.NullLocator())
    return out


def plot_range_tests(ax, results, *, highlight=0, suggestions=None, window=None, cliff=None,
                     smallest=None):
    r"""Several LR range tests of one setting (one per seed) on a log-log plot.

    ``results`` is a list of :class:`lrtutor.finder.RangeTestResult`. The
    smoothed loss :math:`\bar\ell_i` of every test is a thin blue line; the
    test ``results[highlight]`` also shows its raw losses (grey) and its
    smoothed loss in a thick line. ``suggestions`` maps a rule's name to the
    rate it suggests for the highlighted test, drawn as a marker on that test's
    smoothed curve (log-interpolated). ``window = (low, high)`` shades the
    rates within a factor of the best fixed rate of a sweep, ``cliff`` draws
    the sweep's first failing rate as a red dashed line and ``smallest``
    marks the minimum of the highlighted smoothed curve (what fastai's
    ``minimum`` rule divides by 10) with a black star. The artists are made
    once and filled by :func:`update_range_tests`, which an explorer calls on
    every move.

    Returns
    -------
    dict of artists (see :func:`update_range_tests`).
    """
    _check_range_tests(results, highlight)
    artists = {"curves": [], "markers": {}}
    artists["window"] = ax.axvspan(1.0, 1.0, color="0.85", linewidth=0, zorder=0.5,
                                   label="fixed rates within 25 % of the best")
    (artists["cliff"],) = ax.plot([], [], color="C3", linestyle="--", linewidth=1.5,
                                  zorder=1, label="cliff of the sweep")
    (artists["raw"],) = ax.plot([], [], color="0.65", linewidth=0.8, zorder=1.5,
                                label=r"loss $\ell_i$ (one seed)")
    for k in range(len(results)):
        (line,) = ax.plot([], [], color="C0", linewidth=0.8, alpha=0.45, zorder=2,
                          label=r"smoothed $\bar\ell_i$, other seeds" if k == 1 else None)
        artists["curves"].append(line)
    (artists["main"],) = ax.plot([], [], color="C0", linewidth=2, zorder=2.5,
                                 label=r"smoothed $\bar\ell_i$")
    markers = "osD^v<>"
    for k, name in enumerate(suggestions or {}):
        (artists["markers"][name],) = ax.plot([], [], linestyle="none",
                                              marker=markers[k % len(markers)],
                                              color=f"C{k + 1}", markersize=8,
                                              markeredgecolor="k", zorder=3, label=name)
    (artists["smallest"],) = ax.plot([], [], linestyle="none", marker="*", color="k",
                                     markersize=12, zorder=3,
                                     label=r"minimum of $\bar\ell_i$")
    ax.set(xscale="log", yscale="log", xlabel=r"learning rate $\eta_i$ (log scale)",
           ylabel="loss")
    update_range_tests(artists, results, highlight=highlight, suggestions=suggestions,
                       window=window, cliff=cliff, smallest=smallest)
    return artists


def _check_range_tests(results, highlight):
    """Raise unless ``results`` is a non-empty list of range tests and
    ``highlight`` indexes one of them."""
    from lrtutor._validate import check_int

    if (not isinstance(results, (list, tuple)) or not results
            or not all(isinstance(r, _finder.RangeTestResult) for r in results)):
        raise TypeError("results must be a non-empty list of "
                        "lrtutor.finder.RangeTestResult, got "
                        f"{type(results).__name__}")
    check_int("highlight", highlight, low=0, high=len(results) - 1)


def update_range_tests(artists, results, *, highlight=0, suggestions=None, window=None,
                       cliff=None, smallest=None):
    """Fill the artists of :func:`plot_range_tests` with new range tests.

    Returns the ``(rates, smoothed losses)`` drawn as the highlighted curve.
    """
    _check_range_tests(results, highlight)
    if len(results) != len(artists["curves"]):
        raise ValueError(f"results must hold {len(artists['curves'])} range tests, "
                         f"one per curve, got {len(results)}")
    for k, (line, res) in enumerate(zip(artists["curves"], results)):
        ok = np.isfinite(res.smoothed)
        line.set_data(res.lrs[ok], res.smoothed[ok])
        line.set_visible(k != highlight)
    main = results[highlight]
    ok = np.isfinite(main.losses) & (main.losses > 0)
    artists["raw"].set_data(main.lrs[ok], main.losses[ok])
    ok = np.isfinite(main.smoothed)
    x, y = main.lrs[ok], main.smoothed[ok]
    artists["main"].set_data(x, y)
    for name, marker in artists["markers"].items():
        rate = (suggestions or {}).get(name)
        if rate is None or not np.isfinite(rate) or x.size == 0:
            marker.set_data([], [])
        else:
            marker.set_data([rate], [np.exp(np.interp(np.log(rate), np.log(x), np.log(y)))])
    if smallest is None or x.size == 0:
        artists["smallest"].set_data([], [])
    else:
        artists["smallest"].set_data([smallest],
                                     [np.exp(np.interp(np.log(smallest), np.log(x),
                                                       np.log(y)))])
    span = artists["window"]
    if window is not None and np.all(np.isfinite(window)):
        span.set_visible(True)
        span.set_x(window[0])
        span.set_width(window[1] - window[0])
    else:
        span.set_visible(False)
    if cliff is not None and np.isfinite(cliff):
        artists["cliff"].set_data([cliff, cliff], [0, 1])
        artists["cliff"].set_transform(artists["cliff"].axes.get_xaxis_transform())
    else:
        artists["cliff"].set_data([], [])
    return x, y


# --- network_schedules ---
# Figures of the chapter "Warmup and decay on a network" (book/network_schedules)
# and its explorer (lrtutor.widgets.ScheduleBudgetExplorer).

__all__ += ["plot_schedule_run"]


def plot_schedule_run(ax_rate, ax_val, steps, rates, epochs, runs, *, reference=None,
                      color="C0", label=None, reference_label="reference (median)"):
    r"""One schedule's rates and the validation loss it gave, over seeds.

    Left (``ax_rate``): the rate :math:`\eta_t` against the step ``steps``.
    Right (``ax_val``): the median and 10-90 % band over seeds of ``runs``
    (shape ``(len(epochs), seeds)``) against ``epochs`` on a log scale
    (:func:`plot_band`), and, if given, a ``reference`` curve (one value per
    epoch, e.g. the median of a constant rate) as a thin grey line below it.

    Returns
    -------
    (rate_line, val_line, band, reference_line) : the artists
    (``reference_line`` is None without a reference).
    """
    steps = np.asarray(steps, dtype=float)
    rates = np.asarray(rates, dtype=float)
    if rates.shape != steps.shape:
        raise ValueError(f"rates must have the shape of steps {steps.shape}, "
                         f"got {rates.shape}")
    (rate_line,) = ax_rate.plot(steps, rates, color=color, label=label)
    ax_rate.set(xlabel="step $t$", ylabel=r"rate $\eta_t$")
    ref_line = None
    if reference is not None:
        (ref_line,) = ax_val.plot(epochs, reference, color="0.6", linewidth=1,
                                  label=reference_label, zorder=1.5)
    val_line, band = plot_band(ax_val, epochs, runs, color=color, label=label)
    ax_val.set(yscale="log", xlabel="epoch", ylabel="validation loss")
    return rate_line, val_line, band, ref_line


# --- flowcharts ---

__all__ += ["plot_flowchart"]

#: Box styles of :func:`plot_flowchart` by node kind.
FLOW_STYLES = {
    "step": dict(boxstyle="round,pad=0.45", facecolor="#dbe9f6", edgecolor="#1f4e79"),
    "question": dict(boxstyle="round4,pad=0.45", facecolor="#fff2cc", edgecolor="#7f6000"),
    "end": dict(boxstyle="round,pad=0.45", facecolor="#e2f0d9", edgecolor="#38761d"),
}


_SIDES = {"top": (0.5, 1.0), "bottom": (0.5, 0.0), "left": (0.0, 0.5), "right": (1.0, 0.5)}
_LEAVE = {"top": (0, 1), "bottom": (0, -1), "left": (-1, 0), "right": (1, 0)}


def plot_flowchart(ax, nodes, edges, *, fontsize=9, margin=(0.6, 0.2)):
    """A flowchart: labelled boxes joined by arrows, for a decision procedure.

    ``nodes`` maps a name to ``(x, y, text, kind)`` in data coordinates, with
    ``kind`` one of ``"step"``, ``"question"`` (a yes/no decision) and
    ``"end"`` (see ``plotting.FLOW_STYLES``). ``edges`` is a sequence of
    ``(source, target, label, sides, connectionstyle)``: an arrow that leaves
    the source box at side ``sides[0]`` and enters the target at ``sides[1]``
    (each of ``"top"``, ``"bottom"``, ``"left"``, ``"right"``), drawn with
    matplotlib's ``connectionstyle`` (``"arc3"`` for a straight arrow,
    ``"angle,angleA=90,angleB=0"`` for an elbow, ``"arc,angleA=180,
    angleB=180,armA=30,armB=30"`` for a loop back), and an optional
    ``label`` (``"yes"``/``"no"``) just after it leaves the source. The box
    sizes are measured after a draw, so arrows start and end on the box
    edges at any font size. The axes are switched off and fitted to the boxes
    with ``margin`` (x, y) in data units to spare (room for loops). Returns ``{name: text artist}``.
    """
    if not isinstance(nodes, dict) or not nodes:
        raise ValueError("nodes must be a non-empty dict name -> (x, y, text, kind)")
    boxes = {}
    for name, node in nodes.items():
        if not isinstance(node, tuple) or len(node) != 4:
            raise ValueError(f"nodes[{name!r}] must be (x, y, text, kind), got {node!r}")
        x, y, text, kind = node
        if kind not in FLOW_STYLES:
            raise ValueError(f"nodes[{name!r}] kind must be one of {sorted(FLOW_STYLES)}, "
                             f"got {kind!r}")
        boxes[name] = ax.text(x, y, text, ha="center", va="center", fontsize=fontsize,
                              bbox=FLOW_STYLES[kind], zorder=3)
    xs = [n[0] for n in nodes.values()]
    ys = [n[1] for n in nodes.values()]
    ax.set_xlim(min(xs) - margin[0], max(xs) + margin[0])
    ax.set_ylim(min(ys) - margin[1], max(ys) + margin[1])
    ax.set_axis_off()
    for _ in range(3):                          # fit the limits to the boxes as drawn
        ax.figure.canvas.draw()                 # (box sizes need a renderer)
        to_data = ax.transData.inverted()
        corners = np.vstack([to_data.transform(b.get_bbox_patch().get_window_extent()
                                                .get_points()) for b in boxes.values()])
        ax.set_xlim(corners[:, 0].min() - margin[0], corners[:, 0].max() + margin[0])
        ax.set_ylim(corners[:, 1].min() - margin[1], corners[:, 1].max() + margin[1])
    ax.figure.canvas.draw()
    to_data = ax.transData.inverted()

    def anchor(name, side):
        if side not in _SIDES:
            raise ValueError(f"sides must be among {sorted(_SIDES)}, got {side!r}")
        ext = boxes[name].get_bbox_patch().get_window_extent()
        fx, fy = _SIDES[side]
        return to_data.transform((ext.x0 + fx * ext.width, ext.y0 + fy * ext.height))

    for edge in edges:
        if not isinstance(edge, tuple) or len(edge) != 5:
            raise ValueError("each edge must be (source, target, label, sides, "
                             f"connectionstyle), got {edge!r}")
        src, dst, label, sides, style = edge
        for end in (src, dst):
            if end not in boxes:
                raise ValueError(f"edge {edge!r} names an unknown node {end!r}")
        start, stop = anchor(src, sides[0]), anchor(dst, sides[1])
        ax.annotate("", xy=stop, xytext=start,
                    arrowprops=dict(arrowstyle="-|>", color="0.25", linewidth=1.1,
                                    connectionstyle=style, shrinkA=0, shrinkB=0),
                    annotation_clip=False, zorder=2)
        if label:                               # beside a vertical arrow, above a horizontal one
            dx, dy = _LEAVE[sides[0]]
            ax.annotate(label, start, xytext=(8 * dx + (6 if dy else 0), 8 * dy + (0 if dy else 3)),
                        textcoords="offset points", ha="right" if dx < 0 else "left",
                        va="bottom" if not dy else ("top" if dy < 0 else "bottom"),
                        fontsize=fontsize - 1, style="italic", color="0.2",
                        annotation_clip=False)
    return boxes
