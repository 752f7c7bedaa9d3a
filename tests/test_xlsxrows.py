"""``RowsWorksheet.put_rows`` must write what xlsxwriter's own cell writers write: same values,
types, formats and links, read back from real files by openpyxl and by LibreOffice."""

from __future__ import annotations

import math
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from perfxl.write.sheet_rows import RowsWorksheet, fit_text

ROWS: list[list[Any]] = [
    ["项目名称", 1250000.5, 3, None, "=SUM(A1:A3)", "http://example.com"],
    ["", 0.1234, -7, "多行\n文字 & <标签> \"引号\"", "+1", "@x"],
    [" 前后空格 ", 1e20, 0, "\x01控制符", "-2", "𠀀扩展区汉字"],
    [None, None, None, None, None, None],
    ["最后一行", float("nan"), float("inf"), 12, 3.0, True],
]
LINKS = {(0, 0): "external:../收件箱/a.xlsx#'Sheet1'!A1", (1, 3): "https://example.com/报告",
         (2, 0): "external:../收件箱/a.xlsx#'Sheet1'!C7",  # the same file again, another cell
         (4, 0): "external:../收件箱/百分号%25与%23井号.xlsx#'表 ''一'''!B2", (4, 3): "external:../收件箱/b.xlsx"}
SPECIAL = {1: {0: "warning", 3: "error"}, 3: {2: "error"}}


def _book(path: Path, fast: bool, repeat: int = 1, links: dict[tuple[int, int], str] = LINKS) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    fmt = {"text": wb.add_format({"text_wrap": True}), "money": wb.add_format({"num_format": "#,##0.00"}),
           "int": wb.add_format({"num_format": "0"}), "link": wb.add_format({"underline": 1}),
           "warning": wb.add_format({"bg_color": "#FFEB9C"}), "error": wb.add_format({"bg_color": "#FFC7CE"})}
    cols = [fmt["text"], fmt["money"], fmt["int"], fmt["text"], fmt["text"], fmt["text"]]
    ws = wb.add_worksheet("数据", worksheet_class=RowsWorksheet)
    ws.write_string(0, 0, "表头")
    special = {k: {c: fmt[v] for c, v in row.items()} for k, row in SPECIAL.items()}
    rows = ROWS * repeat
    if fast:
        assert ws.put_rows(1, rows, cols, special, links, fmt["link"]) == len(links)
    else:
        for i, row in enumerate(rows):
            for c, value in enumerate(row):
                f = special.get(i, {}).get(c, cols[c])
                if (i, c) in links:
                    ws.write_url(i + 1, c, links[(i, c)], fmt["link"], string=str(value))
                elif value is None or value == "":
                    if c in special.get(i, {}):
                        ws.write_blank(i + 1, c, None, f)
                elif type(value) in (int, float) and math.isfinite(value):
                    ws.write_number(i + 1, c, value, f)
                else:
                    ws.write_string(i + 1, c, str(value), f)
    ws.add_table(0, 0, len(rows), len(cols) - 1, {"header_row": False})
    wb.close()


def _cells(path: Path) -> list[tuple[Any, ...]]:
    ws = openpyxl.load_workbook(path)["数据"]
    return [(c.coordinate, c.value, c.data_type, c.number_format, c.fill.fgColor.rgb,
             c.font.underline, c.hyperlink.target if c.hyperlink else None, c.alignment.wrap_text)
            for row in ws.iter_rows() for c in row]


def _hyperlinks(path: Path, part: str) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return re.findall(r"<(?:hyperlink|Relationship) [^>]*>", zf.read(part).decode("utf-8"))


