"""Writing the department summary workbooks with xlsxwriter: real Excel tables with filters,
frozen headers, widths that fit Chinese text, number formats, severity colours, print setup,
and staff text always written as text (never as a live formula)."""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import atomic_target
from .config import load_rules
from .consolidation import ALL_UNITS, Consolidation, department_of, problems_by_table

_MAX_TEXT = 32767
_SAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class Col:
    header: str
    kind: str = "text"   # text | int | money | pct | num | link
    width: float | None = None


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class SummaryBook:
    """One summary workbook being written."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter

        self.path = path
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                                  "strings_to_urls": False})
        self.wb.set_properties({"title": path.stem, "author": "perfxl",
                                "created": dt.datetime(2000, 1, 1)})
        base = {"font_name": "宋体", "font_size": 10, "valign": "top"}
        self.fmt = {
            "text": self.wb.add_format({**base, "text_wrap": True}),
            "int": self.wb.add_format({**base, "num_format": "0"}),
            "money": self.wb.add_format({**base, "num_format": "#,##0.00"}),
            "pct": self.wb.add_format({**base, "num_format": "0.0%"}),
            "num": self.wb.add_format({**base, "num_format": "General"}),
            "link": self.wb.add_format({**base, "font_color": "#0563C1", "underline": 1}),
            "error": self.wb.add_format({**base, "bg_color": "#FFC7CE", "font_color": "#9C0006"}),
            "warning": self.wb.add_format({**base, "bg_color": "#FFEB9C", "font_color": "#9C5700"}),
            "info": self.wb.add_format({**base, "bg_color": "#DDEBF7"}),
            "title": self.wb.add_format({"bold": True, "font_size": 12}),
        }

    def sheet(self, name: str, cols: Sequence[Col], rows: Sequence[Sequence[Any]],
              links: dict[tuple[int, int], str] | None = None,
              row_formats: dict[int, dict[int, str]] | None = None) -> Any:
        """A sheet holding one Excel table (header + rows), filters, frozen header, print setup."""
        ws = self.wb.add_worksheet(name)
        widths = [_display_width(c.header) + 4 for c in cols]
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                kind = (row_formats or {}).get(r - 1, {}).get(c, cols[c].kind)
                url = (links or {}).get((r - 1, c))
                self._cell(ws, r, c, value, kind, url)
                if isinstance(value, str):
                    longest = max((_display_width(x) for x in value.split("\n")), default=0)
                    widths[c] = max(widths[c], longest + 2)
                elif value is not None:
                    widths[c] = max(widths[c], 12)
        for c, col in enumerate(cols):
            ws.set_column(c, c, col.width or min(max(widths[c], 6), 60), self.fmt.get(col.kind))
        last = max(len(rows), 1)
        ws.add_table(0, 0, last, len(cols) - 1, {
            "columns": [{"header": c.header} for c in cols], "style": "Table Style Light 9",
            "name": f"表{len(self.wb.worksheets())}", "autofilter": True})
        ws.freeze_panes(1, 0)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_header(f"&C&\"宋体,Bold\"{name}")
        ws.set_footer("&C第 &P 页，共 &N 页")
        return ws

    def _cell(self, ws: Any, r: int, c: int, value: Any, kind: str, url: str | None) -> None:
        fmt = self.fmt.get(kind, self.fmt["text"])
        if url:
            ws.write_url(r, c, url, self.fmt["link"], string=str(value)[:255])
        elif value is None or value == "":
            ws.write_blank(r, c, None, fmt)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(r, c, value, fmt)
        else:
            ws.write_string(r, c, str(value)[:_MAX_TEXT], fmt)

    def close(self) -> None:
        self.wb.close()


def source_link(out_dir: Path, source: str, sheet: str | None, cell: str | None) -> str | None:
    """An external link that opens the source workbook at the cell (relative to the summary)."""
    try:
        rel = os.path.relpath(Path(source).resolve(), out_dir.resolve())
    except ValueError:
        return None
    target = rel.replace(os.sep, "/")
    if sheet and cell:
        target += "#'" + sheet.replace("'", "''") + "'!" + cell
    return None if len(target) > 2000 else "external:" + target


def write_summaries(run: Consolidation, out_dir: Path, rules_path: str | None = None) -> list[str]:
    """One ``<单位>_绩效目标汇总.xlsx`` per department and ``全部单位_绩效目标汇总.xlsx``."""
    rules = load_rules(rules_path)
    by_table = problems_by_table(run)
    dept_of = {id(p): department_of(p, run, by_table) for p in run.problems}
    written = []
    for unit in [*run.departments, None]:
        name = _SAFE_NAME.sub("_", unit or ALL_UNITS) + "_绩效目标汇总.xlsx"
        target = out_dir / name
        with atomic_target(target) as tmp:
            from .summary_sheets import fill_book

            book = SummaryBook(tmp)
            fill_book(book, run, unit, rules, by_table, dept_of, out_dir)
            book.close()
        written.append(str(target))
    return written

