"""Build nianbao's offline bundle, ``dist/nianbao-<version>-offline.zip``: nianbao's wheel and every dependency's
wheels for 64-bit Windows and Linux x86_64 / aarch64 × CPython 3.10–3.13, with 安装.bat / install.sh, 卸载.bat /
uninstall.sh and 使用说明.txt/.html, for county PCs without the network or the administrator.

    python packaging/make_bundle.py                # every target
    python packaging/make_bundle.py --host-only    # this machine only (Linux x86_64 and this Python, say)
    python packaging/make_bundle.py --offline      # from the cache alone: fails, saying what, if a wheel is missing

Wheels are downloaded once into a cache (``~/.cache/nianbao/bundle``, or ``--cache`` / ``NIANBAO_BUNDLE_CACHE``), the
tools that build nianbao's wheel (hatchling) too: a second build reads no network. Each target's set is worked out
with its own environment markers (``wheelset.py``) and checked twice in the bundle alone: by that resolution, and by
``pip install --dry-run --no-index --platform … --target`` as pip would install it there.

Layout of the zip (one folder, ``nianbao-<version>-offline/``): the scripts and the guide at the top, ``setup/``
with the installer, the launcher, ``bundle.json`` (each target's wheels, their sha256, the glibc they need) and
``wheels/``."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.tags import Tag
from packaging.utils import canonicalize_name
from packaging.version import Version
from texts import (
    BATCH_FILES,
    INSTALLER,
    SETUP_FILES,
    SHELL_FILES,
    batch_file,
    guide_page,
    guide_source,
    guide_text,
    shell_file,
)
from wheelset import PYTHONS, Target, Wheel, WheelSet, gather, host_target, pip, resolve, targets, wheels_in

REPO = Path(__file__).resolve().parents[1]
PLATFORMS = ("win_amd64", "linux_x86_64", "linux_aarch64")
BUILD_TOOLS = "hatchling>=1.21"  # pyproject.toml's build-system.requires
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # every entry: the same bundle from the same wheels, byte for byte
OLD_GLIBC = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


class BundleError(Exception):
    """Why the bundle was not made."""


def version_of(repo: Path = REPO) -> str:
    text = (repo / "src" / "nianbao" / "version.py").read_text(encoding="utf-8")
    found = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    if not found:
        raise BundleError("no __version__ in src/nianbao/version.py")
    return found.group(1)


def default_cache() -> Path:
    return Path(os.environ.get("NIANBAO_BUNDLE_CACHE") or Path.home() / ".cache" / "nianbao" / "bundle")


def build_wheel(out: Path, cache: Path, offline: bool) -> Path:
    """nianbao's wheel from this checkout, its build tools from the cache (fetched into it the first time)."""
    tools = cache / "build"
    tools.mkdir(parents=True, exist_ok=True)
    build = ("wheel", "--no-deps", "--no-index", "--find-links", str(tools), "-w", str(out), str(REPO))
    done = pip(*build, isolated=True)
    if done.returncode != 0 and not offline:
        fetched = pip("download", "--only-binary=:all:", "-d", str(tools), BUILD_TOOLS)
        if fetched.returncode != 0:
            raise BundleError(f"could not download {BUILD_TOOLS}:\n{fetched.stderr.strip()}")
        done = pip(*build, isolated=True)
    if done.returncode != 0:
        raise BundleError(f"could not build nianbao's wheel:\n{done.stderr.strip()}")
    (wheel,) = out.glob("nianbao-*.whl")
    return wheel


def gather_all(chosen: list[Target], wanted: list[Requirement], pool: Path, offline: bool) -> dict[Target, WheelSet]:
    sets, failures = {}, []
    for target in chosen:
        try:
            found = gather(target, wanted, pool, offline)
        except RuntimeError as error:
            failures.append(str(error))
            continue
        failures += [f"{target.name}: no wheel for {requirement}" for requirement in found.missing]
        failures += [f"{target.name}: {conflict}" for conflict in found.conflicts]
        sets[target] = found
    if failures:
        raise BundleError("some targets are incomplete:\n  " + "\n  ".join(failures))
    return sets


