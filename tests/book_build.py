"""Build the book once per test session (shared by test_book.py and test_browser.py)."""

import functools
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"


@functools.lru_cache(maxsize=None)
def build_book():
    """Clean strict build, as the README's build command does: (process, html dir, seconds)."""
    # Everything the build makes; _build/screenshots (the browser tests', which
    # may be running in the other worker) stays.
    for name in ("html", "jupyter_execute", ".doctrees"):
        shutil.rmtree(ROOT / "_build" / name, ignore_errors=True)
    start = time.perf_counter()
    # `jupyter-book build` with Sphinx's parallel jobs, as scripts/build-book.sh
    proc = subprocess.run([sys.executable, "scripts/jb_build.py", ".", "-W", "-n", "--keep-going"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    return proc, HTML, time.perf_counter() - start


def toc_pages(root=ROOT):
    """The pages _toc.yml lists under ``root``, as paths without suffix (``book/index``)."""
    return re.findall(r"(?:root|file):\s*(\S+)", (root / "_toc.yml").read_text())


def sphinx_warnings(proc):
    """Sphinx's warnings and errors in a build log.

    The kernel's own log line about TCP transport ("[IPKernelApp] WARNING |
    Kernel is running over TCP ...") is not about the book.
    """
    log = proc.stdout + proc.stderr
    return [line for line in log.splitlines()
            if ("WARNING" in line or "ERROR" in line) and not line.startswith("[IPKernelApp]")]
