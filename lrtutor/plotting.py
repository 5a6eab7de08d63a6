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
    seen = ~np.all(np.isnan(values), axis=-1)
    med = np.full(x.shape, np.nan)
    low, high = med.copy(), med.copy()
    if seen.any():
        med[seen] = np.nanmedian(values[seen], axis=-1)
        low[seen], high[seen] = np.nanpercentile(values[seen], quantiles, axis=-1)
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
