"""The strict book build: zero warnings, every page and feature present.

The build renders the outputs committed with the notebooks; nbval executes
them in the test command's other worker (tests/book_build.py).
"""

import pathlib
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

def _set_repository():
    import importlib.util
    spec = importlib.util.spec_from_file_location("set_repository", ROOT / "scripts" / "set_repository.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OUTWARD = re.compile(r'(?:href|src|action)="((?:https?:)?//[^"]+)"')


@pytest.mark.book
def test_no_outward_link_points_at_a_placeholder(built_book):
    """No link of the built book leads to a placeholder repository or site."""
    _, html = built_book
    placeholders = [p.lower() for p in _set_repository().PLACEHOLDERS]
    pages = sorted(html.rglob("*.html"))
    assert pages
    dead = sorted({(page.relative_to(html).as_posix(), url)
                   for page in pages for url in OUTWARD.findall(page.read_text())
                   if any(p in url.lower() for p in placeholders)})
    assert dead == [], f"links to a placeholder: {dead[:10]}"


@pytest.mark.book
def test_launch_repository_and_download_buttons(built_book):
    """The buttons follow repository.url: hidden while it is unset, else pointing at it."""
    _, html = built_book
    url = _set_repository().read_url()
    notebooks = [p for p in (ROOT / "book").glob("*.ipynb")
                 if (html / "book" / f"{p.stem}.html").is_file()]
    assert notebooks
    for nb in notebooks:
        page = (html / "book" / f"{nb.stem}.html").read_text()
        assert f'href="../_sources/book/{nb.name}"' in page, "download .ipynb button"
        launch = re.findall(r'href="(https://(?:mybinder\.org|colab\.research\.google\.com)[^"]*)"', page)
        if not url:
            assert launch == [], f"{nb.name}: launch buttons without a repository: {launch}"
            assert "repository-button" not in page and "issues/new" not in page, nb.name
        else:
            owner_repo = url.removeprefix("https://github.com/")
            assert f'href="{url}"' in page, "repository button"
            assert (f"https://mybinder.org/v2/gh/{owner_repo}/main"
                    f"?urlpath=lab/tree/book/{nb.name}") in launch, "Binder button"
            assert (f"https://colab.research.google.com/github/{owner_repo}/"
                    f"blob/main/book/{nb.name}") in launch, "Colab button"


TOY_CONFIG = """title: toy
only_build_toc_files: true
exclude_patterns: [_build]
execute:
  execute_notebooks: "off"
repository:
  url: {url}
  path_to_book: ""
  branch: main
launch_buttons:
  notebook_interface: jupyterlab
  binderhub_url: https://mybinder.org
  colab_url: https://colab.research.google.com
html:
  use_download_button: true
sphinx:
  local_extensions:
    book_ext: {scripts}
  extra_extensions: [sphinx.ext.autodoc]
"""


def _toy_book(tmp_path, url):
    """A one-notebook book with this repository's book_ext and ``repository.url``."""
    import json
    import subprocess
    import sys

    (tmp_path / "_config.yml").write_text(TOY_CONFIG.format(url=url, scripts=ROOT / "scripts"))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n- file: ch\n")
    (tmp_path / "index.md").write_text("# Toy\n\nA page.\n")
    nb = {"cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# Chapter\n"]}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "ch.ipynb").write_text(json.dumps(nb))
    exe = pathlib.Path(sys.executable).with_name("jupyter-book")
    return subprocess.run([str(exe), "build", str(tmp_path), "-W"], capture_output=True,
                          text=True, timeout=300), tmp_path / "_build" / "html" / "ch.html"


def test_setting_repository_url_turns_every_button_on(tmp_path):
    proc, page = _toy_book(tmp_path, '"https://github.com/someone/lr-book"')
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    text = page.read_text()
    assert 'href="https://github.com/someone/lr-book"' in text, "repository button"
    assert "https://github.com/someone/lr-book/issues/new" in text, "issues button"
    assert "https://mybinder.org/v2/gh/someone/lr-book/main?urlpath=lab/tree/ch.ipynb" in text
    assert "https://colab.research.google.com/github/someone/lr-book/blob/main/ch.ipynb" in text


def test_unset_repository_url_hides_every_button(tmp_path):
    proc, page = _toy_book(tmp_path, '""')
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    text = page.read_text()
    for gone in ("github.com", "mybinder.org", "colab.research.google.com", "issues/new"):
        assert gone not in text, gone
    assert "_sources/ch.ipynb" in text, "download button"


def test_a_placeholder_repository_url_stops_the_build(tmp_path):
    proc, _ = _toy_book(tmp_path, "https://github.com/lrtutor/learning-rate-book")
    assert proc.returncode != 0
    assert "placeholder" in proc.stdout + proc.stderr


def test_binder_builds_the_pinned_environment_with_lrtutor():
    """repo2docker: binder/requirements.txt reuses the pins, postBuild installs lrtutor."""
    binder = ROOT / "binder"
    requirements = [line.strip() for line in (binder / "requirements.txt").read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
    assert requirements == ["-r ../requirements.txt"]
    post = (binder / "postBuild").read_text()
    assert post.startswith("#!/bin/bash") and re.search(r"pip install .*-e \.$", post, re.M)
    assert (binder / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11"


@pytest.mark.book
def test_every_chapter_figure_opens_at_full_size(built_book):
    """A figure shrunk to a phone's width is a link to its own image (book_ext)."""
    _, html = built_book
    figures = 0
    for entry in toc_pages():
        page = (html / f"{entry}.html").read_text()
        for m in re.finditer(r'<img alt="[^"]*" src="([^"]*_images/[^"]+)" />', page):
            figures += 1
            before = page[:m.start()]
            link = re.search(r'<a class="lrtutor-full-figure" href="([^"]+)" title="[^"]+">$', before)
            assert link and link[1] == m[1], f"{entry}: figure {m[1]} is not a link to itself"
            assert (html / entry).parent.joinpath(m[1]).resolve().is_file(), m[1]
    assert figures >= len([e for e in toc_pages() if (ROOT / f"{e}.ipynb").is_file()])


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
