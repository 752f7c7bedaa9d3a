"""Compare two folders of workbooks cell by cell: values, types, number formats, fills, fonts,
alignment, links, merges, column widths, tables, freeze panes, print setup and charts.

    python tools/compare_books.py BEFORE_DIR AFTER_DIR

Prints every difference and exits 1 if there is one; used to show that a change that should
not alter the summaries (a refactoring, a speed-up) did not.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook


def _cell(c: Any) -> tuple[Any, ...]:
    return (c.value, c.data_type, c.number_format, c.fill.fgColor.rgb if c.fill else None,
            c.font.b, c.font.u, c.font.color.rgb if c.font and c.font.color else None,
            c.alignment.wrap_text, c.alignment.vertical,
            c.hyperlink.target if c.hyperlink else None)


def _sheet(ws: Any) -> dict[str, Any]:
    return {
        "cells": {c.coordinate: _cell(c) for row in ws.iter_rows() for c in row
                  if c.value is not None or c.hyperlink},
        "merges": sorted(str(m) for m in ws.merged_cells.ranges),
        "widths": {k: round(v.width, 2) for k, v in ws.column_dimensions.items() if v.width},
        "tables": sorted((t.displayName, t.ref, tuple(c.name for c in t.tableColumns))
                         for t in ws.tables.values()),
        "freeze": ws.freeze_panes,
        "print": (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth,
                  ws.print_title_rows, ws.oddHeader.center.text, ws.oddFooter.center.text),
        "filter": ws.auto_filter.ref,
    }


def _charts(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as zf:
        return [zf.read(n) for n in sorted(zf.namelist()) if n.startswith("xl/charts/")]


def compare(a: Path, b: Path) -> list[str]:
    """The differences between workbooks ``a`` and ``b``, one line each."""
    out: list[str] = []
    wa, wb = load_workbook(a), load_workbook(b)
    if wa.sheetnames != wb.sheetnames:
        return [f"{b.name}: sheets {wa.sheetnames} != {wb.sheetnames}"]
    for name in wa.sheetnames:
        sa, sb = _sheet(wa[name]), _sheet(wb[name])
        for key in sa:
            if key == "cells":
                for ref in sorted(set(sa[key]) | set(sb[key])):
                    if sa[key].get(ref) != sb[key].get(ref):
                        out.append(f"{b.name}!{name}!{ref}: {sa[key].get(ref)} != {sb[key].get(ref)}")
            elif sa[key] != sb[key]:
                out.append(f"{b.name}!{name} {key}: {sa[key]} != {sb[key]}")
    if _charts(a) != _charts(b):
        out.append(f"{b.name}: charts differ")
    return out


def main() -> int:
    before, after = Path(sys.argv[1]), Path(sys.argv[2])
    names = sorted(p.name for p in before.glob("*.xlsx"))
    if names != sorted(p.name for p in after.glob("*.xlsx")):
        print("different sets of books:", names, sorted(p.name for p in after.glob("*.xlsx")))
        return 1
    diffs = [d for name in names for d in compare(before / name, after / name)]
    for d in diffs:
        print(d)
    print(f"{len(names)} 个工作簿，{len(diffs)} 处不同")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
