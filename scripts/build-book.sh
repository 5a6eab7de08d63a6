#!/usr/bin/env bash
# Install everything and build the book strictly (every notebook executed,
# warnings are errors). Usage: bash scripts/build-book.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== building the book"
jupyter-book build . -W -n --keep-going
echo "== the book is at file://$PWD/_build/html/index.html"
