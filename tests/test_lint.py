"""The code stays ruff and mypy clean: the same checks a contributor runs, as part of the test command. Only the
project's own folders are checked (a virtual environment inside the clone is not the project's code)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

FOLDERS = ["src", "tests", "benchmarks", "docs", "packaging"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True)


def test_ruff_finds_nothing() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install '.[test]' installs it)")
    for args in (["check", *FOLDERS], ["format", "--check", *FOLDERS]):
        done = _run(ruff, *args)
        assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing() -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install '.[test]' installs it)")
    done = _run(sys.executable, "-m", "mypy", "src", "packaging")
    assert done.returncode == 0, done.stdout + done.stderr
