"""The documented mapping from every lrtutor schedule and optimizer to its
framework counterpart (PyTorch, optax, Keras), shared by
``tests/test_conformance.py`` (live comparison when a framework is installed)
and ``tests/golden/record.py`` (writes ``tests/golden/*.json`` for CI without
the frameworks).

Nothing here imports a framework at module level: each builder receives the
framework module it needs. Random configurations come from a
``numpy.random.Generator``; each ``draw_*`` function returns a :class:`Case`.

Deliberate restrictions (lrtutor is stricter than the framework; see the class
docstrings):

- ``MultiStepDecay`` milestones are distinct (torch counts a repeated one twice).
- ``Cyclic`` takes ``gamma != 1`` only with ``mode='exp_range'`` (torch ignores it
  silently otherwise).
- ``OneCycle`` draws are compared for ``t < total_steps`` (``t = total_steps``,
  torch's one extra ``step()``, is recorded by ``record_schedules_extra.py``).
- ``CosineWarmRestarts`` is compared with torch for integer ``T_mult`` and
  ``m_mul = 1`` (torch has neither fractional growth per step nor ``m_mul``);
  Keras's ``CosineDecayRestarts`` covers the general case.
- ``ReduceLROnPlateau`` is fed finite metrics (lrtutor never counts NaN/inf as
  an improvement; torch would store ``-inf`` as the best value).
- ``WarmupStableDecay`` is compared with Hugging Face's ``get_wsd_schedule``
  only when ``init_value == end_value`` (Hugging Face warms up from its
  ``min_lr_ratio``); other draws are checked by hand in test_schedules.py.
- ``InverseSqrtDecay`` is compared with Fairseq's ``inverse_sqrt`` (Fairseq's
  own source file, run with stub registries: see :func:`fairseq_rates`) and
  with Hugging Face's ``get_inverse_sqrt_schedule`` (``init_value = 0``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from lrtutor import schedules as S
from lrtutor import optim as O


def json_ready(obj):
    """JSON-ready copy of a recorded configuration: tuples to lists, numpy
    scalars to Python numbers (shared by the recorders and their tests)."""
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


@dataclass
class Case:
    """One random configuration of one schedule and its framework twins.

    ``torch`` is ``(base_lr, factory)`` where ``factory(torch, optimizer)``
    builds the scheduler; ``hf`` is the same for a Hugging Face
    ``transformers.optimization`` scheduler (a torch ``LambdaLR``, which needs
    ``transformers`` importable); ``fairseq`` holds the arguments of
    :func:`fairseq_rates`; ``optax`` and ``keras`` are ``builder(module)``
    returning a schedule callable on an integer step array. ``n`` is the number
    of steps to compare (``t = 0 .. n-1``).
    """
    kind: str
    params: dict
    sched: Any
    n: int
    torch: Optional[tuple] = None
    optax: Optional[Callable] = None
    keras: Optional[Callable] = None
    hf: Optional[tuple] = None          # (base_lr, factory(torch, opt)) with transformers
    fairseq: Optional[dict] = None      # Fairseq inverse_sqrt config (see fairseq_rates)


def _lr(rng, lo=1e-4, hi=1.0):
    """A log-uniform rate."""
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _sorted_distinct(rng, k, lo, hi):
    return tuple(int(v) for v in np.sort(rng.choice(np.arange(lo, hi), size=k, replace=False)))


# --------------------------------------------------------------- schedules --

def draw_constant(rng, n=300):
    v = _lr(rng)
    return Case("Constant", dict(value=v), S.Constant(v), n,
                torch=(v, lambda torch, opt: torch.optim.lr_scheduler.ConstantLR(
                    opt, factor=1.0, total_iters=1)),
                optax=lambda optax: optax.constant_schedule(v))


def draw_step(rng, n=300):
    v, k, g = _lr(rng), int(rng.integers(1, 80)), float(rng.uniform(0.05, 1.0))
    return Case("StepDecay", dict(init_value=v, step_size=k, gamma=g),
                S.StepDecay(v, k, g), n,
                torch=(v, lambda torch, opt: torch.optim.lr_scheduler.StepLR(opt, k, g)))


def draw_multistep(rng, n=300):
    v, g = _lr(rng), float(rng.uniform(0.05, 1.0))
    ms = _sorted_distinct(rng, int(rng.integers(1, 6)), 1, n)
    return Case("MultiStepDecay", dict(init_value=v, milestones=ms, gamma=g),
                S.MultiStepDecay(v, ms, g), n,
                torch=(v, lambda torch, opt: torch.optim.lr_scheduler.MultiStepLR(
                    opt, list(ms), g)),
                # optax changes the rate *at* the boundary, like torch: scales g
                optax=lambda optax: optax.piecewise_constant_schedule(
                    v, {m: g for m in ms}))


def draw_piecewise(rng, n=300):
    bs = _sorted_distinct(rng, int(rng.integers(1, 6)), 0, n - 1)
    vs = tuple(_lr(rng) for _ in range(len(bs) + 1))

    def torch_factory(torch, opt):
        # Keras's right-closed intervals: value i holds on (b_{i-1}, b_i], so the
        # switch to value i+1 happens at step b_i + 1. Torch: base lr = max(vs),
        # one ConstantLR per piece (factor v_i/max, never expiring), joined by
        # SequentialLR at milestones b_i + 1.
        top = max(vs)
        parts = [torch.optim.lr_scheduler.ConstantLR(opt, factor=v / top, total_iters=10**9)
                 for v in vs]
        return torch.optim.lr_scheduler.SequentialLR(opt, parts, [b + 1 for b in bs])

    return Case("PiecewiseConstant", dict(boundaries=bs, values=vs),
                S.PiecewiseConstant(bs, vs), n, torch=(max(vs), torch_factory),
                # optax: cumulative scales, left-closed, so boundaries b_i + 1
                optax=lambda optax: optax.piecewise_constant_schedule(
                    vs[0], {b + 1: vs[i + 1] / vs[i] for i, b in enumerate(bs)}),
                keras=lambda keras: keras.optimizers.schedules.PiecewiseConstantDecay(
                    list(bs), list(vs)))


def draw_exponential(rng, n=300):
    v = _lr(rng)
    if rng.random() < 0.4:      # torch's ExponentialLR: decay_steps = 1
        r = float(rng.uniform(0.95, 1.0))
        return Case("ExponentialDecay", dict(init_value=v, decay_rate=r, decay_steps=1),
                    S.ExponentialDecay(v, r, 1), n,
                    torch=(v, lambda torch, opt: torch.optim.lr_scheduler.ExponentialLR(opt, r)),
                    optax=lambda optax: optax.exponential_decay(v, 1, r),
                    keras=lambda keras: keras.optimizers.schedules.ExponentialDecay(v, 1, r))
    r, T = float(rng.uniform(0.05, 1.5)), int(rng.integers(1, 100))
    stair = bool(rng.random() < 0.5)
    return Case("ExponentialDecay",
                dict(init_value=v, decay_rate=r, decay_steps=T, staircase=stair),
                S.ExponentialDecay(v, r, T, stair), n,
                optax=lambda optax: optax.exponential_decay(v, T, r, staircase=stair),
                keras=lambda keras: keras.optimizers.schedules.ExponentialDecay(
                    v, T, r, staircase=stair))


def draw_inverse_time(rng, n=300):
    v, r, T = _lr(rng), float(rng.uniform(0, 2)), int(rng.integers(1, 50))
    stair = bool(rng.random() < 0.5)
    return Case("InverseTimeDecay", dict(init_value=v, decay_rate=r, decay_steps=T,
                                         staircase=stair),
                S.InverseTimeDecay(v, r, T, stair), n,
                keras=lambda keras: keras.optimizers.schedules.InverseTimeDecay(
                    v, T, r, staircase=stair))


def draw_polynomial(rng, n=300):
    v, T, p = _lr(rng), int(rng.integers(1, n + 50)), float(rng.uniform(0.1, 3.0))
    end = 0.0 if rng.random() < 0.5 else v * float(rng.uniform(0, 1))
    torch = None
    if end == 0.0:
        torch = (v, lambda torch, opt: torch.optim.lr_scheduler.PolynomialLR(
            opt, total_iters=T, power=p))
    return Case("PolynomialDecay", dict(init_value=v, end_value=end, decay_steps=T, power=p),
                S.PolynomialDecay(v, end, T, p), n, torch=torch,
                optax=lambda optax: optax.polynomial_schedule(v, end, p, T),
                keras=lambda keras: keras.optimizers.schedules.PolynomialDecay(
                    v, T, end, power=p))


def draw_linear(rng, n=300):
    eta = _lr(rng)
    a, b = float(rng.uniform(0.01, 1.0)), float(rng.uniform(0.0, 1.0))
    T = int(rng.integers(1, n + 50))
    return Case("LinearSchedule", dict(init_value=a * eta, end_value=b * eta,
                                       transition_steps=T),
                S.LinearSchedule(a * eta, b * eta, T), n,
                torch=(eta, lambda torch, opt: torch.optim.lr_scheduler.LinearLR(
                    opt, start_factor=a, end_factor=b, total_iters=T)),
                optax=lambda optax: optax.linear_schedule(a * eta, b * eta, T))


def draw_cosine_decay(rng, n=300):
    v, T = _lr(rng), int(rng.integers(1, n + 50))
    alpha = 0.0 if rng.random() < 0.4 else float(rng.uniform(0, 1))
    p = 1.0 if rng.random() < 0.6 else float(rng.uniform(0.5, 3.0))
    torch = None
    if p == 1.0:
        # torch's CosineAnnealingLR equals it up to T only (not clamped after):
        # compare the first min(T, n - 1) + 1 steps.
        torch = (v, lambda torch, opt: torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=T, eta_min=alpha * v))
    keras = None
    if p == 1.0:
        keras = lambda keras: keras.optimizers.schedules.CosineDecay(v, T, alpha)  # noqa: E731
    return Case("CosineDecay", dict(init_value=v, decay_steps=T, alpha=alpha, exponent=p),
                S.CosineDecay(v, T, alpha, p), n, torch=torch,
                optax=lambda optax: optax.cosine_decay_schedule(v, T, alpha, p), keras=keras)


def draw_cosine_annealing(rng, n=300):
    v, T = _lr(rng), int(rng.integers(1, n // 2))
    eta_min = 0.0 if rng.random() < 0.4 else v * float(rng.uniform(0, 1))
    return Case("CosineAnnealing", dict(init_value=v, T_max=T, eta_min=eta_min),
                S.CosineAnnealing(v, T, eta_min), n,
                torch=(v, lambda torch, opt: torch.optim.lr_scheduler.CosineAnnealingLR(
                    opt, T_max=T, eta_min=eta_min)))


def draw_warmup(rng, n=300):
    peak, W = _lr(rng), int(rng.integers(1, 100))
    init = peak * float(rng.uniform(0.001, 1.0))
    if rng.random() < 0.5:      # warmup then constant: torch's LinearLR alone
        return Case("Warmup", dict(schedule="Constant(peak)", peak=peak, warmup_steps=W,
                                   init_value=init),
                    S.Warmup(S.Constant(peak), W, init), n,
                    torch=(peak, lambda torch, opt: torch.optim.lr_scheduler.LinearLR(
                        opt, start_factor=init / peak, end_factor=1.0, total_iters=W)),
                    optax=lambda optax: optax.join_schedules(
                        [optax.linear_schedule(init, peak, W), optax.constant_schedule(peak)],
                        [W]))
    T = int(rng.integers(1, n))
    alpha = float(rng.uniform(0, 1))

    def torch_factory(torch, opt):
        lin = torch.optim.lr_scheduler.LinearLR(opt, start_factor=init / peak,
                                                end_factor=1.0, total_iters=W)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=T, eta_min=alpha * peak)
        return torch.optim.lr_scheduler.SequentialLR(opt, [lin, cos], [W])

    # torch's cosine is not clamped: compare while the cosine part is <= T
    return Case("Warmup", dict(schedule="CosineDecay(peak, T, alpha)", peak=peak, T=T,
                               alpha=alpha, warmup_steps=W, init_value=init),
                S.Warmup(S.CosineDecay(peak, T, alpha), W, init), n,
                torch=(peak, torch_factory),
                # optax's decay_steps includes the warmup; end_value = alpha * peak
                optax=lambda optax: optax.warmup_cosine_decay_schedule(
                    init, peak, W, W + T, end_value=alpha * peak),
                # Keras's decay_steps excludes the warmup
                keras=lambda keras: keras.optimizers.schedules.CosineDecay(
                    init, T, alpha, warmup_target=peak, warmup_steps=W))


def draw_join(rng, n=300):
    b1 = int(rng.integers(1, n // 2))
    b2 = int(rng.integers(b1 + 1, n))
    k, g = int(rng.integers(1, 40)), float(rng.uniform(0.1, 1))
    T = int(rng.integers(1, 60))
    bounds = dict(boundaries=(b1, b2), k=k, g=g, T=T)
    if rng.random() < 0.5:
        # torch's SequentialLR has one base lr for every piece
        v = _lr(rng)

        def torch_factory(torch, opt):
            lr_s = torch.optim.lr_scheduler
            return lr_s.SequentialLR(opt, [lr_s.StepLR(opt, k, g), lr_s.ExponentialLR(opt, g),
                                           lr_s.CosineAnnealingLR(opt, T_max=T)], [b1, b2])

        return Case("Join", dict(pieces="StepDecay(v,k,g), ExponentialDecay(v,g,1), "
                                 "CosineAnnealing(v,T)", v=v, **bounds),
                    S.Join((S.StepDecay(v, k, g), S.ExponentialDecay(v, g, 1),
                            S.CosineAnnealing(v, T)), (b1, b2)), n,
                    torch=(v, torch_factory))
    v1, v2, v3 = _lr(rng), _lr(rng), _lr(rng)
    return Case("Join", dict(pieces="StepDecay(v1,k,g), ExponentialDecay(v2,g,1), "
                             "CosineDecay(v3,T)", v1=v1, v2=v2, v3=v3, **bounds),
                S.Join((S.StepDecay(v1, k, g), S.ExponentialDecay(v2, g, 1),
                        S.CosineDecay(v3, T)), (b1, b2)), n,
                # StepDecay is optax's staircase exponential_decay
                optax=lambda optax: optax.join_schedules(
                    [optax.exponential_decay(v1, k, g, staircase=True),
                     optax.exponential_decay(v2, 1, g), optax.cosine_decay_schedule(v3, T)],
                    [b1, b2]))


def draw_warm_restarts(rng, n=300):
    v, T0 = _lr(rng), int(rng.integers(1, 60))
    eta_min = 0.0 if rng.random() < 0.3 else v * float(rng.uniform(0, 1))
    if rng.random() < 0.6:
        m = int(rng.integers(1, 4))
        return Case("CosineWarmRestarts", dict(init_value=v, T_0=T0, T_mult=m,
                                               eta_min=eta_min),
                    S.CosineWarmRestarts(v, T0, m, eta_min), n,
                    torch=(v, lambda torch, opt:
                           torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
                               opt, T_0=T0, T_mult=m, eta_min=eta_min)),
                    keras=lambda keras: keras.optimizers.schedules.CosineDecayRestarts(
                        v, T0, t_mul=float(m), m_mul=1.0, alpha=eta_min / v))
    m, mm = float(rng.uniform(1, 3)), float(rng.uniform(0.1, 1))
    return Case("CosineWarmRestarts", dict(init_value=v, T_0=T0, T_mult=m, eta_min=eta_min,
                                           m_mul=mm),
                S.CosineWarmRestarts(v, T0, m, eta_min, mm), n,
                keras=lambda keras: keras.optimizers.schedules.CosineDecayRestarts(
                    v, T0, t_mul=m, m_mul=mm, alpha=eta_min / v))


def draw_cyclic(rng, n=300):
    lo = _lr(rng)
    hi = lo * float(rng.uniform(1, 20))
    up = int(rng.integers(1, 60))
    down = None if rng.random() < 0.3 else int(rng.integers(1, 60))
    mode = str(rng.choice(["triangular", "triangular2", "exp_range"]))
    gamma = float(rng.uniform(0.98, 1.0)) if mode == "exp_range" else 1.0
    return Case("Cyclic", dict(base_lr=lo, max_lr=hi, step_size_up=up, step_size_down=down,
                               mode=mode, gamma=gamma),
                S.Cyclic(lo, hi, up, down, mode, gamma), n,
                torch=(lo, lambda torch, opt: torch.optim.lr_scheduler.CyclicLR(
                    opt, lo, hi, step_size_up=up, step_size_down=down, mode=mode,
                    gamma=gamma, cycle_momentum=False)))


def draw_one_cycle(rng, n=300):
    while True:
        N = int(rng.integers(10, n + 1))
        p = float(rng.uniform(0.05, 0.6))
        three = bool(rng.random() < 0.4)
        try:
            s = S.OneCycle(_lr(rng, 1e-3, 1.0), N, p,
                           str(rng.choice(["cos", "linear"])),
                           float(rng.uniform(2, 50)), float(rng.uniform(1, 1e5)), three)
            break
        except ValueError:      # a phase of length <= 0: lrtutor refuses it, redraw
            continue
    return Case("OneCycle", dict(max_lr=s.max_lr, total_steps=N, pct_start=p,
                                 anneal_strategy=s.anneal_strategy, div_factor=s.div_factor,
                                 final_div_factor=s.final_div_factor, three_phase=three),
                s, N,
                torch=(s.max_lr, lambda torch, opt: torch.optim.lr_scheduler.OneCycleLR(
                    opt, s.max_lr, total_steps=N, pct_start=p,
                    anneal_strategy=s.anneal_strategy, cycle_momentum=False,
                    div_factor=s.div_factor, final_div_factor=s.final_div_factor,
                    three_phase=three)))


def draw_wsd(rng, n=300):
    peak, W, D = _lr(rng), int(rng.integers(0, 40)), int(rng.integers(1, 60))
    T = W + D + int(rng.integers(0, n))         # T < n for some draws: past the horizon
    shape = str(rng.choice(["linear", "cosine", "1-sqrt"]))
    if rng.random() < 0.75:     # Hugging Face: warmup starts at the end value
        r = 0.0 if rng.random() < 0.4 else float(rng.uniform(0, 1))
        init = end = r * peak

        def hf_factory(torch, opt):
            from transformers.optimization import get_wsd_schedule
            return get_wsd_schedule(opt, num_warmup_steps=W, num_decay_steps=D,
                                    num_training_steps=T, decay_type=shape, min_lr_ratio=r)
        hf = (peak, hf_factory)
    else:
        init, end, hf = peak * float(rng.uniform(0, 1)), peak * float(rng.uniform(0, 1)), None
    return Case("WarmupStableDecay", dict(peak_value=peak, warmup_steps=W, decay_steps=D,
                                          total_steps=T, init_value=init, end_value=end,
                                          decay_shape=shape),
                S.WarmupStableDecay(peak, W, D, T, init, end, shape), n, hf=hf)


def draw_inverse_sqrt(rng, n=300):
    peak, W = _lr(rng), int(rng.integers(1, 80))
    if rng.random() < 0.5:      # Fairseq: any warmup_init_lr (-1 means 0)
        init = 0.0 if rng.random() < 0.5 else peak * float(rng.uniform(0, 1))
        hf = None
        if init == 0.0:

            def hf(torch, opt):
                from transformers.optimization import get_inverse_sqrt_schedule
                return get_inverse_sqrt_schedule(opt, num_warmup_steps=W)
            hf = (peak, hf)
        return Case("InverseSqrtDecay", dict(peak_value=peak, warmup_steps=W, init_value=init),
                    S.InverseSqrtDecay(peak, W, init), n, hf=hf,
                    fairseq=dict(lr=peak, warmup_updates=W,
                                 warmup_init_lr=-1.0 if init == 0.0 else init))
    W = W if rng.random() < 0.7 else 0
    tau = int(rng.integers(1, 200))

    def hf_factory(torch, opt):
        from transformers.optimization import get_inverse_sqrt_schedule
        return get_inverse_sqrt_schedule(opt, num_warmup_steps=W, timescale=tau)
    return Case("InverseSqrtDecay", dict(peak_value=peak, warmup_steps=W, timescale=tau),
                S.InverseSqrtDecay(peak, W, timescale=tau), n, hf=(peak, hf_factory))


SCHEDULE_DRAWS = {
    "Constant": draw_constant, "StepDecay": draw_step, "MultiStepDecay": draw_multistep,
    "PiecewiseConstant": draw_piecewise, "ExponentialDecay": draw_exponential,
    "InverseTimeDecay": draw_inverse_time, "PolynomialDecay": draw_polynomial,
    "LinearSchedule": draw_linear, "CosineDecay": draw_cosine_decay,
    "CosineAnnealing": draw_cosine_annealing, "Warmup": draw_warmup, "Join": draw_join,
    "CosineWarmRestarts": draw_warm_restarts, "Cyclic": draw_cyclic,
    "OneCycle": draw_one_cycle, "WarmupStableDecay": draw_wsd,
    "InverseSqrtDecay": draw_inverse_sqrt,
}


def torch_steps(case):
    """How many steps the torch counterpart is compared over (see the draws)."""
    n = case.n
    if case.kind == "CosineDecay":
        n = min(n, case.params["decay_steps"] + 1)
    if case.kind == "Warmup" and "T" in case.params:
        n = min(n, case.params["warmup_steps"] + case.params["T"] + 1)
    return n


# ----------------------------------------------------------- framework runs --

def torch_rates(torch, base_lr, factory, n):
    """``get_last_lr()`` after 0, 1, ..., n-1 scheduler steps, each after an
    ``optimizer.step()`` on a float64 parameter (the documented order)."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = factory(torch, opt)
    out = [sched.get_last_lr()[0]]
    for _ in range(n - 1):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return np.array([float(v) for v in out])


