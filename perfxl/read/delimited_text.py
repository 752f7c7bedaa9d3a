"""CSV exports (GBK, GB18030, UTF-8 with or without a byte-order mark; comma, tab or semicolon)
read into one ``Sheet``: every value is text, as the file holds it (CSV types nothing), and there
are no merges; Excel's ``="0123"`` guard against dropped zeros is undone."""

from __future__ import annotations

import csv
import io
import os
from typing import Any

from ..errors import UnreadableWorkbook
from .limits import Limits
from .sheet import Sheet, bounded, too_large
from .text_encoding import decode

NOT_TABLE = ("文件内容不是 Excel 工作簿（既不是 xlsx 也不是 xls），也不是逗号分隔的表格（CSV）；"
             "请用 Excel 或 WPS 另存为 .xlsx 后重新提交")
_DELIMITERS = ",\t;|"


def read_csv(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    """The one sheet of a CSV file, named after the file as Excel does; UnreadableWorkbook when
    the bytes are no delimited text."""
    try:
        text = decode(data)
    except UnicodeError as exc:
        raise UnreadableWorkbook(path, NOT_TABLE) from exc
    if "\x00" in text:
        raise UnreadableWorkbook(path, NOT_TABLE)
    delimiter = _delimiter(text)
    if delimiter is None:
        raise UnreadableWorkbook(path, NOT_TABLE)
    name = os.path.splitext(os.path.basename(path))[0][:31] or "Sheet1"
    rows: list[list[Any]] = []
    width = 0
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append([_unguarded(v) for v in record])
            width = max(width, len(record))
            if len(rows) * width > limits.cells:
                return [too_large(path, name, len(rows) * width, limits)]
    except csv.Error as exc:  # a field beyond the csv module's own limit, or a NUL
        raise UnreadableWorkbook(path, f"CSV 文件无法读取（{exc}）；请用 Excel 或 WPS 另存为 .xlsx 后重新提交") from exc
    while rows and not any(rows[-1]):
        rows.pop()
    return [bounded(Sheet(name, rows), path, limits)]


def _delimiter(text: str) -> str | None:
    """The delimiter most lines of the first ones agree on, or None when it is not a table."""
    lines = [line for line in text[:1 << 16].splitlines()[:50] if line.strip()]
    best, best_lines = None, 0
    for d in _DELIMITERS:
        n = sum(1 for line in lines if d in line)
        if n > best_lines:
            best, best_lines = d, n
    return best if best_lines * 2 >= len(lines) and best_lines else None


def _unguarded(value: str) -> str:
    if value.startswith('="') and value.endswith('"') and len(value) >= 3:
        return value[2:-1].replace('""', '"')
    return value
