"""What python-calamine does not tell about an .xlsx: which cells are shown as percentages and
which formulas carry no cached value, and how far out a sheet's values reach (``cell_extent``:
python-calamine allocates the whole rectangle, so one far cell could exhaust memory). Read
straight from the zip, every part through its size limits."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from ..a1 import from_a1
from .book_parts import BookParts
from .cell_extent import Extent, sheet_extent
from .zip_parts import Package

_BUILTIN_PERCENT = {9, 10}
_CELL = re.compile(rb"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)
_ATTR = re.compile(rb'\b(r|s|t)="([^"]*)"')
_REF_ATTR = re.compile(rb'\sr="([^"]*)"')
_TYPE_ATTR = re.compile(rb'\st="([^"]*)"')
_VALUE = re.compile(rb"<v>[^<]")  # a non-empty cached value; openpyxl writes <v />
_QUOTED = re.compile(r'"[^"]*"|\\.')
_NUMFMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_CELLXFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")
_FMT_ID = re.compile(rb'\bnumFmtId="(\d+)"')
_CELL_START = re.compile(rb"<(?:\w+:)?c\s")
_HAS_VALUE = re.compile(rb"\s*<(?:\w+:)?v>[^<]")


@dataclass
class SheetMeta:
    """Per-sheet facts: the XML to hand on, its extent, percent-formatted cells and formulas
    without a cached value."""

    xml: bytes = b""
    extent: Extent = field(default_factory=Extent)
    percent: set[tuple[int, int]] = field(default_factory=set)
    uncached: list[tuple[int, int]] = field(default_factory=list)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # cells showing #N/A, #DIV/0! …


# Files of one inbox mostly come from one template: their styles and workbook parts repeat.
_CACHE: dict[tuple[Any, ...], Any] = {}  # keyed by parts as stored (see Package.packed)


def _remember(key: tuple[Any, ...], value: Any) -> Any:
    if len(_CACHE) >= 512:
        _CACHE.clear()
    _CACHE[key] = value
    return value


def _percent_styles(pkg: Package, member: str | None, raw: bytes | None) -> frozenset[int]:
    """Indexes of the cell formats (cellXfs) that show numbers as percentages."""
    if member is None or raw is None:
        return frozenset()
    key = ("styles", pkg.limit, *pkg.packed(member))
    cached = _CACHE.get(key)
    if cached is not None:  # these very bytes were read before
        return cached
    if b"%" not in raw and b'numFmtId="9"' not in raw and b'numFmtId="10"' not in raw:
        return _remember(key, frozenset())
    return _remember(key, frozenset(_scan_styles(raw)))


def _scan_styles(raw: bytes) -> set[int]:
    custom = {int(m.group(1)): html.unescape(m.group(2).decode("utf-8", "replace"))
              for m in _NUMFMT.finditer(raw)}
    xfs = _CELLXFS.search(raw)
    found: set[int] = set()
    if xfs is None:
        return found
    for index, m in enumerate(_XF.finditer(xfs.group(1))):
        fmt = _FMT_ID.search(m.group(1))
        fmt_id = int(fmt.group(1)) if fmt else 0
        if fmt_id in _BUILTIN_PERCENT or "%" in _QUOTED.sub("", custom.get(fmt_id, "")):
            found.add(index)
    return found


def read_meta(pkg: Package, parts: BookParts, styles: bytes | None, cell_limit: int | None = None) -> list[SheetMeta]:
    """Facts about every worksheet of ``parts``, in order: the XML python-calamine is to get
    (inflated here, through the size limits; sheets ending in many styled empty rows slimmed),
    its extent as calamine will read it, percent cells and uncached formulas."""
    percent_xfs = _percent_styles(pkg, parts.styles, styles)
    styles_ids = {str(i).encode() for i in percent_xfs}
    needles = [b' s="%s"' % style for style in styles_ids]
    metas = []
    for _, member in parts.sheets:
        data = pkg.read(member)
        data = squeezed(data)
        data = _without_empty_tail(data) or data
        meta = SheetMeta(xml=data, extent=sheet_extent(data, cell_limit))
        metas.append(meta)
        if meta.extent.irregular is not None:
            continue
        if b't="e"' in data or b"t='e'" in data:
            meta.errors = _error_cells(data)
        has_formula = b"<f" in data
        has_percent = any(needle in data for needle in needles)
        if has_formula:
            _scan_cells(data, styles_ids if has_percent else set(), True, meta)
        elif has_percent:
            meta.percent = _percent_cells(data, styles_ids)
    return metas


def _without_empty_tail(data: bytes) -> bytes | None:
    """The sheet without the rows after its last value, when those (styled, empty rows down to
    row 1000 and beyond) are most of it: python-calamine would spend most of its time on them."""
    if len(data) < 65536:
        return None
    end = data.rfind(b"</sheetData>")
    if end == -1:
        return None
    last = max(data.rfind(b"<v>", 0, end), data.rfind(b"<is>", 0, end), data.rfind(b"<f", 0, end))
    cut = data.find(b"</row>", last) + len(b"</row>") if last != -1 else -1
    if cut < len(b"</row>") or end - cut < len(data) // 2:
        return None
    return data[:cut] + data[end:]


_BLANK = b" \t\r\n"
_RUN = rb"[ \t\r\n]{64,}+"
# a long run of blanks: between two tags (unless it is all the text of a t, v or f element),
# after a tag's name, or after an attribute's value
_BETWEEN_TAGS = re.compile(rb">" + _RUN + rb"(?=<(?!/(?:[\w.-]+:)?[tvf][ \t\r\n]*>))")
_AFTER_NAME = re.compile(rb"(<[\w.:-]++)" + _RUN)
_AFTER_VALUE = re.compile(rb"""(=[ \t\r\n]*+(?:"[^"<>]*+"|'[^'<>]*+'))""" + _RUN
                          + rb"(?=[\w.:-]+[ \t\r\n]*=|/?>)")


