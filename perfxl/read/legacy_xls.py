"""Legacy .xls workbooks (old Excel, WPS) read through xlrd into the same ``Sheet`` grids as
.xlsx: values, merges, percent-formatted cells, dates as datetimes, errors as blanks."""

from __future__ import annotations

import contextlib
from typing import Any

import xlrd

from ..errors import UnreadableWorkbook
from .limits import Limits
from .sheet import Sheet, bounded, too_large

ENCRYPTED = "工作簿设置了打开密码，无法读取；请取消密码后重新提交"


def read_xls(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    """All sheets of a legacy .xls given as bytes; UnreadableWorkbook when damaged or encrypted."""
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
                out[c] = ""
        rows.append(out)
    merges = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in sh.merged_cells]
    return Sheet(sh.name, rows, merges, percent)
