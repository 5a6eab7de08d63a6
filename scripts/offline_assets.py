"""Install the book's pinned JavaScript and stage it for the offline build.

Run by scripts/setup.sh. ``npm ci`` installs exactly js/package-lock.json
(MathJax 3, RequireJS, @jupyter-widgets/html-manager, Font Awesome 4, and
axe-core, which only the browser tests use, injected from js/node_modules and
never staged) into js/node_modules; the files the pages load are then copied
into js/static/, which _config.yml names in ``html_static_path`` (so they
land in _build/html/_static/). Both folders are generated, never committed. A stamp (the lockfile's SHA-256)
makes a second run a no-op.
"""

import hashlib
import pathlib
import shutil
import subprocess
import sys

JS = pathlib.Path(__file__).resolve().parents[1] / "js"
MODULES = JS / "node_modules"
STATIC = JS / "static"
STAMP = MODULES / ".lrtutor-staged-sha256"   # gone when node_modules is

# (source inside node_modules, destination inside js/static, file patterns to skip)
COPIES = [
    # tex-mml-chtml.js and the components it loads on demand; not the other combined bundles
    ("mathjax/es5", "mathjax", ["*-svg*.js", "*-full*.js", "tex-chtml.js", "mml-chtml.js",
                                "node-main.js", "latest.js"]),
    ("requirejs/require.js", "requirejs/require.js", []),
    ("@jupyter-widgets/html-manager/dist", "html-manager", ["*.map", "embed.js", "embed.js.LICENSE.txt"]),
    # matplotlib's JavaScript animations link Font Awesome 4.4 for their buttons
    ("font-awesome/css", "font-awesome/css", ["*.map"]),
    ("font-awesome/fonts", "font-awesome/fonts", []),
]
# The book's own small script (committed, not from npm): see its comments.
OWN = [JS / "widgets-offline.js"]


def main() -> int:
    lock = JS / "package-lock.json"
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in [lock, *OWN])).hexdigest()
    if STATIC.is_dir() and STAMP.is_file() and STAMP.read_text().strip() == digest:
        print("== offline JavaScript up to date (js/static)")
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: scripts/setup.sh installs it (apt nodejs npm)", file=sys.stderr)
        return 1
    print("== npm ci in js/ (MathJax, RequireJS, widgets HTML manager, pinned by package-lock.json)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                   cwd=JS, check=True)
    shutil.rmtree(STATIC, ignore_errors=True)
    for src, dst, skip in COPIES:
        source, target = MODULES / src, STATIC / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(*skip))
        else:
            shutil.copy2(source, target)
    for path in OWN:
        shutil.copy2(path, STATIC / path.name)
    STAMP.write_text(digest + "\n")
    print("== offline JavaScript staged in js/static")
    return 0


if __name__ == "__main__":
    sys.exit(main())
