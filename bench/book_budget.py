"""Measure the book's budgets: clean strict build time and page weight.

Usage (from the repository root, after scripts/setup.sh):

    .venv/bin/python bench/book_budget.py            # clean build into a temporary copy, then weigh
    .venv/bin/python bench/book_budget.py --no-build # weigh the existing _build/html

Budgets (measured and reported, not timed tests): a clean strict build that
executes every notebook in under 90 s on 2 cores with zero warnings, and each
chapter under 3 MB (its HTML plus the images and animations it shows; the
shared theme, JavaScript and fonts in _static/ are not counted).
"""

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD_BUDGET_S = 90
PAGE_BUDGET_B = 3 * 1024 * 1024


def clean_build():
    """Copy the sources to a temporary folder and build them from scratch there."""
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="lrtutor-budget-"))
    skip = {".venv", "_build", ".git", "node_modules", ".hypothesis", ".pytest_cache"}
    shutil.copytree(ROOT, tmp / "book", ignore=lambda d, names: [n for n in names if n in skip])
    exe = pathlib.Path(sys.executable).with_name("jupyter-book")
    start = time.perf_counter()
    proc = subprocess.run([str(exe), "build", str(tmp / "book"), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    warnings = [line for line in log.splitlines()
                if ("WARNING" in line or "ERROR" in line) and not line.startswith("[IPKernelApp]")]
    executed = re.findall(r"Executed notebook in ([\d.]+) seconds", log)
    return tmp / "book" / "_build" / "html", seconds, proc.returncode, warnings, executed, tmp


def page_weight(html_dir, page):
    """Bytes of a page: its HTML (inline images and animations included) plus local images."""
    text = page.read_text(errors="replace")
    total = len(text.encode())
    # Inline images: data URIs (matplotlib animations write their frames as
    # data URIs split over escaped lines) and the PNGs inside widget state.
    inline = 0
    for chunk in re.findall(r"data:image/[a-z+]+;base64,((?:[A-Za-z0-9+/=]|\\\n|\\n)+)", text):
        inline += len(re.sub(r"[^A-Za-z0-9+/=]", "", chunk.replace("\\n", ""))) * 3 // 4
    files = 0
    for src in set(re.findall(r'<img[^>]+src="([^"]+)"', text)):
        if src.startswith(("data:", "http:", "https:")):
            continue
        path = (page.parent / src.split("?")[0]).resolve()
        if "_static" not in path.parts and path.is_file():
            files += path.stat().st_size
    return total + files, inline


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="weigh the existing _build/html")
    args = parser.parse_args()
    tmp = None
    if args.no_build:
        html = ROOT / "_build" / "html"
    else:
        html, seconds, code, warnings, executed, tmp = clean_build()
        print(f"clean strict build: {seconds:.1f} s on {os.cpu_count()} cores "
              f"(budget {BUILD_BUDGET_S} s), exit code {code}, {len(warnings)} warnings")
        print(f"  notebooks executed: {len(executed)}, "
              f"{sum(map(float, executed)):.1f} s of kernel time ({', '.join(executed)})")
        for line in warnings[:20]:
            print("  " + line)
    toc = (ROOT / "_toc.yml").read_text()
    entries = re.findall(r"(?:root|file):\s*(\S+)", toc)
    rows = []
    for entry in entries:
        page = html / f"{entry}.html"
        if page.is_file():
            weight, inline = page_weight(html, page)
            rows.append((weight, inline, entry))
    print(f"\npage weight (HTML + its images and animations; _static/ excluded), budget 3 MB:")
    for weight, inline, entry in sorted(rows, reverse=True):
        flag = "  OVER BUDGET" if weight > PAGE_BUDGET_B else ""
        print(f"  {weight / 1e6:7.2f} MB  ({inline / 1e6:5.2f} MB inline images)  {entry}{flag}")
    if rows:
        weight, _, entry = max(rows)
        print(f"heaviest: {entry} at {weight / 1e6:.2f} MB")
    shared = sum(f.stat().st_size for f in (html / "_static").rglob("*") if f.is_file())
    print(f"shared _static/ (theme, MathJax, widget manager, fonts): {shared / 1e6:.1f} MB")
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
