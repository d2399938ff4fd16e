"""Which wheels a county PC needs: the bundle's targets (an operating system and processor × a CPython), the wheel
tags each accepts, and the set of wheels that installs nianbao there.

pip judges environment markers for the machine it runs on, even with ``--platform`` and ``--python-version``: a set
downloaded on Linux with Python 3.11 lacks click's ``colorama; platform_system == "Windows"`` and nianbao's own
``tomli; python_version < "3.11"``. So the set is worked out here, with the markers judged for the target: what pip
left out is named and downloaded for the target explicitly, until nothing is missing."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import Version

PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13))
# 统信UOS 20 (Debian 10) and 银河麒麟 V10 come with glibc 2.28 or later: a Linux wheel may need at most that.
GLIBC = (2, 28)
OLD_MANYLINUX = {"x86_64": ["manylinux2014", "manylinux_2_12", "manylinux2010", "manylinux_2_5", "manylinux1"]}


@dataclass(frozen=True)
class Target:
    """One kind of computer the bundle installs on: ``win_amd64``, ``linux_x86_64`` or ``linux_aarch64``, with a
    CPython ``major.minor``."""

    system: str  # "windows" or "linux"
    machine: str  # "amd64", "x86_64" or "aarch64"
    python: tuple[int, int]

    @property
    def platform(self) -> str:
        return "win_amd64" if self.system == "windows" else f"linux_{self.machine}"

    @property
    def name(self) -> str:
        return f"{self.platform}-cp{self.python[0]}{self.python[1]}"

    @property
    def python_version(self) -> str:
        return f"{self.python[0]}.{self.python[1]}"

    def platforms(self) -> list[str]:
        """The platform tags of wheels that run there, the preferred first (as ``--platform`` takes them)."""
        if self.system == "windows":
            return ["win_amd64"]
        newest, oldest = GLIBC[1], 17  # manylinux2014 is glibc 2.17, the oldest tag aarch64 wheels carry
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(newest, oldest - 1, -1)]
        tags += [f"{old}_{self.machine}" for old in OLD_MANYLINUX.get(self.machine, ["manylinux2014"])]
        return tags

    def abis(self) -> list[str]:
        return [f"cp{self.python[0]}{self.python[1]}", "abi3", "none"]

    def tags(self) -> frozenset[Tag]:
        interpreter = f"cp{self.python[0]}{self.python[1]}"
        platforms = self.platforms()
        found = set(cpython_tags(self.python, abis=self.abis(), platforms=platforms))
        found |= set(compatible_tags(self.python, interpreter, platforms))
        return frozenset(found)

    def environment(self) -> dict[str, str]:
        """The values of environment markers (PEP 508) on the target."""
        windows = self.system == "windows"
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{self.python_version}.0",
            "os_name": "nt" if windows else "posix",
            "platform_machine": "AMD64" if windows else self.machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Windows" if windows else "Linux",
            "platform_version": "",
            "python_full_version": f"{self.python_version}.0",
            "python_version": self.python_version,
            "sys_platform": "win32" if windows else "linux",
        }

    def pip_options(self) -> list[str]:
        """What tells ``pip download`` and ``pip install --dry-run`` to take wheels for the target."""
        options = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python_version]
        for platform in self.platforms():
            options += ["--platform", platform]
        for abi in self.abis():
            options += ["--abi", abi]
        return options


def targets(platforms: Iterable[str], pythons: Iterable[tuple[int, int]] = PYTHONS) -> list[Target]:
    chosen = []
    for platform in platforms:
        system, _, machine = platform.partition("_")
        if platform not in ("win_amd64", "linux_x86_64", "linux_aarch64"):
            raise ValueError(f"unknown platform {platform!r}: win_amd64, linux_x86_64 or linux_aarch64")
        chosen += [Target("windows" if system == "win" else "linux", machine, python) for python in pythons]
    return chosen


def host_target() -> Target:
    """This machine (the one the tests install on)."""
    import platform

    machine = platform.machine().lower()
    if sys.platform == "win32":
        return Target("windows", "amd64", sys.version_info[:2])
    return Target("linux", {"arm64": "aarch64"}.get(machine, machine), sys.version_info[:2])


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: NormalizedName
    version: Version
    tags: frozenset[Tag]

    def metadata(self) -> tuple[list[Requirement], SpecifierSet]:
        """What the wheel requires: its dependencies and the Python versions it runs on."""
        with zipfile.ZipFile(self.path) as archive:
            (where,) = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            headers = HeaderParser().parsestr(archive.read(where).decode("utf-8"))
        requires = [Requirement(line) for line in headers.get_all("Requires-Dist") or []]
        return requires, SpecifierSet(headers.get("Requires-Python") or "")


def wheels_in(folder: Path) -> dict[NormalizedName, list[Wheel]]:
    """The wheels in a folder by project, the newest version first."""
    found: dict[NormalizedName, list[Wheel]] = {}
    for path in sorted(folder.glob("*.whl")) if folder.is_dir() else []:
        name, version, _, tags = parse_wheel_filename(path.name)
        found.setdefault(name, []).append(Wheel(path, name, version, tags))
    for versions in found.values():
        versions.sort(key=lambda wheel: wheel.version, reverse=True)
    return found


@dataclass
class WheelSet:
    """The wheels one target installs, and what the pool lacked for it."""

    target: Target
    chosen: dict[NormalizedName, Wheel] = field(default_factory=dict)
    missing: list[Requirement] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def _runs_on(wheel: Wheel, target: Target, accepted: frozenset[Tag]) -> bool:
    if not wheel.tags & accepted:
        return False
    _, python = wheel.metadata()
    return python.contains(f"{target.python_version}.0", prereleases=True)


def _applies(requirement: Requirement, environment: dict[str, str], extras: Iterable[str]) -> bool:
    marker: Marker | None = requirement.marker
    if marker is None:
        return True
    return any(marker.evaluate({**environment, "extra": extra}) for extra in ("", *extras))


def resolve(target: Target, wanted: list[Requirement], pool: dict[NormalizedName, list[Wheel]]) -> WheelSet:
    """The newest wheel of each project the target needs, as pip on the target chooses from the same wheels; what
    no wheel in the pool satisfies is missing. (One pass, newest first: a requirement that a chosen version does not
    meet is a conflict to look at, not something to backtrack over.)"""
    found = WheelSet(target)
    environment, accepted = target.environment(), target.tags()
    queue: list[tuple[Requirement, tuple[str, ...]]] = [(requirement, ()) for requirement in wanted]
    extras_of: dict[NormalizedName, set[str]] = {}
    while queue:
        requirement, context = queue.pop(0)
        if not _applies(requirement, environment, context):
            continue
        name = canonicalize_name(requirement.name)
        chosen = found.chosen.get(name)
        if chosen is not None:
            if not requirement.specifier.contains(chosen.version, prereleases=True):
                found.conflicts.append(f"{requirement} is not met by {chosen.path.name}")
            new_extras = set(requirement.extras) - extras_of[name]
        else:
            candidates = [w for w in pool.get(name, []) if requirement.specifier.contains(w.version)]
            chosen = next((w for w in candidates if _runs_on(w, target, accepted)), None)
            if chosen is None:
                found.missing.append(Requirement(f"{requirement.name}{requirement.specifier}"))
                continue
            found.chosen[name] = chosen
            new_extras = set(requirement.extras) | {""}
            extras_of[name] = set()
        if new_extras:
            extras_of[name] |= new_extras
            requires, _ = chosen.metadata()
            queue += [(dependency, tuple(sorted(extras_of[name]))) for dependency in requires]
    return found


def pip(*args: str, isolated: bool = False) -> subprocess.CompletedProcess[str]:
    """pip of the Python running this, quiet; ``isolated`` ignores the machine's pip configuration (its find-links
    and indexes), so that only the folders named are read."""
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"]
    if isolated:
        command.insert(3, "--isolated")
    return subprocess.run(command, capture_output=True, text=True)


def gather(target: Target, wanted: list[Requirement], pool: Path, offline: bool = False, rounds: int = 6) -> WheelSet:
    """The target's wheels from the pool folder, downloading into it what is missing (never when offline): a
    second build finds everything in the pool and reads no network."""
    for _ in range(rounds):
        found = resolve(target, wanted, wheels_in(pool))
        if not found.missing or offline:
            return found
        done = pip("download", *target.pip_options(), "-d", str(pool), *map(str, found.missing))
        if done.returncode != 0:
            raise RuntimeError(f"pip download for {target.name} failed:\n{done.stderr.strip()}")
    return found
