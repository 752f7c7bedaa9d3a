"""Writing one summary workbook with xlsxwriter from the rows of its sheets (``SheetData``): real
Excel tables with filters, frozen headers, widths that fit Chinese text, number formats,
severity colours, print setup, charts, and staff text always written as text (never as a
live formula)."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import xlsxwriter

from ..cyclic_gc import paused
from ..model import Severity
from ..output_marks import PROPERTY, SUMMARY
from .sheet_rows import RowsWorksheet


@dataclass(frozen=True)
class Col:
    """One column of a summary sheet: its header, the kind of its values, its width."""

    header: str
    kind: str = "text"   # text | int | money | pct | num | datetime (an Excel serial) | link
    width: float | None = None


@dataclass(frozen=True)
class Chart:
    """A chart below a sheet's table: one series per listed row, over a range of columns."""

    title: str
    first_col: int
    last_col: int
    series: tuple[tuple[str, int], ...]  # (name, data row) of each line or set of columns
    at_row: int
    kind: str = "line"      # line | column
    percent: bool = True    # the values are shares (0–1), shown as per cent


@dataclass
class SheetData:
    """One sheet of a summary: columns, rows, links and formats by (row, column), a chart."""

    name: str
    cols: list[Col]
    rows: list[list[Any]]
    links: dict[tuple[int, int], str | None] = field(default_factory=dict)
    fmts: dict[int, dict[int, str]] = field(default_factory=dict)
    chart: Chart | None = None


class SummaryBook:
    """One summary workbook being written."""

    def __init__(self, path: Path, cells: int = 0, title: str | None = None) -> None:
        """``cells``: how many cells the book will hold; big books keep their sheets' XML in
        temporary files instead of memory. ``title``: the book's own name (it is written to a
        temporary file first)."""
        self.path = path
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                                  "in_memory": cells <= self.in_memory_cells})
        self.wb.set_properties({"title": title or path.stem, "author": "perfxl", "created": dt.datetime.now()})
        self.wb.set_custom_property(PROPERTY, SUMMARY)
        base = {"font_name": "宋体", "font_size": FONT_POINTS, "valign": "top"}
        self.fmt = {
            "text": self.wb.add_format({**base, "text_wrap": True}),
            "int": self.wb.add_format({**base, "num_format": "0"}),
            "money": self.wb.add_format({**base, "num_format": "#,##0.00"}),
            "pct": self.wb.add_format({**base, "num_format": "0.0%"}),
            "datetime": self.wb.add_format({**base, "num_format": "yyyy-mm-dd hh:mm:ss"}),
            "num": self.wb.add_format({**base, "num_format": "General"}),
            "link": self.wb.add_format({**base, "font_color": "#0563C1", "underline": 1}),
            "error": self.wb.add_format({**base, "bg_color": "#" + Severity.ERROR.fill,
                                         "font_color": "#9C0006"}),
            "warning": self.wb.add_format({**base, "bg_color": "#" + Severity.WARNING.fill,
                                           "font_color": "#9C5700"}),
            "info": self.wb.add_format({**base, "bg_color": "#" + Severity.INFO.fill}),
            "title": self.wb.add_format({"bold": True, "font_size": 12}),
            "header": self.wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1}),
        }

    # Excel's ceilings: data rows under the header row of one sheet, hyperlinks in one sheet
    max_rows = 1_048_575
    max_links = 65_530
    max_table_rows = 50_000
    in_memory_cells = 200_000

    def sheet(self, name: str, cols: Sequence[Col], rows: Sequence[Sequence[Any]],
              links: dict[tuple[int, int], str | None] | None = None,
              row_formats: dict[int, dict[int, str]] | None = None) -> Any:
        """A sheet holding one Excel table (header + rows), filters, frozen header, print setup.
        Rows past Excel's limit continue on “名称（2）”, “名称（3）” … instead of failing."""
        first = None
        for part, start in enumerate(range(0, max(len(rows), 1), self.max_rows)):
            title = name if part == 0 else f"{name}（{part + 1}）"
            ws = self._part(title, cols, rows[start:start + self.max_rows], start,
                            links or {}, row_formats or {})
            first = first if first is not None else ws
        return first

    def _part(self, name: str, cols: Sequence[Col], rows: Sequence[Sequence[Any]], offset: int,
              links: dict[tuple[int, int], str | None],
              row_formats: dict[int, dict[int, str]]) -> Any:
        ws = self.wb.add_worksheet(name, worksheet_class=RowsWorksheet)
        fmts = [self.fmt.get(c.kind, self.fmt["text"]) for c in cols]
        special = {k: {c: self.fmt[kind] for c, kind in row.items()} for k, row in row_formats.items()
                   if offset <= k < offset + len(rows)}
        ws.put_rows(1, rows, fmts, special, links, self.fmt["link"], key=offset, max_links=self.max_links)
        widths = _widths(cols, rows)
        for c, (col, width) in enumerate(zip(cols, widths, strict=True)):
            ws.set_column(c, c, width, self.fmt.get(col.kind))
        last = max(len(rows), 1)
        if last <= self.max_table_rows:
            ws.add_table(0, 0, last, len(cols) - 1, {
                "columns": [{"header": h} for h in table_headers(cols)], "style": "Table Style Light 9",
                "name": f"表{len(self.wb.worksheets())}", "autofilter": True})
        else:  # xlsxwriter tracks every cell of a table: past this size, header + filter only
            for c, header in enumerate(table_headers(cols)):
                ws.write_string(0, c, header, self.fmt["header"])
            ws.autofilter(0, 0, last, len(cols) - 1)
        ws.freeze_panes(1, 0)
        ws.set_landscape()
        across = pages_across(widths)
        ws.set_paper(9)
        ws.fit_to_pages(across, 0)
        if across > 1:
            ws.repeat_columns(0, 1)
        ws.repeat_rows(0)
        ws.set_header(f"&C&\"宋体,Bold\"{name}")
        ws.set_footer("&C第 &P 页，共 &N 页")
        return ws

    def chart(self, ws: Any, sheet: str, spec: Chart) -> None:
        """A chart of the rows named in ``spec.series``, below the table."""
        chart = self.wb.add_chart({"type": spec.kind})
        first, last = spec.first_col, spec.last_col
        for name, row in spec.series:
            series: dict[str, Any] = {"name": name, "categories": [sheet, 0, first, 0, last],
                                      "values": [sheet, row, first, row, last]}
            if spec.kind == "line":
                series["marker"] = {"type": "circle"}
            chart.add_series(series)
        chart.set_title({"name": spec.title})
        chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%"} if spec.percent else {"min": 0})
        chart.set_legend({"position": "bottom"})
        ws.insert_chart(spec.at_row, 1, chart, {"x_scale": 1.5, "y_scale": 1.2})

    def close(self) -> None:
        self.wb.close()


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def table_headers(cols: Sequence[Col]) -> list[str]:
    """Column names an Excel table accepts whatever staff typed (a spend-plan checkpoint is their
    text): no control characters, none empty, none alike ignoring case (Excel repairs the book
    otherwise)."""
    out: list[str] = []
    seen: set[str] = set()
    for col in cols:
        base = _CONTROL.sub(" ", col.header).strip() or "列"
        name, n = base, 2
        while name.casefold() in seen:
            name, n = f"{base}（{n}）", n + 1
        seen.add(name.casefold())
        out.append(name)
    return out


