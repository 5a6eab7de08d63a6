#!/usr/bin/env bash
# Install everything and run every test: unit tests, property tests, doctests,
# nbval on every chapter notebook, and the strict book build.
# Usage: bash scripts/test.sh [extra pytest arguments]
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== running the tests"
exec python -m pytest tests lrtutor book \
    --doctest-modules --nbval --nbval-current-env \
    --nbval-sanitize-with nbval_sanitize.cfg "$@"
