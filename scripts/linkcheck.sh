#!/usr/bin/env bash
# Install everything and check every outward link of the book (needs the
# network; .github/workflows/links.yml runs it weekly). The report is
# _build/linkcheck/output.txt. Usage: bash scripts/linkcheck.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== checking outward links"
jupyter-book build . --builder linkcheck
