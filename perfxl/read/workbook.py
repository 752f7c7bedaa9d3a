"""Reading one workbook file into plain grids: .xlsx/.xlsm through python-calamine (after the
zip parts were inspected and bounded), legacy .xls through ``legacy_xls``.

Anything that is not a
readable workbook raises ``UnreadableWorkbook`` with a Chinese reason a clerk can act on.
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import Any

import python_calamine as pc

from ..errors import UnreadableWorkbook, os_reason
from .legacy_xls import ENCRYPTED, read_xls
from .limits import DEFAULT_LIMITS, Limits
from .sheet import Sheet, bounded, too_large
from .sheet_xml import SheetMeta, read_meta
from .zip_parts import Package, PartTooLarge

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


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
            raise UnreadableWorkbook(spath, ENCRYPTED)
        return read_xls(spath, data, limits)
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
        raise UnreadableWorkbook(path, f"无法打开文件（{os_reason(exc)}）；请检查文件权限") from exc
    if not data:
        raise UnreadableWorkbook(path, "文件为空（0 字节）；请重新保存或重新复制该文件")
    if len(data) > limits.file_bytes:
        raise UnreadableWorkbook(path, f"文件超过 {limits.file_mb} MB，不像是绩效表，未读取；"
                                       f"确属正常的大文件，可用 --limit file_mb=N 放宽")
    return data


def _damaged(path: str) -> UnreadableWorkbook:
    return UnreadableWorkbook(path, "文件已损坏（压缩包不完整，可能未复制完）；请重新保存或重新复制该文件")


def _read_xlsx(path: str, data: bytes, limits: Limits) -> list[Sheet]:
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
        sheets = [_xlsx_sheet(book, path, name, metas.get(name), limits, long_text)
                  for name in book.sheet_names]
        book.close()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine raises unrelated types, and a Rust panic is no Exception
        raise UnreadableWorkbook(path, f"工作簿内容已损坏，无法读取（{type(exc).__name__}）；"
                                       "请用 Excel 或 WPS 打开后另存再提交") from exc
    return sheets


def _xlsx_sheet(book: Any, path: str, name: str, meta: SheetMeta | None, limits: Limits,
                long_text: bool) -> Sheet:
    if meta is not None and meta.area > limits.cells:
        return too_large(path, name, meta.area, limits)
    sheet = book.get_sheet_by_name(name)
    merges = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
    out = Sheet(name, sheet.to_python(skip_empty_area=False), merges)
    if meta is not None:
        out.percent, out.uncached = meta.percent, meta.uncached
    return bounded(out, path, limits, long_text)
