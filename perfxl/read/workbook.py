"""Reading one workbook file into plain grids, the format judged from its content (``sniff``),
never its name: .xlsx/.xlsm through python-calamine (after the zip parts were inspected and
bounded, and handed over as a fresh package of only the checked parts), legacy .xls and BIFF
.et through ``legacy_xls``, .ods through python-calamine as a fresh package too (``ods_package``),
and the exports units really send as ".xls": HTML tables, SpreadsheetML 2003 XML and CSV.

Anything that is not a readable workbook raises ``UnreadableWorkbook`` with a Chinese reason a
clerk can act on. An .xlsb is refused (``xlsb-not-read``, a warning): no tokenizer here measures its
binary records, so python-calamine would get what nobody checked; it never sees the file's bytes.
"""

from __future__ import annotations

import errno
import io
import math
import os
import re
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import python_calamine as pc

from ..errors import ENCRYPTED, UnreadableWorkbook, os_reason
from ..problems import problem
from .book_parts import book_parts, office_document
from .canonical_package import canonical_package
from .limits import DEFAULT_LIMITS, Limits
from .ods_package import encrypted, ods_package, ods_tables
from .refused import RefusedWorkbook
from .safe_open import LinkOnTheWay, open_file
from .sheet import Sheet, bounded, too_large
from .sheet_xml import SheetMeta, read_meta
from .sniff import HTML, OLE, SPREADSHEET_ML, TEXT, ZIP, sniff
from .typed_cells import typed_cells_as_text
from .xml_tokens import Irregular
from .zip_parts import Package, PartTooLarge, TotalTooLarge

_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_NOT_WORKBOOK = "文件内容不是 Excel 工作簿（既不是 xlsx 也不是 xls）；请用 Excel 或 WPS 另存为 .xlsx 后重新提交"
_WPS = "这个 WPS 表格（.et）文件不是 Excel 兼容的格式，无法读取；请在 WPS 中另存为 .xlsx 后重新提交"


