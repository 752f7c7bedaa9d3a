"""Which zip members make up an .xlsx, found the way the format defines them rather than by
their usual names: the workbook from the package relationships (``_rels/.rels``), its worksheets,
shared strings and styles from the workbook's own relationships, wherever they sit and however
their names are cased or percent-encoded."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from .xml_tokens import attributes, tags
from .zip_parts import Package

_ENTITY = re.compile(rb"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));")
_NAMED = {b"amp": "&", b"lt": "<", b"gt": ">", b"quot": '"', b"apos": "'"}


@dataclass
class BookParts:
    """The members python-calamine needs, by their real names in the zip."""

    workbook: str
    sheets: list[tuple[str, str]] = field(default_factory=list)  # (sheet name, member), in order
    shared_strings: str | None = None
    styles: str | None = None
    date1904: bool = False


def office_document(pkg: Package) -> str | None:
    """The member the package relationships name as the main document (the workbook part),
    or, without relationships, ``xl/workbook.xml`` / ``xl/workbook.bin`` when present."""
    rels = pkg.find("_rels/.rels")
    if rels is not None:
        for _, kind, target in _relationships(pkg.read(rels)):
            if kind.endswith("/officeDocument"):
                found = _member(pkg, "", target)
                if found is not None:
                    return found
    return pkg.find("xl/workbook.xml") or pkg.find("xl/workbook.bin")


# Files of one inbox mostly come from one template: their workbook parts repeat, byte for byte.
_CACHE: dict[tuple[object, ...], BookParts] = {}


def book_parts(pkg: Package, workbook: str) -> BookParts:
    """The worksheets (chart and dialog sheets left out: they hold no cells), shared strings and
    styles of ``workbook``; KeyError for a sheet whose part is missing, Irregular for XML that
    cannot be read."""
    folder = posixpath.dirname(workbook)
    rels_name = pkg.find(posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels"))
    # the same stored bytes under the same names and limit were inflated and read before
    key = (pkg.limit, workbook, rels_name, pkg.packed(workbook), rels_name and pkg.packed(rels_name),
           tuple(pkg.names()))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    if len(_CACHE) >= 256:
        _CACHE.clear()
    _CACHE[key] = parts = _book_parts(pkg, workbook, folder, rels_name)
    return parts


def _book_parts(pkg: Package, workbook: str, folder: str, rels_name: str | None) -> BookParts:
    rels = _relationships(pkg.read(rels_name)) if rels_name is not None else []
    by_id = {rid: (kind, target) for rid, kind, target in rels}
    parts = BookParts(workbook)
    for kind, target in by_id.values():
        if kind.endswith("/sharedStrings") and parts.shared_strings is None:
            parts.shared_strings = _member(pkg, folder, target)
        elif kind.endswith("/styles") and parts.styles is None:
            parts.styles = _member(pkg, folder, target)
    # calamine looks beside the workbook when no relationship names them
    parts.shared_strings = parts.shared_strings or pkg.find(posixpath.join(folder, "sharedStrings.xml"))
    parts.styles = parts.styles or pkg.find(posixpath.join(folder, "styles.xml"))
    for tag in tags(pkg.read(workbook)):
        if tag.closing:
            continue
        if tag.local == b"workbookPr":
            flag = dict(attributes(tag.attrs)).get(b"date1904")
            parts.date1904 = flag in (b"1", b"true")
        elif tag.local == b"sheet":
            name, rid = None, None
            for key, value in attributes(tag.attrs):
                if key == b"name":
                    name = unescape(value)
                elif key == b"id" or key.endswith(b":id"):
                    rid = unescape(value)
            kind, target = by_id.get(rid or "", ("", ""))
            if name is None or not kind.endswith("/worksheet"):
                continue
            member = _member(pkg, folder, target)
            if member is None:
                raise KeyError(target)
            parts.sheets.append((name, member))
    return parts


def unescape(raw: bytes) -> str:
    """An attribute value as XML reads it (the five named entities and character references)."""
    def one(m: re.Match[bytes]) -> str:
        if m.group(3):
            return _NAMED[m.group(3)]
        code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        return chr(code) if 0 < code < 0x110000 else m.group(0).decode("ascii")

    text = raw.decode("utf-8", "replace")
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda m: one(m).encode("utf-8"), raw).decode("utf-8", "replace")


def _relationships(data: bytes) -> list[tuple[str, str, str]]:
    """(Id, Type, Target) of every internal relationship."""
    found = []
    for tag in tags(data):
        if tag.closing or tag.local != b"Relationship":
            continue
        attrs = dict(attributes(tag.attrs))
        if attrs.get(b"TargetMode", b"").lower() == b"external":
            continue
        found.append((unescape(attrs.get(b"Id", b"")), unescape(attrs.get(b"Type", b"")),
                      unescape(attrs.get(b"Target", b""))))
    return found


def _member(pkg: Package, folder: str, target: str) -> str | None:
    """The member a relationship target names: absolute (``/xl/...``) or relative to the
    source part's folder, ``..`` resolved, percent-encoding tried both ways."""
    if not target:
        return None
    path = target.split("#", 1)[0]
    path = path.lstrip("/") if path.startswith("/") else posixpath.join(folder, path)
    path = posixpath.normpath(path)
    if path.startswith(".."):
        return None
    return pkg.find(path) or pkg.find(unquote(path))

