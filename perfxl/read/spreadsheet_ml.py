"""SpreadsheetML 2003 (Excel's "XML 表格", exported by budget systems as .xls or .xml) read into
``Sheet`` grids: ``ss:Index`` gaps, ``ss:MergeAcross``/``ss:MergeDown``, ``ss:Type`` Number /
String / Boolean / DateTime, and the cells whose style's NumberFormat is a percent.

Hostile input: lxml parses without resolving entities, loading a DTD or touching the network,
within libxml2's default size limits; a document declaring a DTD (where entity bombs and external
entities live) is refused before it is parsed — Excel never writes one.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from lxml import etree

from ..errors import UnreadableWorkbook
from .limits import Limits
from .sheet import Merge, Sheet, attribute_count, from_cells, too_large
from .text_encoding import decode

_NS = "urn:schemas-microsoft-com:office:spreadsheet"
_SS = "{%s}" % _NS  # noqa: UP031  (a namespace prefix for lxml tags, not a message)
_DOCTYPE = (re.compile(rb"<!doctype", re.IGNORECASE), "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
_NAMED_PERCENT = ("percent",)
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)[\"'][^>]*\?>")
NOT_XML = "XML 表格文件已损坏或不完整，无法读取；请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"
HAS_DTD = "XML 表格文件含有文档类型声明（DTD），Excel 不会写出这样的文件，为安全起见未读取；请另存为 .xlsx 后重新提交"


def read_spreadsheet_ml(path: str, data: bytes, limits: Limits) -> list[Sheet]:
    """All worksheets of a SpreadsheetML 2003 document; UnreadableWorkbook when it is damaged
    or declares a DTD."""
    if _DOCTYPE[0].search(data[:1 << 16]) or any(mark in data[:1 << 17] for mark in _DOCTYPE[1:]):
        raise UnreadableWorkbook(path, HAS_DTD)
    # decoded here, not by libxml2: systems label GBK text "gb2312", which libxml2 takes literally
    head = data[:200].decode("latin-1")
    declared = m.group(1) if (m := _DECLARATION.match(head)) else None
    try:
        text = decode(data, declared)
    except UnicodeError as exc:
        raise UnreadableWorkbook(path, NOT_XML) from exc
    text = text.lstrip("\ufeff")
    if (m := _DECLARATION.match(text)) is not None:
        text = text[m.end():]
    reader = _Reader(path, limits)
    try:
        for event, el in etree.iterparse(io.BytesIO(text.encode("utf-8")), events=("start", "end"),
                                         resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                         remove_comments=True, remove_pis=True):
            reader.event(event, el)
    except etree.XMLSyntaxError as exc:
        raise UnreadableWorkbook(path, NOT_XML) from exc
    if not reader.sheets:
        raise UnreadableWorkbook(path, "XML 文件中没有工作表；请提交绩效表的 Excel 工作簿")
    return reader.sheets


class _Reader:
    """Collects styles, then one sheet per Worksheet, as lxml reports the elements."""

    def __init__(self, path: str, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.percent_styles: set[str] = set()
        self.sheets: list[Sheet] = []
        self.row, self.col, self.area = -1, -1, 0
        self._begin("")
        self.in_sheet = False

    def event(self, event: str, el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag.startswith(_SS):
            return
        tag = tag[len(_SS):]
        if event == "start":
            if tag == "Worksheet":
                self._begin(el.get(_SS + "Name") or f"Sheet{len(self.sheets) + 1}")
            elif tag == "Row" and self.in_sheet:
                index = attribute_count(el.get(_SS + "Index"), 0)
                self.row = index - 1 if index else self.row + 1
                self.col = -1
            return
        if tag == "Style":
            fmt = el.find(_SS + "NumberFormat")
            number_format = (fmt.get(_SS + "Format") or "") if fmt is not None else ""
            if "%" in number_format.replace("\\%", "") or number_format.lower() in _NAMED_PERCENT:
                self.percent_styles.add(el.get(_SS + "ID") or "")
            el.clear()
        elif tag == "Cell" and self.in_sheet:
            self._cell(el)
        elif tag == "Row" and self.in_sheet:
            self.row += attribute_count(el.get(_SS + "Span"), 0)
            el.clear()
            while el.getprevious() is not None:  # rows read are dropped: memory stays one row
                del el.getparent()[0]
        elif tag == "Worksheet":
            self._end()
            el.clear()

    def _begin(self, name: str) -> None:
        self.in_sheet, self.name = True, name
        self.cells: dict[tuple[int, int], Any] = {}
        self.merges: list[Merge] = []
        self.percent: set[tuple[int, int]] = set()
        self.row, self.col, self.area = -1, -1, 0

    def _cell(self, el: Any) -> None:
        index = attribute_count(el.get(_SS + "Index"), 0)
        col = index - 1 if index else self.col + 1
        across, down = attribute_count(el.get(_SS + "MergeAcross"), 0), attribute_count(el.get(_SS + "MergeDown"), 0)
        self.col = col + across
        if self.area > self.limits.cells:
            return
        if (self.row + down + 1) * (self.col + 1) > self.limits.cells:
            self.area = (self.row + down + 1) * (self.col + 1)
            return
        if (across or down) and len(self.merges) <= self.limits.merges:
            self.merges.append((self.row, col, self.row + down, col + across))
        data = el.find(_SS + "Data")
        if data is None:
            return
        value = _value(data)
        if value == "":
            return
        self.cells[(self.row, col)] = value
        if isinstance(value, float) and (el.get(_SS + "StyleID") or "") in self.percent_styles:
            self.percent.add((self.row, col))

    def _end(self) -> None:
        self.in_sheet = False
        if self.area > self.limits.cells:
            self.sheets.append(too_large(self.path, self.name, self.area, self.limits))
            return
        self.sheets.append(from_cells(self.path, self.name, self.cells, self.merges, self.percent, self.limits))


def _value(data: Any) -> Any:
    kind = data.get(_SS + "Type") or "String"
    text = "".join(data.itertext())
    if kind == "Number":
        try:
            return float(text)
        except ValueError:
            return text.strip()
    if kind == "Boolean":
        return text.strip() == "1"
    if kind == "DateTime":
        try:
            return dt.datetime.fromisoformat(text.strip())
        except ValueError:
            return text.strip()
    if kind == "Error":
        return ""
    return text.replace("\r\n", "\n")
