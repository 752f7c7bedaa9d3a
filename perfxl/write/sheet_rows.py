"""Plain rows straight to sheet XML: a subclass of xlsxwriter's ``Worksheet`` (its extension
point, ``Workbook.add_worksheet(worksheet_class=...)``) with ``put_rows``.

xlsxwriter stores every cell as an object and renders it through a general attribute writer when
the book closes, about 7 µs a cell; the summaries hold hundreds of thousands of cells of three
kinds only (shared string, number, formatted blank). ``put_rows`` renders each row's cells once,
as the same XML xlsxwriter would write, and ``_write_rows`` emits them in place of the cell table.
Everything else (tables, filters, links, print setup, styles) stays xlsxwriter's own.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping, Sequence
from typing import IO, Any

from xlsxwriter.format import Format
from xlsxwriter.url import Url, UrlTypes
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ..read.file_names import printable

_UTF16_MAX = 32767  # Excel's cell text limit, in UTF-16 code units
SPOOL_CHARS = 2_000_000  # a sheet's rows' XML held in memory (a few MB); past this, on disk


CUT_MARK = "……（超出单元格上限，已截断，全文见原表）"


def fit_text(text: str) -> str:
    """``text`` cut to what one cell can hold (characters past U+FFFF count twice), saying so at
    its end: two long goals joined in one cell must not lose the second without a word."""
    if len(text) <= _UTF16_MAX // 2:
        return text
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) <= 2 * _UTF16_MAX:
        return text
    cut = units[:2 * (_UTF16_MAX - len(CUT_MARK))]
    if 0xD8 <= cut[-1] <= 0xDB:  # never end on the first half of a surrogate pair
        cut = cut[:-2]
    return cut.decode("utf-16-le", "surrogatepass") + CUT_MARK


def _cell_text(text: str) -> str:
    """A cell's text as the sheet holds it: printable, line breaks as LF, fitted to a cell."""
    text = printable(text)
    if "\r" in text:  # a CR stays in a cell as the literal _x000D_: a line break is meant
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return fit_text(text) if len(text) > _UTF16_MAX // 2 else text


class _Unrecorded(dict[tuple[int, int], str]):
    """Where xlsxwriter records every cell of a table (to refuse a second table or a merge over
    it): nothing is kept. A summary's 绩效指标 table of 100,000 rows made two million entries, a
    quarter of a gigabyte; a ``RowsWorksheet`` holds one table and no merge instead."""

    def __setitem__(self, key: tuple[int, int], value: str) -> None:
        pass


