r"""Cyclic schedules: warm restarts, cyclical rates and the 1cycle policy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrtutor._validate import check_bool, check_int, check_real
from lrtutor.schedules._core import _check_choice, _check_momenta, _momenta, _Schedule, _set


@dataclass(frozen=True)
class CosineWarmRestarts(_Schedule):
    r"""Cosine annealing that restarts, periods growing by ``T_mult`` (SGDR).

    .. math:: \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\, m^{i}\,
              \tfrac12\bigl(1 + \cos(\pi\, t_{\mathrm{cur}} / T_i)\bigr)

    where :math:`\eta_0` is ``init_value``, :math:`\eta_{\min}` is ``eta_min``,
    :math:`m` is ``m_mul``, :math:`i` is the index of the current period,
    :math:`T_i = T_0\,T_{\mathrm{mult}}^i` its length (:math:`T_0` is ``T_0``),
    and :math:`t_{\mathrm{cur}}` the steps since its start
    :math:`T_0 (T_{\mathrm{mult}}^i - 1)/(T_{\mathrm{mult}} - 1)` (or
    :math:`i T_0` when :math:`T_{\mathrm{mult}} = 1`).

    Parameters
    ----------
    init_value : float
        Peak rate of the first period, >= 0.
    T_0 : int
        Length of the first period, >= 1.
    T_mult : float
        Growth factor of the periods, >= 1 (torch needs an integer).
    eta_min : float
        Rate at the end of every period, >= 0 (above ``init_value``, as
        PyTorch allows, each period rises from ``init_value`` to it).
    m_mul : float
        Factor on the peak height (above ``eta_min``) at each restart, in (0, 1].

    Notes
    -----
    There is no horizon: the periods go on for every ``t``, each one
    :math:`T_{\mathrm{mult}}` times longer than the last, as in PyTorch and
    Keras.

    With ``m_mul=1`` and integer ``T_mult`` it equals
    ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0, T_mult,
    eta_min)`` with base lr ``init_value``, stepped once per update (no
    fractional epochs). It equals ``keras.optimizers.schedules.
    CosineDecayRestarts(init_value, first_decay_steps=T_0, t_mul=T_mult,
    m_mul=m_mul, alpha=eta_min / init_value)``; note Keras's defaults
    ``t_mul=2.0`` and that ``m_mul`` scales only the part above the floor.

    Examples
    --------
    >>> s = CosineWarmRestarts(0.1, T_0=5, T_mult=2, eta_min=1e-3)
    >>> [round(s(t), 7) for t in (0, 1, 4, 5, 15)]
    [0.1, 0.0905463, 0.0104537, 0.1, 0.1]
    """

    init_value: float
    T_0: int
    T_mult: float = 1
    eta_min: float = 0.0
    m_mul: float = 1.0

    def __post_init__(self):
        _set(self, init_value=check_real("init_value", self.init_value, low=0),
             T_0=check_int("T_0", self.T_0, low=1),
             T_mult=check_real("T_mult", self.T_mult, low=1),
             eta_min=check_real("eta_min", self.eta_min, low=0),
             m_mul=check_real("m_mul", self.m_mul, low=0, low_op=">", high=1))

    def _period(self, t):
        """Return ``(i, t_cur, T_i)`` for each step (closed form, exact for int T_mult)."""
        T0, m = self.T_0, self.T_mult
        if m == 1:
            i = t // T0
            return i, t - i * T0, np.full(t.shape, float(T0))
        # first step of period i; (m**i - 1)/(m - 1) is exactly 1 for i = 1, so the
        # first restart falls on t = T_0 whatever m is
        start = lambda i: T0 * ((m ** i - 1) / (m - 1))  # noqa: E731
        i = np.floor(np.log1p(t / T0 * (m - 1)) / np.log(m))
        i = np.where(start(i + 1) <= t, i + 1, i)  # repair log() rounding at restarts
        i = np.where(start(i) > t, i - 1, i)
        return i, t - start(i), T0 * m ** i

    def _rate(self, t):
        i, t_cur, T_i = self._period(t)
        return self.eta_min + (self.init_value - self.eta_min) * self.m_mul ** i * (
            1 + np.cos(np.pi * t_cur / T_i)) / 2


@dataclass(frozen=True)
class Cyclic(_Schedule):
    r"""Cyclical learning rate (Smith 2017): triangles between two bounds.

    .. math::

        c = \lfloor 1 + t/(u+d) \rfloor,\quad x = 1 + t/(u+d) - c,\quad
        h = \begin{cases} x/r & x \le r \\ (x-1)/(r-1) & x > r \end{cases},
        \quad \eta_t = \eta_{\mathrm{lo}} + (\eta_{\mathrm{hi}} -
        \eta_{\mathrm{lo}})\, h\, \sigma

    where :math:`\eta_{\mathrm{lo}}` is ``base_lr``, :math:`\eta_{\mathrm{hi}}`
    is ``max_lr``, :math:`u, d` are ``step_size_up``, ``step_size_down``,
    :math:`r = u/(u+d)`, :math:`c` is the cycle number (from 1) and the scale
    :math:`\sigma` is 1 (``'triangular'``), :math:`2^{1-c}`
    (``'triangular2'``) or :math:`\gamma^t` (``'exp_range'``, :math:`\gamma` is
    ``gamma``).

    Parameters
    ----------
    base_lr, max_lr : float
        Bounds of the cycle, ``0 <= base_lr <= max_lr``.
    step_size_up : int
        Steps from ``base_lr`` up to ``max_lr``, >= 1.
    step_size_down : int or None
        Steps back down, >= 1; ``None`` means ``step_size_up``.
    mode : {'triangular', 'triangular2', 'exp_range'}
        Amplitude policy.
    gamma : float
        Per-step amplitude factor of ``'exp_range'``, >= 0 (above 1 the cycles
        grow, as PyTorch allows); must stay 1 for the other modes (torch
        ignores it there silently).

    Raises
    ------
    ValueError
        At call time, for a ``t`` where ``gamma > 1`` makes the rate overflow
        float64 (the message names that ``t``).

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.CyclicLR(opt, base_lr, max_lr,
    step_size_up, step_size_down, mode, gamma)`` (stepped per batch); ``s(t)``
    is the lr after ``t`` calls of ``scheduler.step()``. :meth:`momentum` is
    its ``cycle_momentum``. There is no horizon: the cycles go on for every
    ``t`` (``'exp_range'`` with ``gamma < 1`` tends to ``base_lr``).

    Torch also accepts ``max_lr < base_lr`` (an upside-down cycle), fractional
    step sizes and a custom ``scale_fn``; lrtutor refuses the first two (an
    inverted or fractional cycle is almost always a slip) and has no
    ``scale_fn``: build such a curve with :class:`LambdaSchedule`.

    Examples
    --------
    >>> s = Cyclic(0.01, 0.1, step_size_up=4)
    >>> [round(s(t), 4) for t in range(6)]
    [0.01, 0.0325, 0.055, 0.0775, 0.1, 0.0775]
    """

    base_lr: float
    max_lr: float
    step_size_up: int = 2000
    step_size_down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0

    def __post_init__(self):
        base_lr = check_real("base_lr", self.base_lr, low=0)
        up = check_int("step_size_up", self.step_size_up, low=1)
        down = (up if self.step_size_down is None
                else check_int("step_size_down", self.step_size_down, low=1))
        mode = _check_choice("mode", self.mode, ("triangular", "triangular2", "exp_range"))
        gamma = check_real("gamma", self.gamma, low=0)
        if mode != "exp_range" and gamma != 1.0:
            raise ValueError(f"gamma must be 1.0 unless mode='exp_range', got {gamma!r}")
        _set(self, base_lr=base_lr,
             max_lr=check_real("max_lr", self.max_lr, low=base_lr),
             step_size_up=up, step_size_down=down, mode=mode, gamma=gamma)

    def _shape(self, t):
        """Return ``(h, sigma)``: position in the triangle and amplitude scale."""
        total = self.step_size_up + self.step_size_down
        ratio = self.step_size_up / total
        cycle = np.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        h = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        if self.mode == "triangular2":
            return h, 0.5 ** (cycle - 1)  # torch: 1 / 2**(cycle - 1), same number
        if self.mode == "exp_range":
            return h, self.gamma ** t
        return h, 1.0

    def _rate(self, t):
        h, sigma = self._shape(t)
        return self.base_lr + (self.max_lr - self.base_lr) * h * sigma

    def momentum(self, t, base_momentum=0.8, max_momentum=0.9):
        r"""Cyclical momentum, opposite to the rate: :math:`\mu_t = \mu_{\max} -
        (\mu_{\max} - \mu_{\min})\,h\,\sigma` (torch ``cycle_momentum``), where
        :math:`\mu_{\min}` is ``base_momentum`` and :math:`\mu_{\max}` is
        ``max_momentum``, ``0 <= base_momentum <= max_momentum < 1``, and ``t``
        are steps (ints >= 0). With ``'exp_range'`` and ``gamma > 1`` the
        momentum eventually falls below 0, where torch would set a negative
        momentum: a ``ValueError`` naming that ``t``."""
        lo, hi = _check_momenta(base_momentum, max_momentum)

        def follow(flat):
            h, sigma = self._shape(flat)
            return hi - (hi - lo) * h * sigma

        return _momenta(self, t, follow)


@dataclass(frozen=True)
class OneCycle(_Schedule):
    r"""The 1cycle policy: warm up to ``max_lr``, then anneal far below the start.

    Two phases (default): from :math:`\eta_{\max}/\delta` up to
    :math:`\eta_{\max}` on steps :math:`[0,\ pN-1]`, then down to
    :math:`\eta_{\max}/(\delta\phi)` on :math:`[pN-1,\ N-1]`. Each phase anneals
    from :math:`a` to :math:`b` with :math:`\pi_k \in [0, 1]` the fraction of
    the phase done:

    .. math:: \eta = b + \tfrac12 (a - b)\bigl(1 + \cos(\pi\,\pi_k)\bigr)
              \quad\text{('cos')}, \qquad \eta = a + (b - a)\,\pi_k
              \quad\text{('linear')}

    where :math:`\eta_{\max}` is ``max_lr``, :math:`N` is ``total_steps``,
    :math:`p` is ``pct_start``, :math:`\delta` is ``div_factor`` and
    :math:`\phi` is ``final_div_factor``. With ``three_phase`` the phases are
    up on :math:`[0, pN-1]`, back to :math:`\eta_{\max}/\delta` on
    :math:`[pN-1, 2pN-2]`, then down to :math:`\eta_{\max}/(\delta\phi)` on
    :math:`[2pN-2, N-1]`.

    Parameters
    ----------
    max_lr : float
        Peak rate, >= 0.
    total_steps : int
        Number of updates :math:`N`, >= 2; ``t`` must be <= ``total_steps``.
    pct_start : float
        Fraction of the steps spent rising, with every phase at least one
        step long: ``0 < pct_start * total_steps - 1 < total_steps - 1``
        (three-phase: ``2 * pct_start * total_steps - 2 < total_steps - 1``).
    anneal_strategy : {'cos', 'linear'}
        Shape of each phase.
    div_factor, final_div_factor : float
        Start at ``max_lr / div_factor``, end at that divided by
        ``final_div_factor``; both > 0.
    three_phase : bool
        Use the paper's symmetric three-phase variant.

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.OneCycleLR(opt, max_lr,
    total_steps=total_steps, pct_start=pct_start, anneal_strategy=anneal_strategy,
    div_factor=div_factor, final_div_factor=final_div_factor,
    three_phase=three_phase)`` (keywords: torch's third and fourth positional
    arguments are ``epochs`` and ``steps_per_epoch``); ``s(t)`` is
    the lr after ``t`` calls of ``scheduler.step()``. The peak is at step
    :math:`pN - 1` (optax's ``cosine_onecycle_schedule`` peaks at
    :math:`\lfloor pN \rfloor`). :meth:`momentum` is torch's
    ``cycle_momentum``.

    **The last step and past the horizon.** The :math:`N` updates use
    ``t = 0 .. N-1``, and ``t = N - 1`` is the final rate
    :math:`\eta_{\max}/(\delta\phi)`. A training loop that calls
    ``scheduler.step()`` after each of its :math:`N` updates reaches
    ``t = N``, a rate no update uses, and torch defines it by continuing the
    last phase one step past its end: with ``'cos'`` the cosine climbs back
    just above the final rate (the same value as ``t = N - 2``), and ``s(N)``
    is that number. With ``'linear'`` torch continues the line *below* the
    final rate, to a negative rate in most configurations
    (:math:`-0.0143` for ``OneCycle(1.0, 100, anneal_strategy='linear')``);
    a negative rate is not a rate, so here ``s(N)`` holds the final rate
    instead (and :meth:`momentum` its final momentum). Torch raises on the
    next ``step()``; here any ``t > total_steps`` raises ``ValueError``
    naming ``t``. To keep training after 1cycle, follow it with another
    schedule in :class:`Join`, which evaluates each piece only on its own
    steps.

    Examples
    --------
    >>> s = OneCycle(1.0, total_steps=100)
    >>> [round(s(t), 6) for t in (0, 10, 29, 50, 99)]
    [0.04, 0.295164, 1.0, 0.793893, 4e-06]
    >>> round(s(100), 6) == round(s(98), 6)          # torch's t = N, one past the end
    True
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False

    def __post_init__(self):
        _set(self, max_lr=check_real("max_lr", self.max_lr, low=0),
             total_steps=check_int("total_steps", self.total_steps, low=2),
             pct_start=check_real("pct_start", self.pct_start, low=0, high=1),
             anneal_strategy=_check_choice("anneal_strategy", self.anneal_strategy,
                                           ("cos", "linear")),
             div_factor=check_real("div_factor", self.div_factor, low=0, low_op=">"),
             final_div_factor=check_real("final_div_factor", self.final_div_factor,
                                         low=0, low_op=">"),
             three_phase=check_bool("three_phase", self.three_phase))
        ends = [end for end, _, _ in self._phases(0, 0, 0)]
        if not all(a < b for a, b in zip([0] + ends, ends)):
            raise ValueError(f"pct_start must give every phase a positive length, but "
                             f"pct_start={self.pct_start!r} and total_steps="
                             f"{self.total_steps} put the phase ends at {ends} (need "
                             f"0 < end_1 < end_2 ...)")

    def _phases(self, lo, hi, end):
        """``(end_step, start, stop)`` per phase, for rates or momenta (torch's table)."""
        p, N = self.pct_start, self.total_steps
        if self.three_phase:
            return [(p * N - 1, lo, hi), (2 * p * N - 2, hi, lo), (N - 1, lo, end)]
        return [(p * N - 1, lo, hi), (N - 1, hi, end)]

    def _anneal(self, a, b, pct):
        if self.anneal_strategy == "cos":
            return b + (a - b) / 2.0 * (np.cos(np.pi * pct) + 1)
        return (b - a) * pct + a

    def _follow(self, t, phases):
        N = self.total_steps
        if t.size and t.max() > N:
            raise ValueError(f"Tried to step {t.max()} times: t must be <= total_steps = {N} "
                             f"(torch's last step)")
        if self.anneal_strategy == "linear":      # t = N holds the end (see Notes)
            t = np.minimum(t, N - 1)
        out = np.zeros(t.shape)
        done = np.zeros(t.shape, dtype=bool)
        start = 0.0
        for k, (end, a, b) in enumerate(phases):
            here = ~done if k == len(phases) - 1 else ~done & (t <= end)
            out = np.where(here, self._anneal(a, b, (t - start) / (end - start)), out)
            done |= here
            start = end
        return out

    def _rate(self, t):
        initial = self.max_lr / self.div_factor
        return self._follow(t, self._phases(initial, self.max_lr,
                                            initial / self.final_div_factor))

    def momentum(self, t, base_momentum=0.85, max_momentum=0.95):
        r"""Cyclical momentum: ``max -> base`` while the rate rises, then back
        (three-phase: back during phase 2, flat in phase 3), torch's
        ``cycle_momentum``; ``0 <= base_momentum <= max_momentum < 1``, and
        ``t`` are steps (ints ``0 <= t <= total_steps``)."""
        lo, hi = _check_momenta(base_momentum, max_momentum)
        return _momenta(self, t, lambda flat: self._follow(flat, self._phases(hi, lo, hi)))
