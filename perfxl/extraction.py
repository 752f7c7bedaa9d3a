"""``extract``: one workbook in, its tables and reading problems out (the extract contract)."""

from __future__ import annotations

import os

from .a1 import to_a1
from .errors import UnreadableWorkbook
from .layout import Layout
from .limits import DEFAULT_LIMITS, Limits
from .locate import locate
from .model import ExtractResult, Problem, Table
from .parse import read_table
from .reader import Sheet, read_workbook


def extract(path: str | os.PathLike[str], *, data: bytes | None = None,
            limits: Limits = DEFAULT_LIMITS) -> ExtractResult:
    """Read every 预算项目绩效表 and 部门整体支出绩效指标 table of the workbook at ``path``
    (from ``data`` when its bytes are already in memory).

    Never raises for bad input: an unreadable file gives no tables and one ``unreadable`` problem.
    """
    source = os.fspath(path)
    try:
        sheets = read_workbook(source, data, limits)
    except UnreadableWorkbook as exc:
        return ExtractResult(source, (), (Problem("error", "unreadable", exc.reason, source),))
    return extract_sheets(source, sheets)


def extract_sheets(source: str, sheets: list[Sheet]) -> ExtractResult:
    """Tables and problems from sheets already read (used by tests and by the batch runner)."""
    tables: list[Table] = []
    problems: list[Problem] = []
    for sheet in sheets:
        problems.extend(Problem(sev, code, msg, source, sheet.name, cell)  # type: ignore[arg-type]
                        for sev, code, msg, cell in sheet.notes)
        if not sheet.rows:
            continue
        layout = Layout(sheet)
        for region in locate(layout):
            table, found = read_table(layout, region, source)
            tables.append(table)
            problems.extend(found)
        for r, c in sheet.uncached:
            cell = to_a1(r, c)
            problems.append(Problem(
                "error", "formula-no-cached-value",
                "公式没有保存计算结果，读不到数值；请在 Excel 或 WPS 中打开并保存后重新提交，"
                "或把公式改为数值", source, sheet.name, cell))
    if not tables:
        problems.append(Problem(
            "warning", "no-table-found",
            "工作簿中没有找到预算项目绩效表或部门整体支出绩效指标表（按“一级指标”“三级指标”“项目编码”等标签查找）；"
            "请确认提交的是绩效目标表", source))
    problems.sort(key=Problem.sort_key)
    return ExtractResult(source, tuple(tables), tuple(problems))
