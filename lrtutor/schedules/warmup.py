r"""Schedules with a warmup: linear warmup, warmup-stable-decay, inverse square root."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrtutor._validate import check_callable, check_int, check_real
from lrtutor.schedules._core import _check_choice, _Schedule, _set
from lrtutor.schedules.decay import Constant  # noqa: F401  (doctests)

@dataclass(frozen=True)
class Warmup(_Schedule):
    r"""Linear warmup for ``warmup_steps`` steps, then any schedule in local time.

    .. math::

        \eta_t = \begin{cases} \eta_w + (s(0) - \eta_w)\,t/W & t < W \\
                               s(t - W) & t \ge W \end{cases}

    where :math:`s` is ``schedule``, :math:`W` is ``warmup_steps`` and
    :math:`\eta_w` is ``init_value``. The inner schedule starts its own clock
    at the end of warmup, so its horizon excludes the warmup.

    Parameters
    ----------
    schedule : callable
        Any schedule of this module (called with non-negative int arrays).
    warmup_steps : int
        Length :math:`W` of the ramp, >= 1.
    init_value : float
        Rate of the first update, >= 0.

    Notes
    -----
    Past the warmup the rate is the inner schedule's, so **past the horizon**
    it does what that schedule does past its own (shifted by :math:`W`).

    - Keras ``CosineDecay(init, decay_steps=T, warmup_target=peak,
      warmup_steps=W)`` equals ``Warmup(CosineDecay(peak, T, alpha), W, init)``
      (Keras's ``decay_steps`` *excludes* the warmup).
    - optax ``warmup_cosine_decay_schedule(init, peak, W, decay_steps=D,
      end_value=e)`` equals ``Warmup(CosineDecay(peak, D - W, alpha=e/peak), W,
      init)`` (optax's ``decay_steps`` *includes* the warmup).
    - PyTorch ``SequentialLR(opt, [LinearLR(opt, start_factor=init/peak,
      total_iters=W), inner], milestones=[W])`` with base lr ``peak`` equals
      ``Warmup(inner_equivalent, W, init)``; ``LinearLR`` alone is
      ``Warmup(Constant(peak), W, init)``.

    Examples
    --------
    >>> s = Warmup(Constant(0.1), warmup_steps=5, init_value=0.001)
    >>> [round(s(t), 4) for t in range(7)]
    [0.001, 0.0208, 0.0406, 0.0604, 0.0802, 0.1, 0.1]
    """

    schedule: object
    warmup_steps: int
    init_value: float = 0.0

    def __post_init__(self):
        _set(self, schedule=check_callable("schedule", self.schedule),
             warmup_steps=check_int("warmup_steps", self.warmup_steps, low=1),
             init_value=check_real("init_value", self.init_value, low=0))

    def _rate(self, t):
        W = self.warmup_steps
        peak = self.schedule(0)
        ramp = self.init_value + (peak - self.init_value) * t / W
        return np.where(t < W, ramp, self.schedule(np.maximum(t - W, 0)))

_DECAY_SHAPES = ("linear", "cosine", "1-sqrt")


@dataclass(frozen=True)
class WarmupStableDecay(_Schedule):
    r"""Warmup-stable-decay (WSD): linear warmup, a long constant phase, a short cooldown.

    .. math::

        \eta_t = \begin{cases}
            \eta_w + (\eta_{\max} - \eta_w)\,t/W & 0 \le t < W \\
            \eta_{\max} & W \le t < T_0 \\
            \eta_T + (\eta_{\max} - \eta_T)\,\varphi\bigl((t - T_0)/D\bigr) & T_0 \le t < T \\
            \eta_T & t \ge T
        \end{cases}
        \qquad T_0 = T - D,

    .. math::

        \varphi(u) = 1 - u \ \text{('linear')}, \qquad
        \varphi(u) = \tfrac12\bigl(1 + \cos(\pi u)\bigr) \ \text{('cosine')}, \qquad
        \varphi(u) = 1 - \sqrt{u} \ \text{('1-sqrt')},

    where :math:`\eta_{\max}` is ``peak_value``, :math:`W` is ``warmup_steps``,
    :math:`D` is ``decay_steps``, :math:`T` is ``total_steps``,
    :math:`\eta_w` is ``init_value``, :math:`\eta_T` is ``end_value`` and
    :math:`\varphi` is ``decay_shape``. The cooldown takes the *last* :math:`D`
    steps of the horizon :math:`T`: it starts at :math:`T_0 = T - D`, and the
    rate reaches :math:`\eta_T` at :math:`t = T`.

    Parameters
    ----------
    peak_value : float
        Rate of the stable phase, >= 0.
    warmup_steps : int
        Length :math:`W` of the linear warmup, >= 0 (0: no warmup).
    decay_steps : int
        Length :math:`D` of the cooldown, >= 1.
    total_steps : int
        Horizon :math:`T`, >= ``warmup_steps + decay_steps``.
    init_value : float
        Rate of the first update when ``warmup_steps > 0``, >= 0.
    end_value : float
        Rate at :math:`t = T`, held afterwards, >= 0.
    decay_shape : {'1-sqrt', 'linear', 'cosine'}
        Shape :math:`\varphi` of the cooldown.

    Notes
    -----
    **Past the horizon** (:math:`t \ge T`) the rate stays at ``end_value``: a
    run that goes on after its cooldown continues at the final rate, it does
    not restart. To stop a run early, build a new schedule with the shorter
    ``total_steps``: the stable phase does not depend on :math:`T` (that is
    the point of WSD: checkpoints taken during the stable phase can be cooled
    down later, for any budget).

    The shapes are those of Hägele et al. (2024), whose code
    (``wsd_schedule`` in epfml/schedules-and-scaling) writes the cooldown
    :math:`\eta_T + (\eta_{\max} - \eta_T)\,\varphi((t - T_0)/D)` for
    :math:`T_0 \le t < T` with :math:`D = \lfloor f\,T \rfloor` (``fract_decay``
    :math:`f`) and warms up from :math:`\eta_{\max}/100`; their 1-sqrt is
    ``decay_type='sqrt'``. Hu et al. (2024, MiniCPM) introduced the name with
    an exponential cooldown, which is not offered here.

    Equals ``transformers.get_wsd_schedule(opt, num_warmup_steps=W,
    num_decay_steps=D, num_training_steps=T, decay_type=decay_shape,
    min_lr_ratio=r)`` (a ``torch.optim.lr_scheduler.LambdaLR``) with base lr
    ``peak_value`` when ``init_value = end_value = r * peak_value``:
    Hugging Face warms up *from* ``min_lr_ratio`` times the peak, and its
    default shape is ``'cosine'``. ``s(t)`` is the lr after ``t`` calls of
    ``scheduler.step()``. optax 0.2.8, PyTorch and Keras have no WSD;
    :class:`Join` of :class:`Warmup`, :class:`Constant` and
    :class:`LinearSchedule` builds the linear one.

    References
    ----------
    Hu et al. (2024), MiniCPM, arXiv:2404.06395. Hägele, Bakouch, Kosson,
    Ben Allal, Von Werra, Jaggi (2024), Scaling Laws and Compute-Optimal
    Training Beyond Fixed Training Durations, NeurIPS, arXiv:2405.18392.

    Examples
    --------
    >>> s = WarmupStableDecay(1.0, warmup_steps=10, decay_steps=20, total_steps=100)
    >>> [round(s(t), 4) for t in (0, 5, 10, 79, 80, 85, 99, 100, 500)]
    [0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0253, 0.0, 0.0]
    >>> lin = WarmupStableDecay(1.0, 10, 20, 100, decay_shape="linear")
    >>> [round(lin(t), 4) for t in (80, 85, 99, 100)]
    [1.0, 0.75, 0.05, 0.0]
    """

    peak_value: float
    warmup_steps: int
    decay_steps: int
    total_steps: int
    init_value: float = 0.0
    end_value: float = 0.0
    decay_shape: str = "1-sqrt"

    def __post_init__(self):
        W = check_int("warmup_steps", self.warmup_steps, low=0)
        D = check_int("decay_steps", self.decay_steps, low=1)
        _set(self, peak_value=check_real("peak_value", self.peak_value, low=0),
             warmup_steps=W, decay_steps=D,
             total_steps=check_int("total_steps", self.total_steps, low=W + D),
             init_value=check_real("init_value", self.init_value, low=0),
             end_value=check_real("end_value", self.end_value, low=0),
             decay_shape=_check_choice("decay_shape", self.decay_shape, _DECAY_SHAPES))

    def _rate(self, t):
        W, D, T = self.warmup_steps, self.decay_steps, self.total_steps
        peak, end = self.peak_value, self.end_value
        u = np.clip((t - (T - D)) / D, 0.0, 1.0)           # cooldown progress
        if self.decay_shape == "linear":
            phi = 1.0 - u
        elif self.decay_shape == "cosine":
            phi = 0.5 * (1.0 + np.cos(np.pi * u))
        else:
            phi = 1.0 - np.sqrt(u)
        rate = np.where(t <= T - D, peak, end + (peak - end) * phi)   # phi(0) = 1, exactly
        rate = np.where(t >= T, end, rate)                  # exact end value from T on
        if W:
            ramp = self.init_value + (peak - self.init_value) * t / W
            rate = np.where(t < W, ramp, rate)
        return rate


@dataclass(frozen=True)
class InverseSqrtDecay(_Schedule):
    r"""Linear warmup, then decay as one over the square root of the step.

    .. math::

        \eta_t = \begin{cases}
            \eta_w + (\eta_{\max} - \eta_w)\,t/W & t < W \\
            \eta_{\max}\sqrt{\dfrac{\tau}{t - W + \tau}} & t \ge W
        \end{cases}

    where :math:`\eta_{\max}` is ``peak_value``, :math:`W` is
    ``warmup_steps``, :math:`\eta_w` is ``init_value`` and :math:`\tau` is
    ``timescale`` (default :math:`W`, which gives
    :math:`\eta_{\max}\sqrt{W/t}`). The rate is :math:`\eta_{\max}` at
    :math:`t = W`, continuous there, and halves every time :math:`t - W + \tau`
    quadruples; it never reaches zero.

    Parameters
    ----------
    peak_value : float
        Rate at the end of warmup, >= 0.
    warmup_steps : int
        Length :math:`W` of the linear warmup, >= 0.
    init_value : float
        Rate of the first update (:math:`t = 0`) when ``warmup_steps > 0``, >= 0.
    timescale : int or None
        :math:`\tau`, >= 1; ``None`` means ``warmup_steps`` (which must then
        be >= 1).

    Notes
    -----
    There is no horizon: after the warmup the rate decays as
    :math:`1/\sqrt{t}` for every ``t``, never reaching 0.

    **The step convention, and a trap.** Vaswani et al. (2017) count steps
    from 1: :math:`\eta = d^{-1/2}\min(n^{-1/2},\ n\,w^{-3/2})` for
    :math:`n = 1, 2, \dots`. Here ``t`` is the number of updates already
    applied, so update ``t`` is their step :math:`n = t + 1`;
    :meth:`vaswani` makes that schedule (:math:`W = w - 1`, :math:`\eta_w =
    \eta_{\max}/w`, :math:`\tau = w`). Fairseq instead evaluates its formula
    at :math:`n = t` (its trainer calls ``step_update(0)`` before the first
    update), so with the default ``--warmup-init-lr`` (0 when warming up)
    **the first update has rate 0**: a wasted step that the direct
    transcription of the paper would also give (:math:`n = 0`). This class
    keeps Fairseq's numbers (``init_value=0`` is its default) and says so;
    pass ``init_value > 0`` or use :meth:`vaswani` to avoid the zero.

    Matches, with ``s(t)`` the rate of update ``t``:

    - Fairseq ``--lr-scheduler inverse_sqrt --lr P --warmup-updates W
      --warmup-init-lr I`` (``InverseSquareRootSchedule.step_update(t)``):
      ``InverseSqrtDecay(P, W, init_value=I)`` (``I`` defaults to 0);
      Fairseq needs ``W >= 1``.
    - Hugging Face ``transformers.get_inverse_sqrt_schedule(opt,
      num_warmup_steps=W, timescale=tau)`` (a ``LambdaLR``) with base lr
      ``P``: ``InverseSqrtDecay(P, W, timescale=tau)`` (its default
      ``timescale`` is ``W``, or 10 000 when ``W = 0``).
    - T5 (Raffel et al. 2020) ``1/sqrt(max(t, W))``, constant during warmup:
      ``InverseSqrtDecay(W ** -0.5, W, init_value=W ** -0.5)``.

    References
    ----------
    Vaswani et al. (2017), Attention Is All You Need, NeurIPS,
    arXiv:1706.03762, section 5.3. Ott et al. (2019), fairseq, NAACL demo,
    arXiv:1904.01038. Raffel et al. (2020), Exploring the Limits of Transfer
    Learning with a Unified Text-to-Text Transformer, JMLR, arXiv:1910.10683.

    Examples
    --------
    >>> s = InverseSqrtDecay(1e-3, warmup_steps=4)          # Fairseq's numbers
    >>> [round(s(t), 6) for t in (0, 1, 4, 16, 64)]
    [0.0, 0.00025, 0.001, 0.0005, 0.00025]
    >>> v = InverseSqrtDecay.vaswani(d_model=512, warmup_steps=4000)
    >>> [f"{v(t):.3e}" for t in (0, 3999, 15999)]
    ['1.747e-07', '6.988e-04', '3.494e-04']
    """

    peak_value: float
    warmup_steps: int
    init_value: float = 0.0
    timescale: object = None

    def __post_init__(self):
        W = check_int("warmup_steps", self.warmup_steps, low=0)
        if self.timescale is None:
            if W == 0:
                raise ValueError("timescale must be given (an integer >= 1) when "
                                 "warmup_steps = 0, got None")
            tau = W
        else:
            tau = check_int("timescale", self.timescale, low=1)
        _set(self, peak_value=check_real("peak_value", self.peak_value, low=0),
             warmup_steps=W, init_value=check_real("init_value", self.init_value, low=0),
             timescale=tau)

    @classmethod
    def vaswani(cls, d_model, warmup_steps):
        r"""Vaswani et al.'s rate :math:`d^{-1/2}\min(n^{-1/2}, n\,w^{-3/2})` at
        their step :math:`n = t + 1`, where :math:`d` is ``d_model`` (an int
        >= 1) and :math:`w` is ``warmup_steps`` (an int >= 1; the paper uses
        4000). The peak :math:`d^{-1/2} w^{-1/2}` is the rate of update
        ``t = w - 1``."""
        d = check_int("d_model", d_model, low=1)
        w = check_int("warmup_steps", warmup_steps, low=1)
        peak = d ** -0.5 * w ** -0.5
        return cls(peak, w - 1, init_value=peak / w, timescale=w)

    def _rate(self, t):
        W, tau, peak = self.warmup_steps, self.timescale, self.peak_value
        decay = peak * np.sqrt(tau / np.maximum(t - W + tau, 1))
        if not W:
            return decay
        ramp = self.init_value + (peak - self.init_value) * t / W
        return np.where(t < W, ramp, decay)