def read_workbook(path: str | os.PathLike[str], data: bytes | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> list[Sheet]:
    """All sheets of the workbook at ``path`` (or of ``data``, its bytes already read);
    raises UnreadableWorkbook when it is not one or breaks a limit as a whole."""
    spath = os.fspath(path)
    if data is None:
        data = read_bytes(spath, limits)
    try:
        return _read_kind(spath, data, limits)
    except UnreadableWorkbook as exc:
        if spath.lower().endswith((".et", ".ett")) and exc.reason != ENCRYPTED \
                and not isinstance(exc, RefusedWorkbook):
            raise UnreadableWorkbook(spath, _WPS) from exc
        raise


def _read_kind(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    # the readers of the other formats (and xlrd, lxml, charset_normalizer) are imported when a
    # file of theirs comes: on every single-file command they cost more than the read itself
    kind = sniff(data)
    if kind == ZIP:
        return _read_zip(path, data, limits)
    if kind == OLE:
        if _ENCRYPTED_MARK in data[: 1 << 20]:
            raise UnreadableWorkbook(path, ENCRYPTED)
        from .legacy_xls import read_xls
        return read_xls(path, data, limits)
    if kind == SPREADSHEET_ML:
        from .spreadsheet_ml import read_spreadsheet_ml
        return read_spreadsheet_ml(path, data, limits)
    if kind == HTML:
        from .html_table import read_html
        return read_html(path, data, limits)
    if kind == TEXT:
        from .delimited_text import read_csv
        return read_csv(path, data, limits)
    raise UnreadableWorkbook(path, _NOT_WORKBOOK)


def read_bytes(path: str, limits: Limits = DEFAULT_LIMITS, root: str | None = None) -> bytes:
    """The whole file, read once (the workbook is parsed and hashed from these bytes); see
    ``read_file``."""
    return read_file(path, limits, root)[0]


def read_file(path: str, limits: Limits = DEFAULT_LIMITS,
              root: str | None = None) -> tuple[bytes, os.stat_result, os.stat_result]:
    """The whole file and its facts as opened and once read (from the handle itself). Opened
    from ``root``, the inbox it was found in, one folder at a time without following a link
    (``safe_open.open_file``; no ``root``: from its own folder) and without waiting on a pipe,
    then checked to be a regular file on the open handle, so nothing swapped in after the inbox
    was listed is read."""
    try:
        fd = open_file(path, root)
    except FileNotFoundError as exc:
        raise UnreadableWorkbook(path, "文件不存在；请检查路径") from exc
    except IsADirectoryError as exc:
        raise UnreadableWorkbook(path, "这是一个文件夹，不是工作簿文件") from exc
    except LinkOnTheWay as exc:
        raise UnreadableWorkbook(path, f"路径中的文件夹“{exc.filename}”是一个符号链接（可能是在列出收件箱之后换上的），"
                                       "为安全起见不跟随读取；请把文件夹本身放进收件箱后重新运行") from exc
    except OSError as exc:
        if os.path.isdir(path):  # Windows reports a folder as "permission denied"
            raise UnreadableWorkbook(path, "这是一个文件夹，不是工作簿文件") from exc
        if exc.errno == errno.ENAMETOOLONG:
            raise UnreadableWorkbook(path, f"路径长 {len(os.fsencode(path)):,} 字节，超过操作系统允许的长度；"
                                           "请把它移到层级较浅、名称较短的文件夹后重新提交") from exc
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise UnreadableWorkbook(path, "这是一个符号链接，为安全起见不跟随读取；请把文件本身放进收件箱") from exc
        raise UnreadableWorkbook(path, f"无法打开文件（{os_reason(exc)}）；请检查文件权限") from exc
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode):
        os.close(fd)
        if stat.S_ISDIR(opened.st_mode):
            raise UnreadableWorkbook(path, "这是一个文件夹，不是工作簿文件")
        raise UnreadableWorkbook(path, "不是普通文件（命名管道、套接字或设备），没有读取；请提交工作簿文件本身")
    with open(fd, "rb") as fh:
        try:
            data = fh.read(limits.file_bytes + 1)
            after = os.fstat(fd)
        except OSError as exc:
            raise UnreadableWorkbook(path, f"无法读取文件（{os_reason(exc)}）") from exc
    if not data:
        raise UnreadableWorkbook(path, "文件为空（0 字节）；请重新保存或重新复制该文件")
    if len(data) > limits.file_bytes:
        raise UnreadableWorkbook(path, f"文件超过 {limits.file_mb} MB，不像是绩效表，未读取；"
                                       f"确属正常的大文件，可用 --limit file_mb=N 放宽")
    return data, opened, after


def _damaged(path: str, exc: BaseException | None = None) -> UnreadableWorkbook:
    """Why a package could not be read: cut short (a copy that stopped), or built in a way no
    spreadsheet program writes (a DOCTYPE, a member twice, a part where none belongs), which
    perfxl does not read rather than guess at."""
    odd = str(exc) if isinstance(exc, Irregular) else \
        "同一个部件出现两次" if isinstance(exc, zipfile.BadZipFile) and "twice" in str(exc) else None
    if odd is not None:
        return UnreadableWorkbook(path, f"文件的内部结构异常（{odd}），不像 Excel 或 WPS 保存的文件，为安全起见未读取；"
                                        "请用 Excel 或 WPS 打开后另存为 .xlsx 再提交")
    return UnreadableWorkbook(path, "文件已损坏（压缩包不完整，可能未复制完）；请重新保存或重新复制该文件")


def _too_large_part(exc: PartTooLarge, limits: Limits) -> str:
    return (f"工作簿中的“{exc.name}”解压后超过 {limits.part_mb} MB（疑似压缩炸弹），"
            f"已拒绝读取；确属正常的大文件，可用 --limit part_mb=N 放宽")


def _too_large_total(limits: Limits) -> str:
    return (f"工作簿各部件解压后合计超过 {limits.total_mb} MB（疑似压缩炸弹），已拒绝读取；"
            f"确属正常的大文件，可用 --limit total_mb=N 放宽")


def _read_zip(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    try:
        pkg = Package(data, limits.part_bytes, limits.total_bytes)
        document = office_document(pkg)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, Irregular) as exc:
        raise _damaged(path, exc) from exc
    except PartTooLarge as exc:
        raise UnreadableWorkbook(path, _too_large_part(exc, limits)) from exc
    if document is not None and document.lower().endswith(".bin"):  # an .xlsb: see the module's docstring
        raise RefusedWorkbook(path, "xlsb-not-read")
    if document is not None:
        return _read_xlsx(path, pkg, document, limits)
    if "content.xml" in pkg and ("mimetype" not in pkg or _ODS_MIME in _part(path, pkg, "mimetype", limits)):
        return _read_ods(path, pkg, limits)
    raise UnreadableWorkbook(path, "压缩包里没有 Excel 工作簿内容（可能是 Word 或其他文件）；"
                                   "请提交 Excel 工作簿")


def _part(path: str, pkg: Package, name: str, limits: Limits) -> bytes:
    try:
        return pkg.read(name)
    except PartTooLarge as exc:
        raise UnreadableWorkbook(path, _too_large_part(exc, limits)) from exc
    except TotalTooLarge as exc:
        raise UnreadableWorkbook(path, _too_large_total(limits)) from exc
    except (zipfile.BadZipFile, KeyError) as exc:
        raise _damaged(path, exc) from exc


@dataclass(frozen=True)
class _Checked:
    """What was checked of an .xlsx: its sheets' names and facts, the XML kept of each (None: a
    sheet refused), the largest part, and how to pack sheets into the package calamine reads."""

    names: list[str]
    metas: list[SheetMeta]
    kept: list[bytes | None]
    largest: int
    pack: Callable[[list[bytes | None]], bytes]


def _checked_package(path: str, pkg: Package, document: str, limits: Limits) -> _Checked:
    """Sheet names, their facts and what the fresh package python-calamine reads instead of the
    file is made of (only the parts inflated and checked here); refuses the workbook past its
    budgets."""
    try:
        parts = book_parts(pkg, document)
        if len(parts.sheets) > limits.sheets:
            raise UnreadableWorkbook(path, f"工作簿有 {len(parts.sheets):,} 个工作表，超过上限 {limits.sheets:,}，"
                                           f"不像是绩效表，未读取；确属正常，可用 --limit sheets=N 放宽")
        shared = pkg.read(parts.shared_strings) if parts.shared_strings else None
        styles = pkg.read(parts.styles) if parts.styles else None
        metas = read_meta(pkg, parts, styles, limits.cells)
        kept = [m.xml if m.extent.irregular is None and m.extent.area <= limits.cells else None
                for m in metas]
        total = sum(m.extent.area for m, xml in zip(metas, kept, strict=True) if xml is not None)
        if total > limits.book_cells:
            raise UnreadableWorkbook(path, f"工作簿各工作表的数据范围合计约 {total:,} 个单元格，超过上限 "
                                           f"{limits.book_cells:,}，未读取；请删除多余的工作表或远处的内容，"
                                           f"确属正常可用 --limit book_cells=N 放宽")
        names = [name for name, _ in parts.sheets]
        date1904 = parts.date1904
    except PartTooLarge as exc:
        raise UnreadableWorkbook(path, _too_large_part(exc, limits)) from exc
    except TotalTooLarge as exc:
        raise UnreadableWorkbook(path, _too_large_total(limits)) from exc
    except (zipfile.BadZipFile, KeyError, Irregular) as exc:
        raise _damaged(path, exc) from exc

    def pack(xmls: list[bytes | None]) -> bytes:
        return canonical_package(list(zip(names, xmls, strict=True)), shared, styles, date1904)

    return _Checked(names, metas, kept, pkg.largest, pack)


def _read_xlsx(path: str, pkg: Package, document: str, limits: Limits) -> list[Sheet]:
    checked = _checked_package(path, pkg, document, limits)
    sheets = _calamine_sheets(path, checked, checked.kept, limits)
    if isinstance(sheets, BaseException):
        # calamine gives up on a whole workbook for one cell whose value does not fit its type (a
        # boolean holding "maybe", written by a program that is not Excel): such cells are read as text
        repaired = [(xml, []) if xml is None else typed_cells_as_text(xml) for xml in checked.kept]
        again = _calamine_sheets(path, checked, [xml for xml, _ in repaired], limits) \
            if any(odd for _, odd in repaired) else sheets
        if isinstance(again, BaseException):
            raise UnreadableWorkbook(path, f"工作簿内容已损坏，无法读取（{type(sheets).__name__}）；"
                                           "请用 Excel 或 WPS 打开后另存再提交") from sheets
        sheets = again
        for sheet, (_, odd) in zip(sheets, repaired, strict=True):
            sheet.notes += [problem("cell-value-invalid", file=path, sheet=sheet.name, cell=cell, value=value,
                                    kind=kind) for cell, value, kind in odd]
    return sheets


def _calamine_sheets(path: str, checked: _Checked, xmls: list[bytes | None],
                     limits: Limits) -> list[Sheet] | BaseException:
    """The sheets python-calamine reads from the package of ``xmls``, or what it raised."""
    try:
        book = _calamine(checked.pack(xmls))
        long_text = checked.largest > limits.cell_chars  # else no cell can hold that much text
        sheets = [_xlsx_sheet(book, path, i, name, meta, limits, long_text)
                  for i, (name, meta) in enumerate(zip(checked.names, checked.metas, strict=True))]
        book.close()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine raises unrelated types, and a Rust panic is no Exception
        return exc
    return sheets


def _xlsx_sheet(book: Any, path: str, index: int, name: str, meta: SheetMeta, limits: Limits,
                long_text: bool) -> Sheet:
    extent = meta.extent
    if extent.irregular is not None:
        return Sheet(name, [], notes=[problem("sheet-unreadable", file=path, sheet=name, reason=extent.irregular)])
    if extent.area > limits.cells:
        return too_large(path, name, extent.area, limits)
    sheet = book.get_sheet_by_index(index)
    merges = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
    out = Sheet(name, sheet.to_python(skip_empty_area=False), merges)
    out.percent, out.uncached, out.errors = meta.percent, meta.uncached, meta.errors
    if _NOT_FINITE_VALUE.search(meta.xml):
        not_finite(out)
    return bounded(out, path, limits, long_text)


# a cached value no workbook can hold as a number: NaN, INF, Infinity, or one that overflows (1e999)
_NOT_FINITE_VALUE = re.compile(rb"<(?:\w+:)?v>\s*[-+]?(?:nan|inf|[\d.]+e\+?\d{3,})", re.IGNORECASE)
NOT_FINITE = {True: "INF", False: "-INF"}  # how a NaN or infinite value is named in Sheet.errors


def not_finite(sheet: Sheet) -> None:
    """NaN and infinite cached values (no application shows them as numbers) become error cells."""
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if type(value) is float and not math.isfinite(value):
                sheet.errors[(r, c)] = NOT_FINITE[value > 0] if math.isinf(value) else "NaN"
                row[c] = ""


def _read_ods(path: str, pkg: Package, limits: Limits) -> list[Sheet]:
    """An .ods through python-calamine, as the fresh package of its checked content (tables past
    the cell limit emptied), with its merges and percent cells from content.xml."""
    from lxml import etree

    from .ods_meta import ods_layout
    data, refused = _checked_ods(path, pkg, limits)
    try:
        layout = ods_layout(_part(path, pkg, "content.xml", limits))
    except etree.XMLSyntaxError as exc:
        raise _damaged(path, exc) from exc
    try:
        book = _calamine(data)
        sheets = []
        for name in book.sheet_names:
            if name in refused:
                sheets.append(too_large(path, name, refused[name], limits))
                continue
            sheet = book.get_sheet_by_name(name)
            end = sheet.end
            area = (end[0] + 1) * (end[1] + 1) if end is not None else 0
            if area > limits.cells:
                sheets.append(too_large(path, name, area, limits))
                continue
            merges, percent = layout.get(name, ([], set()))
            given = sheet.merged_cell_ranges
            if given:
                merges = [(a[0], a[1], b[0], b[1]) for a, b in given]
            sheets.append(bounded(Sheet(name, sheet.to_python(skip_empty_area=False), merges, percent), path, limits))
        book.close()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine raises unrelated types, and a Rust panic is no Exception
        raise UnreadableWorkbook(path, f"OpenDocument 表格（.ods）内容已损坏或无法读取（{type(exc).__name__}）；"
                                       "请用 Excel 或 WPS 另存为 .xlsx 后重新提交") from exc
    return sheets


def _checked_ods(path: str, pkg: Package, limits: Limits) -> tuple[bytes, dict[str, int]]:
    """The fresh package calamine reads instead of the .ods (see ``ods_package``), and the
    tables emptied in it (name -> their area); refuses the file past its budgets."""
    manifest = pkg.find("META-INF/manifest.xml")
    if manifest is not None and encrypted(_part(path, pkg, manifest, limits)):
        raise UnreadableWorkbook(path, ENCRYPTED)
    content = _part(path, pkg, "content.xml", limits)
    try:
        tables = ods_tables(content, limits.cell_chars)
    except Irregular as exc:
        raise _damaged(path, exc) from exc
    if len(tables) > limits.sheets:
        raise UnreadableWorkbook(path, f"工作簿有 {len(tables):,} 个工作表，超过上限 {limits.sheets:,}，"
                                       f"不像是绩效表，未读取；确属正常，可用 --limit sheets=N 放宽")
    refused = [t for t in tables if t.extent.area > limits.cells]
    total = sum(t.extent.area for t in tables if t.extent.area <= limits.cells)
    if total > limits.book_cells:
        raise UnreadableWorkbook(path, f"工作簿各工作表的数据范围合计约 {total:,} 个单元格，超过上限 "
                                       f"{limits.book_cells:,}，未读取；请删除多余的工作表或远处的内容，"
                                       f"确属正常可用 --limit book_cells=N 放宽")
    return ods_package(content, refused), {t.name: t.extent.area for t in refused}


def _calamine(package: bytes) -> Any:
    """python-calamine's workbook of ``package``: only ever a package perfxl made from what it checked."""
    return pc.CalamineWorkbook.from_filelike(io.BytesIO(package))
