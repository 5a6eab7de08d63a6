"""Benchmarks of lrtutor: each prints a ratio measured side by side in one run.

Usage, from the repository root::

    .venv/bin/python bench/run.py            # everything (sections 1-4)
    .venv/bin/python bench/run.py --quick    # skip section 4 (book build, test suite)

1. **Sweep**: 1,000 learning rates x 1,000 steps of gradient descent on the
   case-study regression (``LinearRegression`` on ``make_linear_data``), as
   one batched :func:`lrtutor.train.sweep`, against a Python loop of
   :func:`lrtutor.train.run` calls (one per rate, the same work) and, when
   PyTorch is importable, a ``torch.optim.SGD`` loop on float64 tensors.
   Target: batched >= 50x the loop, and faster than torch.
2. **Optimizer update on 10^7 float64 parameters** (SGD, momentum, Adam):
   the bandwidth achieved by the in-place ``update_`` (bytes that must move:
   each array read once, each updated array written once) against a plain
   ``numpy.copyto`` of the same arrays in the same run. Target >= 50%.
   ``update_`` shares its blocks among the cores by default, so the limit is
   the faster of a one-thread copy and a copy split among as many threads;
   the single-thread update (``workers=1``) is printed beside it.
3. **Widget update latency** per explorer of :data:`lrtutor.widgets.EXPLORERS`
   (median and p95 of ``explorer.set(...)``): the hook for the explorers.
4. **Wall time** of the strict book build and of the full test command.

Numbers are printed, never asserted: they depend on the machine (run it on a
quiet one). The loops of section 1 are timed on a subset of the rates and
scaled linearly (the cost per rate is constant; ``--full`` times all of them).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lrtutor  # noqa: E402
from lrtutor import optim, problems, train  # noqa: E402


def best_of(fn, repeat=3):
    """Smallest wall time of ``repeat`` calls (seconds)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def line(label, value):
    print(f"  {label:<58} {value}")


# ------------------------------------------------------------- 1. sweep --

def case_study_problem():
    X, y = problems.make_linear_data(rng=np.random.default_rng(0))
    return problems.LinearRegression(X, y)


def bench_sweep(k=1000, steps=1000, loop_rates=40, torch_rates=10, full=False):
    print(f"\n1. Sweep: {k} learning rates x {steps} steps, case-study regression")
    problem = case_study_problem()
    x0 = np.zeros(problem.dim)
    lrs = np.geomspace(1e-3, 1.5, k)
    opt = optim.SGD(lr=0.1)

    t_batched = best_of(lambda: train.sweep(problem, opt, lrs, x0, steps), repeat=2)
    line("batched train.sweep", f"{t_batched:8.3f} s")

    n_loop = k if full else loop_rates
    idx = np.linspace(0, k - 1, n_loop).astype(int)

    def loop():
        for lr in lrs[idx]:
            train.run(problem, optim.SGD(lr=float(lr)), x0, steps)

    t_loop = best_of(loop, repeat=1) * k / n_loop
    line(f"per-rate Python loop of train.run ({n_loop} rates timed)", f"{t_loop:8.3f} s")
    line("speed-up of the batched sweep (target >= 50x)", f"{t_loop / t_batched:8.1f} x")

    # the same numbers? (row i of the sweep is run i)
    ref = train.run(problem, optim.SGD(lr=float(lrs[idx[1]])), x0, steps)
    batch = train.sweep(problem, opt, lrs[idx[:2]], x0, steps)
    diff = np.max(np.abs(batch.params[:, 1] - ref.params)
                  / np.maximum(np.abs(ref.params), 1e-300))
    line("sweep row vs separate run: max relative difference", f"{diff:8.1e}")

    try:
        import torch
    except ImportError:
        line("torch.optim loop", "skipped (PyTorch not installed)")
        return
    torch.set_num_threads(1)        # tiny tensors: threads only add contention
    n_torch = k if full else torch_rates
    tidx = np.linspace(0, k - 1, n_torch).astype(int)
    Xt = torch.from_numpy(np.array(problem.design))       # [1, X]: same objective
    yt = torch.from_numpy(np.array(problem.y))

    def torch_loop():
        for lr in lrs[tidx]:
            w = torch.zeros(Xt.shape[1], dtype=torch.float64, requires_grad=True)
            o = torch.optim.SGD([w], lr=float(lr))
            for _ in range(steps):
                o.zero_grad()
                loss = ((Xt @ w - yt) ** 2).mean() / 2
                loss.backward()
                o.step()

    t_torch = best_of(torch_loop, repeat=1) * k / n_torch
    line(f"torch.optim.SGD loop, torch {torch.__version__} ({n_torch} rates timed)",
         f"{t_torch:8.3f} s")
    line("speed-up of the batched sweep over torch (target > 1x)",
         f"{t_torch / t_batched:8.1f} x")


# ---------------------------------------------------- 2. memory bandwidth --

