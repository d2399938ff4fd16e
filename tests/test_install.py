"""`pip install .` into a fresh venv, then `nianbao generate` from another directory finds its templates."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_installed_wheel_generates_from_any_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(REPO)], check=True)
    (wheel,) = dist.glob("nianbao-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # The new venv borrows the dependencies installed here (a plain path line: the editable nianbao of this
    # environment is not activated there) and gets nianbao itself only from the wheel.
    inner = subprocess.run(
        [python, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    Path(inner, "_borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    names = zipfile.ZipFile(wheel).namelist()
    assert "nianbao/py.typed" in names
    for asset in ("templates/board.html", "templates/base.html", "static/nianbao.css", "static/nianbao.js"):
        assert f"nianbao/web/{asset}" in names, asset  # the pages work with no network: everything ships
    front_door = "nianbao.load_form, nianbao.generate, nianbao.check_files, nianbao.merge, nianbao.render_report"
    front_door += ", nianbao.import_report, nianbao.Problem"
    where = subprocess.run(
        [python, "-c", f"import nianbao; {front_door}; print(nianbao.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(env_dir) in where, where
    roster = REPO / "samples" / "zhangwu-county-roster.csv"
    done = subprocess.run(
        [env_dir / "bin" / "nianbao", "generate", "--roster", str(roster), "--year", "2025", "--out", "out"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert len(list((elsewhere / "out").glob("*.xlsx"))) == 24
    demo = subprocess.run([env_dir / "bin" / "nianbao", "demo"], cwd=elsewhere, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert (elsewhere / "nianbao-demo" / "彰武县2025年汇总.xlsx").is_file()
