r"""Choosing a learning rate: log-scale search and the LR range test.

- :func:`log_grid` and :func:`log_uniform`: candidate rates spaced evenly in
  :math:`\log\eta` (a grid, or random draws), because the effect of the rate
  is multiplicative (erratum E004-7: ``linspace`` wastes the grid);
- :func:`best_on_grid` and :func:`zoom_grid`: the boundary check and the
  coarse-to-fine step of a grid search;
- :func:`range_test`: Smith's LR range test as fastai's ``lr_find`` runs it
  (exponential sweep, smoothed loss, stop on divergence), returning a
  :class:`RangeTestResult`;
- :func:`suggest_valley`, :func:`suggest_slide`, :func:`suggest_minimum`,
  :func:`suggest_steep`: fastai's four suggestion rules, line for line.

The suggestions are heuristics that read a rate off a noisy curve; chapter
"Choosing a learning rate" shows how they compare with the optimal rate of a
problem where it is known.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lrtutor._validate import (check_array, check_bool, check_int, check_optimizer,
                               check_problem, check_real)

__all__ = [
    "log_grid",
    "log_uniform",
    "best_on_grid",
    "zoom_grid",
    "ExponentialSweep",
    "smooth_losses",
    "RangeTestResult",
    "range_test",
    "suggestion_window",
    "suggest_valley",
    "suggest_slide",
    "suggest_minimum",
    "suggest_steep",
    "SUGGESTIONS",
]


def _check_bounds(low, high):
    low = check_real("low", low, low=0, low_op=">")
    high = check_real("high", high, low=low, low_op=">", low_name="low")
    return low, high


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator "
                        f"(e.g. np.random.default_rng(0)), got {type(rng).__name__}")
    return rng


# --------------------------------------------------------------------------
# Log-scale search
# --------------------------------------------------------------------------

def log_grid(low, high, num):
    r"""``num`` rates from ``low`` to ``high``, evenly spaced in :math:`\log\eta`.

    .. math:: \eta_k = \eta_{\mathrm{lo}}\,
              \Big(\frac{\eta_{\mathrm{hi}}}{\eta_{\mathrm{lo}}}\Big)^{k/(K-1)},
              \qquad k = 0, \dots, K-1,

    where :math:`\eta_{\mathrm{lo}}` is ``low``, :math:`\eta_{\mathrm{hi}}` is
    ``high`` and :math:`K` is ``num``. Successive rates differ by the same
    *factor*, so every decade gets the same number of candidates.

    Parameters
    ----------
    low : float > 0
    high : float > low
    num : int >= 2

    Returns
    -------
    ndarray, shape (num,)
        Starts exactly at ``low`` and ends exactly at ``high``.

    Notes
    -----
    ``np.linspace(1e-4, 1, 5)`` gives 0.0001, 0.25, 0.5, 0.75, 1: four of five
    candidates in the top quarter of one decade and none in the three decades
    below (erratum E004-7). This is ``np.geomspace``.

    Examples
    --------
    >>> log_grid(1e-4, 1.0, 5).tolist()
    [0.0001, 0.001, 0.01, 0.1, 1.0]
    """
    low, high = _check_bounds(low, high)
    num = check_int("num", num, low=2)
    return np.geomspace(low, high, num)


def log_uniform(low, high, size, rng):
    r"""Random rates whose logarithm is uniform on :math:`[\log\eta_{lo}, \log\eta_{hi})`.

    .. math:: \eta = \eta_{\mathrm{lo}}\,\Big(\frac{\eta_{\mathrm{hi}}}{\eta_{\mathrm{lo}}}\Big)^{u},
              \qquad u \sim U[0, 1),

    where :math:`\eta_{\mathrm{lo}}` is ``low`` and :math:`\eta_{\mathrm{hi}}`
    is ``high``; the :math:`u` are ``rng.random(size)``. Each decade of the
    range receives the same expected number of draws (Bergstra & Bengio 2012
    sample rates this way; Optuna's ``suggest_float(..., log=True)`` too).

    Parameters
    ----------
    low : float > 0
    high : float > low
    size : int >= 1
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (size,)

    Examples
    --------
    >>> r = log_uniform(1e-4, 1.0, 1000, np.random.default_rng(0))
    >>> bool(r.min() >= 1e-4 and r.max() < 1.0)
    True
    >>> np.histogram(np.log10(r), bins=4, range=(-4, 0))[0].tolist()
    [231, 242, 260, 267]
    """
    low, high = _check_bounds(low, high)
    size = check_int("size", size, low=1)
    u = _check_rng(rng).random(size)
    return low * (high / low) ** u


def _scores(rates, scores):
    rates = check_array("rates", rates, ndim=1, low=0, low_op=">")
    if rates.size < 2 or np.any(np.diff(rates) <= 0):
        raise ValueError("rates must be a 1-D array of at least 2 strictly "
                         "increasing rates > 0")
    scores = check_array("scores", scores, shape=(rates.size,), finite=False)
    if not np.any(np.isfinite(scores)):
        raise ValueError("scores must have at least one finite entry")
    return rates, np.where(np.isfinite(scores), scores, np.inf)


def best_on_grid(rates, scores):
    r"""The best rate of a grid search, and whether it sits on the grid's edge.

    .. math:: k^\star = \arg\min_k s_k, \qquad
              \text{edge} = \begin{cases} \text{"low"} & k^\star = 0 \\
              \text{"high"} & k^\star = K-1 \\ \text{None} & \text{otherwise,}\end{cases}

    where :math:`s_k` is ``scores[k]``, the loss (lower is better) reached
    with rate ``rates[k]``. A non-finite score (a run that diverged) counts as
    :math:`+\infty`. A best rate on the edge means the optimum may lie outside
    the grid: extend the grid in that direction before trusting it.

    Parameters
    ----------
    rates : array_like, shape (K,)
        At least 2 strictly increasing rates > 0.
    scores : array_like, shape (K,)
        At least one finite.

    Returns
    -------
    (float, str or None)
        The best rate and ``"low"``, ``"high"`` or ``None``.

    Examples
    --------
    >>> best_on_grid([0.01, 0.1, 1.0], [3.0, 2.0, float("nan")])
    (0.1, None)
    >>> best_on_grid([0.01, 0.1, 1.0], [3.0, 2.0, 1.0])
    (1.0, 'high')
    """
    rates, scores = _scores(rates, scores)
    k = int(np.argmin(scores))
    edge = "low" if k == 0 else "high" if k == rates.size - 1 else None
    return float(rates[k]), edge


def zoom_grid(rates, scores, num):
    r"""A finer log grid around the best rate of a coarse one (coarse-to-fine search).

    .. math:: [\eta_{\mathrm{lo}}, \eta_{\mathrm{hi}}] =
              [\eta_{k^\star}/r,\ \eta_{k^\star}\, r]
              \quad\text{with}\quad r = \text{the grid ratio at } k^\star,

    where :math:`k^\star` is the best index of :func:`best_on_grid`: the new
    grid spans the two neighbours of the best rate. If the best rate is on the
    edge, the new grid is extended past it by the same ratio, so a repeated
    zoom walks towards an optimum outside the original range.

    Parameters
    ----------
    rates, scores : as in :func:`best_on_grid`
    num : int >= 2

    Returns
    -------
    ndarray, shape (num,)
        :func:`log_grid` over the new interval.

    Examples
    --------
    >>> zoom_grid([0.001, 0.01, 0.1, 1.0], [4.0, 2.0, 3.0, 9.0], 3).tolist()
    [0.001, 0.01, 0.1]
    >>> zoom_grid([0.001, 0.01, 0.1], [4.0, 3.0, 2.0], 3).round(6).tolist()
    [0.01, 0.1, 1.0]
    """
    rates, scores = _scores(rates, scores)
    num = check_int("num", num, low=2)
    k = int(np.argmin(scores))
    left = rates[k - 1] if k > 0 else rates[0] ** 2 / rates[1]
    right = rates[k + 1] if k < rates.size - 1 else rates[-1] ** 2 / rates[-2]
    return log_grid(float(left), float(right), num)


# --------------------------------------------------------------------------
# The LR range test
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ExponentialSweep:
    r"""The range test's schedule: the rate grows by a constant factor per step.

    .. math:: \eta_i = \eta_{\mathrm{start}}
              \Big(\frac{\eta_{\mathrm{end}}}{\eta_{\mathrm{start}}}\Big)^{i/N},
              \qquad i = 0, 1, \dots

    where :math:`\eta_{\mathrm{start}}` is ``start_lr`` (> 0),
    :math:`\eta_{\mathrm{end}}` is ``end_lr`` (> ``start_lr``), :math:`N` is
    ``num_it`` (an int >= 1) and :math:`i` the number of updates already applied.

    Parameters
    ----------
    start_lr : float > 0
        :math:`\eta_{\mathrm{start}}`, the rate of the first update.
    end_lr : float > start_lr
        :math:`\eta_{\mathrm{end}}`.
    num_it : int >= 1
        :math:`N`.

    Notes
    -----
    This is fastai's ``SchedExp(start_lr, end_lr)`` evaluated at
    ``train_iter / num_it`` by ``LRFinder``: the last of the ``N`` updates
    uses :math:`i = N-1`, so ``end_lr`` itself is never used.

    Examples
    --------
    >>> s = ExponentialSweep(1e-7, 10.0, 100)
    >>> [f"{s(i):.0e}" for i in (0, 25, 50)]
    ['1e-07', '1e-05', '1e-03']
    """
    start_lr: float
    end_lr: float
    num_it: int

    def __post_init__(self):
        start = check_real("start_lr", self.start_lr, low=0, low_op=">")
        end = check_real("end_lr", self.end_lr, low=start, low_op=">",
                         low_name="start_lr")
        object.__setattr__(self, "start_lr", start)
        object.__setattr__(self, "end_lr", end)
        object.__setattr__(self, "num_it", check_int("num_it", self.num_it, low=1))

    def __call__(self, t):
        from lrtutor.schedules._core import _as_steps    # the schedules' own check of t
        t, _ = _as_steps(t)
        with np.errstate(over="ignore"):
            out = self.start_lr * (self.end_lr / self.start_lr) ** (t / self.num_it)
        if not np.all(np.isfinite(out)):
            first = int(np.asarray(t).flat[np.flatnonzero(~np.isfinite(out))[0]])
            raise ValueError(f"t = {first} is past the sweep's end (num_it = "
                             f"{self.num_it}): its rate overflows float64")
        return float(out) if out.ndim == 0 else out


def smooth_losses(losses, beta=0.98):
    r"""Exponential moving average of a loss sequence, debiased (fastai's ``AvgSmoothLoss``).

    .. math:: a_i = \beta\,a_{i-1} + (1-\beta)\,\ell_i,\quad a_{-1} = 0, \qquad
              \bar\ell_i = \frac{a_i}{1 - \beta^{\,i+1}}, \qquad i = 0, 1, \dots

    where :math:`\ell_i` is ``losses[i]`` (the loss at the range test's rate
    :math:`\eta_i`, counted from 0 as in :func:`range_test`) and :math:`\beta`
    is ``beta``. Without the division by :math:`1-\beta^{i+1}` the average
    would start near 0 (the :math:`a_{-1} = 0` start), just like Adam's moments
    before bias correction; with it, :math:`\bar\ell_0 = \ell_0`.

    Parameters
    ----------
    losses : array_like, shape (n,)
        May contain inf or NaN (they propagate).
    beta : float, 0 <= beta < 1

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> smooth_losses([1.0, 2.0, 3.0], beta=0.5).round(6).tolist()   # 1, 5/3, 17/7
    [1.0, 1.666667, 2.428571]
    """
    losses = check_array("losses", losses, ndim=1, finite=False)
    beta = check_real("beta", beta, low=0, high=1, high_op="<")
    out = np.empty_like(losses)
    avg = 0.0
    with np.errstate(all="ignore"):
        for i, loss in enumerate(losses):
            avg = beta * avg + (1 - beta) * loss
            out[i] = avg / (1 - beta ** (i + 1))
    return out


@dataclass(frozen=True)
class RangeTestResult:
    r"""What an LR range test recorded, one entry per update it made.

    Attributes
    ----------
    lrs : ndarray, shape (m,)
        The rate :math:`\eta_i` of update ``i`` (increasing).
    losses : ndarray, shape (m,)
        The raw loss :math:`\ell_i = f_{B_i}(\theta_i)` before update ``i``
        (the mini-batch loss for a stochastic test).
    smoothed : ndarray, shape (m,)
        :func:`smooth_losses` of ``losses``.
    stopped_at : int
        The update ``i`` after which the divergence rule stopped the test
        (then ``m = stopped_at + 1``), or ``-1`` if all ``num_it`` ran.
    num_it : int
        The number of updates asked for (the suggestion window depends on it).
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stopped_at: int
    num_it: int

    def __post_init__(self):
        lrs = check_array("lrs", self.lrs, ndim=1, low=0, low_op=">")
        m = lrs.size
        if m == 0 or np.any(np.diff(lrs) <= 0):
            raise ValueError("lrs must be a non-empty 1-D array of strictly "
                             "increasing rates > 0")
        losses = check_array("losses", self.losses, shape=(m,), finite=False)
        smoothed = check_array("smoothed", self.smoothed, shape=(m,), finite=False)
        num_it = check_int("num_it", self.num_it, low=m)
        stopped_at = check_int("stopped_at", self.stopped_at, low=-1)
        if stopped_at not in (-1, m - 1):
            raise ValueError(f"stopped_at must be -1 or {m - 1} (the last "
                             f"recorded update), got {stopped_at}")
        for name, arr in (("lrs", lrs), ("losses", losses), ("smoothed", smoothed)):
            arr = arr.copy()
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "num_it", num_it)
        object.__setattr__(self, "stopped_at", stopped_at)

    def __repr__(self):
        stop = "ran to the end" if self.stopped_at < 0 else f"stopped at {self.stopped_at}"
        return (f"RangeTestResult(updates={self.lrs.size}, lrs {self.lrs[0]:.1e}.."
                f"{self.lrs[-1]:.1e}, {stop})")


def range_test(problem, optimizer, x0, start_lr=1e-7, end_lr=10, num_it=100,
               rng=None, batch_size=None, beta=0.98, stop_div=True):
    r"""Smith's LR range test, as fastai's ``Learner.lr_find`` runs it.

    Starting from ``x0``, make up to :math:`N` updates with exponentially
    growing rates and record the loss seen by each:

    .. math::

        \eta_i = \eta_{\mathrm{start}}\Big(\frac{\eta_{\mathrm{end}}}{\eta_{\mathrm{start}}}\Big)^{i/N},
        \qquad \ell_i = f_{B_i}(\theta_i), \qquad
        \theta_{i+1} = \mathrm{update}(\theta_i, \nabla f_{B_i}(\theta_i);\ \eta_i),

    with the smoothed loss :math:`\bar\ell_i` of :func:`smooth_losses`. With
    ``stop_div`` the test stops after the first update whose smoothed loss
    exceeds four times the best smoothed loss so far,
    :math:`\bar\ell_i > 4 \min_{j \le i} \bar\ell_j` (that update is recorded).

    Here :math:`\eta_{\mathrm{start}}` is ``start_lr``, :math:`\eta_{\mathrm{end}}`
    is ``end_lr``, :math:`N` is ``num_it``, :math:`B_i` is all rows
    (``batch_size=None``) or a mini-batch drawn with ``rng``.

    Parameters
    ----------
    problem : a problem of :mod:`lrtutor.problems`
    optimizer : an optimizer of :mod:`lrtutor.optim`
        Its ``lr`` is replaced by :class:`ExponentialSweep`; its other
        hyperparameters (momentum, betas, ...) are used as given.
    x0 : array_like, shape (d,)
    start_lr : float > 0
    end_lr : float > start_lr
    num_it : int >= 6
    rng : numpy.random.Generator, optional
        Required with ``batch_size``.
    batch_size : int, 1 <= batch_size <= problem.n, optional
        Mini-batch size for a data-set problem; ``None`` is full batch.
    beta : float in [0, 1)
        Smoothing of the recorded loss.
    stop_div : bool

    Returns
    -------
    RangeTestResult

    Raises
    ------
    ValueError, TypeError
        For arguments out of range or of the wrong kind.

    Notes
    -----
    Differences from fastai, none of which changes a finite run: fastai
    silently raises ``num_it < 6`` to 6 (here an error); with ``stop_div`` a
    non-finite smoothed loss also stops the test (fastai's ``>`` test is
    false for NaN, so it would carry on); nothing needs restoring afterwards
    because ``x0`` is never modified (fastai saves and reloads the model).
    Chapter "Choosing a learning rate".

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> from lrtutor.optim import SGD
    >>> res = range_test(Quadratic.one_d(1.0), SGD(lr=1.0), [1.0], 1e-4, 100.0)
    >>> res.stopped_at, f"{res.lrs[res.stopped_at]:.1f}"   # stable only below 2
    (87, '16.6')
    """
    check_problem("problem", problem)
    check_optimizer("optimizer", optimizer)
    x = check_array("x0", x0, ndim=1)
    sweep = ExponentialSweep(start_lr, end_lr, check_int("num_it", num_it, low=6))
    beta = check_real("beta", beta, low=0, high=1, high_op="<")
    stop_div = check_bool("stop_div", stop_div)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, low=1)
        if not hasattr(problem, "batch_grad"):
            raise TypeError("batch_size needs a data-set problem (with batch_grad), "
                            f"got {type(problem).__name__}")
        batch_size = check_int("batch_size", batch_size, low=1, high=problem.n,
                               high_name="the number of rows n")
        _check_rng(rng)
    opt = dataclasses.replace(optimizer, lr=sweep)
    state = opt.init(x)
    lrs, losses, smoothed = [], [], []
    avg, best, stopped_at = 0.0, np.inf, -1
    with np.errstate(all="ignore"):
        for i in range(sweep.num_it):
            if batch_size is None:
                loss, g = float(problem.loss(x)), problem.grad(x)
            else:
                idx = rng.choice(problem.n, size=batch_size, replace=False)
                loss = float(problem.batch_loss(x, idx))
                g = problem.batch_grad(x, idx)
            avg = beta * avg + (1 - beta) * loss
            smooth = avg / (1 - beta ** (i + 1))
            lrs.append(sweep(i))
            losses.append(loss)
            smoothed.append(smooth)
            x, state = opt.update(g, state, x)
            best = min(best, smooth)
            if stop_div and (not np.isfinite(smooth) or smooth > 4 * best):
                stopped_at = i
                break
    return RangeTestResult(lrs=np.array(lrs), losses=np.array(losses),
                           smoothed=np.array(smoothed), stopped_at=stopped_at,
                           num_it=sweep.num_it)


