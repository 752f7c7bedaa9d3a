"""Error values (#N/A, #DIV/0!, #VALUE!) and NaN/INF cached values are reported at their cell,
never read as blanks; python-calamine gives both as empty cells."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl

import perfxl

CELLS: dict[str, str | int] = {"A1": "项目编码", "B1": "105-0901-YBN-DPPC", "C1": "项目名称", "D1": "某项目",
                            "E1": "年度资金总额", "F1": 120, "A2": "资金支出计划", "B2": "3月底", "C2": "12月底",
                            "B3": 30, "C3": 100, "A4": "一级指标", "B4": "二级指标", "C4": "三级指标",
                            "D4": "指标值", "A5": "产出指标", "B5": "数量指标", "C5": "户数", "D5": 20}


def _book(path: Path, errors: dict[str, str]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sheet1"
    for ref, value in {**CELLS, **errors}.items():
        ws[ref] = value
        if ref in errors:
            ws[ref].data_type = "e"
    wb.save(path)
    return path


def test_error_values_are_reported_at_their_cells(tmp_path: Path) -> None:
    path = _book(tmp_path / "错误值.xlsx", {"F1": "#DIV/0!", "B3": "#N/A", "D5": "#VALUE!"})
    result = perfxl.extract(path)
    found = {(p.cell, p.message.split("“")[1].split("”")[0]) for p in result.problems if p.code == "cell-error-value"}
    assert found == {("F1", "#DIV/0!"), ("B3", "#N/A"), ("D5", "#VALUE!")}
    table, = result.tables
    assert table.amount is None and table.spend_plan == {"3月底": None, "12月底": 100.0}
    assert [p.severity for p in result.problems if p.code == "cell-error-value"] == ["error"] * 3


def test_nan_and_infinite_cached_values_are_reported_not_dropped(tmp_path: Path) -> None:
    plain = _book(tmp_path / "原.xlsx", {})
    path = tmp_path / "非数.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v>120</v>", b"<v>NaN</v>").replace(b"<v>20</v>", b"<v>1e999</v>")
                data = data.replace(b"<v>30</v>", b"<v>Infinity</v>")
            zout.writestr(info, data)
    result = perfxl.extract(path)
    assert {p.cell for p in result.problems if p.code == "cell-error-value"} == {"F1", "D5", "B3"}
    assert result.tables[0].amount is None


def test_error_values_in_an_xls_are_reported_at_their_cells(tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("Sheet1")
    for ref, value in CELLS.items():
        row, col = int(ref[1:]) - 1, ord(ref[0]) - ord("A")
        if ref == "D5":
            ws.row(row).set_cell_error(col, 0x2A)  # #N/A as a plain error cell
        else:
            ws.write(row, col, value)
    path = tmp_path / "错误值.xls"
    book.save(str(path))
    found = {(p.cell, p.message.split("“")[1].split("”")[0])
             for p in perfxl.extract(path).problems if p.code == "cell-error-value"}
    assert ("D5", "#N/A") in found