def test_put_rows_writes_what_the_public_writers_write(tmp_path: Path) -> None:
    _book(tmp_path / "slow.xlsx", fast=False)
    _book(tmp_path / "fast.xlsx", fast=True)
    assert _cells(tmp_path / "fast.xlsx") == _cells(tmp_path / "slow.xlsx")
    for part in ("xl/worksheets/sheet1.xml", "xl/worksheets/_rels/sheet1.xml.rels"):  # the links byte for byte
        fast, slow = (_hyperlinks(tmp_path / name, part) for name in ("fast.xlsx", "slow.xlsx"))
        assert fast == slow and fast
    cells = {c[0]: c for c in _cells(tmp_path / "fast.xlsx")}
    assert cells["E2"][1:3] == ("=SUM(A1:A3)", "s")  # text, never a live formula
    assert cells["B6"][1] == "nan" and cells["C6"][1] == "inf"  # never an invalid <v>
    assert cells["F6"][1] == "True"
    assert cells["A3"][4] == "FFFFEB9C" and cells["C5"][4] == "FFFFC7CE"  # own formats, blank too
    assert cells["D3"][5] == "single" and cells["D3"][6] == "https://example.com/报告"


@pytest.mark.parametrize("kinds", ["workbook cells only", "with a web link"])
def test_links_are_written_as_xlsxwriter_writes_them(tmp_path: Path, kinds: str) -> None:
    """Links to other workbooks' cells alone take the quick way; mixed with others, xlsxwriter's."""
    links = LINKS if kinds == "with a web link" else {k: v for k, v in LINKS.items() if v.startswith("external:")}
    _book(tmp_path / "slow.xlsx", fast=False, links=links)
    _book(tmp_path / "fast.xlsx", fast=True, links=links)
    for part in ("xl/worksheets/sheet1.xml", "xl/worksheets/_rels/sheet1.xml.rels"):
        fast, slow = (_hyperlinks(tmp_path / name, part) for name in ("fast.xlsx", "slow.xlsx"))
        assert fast == slow and fast
    assert _cells(tmp_path / "fast.xlsx") == _cells(tmp_path / "slow.xlsx")


def test_texts_met_again_share_their_string_as_the_public_writers_share_it(tmp_path: Path) -> None:
    """A text put a second time reuses its shared string, counted at each use, as write_string does."""
    _book(tmp_path / "slow.xlsx", fast=False, repeat=3)
    _book(tmp_path / "fast.xlsx", fast=True, repeat=3)
    strings = [zipfile.ZipFile(tmp_path / name).read("xl/sharedStrings.xml") for name in ("fast.xlsx", "slow.xlsx")]
    assert strings[0] == strings[1] and b'count="' in strings[0]
    assert _cells(tmp_path / "fast.xlsx") == _cells(tmp_path / "slow.xlsx")


@pytest.mark.soffice
def test_put_rows_book_opens_in_libreoffice(tmp_path: Path) -> None:
    _book(tmp_path / "fast.xlsx", fast=True)
    csv = "csv:Text - txt - csv (StarCalc):44,34,76"  # UTF-8
    subprocess.run(["soffice", "--headless", "--convert-to", csv, "--outdir", str(tmp_path),
                    str(tmp_path / "fast.xlsx")], check=True, capture_output=True, timeout=120)
    text = (tmp_path / "fast.csv").read_text(encoding="utf-8")
    assert "项目名称" in text and "最后一行" in text and "1250000.5" in text.replace(",", "")


def test_a_row_given_twice_is_refused(tmp_path: Path) -> None:
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), {"in_memory": True})
    ws = wb.add_worksheet(worksheet_class=RowsWorksheet)
    ws.put_rows(0, [["a"]], [None])
    ws.write_string(0, 1, "b")
    with pytest.raises(RuntimeError):
        wb.close()


def test_rows_outside_the_sheet_are_refused(tmp_path: Path) -> None:
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet(worksheet_class=RowsWorksheet)
    with pytest.raises(ValueError):
        ws.put_rows(1_048_575, [["a"], ["b"]], [None])
    wb.close()


