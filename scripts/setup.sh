# Sourced by build-book.sh and test.sh: make ./.venv and install everything
# (the pinned book environment and lrtutor itself, editable), the system
# packages the browser tests and the offline JavaScript need, and the pinned
# JavaScript itself (js/package-lock.json).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# System packages, installed only when missing (CI runs as root with no stdin):
# Debian's chromium for the browser tests (tests/test_browser.py) and a CJK
# font for its screenshots (the glossary quotes the Chinese terms), node/npm
# for the offline JavaScript.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/fonts/truetype/wqy ] || missing+=(fonts-wqy-zenhei)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]} (apt)"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
echo "== installing requirements.txt and lrtutor (editable) into .venv"
# uv (pinned) installs the pinned requirements from PyPI in about 8 s where
# pip takes about 40 s on a fresh machine: it downloads in parallel.
.venv/bin/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
.venv/bin/uv pip install --quiet --compile-bytecode --python .venv/bin/python -r requirements.txt -e .
# MathJax, RequireJS and the widgets HTML manager, served by the book itself.
.venv/bin/python scripts/offline_assets.py
export PATH="$PWD/.venv/bin:$PATH"
# One BLAS thread per process (an explicit setting in the environment wins).
# The test command runs two processes on the two cores, and the book's
# matrices are small: a second BLAS thread per process saves nothing on them,
# and waiting for it on a busy core made the network chapters several times
# slower. The kernels that execute the notebooks inherit this.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
