#!/usr/bin/env bash
# Install everything and run every test: unit tests, property tests, doctests,
# nbval on every chapter notebook, the strict book build and the browser tests
# of the built book, and JupyterLab driven in a browser.
#
# One pytest run on both cores (pytest-xdist): each test file, doctest module
# and notebook is one unit of work, and the book build with the tests of the
# built book is one unit, handed out first (tests/conftest.py). Any failure in
# any unit fails the run. Set LRTUTOR_TEST_WORKERS=0 for a single process.
# Usage: bash scripts/test.sh [extra pytest arguments]
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== running the tests"
workers=${LRTUTOR_TEST_WORKERS:-2}
if [ "$workers" = "0" ]; then
    parallel=()
else
    parallel=(-n "$workers" --dist loadgroup)
fi
exec python -m pytest tests lrtutor book \
    --doctest-modules --nbval --nbval-current-env \
    --nbval-sanitize-with nbval_sanitize.cfg "${parallel[@]}" "$@"
