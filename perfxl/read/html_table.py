"""HTML-table "xls" files (Excel's 网页 format, and the exports of budget systems named .xls) read
into ``Sheet`` grids: one sheet per outermost ``<table>``, ``rowspan``/``colspan`` laid out on a
real grid (cells pushed right past those a span from above occupies), numbers where the export
typed them (Excel's ``x:num``), percent cells from ``mso-number-format``, ``<br>`` as a line break.

Parsed with lxml's HTML parser, without network access and within libxml2's default size limits;
the used area, the merges and the cell text are bounded like any workbook's.
"""

from __future__ import annotations

import io
import re
from typing import Any

from lxml import etree

from ..errors import UnreadableWorkbook
from .limits import Limits
from .sheet import Merge, Sheet, from_cells, too_large
from .text_encoding import decode

_META_CHARSET = re.compile(r"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_SHEET_NAME = re.compile(r"<x:Name>\s*([^<]*?)\s*</x:Name>", re.IGNORECASE)
_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)
_CLASS_RULE = re.compile(r"\.([\w-]+)\s*\{([^}]*)\}")
_NUMBER_FORMAT = re.compile(r"mso-number-format\s*:\s*([^;]*)", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\n\f]+")
_BREAK = "\u2028"  # stands for <br> while the markup's own white space is collapsed
_MAX_COLSPAN, _MAX_ROWSPAN = 1000, 65534  # the ceilings browsers apply
_NOT_TEXT = ("style", "script", "head", "title")
NOT_HTML = "网页格式的表格无法读取（不是有效的 HTML 表格）；请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"


