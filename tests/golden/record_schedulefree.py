"""Record the authors' schedule-free optimizers into tests/golden/schedulefree.json.

Run from the repository root, in an environment with PyTorch and the
``schedulefree`` package (Defazio et al. 2024's reference implementation)::

    PYTHONPATH=. /path/to/venv/bin/python tests/golden/record_schedulefree.py

Each problem is ``f(x) = x^T A x / 2 - b^T x`` (``A = [[1]]``, ``b = [0]`` for
``f = x^2/2`` in 1-D; a random 5-D quadratic with eigenvalues in [0.1, 10]).
``schedulefree.SGDScheduleFree`` and ``AdamWScheduleFree`` (the non-closure
versions) run in train mode on a float64 parameter for ``STEPS`` steps; the
gradient ``A y - b`` is computed in numpy at the reference's own iterate, so
only the optimizer's arithmetic is recorded. After every step the file keeps
the train-mode parameters ``y`` and the eval-mode parameters ``x``: what
``optimizer.eval()`` would set, computed on a copy with the same
``lerp`` (calling ``eval()`` and ``train()`` in the loop would round ``y``
twice per step and change the trajectory being recorded). Only the
reference's numbers are stored; lrtutor is never run here.
"""

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
STEPS = 50


def problems():
    """``(name, A, b, x0)``: the 1-D parabola and a seeded 5-D quadratic."""
    rng = np.random.default_rng(13)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    lam = np.exp(rng.uniform(np.log(0.1), np.log(10.0), 5))
    A = (q * lam) @ q.T
    A = (A + A.T) / 2
    return [("parabola", np.array([[1.0]]), np.zeros(1), np.array([1.0])),
            ("quadratic5", A, rng.normal(size=5), rng.normal(size=5) * 3)]


# (optimizer, kwargs of the reference's constructor); lrtutor uses the same names.
CONFIGS = [
    ("SGD", dict(lr=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.5, warmup_steps=10)),
    ("SGD", dict(lr=0.05, momentum=0.95, weight_decay=0.1, warmup_steps=5, r=1.0)),
    ("SGD", dict(lr=0.2, momentum=0.8, weight_decay=0.01, weight_lr_power=0.0)),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.05, betas=(0.5, 0.99), warmup_steps=10)),
    ("AdamW", dict(lr=0.02, betas=(0.95, 0.9), eps=1e-3, weight_decay=0.1,
                   warmup_steps=20, r=0.5, weight_lr_power=1.0)),
    ("AdamW", dict(lr=0.01, weight_decay=0.05)),
]


def reference_run(torch, schedulefree, kind, kw, A, b, x0, steps=STEPS):
    """``(y, x)``: arrays of shape (steps + 1, d), train- and eval-mode parameters."""
    p = torch.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    cls = schedulefree.SGDScheduleFree if kind == "SGD" else schedulefree.AdamWScheduleFree
    opt = cls([p], **kw)
    opt.train()
    beta = opt.param_groups[0]["momentum"] if kind == "SGD" else opt.param_groups[0]["betas"][0]
    ys, xs = [p.detach().numpy().copy()], [p.detach().numpy().copy()]
    for _ in range(steps):
        y = p.detach().numpy()
        p.grad = torch.from_numpy(A @ y - b)
        opt.step()
        z = opt.state[p]["z"]
        ys.append(p.detach().numpy().copy())
        xs.append(p.detach().clone().lerp_(end=z, weight=1 - 1 / beta).numpy().copy())
    return np.array(ys), np.array(xs)


def main():
    import schedulefree
    import torch
    from importlib.metadata import version
    runs = []
    for name, A, b, x0 in problems():
        for kind, kw in CONFIGS:
            y, x = reference_run(torch, schedulefree, kind, kw, A, b, x0)
            runs.append({"problem": name, "optimizer": kind, "kwargs": kw,
                         "y": y.tolist(), "x": x.tolist()})
    doc = {"about": "Iterates of the schedulefree reference optimizers (train-mode y, "
                    "eval-mode x), recorded by tests/golden/record_schedulefree.py; "
                    "checked by tests/test_optim.py.",
           "versions": {"schedulefree": version("schedulefree"), "torch": torch.__version__,
                        "numpy": np.__version__},
           "steps": STEPS, "runs": runs}
    (HERE / "schedulefree.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {HERE / 'schedulefree.json'}: {len(runs)} runs; {doc['versions']}")


if __name__ == "__main__":
    main()
