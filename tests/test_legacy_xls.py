"""Legacy .xls through python-calamine and the BIFF record scan: the same sheets xlrd with
formatting info gives (values, merges, percent cells, dates, errors as blanks); anything the scan
cannot read goes through xlrd."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlwt

import perfxl.read.legacy_xls as legacy
from perfxl.read.biff import NotBiff8, scan
from perfxl.read.limits import DEFAULT_LIMITS, Limits
from perfxl.read.workbook import read_workbook


def _book(path: Path) -> Path:
    wb = xlwt.Workbook()
    ws = wb.add_sheet("表一")
    pct, pct2 = xlwt.easyxf(num_format_str="0%"), xlwt.easyxf(num_format_str="0.0%")
    day = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    ws.write_merge(0, 0, 0, 3, "预算项目绩效表")   # A1:D1
    ws.write_merge(1, 2, 0, 0, "一级指标")         # A2:A3
    ws.write(1, 1, 0.25, pct)                     # B2, a percentage (an RK number)
    ws.write(1, 2, 0.123456789, pct2)             # C2, a percentage (a full NUMBER)
    ws.write(1, 3, 42)                            # D2, a plain number
    ws.write(2, 1, dt.datetime(2024, 3, 31), day)  # B3, a date
    ws.write(2, 2, True)                          # C3, a boolean
    ws.write(2, 3, xlwt.Formula("1/0"))           # D3, a formula (xlwt stores no cached value)
    ws.write(4, 5, "", xlwt.easyxf("pattern: pattern solid"))  # F5, a styled blank far out
    other = wb.add_sheet("表二")
    other.write(0, 0, "说明")
    wb.save(str(path))
    return path


def _trimmed(rows: list[list[object]]) -> list[list[object]]:
    out = [[v for v in r if v != ""] for r in rows]
    while out and not out[-1]:
        out.pop()
    return out


def test_the_record_scan_finds_formats_merges_and_the_area(tmp_path: Path) -> None:
    facts = scan(_book(tmp_path / "a.xls").read_bytes())
    assert [f.name for f in facts] == ["表一", "表二"]
    first = facts[0]
    assert first.percent == {(1, 1), (1, 2)}
    assert sorted(first.merges) == [(0, 0, 0, 3), (1, 0, 2, 0)]
    assert first.area == 5 * 6  # to F5, the styled blank included (as xlrd counts it)
    assert facts[1].percent == set() and facts[1].area == 1


def test_calamine_path_gives_what_xlrd_gives(tmp_path: Path) -> None:
    data = _book(tmp_path / "a.xls").read_bytes()
    fast = legacy._read_calamine("a.xls", data, DEFAULT_LIMITS)
    slow = legacy._read_xlrd("a.xls", data, DEFAULT_LIMITS)
    for a, b in zip(fast, slow, strict=True):
        assert (a.name, sorted(a.merges), a.percent) == (b.name, sorted(b.merges), b.percent)
        assert _trimmed(a.rows) == _trimmed(b.rows)  # styled empty rows at the end are not kept, as in .xlsx
    rows = fast[0].rows
    assert rows[1][1:4] == [0.25, 0.123456789, 42.0] and type(rows[1][3]) is float
    assert rows[2][1] == dt.datetime(2024, 3, 31) and rows[2][2] is True


def test_a_sheet_beyond_the_cell_limit_is_not_read(tmp_path: Path) -> None:
    data = _book(tmp_path / "a.xls").read_bytes()
    sheets = legacy._read_calamine("a.xls", data, Limits(cells=20))
    assert sheets[0].rows == [] and [n.code for n in sheets[0].notes] == ["sheet-too-large"]
    assert sheets[1].rows == [["说明"]]


def test_what_the_scan_cannot_read_goes_through_xlrd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _book(tmp_path / "a.xls")
    with pytest.raises(NotBiff8):
        scan(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    used: list[str] = []
    real = legacy._read_xlrd

    def xlrd_path(*args: object) -> object:
        used.append("xlrd")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(legacy, "_read_xlrd", xlrd_path)
    read_workbook(path)
    assert used == []  # an ordinary BIFF8 file: calamine
    monkeypatch.setattr(legacy, "scan", lambda data: (_ for _ in ()).throw(NotBiff8("test")))
    assert [s.name for s in read_workbook(path)] == ["表一", "表二"] and used == ["xlrd"]
