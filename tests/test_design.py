"""The shape of the package, held by tests: stages import only downwards and never in a circle,
every problem comes from the registry, the wheel imports only its declared dependencies, and the
public functions stay functions whatever else is imported."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import perfxl
from perfxl.errors import RulesFileError
from perfxl.problems import KINDS, REGISTRY, reference_markdown
from perfxl.review.checking import check
from perfxl.review.ruleset import load_ruleset
from tests.conftest import ROOT, make_workbook, rules_with

PACKAGE = ROOT / "perfxl"
# the stages in the order data flows; a module may import its own stage or an earlier one
STAGES = ["", "read", "tables", "review", "write", "batch", "cli"]  # "" = the shared base modules
LAZY_ALLOWED = {"pandas", "pandera", "tqdm", "perfxl.review.frames", "perfxl.review.schemas",
                "distributed",  # the optional [dask] extra, only on consolidate's --scheduler path
                # the readers of the rarer formats and what they need, imported when such a file comes
                "perfxl.read.legacy_xls", "perfxl.read.spreadsheet_ml", "perfxl.read.html_table",
                "perfxl.read.delimited_text", "perfxl.read.ods_meta", "lxml", "charset_normalizer",
                "perfxl.read.worker_pool",  # pebble for the single worker only where there is no fork
                # the readers and writers, which a rerun that finds nothing changed does not need
                "perfxl.batch.fresh_run", "perfxl.read.isolation", "perfxl.read.workbook"}


def _modules() -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
            for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, tree: ast.Module | None = None,
             top_level_only: bool = False) -> list[tuple[str, ast.AST]]:
    """(imported module, node) for every import of the module ``name``, relative ones resolved."""
    tree = tree or ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    # top level includes a platform's own imports (``if sys.platform != "win32": import resource``)
    nodes = ([n for node in tree.body for n in ([node] if not isinstance(node, ast.If) else node.body)]
             if top_level_only else list(ast.walk(tree)))
    out: list[tuple[str, ast.AST]] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(alias.name, node) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            out.append((target, node))
    return out


def _stage(module: str) -> str:
    if module == "perfxl.__main__":
        return "cli"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else ""


def _edges(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The perfxl modules that module ``name`` imports ("from .x import y" may name module x.y)."""
    out: set[str] = set()
    for target, node in _imports(name, path):
        names = [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
        subs = {f"{target}.{n}" for n in names} & set(modules)
        out |= subs or ({target} & set(modules))
    return out


def _is_type_checking(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            lines |= {n.lineno for n in ast.walk(node) if hasattr(n, "lineno")}
    return lines


def test_stages_import_only_downwards_and_never_in_a_circle() -> None:
    modules = _modules()
    # the package root only names the public functions, lazily
    graph = {name: _edges(name, path, modules) - {"perfxl"} for name, path in modules.items() if name != "perfxl"}
    for name, targets in graph.items():
        for target in targets:
            assert STAGES.index(_stage(target)) <= STAGES.index(_stage(name)), f"{name} -> {target}"
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join([*trail, node, nxt])
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])


def test_imports_inside_functions_are_only_the_deliberately_lazy_ones() -> None:
    for name, path in _modules().items():
        tree = ast.parse(path.read_text("utf-8"))
        typing_only = _is_type_checking(tree)
        top = {id(node) for _, node in _imports(name, path, tree, top_level_only=True)}
        for module, node in _imports(name, path, tree):
            if id(node) in top or getattr(node, "lineno", 0) in typing_only:
                continue
            assert module.split(".")[0] in LAZY_ALLOWED or module in LAZY_ALLOWED, \
                f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')} imports {module} inside a function"


def _declared() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    # the [dask] extra's packages too: imported only inside functions (LAZY_ALLOWED), on its path
    wanted = meta["dependencies"] + meta["optional-dependencies"]["dask"]
    names = {re.split(r"[<>=!~ \[]", d, maxsplit=1)[0].lower() for d in wanted}
    imported_as = {"python-calamine": "python_calamine", "charset-normalizer": "charset_normalizer",
                   "dask": "distributed"}  # dask[distributed] is imported as distributed
    return {imported_as.get(n, n) for n in names}


def test_the_package_imports_only_its_declared_dependencies() -> None:
    allowed = _declared() | set(sys.stdlib_module_names) | {"perfxl"}
    for name, path in _modules().items():
        for module, _ in _imports(name, path):
            assert module.split(".")[0] in allowed, f"{name} imports {module}, which the wheel does not declare"


