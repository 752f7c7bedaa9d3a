"""The fresh package python-calamine is given in place of a submitted .xlsx: only the parts
perfxl inflated and checked, under the names calamine looks for, with a workbook and
relationships written here (so nothing calamine reads comes unchecked from the file)."""

from __future__ import annotations

from .xml_tokens import tags
from .zip_parts import stored_zip

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EMPTY_SHEET = (_HEAD + f'<worksheet xmlns="{_MAIN}"><sheetData/></worksheet>').encode()


def canonical_package(sheets: list[tuple[str, bytes | None]], shared_strings: bytes | None,
                      styles: bytes | None, date1904: bool) -> bytes:
    """A zip of the workbook with ``sheets`` (name, XML; None for a sheet refused, which gets
    an empty stand-in so the order and names stay), the shared strings and the styles."""
    rels, entries, types = [], [], []
    parts: list[tuple[str, bytes]] = []
    for i, (name, xml) in enumerate(sheets, 1):
        rels.append(f'<Relationship Id="rId{i}" Type="{_DOC}/worksheet" Target="worksheets/sheet{i}.xml"/>')
        entries.append(f'<sheet name="{_attribute(name)}" sheetId="{i}" r:id="rId{i}"/>')
        types.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>')
        parts.append((f"xl/worksheets/sheet{i}.xml", _EMPTY_SHEET if xml is None else xml))
    n = len(sheets)
    if shared_strings is not None:
        rels.append(f'<Relationship Id="rId{n + 1}" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/>')
        types.append(f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>')
        parts.append(("xl/sharedStrings.xml", without_reservation(shared_strings)))
    if styles is not None:
        rels.append(f'<Relationship Id="rId{n + 2}" Type="{_DOC}/styles" Target="styles.xml"/>')
        types.append(f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>')
        parts.append(("xl/styles.xml", styles))
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    book = f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}">{pr}<sheets>{"".join(entries)}</sheets></workbook>'
    head = [
        ("[Content_Types].xml", _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
         'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
         f'relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
         + "".join(types) + "</Types>"),
        ("_rels/.rels", _HEAD + f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
         f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        ("xl/workbook.xml", _HEAD + book),
        ("xl/_rels/workbook.xml.rels", _HEAD + f'<Relationships xmlns="{_RELS}">{"".join(rels)}</Relationships>'),
    ]
    return stored_zip([(name, text.encode("utf-8")) for name, text in head] + parts)


def without_reservation(shared_strings: bytes) -> bytes:
    """The shared strings with their ``<sst>`` tag stripped of its attributes: calamine
    reserves room for ``uniqueCount`` strings up front, so a lying count would exhaust memory."""
    for tag in tags(shared_strings):
        if tag.local == b"sst" and not tag.closing:
            if not tag.attrs.strip():
                return shared_strings
            name = shared_strings[tag.start + 1:tag.start + 1 + len(tag.name)]
            close = b"/>" if tag.empty else b">"
            return shared_strings[:tag.start] + b"<" + name + close + shared_strings[tag.end:]
    return shared_strings


def _attribute(text: str) -> str:
    """``text`` escaped for a double-quoted XML attribute (xml.sax.saxutils would import urllib
    and its network stack for this)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))
