"""Reading workbooks (.xlsx/.xlsm via python-calamine, legacy .xls via xlrd) into plain grids.

A ``Sheet`` holds cell values from A1, the merged ranges, the cells shown as percentages and
the formulas without a cached value. Anything that is not a readable workbook raises
``UnreadableWorkbook`` with a Chinese reason a clerk can act on.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .a1 import to_a1
from .errors import UnreadableWorkbook
from .limits import DEFAULT_LIMITS, Limits
from .zipparts import Package, PartTooLarge

if TYPE_CHECKING:
    from .xlsxmeta import SheetMeta

Note = tuple[str, str, str, str | None]  # severity, code, message, cell
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
    notes: list[Note] = field(default_factory=list)  # limits hit while reading

    @property
    def height(self) -> int:
        return len(self.rows)

    @cached_property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def value(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows):
            cells = self.rows[row]
            if 0 <= col < len(cells):
                v = cells[col]
                return None if v == "" else v
        return None


def read_workbook(path: str | os.PathLike[str], data: bytes | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> list[Sheet]:
    """All sheets of the workbook at ``path`` (or of ``data``, its bytes already read);
    raises UnreadableWorkbook when it is not one or breaks a limit as a whole."""
    spath = os.fspath(path)
    if data is None:
        data = read_bytes(spath, limits)
    if data.startswith(b"PK"):
        return _read_xlsx(spath, data, limits)
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARK in data[: 1 << 20]:
            raise UnreadableWorkbook(spath, "工作簿设置了打开密码，无法读取；请取消密码后重新提交")
        return _read_xls(spath, data, limits)
    raise UnreadableWorkbook(spath, "文件内容不是 Excel 工作簿（既不是 xlsx 也不是 xls）；"
                                    "请用 Excel 或 WPS 另存为 .xlsx 后重新提交")


def read_bytes(path: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The whole file, read once (the workbook is parsed and hashed from these bytes)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.file_bytes + 1)
    except FileNotFoundError as exc:
        raise UnreadableWorkbook(path, "文件不存在；请检查路径") from exc
    except IsADirectoryError as exc:
        raise UnreadableWorkbook(path, "这是一个文件夹，不是工作簿文件") from exc
    except OSError as exc:
        if os.path.isdir(path):  # Windows reports a folder as "permission denied"
            raise UnreadableWorkbook(path, "这是一个文件夹，不是工作簿文件") from exc
        raise UnreadableWorkbook(path, f"无法打开文件（{exc.strerror or exc}）；请检查文件权限") from exc
    if not data:
        raise UnreadableWorkbook(path, "文件为空（0 字节）；请重新保存或重新复制该文件")
    if len(data) > limits.file_bytes:
        raise UnreadableWorkbook(path, f"文件超过 {limits.file_mb} MB，不像是绩效表，未读取；"
                                       f"确属正常的大文件，可用 --limit file_mb=N 放宽")
    return data


def _damaged(path: str) -> UnreadableWorkbook:
    return UnreadableWorkbook(path, "文件已损坏（压缩包不完整，可能未复制完）；请重新保存或重新复制该文件")


def _read_xlsx(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    import python_calamine as pc

    from .xlsxmeta import read_meta

    try:
        pkg = Package(data, limits.part_bytes)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged(path) from exc
    if "xl/workbook.xml" not in pkg:
        raise UnreadableWorkbook(path, "压缩包里没有 Excel 工作簿内容（可能是 Word 或其他文件）；"
                                       "请提交 Excel 工作簿")
    slim: dict[str, bytes] = {}
    try:
        metas = read_meta(pkg, slim)
        if slim:
            data = pkg.repack(slim)
    except PartTooLarge as exc:
        raise UnreadableWorkbook(path, f"工作簿中的“{exc.name}”解压后超过 {limits.part_mb} MB（疑似压缩炸弹），"
                                       f"已拒绝读取；确属正常的大文件，可用 --limit part_mb=N 放宽") from exc
    except (zipfile.BadZipFile, KeyError) as exc:
        raise _damaged(path) from exc
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        long_text = pkg.largest > limits.cell_chars  # else no cell can hold that much text
        sheets = [_xlsx_sheet(book, name, metas.get(name), limits, long_text)
                  for name in book.sheet_names]
        book.close()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine raises unrelated types, and a Rust panic is no Exception
        raise UnreadableWorkbook(path, f"工作簿内容已损坏，无法读取（{type(exc).__name__}）；"
                                       "请用 Excel 或 WPS 打开后另存再提交") from exc
    return sheets


def _xlsx_sheet(book: Any, name: str, meta: SheetMeta | None, limits: Limits,
                long_text: bool) -> Sheet:
    if meta is not None and meta.area > limits.cells:
        return _too_large(name, meta.area, limits)
    sheet = book.get_sheet_by_name(name)
    merges = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
    out = Sheet(name, sheet.to_python(skip_empty_area=False), merges)
    if meta is not None:
        out.percent, out.uncached = meta.percent, meta.uncached
    return _bounded(out, limits, long_text)


def _too_large(name: str, area: int, limits: Limits) -> Sheet:
    return Sheet(name, [], notes=[("error", "sheet-too-large",
                                   f"工作表“{name}”的数据分布在约 {area:,} 个单元格的范围内，超过上限 {limits.cells:,}，"
                                   "未读取该表；请删除远处多余的内容后重新提交，或用 --limit cells=N 放宽", None)])


def _bounded(sheet: Sheet, limits: Limits, long_text: bool = True) -> Sheet:
    """Cut what exceeds the per-sheet limits, leaving a note for each cut."""
    if len(sheet.merges) > limits.merges:
        sheet.notes.append(("warning", "merges-too-many",
                            f"工作表有 {len(sheet.merges):,} 个合并单元格，超过上限 {limits.merges:,}；"
                            "只使用了前面的部分，表格结构可能读错。请取消多余的合并，或用 --limit merges=N 放宽", None))
        sheet.merges = sheet.merges[:limits.merges]
    cap = limits.cell_chars
    for r, row in enumerate(sheet.rows if long_text else ()):
        for c, value in enumerate(row):
            if type(value) is str and len(value) > cap:
                row[c] = value[:cap]
                sheet.notes.append(("warning", "cell-too-long",
                                    f"单元格内容有 {len(value):,} 个字符，超过上限 {cap:,}，只读取了前 {cap:,} 个字符；"
                                    "请精简内容", to_a1(r, c)))
    return sheet


def _read_xls(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                  ragged_rows=True)
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
        sheets = []
        for i in range(book.nsheets):
            sh = book.sheet_by_index(i)
            area = sh.nrows * sh.ncols
            sheets.append(_too_large(sh.name, area, limits) if area > limits.cells
                          else _bounded(_xls_sheet(book, sh, percent_xfs), limits))
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
    import xlrd

    rows: list[list[Any]] = []
    percent: set[tuple[int, int]] = set()
    text, number, empty = xlrd.XL_CELL_TEXT, xlrd.XL_CELL_NUMBER, xlrd.XL_CELL_EMPTY
    for r in range(sh.nrows):
        values, types = sh.row_values(r), sh.row_types(r)
        out = list(values)
        for c, ctype in enumerate(types):
            if ctype == text or ctype == empty:
                continue
            if ctype == number:
                if percent_xfs and sh.cell_xf_index(r, c) in percent_xfs:
                    percent.add((r, c))
            elif ctype == xlrd.XL_CELL_DATE:
                try:
                    out[c] = xlrd.xldate.xldate_as_datetime(values[c], book.datemode)
                except (ValueError, OverflowError):
                    pass
            elif ctype == xlrd.XL_CELL_BOOLEAN:
                out[c] = bool(values[c])
            else:  # blank, error
                out[c] = ""
        rows.append(out)
    merges = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in sh.merged_cells]
    return Sheet(sh.name, rows, merges, percent)