def read_html(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    """The tables of an HTML file as sheets; UnreadableWorkbook when it holds none."""
    head = data[:1 << 16].decode("latin-1")
    declared = m.group(1) if (m := _META_CHARSET.search(head)) else None
    try:
        text = decode(data, declared)
    except UnicodeError as exc:
        raise UnreadableWorkbook(path, NOT_HTML) from exc
    names = _SHEET_NAME.findall(text[:1 << 20])
    percent_classes = _percent_classes(text)
    builder = _Tables(path, limits, names, percent_classes)
    try:
        for event, el in etree.iterparse(io.BytesIO(text.encode("utf-8")), events=("start", "end"),
                                         html=True, encoding="utf-8", no_network=True, huge_tree=False,
                                         remove_comments=True, remove_pis=True):
            builder.event(event, el)
    except etree.XMLSyntaxError as exc:
        if not builder.sheets:
            raise UnreadableWorkbook(path, NOT_HTML) from exc
    if not builder.sheets:
        raise UnreadableWorkbook(path, "网页文件中没有表格；请提交绩效表的 Excel 工作簿")
    return builder.sheets


def _percent_classes(text: str) -> frozenset[str]:
    found = set()
    for block in _STYLE_BLOCK.findall(text[:1 << 22]):
        for name, body in _CLASS_RULE.findall(block):
            m = _NUMBER_FORMAT.search(body)
            if m and _is_percent(m.group(1)):
                found.add(name.lower())
    return frozenset(found)


def _is_percent(number_format: str) -> bool:
    return "%" in number_format.replace("\\%", "") or number_format.strip("\"' ").lower() == "percent"


class _Tables:
    """Builds a sheet from each outermost table as lxml reports its elements."""

    def __init__(self, path: str, limits: Limits, names: list[str], percent_classes: frozenset[str]) -> None:
        self.path, self.limits, self.names, self.percent_classes = path, limits, names, percent_classes
        self.sheets: list[Sheet] = []
        self.depth = 0  # tables open
        self._begin()

    def event(self, event: str, el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "table":
            if event == "start":
                self.depth += 1
                if self.depth == 1:
                    self._begin()
            else:
                self.depth -= 1
                if self.depth == 0:
                    self._end()
                    el.clear()
        elif self.depth == 1 and event == "end":
            if tag in ("td", "th"):
                self._cell(el)
            elif tag == "tr":
                self._row_end()
                el.clear()

    def _begin(self) -> None:
        self.cells: dict[tuple[int, int], Any] = {}
        self.merges: list[Merge] = []
        self.percent: set[tuple[int, int]] = set()
        self.spans: list[tuple[int, int, int]] = []  # last row, first col, last col taken from above
        self.row, self.col, self.width = 0, 0, 0
        self.area = 0  # set above the limit once the table is found too large

    def _cell(self, el: Any) -> None:
        if self.area > self.limits.cells:
            return
        taken = [(c1, c2) for last, c1, c2 in self.spans if last >= self.row]
        col = self.col
        moved = True
        while moved:
            moved = False
            for c1, c2 in taken:
                if c1 <= col <= c2:
                    col, moved = c2 + 1, True
        rowspan = _span(el.get("rowspan"), _MAX_ROWSPAN)
        colspan = _span(el.get("colspan"), _MAX_COLSPAN)
        self.col = col + colspan
        self.width = max(self.width, self.col)
        if (self.row + 1) * self.width > self.limits.cells:
            self.area = (self.row + 1) * self.width
            return
        value = self._value(el, (self.row, col))
        if value != "":
            self.cells[(self.row, col)] = value
        if (rowspan > 1 or colspan > 1) and len(self.merges) <= self.limits.merges:
            self.merges.append((self.row, col, self.row + rowspan - 1, col + colspan - 1))
            if rowspan > 1:
                self.spans.append((self.row + rowspan - 1, col, col + colspan - 1))

    def _value(self, el: Any, pos: tuple[int, int]) -> Any:
        text = _cell_text(el)
        if "x:num" in el.attrib:
            raw = el.get("x:num") or text
            try:
                number = float(raw.replace(",", ""))
            except ValueError:
                return text
            style = el.get("style") or ""
            m = _NUMBER_FORMAT.search(style)
            classes = (el.get("class") or "").lower().split()
            if (m and _is_percent(m.group(1))) or any(c in self.percent_classes for c in classes):
                self.percent.add(pos)
            return number
        return text

    def _row_end(self) -> None:
        self.row += 1
        self.col = 0
        self.spans = [s for s in self.spans if s[0] >= self.row]

    def _end(self) -> None:
        index = len(self.sheets)
        name = self.names[index] if index < len(self.names) and self.names[index] else f"Sheet{index + 1}"
        if self.area > self.limits.cells:
            self.sheets.append(too_large(self.path, name, self.area, self.limits))
            return
        height = max((r for r, _ in self.cells), default=-1) + 1
        last_row = max(height, self.row) - 1
        merges = [(r1, c1, min(r2, last_row), c2) for r1, c1, r2, c2 in self.merges if r1 <= last_row]
        self.sheets.append(from_cells(self.path, name, self.cells, [m for m in merges if m[0] != m[2] or m[1] != m[3]],
                                      self.percent, self.limits))


def _span(raw: str | None, ceiling: int) -> int:
    try:
        n = int(str(raw).strip())
    except ValueError:
        return 1
    return min(max(n, 1), ceiling)


def _cell_text(el: Any) -> str:
    """The cell's text as shown: markup white space collapsed, ``<br>`` a line break."""
    parts: list[str] = []
    stack: list[tuple[Any, bool]] = [(el, False)]
    while stack:  # iterative: a hostile page may nest deeply
        node, tail_only = stack.pop()
        if tail_only:
            if node.tail:
                parts.append(node.tail)
            continue
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag == "br":
            parts.append(_BREAK)
        elif tag not in _NOT_TEXT:
            if node.text:
                parts.append(node.text)
            for child in reversed(node):
                stack.append((child, True))
                stack.append((child, False))
    text = _SPACES.sub(" ", "".join(parts)).replace("\xa0", " ")
    return "\n".join(line.strip() for line in text.split(_BREAK)).strip()