def glibc_needed(wheels: list[Wheel], target: Target) -> tuple[int, int] | None:
    """The newest glibc among the target's wheels (each needs the oldest of its own tags that the target accepts)."""
    accepted = set(target.platforms())
    needed = [min((_glibc(t) for t in wheel.tags if t.platform in accepted), default=(0, 0)) for wheel in wheels]
    needed = [n for n in needed if n != (0, 0)]
    return max(needed) if needed else None


def _glibc(tag: Tag) -> tuple[int, int]:
    found = re.match(r"manylinux_(\d+)_(\d+)_", tag.platform)
    if found:
        return int(found.group(1)), int(found.group(2))
    return OLD_GLIBC.get(tag.platform.split("_")[0], (0, 0))


def manifest(version: str, pythons: list[str], sets: dict[Target, WheelSet], nianbao: Path) -> dict[str, Any]:
    every = {w.path.name: w.path for found in sets.values() for w in found.chosen.values()} | {nianbao.name: nianbao}
    wanted = {t.name: sorted([nianbao.name, *(w.path.name for w in s.chosen.values())]) for t, s in sets.items()}
    glibc = {t.name: glibc_needed(list(s.chosen.values()), t) for t, s in sets.items() if t.system == "linux"}
    return {
        "name": "nianbao",
        "version": version,
        "pythons": pythons,
        "platforms": sorted({t.platform for t in sets}),
        "targets": wanted,
        "glibc": {name: list(needed) for name, needed in glibc.items() if needed},
        "sha256": {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in sorted(every.items())},
    }


def contents(bundle: dict[str, Any], wheels: dict[str, Path]) -> list[tuple[str, bytes | Path, int]]:
    """Every file of the bundle: its place in the folder, its bytes (or the file holding them), its mode."""
    version, pythons = str(bundle["version"]), list(bundle["pythons"])
    source = guide_source(version, pythons)
    files: list[tuple[str, bytes | Path, int]] = [
        *((name, batch_file(name, version, pythons), 0o644) for name in BATCH_FILES),
        *((name, shell_file(name, version, pythons), 0o755) for name in SHELL_FILES),
        ("使用说明.txt", guide_text(source), 0o644),
        ("使用说明.html", guide_page(source), 0o644),
        *((f"setup/{name}", INSTALLER / name, 0o644) for name in SETUP_FILES),
        ("setup/bundle.json", json.dumps(bundle, ensure_ascii=False, indent=1).encode() + b"\n", 0o644),
    ]
    files += [(f"setup/wheels/{name}", path, 0o644) for name, path in sorted(wheels.items())]
    return files


def write_zip(path: Path, folder: str, files: list[tuple[str, bytes | Path, int]]) -> None:
    """The zip, whole or not at all; names in UTF-8 (flagged as such: Windows' own unzipping reads them right)."""
    partial = path.with_name(f".{path.name}.part")
    with zipfile.ZipFile(partial, "w") as archive:
        for name, data, mode in sorted(files, key=lambda f: f[0]):
            entry = zipfile.ZipInfo(f"{folder}/{name}", ZIP_TIME)
            entry.external_attr = (0o100000 | mode) << 16
            entry.compress_type = zipfile.ZIP_STORED if name.endswith(".whl") else zipfile.ZIP_DEFLATED
            archive.writestr(entry, data.read_bytes() if isinstance(data, Path) else data)
    os.replace(partial, path)


def unpack(files: list[tuple[str, bytes | Path, int]], where: Path) -> None:
    for name, data, mode in files:
        target = where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, Path):
            shutil.copyfile(data, target)
        else:
            target.write_bytes(data)
        target.chmod(mode)


def verify(folder: Path, chosen: list[Target], version: str) -> list[str]:
    """What keeps a target from installing from the bundle's wheels alone: by the markers judged for the target,
    and by pip's own dry run for the target's platform and Python."""
    problems = []
    pool = wheels_in(folder)
    root = [Requirement(f"nianbao=={version}"), Requirement("pip")]
    for target in chosen:
        found = resolve(target, root, pool)
        problems += [f"{target.name}: missing {r}" for r in found.missing]
        problems += [f"{target.name}: {c}" for c in found.conflicts]
        problems += [f"{target.name}: {p}" for p in dry_run(folder, target, version, found)]
    return problems


