"""The strict book build: every notebook executed, zero warnings."""

import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_book():
    """Build the book once per session, as the README's build command does."""
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    exe = pathlib.Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(exe), "build", ".", "-W", "-n", "--keep-going"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    return proc, ROOT / "_build" / "html"


@pytest.mark.book
def test_strict_build_has_no_warnings(built_book):
    proc, _ = built_book
    log = proc.stdout + proc.stderr
    # Sphinx's warnings and errors; the kernel's own log line about TCP transport
    # ("[IPKernelApp] WARNING | Kernel is running over TCP ...") is not about the book.
    warnings = [line for line in log.splitlines()
                if ("WARNING" in line or "ERROR" in line) and not line.startswith("[IPKernelApp]")]
    assert proc.returncode == 0, log[-5000:]
    assert warnings == []


@pytest.mark.book
def test_every_toc_entry_has_a_page(built_book):
    _, html = built_book
    toc = (ROOT / "_toc.yml").read_text()
    entries = re.findall(r"(?:root|file):\s*(\S+)", toc)
    assert entries
    for entry in entries:
        page = html / f"{entry}.html"
        assert page.is_file(), f"{page} missing"
        text = page.read_text()
        assert "Traceback" not in text, f"{page} shows a traceback"
        assert "output traceback" not in text and "output stderr" not in text