def bench_bandwidth(n=10_000_000, repeat=5):
    workers = optim._available_cores()
    print(f"\n2. Optimizer update on {n:.0e} float64 parameters (in place, update_, "
          f"{workers} worker thread{'s' if workers > 1 else ''} by default)")
    rng = np.random.default_rng(0)
    src = rng.normal(size=n)
    dst = np.empty_like(src)
    bounds = [(i * n // workers, (i + 1) * n // workers) for i in range(workers)]

    def threaded_copy():
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda b: np.copyto(dst[b[0]:b[1]], src[b[0]:b[1]]), bounds))

    copies = {"numpy copy, one thread": lambda: np.copyto(dst, src),
              f"numpy copy, {workers} threads": threaded_copy}
    bw_copy = 0.0
    for label, copy in copies.items():
        bw = 2 * src.nbytes / best_of(copy, 3 * repeat)     # read 1 + write 1 array
        line(label, f"{bw / 1e9:6.2f} GB/s")
        bw_copy = max(bw_copy, bw)
    line("limit used below: the faster copy", f"{bw_copy / 1e9:6.2f} GB/s")
    cases = [("SGD", optim.SGD(lr=1e-3), 3),                     # g, p read; p written
             ("SGD momentum 0.9", optim.SGD(lr=1e-3, momentum=0.9), 5),   # + buf r/w
             ("Adam", optim.Adam(lr=1e-3), 7)]                   # g, p, m, v; p, m, v
    for name, opt, arrays in cases:
        params = rng.normal(size=n)
        grads = rng.normal(size=n)
        state = opt.init(params)
        state = opt.update_(grads, state, params)       # past the first step
        holder = [state]
        for label, kwargs in (("update_", {}), ("update_(workers=1)", {"workers": 1})):
            def step():
                holder[0] = opt.update_(grads, holder[0], params, **kwargs)

            t = best_of(step, repeat)
            bw = arrays * params.nbytes / t
            line(f"{name}: {label}", f"{t * 1e3:6.1f} ms {bw / 1e9:6.2f} GB/s "
                 f"{100 * bw / bw_copy:5.1f} % of the limit (target >= 50 %)")
        t_pure = best_of(lambda: opt.update(grads, holder[0], params), 2)
        line(f"{name}: pure update (allocating)", f"{t_pure * 1e3:6.1f} ms")


# ------------------------------------------------------ 3. widget latency --

def widget_moves(explorer):
    """Values to move each control through: ten points across its range."""
    moves = []
    for name, control in explorer.controls.items():
        lo, hi = getattr(control, "min", None), getattr(control, "max", None)
        if lo is None or hi is None:
            continue
        if type(control).__name__.endswith("LogSlider"):
            base = getattr(control, "base", 10)
            values = [base ** v for v in np.linspace(lo, hi, 10)]
        else:
            values = list(np.linspace(lo, hi, 10))
        if "Int" in type(control).__name__:
            values = [int(round(v)) for v in values]
        moves += [(name, v) for v in values]
    return moves


def bench_widgets(rounds=5):
    """Hook: times ``explorer.set(name, value)`` for every explorer listed in
    ``lrtutor.widgets.EXPLORERS`` (constructed with its defaults)."""
    print("\n3. Widget update latency (explorer.set, full redraw to PNG)")
    try:
        import matplotlib
        matplotlib.use("Agg")
        from lrtutor import widgets
    except ImportError as exc:
        line("widgets", f"skipped ({exc})")
        return
    explorers = getattr(widgets, "EXPLORERS", [])
    if not explorers:
        line("widgets", "no explorers registered in lrtutor.widgets.EXPLORERS")
        return
    import matplotlib.pyplot as plt
    for cls in explorers:
        ex = cls()
        moves = widget_moves(ex)
        times = []
        for _ in range(rounds):
            for name, value in moves:
                t0 = time.perf_counter()
                ex.set(name, value)
                times.append(time.perf_counter() - t0)
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        line(f"{cls.__name__} ({len(times)} moves)",
             f"median {statistics.median(times) * 1e3:6.1f} ms, p95 {p95 * 1e3:6.1f} ms")
        plt.close("all")


# ------------------------------------------------------ 4. build and tests --

def bench_build_and_tests():
    print("\n4. Wall time of the strict book build and of the full test command")
    venv_bin = Path(sys.executable).parent
    out = Path(tempfile.mkdtemp(prefix="lrtutor-bench-build-"))
    try:
        cmd = [str(venv_bin / "jupyter-book"), "build", str(ROOT), "-W", "-n",
               "--keep-going", "--path-output", str(out)]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        line("strict book build (jupyter-book build -W -n)",
             f"{time.perf_counter() - t0:8.1f} s (exit {r.returncode})")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "pytest", "tests", "lrtutor", "book", "--doctest-modules",
           "--nbval", "--nbval-current-env", "--nbval-sanitize-with", "nbval_sanitize.cfg",
           "-q", "-p", "no:cacheprovider"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    summary = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    line("full test command (pytest tests lrtutor book --nbval ...)",
         f"{time.perf_counter() - t0:8.1f} s (exit {r.returncode}: {summary})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip section 4")
    ap.add_argument("--full", action="store_true",
                    help="time the loops of section 1 on all 1,000 rates")
    args = ap.parse_args(argv)
    print(f"lrtutor {lrtutor.__version__}, numpy {np.__version__}, Python "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    bench_sweep(full=args.full)
    bench_bandwidth()
    bench_widgets()
    if not args.quick:
        bench_build_and_tests()


if __name__ == "__main__":
    main()
