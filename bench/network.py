"""Benchmark: many learning rates of a small network at once, against PyTorch.

Usage, from the repository root (one thread everywhere; PyTorch is optional)::

    .venv/bin/python bench/network.py
    PYTHONPATH=. /path/to/python-with-torch bench/network.py   # adds (b) and (c)

The work (issue 11): 32 learning rates x 20 epochs of a 64-64-10 ReLU network (64 inputs, one hidden layer of 64, 10 classes)
(:class:`lrtutor.network.MLP`, softmax cross-entropy) on the training part of
the digits (:func:`lrtutor.data.load_digits_split`), batch 32, float64, every
rate from the same He initialisation and the same shuffled batches. lrtutor
runs with everything a chapter uses switched on: divergence handling, the
per-step batch loss and gradient norm, and the validation loss and accuracy
after every epoch. Printed side by side, in one run:

- **batched**: one :func:`lrtutor.train.sweep` over the 32 rates;
- **(a)** lrtutor one rate at a time (a loop of :func:`lrtutor.train.run`);
- **(b)** the loop a PyTorch user writes: one ``nn.Sequential`` and one
  ``torch.optim.SGD`` per rate, ``loss.item()`` logged each step, the
  validation set evaluated each epoch;
- **(c)** the 32 models stacked in PyTorch: weights of shape ``(32, in, out)``,
  batched matrix products, autograd, the update done by hand per rate.

Targets: batched >= 8x (b) and >= 1.5x (c) (moonshot 15x and 2x). Numbers are
printed, never asserted: they depend on the machine. The batched sweep and (c)
are timed best of three (they take about a second each). The loops (a) and (b) are
timed on a subset of the rates and scaled linearly (``--full`` times all).
Before timing, the script checks that the three implementations compute the
same thing: the final batch losses of (b) and (c) agree with lrtutor's.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"          # one thread, before numpy or torch load BLAS

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lrtutor import data, optim, train  # noqa: E402
from lrtutor.network import MLP  # noqa: E402

K, EPOCHS, BATCH, HIDDEN = 32, 20, 32, (64,)


def setup():
    """The problem, 32 rates, the common start and the batches every rate sees."""
    split = data.load_digits_split(seed=0)
    problem = MLP(split.X_train, split.y_train, hidden=HIDDEN, activation="relu")
    lrs = np.geomspace(1e-3, 3.0, K)
    x0 = problem.init(np.random.default_rng(0))
    steps = EPOCHS * math.ceil(problem.n / BATCH)
    return split, problem, lrs, x0, steps


def lrtutor_kwargs(split, problem):
    per_epoch = math.ceil(problem.n / BATCH)
    return dict(rng=np.random.default_rng(1), batch_size=BATCH, sampling="epoch",
                record_every=10**9, eval_every=per_epoch,
                validation=(split.X_val, split.y_val))


def batches_of(problem, steps):
    """The rows of every step, as ``train.run`` draws them with ``sampling="epoch"``."""
    rng, out = np.random.default_rng(1), []
    while len(out) < steps:
        perm = rng.permutation(problem.n)
        out += [perm[i:i + BATCH] for i in range(0, problem.n, BATCH)]
    return out[:steps]


def run_batched(split, problem, lrs, x0, steps):
    return train.sweep(problem, optim.SGD(lr=0.1), lrs, x0, steps,
                       **lrtutor_kwargs(split, problem))


def run_one_at_a_time(split, problem, lrs, x0, steps):
    return [train.run(problem, optim.SGD(lr=float(lr)), x0, steps,
                      **lrtutor_kwargs(split, problem)) for lr in lrs]


# ------------------------------------------------------------------ torch --

def relative_gap(theirs, ours):
    """Largest |theirs - ours| / |ours| over the runs finite in both (0 for none)."""
    theirs, ours = np.asarray(theirs), np.asarray(ours)
    ok = np.isfinite(theirs) & np.isfinite(ours)
    if not ok.any():
        return 0.0
    return float(np.max(np.abs(theirs[ok] - ours[ok]) / np.maximum(np.abs(ours[ok]), 1e-300)))


def tensor(torch, array):
    """A torch tensor with its own copy of ``array`` (lrtutor's arrays are read-only)."""
    return torch.from_numpy(np.array(array))


def torch_layers(torch, problem, x0):
    """lrtutor's flat vector as torch tensors: Linear keeps W transposed."""
    return [(tensor(torch, W.T), tensor(torch, b))
            for W, b in problem.unflatten(x0)]


def torch_loop(torch, split, problem, lrs, x0, batches):
    """One model and one optimizer per rate: what a PyTorch user writes."""
    nn, F = torch.nn, torch.nn.functional
    X, y = tensor(torch, problem.X), tensor(torch, problem.y)
    Xv, yv = tensor(torch, split.X_val), tensor(torch, split.y_val)
    per_epoch = math.ceil(problem.n / BATCH)
    finals = []
    for lr in lrs:
        sizes = problem.sizes
        mods = []
        for i in range(len(sizes) - 1):
            mods.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                mods.append(nn.ReLU())
        model = nn.Sequential(*mods).double()
        with torch.no_grad():
            linears = [m for m in model if isinstance(m, nn.Linear)]
            for lin, (W, b) in zip(linears, torch_layers(torch, problem, x0)):
                lin.weight.copy_(W)
                lin.bias.copy_(b)
        opt = torch.optim.SGD(model.parameters(), lr=float(lr))
        losses = []
        for t, idx in enumerate(batches):
            idx = torch.from_numpy(idx)
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if not math.isfinite(losses[-1]):
                break                                   # diverged: stop this rate
            if (t + 1) % per_epoch == 0:
                with torch.no_grad():
                    out = model(Xv)
                    F.cross_entropy(out, yv).item()
                    (out.argmax(1) == yv).double().mean().item()
        finals.append(losses[-1])
    return np.array(finals)


def torch_stacked(torch, split, problem, lrs, x0, batches):
    """The same K models as stacked tensors, one autograd pass for all."""
    F = torch.nn.functional
    X, y = tensor(torch, problem.X), tensor(torch, problem.y)
    Xv, yv = tensor(torch, split.X_val), tensor(torch, split.y_val)
    k = len(lrs)
    params = []
    for W, b in problem.unflatten(np.broadcast_to(x0, (k, x0.size)).copy()):
        params += [tensor(torch, W).requires_grad_(),
                   tensor(torch, b[:, None, :]).requires_grad_()]
    rate = torch.from_numpy(np.asarray(lrs, dtype=np.float64)).view(k, 1, 1)
    alive = torch.ones(k, dtype=torch.bool)
    per_epoch = math.ceil(problem.n / BATCH)

    def forward(a):
        n_layers = len(params) // 2
        for i in range(n_layers):
            a = a @ params[2 * i] + params[2 * i + 1]
            if i < n_layers - 1:
                a = torch.relu(a)
        return a

    last = None
    for t, idx in enumerate(batches):
        idx = torch.from_numpy(idx)
        logits = forward(X[idx])                                  # (k, B, C)
        b = logits.shape[1]
        loss = F.cross_entropy(logits.reshape(k * b, -1), y[idx].repeat(k),
                               reduction="none").view(k, b).mean(1)
        grads = torch.autograd.grad(loss.sum(), params)
        with torch.no_grad():
            alive &= torch.isfinite(loss)
            step = torch.where(alive.view(k, 1, 1), rate, torch.zeros_like(rate))
            for p, g in zip(params, grads):
                p -= step * g
        last = loss.detach().numpy().copy()
        if (t + 1) % per_epoch == 0:
            with torch.no_grad():
                out = forward(Xv)
                F.cross_entropy(out.reshape(-1, out.shape[-1]), yv.repeat(k))
                (out.argmax(-1) == yv).double().mean(1)
    return last


def timed(fn, repeat=1):
    """``(smallest wall time of `repeat` calls, the last call's result)``."""
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="time every rate of the loops")
    ap.add_argument("--subset", type=int, default=4, help="rates timed in the loops")
    args = ap.parse_args()
    split, problem, lrs, x0, steps = setup()
    print(f"Network sweep: {K} rates x {EPOCHS} epochs ({steps} steps) of a "
          f"{'-'.join(map(str, problem.sizes))} ReLU MLP, batch {BATCH}, float64, one thread")
    print(f"  machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, numpy {np.__version__}")
    subset = np.arange(K) if args.full else np.linspace(0, K - 1, args.subset).astype(int)
    scale = K / subset.size

    run_batched(split, problem, lrs[:2], x0, 5)                   # warm up
    t_batched, trace = timed(lambda: run_batched(split, problem, lrs, x0, steps), repeat=3)
    t_single, singles = timed(lambda: run_one_at_a_time(split, problem, lrs[subset],
                                                          x0, steps))
    t_single *= scale
    gap = max(float(np.nanmax(np.abs(s.batch_losses - trace.batch_losses[:, i])
                              / np.maximum(np.abs(trace.batch_losses[:, i]), 1e-300),
                              initial=0.0))
              for s, i in zip(singles, subset))
    print(f"  diverged runs: {int(trace.diverged.sum())} of {K}; batched vs single, "
          f"largest relative gap in the logged losses: {gap:.1e}")
    rows = [("lrtutor, batched (one sweep)", t_batched),
            ("(a) lrtutor, one rate at a time", t_single)]
    try:
        import torch
    except ImportError:
        torch = None
        print("  PyTorch is not importable: (b) and (c) skipped")
    if torch is not None:
        torch.set_num_threads(1)
        batches = batches_of(problem, steps)
        finals_c = torch_stacked(torch, split, problem, lrs, x0, batches)
        ours = trace.batch_losses[-1]
        print(f"  check: (c)'s last batch losses vs lrtutor's, largest relative gap "
              f"{relative_gap(finals_c, ours):.1e} (runs finite in both)")
        t_loop, finals_b = timed(lambda: torch_loop(torch, split, problem, lrs[subset],
                                                    x0, batches))
        print(f"  check: (b)'s last batch losses vs lrtutor's, largest relative gap "
              f"{relative_gap(finals_b, ours[subset]):.1e}")
        t_loop *= scale
        t_stack, _ = timed(lambda: torch_stacked(torch, split, problem, lrs, x0, batches),
                           repeat=3)
        rows += [(f"(b) PyTorch {torch.__version__}: a model and an SGD per rate", t_loop),
                 ("(c) PyTorch: 32 models stacked, autograd", t_stack)]
    print()
    for label, t in rows:
        ratio = t / t_batched
        print(f"  {label:<52} {t:8.2f} s   batched is {ratio:5.1f}x faster"
              if label[0] == "(" else f"  {label:<52} {t:8.2f} s")
    if not args.full:
        print(f"  (loops (a) and (b) timed on {subset.size} of the {K} rates and scaled)")


if __name__ == "__main__":
    main()
