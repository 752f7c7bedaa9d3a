"""The fresh package python-calamine is given in place of a submitted .ods: the three parts it
reads (``mimetype``, ``META-INF/manifest.xml``, ``content.xml``), the first two written here and
content.xml inflated and measured here. calamine expands every repeated non-empty cell and row
(``number-columns-repeated``, ``number-rows-repeated``) and the repeated blanks of ``text:s``,
so one short tag could ask it for billions of cells: each table's extent is computed from the
tags exactly as calamine names them (literal ``table:`` prefixes), and a table past the cell
limit, or one that cannot be measured, is emptied before calamine sees it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .book_parts import unescape
from .cell_extent import Extent
from .xml_tokens import Irregular, Tag, attributes, tags
from .zip_parts import stored_zip

MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_MANIFEST = (b'<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest='
             b'"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
             b'<manifest:file-entry manifest:full-path="/" manifest:media-type="' + MIME + b'"/>'
             b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
             b"</manifest:manifest>")
_CELLS = (b"table:table-cell", b"table:covered-table-cell")
_VALUES = (b"office:value", b"office:string-value", b"office:date-value", b"office:time-value",
           b"office:boolean-value", b"table:formula")


@dataclass
class OdsTable:
    """One table as calamine will read it: its name, extent and where it sits in content.xml."""

    name: str
    extent: Extent
    start: Tag
    end: int  # just past its closing tag


def encrypted(manifest: bytes) -> bool:
    """True when the manifest says a part is encrypted (calamine refuses those as password-protected)."""
    return b"encryption-data" in manifest


def ods_tables(content: bytes, cell_chars: int) -> list[OdsTable]:
    """Every named table of content.xml, in order; Irregular where calamine would fail on one,
    or where it cannot be measured for sure (then the whole file is refused)."""
    stream = tags(content)
    out = []
    for tag in stream:
        if tag.name == b"table:table" and not tag.closing:
            name = next((unescape(v) for k, v in attributes(tag.attrs) if k == b"table:name"), None)
            extent, end = (Extent(), tag.end) if tag.empty else _table(stream, cell_chars)
            if name is not None:  # calamine reads no table without a name
                out.append(OdsTable(name, extent, tag, end))
    return out


def _count(raw: bytes | None) -> int:
    if raw is None:
        return 1
    try:
        value = int(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise Irregular("重复次数无效") from None
    if value < 0:
        raise Irregular("重复次数无效")
    return value


def _table(stream: Iterator[Tag], cell_chars: int) -> tuple[Extent, int]:
    rows = cols = cells = 0
    row = 0
    for tag in stream:
        if tag.name == b"table:table" and tag.closing:
            return Extent(rows, cols, cells), tag.end
        if tag.name != b"table:table-row" or tag.closing:
            continue
        repeat = _count(dict(attributes(tag.attrs)).get(b"table:number-rows-repeated"))
        width, valued = (0, 0) if tag.empty else _row(stream, cell_chars)
        if valued:
            rows, cols = row + repeat, max(cols, width)
            cells += valued * repeat
        row += repeat
    raise Irregular("表格未结束")


def _row(stream: Iterator[Tag], cell_chars: int) -> tuple[int, int]:
    """(columns up to the last valued cell, valued cells) of one row, repeats expanded."""
    col = width = valued = 0
    for tag in stream:
        if tag.name == b"table:table-row" and tag.closing:
            return width, valued
        if tag.name not in _CELLS or tag.closing:
            if not tag.closing and tag.name in (b"table:table-row", b"table:table"):
                raise Irregular("行内嵌套了行或表格")
            continue
        attrs = dict(attributes(tag.attrs))
        repeat = _count(attrs.get(b"table:number-columns-repeated"))
        has_value = any(key in attrs for key in _VALUES) or attrs.get(b"office:value-type") == b"string"
        if not tag.empty:
            _skip_cell(stream, tag, cell_chars)
        if has_value:
            col += repeat
            width, valued = col, valued + repeat
        else:
            col += repeat
    raise Irregular("行未结束")


def _skip_cell(stream: Iterator[Tag], opened: Tag, cell_chars: int) -> None:
    """Past the end of a cell, the blanks its ``text:s`` ask for counted against the cell limit."""
    depth, blanks = 1, 0
    for tag in stream:
        if tag.name == b"text:s" and not tag.closing:
            blanks += _count(dict(attributes(tag.attrs)).get(b"text:c"))
            if blanks > cell_chars:
                raise Irregular("单元格内的空格过多")
        elif tag.name in (b"table:table-row", b"table:table"):
            raise Irregular("单元格内嵌套了行或表格")
        if tag.name == opened.name:
            depth += -1 if tag.closing else (0 if tag.empty else 1)
            if depth == 0:
                return
    raise Irregular("单元格未结束")


def ods_package(content: bytes, refused: list[OdsTable]) -> bytes:
    """The package calamine reads: content.xml with each ``refused`` table emptied (its own
    opening tag kept, so its name and place stay)."""
    pieces, pos = [], 0
    for table in refused:
        opening = content[table.start.start:table.start.end]
        if table.start.empty:
            opening = opening[:-2].rstrip() + b">"
        pieces += [content[pos:table.start.start], opening, b"</table:table>"]
        pos = table.end
    pieces.append(content[pos:])
    return stored_zip([("mimetype", MIME), ("META-INF/manifest.xml", _MANIFEST), ("content.xml", b"".join(pieces))])
