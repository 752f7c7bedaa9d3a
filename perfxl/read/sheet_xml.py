"""What python-calamine does not tell about an .xlsx: which cells are shown as percentages and
which formulas carry no cached value, and how far out a sheet's values reach (python-calamine
allocates the whole rectangle, so one far cell could exhaust memory). Read straight from the zip."""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from ..a1 import from_a1
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
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_REL_ATTR = re.compile(rb'\b(Id|Target)="([^"]*)"')
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")
_SHEET_NAME = re.compile(rb'\sname="([^"]*)"')
_SHEET_RID = re.compile(rb'\s\w+:id="([^"]*)"')
_CELL_START = re.compile(rb"<(?:\w+:)?c\s")
_HAS_VALUE = re.compile(rb"\s*<(?:\w+:)?v>[^<]")
# Only a reference with a two-letter column or a five-digit row can make the area large; with
# letters and digits folded to A and 0 that is two plain substring searches.
_FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", b"A" * 26 + b"0" * 10)
_VALUE_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*?(/?)>')


@dataclass
class SheetMeta:
    """Per-sheet facts: percent-formatted cells and formulas without a cached value."""

    percent: set[tuple[int, int]] = field(default_factory=set)
    uncached: list[tuple[int, int]] = field(default_factory=list)
    area: int = 0  # cells spanned by values, computed only when some cell lies far out


# Files of one inbox mostly come from one template: their styles and workbook parts repeat.
_CACHE: dict[tuple[Any, ...], Any] = {}  # keyed by parts as stored (see Package.packed)


def _remember(key: tuple[Any, ...], value: Any) -> Any:
    if len(_CACHE) >= 512:
        _CACHE.clear()
    _CACHE[key] = value
    return value


def _percent_styles(pkg: Package) -> frozenset[int]:
    """Indexes of the cell formats (cellXfs) that show numbers as percentages."""
    if "xl/styles.xml" not in pkg:
        return frozenset()
    key = ("styles", pkg.limit, *pkg.packed("xl/styles.xml"))
    cached = _CACHE.get(key)
    if cached is not None:  # these very bytes were inflated (within this limit) and read before
        return cached
    raw = pkg.read("xl/styles.xml")
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


def _sheet_paths(pkg: Package) -> dict[str, str]:
    """Sheet name -> member path inside the zip."""
    if "xl/workbook.xml" not in pkg or "xl/_rels/workbook.xml.rels" not in pkg:
        return {}
    key = ("paths", pkg.limit, pkg.packed("xl/workbook.xml"), pkg.packed("xl/_rels/workbook.xml.rels"))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    return _remember(key, _parse_sheet_paths(pkg.read("xl/workbook.xml"),
                                             pkg.read("xl/_rels/workbook.xml.rels")))


def _parse_sheet_paths(book: bytes, rels: bytes) -> dict[str, str]:
    targets: dict[bytes, str] = {}
    for tag in _REL_TAG.finditer(rels):
        attrs = dict(_REL_ATTR.findall(tag.group(1)))
        if b"Id" in attrs:
            targets[attrs[b"Id"]] = html.unescape(attrs.get(b"Target", b"").decode("utf-8", "replace"))
    paths: dict[str, str] = {}
    for tag in _SHEET_TAG.finditer(book):
        name, rid = _SHEET_NAME.search(tag.group(1)), _SHEET_RID.search(tag.group(1))
        target = targets.get(rid.group(1)) if rid else None
        if not target or name is None:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
        paths[html.unescape(name.group(1).decode("utf-8", "replace"))] = path
    return paths


def read_meta(pkg: Package, slim: dict[str, bytes] | None = None) -> dict[str, SheetMeta]:
    """Facts about every sheet, by name: percent cells, uncached formulas and, when some cell
    lies far out, the used area its values span. Every sheet part (and the shared strings) is
    inflated here, through the size limit, before python-calamine is allowed near it.
    Sheets ending in many styled empty rows get a slimmed copy in ``slim`` (by part name)."""
    if "xl/sharedStrings.xml" in pkg:
        pkg.read("xl/sharedStrings.xml")
    percent_xfs = _percent_styles(pkg)
    styles = {str(i).encode() for i in percent_xfs}
    needles = [b' s="%s"' % style for style in styles]
    metas: dict[str, SheetMeta] = {}
    parts = [n for n in pkg.names() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    found: dict[str, SheetMeta] = {}
    for part in parts:
        data = pkg.read(part)
        if slim is not None and (lean := _without_empty_tail(data)) is not None:
            slim[part] = lean
        has_formula = b"<f" in data
        has_percent = any(needle in data for needle in needles)
        folded = data.translate(_FOLD)
        far = b'r="AA' in folded or b'r="A00000' in folded
        if not (has_formula or has_percent or far):
            continue
        found[part] = meta = SheetMeta()
        if far:
            meta.area = _value_area(data)
        if has_formula:
            _scan_cells(data, styles if has_percent else set(), True, meta)
        elif has_percent:
            meta.percent = _percent_cells(data, styles)
    if found:
        metas = {name: found[part] for name, part in _sheet_paths(pkg).items() if part in found}
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


def _ref(raw: bytes) -> tuple[int, int]:
    """A cell reference from the XML; (-1, -1) for one that is not a reference."""
    try:
        return from_a1(raw.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return -1, -1


def _value_area(data: bytes) -> int:
    """Rows x columns from A1 to the farthest cell holding something (what python-calamine
    would allocate for the sheet)."""
    rows = cols = 0
    for m in _VALUE_CELL.finditer(data):
        if m.group(3) == b"/":
            continue
        r, c = _ref(m.group(1) + m.group(2))
        rows, cols = max(rows, r + 1), max(cols, c + 1)
    return rows * cols


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
