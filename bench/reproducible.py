"""Check that every notebook of the book is reproducible.

Usage, from the repository root::

    .venv/bin/python bench/reproducible.py             # execute each notebook twice
    .venv/bin/python bench/reproducible.py --nbval 3   # and run nbval 3 times in a row

For every ``book/**/*.ipynb`` it executes the notebook twice with nbclient,
each time in a fresh kernel with a different ``PYTHONHASHSEED`` (so output
that depends on set or dict order of strings, on the hash seed or on state
left by an earlier run shows up), and compares the text outputs (``stream``
text and every ``text/*`` representation) of the two runs with each other and
with the committed outputs, exactly, after masking only memory addresses
(as ``nbval_sanitize.cfg`` does) and the uuid4 that matplotlib's JSHTML
animations put in their element ids. nbval itself
compares the committed outputs against one more execution; ``--nbval N`` runs
it N times in a row. Exit status 0 when everything is identical.

The check is a script rather than part of ``scripts/test.sh`` because it
executes every notebook twice more; ``tests/test_reproducible.py`` runs it
when ``LRTUTOR_REPRO=1`` is set.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
#: matplotlib's JSHTML animations name their elements with a fresh uuid4.
ANIM_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")


def _mask(text):
    return ANIM_ID.sub("UUID", ADDRESS.sub("0xADDRESS", text))


def notebooks():
    return sorted(p for p in (ROOT / "book").glob("**/*.ipynb")
                  if "_build" not in p.parts and ".ipynb_checkpoints" not in p.parts)


def text_outputs(nb):
    """``[(cell index, kind, text)]`` for every text output of every code cell."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        streams = {}        # a stream may arrive in several messages: join them
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                streams[o.get("name")] = streams.get(o.get("name"), "") + o.get("text", "")
        for name, text in sorted(streams.items()):
            out.append((i, name, _mask(text)))
        for o in cell.get("outputs", []):
            for mime, data in sorted(o.get("data", {}).items()):
                if mime.startswith("text/"):
                    text = data if isinstance(data, str) else "".join(data)
                    out.append((i, mime, _mask(text)))
            if o.get("output_type") == "error":
                out.append((i, "error", o.get("ename", "")))
    return out


def execute(path, hash_seed):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    run = copy.deepcopy(nb)
    old = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = str(hash_seed)     # inherited by the kernel
    try:
        NotebookClient(run, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = old
    return nb, run


def first_difference(a, b):
    for x, y in zip(a, b):
        if x != y:
            a, b = x[2], y[2]
            k = next((i for i, (u, v) in enumerate(zip(a, b)) if u != v), min(len(a), len(b)))
            return (f"cell {x[0]} ({x[1]}, lengths {len(a)}/{len(b)}), first difference "
                    f"at character {k}: {a[max(k - 60, 0):k + 40]!r} != "
                    f"{b[max(k - 60, 0):k + 40]!r}")
    if len(a) != len(b):
        return f"{len(a)} text outputs != {len(b)}"
    return None


def check_notebook(path):
    """Return a list of problems (empty when the notebook is reproducible)."""
    problems = []
    committed, run1 = execute(path, 1)
    _, run2 = execute(path, 2)
    ref, t1, t2 = text_outputs(committed), text_outputs(run1), text_outputs(run2)
    diff = first_difference(t1, t2)
    if diff:
        problems.append(f"run 1 vs run 2: {diff}")
    diff = first_difference(ref, t1)
    if diff:
        problems.append(f"committed vs run 1: {diff}")
    return problems


def run_nbval(times):
    cmd = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
           "--nbval-sanitize-with", "nbval_sanitize.cfg", "-q", "-p", "no:cacheprovider",
           *[str(p.relative_to(ROOT)) for p in notebooks()]]
    ok = True
    for i in range(times):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        print(f"nbval run {i + 1}/{times}: exit {r.returncode} in "
              f"{time.perf_counter() - t0:.1f} s: {last}")
        ok &= r.returncode == 0
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description="execute every notebook twice and compare")
    ap.add_argument("--nbval", type=int, default=0, metavar="N",
                    help="also run nbval N times in a row")
    ap.add_argument("paths", nargs="*", help="notebooks (default: all of book/)")
    args = ap.parse_args(argv)
    paths = [Path(p).resolve() for p in args.paths] or notebooks()
    failed = 0
    for path in paths:
        t0 = time.perf_counter()
        problems = check_notebook(path)
        status = "identical" if not problems else "DIFFERENT"
        print(f"{path.relative_to(ROOT)}: {status} ({time.perf_counter() - t0:.1f} s "
              "for two runs)")
        for p in problems:
            print(f"    {p}")
        failed += bool(problems)
    ok = failed == 0
    if args.nbval:
        ok &= run_nbval(args.nbval)
    print(f"{len(paths) - failed} reproducible, {failed} not")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
