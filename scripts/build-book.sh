#!/usr/bin/env bash
# Install everything and build the book strictly (every notebook executed,
# warnings are errors), reading and executing the chapters on every core
# (scripts/jb_build.py is `jupyter-book build` with Sphinx's parallel jobs).
# Usage: bash scripts/build-book.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== building the book"
python scripts/jb_build.py . -W -n --keep-going
echo "== the book is at file://$PWD/_build/html/index.html"
