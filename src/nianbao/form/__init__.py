"""The form model: the spec file parsed into typed objects, and its rules.

Where the spec files are lives here, not in spec.py: the command's option defaults need only the name, and
the workspace's status tells whether its spec changed without parsing it."""

from __future__ import annotations

from pathlib import Path

DEFAULT_FORM = "gov-info-disclosure-2021"


def data_dir(name: str) -> Path:
    """A top-level folder of the project (templates, samples): inside the installed package, or in the
    source checkout when running from one."""
    here = Path(__file__).resolve().parents[1]  # the nianbao package
    packaged = here / name
    return packaged if packaged.is_dir() else here.parents[1] / name


def templates_dir() -> Path:
    return data_dir("templates")


def form_file(name: str) -> Path:
    """The spec file of a form given by name (a file in templates/) or by path to a .toml file."""
    path = Path(name)
    return path if path.suffix == ".toml" else templates_dir() / f"{name}.toml"
