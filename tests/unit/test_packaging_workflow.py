"""The packaging workflow cannot run here (it needs Windows and macOS runners), so it is checked
statically: actionlint finds no problem in it (with shellcheck on its bash steps when shellcheck
is installed), and every repository file it and the build scripts name exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "package.yml"


def _actionlint() -> str:
    # The test extras install it into the virtualenv, next to this interpreter.
    beside = Path(sys.executable).parent / ("actionlint.exe" if os.name == "nt" else "actionlint")
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]' brings it")
    return found


def test_actionlint_finds_nothing_in_the_packaging_workflow() -> None:
    done = subprocess.run(
        [_actionlint(), "-no-color", str(WORKFLOW.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"actionlint findings:\n{done.stdout}{done.stderr}"


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    """The check above can fail: a workflow with an undefined step output is reported."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ steps.nope.outputs.x }}\n"
    )
    done = subprocess.run(
        [_actionlint(), "-no-color", str(bad.relative_to(tmp_path))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "nope" in done.stdout


@pytest.mark.parametrize(
    "source",
    [
        ".github/workflows/package.yml",
        "packaging/linux/build-deb.sh",
        "packaging/linux/smoke-test.sh",
        "Makefile",
        ".ci/run",
    ],
)
def test_files_named_by_the_packaging_steps_exist(source: str) -> None:
    text = (ROOT / source).read_text()
    named = set(
        re.findall(
            r"(?:packaging|resources|scripts)/[\w./-]+\.(?:spec|sh|iss|plist|py|desktop|svg|ico|icns)",
            text,
        )
    )
    assert named, f"{source} names no packaging file"
    missing = sorted(path for path in named if not (ROOT / path).is_file())
    assert not missing, f"{source} names files that do not exist: {missing}"


def test_spec_and_scripts_agree_on_the_icon_sizes() -> None:
    """build-deb.sh installs hicolor PNGs of these sizes: each must be in resources/icons."""
    script = (ROOT / "packaging" / "linux" / "build-deb.sh").read_text()
    sizes = re.search(r"for size in ([\d ]+); do", script)
    assert sizes is not None
    for size in sizes.group(1).split():
        assert (ROOT / "resources" / "icons" / f"kiops-desktop-{size}.png").is_file(), size
