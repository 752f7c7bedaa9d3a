"""Back ends of ``render``: the same ``Grid`` written by xlsxwriter, openpyxl or xlwt (.xls)."""

from __future__ import annotations

from typing import Any

from .render import Grid

_WIDTHS = [8, 14, 16, 24, 28, 10, 10, 18, 30]


def write_xlsxwriter(path: str, grids: list[Grid]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(path)
    base = {"border": 1, "valign": "vcenter", "font_name": "宋体", "font_size": 10}
    fmts = {
        "cell": wb.add_format(base),
        "wrap": wb.add_format({**base, "text_wrap": True}),
        "label": wb.add_format({**base, "bold": True, "align": "center", "text_wrap": True,
                                "bg_color": "#DDEBF7"}),
        "title": wb.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "num": wb.add_format({**base, "num_format": "0.00"}),
        "money": wb.add_format({**base, "num_format": "#,##0.00"}),
        "pct": wb.add_format({**base, "num_format": "0%"}),
        "rownum": wb.add_format({**base, "num_format": "0.00", "font_color": "#808080"}),
        "plain": wb.add_format({"font_size": 10}),
    }
    for grid in grids:
        ws = wb.add_worksheet(grid.name)
        for i, width in enumerate(_WIDTHS):
            ws.set_column(i, i, width)
        merged_tl = {(m[0], m[1]): m for m in grid.merges}
        covered = {(r, c) for r1, c1, r2, c2 in grid.merges
                   for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)} - set(merged_tl)
        for (r, c), (value, fmt) in sorted(grid.cells.items()):
            if (r, c) in covered:
                continue
            f = fmts[fmt]
            if (r, c) in merged_tl:
                _, _, r2, c2 = merged_tl[(r, c)]
                ws.merge_range(r, c, r2, c2, "", f)
            _write_xlsxwriter_cell(ws, r, c, value, f)
        for r in range(grid.height, grid.blank_styled_to):
            for c in range(len(_WIDTHS)):
                ws.write_blank(r, c, None, fmts["cell"])
    wb.close()


def _write_xlsxwriter_cell(ws: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    if value is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)  # never write(): "=" would become a formula


def write_openpyxl(path: str, grids: list[Grid]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    numfmt = {"num": "0.00", "money": "#,##0.00", "pct": "0%", "rownum": "0.00"}
    for grid in grids:
        ws = wb.create_sheet(grid.name)
        for (r, c), (value, fmt) in sorted(grid.cells.items()):
            cell = ws.cell(row=r + 1, column=c + 1)
            if value is not None:
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"
            if fmt not in ("plain", "title"):
                cell.border = border
                cell.alignment = Alignment(wrap_text=fmt == "wrap", vertical="center")
            if fmt in ("label", "title"):
                cell.font = Font(bold=True)
            if fmt in numfmt:
                cell.number_format = numfmt[fmt]
        for r1, c1, r2, c2 in grid.merges:
            ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
        for r in range(grid.height, grid.blank_styled_to):
            for c in range(len(_WIDTHS)):
                ws.cell(row=r + 1, column=c + 1).border = border
    wb.save(path)


def write_xlwt(path: str, grids: list[Grid]) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    borders = "borders: left thin, right thin, top thin, bottom thin;"
    styles = {
        "cell": xlwt.easyxf(borders),
        "wrap": xlwt.easyxf(borders + " align: wrap on, vert centre;"),
        "label": xlwt.easyxf(borders + " font: bold on; align: horiz centre, vert centre, wrap on;"),
        "title": xlwt.easyxf("font: bold on, height 280; align: horiz centre;"),
        "num": xlwt.easyxf(borders, num_format_str="0.00"),
        "money": xlwt.easyxf(borders, num_format_str="#,##0.00"),
        "pct": xlwt.easyxf(borders, num_format_str="0%"),
        "rownum": xlwt.easyxf(borders, num_format_str="0.00"),
        "plain": xlwt.easyxf(""),
    }
    for grid in grids:
        ws = wb.add_sheet(grid.name)
        merged_tl = {(m[0], m[1]): m for m in grid.merges}
        covered = {(r, c) for r1, c1, r2, c2 in grid.merges
                   for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)} - set(merged_tl)
        for (r, c), (value, fmt) in sorted(grid.cells.items()):
            if (r, c) in covered:
                continue
            v = "" if value is None else value
            if (r, c) in merged_tl:
                _, _, r2, c2 = merged_tl[(r, c)]
                ws.write_merge(r, r2, c, c2, v, styles[fmt])
            else:
                ws.write(r, c, v, styles[fmt])
    wb.save(path)
