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
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
# MathJax, RequireJS and the widgets HTML manager, served by the book itself.
.venv/bin/python scripts/offline_assets.py
export PATH="$PWD/.venv/bin:$PATH"
