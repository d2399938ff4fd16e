"""nianbao (年报): generate, check and sum the figures of the annual government-information reports.

The library's front door: the operations the `nianbao` command is made of, for scripts and for the
collection workspace. See docs/api.md.
"""

__version__ = "0.1.0"

from nianbao.collection.workspace import Workspace
from nianbao.form.spec import Form, load_form
from nianbao.io.identity import Identity
from nianbao.io.roster import Unit, read_roster
from nianbao.operations.check import CheckedFile, CheckOptions, CheckRun, check_all, check_file, check_files
from nianbao.operations.generate import Batch, generate
from nianbao.operations.importing import Imported, import_report
from nianbao.operations.merge import Summary, UnitStatus, merge
from nianbao.operations.previous import previous_figures
from nianbao.operations.report import AnnualReport, RenderedReport, render_report
from nianbao.problems import NianbaoError, Problem, ReadError, RosterError, SpecError

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
