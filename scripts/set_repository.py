"""Set (or unset) the book's repository: the one setting behind every outward link.

Usage::

    .venv/bin/python scripts/set_repository.py https://github.com/OWNER/REPO
    .venv/bin/python scripts/set_repository.py --unset
    .venv/bin/python scripts/set_repository.py --check    # exit 1 if anything disagrees

``repository.url`` in _config.yml drives the repository and issue buttons and
the Binder and Colab launch buttons of every page (scripts/book_ext.py hides
them while it is unset). Colab opens a notebook straight from GitHub, so the
URL must also be inside each notebook: its first cell, hidden in the book
(tag ``remove-cell``), installs lrtutor from the repository when it runs on
Colab and does nothing anywhere else. This script writes the URL into both
places; tests/test_notebooks.py fails when they disagree.

Changing the URL changes only that cell's source: no output, execution count
or other cell moves, so the notebooks stay a clean top-to-bottom run.
"""

import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
# Names that are not a real repository: links built from them are dead.
PLACEHOLDERS = ("lrtutor/learning-rate-book", "example.com", "example.org",
                "OWNER/REPO", "USER/REPO", "your-name", "YOUR")
GITHUB = re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# The line of _config.yml that holds the URL (inside the `repository:` block).
URL_LINE = re.compile(r"^(repository:\n(?:[ \t]*#.*\n)*[ \t]+url:[ \t]*)(.*)$", re.M)
COLAB_TAGS = ["remove-cell"]
COLAB_ID = "colab-install"


def check_url(url):
    """``url`` normalised, or ValueError: "" (unset) or https://github.com/OWNER/REPO."""
    url = url.strip().strip('"').strip("'").rstrip("/")
    if url.endswith(".git"):
        url = url[:-4]
    if not url:
        return ""
    if any(p.lower() in url.lower() for p in PLACEHOLDERS):
        raise ValueError(f"repository url must be a real repository, got the placeholder {url!r}")
    if not GITHUB.match(url):
        raise ValueError("repository url must be https://github.com/OWNER/REPO "
                         f"(Binder and Colab buttons need GitHub), got {url!r}")
    return url


def read_url(config=CONFIG):
    """The repository URL _config.yml names ("" while unset)."""
    match = URL_LINE.search(config.read_text())
    if not match:
        raise ValueError(f"{config} has no repository.url line")
    return check_url(match.group(2).split("#")[0])


def colab_cell_source(url):
    """The source of every notebook's first cell for repository ``url`` ("" = unset)."""
    head = [
        "# Colab only (this cell is hidden in the book): install lrtutor, the",
        "# book's package, from the book's repository. Anywhere else, such as",
        "# a clone with .venv or Binder, lrtutor is installed and this does nothing.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
    ]
    if url:
        body = [
            "    import subprocess",
            "",
            f'    repository = "{url}"',
            '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",',
            '                    f"lrtutor[widgets] @ git+{repository}"],',
            "                   check=True)",
        ]
    else:
        body = [
            '    raise RuntimeError("this copy of the book names no repository to "',
            '                       "install lrtutor from: set repository.url in "',
            '                       "_config.yml (scripts/set_repository.py)")',
        ]
    return "\n".join(head + body)


def colab_cell(url):
    return {"cell_type": "code", "execution_count": 1, "id": COLAB_ID,
            "metadata": {"tags": list(COLAB_TAGS)}, "outputs": [],
            "source": _lines(colab_cell_source(url))}


def _lines(text):
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def notebooks(root=ROOT):
    return sorted(p for p in (root / "book").glob("*.ipynb"))


def write_url(url):
    url = check_url(url)
    text = CONFIG.read_text()
    shown = f'"{url}"' if url else '""'
    CONFIG.write_text(URL_LINE.sub(lambda m: m.group(1) + shown, text, count=1))
    for path in notebooks():
        nb = json.loads(path.read_text())
        first = nb["cells"][0]
        if first.get("id") == COLAB_ID:
            first["source"] = _lines(colab_cell_source(url))
        else:
            # A new chapter: insert the cell. Every execution count after it
            # moves by one, so re-run the notebook afterwards (README).
            nb["cells"].insert(0, colab_cell(url))
            print(f"{path.name}: Colab cell inserted; re-run it: "
                  f"jupyter execute --inplace {path.relative_to(ROOT)}")
        # nbformat's own layout: indent 1, non-ASCII kept, final newline
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    print(f"repository.url = {url or '(unset)'} in _config.yml and {len(notebooks())} notebooks")


def disagreements():
    """Notebooks whose first cell is not the Colab cell for _config.yml's URL."""
    expected = colab_cell_source(read_url())
    wrong = []
    for path in notebooks():
        first = json.loads(path.read_text())["cells"][0]
        if ("".join(first["source"]) != expected or first.get("id") != COLAB_ID
                or first["metadata"].get("tags") != COLAB_TAGS):
            wrong.append(path.name)
    return wrong


def main(argv):
    if argv == ["--check"]:
        wrong = disagreements()
        for name in wrong:
            print(f"{name}: first cell is not the Colab cell for repository.url", file=sys.stderr)
        return 1 if wrong else 0
    if argv == ["--unset"]:
        write_url("")
        return 0
    if len(argv) == 1 and not argv[0].startswith("-"):
        try:
            write_url(argv[0])
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
