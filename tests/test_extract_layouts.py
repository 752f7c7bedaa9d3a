"""Every seed table, rendered in every layout real files have, must extract to its golden data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from perfxl import extract
from tests.fixtures.samples import LAYOUTS, build_workbook, expected_table

from .conftest import ROOT, load_specs, strip_positions

SPECS = load_specs()


def test_golden_holds_the_twelve_seed_tables() -> None:
    kinds = [s["table"]["kind"] for s in SPECS]
    assert kinds.count("department") == 1 and kinds.count("project") == 11
    codes = [s["table"]["project_code"] for s in SPECS if s["table"]["project_code"]]
    assert len(set(codes)) == 11


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_all_tables_in_one_workbook(tmp_path: Path, layout: str) -> None:
    path = tmp_path / ("book.xls" if layout == "xls" else "book.xlsx")
    build_workbook(path, SPECS, layout)
    result = extract(path)
    got = [strip_positions(t.to_dict()) for t in result.tables]
    assert got == [expected_table(s, layout) for s in SPECS]


@pytest.mark.parametrize("layout", ["per-sheet", "variants"])
@pytest.mark.parametrize("index", range(len(SPECS)))
def test_each_table_alone(tmp_path: Path, layout: str, index: int) -> None:
    path = tmp_path / "one.xlsx"
    build_workbook(path, [SPECS[index]], layout)
    [table] = extract(path).tables
    assert strip_positions(table.to_dict()) == expected_table(SPECS[index], layout)


def test_seed_layout_positions_and_faults(tmp_path: Path) -> None:
    """In the seed's own layout the cells are where a clerk would look, and the row holding only
    文字描述 in the 部门整体 table is reported at its 三级指标 cell."""
    path = tmp_path / "seed.xlsx"
    build_workbook(path, SPECS[:2], "seed")
    result = extract(path)
    dept, project = result.tables
    assert dept.kind == "department" and dept.indicators[0].level2 == "4"
    first = dept.indicators[0]
    assert first.cells["level3"] == first.cell and first.cell.startswith("D")
    assert project.cells["project_code"].startswith("C")
    assert [(p.code, p.cell) for p in result.problems] == [
        ("indicator-name-missing", f"D{int(dept.indicators[2].cell[1:]) + 1}")]
    assert result.exit_code == 1


def test_sample_inbox_holds_every_seed_table_once() -> None:
    inbox = ROOT / "workbooks" / "inbox"
    files = sorted(p for p in inbox.rglob("*") if p.suffix in (".xlsx", ".xls", ".xlsm"))
    assert {p.suffix for p in files} >= {".xlsx", ".xls"}
    assert {p.parent.name for p in files} == {"承德高新区经济发展局", "承德高新区招商服务局"}
    tables: list[dict[str, Any]] = []
    for path in files:
        tables += [strip_positions(t.to_dict()) for t in extract(path).tables]
    by_name = {(t["kind"], t["project_code"]): t for t in tables}
    assert len(tables) == 12 == len(by_name)
    for spec in SPECS:
        got = dict(by_name[(spec["table"]["kind"], spec["table"]["project_code"])])
        want = dict(spec["table"])
        for key in ("department", "amount"):  # depend on the layout each file uses
            got.pop(key), want.pop(key)
        assert got == want


def test_golden_files_are_valid_json_with_contract_keys() -> None:
    keys = {"kind", "department", "project_code", "project_name", "template", "purpose", "amount",
            "spend_plan", "goals", "indicators"}
    for path in sorted((ROOT / "tests" / "golden").glob("[0-9][0-9]_*.json")):
        spec = json.loads(path.read_text("utf-8"))
        assert set(spec["table"]) == keys, path.name
