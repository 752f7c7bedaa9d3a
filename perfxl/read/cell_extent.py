"""How far a sheet's values reach and how many there are, computed from its XML exactly as
python-calamine will place them (it allocates the whole rectangle from A1 to the farthest value,
so one far cell would exhaust memory).

Every reference form calamine accepts counts: ``r`` in either quote, in any case, with blanks
around ``=``, on prefixed elements (``x:c``), and cells without ``r`` (the previous cell + 1; a
row without ``r`` is the previous row + 1). Common sheets (every cell with a plain ``r="A1"``)
are measured with a few C-level scans; anything else goes through the tokenizer in
``xml_tokens``. What calamine would fail on, or read in a way this module cannot be sure of,
is reported as irregular so the sheet is refused, never handed over unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .xml_tokens import Irregular, Tag, attributes, tags

_U32 = 0xFFFFFFFF
_LONGEST_REF = 32  # XFD1048576 is 10 bytes; calamine wraps anything longer at 32 bits
_ANY_CELL = (b"<c ", b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")
_PREFIXED_CELL = (b":c ", b":c>", b":c/", b":c\t", b":c\n", b":c\r")
# a cell tag with plain double-quoted attributes, r first and only once (calamine takes the last)
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?:\s+(?!r=)[\w:.-]+="[^"<>]*")*\s*(/?)>')
_VALUES = (b"v", b"f", b"is")
_NESTED = (b"c", b"row", b"sheetData")


@dataclass(frozen=True)
class Extent:
    """Rows and columns from A1 to the farthest cell holding something, and how many such cells
    there are; ``irregular`` says why the sheet cannot be measured (then it is not read)."""

    rows: int = 0
    cols: int = 0
    cells: int = 0
    irregular: str | None = None

    @property
    def area(self) -> int:
        return max(self.rows * self.cols, self.cells)


def sheet_extent(data: bytes, cell_limit: int | None = None) -> Extent:
    """The extent of one worksheet part as python-calamine would read it. Past ``cell_limit`` cell
    tags (counted at C speed: an upper bound of the cells) a sheet the tokenizer would have to walk
    is too large as it is, and is not walked (4 million cells without ``r`` took 46 s)."""
    fast = _plain_extent(data)
    if fast is not None:
        return fast
    if cell_limit is not None:
        tags_seen = sum(data.count(t) for t in _ANY_CELL + _PREFIXED_CELL)
        if tags_seen > cell_limit:
            return Extent(cells=tags_seen)
    try:
        return _tokenized_extent(data)
    except Irregular as exc:
        return Extent(irregular=str(exc))


def _plain_extent(data: bytes) -> Extent | None:
    """The common case, without a Python loop per cell: one sheetData, no comments or CDATA,
    no prefixed cells, and every cell tag plain (``<c r="A1" ...>``, quotes balanced, no ``<``
    or ``>`` inside them, no second r). None when the sheet is not that simple."""
    if b"<!" in data:
        return None
    named = data.count(b"sheetData")
    start = data.find(b"<sheetData")
    if named == 1 and data.startswith(b"<sheetData/>", start):
        return Extent()
    end = data.find(b"</sheetData>", start)
    if named != 2 or start == -1 or end == -1 or data[start + 10:start + 11] != b">":
        return None
    body = data[start + 11:end]
    if any(needle in body for needle in _PREFIXED_CELL):
        return None
    found = _PLAIN_CELL.findall(body)
    if len(found) != sum(body.count(needle) for needle in _ANY_CELL):
        return None
    if not found:
        return Extent()
    if min(map(int, {row for _, row, _ in found})) == 0:
        return None  # calamine fails on row 0: let the tokenizer say so
    valued = [cell for cell in found if not cell[2]]
    if not valued:
        return Extent()
    rows = max(map(int, {row for _, row, _ in valued}))
    return Extent(rows, max(map(_column, {col for col, _, _ in valued})), len(valued))


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = (n * 26 + (ch | 0x20) - 0x60) & _U32
    return n


def _row_and_col(ref: bytes) -> tuple[int, int | None]:
    """calamine's reading of a reference (``get_row_and_optional_column``): 0-based row and
    column, wrapping at 32 bits as it does; Irregular where it fails, or where it is longer than
    any real reference (megabytes of letters would cost a Python step each)."""
    if len(ref) > _LONGEST_REF:
        raise Irregular("单元格引用过长")
    col = row = 0
    i, size = 0, len(ref)
    while i < size:
        ch = ref[i]
        if 0x41 <= ch <= 0x5A or 0x61 <= ch <= 0x7A:
            col = (col * 26 + (ch | 0x20) - 0x60) & _U32
        elif 0x30 <= ch <= 0x39:
            break
        else:
            raise Irregular("单元格引用无效")
        i += 1
    while i < size:
        ch = ref[i]
        if not 0x30 <= ch <= 0x39:
            raise Irregular("单元格引用无效")
        row = (row * 10 + ch - 0x30) & _U32
        i += 1
    if row == 0:
        raise Irregular("单元格引用无效")
    return row - 1, (col - 1 if col else None)


def _cell_attr_r(raw: bytes) -> bytes | None:
    """The ``r`` calamine takes from a cell's attributes: it reads r, s and t and stops once it
    has seen three of them, the last ``r`` before that winning."""
    ref, seen = None, 0
    for key, value in attributes(raw):
        if key in (b"r", b"s", b"t"):
            seen += 1
            if key == b"r":
                ref = value
            if seen == 3:
                break
    return ref


def _row_attr_r(raw: bytes) -> bytes | None:
    for key, value in attributes(raw):
        if key == b"r":
            return value
    return None


def _tokenized_extent(data: bytes) -> Extent:
    stream = tags(data)
    for tag in stream:
        if tag.local == b"sheetData" and not tag.closing:
            if tag.empty:
                return Extent()
            break
    else:
        return Extent()  # no sheetData: calamine reads no cells either
    row = col = 0
    rows = cols = cells = 0
    for tag in stream:
        name = tag.local
        if name == b"row":
            if tag.closing:
                row, col = (row + 1) & _U32, 0
                continue
            ref = _row_attr_r(tag.attrs)
            if ref is not None:
                row = _row_and_col(ref)[0]
            if tag.empty:
                row, col = (row + 1) & _U32, 0
        elif name == b"c" and not tag.closing:
            ref = _cell_attr_r(tag.attrs)
            if ref is None:
                at = (row, col)
            else:
                r, c = _row_and_col(ref)
                if c is None:
                    raise Irregular("单元格引用缺少列")
                at, col = (r, c), c
            if not tag.empty and _cell_has_value(stream):
                cells += 1
                rows, cols = max(rows, at[0] + 1), max(cols, at[1] + 1)
            col = (col + 1) & _U32
        elif name == b"sheetData" and tag.closing:
            return Extent(rows, cols, cells)
    raise Irregular("sheetData 未结束")


def _cell_has_value(stream: Iterator[Tag]) -> bool:
    """Reads a cell's children up to its end tag: v, f or is (each skipped to its own end);
    anything else there, or a cell, row or sheetData inside, is irregular."""
    has = False
    for tag in stream:
        name = tag.local
        if tag.closing:
            if name == b"c":
                return has
            if name in _NESTED:
                raise Irregular("单元格内嵌套了行或单元格")
            continue
        if name not in _VALUES:
            raise Irregular("单元格内有未知元素")
        has = True
        if not tag.empty:
            _skip_value(stream, tag)
    raise Irregular("单元格未结束")


def _skip_value(stream: Iterator[Tag], opened: Tag) -> None:
    """Past the end of a value element, counting its own name as quick-xml does (so never
    ending before calamine does); a cell, row or sheetData met on the way is irregular."""
    depth = 1
    for tag in stream:
        if tag.local in _NESTED:
            raise Irregular("单元格内嵌套了行或单元格")
        if tag.name == opened.name:
            depth += -1 if tag.closing else (0 if tag.empty else 1)
            if depth == 0:
                return
    raise Irregular("单元格的值未结束")
