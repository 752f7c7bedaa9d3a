"""What a file holds, judged from its first bytes rather than its name: government budget
systems export HTML tables, SpreadsheetML 2003 XML and CSV under the name ".xls"."""

from __future__ import annotations

import os
import re

from .safe_open import open_file
from .text_encoding import bom_encoding

ZIP, OLE, SPREADSHEET_ML, HTML, TEXT = "zip", "ole", "spreadsheet-ml", "html", "text"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEAD = 1 << 16  # markup is looked for this far in: Excel's HTML puts long style blocks first
SPREADSHEET_NS = "urn:schemas-microsoft-com:office:spreadsheet"
_WORKBOOK = re.compile(r"<(?:\w+:)?workbook\b")
_HTML = re.compile(r"<(?:html|table)\b|<!doctype\s+html")
_TABLE = re.compile(r"<table\b|urn:schemas-microsoft-com:office:excel")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f]")


def head_text(data: bytes) -> str:
    """The first bytes as lower-case text, markup readable whatever the encoding: UTF-16 by its
    mark, anything ASCII-compatible (UTF-8, GBK, GB18030) byte for byte."""
    head = data[:HEAD]
    bom = bom_encoding(head)
    if bom in ("utf-16", "utf-32"):
        text = head.decode(bom, "replace")
    else:
        text = head.decode("latin-1")
    return text.lower().lstrip("\ufeff\xef\xbb\xbf \t\r\n")


def sniff(data: bytes) -> str | None:
    """ZIP (xlsx, xlsm, ods, xlsb), OLE (xls, et), SPREADSHEET_ML, HTML, TEXT (perhaps CSV) or
    None for anything else (binary)."""
    if data.startswith(b"PK"):
        return ZIP
    if data.startswith(OLE_MAGIC):
        return OLE
    text = head_text(data)
    if text.startswith("<"):
        if SPREADSHEET_NS in text and (m := _WORKBOOK.search(text)) and not _HTML.search(text, 0, m.start()):
            return SPREADSHEET_ML
        if _HTML.search(text):
            return HTML
        return None  # other XML: not a table
    if bom_encoding(data) in ("utf-16", "utf-32") or not _CONTROL.search(text):
        return TEXT
    return None


def is_spreadsheet_text(path: str | os.PathLike[str]) -> bool:
    """True when a .xml / .htm / .html file holds a SpreadsheetML workbook or an HTML table
    (a stray .xml or web page in the inbox is not blamed on the unit)."""
    try:
        # no link followed, no wait on a pipe swapped in since the scan (see workbook.read_bytes)
        with open(open_file(os.fspath(path)), "rb") as fh:
            data = fh.read(HEAD)
    except OSError:
        return True  # read it, so the reason it cannot be opened is reported
    kind = sniff(data)
    return kind == SPREADSHEET_ML or (kind == HTML and _TABLE.search(head_text(data)) is not None)
