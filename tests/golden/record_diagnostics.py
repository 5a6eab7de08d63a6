"""Record PyTorch's gradient clipping into tests/golden/diagnostics.json.

Run from the repository root, in an environment with PyTorch::

    PYTHONPATH=. /path/to/venv/bin/python tests/golden/record_diagnostics.py

The gradients are drawn with the fixed seed below by :func:`clip_cases`, which
``tests/test_diagnostics.py`` calls too: the test regenerates every input
from the seed, checks that it is the recorded one (by shape, ``max_norm`` and
a checksum), and compares :func:`lrtutor.diagnostics.clip_grad_norm` with the
numbers stored here. Only PyTorch's outputs are stored; lrtutor is never run
here.

Each case is a batch of runs (rows) with one ``max_norm``. PyTorch sees each
row as one parameter tensor (``clip_grad_norm_([p], max_norm)``) and, in the
``split`` records, as several tensors (the layers of a network), whose total
norm is the norm of their norms.
"""

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED, N_RANDOM = 2027, 12


def _edge_rows(rng, d, max_norm):
    """Rows at and around the threshold, zero, tiny, overflowing and non-finite."""
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    rows = [
        u * max_norm * 0.5,                # clearly below: coefficient exactly 1
        u * (max_norm - 1e-3),             # just below: still 1
        u * max_norm,                      # at the threshold: scaled by m/(m+1e-6)
        u * max_norm * (1 + 1e-9),         # just above
        u * max_norm * 1e3,                # far above
        np.zeros(d),                       # zero gradient: coefficient 1
        u * 1e-200,                        # squares underflow: norm 0
        u * 1e200,                         # squares overflow: norm inf
    ]
    for bad in (np.inf, -np.inf, np.nan):
        row = u.copy()
        row[rng.integers(d)] = bad
        rows.append(row)
    both = u.copy()
    both[0], both[-1] = np.inf, -np.inf
    rows.append(both)
    return np.array(rows)


def clip_cases():
    """The golden inputs: a list of (grads of shape (k, d), max_norm, splits).

    ``splits`` are the indices where a row is cut into parameter tensors.
    """
    rng = np.random.default_rng(SEED)
    cases = []
    for _ in range(N_RANDOM):
        d = int(rng.integers(1, 40))
        k = int(rng.integers(1, 6))
        scales = 10.0 ** rng.uniform(-4, 4, size=(k, 1))
        grads = rng.standard_normal((k, d)) * scales
        max_norm = float(10.0 ** rng.uniform(-2, 2))
        cut = np.sort(rng.choice(np.arange(1, d), size=min(2, d - 1), replace=False)) \
            if d > 1 else np.array([], dtype=int)
        cases.append((grads, max_norm, cut.tolist()))
    for d, max_norm in ((7, 1.0), (33, 0.25), (2, 5.0)):
        cases.append((_edge_rows(rng, d, max_norm), max_norm, [1] if d > 1 else []))
    return cases


def checksum(grads):
    """A number that changes when the draw changes (NaN and inf as 0)."""
    return float(np.sum(np.nan_to_num(grads, nan=0.0, posinf=0.0, neginf=0.0)
                        * np.arange(1, grads.size + 1).reshape(grads.shape)))


def torch_clip(torch, row, max_norm, splits=()):
    """``clip_grad_norm_`` on one row cut into tensors at ``splits``."""
    params = []
    for piece in np.split(row, splits):
        p = torch.nn.Parameter(torch.tensor(piece, dtype=torch.float64))
        p.grad = torch.tensor(piece, dtype=torch.float64)
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    clipped = np.concatenate([p.grad.numpy() for p in params])
    return float(total), clipped


def main():
    import torch
    records = []
    for grads, max_norm, splits in clip_cases():
        whole = [torch_clip(torch, row, max_norm) for row in grads]
        split = [torch_clip(torch, row, max_norm, splits) for row in grads]
        records.append({
            "shape": list(grads.shape), "max_norm": max_norm, "splits": splits,
            "checksum": checksum(grads),
            "total_norm": [t for t, _ in whole],
            "clipped": [c.tolist() for _, c in whole],
            "split_total_norm": [t for t, _ in split],
            "split_clipped": [c.tolist() for _, c in split]})
    doc = {"about": "torch.nn.utils.clip_grad_norm_ (norm_type=2, error_if_nonfinite="
                    "False) on gradients drawn by tests/golden/record_diagnostics.py; "
                    "checked by tests/test_diagnostics.py. NaN and Infinity as in "
                    "Python's json.",
           "versions": {"torch": torch.__version__, "numpy": np.__version__},
           "seed": [SEED, N_RANDOM], "cases": records}
    out = HERE / "diagnostics.json"
    out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {out}: {len(records)} cases, "
          f"{sum(r['shape'][0] for r in records)} runs; {doc['versions']}", file=sys.stderr)


if __name__ == "__main__":
    main()
