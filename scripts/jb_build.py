"""`jupyter-book build` with Sphinx reading (and so executing) chapters in parallel.

jupyter-book 1.x builds with one Sphinx process: its ``build_sphinx`` takes a
``jobs`` argument that the command line does not expose. With two jobs the two
cores execute two notebooks at a time (myst-nb executes a notebook while
Sphinx reads it). Every extension must then be parallel-read safe; the two
that jupyter-book loads without saying so are declared safe, with the reason,
in ``scripts/book_ext.py`` (otherwise Sphinx warns and reads serially, and the
strict build fails on that warning).

Usage: the arguments of ``jupyter-book build``. ``LRTUTOR_BUILD_JOBS`` sets the
number of jobs (default: the cores this process may use).
``LRTUTOR_BUILD_OUTPUTS=committed`` renders the notebooks' committed outputs
instead of executing them (``nb_execution_mode = "off"``): the test command's
build does this, because its nbval run already executes every notebook and
compares each cell with those outputs (tests/book_build.py says why that is
the same book).
"""

import os
import sys

import jupyter_book.sphinx
from jupyter_book.cli.main import main

_build_sphinx = jupyter_book.sphinx.build_sphinx


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                       # macOS, Windows
        return os.cpu_count() or 1


def build_sphinx(*args, **kwargs):
    kwargs["jobs"] = int(os.environ.get("LRTUTOR_BUILD_JOBS", _cores()))
    outputs = os.environ.get("LRTUTOR_BUILD_OUTPUTS", "executed")
    if outputs not in ("executed", "committed"):
        raise SystemExit(f"LRTUTOR_BUILD_OUTPUTS must be 'executed' or 'committed', not {outputs!r}")
    if outputs == "committed":
        kwargs["confoverrides"] = {**(kwargs.get("confoverrides") or {}),
                                   "nb_execution_mode": "off"}
    return _build_sphinx(*args, **kwargs)


# jupyter-book's build command imports build_sphinx from this module when it runs
jupyter_book.sphinx.build_sphinx = build_sphinx

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
