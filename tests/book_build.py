"""Build the book once per test session (shared by test_book.py and test_browser.py)."""

import fcntl
import functools
import json
import os
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
    """Clean strict build of the book, once per test run: (process, html dir, seconds).

    The README's build command, with one difference: the chapters show the
    outputs committed with them instead of being executed a second time
    (``LRTUTOR_BUILD_OUTPUTS=committed``, scripts/jb_build.py). The test
    command's nbval run executes every notebook top to bottom in the same
    environment and compares every cell's output with the committed one, and
    tests/test_notebooks.py checks that the committed outputs come from one
    clean run. A failure to execute, or an output that changed, fails there;
    executing the notebooks here too would only repeat that work (some three
    minutes of CPU on two cores).

    The test command runs two pytest workers (scripts/test.sh), and the tests
    of the built book live in two files that may land on different workers:
    the first to ask builds, under a lock, and leaves the result for the other
    (keyed by the run's id, so a later run builds afresh).
    """
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        return _build()
    (ROOT / "_build").mkdir(exist_ok=True)
    record = ROOT / "_build" / "build-of-this-test-run.json"
    with open(ROOT / "_build" / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)          # released when the file closes
        if record.is_file():
            done = json.loads(record.read_text())
            if done["run"] == run:
                proc = subprocess.CompletedProcess(done["args"], done["returncode"],
                                                   done["stdout"], done["stderr"])
                return proc, HTML, done["seconds"]
        proc, html, seconds = _build()
        record.write_text(json.dumps({"run": run, "args": proc.args, "returncode": proc.returncode,
                                      "stdout": proc.stdout, "stderr": proc.stderr,
                                      "seconds": seconds}))
        return proc, html, seconds


def _build():
    # Everything the build makes; _build/screenshots (the browser tests') stays.
    for name in ("html", "jupyter_execute", ".doctrees"):
        shutil.rmtree(ROOT / "_build" / name, ignore_errors=True)
    start = time.perf_counter()
    # `jupyter-book build` with Sphinx's parallel jobs, as scripts/build-book.sh
    proc = subprocess.run([sys.executable, "scripts/jb_build.py", ".", "-W", "-n", "--keep-going"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200,
                          env={**os.environ, "LRTUTOR_BUILD_OUTPUTS": "committed"})
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
