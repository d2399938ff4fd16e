"""nianbao (年报): generate, check and sum the figures of the annual government-information reports.

The library's front door: the operations the `nianbao` command is made of, for scripts and for the
collection workspace. See docs/api.md.

The names below are loaded when first used (`nianbao.check_files` imports the checking code then), so that
a command which needs little of the library, such as `nianbao status`, starts quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from nianbao.version import __version__

if TYPE_CHECKING:  # what type checkers and editors see: the same names, eagerly
    from nianbao.collection.workspace import Workspace
    from nianbao.form.spec import Form, load_form
    from nianbao.io.identity import Identity
    from nianbao.io.roster import Unit, read_roster
    from nianbao.operations.check import CheckedFile, CheckOptions, CheckRun, check_all, check_file, check_files
    from nianbao.operations.generate import Batch, generate
    from nianbao.operations.importing import import_report
    from nianbao.operations.merge import Summary, UnitStatus, merge
    from nianbao.operations.previous import previous_figures
    from nianbao.operations.published import Imported
    from nianbao.operations.report import AnnualReport, RenderedReport, render_report
    from nianbao.problems import NianbaoError, Problem, ReadError, RosterError, SpecError

_HOMES = {  # each public name and the module it lives in
    "Workspace": "nianbao.collection.workspace",
    "Form": "nianbao.form.spec",
    "load_form": "nianbao.form.spec",
    "Identity": "nianbao.io.identity",
    "Unit": "nianbao.io.roster",
    "read_roster": "nianbao.io.roster",
    "CheckedFile": "nianbao.operations.check",
    "CheckOptions": "nianbao.operations.check",
    "CheckRun": "nianbao.operations.check",
    "check_all": "nianbao.operations.check",
    "check_file": "nianbao.operations.check",
    "check_files": "nianbao.operations.check",
    "Batch": "nianbao.operations.generate",
    "generate": "nianbao.operations.generate",
    "Imported": "nianbao.operations.published",
    "import_report": "nianbao.operations.importing",
    "Summary": "nianbao.operations.merge",
    "UnitStatus": "nianbao.operations.merge",
    "merge": "nianbao.operations.merge",
    "previous_figures": "nianbao.operations.previous",
    "AnnualReport": "nianbao.operations.report",
    "RenderedReport": "nianbao.operations.report",
    "render_report": "nianbao.operations.report",
    "NianbaoError": "nianbao.problems",
    "Problem": "nianbao.problems",
    "ReadError": "nianbao.problems",
    "RosterError": "nianbao.problems",
    "SpecError": "nianbao.problems",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'nianbao' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


__all__ = [
    "AnnualReport",
    "Batch",
    "CheckOptions",
    "CheckRun",
    "CheckedFile",
    "Form",
    "Identity",
    "Imported",
    "NianbaoError",
    "Problem",
    "ReadError",
    "RenderedReport",
    "RosterError",
    "SpecError",
    "Summary",
    "Unit",
    "UnitStatus",
    "Workspace",
    "__version__",
    "check_all",
    "check_file",
    "check_files",
    "generate",
    "import_report",
    "load_form",
    "merge",
    "previous_figures",
    "read_roster",
    "render_report",
]
