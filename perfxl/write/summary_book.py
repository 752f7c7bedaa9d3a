"""Writing one summary workbook with xlsxwriter from the rows of its sheets (``SheetData``): real
Excel tables with filters, frozen headers, widths that fit Chinese text, number formats,
severity colours, print setup, charts, and staff text always written as text (never as a
live formula)."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import xlsxwriter

from ..cyclic_gc import paused
from ..model import Severity
from ..output_marks import ALL_SCOPE, PROPERTY, SCOPE_PROPERTY, SUMMARY
from .sheet_rows import RowsWorksheet


@dataclass(frozen=True)
class Col:
    """One column of a summary sheet: its header, the kind of its values, its width."""

    header: str
    kind: str = "text"   # text | int | money | pct | num | datetime (an Excel serial) | link
    width: float | None = None


Area = tuple[int, int, int, int]  # first row, first col, last row, last col (0-based, inclusive)


@dataclass(frozen=True)
class Series:
    """One line or set of columns of a chart: the cell holding its name, the cells of its values.
    The name is read from its cell (never given as text, which Excel could take for a reference)."""

    name: tuple[int, int]
    values: Area


@dataclass(frozen=True)
class Chart:
    """A chart below a sheet's rows, of cells that sorting the sheet's table moves together with
    their names (series of a table's columns) or cannot move (rows below the table)."""

    title: str
    categories: Area
    series: tuple[Series, ...]
    kind: str = "line"      # line | column | stacked (columns)
    percent: bool = True    # the values are shares (0–1), shown as per cent


@dataclass
class SheetData:
    """One sheet of a summary: columns, rows, links and formats by (row, column), a chart."""

    name: str
    cols: list[Col]
    rows: list[list[Any]]
    links: dict[tuple[int, int], str | None] = field(default_factory=dict)
    fmts: dict[int, dict[int, str]] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    totals: dict[int, float | None] = field(default_factory=dict)  # col -> its 合计, in a row under the table
    below: list[list[Any]] = field(default_factory=list)  # rows after the table, out of its sorting
    scales: dict[int, bool] = field(default_factory=dict)  # col -> colour scale; True: high is bad

    @property
    def below_at(self) -> int:
        """The sheet row of the first row below the table (a blank row between)."""
        return len(self.rows) + (2 if self.totals else 1) + 1


class SummaryBook:
    """One summary workbook being written."""

    def __init__(self, path: Path, cells: int = 0, title: str | None = None, unit: str = "",
                 run_date: str = "", whole: bool = False) -> None:
        """``whole``: the 全部单位 book (marked so, for a higher level to read it as a roll-up).
        ``cells``: how many cells the book will hold; big books keep their sheets' XML in
        temporary files instead of memory. ``title``: the book's own name (it is written to a
        temporary file first). ``unit`` and ``run_date`` head every printed page."""
        self.path = path
        self.unit, self.run_date = unit, run_date
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                                  "in_memory": cells <= self.in_memory_cells})
        self.wb.set_properties({"title": title or path.stem, "author": "perfxl", "created": dt.datetime.now()})
        self.wb.set_custom_property(PROPERTY, SUMMARY)
        if whole:
            self.wb.set_custom_property(SCOPE_PROPERTY, ALL_SCOPE)
        base = {"font_name": "宋体", "font_size": FONT_POINTS, "valign": "top"}
        self.fmt = {
            "text": self.wb.add_format({**base, "text_wrap": True}),
            "int": self.wb.add_format({**base, "num_format": "0"}),
            "money": self.wb.add_format({**base, "num_format": "#,##0.00"}),
            "pct": self.wb.add_format({**base, "num_format": "0.0%"}),
            "datetime": self.wb.add_format({**base, "num_format": "yyyy-mm-dd hh:mm:ss"}),
            "num": self.wb.add_format({**base, "num_format": "General"}),
            "link": self.wb.add_format({**base, "font_color": "#0563C1", "underline": 1, "text_wrap": True}),
            "error": self.wb.add_format({**base, "bg_color": "#" + Severity.ERROR.fill,
                                         "font_color": "#9C0006"}),
            "warning": self.wb.add_format({**base, "bg_color": "#" + Severity.WARNING.fill,
                                           "font_color": "#9C5700"}),
            "info": self.wb.add_format({**base, "bg_color": "#" + Severity.INFO.fill}),
            "title": self.wb.add_format({"bold": True, "font_size": 12}),
            "header": self.wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1,
                                          "text_wrap": True, "valign": "vcenter"}),
            "total": self.wb.add_format({**base, "bold": True, "top": 1, "num_format": "General"}),
            "total_money": self.wb.add_format({**base, "bold": True, "top": 1, "num_format": "#,##0.00"}),
            "total_pct": self.wb.add_format({**base, "bold": True, "top": 1, "num_format": "0.0%"}),
        }

    # Excel's ceilings: data rows under the header row of one sheet, hyperlinks in one sheet
    max_rows = 1_048_575
    max_links = 65_530
    max_table_rows = 50_000
    in_memory_cells = 200_000

    def sheet(self, data: SheetData) -> Any:
        """A sheet holding one Excel table (header + rows), filters, frozen header, print setup,
        and the rows below it. Rows past Excel's limit continue on “名称（2）”, “名称（3）” …"""
        first = None
        rows = data.rows
        for part, start in enumerate(range(0, max(len(rows), 1), self.max_rows)):
            title = data.name if part == 0 else f"{data.name}（{part + 1}）"
            end = start + self.max_rows
            ws = self._part(title, data, rows[start:end], start, last=end >= len(rows))
            first = first if first is not None else ws
        return first

    def _part(self, name: str, data: SheetData, rows: Sequence[Sequence[Any]], offset: int, last: bool) -> Any:
        cols = data.cols
        ws = self.wb.add_worksheet(name, worksheet_class=RowsWorksheet)
        fmts = [self.fmt.get(c.kind, self.fmt["text"]) for c in cols]
        special = {k: {c: self.fmt[kind] for c, kind in row.items()} for k, row in data.fmts.items()
                   if offset <= k < offset + len(rows)}
        ws.put_rows(1, rows, fmts, special, data.links, self.fmt["link"], key=offset, max_links=self.max_links)
        widths = _widths(cols, rows)
        for c, (col, width) in enumerate(zip(cols, widths, strict=True)):
            ws.set_column(c, c, width, self.fmt.get(col.kind))
        heights = row_heights(cols, widths, rows)
        if data.charts:  # a chart is sized over the rows it covers from xlsxwriter's own record of them
            for r, height in heights.items():
                ws.set_row(r + 1, height)
        else:
            ws.set_heights({r + 1: height for r, height in heights.items()})
        ws.set_row(0, 13.5 * max(_lines(h, w) for h, w in zip(table_headers(cols), widths, strict=True)) + 4)
        end = max(len(rows), 1)
        totals = data.totals if last and len(rows) <= self.max_table_rows else {}
        table = f"表{len(self.wb.worksheets())}"
        if len(rows) <= self.max_table_rows:
            columns: list[dict[str, Any]] = [{"header": h, "header_format": self.fmt["header"]}
                                             for h in table_headers(cols)]
            ws.add_table(0, 0, end, len(cols) - 1, {
                "columns": columns, "style": "Table Style Light 9", "name": table, "autofilter": True})
            if totals:  # the sums as values right under the table: no output of perfxl holds a formula
                ws.write_string(end + 1, 0, "合计", self.fmt["total"])
                for c, value in totals.items():
                    kind = cols[c].kind
                    fmt = self.fmt["total_pct" if kind == "pct" else "total_money" if kind == "money" else "total"]
                    if value is None:
                        ws.write_blank(end + 1, c, None, fmt)
                    else:
                        ws.write_number(end + 1, c, value, fmt)
        else:  # xlsxwriter tracks every cell of a table: past this size, header + filter only
            for c, header in enumerate(table_headers(cols)):
                ws.write_string(0, c, header, self.fmt["header"])
            ws.autofilter(0, 0, end, len(cols) - 1)
        for c, high_is_bad in data.scales.items():
            if rows:
                ws.conditional_format(1, c, len(rows), c, {
                    "type": "2_color_scale", "min_color": "#FFFFFF" if high_is_bad else "#F8CBAD",
                    "max_color": "#F8696B" if high_is_bad else "#FFFFFF"})
        if last and data.below:  # notes run on over the empty cells to their right, unwrapped
            plain = [f if c.kind in _NUMBER_KINDS else self.fmt["num"] for c, f in zip(cols, fmts, strict=True)]
            ws.put_rows(data.below_at - offset, data.below, plain)
        ws.freeze_panes(1, 0)
        # a unit's or project's name repeats on every page across; a column of counts need not
        self._print_setup(ws, name, widths, 1 if len(cols) > 1 and cols[1].kind in _NUMBER_KINDS else 2)
        return ws

    def _print_setup(self, ws: Any, name: str, widths: list[float], repeated: int = 2) -> None:
        """A4 landscape at a legible size, the header row (and past one page across the first
        ``repeated`` columns) on every page, the unit, sheet and run date above, page N of M below."""
        ws.set_landscape()
        across = pages_across(widths, repeated)
        ws.set_paper(9)
        # a fixed scale, not "fit to width": an application measuring the columns with fonts wider
        # than Excel's (LibreOffice without Calibri) would shrink the text below MIN_POINTS to fit
        ws.set_print_scale(print_scale(widths, across, repeated))
        # the first columns (unit, project code and name) on every page across: where columns are
        # measured wider still (LibreOffice) a sheet planned one page across takes more
        ws.repeat_columns(0, repeated - 1)
        ws.repeat_rows(0)
        ws.set_header(page_header(self.unit, name, self.run_date))
        ws.set_footer("&C第 &P 页，共 &N 页")

    def chart(self, ws: Any, sheet: str, spec: Chart, at_row: int) -> None:
        """A chart of ``spec``'s series, from sheet row ``at_row`` down."""
        chart = self.wb.add_chart({"type": "column", "subtype": "stacked"} if spec.kind == "stacked"
                                  else {"type": spec.kind})
        for s in spec.series:
            series: dict[str, Any] = {"name": [sheet, *s.name], "categories": [sheet, *spec.categories],
                                      "values": [sheet, *s.values]}
            if spec.kind == "line":
                series["marker"] = {"type": "circle"}
            chart.add_series(series)
        chart.set_title({"name": spec.title})
        chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%"} if spec.percent else {"min": 0})
        chart.set_legend({"position": "bottom"})
        ws.insert_chart(at_row, 0, chart, {"x_scale": 1.3, "y_scale": 1.2})

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


