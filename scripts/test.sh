#!/usr/bin/env bash
# Install everything and run every test: unit tests, property tests, doctests,
# nbval on every chapter notebook, JupyterLab driven in a browser, the strict
# book build and the browser tests of the built book.
#
# The tests run on two workers, one per core (pytest-xdist), which take them
# file by file (a notebook's cells run in order in one kernel), in the order
# given: one worker builds the book (tests/test_book.py) while the other runs
# JupyterLab (tests/test_jupyterlab.py), then takes tests/test_browser.py (the
# longest file: every page in Chromium) as soon as the book is built (it is
# built once for both, tests/book_build.py); each worker then takes the next
# file as it gets free. Set LRTUTOR_TEST_SERIAL=1 for one process.
# Usage: bash scripts/test.sh [extra pytest arguments]
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== running the tests"
# The book's tests first, so that the workers start on them at once.
TESTS=(tests/test_book.py tests/test_jupyterlab.py tests/test_browser.py tests lrtutor book
       --doctest-modules --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg)
if [ -n "${LRTUTOR_TEST_SERIAL:-}" ]; then
    exec python -m pytest "${TESTS[@]}" "$@"
fi
exec python -m pytest -n 2 --dist loadfile --no-loadscope-reorder "${TESTS[@]}" "$@"
