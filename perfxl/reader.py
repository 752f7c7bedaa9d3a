"""Reading workbooks (.xlsx/.xlsm via python-calamine, legacy .xls via xlrd) into plain grids.

A ``Sheet`` holds cell values from A1, the merged ranges, the cells shown as percentages and
the formulas without a cached value. Anything that is not a readable workbook raises
``UnreadableWorkbook`` with a Chinese reason a clerk can act on.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from typing import Any

from .errors import UnreadableWorkbook

Merge = tuple[int, int, int, int]  # first row, first col, last row, last col (inclusive, 0-based)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


@dataclass
class Sheet:
    """One worksheet as values plus the layout facts the locator needs."""

    name: str
    rows: list[list[Any]]
    merges: list[Merge] = field(default_factory=list)
    percent: set[tuple[int, int]] = field(default_factory=set)
    uncached: list[tuple[int, int]] = field(default_factory=list)

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def value(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows):
            cells = self.rows[row]
            if 0 <= col < len(cells):
                v = cells[col]
                return None if v == "" else v
        return None


def read_workbook(path: str | os.PathLike[str]) -> list[Sheet]:
    """All sheets of the workbook at ``path``; raises UnreadableWorkbook when it is not one."""
    spath = os.fspath(path)
    head = _head(spath)
    if head.startswith(b"PK"):
        return _read_xlsx(spath)
    if head.startswith(_OLE_MAGIC):
        if _is_encrypted_ooxml(spath):
            raise UnreadableWorkbook(spath, "工作簿设置了打开密码，无法读取；请取消密码后重新提交")
        return _read_xls(spath)
    raise UnreadableWorkbook(spath, "文件内容不是 Excel 工作簿（既不是 xlsx 也不是 xls）；"
                                    "请用 Excel 或 WPS 另存为 .xlsx 后重新提交")


def _head(path: str) -> bytes:
    if not os.path.exists(path):
        raise UnreadableWorkbook(path, "文件不存在；请检查路径")
    if os.path.isdir(path):
        raise UnreadableWorkbook(path, "这是一个文件夹，不是工作簿文件")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise UnreadableWorkbook(path, f"无法打开文件（{exc.strerror or exc}）；请检查文件权限") from exc
    if not head:
        raise UnreadableWorkbook(path, "文件为空（0 字节）；请重新保存或重新复制该文件")
    return head


def _is_encrypted_ooxml(path: str) -> bool:
    with open(path, "rb") as fh:
        return _ENCRYPTED_MARK in fh.read(1 << 20)


def _read_xlsx(path: str) -> list[Sheet]:
    import python_calamine as pc

    from .xlsxmeta import read_meta

    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableWorkbook(path, "文件已损坏（压缩包不完整，可能未复制完）；"
                                       "请重新保存或重新复制该文件") from exc
    if "xl/workbook.xml" not in names:
        raise UnreadableWorkbook(path, "压缩包里没有 Excel 工作簿内容（可能是 Word 或其他文件）；"
                                       "请提交 Excel 工作簿")
    try:
        book = pc.CalamineWorkbook.from_path(path)
        sheets: list[Sheet] = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            merges = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
            sheets.append(Sheet(name, sheet.to_python(skip_empty_area=False), merges))
        book.close()
        metas = read_meta(path, [s.name for s in sheets])
    except UnreadableWorkbook:
        raise
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise UnreadableWorkbook(path, f"工作簿内容已损坏，无法读取（{type(exc).__name__}）；"
                                       "请用 Excel 或 WPS 打开后另存再提交") from exc
    for sheet in sheets:
        meta = metas.get(sheet.name)
        if meta:
            sheet.percent = meta.percent
            sheet.uncached = meta.uncached
    return sheets


def _read_xls(path: str) -> list[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(path, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise UnreadableWorkbook(path, "工作簿设置了打开密码，无法读取；请取消密码后重新提交") from exc
        raise UnreadableWorkbook(path, "xls 文件已损坏或不是 Excel 工作簿；"
                                       "请用 Excel 或 WPS 另存为 .xlsx 后重新提交") from exc
    except Exception as exc:  # xlrd raises assorted errors on damaged OLE files
        raise UnreadableWorkbook(path, "xls 文件已损坏，无法读取；"
                                       "请用 Excel 或 WPS 另存为 .xlsx 后重新提交") from exc
    try:
        percent_xfs = _xls_percent_xfs(book)
        return [_xls_sheet(book, book.sheet_by_index(i), percent_xfs)
                for i in range(book.nsheets)]
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
    import xlrd

    rows: list[list[Any]] = []
    percent: set[tuple[int, int]] = set()
    for r in range(sh.nrows):
        out: list[Any] = []
        for c, cell in enumerate(sh.row(r)):
            ctype, value = cell.ctype, cell.value
            if ctype == xlrd.XL_CELL_DATE:
                try:
                    value = xlrd.xldate.xldate_as_datetime(value, book.datemode)
                except (ValueError, OverflowError):
                    pass
            elif ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(value)
            elif ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                value = ""
            elif ctype == xlrd.XL_CELL_NUMBER and cell.xf_index in percent_xfs:
                percent.add((r, c))
            out.append(value)
        rows.append(out)
    merges = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in sh.merged_cells]
    return Sheet(sh.name, rows, merges, percent)