_NUMBER_KINDS = ("int", "money", "pct", "num", "datetime")


def _widths(cols: Sequence[Col], rows: Sequence[Sequence[Any]]) -> list[float]:
    """Column widths that fit the text, judged on the first hundred rows (columns with a width
    of their own are not measured). A column of numbers is as wide as its numbers, its header
    wrapping onto up to three lines, so that a sheet of many counts still prints one page across."""
    sample = rows[:100]
    widths: list[float] = []
    for c, col in enumerate(cols):
        if col.width:
            widths.append(col.width)
            continue
        values = {row[c] for row in sample if c < len(row) and row[c] is not None}
        if col.kind in _NUMBER_KINDS:
            width = max(8, -(-_approx_width(col.header) // 3) + 2, *(_number_width(col.kind, v) for v in values))
            widths.append(min(width, MAX_WIDTH))
            continue
        width = _approx_width(col.header) + 4
        for value in values:
            if type(value) is not str:
                width = max(width, 12)
            elif "\n" in value:
                width = max(width, max(_approx_width(x) for x in value.split("\n")) + 2)
            else:
                width = max(width, _approx_width(value) + 2)
        widths.append(min(max(width, 6), MAX_WIDTH))
    return widths


def _number_width(kind: str, value: Any) -> int:
    """The width a value of a number column is shown in (its format's text, or its own)."""
    if type(value) is str:
        return _approx_width(value) + 2
    if kind == "datetime":
        return 21
    if kind == "money":
        return len(f"{value:,.2f}") + 2
    if kind == "pct":
        return len(f"{value:.1%}") + 2
    return len(f"{value:g}") + 2


# Wrapped text columns stop at this width (the text wraps instead)
MAX_WIDTH = 40
FONT_POINTS = 10
# Printable width of A4 landscape in column-width units (default margins; 1 unit is about 1.85 mm
# at 10 pt): fitting a sheet onto its pages scales the font down, and below MIN_POINTS a printed
# page is not legible
A4_PRINTABLE = 141.0
MIN_POINTS = 8.0
COLUMN_PADDING = 5 / 7  # xlsxwriter stores every column 5 pixels wider than asked (as Excel does)
# LibreOffice (and WPS) on a machine without Excel's fonts measure the same columns about this
# much wider: a sheet is planned for the wider measure, so that it takes the same pages across in
# every application (in Excel its last page is then a little emptier)
WIDER_ELSEWHERE = 1.35


def print_scale(widths: Sequence[float], across: int, repeated: int = 2) -> int:
    """The print scale (per cent) at which columns of these widths fill ``across`` pages, never
    so small that text falls below MIN_POINTS (the columns then run onto one more page)."""
    shown = [(w + COLUMN_PADDING) * WIDER_ELSEWHERE for w in widths]
    total = sum(shown) + sum(shown[:repeated]) * (across - 1)
    fit = int(100 * A4_PRINTABLE * across / total) if total else 100
    return max(min(fit, 100), math.ceil(100 * MIN_POINTS / FONT_POINTS))


def pages_across(widths: Sequence[float], repeated: int = 2) -> int:
    """How many A4 landscape pages across a sheet of these column widths prints on, so that its
    text stays at MIN_POINTS or more; past one page the first ``repeated`` columns repeat on each."""
    shown = [(w + COLUMN_PADDING) * WIDER_ELSEWHERE for w in widths]
    total, again = sum(shown), sum(shown[:repeated])
    across = 1
    while FONT_POINTS * A4_PRINTABLE * across / (total + again * (across - 1)) < MIN_POINTS and across < 4:
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
    """``source`` relative to ``out_dir``; None for a link (passed over unread: a link to it would
    open what it points at, outside the inbox) or a file on another drive (Windows)."""
    try:
        if os.path.islink(source):
            return None
        folder, name = os.path.split(os.path.abspath(source))
        return os.path.relpath(os.path.join(_real(folder), name), _real(out_dir))
    except (ValueError, OSError):
        return None


@lru_cache(maxsize=4096)  # a unit's files share their folder: resolved once, not once a file
def _real(folder: str) -> str:
    return os.path.realpath(folder)


# What a link's file path must have escaped: "#" would start the cell part, "%" would read as an
# escape, the rest Excel escapes itself (xlsxwriter escapes nothing in a path that holds an escape);
# control characters, which no XML attribute may hold, as any other escape
_PATH_ESCAPES = str.maketrans({c: f"%{ord(c):02x}" for c in '%# "<>[]^`{}' + "".join(map(chr, [*range(32), 127]))})


def source_link(out_dir: Path, source: str, sheet: str | None, cell: str | None) -> str | None:
    """An external link that opens the source workbook at the cell (relative to the summary)."""
    target = _file_link(source, os.fspath(out_dir))
    if target is None:
        return None
    if sheet and cell and not _CONTROL.search(sheet):  # else the file alone: no attribute holds one
        target += "#'" + sheet.replace("'", "''") + "'!" + cell
    return None if len(target) > 2000 + len("external:") else target


@lru_cache(maxsize=65536)
def _file_link(source: str, out_dir: str) -> str | None:
    rel = _relative(source, out_dir)
    return None if rel is None else "external:" + rel.replace(os.sep, "/").translate(_PATH_ESCAPES)


def write_book(path: Path, sheets: Iterable[SheetData], title: str, unit: str = "", run_date: str = "",
               whole: bool = False, cells: int | None = None) -> str:
    """Write one summary book from its sheets' rows to ``path`` (a staged temporary file);
    ``whole`` for the 全部单位 book. Given ``cells`` (about how many the book holds), ``sheets``
    may be an iterator: each sheet is written as it comes and forgotten."""
    if cells is None:
        sheets = list(sheets)
        cells = sum(len(d.rows) * len(d.cols) for d in sheets)
    with paused():
        book = SummaryBook(path, cells, title, unit, run_date, whole)
        for data in sheets:
            ws = book.sheet(data)
            if len(data.rows) <= book.max_rows and data.charts:
                first = data.below_at + len(data.below) + 1
                ws.set_h_pagebreaks([first])  # the charts start a page: printed whole, never cut across two
                for n, chart in enumerate(data.charts):
                    book.chart(ws, data.name, chart, first + n * CHART_ROWS)
            del data  # its rows go before the next sheet's are made
        book.close()
    return str(path)


def page_header(unit: str, sheet: str, run_date: str) -> str:
    """The printed page header: unit left, sheet centred, run date right ("&" doubled, as the
    header codes need; cut to Excel's 255 characters)."""
    def esc(text: str, room: int) -> str:
        return _CONTROL.sub(" ", text)[:room].replace("&", "&&")

    right = f"&R汇总于 {esc(run_date, 20)}" if run_date else ""
    return f"&L{esc(unit, 80)}&C&\"宋体,Bold\"{esc(sheet, 31)}{right}"


CHART_ROWS = 20  # sheet rows one chart takes, with a gap
LINE_POINTS = 13.5  # the height of one line of 10 pt text


@lru_cache(maxsize=65536)  # indicator and level names recur on many rows
def _lines(text: str, width: float) -> int:
    """Lines ``text`` wraps onto in a column ``width`` wide."""
    room = max(width - 1.5, 1.0)
    return sum(max(1, -(-_approx_width(part) // int(room))) for part in text.split("\n"))


def row_heights(cols: Sequence[Col], widths: Sequence[float], rows: Sequence[Sequence[Any]]) -> dict[int, float]:
    """The height of every row whose wrapped text needs more than one line (others keep Excel's
    default), so that LibreOffice and print show the whole text; at most Excel's 409 pt."""
    wrapped = [(c, w) for c, (col, w) in enumerate(zip(cols, widths, strict=True)) if col.kind in ("text", "link")]
    need: dict[int, int] = {}  # row -> lines, where more than one
    for c, width in wrapped:  # column by column: a hundred thousand rows are read in one loop each
        short = (width - 1.5) / 2  # text of at most this many characters fits on one line
        for r, row in enumerate(rows):
            value = row[c] if c < len(row) else None
            if type(value) is str and (len(value) > short or "\n" in value):
                lines = _lines(value, width)
                if lines > need.get(r, 1):
                    need[r] = lines
    return {r: min(LINE_POINTS * need[r] + 2, 409.0) for r in sorted(need)}
