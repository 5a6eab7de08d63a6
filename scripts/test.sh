#!/usr/bin/env bash
# Install everything and run every test: unit tests, property tests, doctests,
# nbval on every chapter notebook, JupyterLab driven in a browser, the strict
# book build and the browser tests of the built book.
#
# Two groups run at once, one per core: the book (tests/test_book.py and
# tests/test_browser.py: the strict build, then every page in Chromium) and
# everything else. The book group's report follows the other's; the command
# fails if either group fails. Set LRTUTOR_TEST_SERIAL=1 for one process.
# Usage: bash scripts/test.sh [extra pytest arguments]
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== running the tests"
BOOK_TESTS=(tests/test_book.py tests/test_browser.py)
OTHERS=(tests lrtutor book --ignore=tests/test_book.py --ignore=tests/test_browser.py
        --doctest-modules --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg)
if [ -n "${LRTUTOR_TEST_SERIAL:-}" ]; then
    exec python -m pytest "${BOOK_TESTS[@]}" "${OTHERS[@]}" "$@"
fi
book_log=$(mktemp)
trap 'rm -f "$book_log"' EXIT
python -m pytest "${BOOK_TESTS[@]}" "$@" >"$book_log" 2>&1 &
book_pid=$!
echo "== group 1 of 2: unit and property tests, doctests, nbval, JupyterLab"
others_status=0
python -m pytest "${OTHERS[@]}" "$@" || others_status=$?
book_status=0
wait "$book_pid" || book_status=$?
echo "== group 2 of 2: the strict book build and the browser tests"
cat "$book_log"
echo "== exit status: group 1 $others_status, group 2 $book_status"
[ "$others_status" -eq 0 ] && [ "$book_status" -eq 0 ]