def fairseq_rates(source, kwargs, n):
    """Fairseq's own ``InverseSquareRootSchedule``: ``step_update(t)`` for
    ``t = 0 .. n-1``, the rate of update ``t`` (Fairseq's trainer calls
    ``step_update(0)`` when it builds the scheduler and ``step_update(k)``
    after update ``k``).

    ``source`` is the text of Fairseq's
    ``fairseq/optim/lr_scheduler/inverse_square_root_schedule.py``; it is run
    unchanged, with stand-ins for the three things it imports (a config base
    class, the scheduler base class and its registry decorator, omegaconf's
    ``II``), since Fairseq itself does not install on current Python and torch.
    ``kwargs`` are the config fields ``lr``, ``warmup_updates`` and
    ``warmup_init_lr`` (-1: Fairseq's default, 0 when warming up).
    """
    import sys
    import types
    names = ("omegaconf", "fairseq", "fairseq.dataclass", "fairseq.optim",
             "fairseq.optim.lr_scheduler", "fairseq_inverse_sqrt")
    mods = {name: types.ModuleType(name) for name in names}
    mods["omegaconf"].II = lambda path: None

    class FairseqDataclass:
        pass

    class FairseqLRScheduler:
        def __init__(self, cfg, optimizer):
            self.cfg, self.optimizer = cfg, optimizer

    mods["fairseq.dataclass"].FairseqDataclass = FairseqDataclass
    mods["fairseq.optim.lr_scheduler"].FairseqLRScheduler = FairseqLRScheduler
    mods["fairseq.optim.lr_scheduler"].register_lr_scheduler = \
        lambda name, dataclass=None: (lambda cls: cls)
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules.update(mods)
    try:
        ns = mods["fairseq_inverse_sqrt"].__dict__     # dataclass() looks its module up
        exec(compile(source, "inverse_square_root_schedule.py", "exec"), ns)
    finally:
        for name, mod in saved.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod

    class Optimizer:                    # Fairseq's optimizer wrapper: set_lr/get_lr
        lr = None

        def set_lr(self, lr):
            self.lr = lr

        def get_lr(self):
            return self.lr

    cfg = ns["InverseSquareRootLRScheduleConfig"](
        warmup_updates=kwargs["warmup_updates"], warmup_init_lr=kwargs["warmup_init_lr"],
        lr=[kwargs["lr"]])
    sched = ns["InverseSquareRootSchedule"](cfg, Optimizer())
    return np.array([float(sched.step_update(t)) for t in range(n)])