class RowsWorksheet(Worksheet):
    """A worksheet that also takes whole blocks of plain rows (see ``put_rows``), and holds at
    most one table and no merged range."""

    def __init__(self) -> None:
        super().__init__()
        self.table_cells = _Unrecorded()
        self._rendered: dict[int, str] = {}  # row -> its cells' XML
        self._held = 0  # characters of XML in _rendered
        self._spool: IO[bytes] | None = None  # past SPOOL_CHARS, the rows' XML waits on disk
        self._spooled: dict[int, tuple[int, int]] = {}  # row -> offset and length of its XML there
        self._spool_end = 0  # where the next row's XML goes in the spool
        self._spool_at = 0  # where the spool's file position is while the rows are written out
        self._heights: dict[int, str] = {}  # row -> the height attributes of its <row> (see set_heights)
        # a link's file part -> xlsxwriter's parse of it, and its relationship target if external
        self._urls: dict[str, tuple[Url, str | None]] = {}
        self._quick: dict[tuple[int, int], tuple[str, str, str]] = {}  # cell -> url, text, target (see _link)
        self._texts: dict[str, int] = {}  # a cell's text as given -> the index of what the cell shows

    def put_rows(self, first: int, rows: Sequence[Sequence[Any]], formats: Sequence[Format],
                 special: Mapping[int, Mapping[int, Format]] | None = None,
                 links: Mapping[tuple[int, int], str | None] | None = None,
                 link_format: Format | None = None, key: int = 0, max_links: int = 65_530) -> int:
        """Rows ``rows`` from sheet row ``first`` (0-based) on, column ``c`` in ``formats[c]``.

        Strings are text (never formulas), ints and floats numbers, None and "" nothing unless
        ``special`` gives the cell a format of its own. ``special`` and ``links`` are keyed by
        ``key + i`` for ``rows[i]``; a link keeps the cell's text, shown in ``link_format``.
        At most ``max_links`` links are made. Returns how many were."""
        if self.constant_memory:
            raise ValueError("put_rows needs a workbook without constant_memory")
        if not rows:
            return 0
        special = special or {}
        links = links or {}
        width = max(len(row) for row in rows)
        if self._check_dimensions(first, 0) or self._check_dimensions(first + len(rows) - 1, width - 1):
            raise ValueError(f"rows {first}..{first + len(rows) - 1} fall outside the sheet")
        letters = [xl_col_to_name(c) for c in range(width)]
        xf = [f' s="{f._get_xf_index()}"' if f is not None else "" for f in formats]
        link_xf = f' s="{link_format._get_xf_index()}"' if link_format is not None else ""
        sst = self.str_table._get_shared_string_index
        # a text seen before has its index already: made printable, fitted and counted once
        known, repeated = self._texts, 0
        by_row: dict[int, dict[int, str]] = {}
        for (k, c), url in links.items():
            if url:
                by_row.setdefault(k, {})[c] = url
        made = 0
        for i, row in enumerate(rows):
            r = first + i
            n = str(r + 1)
            own = special.get(key + i)
            urls = by_row.get(key + i)
            cells = []
            for c, value in enumerate(row):
                s = xf[c] if own is None or c not in own else f' s="{own[c]._get_xf_index()}"'
                if urls and c in urls and made < max_links:
                    text = printable(str(value))[:255]
                    if self._link(r, c, printable(urls[c]), link_format, text):
                        made += 1
                        s = link_xf
                    cells.append(f'<c r="{letters[c]}{n}"{s} t="s"><v>{sst(text)}</v></c>')
                    continue
                kind = type(value)
                if (kind is float or kind is int) and math.isfinite(value):
                    cells.append(f'<c r="{letters[c]}{n}"{s}><v>{value:.16G}</v></c>')
                elif value is None or value == "":
                    if own is not None and c in own:
                        cells.append(f'<c r="{letters[c]}{n}"{s}/>')
                else:
                    raw = value if kind is str else str(value)
                    index = known.get(raw)
                    if index is None:
                        index = known[raw] = sst(_cell_text(raw))
                    else:
                        repeated += 1
                    cells.append(f'<c r="{letters[c]}{n}"{s} t="s"><v>{index}</v></c>')
            self._keep(r, "".join(cells))
        self.str_table.count += repeated  # each use of a shared string counts, as sst's own count does
        return made

    def _keep(self, row: int, xml: str) -> None:
        """Hold a row's XML until the sheet is written: in memory, or on disk once the sheet's
        rows hold more than SPOOL_CHARS (a 100,000-row sheet's would take 150 MB)."""
        if self._spool is None:
            self._rendered[row] = xml
            self._held += len(xml)
            if self._held <= SPOOL_CHARS:
                return
            self._spool = tempfile.TemporaryFile()  # noqa: SIM115  # open until the sheet is written
            held, self._rendered = self._rendered, {}
            for r, text in held.items():
                self._keep(r, text)
            return
        data = xml.encode("utf-8", "surrogatepass")
        self._spooled[row] = (self._spool_end, len(data))
        self._spool.write(data)
        self._spool_end += len(data)

    def _body(self, row: int) -> str | None:
        body = self._rendered.get(row)
        if body is not None or self._spool is None:
            return body
        where = self._spooled.get(row)
        if where is None:
            return None
        if self._spool_at != where[0]:
            self._spool.seek(where[0])
        self._spool_at = where[0] + where[1]
        return self._spool.read(where[1]).decode("utf-8", "surrogatepass")

    def set_heights(self, heights: Mapping[int, float]) -> None:
        """Row heights in points, as ``set_row(row, height)`` would set them, for rows that
        ``put_rows`` renders: kept as the attributes xlsxwriter would write, without its object
        per row. Not for rows a chart or image is placed over (xlsxwriter sizes those from its
        own record of each row)."""
        for row, height in heights.items():
            pixels = int(height * 4.0 / 3.0 + 0.5)  # set_row's rounding
            if pixels != self.original_row_height or pixels != self.default_row_height:
                self._heights[row] = f' ht="{pixels * 0.75:.16g}" customHeight="1"'
            else:
                self._heights.pop(row, None)

    def add_table(self, *args: Any, **kwargs: Any) -> Any:
        if self.tables:
            raise ValueError("a RowsWorksheet holds one table")
        return super().add_table(*args, **kwargs)

    def merge_range(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("a RowsWorksheet holds no merged range")

    def _link(self, row: int, col: int, url: str, fmt: Format | None, text: str) -> bool:
        """Register a hyperlink on a cell whose text ``put_rows`` renders itself. A link to a cell
        of another workbook (``external:file#'sheet'!A1``, nearly every link of a summary) is
        kept as its target and cell only, and written by ``_write_hyperlinks``: xlsxwriter's
        own path makes, checks and renders an object for each, a third of a summary's time."""
        if self._check_dimensions(row, col):
            return False
        found = self._file_part(url)
        if found is None or found[1] is None:
            self.ignore_write_string = True
            try:
                return self._write_url(row, col, self._parsed(url, text), fmt, text) == 0
            finally:
                self.ignore_write_string = False
        self.hlink_count += 1
        if self.hlink_count > 65530:  # Excel's limit, which xlsxwriter's path enforces (and warns of)
            return False
        self._quick[(row, col)] = (url, text, found[1])
        return True

    def _file_part(self, url: str) -> tuple[Url, str | None] | None:
        """xlsxwriter's parse of the file part of a link to a cell of another workbook, each file
        parsed once (a third of the time a summary took to write went to parsing links), and its
        relationship target when external; None for any other link (xlsxwriter parses and checks
        those itself)."""
        path, _, anchor = url.partition("#")
        if not url.startswith("external:") or "/" in anchor or len(url) > Url.MAX_URL_LEN:
            return None
        found = self._urls.get(path)
        if found is None:
            known = Url(path)
            found = self._urls[path] = (known, known._target() if known._link_type is UrlTypes.EXTERNAL else None)
        return found

    def _write_hyperlinks(self) -> None:
        if self.hyperlinks:  # links of other kinds too: all of them as xlsxwriter's objects, in its order
            for (row, col), (url, text, _) in self._quick.items():
                self.hyperlinks[row][col] = self._parsed(url, text)
            self._quick.clear()
        if not self._quick:
            super()._write_hyperlinks()
            return
        # what xlsxwriter writes for each (``_write_hyperlink_external``), row by row, column by column
        parts = ["<hyperlinks>"]
        for (row, col), (url, _, target) in sorted(self._quick.items()):
            self.rel_count += 1
            anchor = url.partition("#")[2]
            where = f' location="{self._escape_attributes(anchor)}"' if anchor else ""
            parts.append(f'<hyperlink ref="{xl_rowcol_to_cell(row, col)}" r:id="rId{self.rel_count}"{where}/>')
            self.external_hyper_links.append(["/hyperlink", target, "External"])
        parts.append("</hyperlinks>")
        self.fh.write("".join(parts))

    def _parsed(self, url: str, text: str) -> Url | str:
        """``url`` as xlsxwriter parses it: for a link to another workbook's cell, a copy of its
        file's parse with the cell after ``#`` set, as xlsxwriter's parse sets it."""
        found = self._file_part(url)
        if found is None:
            return url  # anything else xlsxwriter parses (and checks) itself
        parsed = Url.__new__(Url)  # a shallow copy, without copy.copy's generic (and slower) protocol
        parsed.__dict__.update(found[0].__dict__)
        parsed._anchor, parsed._text = url.partition("#")[2], text
        return parsed

    def _write_rows(self) -> None:
        if not self._rendered and self._spool is None:
            super()._write_rows()
            return
        if self._spool is not None:
            self._spool.seek(0)
            self._spool_at = 0
        write = self.fh.write
        heights = self._heights
        for r in range(self.dim_rowmin, self.dim_rowmax + 1):
            body = self._body(r)
            cells = self.table.get(r)
            info = self.row_info.get(r)
            if cells and body is not None:
                raise RuntimeError(f"row {r + 1} was given both by put_rows and cell by cell")
            if info is not None and r in heights:
                raise RuntimeError(f"row {r + 1} was given a height by set_row and by set_heights")
            if body is not None and info is None:
                write(f'<row r="{r + 1}"{heights.get(r, "")}>{body}</row>')
            elif body is not None or cells:
                self._write_row(r, None, info)
                if body is not None:
                    write(body)
                for c in sorted(cells or ()):
                    self._write_cell(r, c, cells[c])
                self._xml_end_tag("row")
            elif info is not None or r in self.comments:
                self._write_empty_row(r, None, info)
        if self._spool is not None:
            self._spool.close()
            self._spool = None
