"""Reading the mark perfxl leaves in the workbooks it writes (``perfxl.output_marks``) from the
bytes of a workbook, without parsing anything else of it."""

from __future__ import annotations

import io
import re
import zipfile

from ..output_marks import PROPERTY

_CUSTOM = "docProps/custom.xml"
_MAX_BYTES = 1 << 20  # a real custom-properties part is a few hundred bytes


def _value(name: str) -> re.Pattern[bytes]:
    # openpyxl declares the vt namespace on the value element itself when lxml is installed
    return re.compile(rb'name="' + re.escape(name.encode()) + rb'"[^>]*>\s*<vt:lpwstr\b[^>]*>([a-z]{1,20})</vt:lpwstr>')


def output_mark(data: bytes, name: str = PROPERTY) -> str | None:
    """What perfxl wrote this workbook as (``SUMMARY`` …), or None for any other workbook;
    ``name``: another of perfxl's properties (``SCOPE_PROPERTY``)."""
    if not data.startswith(b"PK") or _CUSTOM.encode() not in data:  # most workbooks: no second zip parse
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo(_CUSTOM)
            if info.file_size > _MAX_BYTES:
                return None
            xml = zf.read(info)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None
    found = _value(name).search(xml)
    return found.group(1).decode() if found else None
