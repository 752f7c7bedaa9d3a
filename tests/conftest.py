"""Shared fixtures: the golden seed tables and a helper that writes small workbooks in code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from perfxl.a1 import from_a1
from perfxl.review.ruleset import DEFAULT_RULES
from tests.fixtures.engines import write_grids
from tests.fixtures.grids import Grid

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).parent.parent
SEED = ROOT / "workbooks" / "inbox" / "承德高新区经济发展局" / "2020年部门整体及项目绩效目标.xlsx"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``soffice`` (LibreOffice round trips) skip where LibreOffice is missing;
    .ci/run installs it. ``pytest -m "not soffice"`` leaves them out altogether."""
    if shutil.which("soffice"):
        return
    skip = pytest.mark.skip(reason="LibreOffice (soffice) is not installed; .ci/run installs it")
    for item in items:
        if "soffice" in item.keywords:
            item.add_marker(skip)


def rules_with(folder: Path, *changes: tuple[str, str]) -> Path:
    """A copy of the shipped rules.toml in ``folder`` with each (old, new) text replaced."""
    text = DEFAULT_RULES.read_text("utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "rules.toml"
    path.write_text(text, "utf-8")
    return path


def empty_inbox(tmp_path: Path) -> Path:
    box = tmp_path / "inbox"
    box.mkdir()
    return box


def load_specs() -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(GOLDEN.glob("[0-9][0-9]_*.json"))]


@pytest.fixture(scope="session")
def specs() -> list[dict[str, Any]]:
    return load_specs()


V1_TABLE = ("kind", "department", "project_code", "project_name", "template", "purpose", "amount", "spend_plan",
            "goals", "indicators")
V1_INDICATOR = ("level1", "level2", "level3", "description", "operator", "value", "unit", "target_text", "basis")


def strip_positions(table: dict[str, Any]) -> dict[str, Any]:
    """A contract table's v1 fields (what the golden seed tables hold), without those that
    depend on where it was drawn."""
    out = {k: table[k] for k in V1_TABLE if k in table}
    out["indicators"] = [{k: i[k] for k in V1_INDICATOR if k in i} for i in table["indicators"]]
    return out


def make_workbook(path: Path, cells: dict[str, Any], merges: list[str] | None = None,
                  engine: str = "xlsxwriter", sheet: str = "Sheet1",
                  formats: dict[str, str] | None = None) -> Path:
    """Write one sheet from A1-addressed cells and merged ranges ("B2:D2"), for small cases."""
    path.parent.mkdir(parents=True, exist_ok=True)
    grid = Grid(sheet)
    for ref, value in cells.items():
        r, c = from_a1(ref)
        grid.put(r, c, value, (formats or {}).get(ref, "cell"))
    for rng in merges or []:
        a, b = rng.split(":")
        (r1, c1), (r2, c2) = from_a1(a), from_a1(b)
        grid.merges.append((r1, c1, r2, c2))
    write_grids(path, [grid], engine)
    return path


def staff_formulas(path: Path) -> list[str]:
    """Every formula cell of a workbook (sheet!cell): perfxl's outputs hold none."""
    wb = load_workbook(path)
    return [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def mixed_inbox(folder: Path, note: str = "说明.txt") -> Path:
    """The sample inbox with what real inboxes hold besides: a file that is no workbook, a copy cut
    short, an Office lock file, and a text file (named ``note``) at the top."""
    box = folder / "inbox"
    shutil.copytree(ROOT / "workbooks" / "inbox", box)
    unit = box / "承德高新区招商服务局"
    (unit / "坏文件.xlsx").write_text("不是表格", "utf-8")
    good = next(unit.glob("*.xlsx")).read_bytes()
    (unit / "复制中断.xlsx").write_bytes(good[: len(good) // 3])
    (unit / "~$招商服务局项目绩效表.xlsx").write_bytes(b"lock")
    (box / note).write_text("ignored", "utf-8")
    return box
