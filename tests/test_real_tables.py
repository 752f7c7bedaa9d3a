"""Published tables of seven provinces (``tests/real``) and forms of other provinces drawn by an
independent tester (``tests/provincial``): every table found with its kind and stage, every field
of the contract equal to the hand-made expected JSON, and no author fault reported by ``check``
that the source does not have."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import perfxl

REAL = Path(__file__).parent / "real"
PROVINCIAL = Path(__file__).parent / "provincial"
CASES = sorted(p.name[: -len(".json")] for p in (REAL / "expected").glob("*.json"))
ALL = [(folder, p.name[: -len(".json")]) for folder in (REAL, PROVINCIAL)
       for p in sorted((folder / "expected").glob("*.json"))]
TABLE_KEYS = ("kind", "stage", "sheet", "anchor", "title", "year", "department", "supervisor", "implementer",
              "project_code", "project_name", "template", "purpose", "amount", "funds", "spend_plan", "goals",
              "long_term_goals", "goals_achieved", "fields")
INDICATOR_KEYS = ("level1", "level2", "level3", "description", "operator", "value", "unit", "target_text", "basis",
                  "weight", "level1_weight", "actual", "actual_value", "score", "deviation", "extra", "cell")


def _expected(folder: Path, name: str) -> list[dict[str, Any]]:
    tables: list[dict[str, Any]] = json.loads((folder / "expected" / f"{name}.json").read_text("utf-8"))["tables"]
    return tables


@pytest.mark.parametrize(("folder", "name"), ALL, ids=[name[:3] for _, name in ALL])
def test_every_field_of_every_table(folder: Path, name: str) -> None:
    got = perfxl.extract(folder / "workbooks" / name).to_dict()["tables"]
    expected = _expected(folder, name)
    assert len(got) == len(expected)
    for i, (table, want) in enumerate(zip(got, expected, strict=True)):
        for key in TABLE_KEYS:
            assert table[key] == want[key], f"table {i} {key}"
        assert len(table["indicators"]) == len(want["indicators"]), f"table {i} indicators"
        for ind, want_ind in zip(table["indicators"], want["indicators"], strict=True):
            for key in INDICATOR_KEYS:
                assert ind[key] == want_ind[key], f"table {i} {want_ind['cell']} {key}"


def test_the_project_list_sheet_is_not_a_table() -> None:
    """D05 lists fourteen project names on a sheet of its own: not a performance table."""
    [table] = perfxl.extract(REAL / "workbooks" / CASES[4]).tables
    assert table.sheet != "项目清单"


def test_check_blames_no_unit_for_fields_its_form_does_not_have() -> None:
    """National and provincial forms have no 项目编码, no 指标值确定依据 and (D01) no 一级/二级
    columns: none of that is an error of the unit's."""
    codes = {p.code for p in perfxl.check([REAL / "workbooks"]).problems}
    assert not codes & {"project-code-missing", "basis-missing", "level1-unknown", "no-output-indicator",
                        "goals-missing", "operator-unknown", "header-label-unknown", "column-unknown"}


def test_check_finds_the_planted_faults_and_blames_nothing_else() -> None:
    """The drawn provincial forms hold only the faults planted on purpose (``_faults``): check
    reports each on its row, and no other finding of error severity (a misread would show up here
    as blame)."""
    planted: set[tuple[str, str, int]] = set()
    for path in (PROVINCIAL / "expected").glob("*.json"):
        for fault in json.loads(path.read_text("utf-8")).get("_faults", []):
            planted.add((path.name[: -len(".json")], fault["code"], fault["row"]))
    found = perfxl.check([PROVINCIAL / "workbooks"]).problems
    reported = {(Path(p.file or "").name, p.code, int("".join(ch for ch in (p.cell or "0") if ch.isdigit())))
                for p in found}
    assert planted and planted <= reported
    blamed = {(Path(p.file or "").name, p.code) for p in found if p.severity == "error"}
    assert blamed <= {(name, code) for name, code, _ in planted}


def test_a_cut_first_level_label_stands_for_its_category() -> None:
    """D05 writes 一级 as "产" (the page cut the label); it is 产出指标 for the rules."""
    found = perfxl.check([REAL / "workbooks" / CASES[4]]).problems
    assert not [p for p in found if p.code in ("level1-unknown", "no-output-indicator")]


@pytest.mark.parametrize("name", [CASES[0], CASES[2], CASES[3]], ids=["D01", "D03", "D04"])
def test_any_family_serves_as_last_years_source(tmp_path: Path, name: str) -> None:
    """template --from: a national, a self-evaluation and a legacy .xls form pre-fill a template that
    reads back with the same indicators."""
    source = REAL / "workbooks" / name
    result = perfxl.template(source=source, output=tmp_path / "新.xlsx")
    def targets(path: Path | str) -> list[list[tuple[Any, ...]]]:
        return [[(i.level3, i.operator, i.value, i.unit) for i in t.indicators] for t in perfxl.extract(path).tables]

    assert targets(result.path) == targets(source)


def test_limits_reach_a_template_made_from_last_year(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from perfxl.cli import main

    result = CliRunner().invoke(main, ["template", "--from", str(REAL / "workbooks" / CASES[3]), "-o",
                                       str(tmp_path / "t.xlsx"), "--limit", "cells=10"])
    assert result.exit_code == 2 and "没有找到" in result.output  # the sheet was too large to read
