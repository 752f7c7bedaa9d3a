"""Cells whose stored value does not fit their type, rewritten as text.

Excel and WPS never write a boolean cell holding ``maybe`` or a number cell holding ``abc``, but
other programs do, and python-calamine refuses the whole workbook for one such cell. Before
giving up on a workbook, its sheets are read again with those cells turned into inline text,
and each is reported at its cell (``cell-value-invalid``)."""

from __future__ import annotations

import datetime as dt
import re

# a cell with content: its namespace prefix, attributes, content (a formula, the value …)
_CELL = re.compile(rb"<(?P<p>(?:[\w.-]+:)?)c(?P<attrs>(?:\s[^>]*?)?)(?<!/)>(?P<body>.*?)</(?P=p)c>", re.DOTALL)
_TYPE = re.compile(rb"""\st\s*=\s*["']([^"']*)["']""")
_REF = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_ERRORS = {b"#NULL!", b"#DIV/0!", b"#VALUE!", b"#REF!", b"#NAME?", b"#NUM!", b"#N/A", b"#GETTING_DATA"}
KINDS = {b"b": "布尔值（TRUE/FALSE）", b"n": "数字", b"e": "错误值", b"d": "日期"}


def typed_cells_as_text(xml: bytes) -> tuple[bytes, list[tuple[str | None, str, str]]]:
    """``xml`` with every cell whose value does not fit its type (``t``) made an inline string,
    and those cells: (reference or None, the value as stored, the kind it should have been)."""
    found: list[tuple[str | None, str, str]] = []

    def rewrite(match: re.Match[bytes]) -> bytes:
        p, attrs, body = match.group("p"), match.group("attrs"), match.group("body")
        typed = _TYPE.search(attrs)
        kind = typed.group(1) if typed else b"n"
        if kind not in KINDS:
            return match.group(0)
        value = re.search(rb"<" + re.escape(p) + rb"v>([^<]*)</" + re.escape(p) + rb"v>", body)
        if value is None or _fits(kind, value.group(1).strip()):
            return match.group(0)
        ref = _REF.search(attrs)
        found.append((ref.group(1).decode("utf-8", "replace") if ref else None,
                      value.group(1).decode("utf-8", "replace"), KINDS[kind]))
        plain = _TYPE.sub(b"", attrs)
        return (b"<" + p + b"c" + plain + b' t="inlineStr"><' + p + b"is><" + p + b"t>" + value.group(1)
                + b"</" + p + b"t></" + p + b"is></" + p + b"c>")

    return _CELL.sub(rewrite, xml), found


def _fits(kind: bytes, value: bytes) -> bool:
    if kind == b"b":
        return value.lower() in (b"0", b"1", b"true", b"false")
    if kind == b"e":
        return value in _ERRORS
    if kind == b"d":
        try:
            dt.datetime.fromisoformat(value.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return False
        return True
    try:
        float(value)
    except ValueError:
        return False
    return True
