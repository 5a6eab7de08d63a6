"""The GitHub workflows: valid (actionlint), and doing what the README says.

actionlint (requirements.txt ships its binary into .venv/bin) checks every
workflow's syntax, expressions, job graph and action inputs. The remaining
tests pin what each workflow is for: CI runs the README's test command on
every push and pull request, the book is built by the README's build command
and deployed to GitHub Pages from main, and the outward links are checked on
a schedule.
"""

import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))


def actionlint():
    exe = pathlib.Path(sys.executable).with_name("actionlint")
    if not exe.exists():
        found = shutil.which("actionlint")
        if not found:
            pytest.fail("actionlint missing: requirements.txt installs it into .venv")
        exe = pathlib.Path(found)
    return str(exe)


def run_actionlint(*paths, cwd=ROOT):
    return subprocess.run([actionlint(), "-no-color", "-oneline", *map(str, paths)],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_there_are_workflows():
    assert {p.stem for p in FILES} >= {"ci", "pages", "links"}, [p.name for p in FILES]


def test_every_workflow_passes_actionlint():
    proc = run_actionlint(*FILES)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n"
                      "    steps:\n      - run: echo ${{ github.nope }}\n"
                      "      - uses: actions/checkout@v4\n        with: {fetch-depth: []}\n")
    proc = run_actionlint(broken, cwd=tmp_path)
    assert proc.returncode != 0 and proc.stdout.strip(), proc.stdout + proc.stderr


def _readme_command(name):
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"^(bash scripts/{name}\.sh)\b", readme, re.M)
    assert match, f"README has no `bash scripts/{name}.sh` command"
    return match.group(1)


def test_ci_runs_the_readme_test_command_on_push_and_pull_request():
    text = (WORKFLOWS / "ci.yml").read_text()
    assert re.search(r"^on:\n(  .*\n)*  push:", text, re.M)
    assert re.search(r"^on:\n(  .*\n)*  pull_request:", text, re.M)
    assert re.search(rf"run: {re.escape(_readme_command('test'))}\s*$", text, re.M)
    # and .ci/run, what this repository's own CI runs, is the same command
    assert _readme_command("test") in (ROOT / ".ci" / "run").read_text()


def test_pages_builds_with_the_readme_command_and_deploys_from_main():
    text = (WORKFLOWS / "pages.yml").read_text()
    assert re.search(r"push:\n\s+branches: \[main\]", text)
    assert re.search(rf"run: {re.escape(_readme_command('build-book'))}\s*$", text, re.M)
    assert "actions/upload-pages-artifact@" in text and "path: _build/html" in text
    assert "actions/deploy-pages@" in text
    assert re.search(r"pages: write", text) and re.search(r"id-token: write", text)


def test_outward_links_are_checked_weekly():
    text = (WORKFLOWS / "links.yml").read_text()
    cron = re.search(r'cron: "([^"]+)"', text)
    assert cron, "links.yml has no schedule"
    minute, hour, day, month, weekday = cron.group(1).split()
    assert day == month == "*" and weekday not in ("*",), "not once a week"
    assert "scripts/linkcheck.sh" in text
    assert "--builder linkcheck" in (ROOT / "scripts" / "linkcheck.sh").read_text()


def test_github_folder_is_not_part_of_the_book():
    assert re.search(r"^  - \.github$", (ROOT / "_config.yml").read_text(), re.M)
