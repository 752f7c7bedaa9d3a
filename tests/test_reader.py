"""Reading details: percentage formats, cached formula values, .xlsm, .xls, merges, placement."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfxl import extract

from .conftest import make_workbook

HEADER = {"B2": "一级指标", "C2": "二级指标", "D2": "三级指标", "E2": "绩效指标描述", "F2": "指标值",
          "I2": "指标值确定依据", "F3": "符号", "G3": "值", "H3": "单位（文字描述）"}
MERGES = ["B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:H2", "I2:I3"]


def _row(r: int, *values: object) -> dict[str, object]:
    return {f"{col}{r}": v for col, v in zip("BCDEFGHI", values, strict=False) if v is not None}


@pytest.mark.parametrize("engine", ["xlsxwriter", "openpyxl", "xlwt"])
def test_percent_format_means_per_cent(tmp_path: Path, engine: str) -> None:
    cells = {**HEADER, **_row(4, "满意度指标", "服务对象满意度指标", "满意度", "满意度", "≥", 0.8, None, "调查")}
    path = tmp_path / ("p.xls" if engine == "xlwt" else "p.xlsx")
    make_workbook(path, cells, MERGES, engine, formats={"G4": "pct"})
    [ind] = extract(path).tables[0].indicators
    assert (ind.operator, ind.value, ind.unit) == (">=", 80.0, "%")


def test_text_with_percent_format_is_not_scaled(tmp_path: Path) -> None:
    cells = {**HEADER, **_row(4, "产出指标", "质量指标", "合格率", None, "=", "100.00", "%", None)}
    make_workbook(tmp_path / "t.xlsx", cells, MERGES, formats={"G4": "pct"})
    [ind] = extract(tmp_path / "t.xlsx").tables[0].indicators
    assert (ind.value, ind.unit) == (100.0, "%")


def test_formula_with_cached_value_and_without(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    cells = {**HEADER, **_row(4, "产出指标", "数量指标", "户数", None, "≥", 100, "户", None),
             **_row(5, None, "数量指标", "次数", None, "≥", 1, "次", None)}
    path = make_workbook(tmp_path / "f.xlsx", cells, MERGES, engine="openpyxl")
    wb = load_workbook(path)
    wb.worksheets[0]["G5"] = "=1+1"  # openpyxl stores no cached value
    wb.save(path)
    result = extract(path)
    assert result.tables[0].indicators[0].value == 100.0
    assert [(p.code, p.cell) for p in result.problems] == [("formula-no-cached-value", "G5")]
    assert result.exit_code == 1


def test_cached_formula_value_is_read(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "c.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    for ref, value in HEADER.items():
        ws.write_string(ref, value)
    ws.write_row("B4", ["产出指标", "数量指标", "户数", "户数", "≥"])
    ws.write_formula("G4", "=5000*2", None, 10000)
    ws.write_string("H4", "户")
    wb.close()
    [ind] = extract(path).tables[0].indicators
    assert ind.value == 10000.0


def test_xlsm_is_read_like_xlsx(tmp_path: Path) -> None:
    cells = {**HEADER, **_row(4, "产出指标", "数量指标", "户数", None, ">=", "11000.00", "户", None)}
    path = make_workbook(tmp_path / "m.xlsx", cells, MERGES)
    xlsm = path.rename(tmp_path / "m.xlsm")
    [ind] = extract(xlsm).tables[0].indicators
    assert ind.value == 11000.0


def test_combined_target_cell_and_table_far_from_a1(tmp_path: Path) -> None:
    cells = {"K20": "一级指标", "L20": "二级指标", "M20": "三级指标", "N20": "指标值",
             "K21": "产出指标", "L21": "质量指标", "M21": "合格率", "N21": "≥95%",
             "M22": "及时性", "N22": "按时完成"}
    [table] = extract(make_workbook(tmp_path / "c.xlsx", cells)).tables
    assert table.anchor == "K20" and table.kind == "department"
    a, b = table.indicators
    assert (a.operator, a.value, a.unit, a.cell) == (">=", 95.0, "%", "M21")
    assert (b.operator, b.target_text, b.level1) == ("text", "按时完成", "产出指标")


def test_project_name_without_label_and_money_in_yuan(tmp_path: Path) -> None:
    cells = {"A1": "单位名称：某某局", "F1": "金额单位：元",
             "B3": "项目编码", "C3": "105-0603-YBN-L5NF", "D3": "招商引资工作",
             "B4": "年度资金总额", "C4": 600000,
             **{k.replace("2", "6", 1).replace("3", "7", 1): v for k, v in HEADER.items()},
             **_row(8, "产出指标", "数量指标", "拜访企业个数", None, ">=", 36, "个", None)}
    [table] = extract(make_workbook(tmp_path / "y.xlsx", cells)).tables
    assert (table.project_name, table.amount, table.department) == ("招商引资工作", 60.0, "某某局")
    assert table.cells["project_name"] == "D3" and table.cells["department"] == "A1"


def test_unknown_operator_and_text_value_are_problems(tmp_path: Path) -> None:
    cells = {**HEADER, **_row(4, "产出指标", "数量指标", "户数", None, "约", "100", "户", None),
             **_row(5, None, "数量指标", "次数", None, "≥", "至少一次", "次", None)}
    result = extract(make_workbook(tmp_path / "u.xlsx", cells, MERGES))
    assert [(p.code, p.cell) for p in result.problems] == [
        ("operator-unknown", "F4"), ("value-not-number", "G5")]
