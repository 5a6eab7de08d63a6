"""Record PyTorch's numbers for small networks into tests/golden/network.json.

Run from the repository root, in an environment with PyTorch::

    PYTHONPATH=. /path/to/venv/bin/python tests/golden/record_network.py

Each configuration (a 5-8-6-3 network, ReLU or tanh, softmax cross-entropy or
squared error, with and without the L2 penalty) is drawn from a fixed numpy
seed by :func:`cases` below: data, labels, a mini-batch and the parameters, as
one flat vector in the layout lrtutor documents for ``MLP`` (per layer the
weight matrix ``W`` of shape ``(in, out)`` row-major, then the bias). PyTorch
receives them as float64 ``nn.Linear`` layers (``weight = W.T``) and computes,
with autograd, the loss of the mini-batch and its gradient, then three steps of
``torch.optim.SGD(lr=0.1, momentum=0.9, nesterov=False, weight_decay=0.01)``
and of ``torch.optim.Adam(lr=1e-2)``, each step on the gradient of that loss
(the L2 penalty written as an explicit term of the loss) at the current
parameters. Only torch's outputs are stored, flattened in the same layout;
``tests/test_network.py`` regenerates the inputs from the seed, and lrtutor is
never run here.
"""

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20260
SIZES = (5, 8, 6, 3)            # p, hidden..., classes
N_ROWS, BATCH, STEPS = 12, 7, 3
SGD_KW = dict(lr=0.1, momentum=0.9, nesterov=False, weight_decay=0.01)
ADAM_KW = dict(lr=1e-2)
CONFIGS = [dict(activation=act, loss=loss, l2=l2)
           for act in ("relu", "tanh")
           for loss in ("cross_entropy", "squared_error")
           for l2 in (0.0, 0.05)]


def cases():
    """The inputs of every configuration, drawn from ``SEED``: a list of dicts."""
    out = []
    for i, cfg in enumerate(CONFIGS):
        rng = np.random.default_rng([SEED, i])
        X = rng.standard_normal((N_ROWS, SIZES[0]))
        y = rng.integers(0, SIZES[-1], N_ROWS)
        idx = rng.choice(N_ROWS, BATCH, replace=False)
        blocks = []
        for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
            blocks.append(1.5 * rng.standard_normal(fan_in * fan_out) / np.sqrt(fan_in))
            blocks.append(0.3 * rng.standard_normal(fan_out))    # non-zero biases
        out.append(dict(cfg, X=X, y=y, idx=idx, x0=np.concatenate(blocks)))
    return out


def torch_model(torch, x):
    """float64 ``nn.Linear`` layers holding the flat vector ``x`` (``weight = W.T``)."""
    layers, start = [], 0
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        W = x[start:start + fan_in * fan_out].reshape(fan_in, fan_out)
        b = x[start + fan_in * fan_out:start + (fan_in + 1) * fan_out]
        start += (fan_in + 1) * fan_out
        lin = torch.nn.Linear(fan_in, fan_out, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W.T))
            lin.bias.copy_(torch.tensor(b))
        layers.append(lin)
    return layers


def torch_loss(torch, layers, case):
    """The mini-batch loss of ``case`` in PyTorch, penalty as an explicit term."""
    F = torch.nn.functional
    a = torch.tensor(case["X"][case["idx"]])
    y = torch.tensor(case["y"][case["idx"]])
    for j, lin in enumerate(layers):
        a = lin(a)
        if j < len(layers) - 1:
            a = torch.relu(a) if case["activation"] == "relu" else torch.tanh(a)
    if case["loss"] == "cross_entropy":
        loss = F.cross_entropy(a, y)
    else:                       # lrtutor's convention: 1/2 sum over classes, mean over rows
        onehot = F.one_hot(y, SIZES[-1]).to(torch.float64)
        loss = 0.5 * ((a - onehot) ** 2).sum(1).mean()
    if case["l2"]:
        loss = loss + case["l2"] / 2 * sum((lin.weight ** 2).sum() for lin in layers)
    return loss


def flat(torch, layers, grad=False):
    """Weights and biases (or their gradients) in lrtutor's layout, as a numpy vector."""
    parts = []
    for lin in layers:
        W, b = (lin.weight.grad, lin.bias.grad) if grad else (lin.weight, lin.bias)
        parts += [W.detach().T.reshape(-1), b.detach()]
    return torch.cat(parts).numpy().copy()


def torch_case(torch, case):
    """PyTorch's loss, gradient and optimizer trajectories for one case."""
    layers = torch_model(torch, case["x0"])
    loss = torch_loss(torch, layers, case)
    loss.backward()
    out = {"loss": float(loss.detach()), "grad": flat(torch, layers, grad=True)}
    for name, cls, kw in (("sgd", torch.optim.SGD, SGD_KW), ("adam", torch.optim.Adam, ADAM_KW)):
        layers = torch_model(torch, case["x0"])
        opt = cls([p for lin in layers for p in (lin.weight, lin.bias)], **kw)
        path = []
        for _ in range(STEPS):
            opt.zero_grad()
            torch_loss(torch, layers, case).backward()
            opt.step()
            path.append(flat(torch, layers))
        out[name] = np.array(path)
    return out


def main():
    import torch
    torch.set_num_threads(1)
    entries = []
    for case in cases():
        ref = torch_case(torch, case)
        entries.append({"activation": case["activation"], "loss": case["loss"],
                        "l2": case["l2"], "torch_loss": ref["loss"],
                        "torch_grad": ref["grad"].tolist(),
                        "torch_sgd": ref["sgd"].tolist(), "torch_adam": ref["adam"].tolist()})
    doc = {"about": "PyTorch's loss, gradient and SGD/Adam steps for small MLPs, recorded "
                    "by tests/golden/record_network.py; checked by tests/test_network.py.",
           "versions": {"torch": torch.__version__, "numpy": np.__version__},
           "seed": SEED, "sizes": list(SIZES), "rows": [N_ROWS, BATCH], "steps": STEPS,
           "sgd": SGD_KW, "adam": ADAM_KW, "cases": entries}
    path = HERE / "network.json"
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {path}: {len(entries)} configurations; torch {torch.__version__}")


if __name__ == "__main__":
    main()