def squeezed(data: bytes) -> bytes:
    """The sheet without long runs of blanks where XML gives them no meaning (between tags,
    between a tag's attributes): megabytes of them (a hostile or broken file) would otherwise be
    walked by every scan here and by python-calamine. A cell's own text of blanks is kept."""
    if len(data) < 65536:
        return data
    blanks = len(data) - len(data.translate(None, _BLANK))
    if blanks < len(data) // 4:
        return data  # an ordinary sheet, perhaps indented: nothing worth a pass
    data = _BETWEEN_TAGS.sub(b">", data)
    data = _AFTER_NAME.sub(rb"\1 ", data)
    return _AFTER_VALUE.sub(rb"\1 ", data)


def _ref(raw: bytes) -> tuple[int, int]:
    """A cell reference from the XML; (-1, -1) for one that is not a reference."""
    try:
        return from_a1(raw.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return -1, -1


def _percent_cells(data: bytes, styles: set[bytes]) -> set[tuple[int, int]]:
    """Numeric cells with a value and a percent style, found by searching for the style
    attribute itself rather than parsing every cell."""
    found: set[tuple[int, int]] = set()
    for style in styles:
        needle = b' s="%s"' % style
        pos = data.find(needle)
        while pos != -1:
            start, end = data.rfind(b"<", 0, pos), data.find(b">", pos)
            if start != -1 and end != -1 and _CELL_START.match(data, start) \
                    and data[end - 1] != 0x2F and _HAS_VALUE.match(data, end + 1):  # 0x2F: "/>"
                tag = data[start:end]
                ref, kind = _REF_ATTR.search(tag), _TYPE_ATTR.search(tag)
                if ref is not None and (kind is None or kind.group(1) == b"n"):
                    found.add(_ref(ref.group(1)))  # (-1, -1) for a broken reference: harmless
            pos = data.find(needle, pos + 1)
    return found


_ERROR_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]{1,20})</(?:\w+:)?v>")


def _error_cells(data: bytes) -> dict[tuple[int, int], str]:
    """Cells whose cached value is an error (t="e": #N/A, #DIV/0!, #VALUE! …), which
    python-calamine gives as blanks."""
    found: dict[tuple[int, int], str] = {}
    for match in _CELL.finditer(data):
        attrs = dict(_ATTR.findall(match.group(1).replace(b"'", b'"')))
        ref = attrs.get(b"r")
        if ref is None or attrs.get(b"t") != b"e":
            continue
        value = _ERROR_VALUE.search(match.group(3) or b"")
        at = _ref(ref)
        if value is not None and at[0] >= 0:
            found[at] = value.group(1).decode("utf-8", "replace")
    return found


def _scan_cells(data: bytes, styles: set[bytes], has_formula: bool, meta: SheetMeta) -> None:
    for match in _CELL.finditer(data):
        attrs = dict(_ATTR.findall(match.group(1)))
        ref = attrs.get(b"r")
        if ref is None:
            continue
        body = match.group(3) or b""
        numeric = attrs.get(b"t", b"n") == b"n"
        has_value = _VALUE.search(body) is not None
        if numeric and attrs.get(b"s") in styles and has_value:
            meta.percent.add(_ref(ref))
        if has_formula and b"<f" in body and not has_value and _ref(ref)[0] >= 0:
            meta.uncached.append(_ref(ref))
