"""Record framework numbers for the schedules and edges of issue 15.

Writes ``tests/golden/schedules_extra.json``: PyTorch's rates (and, where the
case says so, its closed form, its cycled momentum, optax's and Hugging Face
``transformers``' rates) for

- the schedules that compose any callable or other schedules:
  :class:`~lrtutor.schedules.LambdaSchedule` (``LambdaLR``),
  :class:`~lrtutor.schedules.Multiplicative` (``MultiplicativeLR``) and
  :class:`~lrtutor.schedules.Chained` (``ChainedScheduler``);
- the values PyTorch accepts that lrtutor used to refuse (a step or
  exponential factor above 1 or equal to 0, a milestone at 0, ``eta_min``
  above the base rate, power 0, a plateau factor 0, a growing cycle), and
- every schedule *past its horizon* (``T_max``, ``total_steps``, the decay
  steps), including 1cycle at ``t = total_steps``.

Run from the repository root with PyTorch importable (optax and
``transformers`` are used when importable)::

    PYTHONPATH=. /path/to/venv/bin/python tests/golden/record_schedules_extra.py

The configurations are drawn with the fixed seed below by :func:`cases`, which
``tests/test_schedules_extra_golden.py`` calls too; only the frameworks'
outputs are stored, lrtutor is never run here. Each case's ``lrtutor`` entry
is the lrtutor expression the test builds (for the reader of the JSON).
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

import frameworks as F  # tests/golden/frameworks.py (this folder)

HERE = Path(__file__).resolve().parent
OUT = HERE / "schedules_extra.json"
SEED, N = 1515, 160
DRAWS = 4                   # random draws per family (plus the fixed edge cases)


# ---------------------------------------------------------------- factors --
# The callables given to LambdaLR / MultiplicativeLR and to lrtutor alike,
# rebuilt from their name and parameters (a lambda cannot be stored).

def _fn(name, **p):
    """Return the factor function ``name`` with parameters ``p``."""
    if name == "power":                 # a ** t
        return lambda t: p["a"] ** t
    if name == "inverse":               # 1 / (1 + a t)
        return lambda t: 1.0 / (1.0 + p["a"] * t)
    if name == "warmup":                # min(1, (t + 1) / W)
        return lambda t: min(1.0, (t + 1) / p["W"])
    if name == "every":                 # g ** (t // k), or g every k steps (multiplicative)
        return lambda t: p["g"] ** (t // p["k"])
    if name == "cosine":                # half cosine to 0 at T, clamped
        return lambda t: 0.5 * (1.0 + math.cos(math.pi * min(t, p["T"]) / p["T"]))
    if name == "const":                 # the same factor every step
        return lambda s: p["g"]
    if name == "cut_every":             # g at multiples of k, else 1
        return lambda s: p["g"] if s % p["k"] == 0 else 1.0
    if name == "harmonic":              # 1 - a / (s + 1)
        return lambda s: 1.0 - p["a"] / (s + 1)
    if name == "zero_at":               # 0 at step z, else g
        return lambda s: 0.0 if s == p["z"] else p["g"]
    raise KeyError(name)


@dataclass
class Extra:
    """One configuration: ``build(S)`` makes the lrtutor schedule, ``torch`` is
    ``(base_lr, factory(torch, opt))``; ``closed`` also records torch's
    ``_get_closed_form_lr()``; ``momentum`` records ``cycle_momentum`` (base
    0.8, max 0.9) for Cyclic / 1cycle; ``optax`` is ``builder(optax)`` and
    ``hf`` is ``(base_lr, factory(torch, opt))`` with ``transformers``;
    ``check`` tells the test how to compare (see the test module)."""
    kind: str
    label: str
    params: dict
    lrtutor: str
    build: Callable
    n: int = N
    torch: Optional[tuple] = None
    closed: bool = False
    momentum: bool = False
    optax: Optional[Callable] = None
    hf: Optional[tuple] = None
    check: str = "all"
    plateau: Any = None


def _lr(rng, lo=1e-3, hi=1.0):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


# ------------------------------------------------------------ the families --

def lambda_cases(rng):
    out = []
    specs = [("power", dict(a=float(rng.uniform(0.95, 1.03)))),
             ("inverse", dict(a=float(rng.uniform(0.0, 1.0)))),
             ("warmup", dict(W=int(rng.integers(1, 40)))),
             ("every", dict(g=float(rng.uniform(0.2, 1.5)), k=int(rng.integers(1, 50)))),
             ("cosine", dict(T=int(rng.integers(1, N))))]
    for name, p in specs:
        v = _lr(rng)
        out.append(Extra(
            "LambdaSchedule", f"LambdaLR {name}", dict(init_value=v, fn=name, **p),
            f"LambdaSchedule({v!r}, {name}{p})",
            lambda S, v=v, name=name, p=p: S.LambdaSchedule(v, _fn(name, **p)),
            torch=(v, lambda torch, opt, name=name, p=p: torch.optim.lr_scheduler.LambdaLR(
                opt, _fn(name, **p)))))
    return out


def multiplicative_cases(rng):
    out = []
    specs = [("const", dict(g=float(rng.uniform(0.9, 1.0)))),
             ("const", dict(g=float(rng.uniform(1.0, 1.02)))),        # a growth
             ("cut_every", dict(g=float(rng.uniform(0.1, 0.9)), k=int(rng.integers(1, 40)))),
             ("harmonic", dict(a=float(rng.uniform(0.0, 1.0)))),
             ("zero_at", dict(z=int(rng.integers(1, N)), g=float(rng.uniform(0.95, 1.0))))]
    for name, p in specs:
        v = _lr(rng)
        out.append(Extra(
            "Multiplicative", f"MultiplicativeLR {name}", dict(init_value=v, fn=name, **p),
            f"Multiplicative({v!r}, {name}{p})",
            lambda S, v=v, name=name, p=p: S.Multiplicative(v, _fn(name, **p)),
            torch=(v, lambda torch, opt, name=name, p=p:
                   torch.optim.lr_scheduler.MultiplicativeLR(opt, _fn(name, **p)))))
    return out


def _chain(torch, opt, parts, reverse):
    """``ChainedScheduler`` of the torch schedulers ``parts`` (built in order)."""
    built = [make(torch, opt) for make in parts]
    return torch.optim.lr_scheduler.ChainedScheduler(built[::-1] if reverse else built)


def chained_cases(rng):
    """Chains of torch's chainable schedulers, and their lrtutor products."""
    out = []

    def add(label, v, pieces, n=N):
        # pieces: (lrtutor builder of the factor with base b, torch factory, text)
        reverse = bool(rng.random() < 0.5)         # torch's order does not matter
        params = dict(v=v, pieces=[text for _, _, text in pieces], reversed=reverse)
        out.append(Extra(
            "Chained", label, params,
            "Chained((" + ", ".join(t for _, _, t in pieces) + "))  # first at base v",
            lambda S, v=v, pieces=pieces: S.Chained(tuple(
                build(S, v if i == 0 else 1.0) for i, (build, _, _) in enumerate(pieces))),
            n=n, torch=(v, lambda torch, opt, pieces=pieces, reverse=reverse: _chain(
                torch, opt, [make for _, make, _ in pieces], reverse))))

    def constant(f, T):
        return (lambda S, b: S.Join((S.Constant(b * f), S.Constant(b)), (T,)),
                lambda torch, opt: torch.optim.lr_scheduler.ConstantLR(opt, f, T),
                f"ConstantLR({f}, {T})")

    def exponential(g):
        return (lambda S, b: S.ExponentialDecay.from_factor(b, g),
                lambda torch, opt: torch.optim.lr_scheduler.ExponentialLR(opt, g),
                f"ExponentialLR({g})")

    def step(k, g):
        return (lambda S, b: S.StepDecay(b, k, g),
                lambda torch, opt: torch.optim.lr_scheduler.StepLR(opt, k, g),
                f"StepLR({k}, {g})")

    def multistep(ms, g):
        return (lambda S, b: S.MultiStepDecay(b, ms, g),
                lambda torch, opt: torch.optim.lr_scheduler.MultiStepLR(opt, list(ms), g),
                f"MultiStepLR({list(ms)}, {g})")

    def linear(a, e, T):
        return (lambda S, b: S.LinearSchedule(b * a, b * e, T),
                lambda torch, opt: torch.optim.lr_scheduler.LinearLR(opt, a, e, T),
                f"LinearLR({a}, {e}, {T})")

    def poly(T, p):
        return (lambda S, b: S.PolynomialDecay(b, 0.0, T, p),
                lambda torch, opt: torch.optim.lr_scheduler.PolynomialLR(opt, T, p),
                f"PolynomialLR({T}, {p})")

    def mult(name, p):
        return (lambda S, b: S.Multiplicative(b, _fn(name, **p)),
                lambda torch, opt: torch.optim.lr_scheduler.MultiplicativeLR(
                    opt, _fn(name, **p)),
                f"MultiplicativeLR({name}{p})")

    def cosine(T):
        return (lambda S, b: S.CosineAnnealing(b, T),
                lambda torch, opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T),
                f"CosineAnnealingLR({T})")

    # torch's documented example (its docstring's numbers are 10x too large)
    add("ChainedScheduler docstring", 0.05, [constant(0.1, 20), exponential(0.9)], n=40)
    for _ in range(DRAWS):
        v = _lr(rng)
        g = float(rng.uniform(0.9, 1.0))
        f, T = float(rng.uniform(0.05, 1.0)), int(rng.integers(1, 60))
        k, gs = int(rng.integers(1, 50)), float(rng.uniform(0.1, 1.2))
        ms = tuple(int(m) for m in np.sort(rng.choice(np.arange(1, N), 3, replace=False)))
        a, e, TL = float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.0, 1.0)), \
            int(rng.integers(1, 100))
        add("ConstantLR x ExponentialLR", v, [constant(f, T), exponential(g)])
        add("StepLR x ExponentialLR", v, [step(k, gs), exponential(g)])
        add("MultiStepLR x LinearLR", v, [multistep(ms, gs), linear(a, e, TL)])
        add("ConstantLR x StepLR x MultiStepLR", v,
            [constant(f, T), step(k, gs), multistep(ms, float(rng.uniform(0.1, 2.0)))])
        add("PolynomialLR x ExponentialLR", v,
            [poly(int(rng.integers(1, N + 40)), float(rng.uniform(0.0, 3.0))), exponential(g)])
        add("MultiplicativeLR x StepLR", v,
            [mult("cut_every", dict(g=float(rng.uniform(0.2, 1.0)),
                                    k=int(rng.integers(1, 30)))), step(k, gs)])
        TC = int(rng.integers(2, N))          # a product up to T_max only (see Chained)
        add("CosineAnnealingLR x ExponentialLR (t <= T_max)", v, [cosine(TC), exponential(g)],
            n=TC + 1)
    return out