def dry_run(folder: Path, target: Target, version: str, found: WheelSet) -> list[str]:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch, "report.json")
        done = pip(
            *("install", "--dry-run", "--ignore-installed", "--no-index", "--find-links", str(folder)),
            *("--target", str(Path(scratch, "target")), "--report", str(report), *target.pip_options()),
            f"nianbao=={version}",
            isolated=True,
        )
        if done.returncode != 0:
            return [f"pip install --dry-run failed: {done.stderr.strip()}"]
        installed = json.loads(report.read_text(encoding="utf-8"))["install"]
    problems = []
    for item in installed:
        name, got = canonicalize_name(item["metadata"]["name"]), item["metadata"]["version"]
        mine = found.chosen.get(name)
        if name != "nianbao" and (mine is None or str(mine.version) != got):
            problems.append(f"pip chooses {name} {got}, the bundle's set {mine.version if mine else 'nothing'}")
    return problems


def make_bundle(out: Path, cache: Path, chosen: list[Target], offline: bool = False, check: bool = True) -> Path:
    version = version_of()
    with tempfile.TemporaryDirectory(prefix="nianbao-bundle-") as scratch:
        nianbao = build_wheel(Path(scratch, "dist"), cache, offline)
        requires, _ = Wheel(nianbao, canonicalize_name("nianbao"), Version(version), frozenset()).metadata()
        sets = gather_all(chosen, [*requires, Requirement("pip")], cache / "wheels", offline)
        pythons = sorted({t.python_version for t in chosen}, key=lambda v: tuple(map(int, v.split("."))))
        bundle = manifest(version, pythons, sets, nianbao)
        wheels = {w.path.name: w.path for s in sets.values() for w in s.chosen.values()} | {nianbao.name: nianbao}
        files = contents(bundle, wheels)
        if check:
            staged = Path(scratch, "staged")
            unpack(files, staged)
            problems = verify(staged / "setup" / "wheels", chosen, version)
            if problems:
                raise BundleError("the bundle would not install everywhere:\n  " + "\n  ".join(problems))
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"nianbao-{version}-offline.zip"
        write_zip(path, f"nianbao-{version}-offline", files)
    return path


def summary(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        bundle = json.loads(next(archive.read(n) for n in archive.namelist() if n.endswith("setup/bundle.json")))
    lines = [f"{path} ({path.stat().st_size / 1e6:.1f} MB, {len(bundle['sha256'])} wheels)"]
    for name, wheels in bundle["targets"].items():
        needs = bundle["glibc"].get(name)
        lines.append(f"  {name}: {len(wheels)} wheels" + (f", glibc >= {needs[0]}.{needs[1]}" if needs else ""))
    return "\n".join(lines)


def python_of(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="folder for the zip (default: dist/)")
    parser.add_argument("--cache", type=Path, default=None, help="the wheels' cache (default ~/.cache/nianbao/bundle)")
    parser.add_argument("--platform", action="append", choices=PLATFORMS, help="a target platform (default: all)")
    parser.add_argument("--python", action="append", help="a target CPython, e.g. 3.12 (default: 3.10 to 3.13)")
    parser.add_argument("--host-only", action="store_true", help="only this machine's platform and Python")
    parser.add_argument("--offline", action="store_true", help="never download: the cache must hold every wheel")
    parser.add_argument("--no-verify", action="store_true", help="skip the check of every target in the bundle")
    options = parser.parse_args(argv)
    if options.host_only:
        chosen = [host_target()]
    else:
        pythons = [python_of(p) for p in options.python] if options.python else PYTHONS
        chosen = targets(options.platform or PLATFORMS, pythons)
    started = time.monotonic()
    try:
        path = make_bundle(
            options.out, options.cache or default_cache(), chosen, options.offline, not options.no_verify
        )
    except BundleError as error:
        print(f"make_bundle: {error}", file=sys.stderr)
        return 1
    print(summary(path))
    print(f"  built in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
