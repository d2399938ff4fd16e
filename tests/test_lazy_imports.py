"""The front door loads its names when used, and `nianbao status` starts without the heavy parts of the library
(speed is measured in benchmarks/run.py; these tests only check what is imported)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import nianbao
from nianbao.collection.workspace import Workspace
from nianbao.form import data_dir

HEAVY = ("openpyxl", "xlsxwriter", "python_calamine", "flask", "docx", "nianbao.operations.check", "nianbao.form.spec")


def test_every_public_name_resolves_to_the_object_of_its_module() -> None:
    public = set(nianbao.__all__) - {"__version__"}
    assert public == set(nianbao._HOMES)
    for name in public:
        value = getattr(nianbao, name)
        assert getattr(value, "__name__", name) == name
        assert value.__module__ == nianbao._HOMES[name]
    assert set(nianbao.__all__) <= set(dir(nianbao))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        getattr(nianbao, "no_such_thing".strip())


def test_the_command_line_starts_without_the_heavy_modules() -> None:
    code = "import sys, nianbao, nianbao.cli; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code.format(heavy=HEAVY)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


def test_the_front_door_loads_a_name_with_its_module() -> None:
    code = "import sys, nianbao; nianbao.check_files; print('nianbao.operations.check' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_a_status_with_its_review_kept_reads_no_spec(tmp_path: Path) -> None:
    ws, _ = Workspace.create(tmp_path / "ws", data_dir("samples") / "zhangwu-county-roster.csv", 2025)
    ws.receive(sorted((data_dir("samples") / "filled").glob("*.xlsx"))[:8])
    ws.status()  # receiving worked the review out and kept it
    code = (
        "import sys; from nianbao.collection.workspace import Workspace; "
        f"Workspace.open({str(ws.root)!r}).status(); print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
