"""The strict book build: every notebook executed, zero warnings."""

import re

import pytest
from book_build import ROOT, build_book, sphinx_warnings, toc_pages


@pytest.fixture(scope="session")
def built_book():
    """Build the book once per session, as the README's build command does."""
    proc, html, _ = build_book()
    return proc, html


@pytest.mark.book
def test_strict_build_has_no_warnings(built_book):
    proc, _ = built_book
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert sphinx_warnings(proc) == []


@pytest.mark.book
def test_every_toc_entry_has_a_page(built_book):
    _, html = built_book
    entries = toc_pages()
    assert entries
    for entry in entries:
        page = html / f"{entry}.html"
        assert page.is_file(), f"{page} missing"
        text = page.read_text()
        assert "Traceback" not in text, f"{page} shows a traceback"
        assert "output traceback" not in text and "output stderr" not in text


# ---------------------------------------------------------------------------
# Book features, checked in the built HTML (the browser checks are in
# test_browser.py).

REPO = "https://github.com/lrtutor/learning-rate-book"


@pytest.mark.book
def test_launch_repository_and_download_buttons(built_book):
    _, html = built_book
    notebooks = [p for p in (ROOT / "book").glob("*.ipynb")
                 if (html / "book" / f"{p.stem}.html").is_file()]
    assert notebooks
    for nb in notebooks:
        page = (html / "book" / f"{nb.stem}.html").read_text()
        assert f'href="{REPO}"' in page, "repository button"
        assert (f"https://mybinder.org/v2/gh/lrtutor/learning-rate-book/main"
                f"?urlpath=lab/tree/book/{nb.name}") in page, "Binder button"
        assert (f"https://colab.research.google.com/github/lrtutor/learning-rate-book/"
                f"blob/main/book/{nb.name}") in page, "Colab button"
        assert f'href="../_sources/book/{nb.name}"' in page, "download .ipynb button"


@pytest.mark.book
def test_offline_javascript_is_served_by_the_book(built_book):
    """MathJax, RequireJS and the widget manager come from _static/, not a CDN."""
    _, html = built_book
    for name in ("mathjax/tex-mml-chtml.js", "requirejs/require.js",
                 "html-manager/embed-amd.js", "font-awesome/css/font-awesome.min.css"):
        assert (html / "_static" / name).is_file(), name
    for page in (html / "book").glob("*.html"):
        text = page.read_text()
        scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', text)
        links = re.findall(r'<link[^>]*\shref="(https?://[^"]+)"', text)
        remote = [s for s in scripts if s.startswith(("http:", "https:", "//"))]
        assert remote == [], f"{page.name} loads scripts from the network: {remote}"
        assert links == [], f"{page.name} links stylesheets from the network: {links}"


@pytest.mark.book
def test_api_reference_covers_every_module(built_book):
    _, html = built_book
    page = (html / "book" / "api.html").read_text()
    modules = sorted(p.stem for p in (ROOT / "lrtutor").glob("*.py") if not p.stem.startswith("_"))
    for module in modules:
        assert f'id="module-lrtutor.{module}"' in page, f"lrtutor.{module} missing from book/api.md"
    assert page.count('class="math') > 20, "the docstrings' formulas are not rendered as math"


@pytest.mark.book
def test_bibliography_lists_every_entry(built_book):
    _, html = built_book
    keys = re.findall(r"^@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text(), re.M)
    page = (html / "book" / "references.html").read_text()
    entries = re.findall(r'<div class="citation" id="', page)
    assert len(entries) >= len(keys) == len(set(keys)), (len(entries), len(keys))