def test_fit_text_counts_utf16_units_and_says_it_cut() -> None:
    mark = "……（超出单元格上限，已截断，全文见原表）"
    assert fit_text("短") == "短" and fit_text("a" * 32767) == "a" * 32767
    assert fit_text("a" * 40000) == "a" * (32767 - len(mark)) + mark
    astral = "𠀀" * 20000  # two UTF-16 units each
    kept = fit_text(astral)
    assert kept.endswith(mark) and set(kept[: -len(mark)]) == {"𠀀"}
    assert len(kept.encode("utf-16-le")) <= 2 * 32767
    odd = fit_text("a" + astral)  # never half a character before the mark
    assert odd[-len(mark) - 1] == "𠀀" and len(odd.encode("utf-16-le")) <= 2 * 32767


def test_a_carriage_return_in_staff_text_is_a_line_break(tmp_path: Path) -> None:
    """Excel keeps a CR in a cell as the literal "_x000D_"; staff who pasted one meant a new line."""
    path = tmp_path / "回车.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("数据", worksheet_class=RowsWorksheet)
    ws.put_rows(0, [["第一\r\n第二", "甲\r乙"]], [wb.add_format({"text_wrap": True})] * 2)
    wb.close()
    assert [c.value for c in openpyxl.load_workbook(path)["数据"][1]] == ["第一\n第二", "甲\n乙"]


def test_a_table_keeps_no_record_of_its_cells_and_stays_alone(tmp_path: Path) -> None:
    wb = xlsxwriter.Workbook(str(tmp_path / "t.xlsx"))
    ws = wb.add_worksheet("数据", worksheet_class=RowsWorksheet)
    ws.put_rows(1, [["a", 1]] * 5000, [None, None])
    ws.add_table(0, 0, 5000, 1, {"columns": [{"header": "名称"}, {"header": "数"}]})
    assert len(ws.table_cells) == 0  # xlsxwriter's own worksheet keeps 10,002 entries here
    with pytest.raises(ValueError):
        ws.add_table(0, 0, 10, 1)
    with pytest.raises(ValueError):
        ws.merge_range(0, 0, 1, 1, "x")
    wb.close()
    assert openpyxl.load_workbook(tmp_path / "t.xlsx")["数据"].tables["Table1"].ref == "A1:B5001"


def test_rows_past_the_memory_budget_wait_on_disk_and_come_back_alike(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.write.sheet_rows as sheet_rows

    _book(tmp_path / "held.xlsx", fast=True)
    monkeypatch.setattr(sheet_rows, "SPOOL_CHARS", 100)  # the second row on goes to disk
    _book(tmp_path / "spooled.xlsx", fast=True)
    assert _cells(tmp_path / "spooled.xlsx") == _cells(tmp_path / "held.xlsx")
    with zipfile.ZipFile(tmp_path / "held.xlsx") as a, zipfile.ZipFile(tmp_path / "spooled.xlsx") as b:
        assert a.read("xl/worksheets/sheet1.xml") == b.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("spool", [False, True])
def test_heights_given_at_once_are_written_as_set_row_writes_them(tmp_path: Path, spool: bool,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.write.sheet_rows as sheet_rows

    if spool:
        monkeypatch.setattr(sheet_rows, "SPOOL_CHARS", 100)
    # 15 pt is the default height (written as none), 15.2 rounds to it; 409 is Excel's ceiling
    heights = {1: 29.5, 2: 15.0, 3: 15.2, 4: 409.0, 5: 41.5}

    def book(path: Path, at_once: bool) -> bytes:
        wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
        ws = wb.add_worksheet("数据", worksheet_class=RowsWorksheet)
        ws.write_string(0, 0, "表头")
        ws.put_rows(1, ROWS, [None] * 6)
        if at_once:
            ws.set_heights(heights)
        else:
            for row, height in heights.items():
                ws.set_row(row, height)
        wb.close()
        with zipfile.ZipFile(path) as z:
            return z.read("xl/worksheets/sheet1.xml")

    fast, slow = book(tmp_path / "fast.xlsx", True), book(tmp_path / "slow.xlsx", False)
    assert fast == slow and b'ht="409.5"' not in fast and b'r="3" ht' not in fast and b'r="2" ht="29.25"' in fast
