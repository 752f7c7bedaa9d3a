"""Legacy .xls workbooks (old Excel, WPS) read into the same ``Sheet`` grids as .xlsx: values,
merges, percent-formatted cells, dates as datetimes, errors as blanks.

A BIFF8 workbook's values come from python-calamine (about thirty times faster than xlrd with
formatting info) and its formats, errors and merges from a scan of its records (``biff``); older
BIFF versions, encrypted and damaged files, and whatever that path cannot read go through xlrd."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from typing import Any

import python_calamine as pc
import xlrd

from ..errors import ENCRYPTED, UnreadableWorkbook
from .biff import NotBiff8, scan
from .limits import Limits
from .sheet import Sheet, bounded, too_large


def read_xls(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    """All sheets of a legacy .xls given as bytes; UnreadableWorkbook when damaged or encrypted."""
    try:
        return _read_calamine(path, data, limits)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # NotBiff8, a calamine error or a Rust panic (no Exception): xlrd decides
        return _read_xlrd(path, data, limits)


_TIME_ONLY = dt.datetime(1899, 12, 31)  # the day xlrd puts a time of day without a date on


def _read_calamine(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    facts = scan(data)
    book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        if [f.name for f in facts] != [n for n in book.sheet_names if n in {f.name for f in facts}]:
            raise NotBiff8("sheets differ")
        sheets = []
        for fact in facts:
            if fact.area > limits.cells:
                sheets.append(too_large(path, fact.name, fact.area, limits))
                continue
            rows = book.get_sheet_by_name(fact.name).to_python(skip_empty_area=False)
            for r, c in fact.errors:
                if r < len(rows) and c < len(rows[r]):
                    rows[r][c] = ""
            for row in rows:
                for c, value in enumerate(row):
                    kind = type(value)
                    if kind is str or kind is float or kind is bool or kind is dt.datetime:
                        continue
                    if isinstance(value, int):
                        row[c] = float(value)  # xlrd gives every number as a float
                    elif isinstance(value, dt.date):
                        row[c] = dt.datetime(value.year, value.month, value.day)
                    elif isinstance(value, dt.time):
                        row[c] = dt.datetime.combine(_TIME_ONLY, value)
                    elif isinstance(value, dt.timedelta):
                        row[c] = _TIME_ONLY + value
            sheet = Sheet(fact.name, rows, fact.merges, fact.percent)
            sheet.errors = fact.errors
            sheets.append(bounded(sheet, path, limits))
        return sheets
    finally:
        book.close()


def _read_xlrd(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                  ragged_rows=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise UnreadableWorkbook(path, ENCRYPTED) from exc
        raise UnreadableWorkbook(path, "xls 文件已损坏或不是 Excel 工作簿；"
                                       "请用 Excel 或 WPS 另存为 .xlsx 后重新提交") from exc
    except Exception as exc:  # xlrd raises assorted errors on damaged OLE files
        raise UnreadableWorkbook(path, "xls 文件已损坏，无法读取；"
                                       "请用 Excel 或 WPS 另存为 .xlsx 后重新提交") from exc
    try:
        percent_xfs = _xls_percent_xfs(book)
        sheets = []
        for i in range(book.nsheets):
            sh = book.sheet_by_index(i)
            area = sh.nrows * sh.ncols
            sheets.append(too_large(path, sh.name, area, limits) if area > limits.cells
                          else bounded(_xls_sheet(book, sh, percent_xfs), path, limits))
            book.unload_sheet(i)
        return sheets
    except Exception as exc:
        raise UnreadableWorkbook(path, "xls 文件已损坏，无法读取；"
                                       "请用 Excel 或 WPS 另存为 .xlsx 后重新提交") from exc
    finally:
        book.release_resources()


def _xls_percent_xfs(book: Any) -> set[int]:
    found = set()
    for index, xf in enumerate(book.xf_list):
        fmt = book.format_map.get(xf.format_key)
        if fmt is not None and "%" in fmt.format_str:
            found.add(index)
    return found


def _xls_sheet(book: Any, sh: Any, percent_xfs: set[int]) -> Sheet:
    rows: list[list[Any]] = []
    percent: set[tuple[int, int]] = set()
    errors: dict[tuple[int, int], str] = {}
    text, number, empty = xlrd.XL_CELL_TEXT, xlrd.XL_CELL_NUMBER, xlrd.XL_CELL_EMPTY
    for r in range(sh.nrows):
        values, types = sh.row_values(r), sh.row_types(r)
        out = list(values)
        for c, ctype in enumerate(types):
            if ctype in (text, empty):
                continue
            if ctype == number:
                if percent_xfs and sh.cell_xf_index(r, c) in percent_xfs:
                    percent.add((r, c))
            elif ctype == xlrd.XL_CELL_DATE:
                with contextlib.suppress(ValueError, OverflowError):
                    out[c] = xlrd.xldate.xldate_as_datetime(values[c], book.datemode)
            elif ctype == xlrd.XL_CELL_BOOLEAN:
                out[c] = bool(values[c])
            else:  # blank, error
                if ctype == xlrd.XL_CELL_ERROR:
                    errors[(r, c)] = xlrd.error_text_from_code.get(values[c], "#错误")
                out[c] = ""
        rows.append(out)
    merges = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in sh.merged_cells]
    sheet = Sheet(sh.name, rows, merges, percent)
    sheet.errors = errors
    return sheet
