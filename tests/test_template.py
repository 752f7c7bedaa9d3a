"""``perfxl template``: guarded templates whose lists come from the rules data, that round-trip
every seed table through extract (also after a LibreOffice re-save) and carry last year forward."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import range_boundaries

from perfxl.cli import main
from perfxl.errors import OutputError, PerfxlError, UnreadableWorkbook
from perfxl.read.limits import Limits
from perfxl.read.workbook import read_workbook
from perfxl.review.ruleset import load_ruleset
from perfxl.tables.extraction import extract, extract_sheets
from perfxl.tables.vocabulary import resolve_vocabulary
from perfxl.write.template_book import LOOKUP, template
from perfxl.write.template_form import build_form, table_values
from tests.fixtures.samples import build_workbook

from .conftest import ROOT, load_specs, rules_with, strip_positions

RULES = load_ruleset()
SPECS = load_specs()


def _validations(ws: Any) -> dict[str, Any]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def _fill(blank: Path, table: dict[str, Any], out: Path) -> Path:
    """Type a table into the input cells of a blank template, as a clerk would, with openpyxl."""
    wb = openpyxl.load_workbook(blank)
    ws = wb.worksheets[0]
    form = build_form(table["kind"], RULES)
    for key, value in table_values(table, RULES).items():
        ws[form.cell(key)] = value
    wb.save(out)
    return out


@pytest.mark.parametrize("kind", ["project", "department"])
def test_blank_template_is_guarded(kind: str, tmp_path: Path) -> None:
    path = Path(template(kind, tmp_path / "t.xlsx").path)
    wb = openpyxl.load_workbook(path)
    ws, lookup = wb.worksheets[0], wb[LOOKUP]
    assert ws.protection.sheet and not ws.protection.password
    assert ws.protection.insertRows is False  # inserting rows stays allowed
    assert lookup.sheet_state == "hidden" and lookup.protection.sheet
    form = build_form(kind, RULES)
    for label in form.labels:
        assert ws.cell(label.row + 1, label.col + 1).protection.locked, (label.row, label.col)
    dvs = _validations(ws)
    covered = {(r, c) for sqref in dvs for rng in sqref.split()
               for c1, r1, c2, r2 in [[int(x or 0) for x in range_boundaries(rng)]]
               for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    for cell in form.inputs:
        assert not ws[cell.a1].protection.locked, cell.key
        assert (cell.row + 1, cell.col + 1) in covered, cell.key
    for dv in dvs.values():
        assert dv.showInputMessage and dv.prompt and len(dv.prompt) <= 255
    first, last = form.first_indicator + 1, form.last_indicator + 1
    assert dvs[f"A{first}:A{last}"].formula1 == f"'{LOOKUP}'!$A$2:$A${len(RULES.categories) + 1}"
    assert "OFFSET" in dvs[f"B{first}:B{last}"].formula1 and f"$A{first}" in dvs[f"B{first}:B{last}"].formula1
    assert dvs[f"E{first}:E{last}"].type == "list"
    setup = ws.sheet_properties.pageSetUpPr
    assert ws.page_setup.paperSize == 9 and setup is not None and setup.fitToPage
    if kind == "project":
        plan = dvs[form.cell("spend_plan.3月底") + ":" + "C9"]
        assert plan.type == "decimal" and (plan.formula1, plan.formula2) == ("0", "100")
        assert dvs["B7:C7"].type == "decimal" and dvs["B7:C7"].operator == "greaterThanOrEqual"
    blank = extract(path)  # still blank: a note, not a unit's empty submission
    assert not blank.tables and [p.code for p in blank.problems] == ["blank-template-skipped"]
    result = extract_sheets(str(path), read_workbook(path), resolve_vocabulary(None))
    assert [t.kind for t in result.tables] == [kind] and not result.tables[0].indicators
    assert result.tables[0].department is None
    assert not result.problems


def test_lists_come_from_the_rules_data(tmp_path: Path) -> None:
    rules_file = rules_with(
        tmp_path, ('choices = ["≥", ">", "=", "<", "≤", "文字描述"]', 'choices = [">=", "<=", "定性"]'),
        ('"满意度指标" = ["服务对象满意度指标"]', '"满意度指标" = ["服务对象满意度指标", "社会公众满意度指标"]'))
    wb = openpyxl.load_workbook(template("project", tmp_path / "t.xlsx", rules=rules_file).path)
    lookup = wb[LOOKUP]
    column = {lookup.cell(1, c).value: [lookup.cell(r, c).value for r in range(3, 10)
                                        if lookup.cell(r, c).value] for c in range(5, 12)}
    assert column["满意度指标"] == ["服务对象满意度指标", "社会公众满意度指标"]
    assert column["效果指标"] == column["效益指标"]  # the synonym gets its canonical list
    assert [lookup.cell(r, 2).value for r in range(2, 5)] == [">=", "<=", "定性"]
    assert lookup.cell(5, 2).value is None
    # check uses the same list: "=" is no longer accepted
    from perfxl.review.checking import check

    spec = SPECS[1]
    filled = _fill(Path(template("project", tmp_path / "b.xlsx").path), spec["table"], tmp_path / "f.xlsx")
    codes = [p.code for p in check([filled], rules=rules_file).problems]
    assert "operator-not-allowed" in codes
    assert "operator-not-allowed" not in [p.code for p in check([filled]).problems]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["table"]["project_name"] or "部门整体")
def test_filled_template_round_trips(spec: dict[str, Any], tmp_path: Path) -> None:
    table = spec["table"]
    blank = Path(template(table["kind"], tmp_path / "blank.xlsx").path)
    result = extract(_fill(blank, table, tmp_path / "filled.xlsx"))
    assert [strip_positions(t.to_dict()) for t in result.tables] == [table]
    assert not result.problems


@pytest.mark.soffice
def test_round_trip_survives_libreoffice_resave(tmp_path: Path) -> None:
    files = []
    for i, spec in enumerate(SPECS):
        blank = Path(template(spec["table"]["kind"], tmp_path / f"blank{i}.xlsx").path)
        files.append(_fill(blank, spec["table"], tmp_path / f"filled{i}.xlsx"))
    blank = Path(template("project", tmp_path / "guarded.xlsx").path)
    out = tmp_path / "lo"
    proc = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "xlsx", "--outdir", str(out), *map(str, files), str(blank)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for i, spec in enumerate(SPECS):
        result = extract(out / f"filled{i}.xlsx")
        assert [strip_positions(t.to_dict()) for t in result.tables] == [spec["table"]]
    wb = openpyxl.load_workbook(out / "guarded.xlsx")
    ws = wb.worksheets[0]
    assert ws.protection.sheet and wb[LOOKUP].sheet_state == "hidden"
    types = sorted(dv.type or "any" for dv in ws.data_validations.dataValidation)
    assert types.count("list") == 4 and types.count("decimal") == 8
    assert all(dv.prompt for dv in ws.data_validations.dataValidation)


def test_carry_forward_prefills_every_table(tmp_path: Path) -> None:
    last_year = tmp_path / "2020.xlsx"
    build_workbook(last_year, SPECS, "seed")
    result = template(source=last_year, output=tmp_path / "2021.xlsx", rows=3)
    assert len(result.sheets) == len(SPECS) and result.sheets[0]["sheet"] == "部门整体"
    assert {s["indicator_rows"] for s in result.sheets} >= {14}  # own rows + 10 spare
    before = [strip_positions(t.to_dict()) for t in extract(last_year).tables]
    after = extract(tmp_path / "2021.xlsx")
    assert [strip_positions(t.to_dict()) for t in after.tables] == before
    assert not after.problems


def test_carry_forward_refuses_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(UnreadableWorkbook):
        template(source=tmp_path / "missing.xlsx", output=tmp_path / "x.xlsx")
    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    with pytest.raises(PerfxlError, match="没有找到"):
        template(source=empty, output=tmp_path / "x.xlsx")
    src = tmp_path / "src.xlsx"
    build_workbook(src, SPECS[:1], "seed")
    with pytest.raises(PerfxlError, match="不能与来源文件相同"):
        template(source=src, output=src)
    with pytest.raises(PerfxlError, match=r"\.xlsx"):
        template(output=tmp_path / "t.xls")
    assert not (tmp_path / "x.xlsx").exists()


def test_rows_typed_below_the_template_are_read(tmp_path: Path) -> None:
    blank = Path(template("department", tmp_path / "t.xlsx", rows=2).path)
    table = dict(SPECS[1]["table"], kind="department", project_code=None, project_name=None,
                 purpose=None, spend_plan={}, goals=[])
    form = build_form("department", RULES, rows=len(table["indicators"]))  # more rows than the blank has
    wb = openpyxl.load_workbook(blank)
    for key, value in table_values(table, RULES).items():
        wb.worksheets[0][form.cell(key)] = value
    wb.save(tmp_path / "f.xlsx")
    got = extract(tmp_path / "f.xlsx").tables
    assert [i.level3 for i in got[0].indicators] == [i["level3"] for i in table["indicators"]]


def test_committed_templates_are_current(tmp_path: Path) -> None:
    for kind, name in (("project", "预算项目绩效表.xlsx"), ("department", "部门整体支出绩效指标.xlsx")):
        fresh = template(kind, tmp_path / name).path
        assert _content(ROOT / "workbooks" / "templates" / name) == _content(Path(fresh)), \
            "run `make templates` and commit the result"


def _content(path: Path) -> list[Any]:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, ws.sheet_state, [[c.value for c in row] for row in ws.iter_rows()],
             sorted(map(str, ws.merged_cells.ranges)),
             sorted((str(d.sqref), d.type, d.formula1, d.prompt) for d in ws.data_validations.dataValidation))
            for ws in wb.worksheets]


def test_cli_json_equals_library(tmp_path: Path) -> None:
    out = tmp_path / "cli.xlsx"
    result = CliRunner().invoke(main, ["template", "--kind", "department", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == template("department", out).to_dict()
    bad = CliRunner().invoke(main, ["template", "--from", str(tmp_path / "无.xlsx")])
    assert bad.exit_code == 2 and "文件不存在" in bad.output
    helped = CliRunner().invoke(main, ["template", "--help"])
    assert "示例" in helped.output and "perfxl template --from" in helped.output


def _named(spec: dict[str, Any], name: str) -> dict[str, Any]:
    out = json.loads(json.dumps(spec))
    out["table"]["project_name"] = name
    return out


def test_carried_sheet_names_are_valid_for_excel(tmp_path: Path) -> None:
    """Project names that differ only in case, a 28-emoji name (56 UTF-16 code units, beyond
    Excel's 31) and one of forbidden characters each get a sheet Excel opens."""
    emoji = "😀" * 28
    names = ["Project", "PROJECT", emoji, "a/b[1]:c*?", "'引号'"]
    src = tmp_path / "last.xlsx"
    build_workbook(src, [_named(SPECS[1], name) for name in names], "per-sheet")
    result = template(source=src, output=tmp_path / "next.xlsx")
    sheets = [s["sheet"] for s in result.sheets]
    assert sheets == ["Project", "PROJECT_2", "😀" * 15, "a_b_1__c__", "引号"]
    assert [s["project_name"] for s in result.sheets] == names
    wb = openpyxl.load_workbook(result.path)
    assert wb.sheetnames == [*sheets, LOOKUP]
    assert len({n.casefold() for n in wb.sheetnames}) == len(wb.sheetnames)
    assert all(len(n.encode("utf-16-le")) // 2 <= 31 for n in wb.sheetnames)


def test_template_on_a_full_disk_is_an_output_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlsxwriter

    def full(self: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsxwriter.Workbook, "_store_workbook", full)
    with pytest.raises(OutputError, match="磁盘空间已满"):
        template(output=tmp_path / "t.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_texts_cut_while_reading_the_source_are_reported_at_their_cell(tmp_path: Path) -> None:
    spec = json.loads(json.dumps(SPECS[1]))
    spec["table"]["purpose"] = "很长的项目立项依据。" * 20
    src = tmp_path / "last.xlsx"
    build_workbook(src, [spec], "per-sheet")
    limits = Limits(cell_chars=50)
    cut = [(p.sheet, p.cell) for p in extract(src, limits=limits).problems if p.code == "cell-too-long"]
    assert cut
    result = template(source=src, output=tmp_path / "next.xlsx", limits=limits)
    assert [(p.sheet, p.cell) for p in result.problems if p.code == "cell-too-long"] == cut
