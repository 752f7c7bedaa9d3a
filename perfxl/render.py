"""Rendering tables into workbooks in the layouts staff really send.

Used to build the sample inbox, the test fixtures and the benchmark inputs from one source of
truth (the golden tables), so every layout the reader must handle is produced by real writers
with real merges: xlsxwriter, openpyxl and, for legacy .xls, xlwt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .normalize import OPERATOR_SIGNS

Pos = tuple[int, int]


@dataclass(frozen=True)
class Style:
    """How a table is laid out on the sheet."""

    row_numbers: bool = False        # a 2.00, 3.00 … column left of the table
    levels: str = "merged"           # merged | once (blank below) | repeated (every row)
    variants: bool = False           # label variants: spaces, 半角 brackets, colons, 设定依据
    report_header: bool = False      # 单位名称：… / 金额单位：万元 above the table
    funds_block: bool = False        # 项目资金 block (年度资金总额 / 财政拨款 / 其他资金)
    numbers_as_text: bool = False    # "80.00" typed as text
    percent_format: bool = False     # 0.8 shown as 80% instead of 80 with unit %
    fancy_operators: bool = True     # ≥ rather than >=
    wide: bool = False               # 绩效指标描述 and 指标值确定依据 each merged over two columns


@dataclass
class Grid:
    """Cells and merges of one sheet, independent of the library that writes them."""

    name: str
    cells: dict[Pos, tuple[Any, str]] = field(default_factory=dict)  # value, format key
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    blank_styled_to: int = 0

    def put(self, r: int, c: int, value: Any, fmt: str = "cell", r2: int | None = None,
            c2: int | None = None) -> None:
        r2, c2 = r if r2 is None else r2, c if c2 is None else c2
        self.cells[(r, c)] = (value, fmt)
        if (r2, c2) != (r, c):
            self.merges.append((r, c, r2, c2))

    @property
    def height(self) -> int:
        return max((r for r, _ in self.cells), default=-1) + 1


def _label(text: str, style: Style) -> str:
    if not style.variants:
        return text
    swaps = {"项目编码": "项 目 编 码", "项目名称": "项目名称：", "资金用途": "资 金 用 途",
             "资金支出计划（累计进度%）": "资金支出计划(累计进度%)", "指标值确定依据": "指标值设定依据",
             "单位（文字描述）": "单位(文字描述)", "绩效目标": "绩效目标：", "一级指标": "一级指标 ",
             "三级指标": "三 级 指 标"}
    return swaps.get(text, text)


def _number(grid: Grid, r: int, c: int, value: float | None, style: Style, pct: bool = False,
            c2: int | None = None) -> None:
    if value is None:
        grid.put(r, c, None, "cell", c2=c2)
    elif pct and style.percent_format:
        grid.put(r, c, value / 100, "pct", c2=c2)
    elif style.numbers_as_text:
        grid.put(r, c, f"{value:.2f}", "cell", c2=c2)
    else:
        grid.put(r, c, value, "num", c2=c2)




def render_table(grid: Grid, table: dict[str, Any], top: int, left: int, style: Style,
                 funds: float | None = None) -> int:
    """Write one table (contract dict) with its top-left at (top, left); return the next free row."""
    r = top
    base = left + 1 if style.row_numbers else left
    gaps = (0, 0, 0, 0, 1, 1, 1, 1) if style.wide else (0,) * 8
    c = [base + i + g for i, g in enumerate(gaps)]  # L1 L2 L3 DESC OP VAL UNIT BASIS
    edge = c[7] + (1 if style.wide else 0)
    desc2 = c[3] + 1 if style.wide else None
    start = r

    def number_row(row: int) -> None:
        if style.row_numbers and row > start:
            grid.put(row, left, float(row - start + 1), "rownum")

    if style.report_header and table.get("department"):
        grid.put(r, c[0], f"单位名称：{table['department']}", "plain")
        grid.put(r, c[6], "金额单位：万元", "plain")
        r += 1
        start = r
    title = "预算项目绩效表" if table["kind"] == "project" else "部门整体支出绩效指标情况"
    grid.put(r, c[0], title, "title", c2=edge)
    r += 1
    if table["kind"] == "project":
        number_row(r)
        grid.put(r, c[0], _label("项目编码", style), "label")
        grid.put(r, c[1], table.get("project_code"), "cell", c2=c[2])
        grid.put(r, c[3], _label("项目名称", style), "label")
        grid.put(r, c[4], table.get("project_name"), "cell", c2=edge)
        r += 1
        for key, label in (("template", "项目绩效模板"), ("purpose", "资金用途")):
            number_row(r)
            grid.put(r, c[0], _label(label, style), "label")
            grid.put(r, c[1], table.get(key), "wrap", c2=edge)
            r += 1
        if style.funds_block and funds is not None:
            number_row(r)
            number_row(r + 1)
            grid.put(r, c[0], "项目资金（万元）", "label", r2=r + 1)
            for col, label, val in ((c[1], "年度资金总额", funds), (c[3], "其中：财政拨款", funds),
                                    (c[5], "其他资金", 0.0)):
                grid.put(r, col, label, "label", c2=col + 1)
                grid.put(r + 1, col, val, "money", c2=col + 1)
            r += 2
        plan = table.get("spend_plan") or {}
        if plan:
            number_row(r)
            number_row(r + 1)
            grid.put(r, c[0], _label("资金支出计划（累计进度%）", style), "label")
            spans = [(c[1], c[2]), (c[3], c[4] - 1), (c[4], c[5]), (c[6], edge)]
            for (a, b), (name, val) in zip(spans, plan.items()):
                grid.put(r, a, name, "label", c2=b)
                _number(grid, r + 1, a, val, style, pct=True, c2=b)
            r += 2
        goals = table.get("goals") or []
        if goals:
            grid.put(r, c[0], _label("绩效目标", style), "label", r2=r + len(goals) - 1)
            for i, goal in enumerate(goals):
                number_row(r)
                grid.put(r, c[1], f"目标{i + 1}", "label")
                grid.put(r, c[2], goal, "wrap", c2=edge)
                r += 1
    number_row(r)
    number_row(r + 1)
    for i, label in ((0, "一级指标"), (1, "二级指标"), (2, "三级指标"), (3, "绩效指标描述"),
                     (7, "指标值确定依据")):
        right = {3: desc2, 7: edge}.get(i)
        grid.put(r, c[i], _label(label, style), "label", r2=r + 1, c2=right)
    grid.put(r, c[4], "指标值", "label", c2=c[6])
    for i, label in ((4, "符号"), (5, "值"), (6, "单位（文字描述）")):
        grid.put(r + 1, c[i], _label(label, style), "label")
    r += 2
    return _render_indicators(grid, table.get("indicators") or [], r, c, style, number_row, desc2, edge)


def _render_indicators(grid: Grid, indicators: list[dict[str, Any]], r: int, c: list[int],
                       style: Style, number_row: Any, desc2: int | None = None,
                       edge: int | None = None) -> int:
    runs: list[tuple[int, int]] = []  # (first row, last row) of each level-1 run
    prev: tuple[Any, Any] = (object(), object())
    for ind in indicators:
        number_row(r)
        same1 = ind["level1"] == prev[0]
        same2 = same1 and ind["level2"] == prev[1]
        if style.levels == "repeated" or not same1:
            grid.put(r, c[0], ind["level1"], "cell")
            runs.append((r, r))
        else:
            runs[-1] = (runs[-1][0], r)
        if style.levels == "repeated" or not same2 or style.levels == "merged":
            grid.put(r, c[1], ind["level2"], "cell")
        prev = (ind["level1"], ind["level2"])
        grid.put(r, c[2], ind["level3"], "wrap")
        grid.put(r, c[3], ind["description"], "wrap", c2=desc2)
        op = ind["operator"]
        if op == "text":
            grid.put(r, c[4], "文字描述", "cell")
            grid.put(r, c[6], ind["target_text"], "wrap")
        else:
            grid.put(r, c[4], OPERATOR_SIGNS.get(op, op) if style.fancy_operators else op, "cell")
            pct = ind.get("unit") == "%"
            _number(grid, r, c[5], ind["value"], style, pct=pct)
            unit = ind.get("unit")
            if not (pct and style.percent_format and ind["value"] is not None):
                grid.put(r, c[6], "百分比" if unit == "%" and style.variants else unit, "cell")
        grid.put(r, c[7], ind["basis"], "wrap", c2=edge if edge != c[7] else None)
        r += 1
    if style.levels == "merged":
        for first, last in runs:
            if last > first:
                value = grid.cells[(first, c[0])][0]
                grid.put(first, c[0], value, "cell", r2=last)
    return r


def write_grids(path: str | os.PathLike[str], grids: list[Grid], engine: str = "xlsxwriter") -> None:
    """Write the grids as sheets of one workbook with the chosen library."""
    from . import render_engines

    getattr(render_engines, f"write_{engine}")(os.fspath(path), grids)


def render_rows(grid: Grid, rows: list[list[str]], top: int, left: int, title: str,
                row_numbers: bool = True, numbers_as_text: bool = False) -> int:
    """Write a table given as the rows of a text export (cells in reading order, merged cells
    once), the way the seed document shows them; return the next free row."""
    c = [left + (1 if row_numbers else 0) + i for i in range(8)]
    spans = {
        2: [(0, 0), (1, 7)],
        3: [(0, 0), (1, 1), (2, 7)],
        4: [(0, 0), (1, 2), (3, 3), (4, 7)],
        5: [(0, 0), (1, 2), (3, 3), (4, 5), (6, 7)],
        6: [(0, 0), (1, 1), (2, 2), (3, 3), (4, 6), (7, 7)],
        7: [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 7)],
        8: [(i, i) for i in range(8)],
    }
    grid.put(top, c[0], title, "title", c2=c[7])
    r = top + 1
    header_row = None
    for number, cells in enumerate(rows, start=2):
        if row_numbers:
            grid.put(r, left, f"{number}.00" if numbers_as_text else float(number), "rownum")
        if cells and cells[0] == "一级指标":
            header_row = r
        for (a, b), text in zip(spans.get(len(cells), spans[8]), cells):
            fmt = "label" if header_row in (r, r - 1) else "wrap"
            if header_row == r - 1 and text == "" and a in (0, 1, 2, 3, 7) and (r - 1, c[a]) in grid.cells:
                grid.merges.append((r - 1, c[a], r, c[b]))
                continue
            value: Any = text or None
            if value is not None and not numbers_as_text and _numeric(text) and a in (1, 4, 5):
                value = float(text)
                fmt = "num"
            grid.put(r, c[a], value, fmt, c2=c[b] if b != a else None)
        r += 1
    return r


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
