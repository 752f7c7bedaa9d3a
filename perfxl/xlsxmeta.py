"""What python-calamine does not tell about an .xlsx: which cells are shown as percentages and
which formulas carry no cached value. Read straight from the zip, and only when needed."""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from .a1 import from_a1

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_BUILTIN_PERCENT = {9, 10}
_CELL = re.compile(rb"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)
_ATTR = re.compile(rb'\b(r|s|t)="([^"]*)"')
_VALUE = re.compile(rb"<v>[^<]")  # a non-empty cached value; openpyxl writes <v />
_QUOTED = re.compile(r'"[^"]*"|\\.')


@dataclass
class SheetMeta:
    """Per-sheet facts: percent-formatted cells and formulas without a cached value."""

    percent: set[tuple[int, int]] = field(default_factory=set)
    uncached: list[tuple[int, int]] = field(default_factory=list)


def _percent_styles(zf: zipfile.ZipFile) -> set[int]:
    try:
        root = ET.fromstring(zf.read("xl/styles.xml"))
    except (KeyError, ET.ParseError):
        return set()
    custom: dict[int, str] = {}
    numfmts = root.find(f"{_NS_MAIN}numFmts")
    if numfmts is not None:
        for fmt in numfmts:
            try:
                custom[int(fmt.get("numFmtId", "-1"))] = fmt.get("formatCode", "")
            except ValueError:
                continue
    xfs = root.find(f"{_NS_MAIN}cellXfs")
    found: set[int] = set()
    if xfs is None:
        return found
    for index, xf in enumerate(xfs):
        try:
            fmt_id = int(xf.get("numFmtId", "0"))
        except ValueError:
            continue
        code = _QUOTED.sub("", custom.get(fmt_id, ""))
        if fmt_id in _BUILTIN_PERCENT or "%" in code:
            found.add(index)
    return found


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> member path inside the zip."""
    try:
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    paths: dict[str, str] = {}
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"))
        if not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
        paths[sheet.get("name", "")] = path
    return paths


def read_meta(path: str, sheet_names: list[str]) -> dict[str, SheetMeta]:
    """Percent cells and uncached formulas for each named sheet (empty metas when unknown)."""
    metas = {name: SheetMeta() for name in sheet_names}
    with zipfile.ZipFile(path) as zf:
        percent_xfs = _percent_styles(zf)
        styles = {str(i).encode() for i in percent_xfs}
        for name, member in _sheet_paths(zf).items():
            if name not in metas:
                continue
            try:
                data = zf.read(member)
            except KeyError:
                continue
            has_formula = b"<f" in data
            if not styles and not has_formula:
                continue
            _scan_cells(data, styles, has_formula, metas[name])
    return metas


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
            meta.percent.add(from_a1(ref.decode()))
        if has_formula and b"<f" in body and not has_value:
            meta.uncached.append(from_a1(ref.decode()))
