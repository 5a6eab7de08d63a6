"""Record PyTorch training runs on the digits into tests/golden/training.json.

Run from the repository root, in an environment with PyTorch::

    PYTHONPATH=. /path/to/venv/bin/python tests/golden/record_training.py

A whole training run, not one step: a 64-16-10 ReLU network (softmax
cross-entropy) on the first 200 rows of the digits training split
(:func:`lrtutor.data.load_digits_split`, seed 0), started from He weights drawn
by ``MLP.init(np.random.default_rng(1))``, trained for ``STEPS`` mini-batch
steps of 16 rows in shuffled epochs (``np.random.default_rng(7)``: one
``permutation(200)`` per epoch, cut into consecutive batches, the protocol of
``lrtutor.train.run(..., sampling="epoch")``), by ``torch.optim.SGD`` with
momentum and by ``torch.optim.Adam``. Stored: torch's loss of every step (the
``loss.item()`` a PyTorch user logs) and the final parameters in lrtutor's flat
layout. ``tests/test_train.py`` runs lrtutor from the same start on the same
batches and compares; lrtutor's training loop is never run here (its data
loader and initialiser are, to produce the inputs).
"""

import json
from pathlib import Path

import numpy as np

from lrtutor.data import load_digits_split
from lrtutor.network import MLP

HERE = Path(__file__).resolve().parent
ROWS, HIDDEN, BATCH, STEPS, INIT_SEED, BATCH_SEED = 200, (16,), 16, 60, 1, 7
RUNS = {"sgd_momentum": ("SGD", dict(lr=0.05, momentum=0.9)),
        "adam": ("Adam", dict(lr=0.003))}


def problem():
    split = load_digits_split(seed=0)
    return MLP(split.X_train[:ROWS], split.y_train[:ROWS], hidden=HIDDEN)


def batches(n):
    rng, out = np.random.default_rng(BATCH_SEED), []
    while len(out) < STEPS:
        perm = rng.permutation(n)
        out += [perm[i:i + BATCH] for i in range(0, n, BATCH)]
    return out[:STEPS]


def torch_run(torch, net, x0, name, kw):
    nn, F = torch.nn, torch.nn.functional
    layers = []
    for (W, b), (fan_in, fan_out) in zip(net.unflatten(x0), zip(net.sizes[:-1], net.sizes[1:])):
        lin = nn.Linear(fan_in, fan_out).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.array(W.T)))
            lin.bias.copy_(torch.from_numpy(np.array(b)))
        layers += [lin, nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    opt = getattr(torch.optim, name)(model.parameters(), **kw)
    X, y = torch.from_numpy(np.array(net.X)), torch.from_numpy(np.array(net.y))
    losses = []
    for idx in batches(net.n):
        idx = torch.from_numpy(idx)
        loss = F.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    final = np.concatenate([np.concatenate([m.weight.detach().numpy().T.ravel(),
                                            m.bias.detach().numpy()])
                            for m in model if isinstance(m, nn.Linear)])
    return losses, final.tolist()


def main():
    import torch
    net = problem()
    x0 = net.init(np.random.default_rng(INIT_SEED))
    out = {"torch": torch.__version__, "numpy": np.__version__, "runs": {}}
    for key, (name, kw) in RUNS.items():
        losses, final = torch_run(torch, net, x0, name, kw)
        out["runs"][key] = {"optimizer": name, "kwargs": kw, "losses": losses, "final": final}
    (HERE / "training.json").write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", HERE / "training.json")


if __name__ == "__main__":
    main()
