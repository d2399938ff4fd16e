"""The layers of docs/architecture.md, kept: the record alone speaks SQL, no import circles, no way back to the
package's front door, no file too long to read, and the library's words name no command-line option."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "nianbao"
RECORD = PACKAGE / "collection" / "record"
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string constant but docstrings, with its line."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def runtime_imports(path: Path) -> set[str]:
    """The nianbao modules a file imports when run (anywhere in it: at the top or inside functions), not those
    imported only for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            checking |= {id(n) for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    here = module_name(path)
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("nianbao")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nianbao"):
            for alias in node.names:  # `from nianbao.collection import record` imports the module record
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if _is_module(candidate) else node.module)
    found.discard(here)
    return found


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_only_the_record_speaks_sql() -> None:
    found = []
    for path in sources():
        if RECORD in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\.(execute|executemany|executescript)\(", text):
            found.append(f"{path.name}: execute(")
        found += [f"{path.name}:{line}: {s[:40]!r}" for line, s in strings(ast.parse(text)) if SQL.match(s)]
    assert found == []


def test_no_source_file_is_over_700_lines() -> None:
    long = {p.relative_to(SRC).as_posix(): n for p in sources() if (n := len(p.read_text("utf-8").splitlines())) > 700}
    assert long == {}


def test_the_import_graph_has_no_circles_and_never_goes_back_to_the_front_door() -> None:
    graph = {module_name(p): runtime_imports(p) for p in sources()}
    front = {m for m, imported in graph.items() if "nianbao" in imported and m != "nianbao"}
    assert front == set(), "modules importing the package's front door (nianbao/__init__.py)"
    graph.pop("nianbao")  # the front door loads its names lazily, from the modules themselves
    circles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph.get(module, ())):
            parent = next((m for m in graph if imported == m), None)
            if parent is None:
                continue
            if state.get(parent) == 1:
                circles.append(" → ".join([*path[path.index(parent) :], parent]))
            elif parent not in state:
                visit(parent, [*path, parent])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_the_library_names_no_command_line_option() -> None:
    """The library speaks its own words; the command line (cli*.py) and the page (web/) add theirs."""
    found = []
    for path in sources():
        name = path.relative_to(PACKAGE).as_posix()
        if name.startswith(("cli", "web/")):
            continue
        for line, text in strings(ast.parse(path.read_text(encoding="utf-8"))):
            if OPTION.search(text):
                found.append(f"{name}:{line}: {text[:60]}")
    assert found == []


def test_the_command_line_and_the_page_add_their_own_words_to_the_librarys(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nianbao.cli import main
    from nianbao.cli_shared import said
    from nianbao.problems import NianbaoError
    from nianbao.web.app import _said

    error = NianbaoError.of("NOTE_REQUIRED", action="延期", what="理由")
    assert str(error) == "延期必须写明理由" and error.code == "NOTE_REQUIRED"
    assert said(error) == "延期必须写明理由（--note）" and "“理由”一栏" in _said(error)
    roster = Path(__file__).resolve().parents[1] / "samples" / "zhangwu-county-roster.csv"
    args = ["generate", "--roster", str(roster), "--year", "2025", "--out", str(tmp_path), "--password", "x"]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and "未覆盖任何文件；确需覆盖请加 --force" in again.output
    round_ = CliRunner().invoke(main, ["status", "-w", str(tmp_path / "nowhere")])
    assert round_.exit_code == 1 and "不是工作区" in round_.output and "nianbao init，或用 -w" in round_.output