def _widths(cols: Sequence[Col], rows: Sequence[Sequence[Any]]) -> list[float]:
    """Column widths that fit the header and the text, judged on the first hundred rows
    (columns with a width of their own are not measured)."""
    sample = rows[:100]
    widths: list[float] = []
    for c, col in enumerate(cols):
        if col.width:
            widths.append(col.width)
            continue
        width = _approx_width(col.header) + 4
        values = {row[c] for row in sample if c < len(row) and row[c] is not None}
        for value in values:
            if type(value) is not str:
                width = max(width, 12)
            elif "\n" in value:
                width = max(width, max(_approx_width(x) for x in value.split("\n")) + 2)
            else:
                width = max(width, _approx_width(value) + 2)
        widths.append(min(max(width, 6), MAX_WIDTH))
    return widths


# Wrapped text columns stop at this width (the text wraps instead)
MAX_WIDTH = 40
FONT_POINTS = 10
# Printable width of A4 landscape in column-width units (default margins; 1 unit is about 1.85 mm
# at 10 pt): fitting a sheet onto its pages scales the font down, and below MIN_POINTS a printed
# page is not legible
A4_PRINTABLE = 141.0
MIN_POINTS = 8.0


def pages_across(widths: Sequence[float]) -> int:
    """How many A4 landscape pages across a sheet of these column widths prints on, so that its
    text stays at MIN_POINTS or more; past one page the first two columns repeat on each."""
    total, repeated = sum(widths), sum(widths[:2])
    across = 1
    while FONT_POINTS * A4_PRINTABLE * across / (total + repeated * (across - 1)) < MIN_POINTS and across < 4:
        across += 1
    return across


_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def excel_serial(iso: str) -> float | str:
    """An ISO date-time as the number Excel stores for it (days since 1899-12-30), so that it is a
    date cell that sorts and filters as one; text that is no date stays as it is."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return (moment.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400


def _approx_width(text: str) -> int:
    """Display width without a per-character loop: a CJK character is 3 bytes in UTF-8 and 2
    columns wide, an ASCII one 1 byte and 1 column."""
    n = len(text)
    return n + (len(text.encode("utf-8", "surrogatepass")) - n) // 2


@lru_cache(maxsize=65536)
def _relative(source: str, out_dir: str) -> str | None:
    try:
        return os.path.relpath(os.path.realpath(source), os.path.realpath(out_dir))
    except ValueError:  # another drive on Windows
        return None


# What a link's file path must have escaped: "#" would start the cell part, "%" would read as an
# escape, the rest Excel escapes itself (xlsxwriter escapes nothing in a path that holds an escape)
_PATH_ESCAPES = str.maketrans({c: f"%{ord(c):02x}" for c in '%# "<>[]^`{}'})


def source_link(out_dir: Path, source: str, sheet: str | None, cell: str | None) -> str | None:
    """An external link that opens the source workbook at the cell (relative to the summary)."""
    rel = _relative(source, os.fspath(out_dir))
    if rel is None:
        return None
    target = rel.replace(os.sep, "/").translate(_PATH_ESCAPES)
    if sheet and cell:
        target += "#'" + sheet.replace("'", "''") + "'!" + cell
    return None if len(target) > 2000 else "external:" + target


def write_book(path: Path, sheets: list[SheetData], title: str) -> str:
    """Write one summary book from its sheets' rows to ``path`` (a staged temporary file)."""
    with paused():
        book = SummaryBook(path, sum(len(d.rows) * len(d.cols) for d in sheets), title=title)
        for data in sheets:
            ws = book.sheet(data.name, data.cols, data.rows, data.links, data.fmts)
            if data.chart and len(data.rows) <= book.max_rows:
                book.chart(ws, data.name, data.chart)
        book.close()
    return str(path)
