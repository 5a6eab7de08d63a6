"""Static checks of the committed notebooks (nbval checks their outputs)."""

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "book").glob("**/*.ipynb")
                   if "_build" not in p.parts and ".ipynb_checkpoints" not in p.parts)


def test_there_are_notebooks():
    assert NOTEBOOKS, "book/ has no notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_a_clean_run(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    # nbval skips cells whose count is null: a clean run numbers them 1..n
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    for cell in code:
        tags = cell["metadata"].get("tags", [])
        for out in cell["outputs"]:
            if "raises-exception" not in tags:
                assert out["output_type"] != "error", cell["source"][:80]
                assert out.get("name") != "stderr", "".join(out.get("text", ""))[:200]
            text = json.dumps(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r" at 0x[0-9a-f]{6,}", text), "memory address in output"
            assert "image/svg+xml" not in out.get("data", {}), "use PNG figures"


def _set_repository():
    import importlib.util
    spec = importlib.util.spec_from_file_location("set_repository", ROOT / "scripts" / "set_repository.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_installs_lrtutor_on_colab_only(path):
    """The hidden first cell installs lrtutor from repository.url on Colab, nothing elsewhere."""
    repo = _set_repository()
    url = repo.read_url()
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["cell_type"] == "code" and cell["metadata"].get("tags") == ["remove-cell"]
    source = "".join(cell["source"])
    assert source == repo.colab_cell_source(url), (
        "first cell differs from the Colab cell for _config.yml's repository.url: "
        "run scripts/set_repository.py")
    assert cell["outputs"] == []
    # It does nothing here: run it as it is, with and without a fake Colab.
    import sys
    namespace = {}
    exec(compile(source, path.name, "exec"), namespace)      # not on Colab: no effect
    assert set(namespace) - {"__builtins__"} == {"sys"}
    calls = []
    fake = type(sys)("google.colab")
    import subprocess
    real_run = subprocess.run
    sys.modules["google.colab"] = fake
    subprocess.run = lambda cmd, **kw: calls.append(cmd)
    try:
        if url:
            exec(compile(source, path.name, "exec"), {})
            assert calls and calls[0][1:5] == ["-m", "pip", "install", "--quiet"]
            assert calls[0][-1] == f"lrtutor[widgets] @ git+{url}"
        else:                                               # unset: say so, install nothing
            with pytest.raises(RuntimeError, match="repository.url"):
                exec(compile(source, path.name, "exec"), {})
            assert calls == []
    finally:
        del sys.modules["google.colab"]
        subprocess.run = real_run


def test_set_repository_rejects_placeholders_and_non_github():
    repo = _set_repository()
    assert repo.check_url("") == ""
    assert repo.check_url("https://github.com/someone/lr-book.git/") == "https://github.com/someone/lr-book"
    for bad in ("https://github.com/lrtutor/learning-rate-book", "https://example.com/x/y",
                "https://gitlab.com/a/b", "github.com/a/b", "https://github.com/OWNER/REPO"):
        with pytest.raises(ValueError, match="repository url"):
            repo.check_url(bad)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_structure(path):
    nb = json.loads(path.read_text())
    # cell 0 is the hidden Colab cell (test above); the chapter starts at cell 1
    first = "".join(nb["cells"][1]["source"])
    assert nb["cells"][1]["cell_type"] == "markdown"
    assert len(re.findall(r"^# ", "".join(
        "".join(c["source"]) + "\n" for c in nb["cells"] if c["cell_type"] == "markdown"),
        flags=re.M)) == 1, "exactly one H1 title"
    assert re.search(r"^\(\S+\)=$", first, flags=re.M), "first cell starts with a label"
    sources = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "np.random.seed" not in sources and "!pip" not in sources
    toc = (ROOT / "_toc.yml").read_text()
    assert f"book/{path.stem}" in toc, "notebook not listed in _toc.yml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_captioned_figure_has_its_image(path):
    # matplotlib can drop a figure whose mathtext fails to parse without any
    # error output; a figure cell must therefore be checked for its PNG
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure")
        if cell["cell_type"] == "code" and figure:
            pngs = [o for o in cell["outputs"] if "image/png" in o.get("data", {})]
            assert len(pngs) == 1, f"figure {figure.get('name')} has {len(pngs)} images"
            alt = cell["metadata"]["mystnb"].get("image", {}).get("alt", "")
            assert alt.strip(), f"figure {figure.get('name')} has no alt text"
            # alt says what the figure shows: a sentence, not a file name or a label
            assert len(alt.split()) >= 8 and not re.search(r"\.(png|jpe?g|svg|gif)\b", alt), (
                f"figure {figure.get('name')}: alt text {alt!r} does not describe the figure")
            assert figure.get("caption", "").strip(), f"figure {figure.get('name')} has no caption"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_fits_the_page(path):
    # The book's code column shows 79 characters; longer lines are clipped and
    # make the reader scroll sideways.
    nb = json.loads(path.read_text())
    long = [line for c in nb["cells"] if c["cell_type"] == "code"
            for line in "".join(c["source"]).splitlines() if len(line) > 79]
    assert not long, f"{len(long)} code lines over 79 characters, e.g. {long[0]!r}"
