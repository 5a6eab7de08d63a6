"""The framework twins of the optimizers added with issue 15, and of cycle momentum.

Shared by ``tests/golden/record.py`` (which writes the ``families`` and
``cycle_momentum`` sections of ``golden.json``), ``tests/test_optim_families.py``
(which checks lrtutor against those recorded numbers, no framework needed) and
``tests/test_conformance.py`` (the same live, over more draws, where the
frameworks are installed). Nothing here imports a framework at module level.

Two kinds of run:

- **Families** (``NAdam``, ``RAdam``, ``Adamax``, ``Adadelta`` against
  ``torch.optim``; ``Yogi``, ``Lion`` against optax in JAX's x64 mode): random
  hyperparameters, an optional learning-rate schedule the framework supports
  (torch schedulers; optax schedules), random initial parameters and a random
  *sequence of gradients* fed to both libraries. The gradients do not depend on
  the iterates (open loop), so the comparison measures the update rule alone:
  no feedback amplifies rounding (see ``frameworks.torch_shadow`` for what a
  closed loop does to Adam near a minimum).
- **Cycle momentum**: torch's ``OneCycleLR`` / ``CyclicLR`` with
  ``cycle_momentum=True`` driving ``SGD``'s momentum (on a random quadratic,
  a contracting closed loop), ``RMSprop``'s momentum or the ``betas[0]`` of
  ``Adam``, ``AdamW``, ``NAdam``, ``RAdam`` and ``Adamax`` (open loop), against
  lrtutor's optimizer with ``lr=schedule`` and ``momentum`` / ``betas[0]`` the
  schedule's ``momentum`` method.

torch's ``NAdam`` keeps its ``mu_product`` in the *default* dtype, so every
torch run here sets ``torch.set_default_dtype(torch.float64)`` for its
duration (:func:`float64_default`); its other optimizers keep float64 state
for float64 parameters regardless.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np

import frameworks as F
from lrtutor import optim as O
from lrtutor import schedules as S

FAMILY_TORCH = ("NAdam", "RAdam", "Adamax", "Adadelta")
FAMILY_OPTAX = ("Yogi", "Lion")
FAMILY_KINDS = FAMILY_TORCH + FAMILY_OPTAX
CYCLE_KINDS = ("SGD-OneCycle", "Adam-OneCycle", "SGD-Cyclic", "AdamW-Cyclic",
               "NAdam-OneCycle", "RAdam-Cyclic", "Adamax-OneCycle", "RMSprop-Cyclic")


def _loguniform(rng, lo, hi):
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _maybe(rng, p, value, other=0.0):
    return value if rng.random() < p else other


# ---------------------------------------------------------------- draws --

def draw_schedule(rng, lr, steps, framework, index=0):
    """``None`` (a constant rate) or a dict naming a schedule the framework has
    (draw ``index`` 0, 4, ... always has one, 1, 5, ... never)."""
    r = rng.random()
    if index % 4 == 1 or (index % 4 > 1 and r < 0.4):
        return None
    if framework == "torch":
        kind = str(rng.choice(["StepDecay", "CosineAnnealing", "ExponentialDecay"]))
        if kind == "StepDecay":
            return dict(kind=kind, init_value=lr, step_size=int(rng.integers(1, steps)),
                        gamma=float(rng.uniform(0.1, 1.0)))
        if kind == "CosineAnnealing":     # past T_max torch's cosine rises again; so does ours
            return dict(kind=kind, init_value=lr, T_max=int(rng.integers(1, steps)))
        return dict(kind=kind, init_value=lr, decay_rate=float(rng.uniform(0.95, 1.0)))
    # optax: the cosine only. Its linear, polynomial and exponential schedules,
    # evaluated at the int32 step count optax's optimizers keep, compute in
    # float32 even in JAX's x64 mode (count / transition_steps is float32), so
    # their rates are rounded to ~1e-7; the cosine stays float64.
    return dict(kind="CosineDecay", init_value=lr, decay_steps=int(rng.integers(1, steps)),
                alpha=float(rng.uniform(0, 0.5)))


def lrtutor_schedule(sched):
    if sched["kind"] == "StepDecay":
        return S.StepDecay(sched["init_value"], sched["step_size"], sched["gamma"])
    if sched["kind"] == "CosineAnnealing":
        return S.CosineAnnealing(sched["init_value"], sched["T_max"])
    if sched["kind"] == "ExponentialDecay":
        return S.ExponentialDecay(sched["init_value"], sched["decay_rate"],
                                  sched.get("decay_steps", 1))
    return S.CosineDecay(sched["init_value"], sched["decay_steps"], sched["alpha"])


def torch_scheduler(torch, opt, sched):
    lr_s = torch.optim.lr_scheduler
    if sched["kind"] == "StepDecay":
        return lr_s.StepLR(opt, sched["step_size"], sched["gamma"])
    if sched["kind"] == "CosineAnnealing":
        return lr_s.CosineAnnealingLR(opt, sched["T_max"])
    return lr_s.ExponentialLR(opt, sched["decay_rate"])


def optax_schedule(optax, sched):
    return optax.cosine_decay_schedule(sched["init_value"], sched["decay_steps"],
                                       sched["alpha"])


def draw_family(rng, kind, steps, index=0):
    """One random configuration: ``{"kind", "kw", "schedule"}`` (plain data).

    The branches cycle with the draw ``index`` so that any four consecutive
    draws cover them: coupled, no, decoupled and either weight decay; RAdam's
    small ``beta2`` (never rectified) at 3, 7, ...; Yogi's three initial
    accumulators (1e-6 is optax.yogi itself); a schedule or none."""
    branch = index % 4
    betas = [float(rng.uniform(0, 0.99)), float(rng.uniform(0.9, 0.9999))]
    eps = float(rng.choice([1e-8, 1e-6, 1e-3]))
    wd = 0.0 if branch == 1 else float(rng.uniform(0, 0.1))
    decoupled = branch == 2 or (branch == 3 and rng.random() < 0.5)
    if kind == "NAdam":
        kw = dict(lr=_loguniform(rng, 1e-4, 1e-1), betas=betas, eps=eps, weight_decay=wd,
                  momentum_decay=float(rng.choice([4e-3, rng.uniform(0, 0.05)])),
                  decoupled_weight_decay=decoupled)
    elif kind == "RAdam":
        if branch == 3:                   # rho_inf <= 5: the rectified branch never runs
            betas[1] = float(rng.uniform(0.3, 0.66))
        kw = dict(lr=_loguniform(rng, 1e-4, 1e-1), betas=betas, eps=eps, weight_decay=wd,
                  decoupled_weight_decay=decoupled)
    elif kind == "Adamax":
        kw = dict(lr=_loguniform(rng, 1e-4, 1e-1), betas=betas, eps=eps, weight_decay=wd)
    elif kind == "Adadelta":
        kw = dict(lr=_loguniform(rng, 0.05, 2.0), rho=float(rng.uniform(0.5, 1.0)),
                  eps=float(rng.choice([1e-6, 1e-4, 1e-2])), weight_decay=wd)
    elif kind == "Yogi":
        kw = dict(lr=_loguniform(rng, 1e-4, 1e-1), betas=betas,
                  eps=float(rng.choice([1e-3, 1e-6, 1e-8])),
                  initial_accumulator_value=(1e-6, 0.1, 0.0, 1e-6)[branch])
    elif kind == "Lion":
        kw = dict(lr=_loguniform(rng, 1e-4, 1e-2),
                  betas=[betas[0], float(rng.uniform(0.9, 0.999))],
                  weight_decay=float(rng.choice([0.0, 1e-3, rng.uniform(0, 0.1)])))
    else:
        raise ValueError(kind)
    framework = "torch" if kind in FAMILY_TORCH else "optax"
    return dict(kind=kind, kw=kw, schedule=draw_schedule(rng, kw["lr"], steps, framework,
                                                         index))


def draw_problem(rng, steps, d=5):
    """Initial parameters and an open-loop gradient sequence of shape (steps, d):
    a drift plus noise, per-coordinate scales from 1e-3 to 1e2, and about 3 % exact
    zeros (Yogi's sign, Adamax's maximum and Adadelta's ratio see zeros too)."""
    x0 = rng.normal(size=d) * 3
    scale = np.exp(rng.uniform(np.log(1e-3), np.log(1e2), d))
    drift = rng.normal(size=d) * float(rng.uniform(0, 2))
    grads = (drift + rng.normal(size=(steps, d))) * scale
    grads[rng.random((steps, d)) < 0.03] = 0.0
    return x0, grads


def family_optimizer(cfg):
    """The lrtutor optimizer of a :func:`draw_family` configuration."""
    kw = dict(cfg["kw"])
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    if cfg["schedule"] is not None:
        kw["lr"] = lrtutor_schedule(cfg["schedule"])
    return getattr(O, cfg["kind"])(**kw)


def lrtutor_open_loop(opt, x0, grads):
    """Iterates ``x_0 .. x_n`` of ``opt`` fed the gradient sequence ``grads``."""
    x = np.array(x0, dtype=np.float64)
    state = opt.init(x)
    out = [x]
    for g in grads:
        x, state = opt.update(g, state, x)
        out.append(x)
    return np.array(out)


# ------------------------------------------------------- framework runs --

@contextlib.contextmanager
def float64_default(torch):
    """torch's default dtype float64 for the duration (NAdam's ``mu_product``)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def _torch_open_loop(torch, make_opt, x0, grads, scheduler=None):
    with float64_default(torch):
        p = torch.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
        opt = make_opt([p])
        sched = scheduler(opt) if scheduler else None
        out = [p.detach().numpy().copy()]
        for g in grads:
            p.grad = torch.from_numpy(np.array(g, dtype=np.float64))
            opt.step()
            if sched is not None:
                sched.step()
            out.append(p.detach().numpy().copy())
    return np.array(out)


def torch_family(torch, cfg, x0, grads):
    kw = dict(cfg["kw"])
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    sched = cfg["schedule"]
    return _torch_open_loop(
        torch, lambda ps: getattr(torch.optim, cfg["kind"])(ps, **kw), x0, grads,
        (lambda opt: torch_scheduler(torch, opt, sched)) if sched else None)


def optax_family(optax, jnp, cfg, x0, grads):
    kw, sched = cfg["kw"], cfg["schedule"]
    lr = optax_schedule(optax, sched) if sched else kw["lr"]
    (b1, b2) = kw["betas"]
    if cfg["kind"] == "Yogi":
        tx = optax.chain(optax.scale_by_yogi(b1, b2, kw["eps"],
                                             initial_accumulator_value=kw[
                                                 "initial_accumulator_value"]),
                         optax.scale_by_learning_rate(lr))
        if kw["initial_accumulator_value"] == 1e-6:       # and optax.yogi itself
            tx = optax.yogi(lr, b1, b2, kw["eps"])
    else:
        tx = optax.lion(lr, b1, b2, weight_decay=kw["weight_decay"])
    return optax_open_loop(optax, jnp, tx, x0, grads)


def optax_open_loop(optax, jnp, tx, x0, grads):
    """Iterates of the optax transformation ``tx`` fed the gradient sequence ``grads``."""
    x = jnp.asarray(np.array(x0, dtype=np.float64))
    state = tx.init(x)
    out = [np.asarray(x)]
    for g in grads:
        upd, state = tx.update(jnp.asarray(g), state, x)
        x = optax.apply_updates(x, upd)
        out.append(np.asarray(x))
    return np.array(out, dtype=np.float64)


# ------------------------------------------------------- cycle momentum --

def draw_cycle(rng, kind, steps, index=0):
    """One random cycle-momentum configuration (plain data); odd draws use
    Nesterov (SGD) or AMSGrad (AdamW)."""
    base_m = float(rng.uniform(0.5, 0.9))
    max_m = float(rng.uniform(base_m, 0.99))
    if kind.endswith("OneCycle"):
        hi = None if kind.startswith("SGD") else _loguniform(rng, 1e-3, 1e-1)
        sched = dict(kind="OneCycle", max_lr=hi, total_steps=steps,
                     pct_start=float(rng.uniform(0.1, 0.5)),
                     anneal_strategy=str(rng.choice(["cos", "linear"])),
                     div_factor=float(rng.uniform(5, 50)),
                     final_div_factor=float(rng.uniform(10, 1e4)),
                     three_phase=bool(rng.random() < 0.3))
    else:
        lo = _loguniform(rng, 1e-4, 1e-2)
        mode = str(rng.choice(["triangular", "triangular2", "exp_range"]))
        sched = dict(kind="Cyclic", base_lr=lo, max_lr=lo * float(rng.uniform(2, 20)),
                     step_size_up=int(rng.integers(5, 60)),
                     step_size_down=int(rng.integers(5, 60)) if rng.random() < 0.7 else None,
                     mode=mode, gamma=float(rng.uniform(0.99, 1.0)) if mode == "exp_range"
                     else 1.0)
    kw = {}
    if kind.startswith("SGD"):
        kw = dict(nesterov=index % 2 == 1, weight_decay=_maybe(rng, 0.5, 1e-3))
    elif kind.startswith("AdamW"):
        kw = dict(beta2=float(rng.uniform(0.9, 0.9999)),
                  weight_decay=float(rng.uniform(0, 0.1)), amsgrad=index % 2 == 1)
    elif kind.startswith("RMSprop"):
        kw = dict(alpha=float(rng.uniform(0.9, 0.999)), eps=float(rng.choice([1e-8, 1e-3])),
                  centered=index % 2 == 1)
    else:
        kw = dict(beta2=float(rng.uniform(0.9, 0.9999)), eps=float(rng.choice([1e-8, 1e-3])),
                  weight_decay=_maybe(rng, 0.3, 0.01))
    return dict(kind=kind, schedule=sched, base_momentum=base_m, max_momentum=max_m, kw=kw)


def _cycle_schedule(sched, L=None):
    """(lrtutor schedule, torch kwargs) of a cycle configuration; SGD's 1cycle
    peak is set from the quadratic's L (a stable momentum run)."""
    kw = {k: v for k, v in sched.items() if k != "kind"}
    if sched["kind"] == "OneCycle":
        if kw["max_lr"] is None:
            kw["max_lr"] = 0.5 / L
        return S.OneCycle(**kw), kw
    return S.Cyclic(**kw), kw


def cycle_problem(rng, cfg, steps):
    """SGD: a random quadratic (closed loop); the Adam family: an open-loop
    gradient sequence."""
    if cfg["kind"].startswith("SGD"):
        A, b, x0, L = F.random_quadratic(rng)
        return dict(A=A, b=b, x0=x0, L=L)
    x0, grads = draw_problem(rng, steps)
    return dict(x0=x0, grads=grads)


def cycle_optimizer(cfg, prob):
    """lrtutor's optimizer with ``lr`` and momentum (or ``betas[0]``) both from the schedule."""
    sched, _ = _cycle_schedule(cfg["schedule"], prob.get("L"))
    mom = functools.partial(sched.momentum, base_momentum=cfg["base_momentum"],
                            max_momentum=cfg["max_momentum"])
    kw = cfg["kw"]
    if cfg["kind"].startswith("SGD"):
        return O.SGD(sched, momentum=mom, nesterov=kw["nesterov"],
                     weight_decay=kw["weight_decay"])
    if cfg["kind"].startswith("RMSprop"):
        return O.RMSprop(sched, alpha=kw["alpha"], eps=kw["eps"], momentum=mom,
                         centered=kw["centered"])
    if cfg["kind"].startswith("AdamW"):
        return O.AdamW(sched, betas=(mom, kw["beta2"]), weight_decay=kw["weight_decay"],
                       amsgrad=kw["amsgrad"])
    return getattr(O, cfg["kind"].split("-")[0])(sched, betas=(mom, kw["beta2"]), eps=kw["eps"],
                                                 weight_decay=kw["weight_decay"])


def lrtutor_cycle(cfg, prob, steps):
    opt = cycle_optimizer(cfg, prob)
    if "A" in prob:
        return F.lrtutor_trajectory(opt, prob["A"], prob["b"], prob["x0"], steps)
    return lrtutor_open_loop(opt, prob["x0"], prob["grads"][:steps])


def torch_cycle(torch, cfg, prob, steps):
    """torch's optimizer driven by its scheduler with ``cycle_momentum=True``."""
    _, skw = _cycle_schedule(cfg["schedule"], prob.get("L"))
    kind, kw = cfg["kind"], cfg["kw"]
    lr_s = torch.optim.lr_scheduler
    mkw = dict(cycle_momentum=True, base_momentum=cfg["base_momentum"],
               max_momentum=cfg["max_momentum"])

    def scheduler(opt):
        if cfg["schedule"]["kind"] == "OneCycle":
            return lr_s.OneCycleLR(opt, **skw, **mkw)
        return lr_s.CyclicLR(opt, **skw, **mkw)

    first_lr = skw["max_lr"] if "base_lr" not in skw else skw["base_lr"]
    if kind.startswith("SGD"):
        def make(ps):   # momentum > 0 so that torch keeps a buffer; the scheduler sets it
            return torch.optim.SGD(ps, lr=first_lr, momentum=cfg["max_momentum"],
                                   nesterov=kw["nesterov"], weight_decay=kw["weight_decay"])
        A, b = prob["A"], prob["b"]
        with float64_default(torch):
            p = torch.tensor(np.array(prob["x0"], dtype=np.float64), requires_grad=True)
            opt = make([p])
            sched = scheduler(opt)
            out = [p.detach().numpy().copy()]
            for _ in range(steps):
                p.grad = torch.from_numpy(A @ p.detach().numpy() - b)
                opt.step()
                sched.step()
                out.append(p.detach().numpy().copy())
        return np.array(out)
    if kind.startswith("RMSprop"):    # momentum > 0: torch keeps a buffer
        def make(ps):
            return torch.optim.RMSprop(ps, lr=first_lr, alpha=kw["alpha"], eps=kw["eps"],
                                       momentum=cfg["max_momentum"], centered=kw["centered"])
    elif kind.startswith("AdamW"):
        def make(ps):
            return torch.optim.AdamW(ps, lr=first_lr, betas=(cfg["max_momentum"], kw["beta2"]),
                                     weight_decay=kw["weight_decay"], amsgrad=kw["amsgrad"])
    else:               # Adam, NAdam, RAdam, Adamax: torch drives their betas[0]
        def make(ps):
            return getattr(torch.optim, kind.split("-")[0])(
                ps, lr=first_lr, betas=(cfg["max_momentum"], kw["beta2"]), eps=kw["eps"],
                weight_decay=kw["weight_decay"])
    return _torch_open_loop(torch, make, prob["x0"], prob["grads"][:steps], scheduler)
