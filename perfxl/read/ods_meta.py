"""What python-calamine does not give for an OpenDocument spreadsheet (.ods): the merged ranges
(``table:number-columns-spanned`` / ``number-rows-spanned``) and the cells of value type
``percentage``, read from its content.xml by lxml without entities, DTD or network."""

from __future__ import annotations

import io
from typing import Any

from lxml import etree

from .sheet import Merge, attribute_count

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELLS = (_TABLE + "table-cell", _TABLE + "covered-table-cell")
_MANY = 10_000  # a repeated run longer than this is empty filler, never a percent cell of a table


def ods_layout(content: bytes) -> dict[str, tuple[list[Merge], set[tuple[int, int]]]]:
    """Sheet name -> (merges, percent cells) from content.xml; raises etree.XMLSyntaxError."""
    out: dict[str, tuple[list[Merge], set[tuple[int, int]]]] = {}
    merges: list[Merge] = []
    percent: set[tuple[int, int]] = set()
    row = col = 0
    for event, el in etree.iterparse(io.BytesIO(content), events=("start", "end"), resolve_entities=False,
                                     no_network=True, load_dtd=False, huge_tree=False):
        tag = el.tag
        if event == "start":
            if tag == _TABLE + "table":
                merges, percent, row = [], set(), 0
                out[el.get(_TABLE + "name") or f"Sheet{len(out) + 1}"] = (merges, percent)
            elif tag == _TABLE + "table-row":
                col = 0
            continue
        if tag in _CELLS:
            repeat = attribute_count(el.get(_TABLE + "number-columns-repeated"), 1)
            across = attribute_count(el.get(_TABLE + "number-columns-spanned"), 1)
            down = attribute_count(el.get(_TABLE + "number-rows-spanned"), 1)
            if tag == _CELLS[0] and (across > 1 or down > 1):
                merges.append((row, col, row + down - 1, col + across - 1))
            if el.get(_OFFICE + "value-type") == "percentage" and repeat <= _MANY:
                percent.update((row, col + i) for i in range(repeat))
            col += repeat
            el.clear()
        elif tag == _TABLE + "table-row":
            row += attribute_count(el.get(_TABLE + "number-rows-repeated"), 1)
            _drop(el)
        elif tag == _TABLE + "table":
            _drop(el)
    return out


def _drop(el: Any) -> None:
    el.clear()
    while el.getprevious() is not None:
        del el.getparent()[0]