# --------------------------------------------------------------------------
# Suggestions (fastai's four rules)
# --------------------------------------------------------------------------

def suggestion_window(result):
    r"""The part of a range test the suggestion rules look at.

    .. math:: (\eta_i, \bar\ell_i), \qquad \lfloor N/10 \rfloor \le i < m - 5,
              \ \text{cut before the first non-finite } \bar\ell_i,

    where :math:`N` is ``result.num_it`` and :math:`m` the number of recorded
    updates: fastai's ``lrs[num_it//10:-5]``, dropping the noisy start and the
    last five (diverging) points.

    Parameters
    ----------
    result : RangeTestResult
        A range test's record (:func:`range_test`).

    Returns
    -------
    (ndarray, ndarray)
        Rates and smoothed losses; possibly empty.

    Notes
    -----
    fastai truncates at the first NaN (fastai PR #3477); here infinity
    truncates too, since no rule can use it.
    """
    if not isinstance(result, RangeTestResult):
        raise TypeError(f"result must be a RangeTestResult, got {type(result).__name__}")
    lrs = result.lrs[result.num_it // 10:-5]
    losses = result.smoothed[result.num_it // 10:-5]
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        lrs, losses = lrs[:bad[0]], losses[:bad[0]]
    return lrs, losses


def _window(result, need):
    lrs, losses = suggestion_window(result)
    if lrs.size < need:
        raise ValueError(f"result must leave at least {need} finite points in the "
                         f"suggestion window (lrs[num_it//10:-5]), got {lrs.size}; "
                         "run the test longer or over a wider range")
    return lrs, losses


def suggest_valley(result):
    r"""fastai's default rule: a point about halfway down the longest valley.

    Let :math:`D_i` be the length of the longest strictly decreasing
    subsequence of the windowed losses that ends at index :math:`i`, let
    :math:`e` be the first index with the largest :math:`D_e = D`, and
    :math:`s = e - D`. The suggestion is the rate at

    .. math:: k = s + \lfloor D/3 \rfloor + \lfloor D/6 \rfloor .

    Parameters
    ----------
    result : RangeTestResult
        A range test's record (:func:`range_test`).

    Returns
    -------
    float

    Notes
    -----
    A port of fastai's ``valley`` (an :math:`O(n^2)` dynamic programme). For
    :math:`D = 2` with the valley at the very start, :math:`k = -1`, which
    fastai reads as the *last* rate of the window; here it becomes 0.

    Examples
    --------
    >>> r = RangeTestResult(lrs=np.geomspace(1e-3, 1, 12), losses=np.zeros(12),
    ...     smoothed=[5, 9, 8, 7, 6, 5, 4, 8, 9, 9, 9, 9], stopped_at=-1, num_it=12)
    >>> f"{suggest_valley(r):.4f}"       # window 9, 8, 7, 6, 5, 4: index -1 + 2 + 1
    '0.0066'
    """
    lrs, losses = _window(result, 1)
    n = losses.size
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max(max_start + int(sections) + int(sections / 2), 0)
    return float(lrs[idx])


def suggest_slide(result, lr_diff=15, thresh=0.005, adjust_value=1.0):
    r"""fastai's interval-slide rule: walk left from the end until the slope settles.

    With :math:`g = \texttt{np.gradient}(\bar\ell)` (slope per index), start
    with :math:`r = n-1`, :math:`l = r - \Delta` and, while :math:`l \ge 0`
    and :math:`|g_r - g_l| > \tau`, take :math:`\eta_l` as the candidate and
    move both one step left. The suggestion is ``adjust_value`` times the last
    candidate (or :math:`\eta_{n-1-\Delta}` if the loop never runs).

    Here :math:`\Delta` is ``lr_diff`` and :math:`\tau` is ``thresh``, an
    *absolute* slope difference: the rule depends on the scale of the loss.

    Parameters
    ----------
    result : RangeTestResult
        A range test's record (:func:`range_test`).
    lr_diff : int >= 1, default 15
        :math:`\Delta`, fastai's ``lr_diff``.
    thresh : float >= 0, default 0.005
        :math:`\tau`, fastai's ``thresh``.
    adjust_value : float > 0, default 1.0
        The factor applied to the candidate, fastai's ``adjust_value``.

    Returns
    -------
    float

    Examples
    --------
    >>> k = np.arange(30)
    >>> window = np.where(k <= 24, 1 - 0.01 * k, 0.76 + 0.1 * (k - 24))
    >>> loss = np.r_[[2.0, 2.0, 2.0], window, [9.0] * 5]   # 38 = 3 + 30 + 5
    >>> r = RangeTestResult(lrs=np.arange(1.0, 39.0), losses=loss, smoothed=loss,
    ...                     stopped_at=-1, num_it=38)
    >>> suggest_slide(r)       # the walk stops at window index 9, rate 4 + 9
    13.0
    """
    lr_diff = check_int("lr_diff", lr_diff, low=1)
    thresh = check_real("thresh", thresh, low=0)
    adjust_value = check_real("adjust_value", adjust_value, low=0, low_op=">")
    lrs, losses = _window(result, lr_diff + 1)
    grad = np.gradient(losses)
    n = losses.size
    r, l = n - 1, n - 1 - lr_diff
    candidate = lrs[l]
    while l >= 0 and abs(grad[r] - grad[l]) > thresh:
        candidate = lrs[l]
        r -= 1
        l -= 1
    return float(candidate) * adjust_value


def suggest_minimum(result):
    r"""One tenth of the rate with the lowest smoothed loss.

    .. math:: \eta = \eta_{k}/10, \qquad k = \arg\min_i \bar\ell_i

    over the window of :func:`suggestion_window`.

    Parameters
    ----------
    result : RangeTestResult
        A range test's record (:func:`range_test`).

    Examples
    --------
    >>> r = RangeTestResult(lrs=np.arange(1.0, 9.0), losses=np.zeros(8),
    ...     smoothed=[3, 2, 1, 2, 9, 9, 9, 9], stopped_at=-1, num_it=8)
    >>> suggest_minimum(r)               # window [3, 2, 1]: argmin at rate 3
    0.3
    """
    lrs, losses = _window(result, 1)
    return float(lrs[int(np.argmin(losses))]) / 10


def suggest_steep(result):
    r"""The rate where the smoothed loss falls fastest per unit of :math:`\log\eta`.

    .. math:: \eta = \eta_{k}, \qquad
              k = \arg\min_i \frac{\bar\ell_{i+1} - \bar\ell_i}{\log\eta_{i+1} - \log\eta_i}

    (the left end of the steepest segment of the window).

    Parameters
    ----------
    result : RangeTestResult
        A range test's record (:func:`range_test`).

    Examples
    --------
    >>> r = RangeTestResult(lrs=10.0 ** np.arange(9), losses=np.zeros(9),
    ...     smoothed=[1, 0.9, 0.5, 0.4, 9, 9, 9, 9, 9], stopped_at=-1, num_it=9)
    >>> suggest_steep(r)                 # window [1, 0.9, 0.5, 0.4]: steepest 0.9 -> 0.5
    10.0
    """
    lrs, losses = _window(result, 2)
    slopes = np.diff(losses) / np.diff(np.log(lrs))
    return float(lrs[int(np.argmin(slopes))])


#: The four rules by fastai's names, in fastai's order.
SUGGESTIONS = {"valley": suggest_valley, "slide": suggest_slide,
               "minimum": suggest_minimum, "steep": suggest_steep}


# --------------------------------------------------------------------------
# Stability limits and the Tuning Playbook's warmup protocol
# --------------------------------------------------------------------------

__all__ += ["largest_stable_rate", "WarmupProtocolResult", "warmup_protocol"]


def largest_stable_rate(lrs, losses, threshold):
    r"""The largest rate of a grid whose run trains: a finite loss below a threshold.

    .. math:: \hat\eta = \max\,\{\eta_i :\ f_i \text{ finite and } f_i < \tau\},

    where :math:`\eta_i` is ``lrs[i]``, :math:`f_i` is ``losses[i]``, the loss
    its run ended at (NaN or infinity for a run that diverged), and
    :math:`\tau` is ``threshold``. When no rate qualifies, :math:`\hat\eta`
    is 0: the limit lies below the whole grid. Trailing axes of ``losses``
    (seeds, settings) are kept, so one call gives one :math:`\hat\eta` per
    seed.

    Parameters
    ----------
    lrs : array_like, shape (R,)
        At least 2 strictly increasing rates > 0.
    losses : array_like, shape (R, ...)
        The final loss of each rate's run; NaN or inf marks a divergence.
    threshold : float
        :math:`\tau`: a run *trains* when its final loss is below it.

    Returns
    -------
    float or ndarray of shape (...)
        :math:`\hat\eta`, or 0.0 where no rate of the grid trains.

    Raises
    ------
    ValueError, TypeError
        For ``lrs`` that are not increasing and positive, ``losses`` whose
        first axis does not match ``lrs``, or a non-finite ``threshold``.

    Notes
    -----
    The rates above :math:`\hat\eta` need not all fail (a noisy run can
    train at a larger rate after failing at a smaller one); the maximum
    counts any success. The next grid rate above :math:`\hat\eta` is the
    smallest rate found to fail: what the Deep Learning Tuning Playbook
    calls ``unstable_base_learning_rate`` and the starting point of its
    warmup protocol (:func:`warmup_protocol`). Chapter "Warmup and decay on a
    network".

    Examples
    --------
    >>> largest_stable_rate([0.1, 0.2, 0.4, 0.8], [0.5, 0.3, 0.9, np.nan], 0.6)
    0.2
    >>> largest_stable_rate([0.1, 0.2, 0.4], [[0.5, 0.7], [0.3, 0.9],
    ...                                       [0.9, 0.4]], 0.6).tolist()
    [0.2, 0.4]
    """
    rates = check_array("lrs", lrs, ndim=1, low=0, low_op=">")
    if rates.size < 2 or np.any(np.diff(rates) <= 0):
        raise ValueError("lrs must be a 1-D array of at least 2 strictly "
                         f"increasing rates > 0, got {rates!r}")
    f = check_array("losses", losses, finite=False)
    if f.ndim < 1 or f.shape[0] != rates.size:
        raise ValueError(f"losses must have shape ({rates.size}, ...) to match lrs, "
                         f"got {f.shape}")
    threshold = check_real("threshold", threshold)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(f) & (f < threshold)
    grid = rates.reshape((-1,) + (1,) * (f.ndim - 1))
    out = np.max(np.where(ok, grid, 0.0), axis=0)          # 0 where none trains
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class WarmupProtocolResult:
    r"""What :func:`warmup_protocol` measured.

    Attributes
    ----------
    peak_lrs : ndarray, shape (P,)
        The peak rates :math:`\eta` tried.
    warmups : ndarray of int, shape (K,)
        The warmup lengths :math:`W`, increasing.
    hold : int
        :math:`h`: each run makes :math:`(1+h)W` updates.
    threshold : float
        :math:`\tau`: a run is stable when it did not diverge and its loss
        after :math:`(1+h)W` updates is below it.
    losses : ndarray, shape (P, K, S)
        That final full loss per peak, warmup and seed (NaN if diverged).
    stable : ndarray of bool, shape (P, K, S)
    min_fraction : float
        :math:`q`: the share of seeds that must be stable.
    shortest : tuple of (int or None), length P
        The protocol's answer per peak: the shortest :math:`W` with a share
        of stable seeds of at least :math:`q`, or ``None`` if no :math:`W`
        of the grid qualifies.
    """

    peak_lrs: np.ndarray
    warmups: np.ndarray
    hold: int
    threshold: float
    losses: np.ndarray
    stable: np.ndarray
    min_fraction: float
    shortest: tuple

    def __post_init__(self):
        peaks = check_array("peak_lrs", self.peak_lrs, ndim=1, low=0, low_op=">")
        if isinstance(self.warmups, (str, bytes)) or np.ndim(self.warmups) != 1:
            raise ValueError(f"warmups must be a 1-D sequence of integers >= 1, "
                             f"got {self.warmups!r}")
        warm = [check_int(f"warmups[{k}]", w, low=1) for k, w in enumerate(self.warmups)]
        if not peaks.size or not warm or any(b <= a for a, b in zip(warm, warm[1:])):
            raise ValueError("peak_lrs and warmups must be non-empty and warmups strictly "
                             f"increasing, got {peaks.size} peaks and warmups {warm}")
        P, K = peaks.size, len(warm)
        losses = check_array("losses", self.losses, ndim=3, finite=False)
        if losses.shape[:2] != (P, K) or losses.shape[2] == 0:
            raise ValueError(f"losses must have shape ({P}, {K}, S) to match peak_lrs and "
                             f"warmups, got {losses.shape}")
        stable = np.asarray(self.stable)
        if stable.dtype != bool or stable.shape != losses.shape:
            raise ValueError(f"stable must be a boolean array of shape {losses.shape}, "
                             f"got {stable.dtype} of shape {stable.shape}")
        shortest = self.shortest
        if not isinstance(shortest, tuple) or len(shortest) != P or any(
                w is not None and w not in warm for w in shortest):
            raise ValueError(f"shortest must be a tuple of {P} entries, each None or one "
                             f"of warmups {warm}, got {shortest!r}")
        warm = np.array(warm, dtype=np.int64)
        for name, arr in (("peak_lrs", peaks), ("warmups", warm), ("losses", losses),
                          ("stable", stable)):
            arr = arr.copy()
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "hold", check_int("hold", self.hold, low=0))
        object.__setattr__(self, "threshold", check_real("threshold", self.threshold))
        object.__setattr__(self, "min_fraction", check_real(
            "min_fraction", self.min_fraction, low=0, high=1, low_op=">"))

    def __repr__(self):
        pairs = ", ".join(f"{eta:.3g}: {w}" for eta, w in zip(self.peak_lrs, self.shortest))
        return (f"WarmupProtocolResult(warmups={self.warmups.tolist()}, hold={self.hold}, "
                f"shortest W per peak {{{pairs}}})")


def warmup_protocol(problem, optimizer, x0, peak_lrs, warmups, threshold, *, hold=2,
                    min_fraction=1.0, rng=None, batch_size=None, **options):
    r"""The Deep Learning Tuning Playbook's protocol for the warmup length, run.

    For every peak rate :math:`\eta` of ``peak_lrs``, every warmup length
    :math:`W` of ``warmups`` and every starting point (seed) of ``x0``, train
    for :math:`(1+h)W` updates with a linear ramp from 0 followed by a hold
    at the peak,

    .. math:: \eta_t = \begin{cases} \eta\, t/W & 0 \le t < W \\
                                     \eta & W \le t < (1+h)W, \end{cases}

    and call the run *stable* when it did not diverge and its full loss
    :math:`f(\theta_{(1+h)W})` is below :math:`\tau`. The protocol's answer
    for :math:`\eta` is the shortest warmup with which a share of at least
    :math:`q` of the :math:`S` seeds is stable:

    .. math:: W^\star(\eta) = \min\Big\{W :\ \frac1S \sum_{s=1}^{S}
              \mathbb 1\big[\text{run } (\eta, W, s) \text{ stable}\big]
              \ge q\Big\},

    where :math:`h` is ``hold``, :math:`\tau` is ``threshold`` and :math:`q`
    is ``min_fraction``. The schedule is
    ``lrtutor.schedules.Warmup(Constant(eta), W)``; each :math:`W` is one
    call of :func:`lrtutor.train.sweep_schedules` that runs every peak and
    seed at once (:math:`P S` networks per call).

    Parameters
    ----------
    problem : a problem of :mod:`lrtutor.problems` or :mod:`lrtutor.network`
    optimizer : an optimizer of :mod:`lrtutor.optim`
        Its ``lr`` is replaced by the warmup schedules.
    x0 : array_like, shape (S, d)
        One starting point per seed.
    peak_lrs : array_like, shape (P,)
        Peak rates > 0. The Playbook's choice is ten times
        ``unstable_base_learning_rate``, the smallest rate at which training
        without warmup fails (see :func:`largest_stable_rate`).
    warmups : sequence of int, strictly increasing, each >= 1
        The Playbook sweeps :math:`W` over orders of magnitude, the largest
        at most a tenth of the training budget.
    threshold : float
        :math:`\tau`.
    hold : int >= 0
        :math:`h`; the Playbook's default is 2 (``post_warmup_steps =
        2 * warmup_steps``).
    min_fraction : float in (0, 1]
        :math:`q`; 1 asks every seed to be stable.
    rng : sequence of S numpy.random.Generator, optional
        Required with ``batch_size``: each seed's batch order (copied, so
        every run of a seed sees the same batches).
    batch_size : int, optional
        Mini-batch size; ``None`` is full batch.
    **options
        Further options of :func:`lrtutor.train.run` (``sampling``,
        ``clip_norm``...). ``record_every`` defaults to :math:`(1+h)W`: only
        the start and the end are evaluated on the full data.

    Returns
    -------
    WarmupProtocolResult

    Raises
    ------
    ValueError, TypeError
        For arguments out of range or of the wrong kind (the message names
        the parameter), and as :func:`lrtutor.train.sweep_schedules` does.

    Notes
    -----
    A short run can miss :math:`\tau` because it is short, not because it
    is unstable: include a peak that trains without warmup as a control,
    which shows from which :math:`W` on the criterion can be met at all.
    The criterion is a finite-time one: on a quadratic, whose curvature never
    changes, every step of the hold at a peak above :math:`2/L` multiplies
    the error by :math:`|1-\eta L| > 1`, so a long enough hold fails for
    every :math:`W`, yet the Playbook's :math:`h = 2` can pass because the
    ramp's contraction has not been undone yet. Warmup truly helps only
    where the sharpness falls during the ramp. Chapter "Warmup and decay on
    a network".

    References
    ----------
    Godbole, Dahl, Gilmer, Shallue and Nado (2023), *Deep Learning Tuning
    Playbook*, "How to apply learning rate warmup".

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> from lrtutor.optim import SGD
    >>> res = warmup_protocol(Quadratic.one_d(1.0), SGD(lr=1.0), [[1.0]],
    ...                       [1.0, 2.5], [2, 8], threshold=0.5)
    >>> res.shortest             # 2.5 > 2/L: no warmup makes it stable
    (2, None)
    >>> res.losses[1, :, 0].round(3).tolist()   # x_6 = -1.5**4 / 4, x_24 = 1.546
    [0.801, 1.196]
    """
    from lrtutor.schedules import Constant, Warmup
    from lrtutor.train import sweep_schedules

    check_problem("problem", problem)
    check_optimizer("optimizer", optimizer)
    peaks = check_array("peak_lrs", peak_lrs, ndim=1, low=0, low_op=">")
    if peaks.size == 0:
        raise ValueError("peak_lrs must contain at least one rate > 0")
    if isinstance(warmups, (str, bytes)) or np.ndim(warmups) != 1 or len(warmups) == 0:
        raise ValueError("warmups must be a non-empty 1-D sequence of integers >= 1, "
                         f"got {warmups!r}")
    lengths = [check_int(f"warmups[{k}]", w, low=1) for k, w in enumerate(warmups)]
    if any(b <= a for a, b in zip(lengths, lengths[1:])):
        raise ValueError(f"warmups must be strictly increasing, got {lengths}")
    threshold = check_real("threshold", threshold)
    hold = check_int("hold", hold, low=0)
    min_fraction = check_real("min_fraction", min_fraction, low=0, high=1, low_op=">")
    starts = check_array("x0", x0, ndim=2)
    P, K, S = peaks.size, len(lengths), starts.shape[0]
    losses = np.full((P, K, S), np.nan)
    stable = np.zeros((P, K, S), dtype=bool)
    for k, W in enumerate(lengths):
        steps = (1 + hold) * W
        opts = dict(options)
        opts.setdefault("record_every", steps)
        with np.errstate(all="ignore"):     # a huge peak overflows: a divergence
            trace = sweep_schedules(problem, optimizer,
                                    [Warmup(Constant(float(eta)), W) for eta in peaks],
                                    starts, steps, rng=rng, batch_size=batch_size, **opts)
        final = trace.losses[-1]                                     # (P, S)
        losses[:, k] = final
        with np.errstate(invalid="ignore"):
            stable[:, k] = (trace.diverged_at < 0) & np.isfinite(final) & (final < threshold)
    share = stable.mean(axis=-1)                                     # (P, K)
    shortest = tuple(lengths[int(np.argmax(row >= min_fraction))]
                     if np.any(row >= min_fraction) else None for row in share)
    return WarmupProtocolResult(peak_lrs=peaks, warmups=lengths, hold=hold,
                                threshold=threshold, losses=losses, stable=stable,
                                min_fraction=min_fraction, shortest=shortest)
