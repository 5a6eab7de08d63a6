"""Record framework reference values into tests/golden/*.json.

Run from the repository root, in an environment with PyTorch (optax and Keras
are used too when importable)::

    PYTHONPATH=. /path/to/venv/bin/python tests/golden/record.py

The optimizer families added with issue 15 (NAdam, RAdam, Adamax, Adadelta
from torch; Yogi and Lion from optax, which must then be importable) and cycle
momentum (torch's ``OneCycleLR``/``CyclicLR`` with ``cycle_momentum=True``)
can be recorded alone, leaving every other value of ``golden.json`` as it is::

    PYTHONPATH=. /path/to/venv/bin/python tests/golden/record.py families

Hugging Face ``transformers`` (WSD and inverse square root) is used when
importable. Fairseq does not install on current Python and torch; its
``inverse_sqrt`` scheduler is run from its own source file
(``tests/golden/frameworks.fairseq_rates``) when ``FAIRSEQ_SCHEDULE`` names a
copy of ``fairseq/optim/lr_scheduler/inverse_square_root_schedule.py``
(``FAIRSEQ_COMMIT`` says which commit it is, for the record)::

    git -C fairseq show HEAD:fairseq/optim/lr_scheduler/inverse_square_root_schedule.py \
        > /tmp/inverse_sqrt.py
    FAIRSEQ_SCHEDULE=/tmp/inverse_sqrt.py FAIRSEQ_COMMIT=$(git -C fairseq rev-parse HEAD) \
        PYTHONPATH=. /path/to/venv/bin/python tests/golden/record.py

The configurations are drawn with the fixed seeds below by the same functions
``tests/test_golden.py`` calls, so the test rebuilds each lrtutor object from
its seed, checks that the recorded parameters are the ones drawn, and compares
the rates and iterates with the recorded framework numbers. Only the
frameworks' own outputs are stored; lrtutor is never run here.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import frameworks as F  # noqa: E402
import optim_families as G  # noqa: E402

SEED, PER_KIND, N = 2026, 4, 120        # schedule configurations
# Kinds whose draw has branches get more draws, so that every branch is recorded
# (Warmup: four draws would all be warmup + constant; eight include warmup + cosine;
# WarmupStableDecay: fifteen include Hugging Face's cosine cooldown; InverseSqrtDecay:
# six include Fairseq with warmup_init_lr 0 and > 0, and Hugging Face's timescale).
EXTRA_DRAWS = {"Warmup": 4, "WarmupStableDecay": 11, "InverseSqrtDecay": 2}
OPT_SEED, OPT_PER_KIND, OPT_STEPS = 7, 3, 50
PLATEAU_SEED, PLATEAU_N = 9, 8
# issue 15: four draws of each new optimizer over 100 open-loop steps, and two of
# each cycle-momentum pairing over 300 steps (a few hundred, past every turn)
FAM_SEED, FAM_PER_KIND, FAM_STEPS = 15, 4, 100
CYC_SEED, CYC_PER_KIND, CYC_STEPS = 16, 2, 300


_clean = F.json_ready            # the recorders' one JSON-ready copy


def schedule_cases():
    """The golden configurations: ``PER_KIND`` draws of every schedule kind."""
    out = []
    for i, (kind, draw) in enumerate(F.SCHEDULE_DRAWS.items()):
        rng = np.random.default_rng([SEED, i])
        out += [draw(rng, N) for _ in range(PER_KIND + EXTRA_DRAWS.get(kind, 0))]
    return out


def plateau_cases():
    rng = np.random.default_rng(PLATEAU_SEED)
    return [F.draw_plateau(rng, 60) for _ in range(PLATEAU_N)]


def optimizer_cases():
    out = []
    for i, kind in enumerate(F.OPTIMIZER_KINDS):
        rng = np.random.default_rng([OPT_SEED, i])
        for _ in range(OPT_PER_KIND):
            A, b, x0, L = F.random_quadratic(rng)
            opt, name, kw = F.draw_optimizer(rng, kind, L)
            out.append((kind, A, b, x0, opt, name, kw))
    return out


def family_cases():
    """``(config, x0, grads)`` for ``FAM_PER_KIND`` draws of every new optimizer."""
    out = []
    for i, kind in enumerate(G.FAMILY_KINDS):
        rng = np.random.default_rng([FAM_SEED, i])
        for j in range(FAM_PER_KIND):
            cfg = G.draw_family(rng, kind, FAM_STEPS, j)
            out.append((cfg, *G.draw_problem(rng, FAM_STEPS)))
    return out


def cycle_cases():
    """``(config, problem)`` for ``CYC_PER_KIND`` draws of every cycle-momentum pairing."""
    out = []
    for i, kind in enumerate(G.CYCLE_KINDS):
        rng = np.random.default_rng([CYC_SEED, i])
        for j in range(CYC_PER_KIND):
            cfg = G.draw_cycle(rng, kind, CYC_STEPS, j)
            out.append((cfg, G.cycle_problem(rng, cfg, CYC_STEPS)))
    return out


def record_families(torch, optax, jnp, versions):
    """The ``families`` and ``cycle_momentum`` sections of golden.json."""
    families = []
    for cfg, x0, grads in family_cases():
        if cfg["kind"] in G.FAMILY_TORCH:
            source, x = "torch", G.torch_family(torch, cfg, x0, grads)
        else:
            source, x = "optax", G.optax_family(optax, jnp, cfg, x0, grads)
        families.append({"kind": cfg["kind"], "config": _clean(cfg), source: x.tolist()})
    cycles = []
    for cfg, prob in cycle_cases():
        cycles.append({"kind": cfg["kind"], "config": _clean(cfg),
                       "torch": G.torch_cycle(torch, cfg, prob, CYC_STEPS).tolist()})
    return {"families": {"versions": {k: versions[k] for k in ("torch", "jax", "optax")},
                         "seeds": [FAM_SEED, FAM_PER_KIND, FAM_STEPS], "runs": families},
            "cycle_momentum": {"versions": {"torch": versions["torch"]},
                               "seeds": [CYC_SEED, CYC_PER_KIND, CYC_STEPS], "runs": cycles}}


def main_families():
    """Record only the issue-15 sections; every other value stays as it is."""
    import jax
    import torch
    jax.config.update("jax_enable_x64", True)
    import optax
    versions = {"torch": torch.__version__, "jax": jax.__version__, "optax": optax.__version__}
    path = HERE / "golden.json"
    doc = json.loads(path.read_text())
    doc.update(record_families(torch, optax, jax.numpy, versions))
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote the families and cycle_momentum sections of {path}; {versions}")


def main():
    import torch
    versions = {"torch": torch.__version__, "numpy": np.__version__}
    optax = jnp = keras = None
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import optax
        jnp = jax.numpy
        versions.update(jax=jax.__version__, optax=optax.__version__)
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras
        keras.config.set_floatx("float64")
        versions["keras"] = keras.__version__
    except ImportError:
        pass
    hf = None
    try:
        import transformers
        hf = transformers
        versions["transformers"] = transformers.__version__
    except ImportError:
        pass
    fairseq_source = None
    if os.environ.get("FAIRSEQ_SCHEDULE"):
        fairseq_source = Path(os.environ["FAIRSEQ_SCHEDULE"]).read_text()
        versions["fairseq"] = os.environ.get("FAIRSEQ_COMMIT", "unknown commit")

    schedules = []
    for case in schedule_cases():
        entry = {"kind": case.kind, "params": _clean(case.params), "n": case.n}
        if case.torch is not None:
            n = F.torch_steps(case)
            entry["torch"] = F.torch_rates(torch, *case.torch, n).tolist()
        if case.optax is not None and optax is not None:
            entry["optax"] = F.optax_rates(optax, jnp, case.optax, case.n).tolist()
        if case.keras is not None and keras is not None:
            entry["keras"] = F.keras_rates(keras, case.keras, case.n).tolist()
        if case.hf is not None and hf is not None:
            entry["transformers"] = F.torch_rates(torch, *case.hf, case.n).tolist()
        if case.fairseq is not None and fairseq_source is not None:
            entry["fairseq"] = F.fairseq_rates(fairseq_source, case.fairseq, case.n).tolist()
        if case.kind in ("Cyclic", "OneCycle"):       # cycle_momentum, base .8, max .9
            entry["torch_momentum"] = F.torch_momenta(
                torch, case.kind, F.torch_momentum_kwargs(case.kind, case.params),
                F.torch_steps(case)).tolist()
        schedules.append(entry)

    plateau = []
    for init, kw, metrics in plateau_cases():
        plateau.append({"init_value": init, "kwargs": _clean(kw),
                        "metrics": metrics.tolist(),
                        "torch": F.torch_plateau(torch, kw, init, metrics).tolist()})
        if keras is not None:             # Keras's callback: threshold as absolute min_delta
            plateau[-1]["keras"] = F.keras_plateau(keras, kw, init, metrics).tolist()

    optimizers = []
    for kind, A, b, x0, opt, name, kw in optimizer_cases():
        traj = F.torch_trajectory(torch, name, kw, A, b, x0, OPT_STEPS)
        optimizers.append({"kind": kind, "torch_class": name, "kwargs": _clean(kw),
                           "torch": traj.tolist()})

    doc = {"about": "Reference values printed by the frameworks named in 'versions', "
                    "recorded by tests/golden/record.py; checked by tests/test_golden.py.",
           "versions": versions,
           "seeds": {"schedules": [SEED, PER_KIND, N],
                     "optimizers": [OPT_SEED, OPT_PER_KIND, OPT_STEPS],
                     "plateau": [PLATEAU_SEED, PLATEAU_N]},
           "schedules": schedules, "plateau": plateau, "optimizers": optimizers}
    if optax is not None:
        doc.update(record_families(torch, optax, jnp, versions))
    (HERE / "golden.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {HERE / 'golden.json'}: {len(schedules)} schedules, "
          f"{len(plateau)} plateau runs, {len(optimizers)} optimizer runs; {versions}")


if __name__ == "__main__":
    main_families() if sys.argv[1:] == ["families"] else main()
