"""Whole sample workbooks in the layouts of real submissions, built from golden table specs.

A spec is one golden file's content: ``{"unit", "funds", "title", "narrative", "rows", "table"}``.
Each layout is a combination seen in practice; tests check that ``extract`` gives every table
back from every layout, and the sample inbox and benchmarks are built with the same code.
"""

from __future__ import annotations

import os
from typing import Any

from .render import Grid, Style, render_rows, render_table, write_grids

LAYOUTS: dict[str, dict[str, Any]] = {
    # the seed document pasted into one sheet: narrative, row numbers, tables stacked
    "seed": {"engine": "xlsxwriter", "stacked": True, "raw": True},
    # one table per sheet under a report header, 项目资金 block, 一级 written once, 80% formats
    "per-sheet": {"engine": "openpyxl", "origin": (2, 1),
                  "style": Style(levels="once", report_header=True, funds_block=True,
                                 percent_format=True, wide=True)},
    # label variants, 一级/二级 on every row, numbers as text, styled rows to 1000, extra sheet
    "variants": {"engine": "xlsxwriter", "origin": (4, 2), "fat": True, "stacked": True,
                 "style": Style(levels="repeated", variants=True, numbers_as_text=True,
                                fancy_operators=False, row_numbers=True)},
    # legacy .xls from old Excel/WPS: row numbers, merged 一级, stacked
    "xls": {"engine": "xlwt", "stacked": True,
            "style": Style(row_numbers=True, levels="merged")},
}


def expected_table(spec: dict[str, Any], layout: str) -> dict[str, Any]:
    """The contract table ``extract`` must give for ``spec`` rendered in ``layout`` (without
    the position fields sheet, anchor, cell and cells)."""
    table = dict(spec["table"])
    style = LAYOUTS[layout].get("style")
    if style is not None and style.report_header:
        table["department"] = spec["unit"]
    if style is not None and style.funds_block and table["kind"] == "project":
        table["amount"] = spec.get("funds")
    return table


def build_workbook(path: str | os.PathLike[str], specs: list[dict[str, Any]], layout: str) -> None:
    """Write ``specs`` as one workbook at ``path`` in the named layout."""
    opts = LAYOUTS[layout]
    top, left = opts.get("origin", (0, 0))
    style: Style = opts.get("style", Style())
    grids: list[Grid] = []
    grid = Grid("Sheet1")
    r = top
    for i, spec in enumerate(specs):
        if not opts.get("stacked") and i:
            grids.append(grid)
            grid, r = Grid(f"Sheet{i + 1}"), top
        if opts.get("stacked"):
            for para in spec.get("narrative", []):
                grid.put(r, 0, para, "plain")
                r += 1
            r += 1
        if opts.get("raw"):
            r = render_rows(grid, spec["rows"], r, left, spec["title"])
        else:
            table = dict(spec["table"], department=spec["unit"])
            r = render_table(grid, table, r, left, style, funds=spec.get("funds"))
        r += 2
    grids.append(grid)
    if opts.get("fat"):
        grid.blank_styled_to = max(1000, grid.height)
        grids.append(Grid("Sheet2"))
    write_grids(path, grids, opts["engine"])