# ----------------------------------------------------------- accepted edges --

def edge_cases(rng):
    out = []

    def torch_of(cls, *args, **kw):
        return lambda torch, opt: getattr(torch.optim.lr_scheduler, cls)(opt, *args, **kw)

    for g, k in ((1.5, 7), (2.0, 13), (0.0, 5), (1.01, 1)):
        out.append(Extra("StepDecay", f"StepLR gamma={g}",
                         dict(init_value=0.01, step_size=k, gamma=g),
                         f"StepDecay(0.01, {k}, {g})",
                         lambda S, k=k, g=g: S.StepDecay(0.01, k, g),
                         torch=(0.01, torch_of("StepLR", k, g))))
    for ms, g in (((0, 30, 31, 90), 1.7), ((0,), 0.5), ((5, 50), 0.0)):
        out.append(Extra("MultiStepDecay", f"MultiStepLR milestones={ms} gamma={g}",
                         dict(init_value=0.02, milestones=list(ms), gamma=g),
                         f"MultiStepDecay(0.02, {ms}, {g})",
                         lambda S, ms=ms, g=g: S.MultiStepDecay(0.02, ms, g),
                         torch=(0.02, torch_of("MultiStepLR", list(ms), g))))
    for g in (1.03, 0.0, 1.0):
        out.append(Extra("ExponentialDecay", f"ExponentialLR gamma={g}",
                         dict(init_value=0.003, gamma=g),
                         f"ExponentialDecay.from_factor(0.003, {g})",
                         lambda S, g=g: S.ExponentialDecay.from_factor(0.003, g),
                         torch=(0.003, torch_of("ExponentialLR", g))))
    # cosine annealing: past T_max (several half periods), and eta_min > base
    for v, T, emin in ((0.1, 13, 0.5), (0.05, 17, 0.001), (0.3, 7, 0.0), (0.2, 1, 0.0),
                       (0.01, 40, 0.01), (0.0, 9, 0.2)):
        out.append(Extra("CosineAnnealing", f"CosineAnnealingLR T_max={T} eta_min={emin}",
                         dict(init_value=v, T_max=T, eta_min=emin),
                         f"CosineAnnealing({v}, {T}, {emin})",
                         lambda S, v=v, T=T, emin=emin: S.CosineAnnealing(v, T, emin),
                         torch=(v, torch_of("CosineAnnealingLR", T, emin)), closed=True))
    for v, T0, m, emin in ((0.1, 7, 2, 0.4), (0.05, 11, 1, 0.08), (0.2, 3, 3, 0.0)):
        out.append(Extra("CosineWarmRestarts",
                         f"CosineAnnealingWarmRestarts T_0={T0} T_mult={m} eta_min={emin}",
                         dict(init_value=v, T_0=T0, T_mult=m, eta_min=emin),
                         f"CosineWarmRestarts({v}, {T0}, {m}, {emin})",
                         lambda S, v=v, T0=T0, m=m, emin=emin:
                         S.CosineWarmRestarts(v, T0, m, emin),
                         torch=(v, torch_of("CosineAnnealingWarmRestarts", T0, m, emin))))
    for T, p in ((40, 2.0), (40, 0.0), (1, 0.5), (159, 1.0)):
        out.append(Extra("PolynomialDecay", f"PolynomialLR total_iters={T} power={p}",
                         dict(init_value=0.2, decay_steps=T, power=p),
                         f"PolynomialDecay(0.2, 0.0, {T}, {p})",
                         lambda S, T=T, p=p: S.PolynomialDecay(0.2, 0.0, T, p),
                         torch=(0.2, torch_of("PolynomialLR", T, p)), closed=True))
    for a, e, T in ((0.1, 1.0, 30), (1.0, 0.2, 50), (0.5, 0.0, 1)):
        out.append(Extra("LinearSchedule", f"LinearLR {a} -> {e} over {T}",
                         dict(eta=0.4, start_factor=a, end_factor=e, total_iters=T),
                         f"LinearSchedule(0.4 * {a}, 0.4 * {e}, {T})",
                         lambda S, a=a, e=e, T=T: S.LinearSchedule(0.4 * a, 0.4 * e, T),
                         torch=(0.4, torch_of("LinearLR", a, e, T)), closed=True))
    # 1cycle up to and including t = total_steps (torch's last defined step)
    for kw in (dict(total_steps=100), dict(total_steps=37, pct_start=0.4, three_phase=True),
               dict(total_steps=60, pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
               dict(total_steps=100, anneal_strategy="linear"),
               dict(total_steps=23, anneal_strategy="linear", three_phase=True)):
        Nt = kw["total_steps"]
        out.append(Extra("OneCycle", f"OneCycleLR {kw} to t = total_steps",
                         dict(max_lr=0.7, **kw), f"OneCycle(0.7, **{kw})",
                         lambda S, kw=kw: S.OneCycle(0.7, **kw), n=Nt + 1,
                         torch=(0.7, lambda torch, opt, kw=kw:
                                torch.optim.lr_scheduler.OneCycleLR(
                                    opt, 0.7, base_momentum=0.8, max_momentum=0.9, **kw)),
                         momentum=True,
                         check="last_holds" if kw.get("anneal_strategy") == "linear"
                         else "all"))
    for g in (1.005, 0.99):
        out.append(Extra("Cyclic", f"CyclicLR exp_range gamma={g}",
                         dict(base_lr=0.01, max_lr=0.05, step_size_up=9, step_size_down=14,
                              mode="exp_range", gamma=g),
                         f"Cyclic(0.01, 0.05, 9, 14, 'exp_range', {g})",
                         lambda S, g=g: S.Cyclic(0.01, 0.05, 9, 14, "exp_range", g),
                         torch=(0.01, lambda torch, opt, g=g: torch.optim.lr_scheduler.CyclicLR(
                             opt, 0.01, 0.05, 9, 14, "exp_range", g, base_momentum=0.8,
                             max_momentum=0.9)), momentum=True))
    # a plateau factor of 0: the first cut drops the rate to min_lr
    metrics = [float(x) for x in np.round(np.cumsum(rng.normal(0, 1, 60)) + 50, 1)]
    for kw in (dict(factor=0.0, patience=2, min_lr=1e-4), dict(factor=0.0, patience=0)):
        out.append(Extra("ReduceLROnPlateau", f"ReduceLROnPlateau {kw}",
                         dict(init_value=0.1, **kw), f"ReduceLROnPlateau(0.1, **{kw})",
                         lambda S, kw=kw: S.ReduceLROnPlateau(0.1, **kw), n=len(metrics),
                         plateau=metrics))
    return out


# ------------------------------------------------ optax and transformers --

def horizon_cases(rng):
    """Past the horizon against optax (clamped schedules) and Hugging Face."""
    out = []
    for v, T, alpha, p in ((0.1, 30, 0.0, 1.0), (0.3, 45, 0.2, 2.0), (0.05, 1, 0.5, 1.0)):
        out.append(Extra("CosineDecay", f"optax cosine_decay_schedule past {T}",
                         dict(init_value=v, decay_steps=T, alpha=alpha, exponent=p),
                         f"CosineDecay({v}, {T}, {alpha}, {p})",
                         lambda S, v=v, T=T, alpha=alpha, p=p: S.CosineDecay(v, T, alpha, p),
                         optax=lambda optax, v=v, T=T, alpha=alpha, p=p:
                         optax.cosine_decay_schedule(v, T, alpha, p)))
    for a, b, T in ((0.0, 0.2, 25), (0.3, 0.01, 80)):
        out.append(Extra("LinearSchedule", f"optax linear_schedule past {T}",
                         dict(init_value=a, end_value=b, transition_steps=T),
                         f"LinearSchedule({a}, {b}, {T})",
                         lambda S, a=a, b=b, T=T: S.LinearSchedule(a, b, T),
                         optax=lambda optax, a=a, b=b, T=T: optax.linear_schedule(a, b, T)))
    for init, peak, W, T, end in ((0.0, 0.5, 10, 60, 0.01), (0.01, 0.1, 1, 20, 0.0)):
        out.append(Extra("Warmup", f"optax warmup_cosine_decay_schedule past {T}",
                         dict(init_value=init, peak=peak, warmup_steps=W, decay_steps=T,
                              end_value=end),
                         f"Warmup(CosineDecay({peak}, {T} - {W}, alpha={end}/{peak}), {W}, "
                         f"{init})",
                         lambda S, init=init, peak=peak, W=W, T=T, end=end: S.Warmup(
                             S.CosineDecay(peak, T - W, alpha=end / peak), W, init),
                         optax=lambda optax, init=init, peak=peak, W=W, T=T, end=end:
                         optax.warmup_cosine_decay_schedule(init, peak, W, T, end)))
    for W, T in ((10, 70), (0, 40)):
        def lin(torch, opt, W=W, T=T):
            from transformers import get_linear_schedule_with_warmup
            return get_linear_schedule_with_warmup(opt, W, T)

        def cos(torch, opt, W=W, T=T):
            from transformers import get_cosine_schedule_with_warmup
            return get_cosine_schedule_with_warmup(opt, W, T)

        def poly(torch, opt, W=W, T=T):
            from transformers import get_polynomial_decay_schedule_with_warmup
            return get_polynomial_decay_schedule_with_warmup(opt, W, T, lr_end=1e-3,
                                                             power=2.0)

        def warm(S, W, inner):
            return S.Warmup(inner, W, 0.0) if W else inner

        out.append(Extra("Warmup", f"transformers linear with warmup {W}/{T}",
                         dict(peak=0.3, warmup_steps=W, total=T),
                         f"Warmup(LinearSchedule(0.3, 0.0, {T} - {W}), {W})",
                         lambda S, W=W, T=T: warm(S, W, S.LinearSchedule(0.3, 0.0, T - W)),
                         hf=(0.3, lin)))
        out.append(Extra("Warmup", f"transformers polynomial with warmup {W}/{T}",
                         dict(peak=0.3, warmup_steps=W, total=T, lr_end=1e-3, power=2.0),
                         f"Warmup(PolynomialDecay(0.3, 1e-3, {T} - {W}, 2.0), {W})",
                         lambda S, W=W, T=T: warm(S, W, S.PolynomialDecay(0.3, 1e-3, T - W,
                                                                          2.0)),
                         hf=(0.3, poly)))
        # Hugging Face's cosine is not clamped: it rises again after T (the test
        # checks equality up to T and records the difference after)
        out.append(Extra("Warmup", f"transformers cosine with warmup {W}/{T}",
                         dict(peak=0.3, warmup_steps=W, total=T),
                         f"Warmup(CosineDecay(0.3, {T} - {W}), {W})",
                         lambda S, W=W, T=T: warm(S, W, S.CosineDecay(0.3, T - W)),
                         hf=(0.3, cos), check=f"upto:{T}"))
    return out


def cases():
    """Every configuration, in a fixed order (one generator per family)."""
    out = []
    for i, family in enumerate((lambda_cases, multiplicative_cases, chained_cases,
                                edge_cases, horizon_cases)):
        out += family(np.random.default_rng([SEED, i]))
    return out


# ---------------------------------------------------------------- recording --

_clean = F.json_ready            # the recorders' one JSON-ready copy


def torch_run(torch, base_lr, factory, n, closed=False, momentum=False):
    """``get_last_lr()`` after 0 .. n-1 ``step()`` calls (each after an
    ``optimizer.step()``), and optionally torch's closed form and momentum."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr, momentum=0.9 if momentum else 0.0)
    sched = factory(torch, opt)
    rates, closed_form, moms = [], [], []
    for i in range(n):
        if i:
            opt.step()
            sched.step()
        rates.append(float(sched.get_last_lr()[0]))
        if closed:
            closed_form.append(float(sched._get_closed_form_lr()[0]))
        if momentum:
            moms.append(float(opt.param_groups[0]["momentum"]))
    return rates, closed_form, moms


def torch_plateau(torch, init, kw, metrics):
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=init)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    out = []
    for m in metrics:
        opt.step()
        sched.step(m)
        out.append(float(opt.param_groups[0]["lr"]))
    return out


def main():
    import warnings

    import torch
    versions = {"torch": torch.__version__, "numpy": np.__version__,
                "python": sys.version.split()[0]}
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import optax
        versions["optax"], versions["jax"] = optax.__version__, jax.__version__
    except ImportError:
        optax = None
    try:
        import transformers
        versions["transformers"] = transformers.__version__
    except ImportError:
        transformers = None
    entries = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # torch's deprecation notes
        for case in cases():
            entry = dict(kind=case.kind, label=case.label, params=_clean(case.params),
                         lrtutor=case.lrtutor, n=case.n, check=case.check)
            if case.torch is not None:
                rates, closed, moms = torch_run(torch, *case.torch, case.n,
                                                closed=case.closed, momentum=case.momentum)
                entry["torch"] = rates
                if case.closed:
                    entry["torch_closed"] = closed
                if case.momentum:
                    entry["torch_momentum"] = moms
            if case.plateau is not None:
                kw = {k: v for k, v in case.params.items() if k != "init_value"}
                entry["metrics"] = case.plateau
                entry["torch"] = torch_plateau(torch, case.params["init_value"], kw,
                                               case.plateau)
            if case.optax is not None and optax is not None:
                import jax.numpy as jnp
                sched = case.optax(optax)
                entry["optax"] = [float(v) for v in np.asarray(
                    sched(jnp.arange(case.n)), dtype=np.float64)]
            if case.hf is not None and transformers is not None:
                entry["transformers"] = torch_run(torch, *case.hf, case.n)[0]
            entries.append(entry)
    OUT.write_text(json.dumps(dict(versions=versions, seed=SEED, n=N, cases=entries),
                              indent=1) + "\n")
    print(f"wrote {OUT}: {len(entries)} cases")


if __name__ == "__main__":
    main()
