"""What python-calamine does not tell about a legacy .xls: which cells are shown as percentages,
which hold an error, its merged ranges and how far out each sheet's cells reach. Read from the
BIFF8 records of the Workbook stream, record by record, without building any cell."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

from xlrd import compdoc

_BOF, _EOF, _FILEPASS, _BOUNDSHEET, _FORMAT, _XF = 0x0809, 0x000A, 0x002F, 0x0085, 0x041E, 0x00E0
_NUMBER, _RK, _MULRK, _FORMULA, _BOOLERR = 0x0203, 0x027E, 0x00BD, 0x0006, 0x0205
_LABELSST, _LABEL, _RSTRING, _BLANK, _MULBLANK, _MERGEDCELLS = 0x00FD, 0x0204, 0x00D6, 0x0201, 0x00BE, 0x00E5
# BIFF8 error codes as Excel shows them
ERROR_TEXT = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!",
              0x2A: "#N/A"}
_SINGLE_SET = frozenset((_NUMBER, _RK, _FORMULA, _BOOLERR, _LABELSST, _LABEL, _RSTRING, _BLANK))
_BIFF8 = 0x0600
_BUILTIN_PERCENT = {9, 10}
_HEAD = struct.Struct("<HH")
_CELL = struct.Struct("<HHH")  # row, column, cell format (XF) index


class NotBiff8(Exception):
    """The stream is not one this scanner reads (older BIFF, encrypted, damaged): use xlrd."""


@dataclass
class BiffSheet:
    """One worksheet's facts, by its name."""

    name: str
    percent: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> the error shown (#N/A …)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    area: int = 0  # rows x columns from A1 to the farthest cell record (blank ones too)


def workbook_stream(data: bytes) -> bytes:
    """The Workbook stream of an OLE compound file; NotBiff8 when there is none."""
    try:
        doc = compdoc.CompDoc(data, logfile=io.StringIO())
        mem, base, size = doc.locate_named_stream("Workbook")
    except (compdoc.CompDocError, struct.error, IndexError, ValueError) as exc:
        raise NotBiff8(str(exc)) from exc
    if mem is None:
        raise NotBiff8("no Workbook stream")
    return bytes(mem[base:base + size])


def scan(data: bytes) -> list[BiffSheet]:
    """Every worksheet of a BIFF8 workbook (its bytes), in order; NotBiff8 for anything else."""
    stream = workbook_stream(data)
    try:
        return _scan(stream)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise NotBiff8(str(exc)) from exc


def _records(stream: bytes, pos: int) -> tuple[int, int, int]:
    kind, length = _HEAD.unpack_from(stream, pos)
    return kind, pos + 4, pos + 4 + length


def _scan(stream: bytes) -> list[BiffSheet]:
    kind, start, end = _records(stream, 0)
    if kind != _BOF or struct.unpack_from("<H", stream, start)[0] != _BIFF8:
        raise NotBiff8("not BIFF8")
    formats: dict[int, str] = {}
    xf_formats: list[int] = []
    sheets: list[tuple[str, int]] = []
    pos, head, size = end, _HEAD.unpack_from, len(stream)
    while pos + 4 <= size:
        kind, length = head(stream, pos)
        start = pos + 4
        pos = start + length
        if kind == _EOF:
            break
        if kind == _FILEPASS:
            raise NotBiff8("encrypted")
        if kind == _XF:
            xf_formats.append(struct.unpack_from("<H", stream, start + 2)[0])
        elif kind == _FORMAT:
            index, chars, flags = struct.unpack_from("<HHB", stream, start)
            raw = stream[start + 5:start + 5 + (2 * chars if flags & 1 else chars)]
            formats[index] = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
        elif kind == _BOUNDSHEET:
            offset, _, sheet_type, chars, flags = struct.unpack_from("<IBBBB", stream, start)
            raw = stream[start + 8:start + 8 + (2 * chars if flags & 1 else chars)]
            if sheet_type == 0:  # a worksheet (not a chart, macro or VB module sheet)
                sheets.append((raw.decode("utf-16-le" if flags & 1 else "latin-1"), offset))
    percent_xfs = {i for i, fmt in enumerate(xf_formats)
                   if fmt in _BUILTIN_PERCENT or "%" in formats.get(fmt, "")}
    return [_sheet(stream, name, offset, percent_xfs) for name, offset in sheets]


def _sheet(stream: bytes, name: str, pos: int, percent_xfs: set[int]) -> BiffSheet:
    out = BiffSheet(name)
    kind, _, pos = _records(stream, pos)
    if kind != _BOF:
        raise NotBiff8(f"sheet {name} has no BOF")
    rows = cols = 0
    head, cell, size = _HEAD.unpack_from, _CELL.unpack_from, len(stream)
    single, percent, errors = _SINGLE_SET, out.percent, out.errors
    while pos + 4 <= size:
        kind, length = head(stream, pos)
        start = pos + 4
        pos = start + length
        if kind in single:
            row, col, xf = cell(stream, start)
            if row >= rows:
                rows = row + 1
            if col >= cols:
                cols = col + 1
            if kind in (_NUMBER, _RK):
                if xf in percent_xfs:
                    percent.add((row, col))
            elif kind == _FORMULA:
                if stream[start + 12:start + 14] != b"\xff\xff":  # a number as the cached result
                    if xf in percent_xfs:
                        percent.add((row, col))
                elif stream[start + 6] == 2:  # an error as the cached result
                    errors[(row, col)] = ERROR_TEXT.get(stream[start + 8], "#错误")
            elif kind == _BOOLERR and stream[start + 7] == 1:
                errors[(row, col)] = ERROR_TEXT.get(stream[start + 6], "#错误")
        elif kind in (_MULRK, _MULBLANK):
            row, first = struct.unpack_from("<HH", stream, start)
            last = struct.unpack_from("<H", stream, pos - 2)[0]
            rows, cols = max(rows, row + 1), max(cols, last + 1)
            if kind == _MULRK and percent_xfs:
                for k in range(last - first + 1):
                    if struct.unpack_from("<H", stream, start + 4 + 6 * k)[0] in percent_xfs:
                        percent.add((row, first + k))
        elif kind == _MERGEDCELLS:
            count = struct.unpack_from("<H", stream, start)[0]
            for k in range(count):
                r0, r1, c0, c1 = struct.unpack_from("<HHHH", stream, start + 2 + 8 * k)
                out.merges.append((r0, c0, r1, c1))
        elif kind == _EOF:
            break
    out.area = rows * cols
    return out