def test_dependency_floors_cover_the_apis_the_code_uses() -> None:
    """pandera.pandas needs pandera 0.24; merged_cell_ranges needs python-calamine 0.4;
    xlsxrows' Worksheet subclass needs xlsxwriter 3.3."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    floors = {}
    for dep in meta["dependencies"]:
        m = re.match(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)", dep)
        assert m, f"{dep} states no minimum version"
        floors[m.group(1).lower()] = tuple(int(x) for x in m.group(2).split("."))
    assert floors["pandera"] >= (0, 24)
    assert floors["python-calamine"] >= (0, 4)
    assert floors["xlsxwriter"] >= (3, 3)
    assert floors["pandas"] >= (2, 2, 1)  # below it pip may pair pandas with a numpy it cannot import
    assert floors["click"] >= (8, 4)  # the Chinese usage errors match click 8.4's message texts


def test_public_functions_stay_functions_after_every_import() -> None:
    for info in pkgutil.walk_packages(perfxl.__path__, "perfxl."):
        if info.name != "perfxl.__main__":
            importlib.import_module(info.name)
    for name in ("extract", "check", "consolidate", "template", "annotate"):
        assert inspect.isfunction(getattr(perfxl, name)), name


def test_python_dash_m_perfxl_is_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "perfxl", "--help"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0 and "perfxl consolidate" in done.stdout


def test_every_problem_is_built_through_the_registry() -> None:
    for name, path in _modules().items():
        if name in ("perfxl.problems", "perfxl.model"):
            continue
        tree = ast.parse(path.read_text("utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "Problem"]
        assert not calls, f"{name} builds Problem directly at line {calls[0].lineno}"


def test_every_code_is_registered_once_and_kebab_case() -> None:
    codes = [k.code for k in KINDS]
    assert len(codes) == len(set(codes)) == len(REGISTRY)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c) for c in codes)
    assert all(k.title and k.message for k in KINDS)


def test_codes_named_in_the_code_are_registered() -> None:
    text = "\n".join(p.read_text("utf-8") for p in PACKAGE.rglob("*.py"))
    used = set(re.findall(r'(?:problem|emit|rd\.problem|rd\.number)\(\s*"([a-z0-9-]+)"', text))
    used |= set(re.findall(r'name="([a-z0-9-]+)"', (PACKAGE / "review" / "schemas.py").read_text("utf-8")))
    assert used and used <= set(REGISTRY), used - set(REGISTRY)


def test_severity_override_reaches_the_schema_codes(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "a.xlsx", {"A1": "项目编码", "B1": "不是编码", "C1": "项目名称", "D1": "某项目"})
    assert {(p.code, p.severity) for p in check([path]).problems} >= {("project-code-pattern", "error")}
    rules = rules_with(tmp_path, ('# "satisfaction-target" = "error"', '"project-code-pattern" = "warning"'))
    found = {(p.code, p.severity) for p in check([path], rules=rules).problems}
    assert ("project-code-pattern", "warning") in found and ("project-code-pattern", "error") not in found


def test_severity_override_reaches_reading_and_consolidation_codes(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    make_workbook(box / "a.xlsx", {"A1": "项目编码", "B1": "105-0901-YBN-DPPC", "C1": "项目名称", "D1": "甲",
                                   "A3": "一级指标", "B3": "二级指标", "C3": "三级指标", "D3": "指标值",
                                   "A4": "产出指标", "B4": "数量指标", "C4": "户数", "D4": "abc%x"})
    rules = rules_with(tmp_path, ('# "satisfaction-target" = "error"', '"department-unknown" = "info"'))
    run = perfxl.consolidate(box, tmp_path / "out", rules=rules, write=False)
    assert [p.severity for p in run.problems if p.code == "department-unknown"] == ["info"]


@pytest.mark.parametrize(("line", "says"), [('"no-such-code" = "error"', "no-such-code"),
                                            ('"unreadable" = "warning"', "不能修改")])
def test_bad_codes_in_severity_overrides_are_errors_of_the_rules_file(tmp_path: Path, line: str,
                                                                     says: str) -> None:
    rules = rules_with(tmp_path, ('# "satisfaction-target" = "error"', line))
    with pytest.raises(RulesFileError, match=says):
        load_ruleset(rules)


def test_the_rule_reference_is_generated_from_the_registry() -> None:
    """docs/rules.md is regenerated by `make docs`; this keeps it current."""
    assert (ROOT / "docs" / "rules.md").read_text("utf-8") == reference_markdown()
    assert all(f"`{k.code}`" in reference_markdown() for k in KINDS)


def test_no_docstring_or_readme_points_outside_the_repository() -> None:
    texts = [p for p in PACKAGE.rglob("*.py")] + [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    for path in texts:
        assert "shared/" not in path.read_text("utf-8"), path