def torch_plateau(torch, kwargs, init_value, metrics):
    """torch's ReduceLROnPlateau: lr after each ``step(metric)``."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=init_value)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        opt.step()
        sched.step(float(m))
        out.append(float(opt.param_groups[0]["lr"]))
    return np.array(out)


def torch_momentum_kwargs(kind, params, base_momentum=0.8, max_momentum=0.9):
    """torch CyclicLR / OneCycleLR arguments for a Cyclic / OneCycle case's params."""
    kw = dict(params)
    if kind == "Cyclic":
        keys = ("base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma")
    else:
        keys = ("max_lr", "total_steps", "pct_start", "anneal_strategy", "div_factor",
                "final_div_factor", "three_phase")
    return dict({k: kw[k] for k in keys}, base_momentum=base_momentum,
                max_momentum=max_momentum)


def torch_momenta(torch, kind, kwargs, n):
    """torch's cycle_momentum for CyclicLR / OneCycleLR (SGD with momentum)."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    lr_s = torch.optim.lr_scheduler
    sched = (lr_s.CyclicLR if kind == "Cyclic" else lr_s.OneCycleLR)(opt, **kwargs)
    out = [opt.param_groups[0]["momentum"]]
    for _ in range(n - 1):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["momentum"])
    return np.array([float(v) for v in out])


def draw_plateau(rng, n=200):
    """A random plateau configuration and a random finite metric sequence with ties."""
    kw = dict(mode=str(rng.choice(["min", "max"])), factor=float(rng.uniform(0.05, 0.95)),
              patience=int(rng.integers(0, 6)), threshold=float(rng.choice([0, 1e-4, 0.01, 0.1])),
              threshold_mode=str(rng.choice(["rel", "abs"])), cooldown=int(rng.integers(0, 4)),
              min_lr=float(rng.choice([0.0, 1e-4])), eps=float(rng.choice([0.0, 1e-8])))
    init = _lr(rng)
    walk = np.cumsum(rng.normal(0, 1, n)) + 50
    metrics = np.round(walk, int(rng.integers(0, 3)))     # rounding makes ties
    return init, kw, metrics


def optax_rates(optax, jnp, builder, n):
    sched = builder(optax)
    rates = np.asarray(sched(jnp.arange(n)), dtype=np.float64)
    return np.broadcast_to(rates, (n,)).copy()       # a constant gives a scalar


def keras_rates(keras, builder, n):
    """A Keras schedule on the step array 0..n-1 (one vectorised call; needs
    ``keras.config.set_floatx('float64')`` for float64 numbers)."""
    import jax                  # the Keras backend used here
    sched = builder(keras)
    steps = np.arange(n, dtype=np.float64)
    return np.asarray(jax.vmap(sched)(steps), dtype=np.float64)


# --------------------------------------------------------------- optimizers --

def random_quadratic(rng, d=6):
    """``f(x) = x^T A x / 2 - b^T x`` with eigenvalues in [0.1, 10]."""
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = np.exp(rng.uniform(np.log(0.1), np.log(10.0), d))
    A = (q * lam) @ q.T
    A = (A + A.T) / 2
    b = rng.normal(size=d)
    x0 = rng.normal(size=d) * 3
    return A, b, x0, float(lam.max())


def draw_optimizer(rng, kind, L):
    """``(lrtutor optimizer, torch class name, torch kwargs)`` for a random config."""
    if kind == "SGD":
        mom = 0.0 if rng.random() < 0.25 else float(rng.uniform(0, 0.95))
        nest = bool(mom > 0 and rng.random() < 0.4)
        damp = 0.0 if nest or rng.random() < 0.5 else float(rng.uniform(0, 1))
        wd = 0.0 if rng.random() < 0.5 else float(rng.uniform(0, 0.1))
        lr = float(rng.uniform(0.05, 1.0)) * (1 - mom) / L
        kw = dict(lr=lr, momentum=mom, dampening=damp, nesterov=nest, weight_decay=wd)
        return O.SGD(**kw), "SGD", kw
    if kind == "AdaGrad":
        kw = dict(lr=_lr(rng, 1e-3, 1.0), lr_decay=float(rng.choice([0, rng.uniform(0, 0.1)])),
                  weight_decay=float(rng.choice([0, rng.uniform(0, 0.1)])),
                  initial_accumulator_value=float(rng.choice([0, rng.uniform(0, 1)])),
                  eps=float(rng.choice([1e-10, 1e-8, 1e-3])))
        return O.AdaGrad(**kw), "Adagrad", kw
    if kind == "RMSprop":
        kw = dict(lr=_lr(rng, 1e-4, 1e-1), alpha=float(rng.uniform(0.5, 0.999)),
                  eps=float(rng.choice([1e-8, 1e-6, 1e-3])),
                  weight_decay=float(rng.choice([0, rng.uniform(0, 0.1)])),
                  momentum=float(rng.choice([0, rng.uniform(0, 0.9)])),
                  centered=bool(rng.random() < 0.4))
        return O.RMSprop(**kw), "RMSprop", kw
    if kind in ("Adam", "AdamW"):
        kw = dict(lr=_lr(rng, 1e-4, 1e-1),
                  betas=(float(rng.uniform(0, 0.99)), float(rng.uniform(0.9, 0.9999))),
                  eps=float(rng.choice([1e-8, 1e-6, 1e-3])),
                  weight_decay=float(rng.choice([0, rng.uniform(0, 0.1)])),
                  amsgrad=bool(rng.random() < 0.4))
        return (O.Adam if kind == "Adam" else O.AdamW)(**kw), kind, kw
    raise ValueError(kind)


OPTIMIZER_KINDS = ("SGD", "AdaGrad", "RMSprop", "Adam", "AdamW")


def lrtutor_trajectory(opt, A, b, x0, steps):
    x = np.array(x0, dtype=np.float64)
    state = opt.init(x)
    out = [x]
    for _ in range(steps):
        x, state = opt.update(A @ x - b, state, x)
        out.append(x)
    return np.array(out)


def torch_trajectory(torch, name, kw, A, b, x0, steps, scheduler=None):
    """torch.optim on a float64 parameter; the gradient ``A x - b`` is computed
    in numpy from torch's own iterate (so only the optimizer arithmetic differs)."""
    p = torch.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    opt = getattr(torch.optim, name)([p], **kw)
    sched = scheduler(torch, opt) if scheduler else None
    out = [p.detach().numpy().copy()]
    for _ in range(steps):
        x = p.detach().numpy()
        p.grad = torch.from_numpy(A @ x - b)
        opt.step()
        if sched is not None:
            sched.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def relerr(a, b, scale=None):
    """Max |a - b| / max(|b|, floor): floor is 1e-300 or the scale given."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = np.abs(b) if scale is None else np.maximum(np.abs(b), scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(a == b, 0.0, np.abs(a - b) / denom)
    return float(np.max(r, initial=0.0))


# ----------------------------------------- optimizers, step by step (torch) --

_TORCH_STATE = {   # lrtutor state field -> torch state key
    "SGD": {"buf": "momentum_buffer"},
    "Adagrad": {"sum_sq": "sum"},
    "RMSprop": {"square_avg": "square_avg", "grad_avg": "grad_avg", "buf": "momentum_buffer"},
    "Adam": {"m": "exp_avg", "v": "exp_avg_sq", "v_max": "max_exp_avg_sq"},
    "AdamW": {"m": "exp_avg", "v": "exp_avg_sq", "v_max": "max_exp_avg_sq"},
}


def torch_shadow(torch, name, kw, opt, A, b, x0, steps):
    """Run torch freely on ``f = x^T A x / 2 - b^T x``; before every step, load
    torch's parameters and state into lrtutor, take one lrtutor step and one
    torch step, and record the norm-wise relative difference of the new
    parameters and of every state buffer. Returns the largest.

    Comparing step by step along one trajectory tests the update rule at
    hundreds of states without the chaotic amplification of rounding that a
    free-running comparison of Adam or RMSprop near a minimum suffers from
    (two float64 runs that differ by 1 ulp separate after a few hundred steps
    there, whichever library computes them).
    """
    p = torch.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    topt = getattr(torch.optim, name)([p], **kw)
    keys = _TORCH_STATE[name]
    worst = 0.0
    for t in range(steps):
        x = p.detach().numpy().copy()
        g = A @ x - b
        st = topt.state[p]
        state = opt.init(x)
        if st:
            fields = {f: (st[k].numpy().copy() if k in st and st[k] is not None else None)
                      for f, k in keys.items() if f in state._fields}
            state = state._replace(count=t, **{f: v for f, v in fields.items()
                                               if getattr(state, f) is not None})
        ours, new_state = opt.update(g, state, x)
        p.grad = torch.from_numpy(g.copy())
        topt.step()
        ref = p.detach().numpy()
        worst = max(worst, relerr(ours, ref, np.max(np.abs(ref))))
        st = topt.state[p]
        for f, k in keys.items():
            mine = getattr(new_state, f, None)
            if mine is not None and k in st and st[k] is not None:
                r = st[k].numpy()
                worst = max(worst, relerr(mine, r, max(np.max(np.abs(r)), 1e-300)))
    return worst


def lrtutor_keras_plateau(S, init, kw):
    """lrtutor's ``ReduceLROnPlateau.keras`` for a :func:`draw_plateau` config
    (its ``threshold`` is Keras's absolute ``min_delta``)."""
    return S.ReduceLROnPlateau.keras(init, mode=kw["mode"], factor=kw["factor"],
                                     patience=kw["patience"], min_delta=kw["threshold"],
                                     cooldown=kw["cooldown"], min_lr=kw["min_lr"])


def keras_plateau(keras, kw, init, metrics):
    """Keras's ``callbacks.ReduceLROnPlateau`` driven epoch by epoch through a
    stand-in model whose optimizer holds a float64 ``learning_rate`` (the
    callback reads and writes only that attribute). Returns the rate after each
    ``on_epoch_end``."""
    class Optimizer:
        learning_rate = init

    class Model:
        optimizer = Optimizer()

    cb = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", mode=kw["mode"], factor=kw["factor"],
        patience=kw["patience"], min_delta=kw["threshold"], cooldown=kw["cooldown"],
        min_lr=kw["min_lr"])
    cb.set_model(Model())
    cb.on_train_begin()
    rates = []
    for epoch, m in enumerate(metrics):
        cb.on_epoch_end(epoch, {"val_loss": float(m)})
        rates.append(float(Model.optimizer.learning_rate))
    return np.array(rates)
