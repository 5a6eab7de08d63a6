# Sourced by build-book.sh and test.sh: make ./.venv and install everything
# (the pinned book environment and lrtutor itself, editable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
echo "== installing requirements.txt and lrtutor (editable) into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
export PATH="$PWD/.venv/bin:$PATH"
