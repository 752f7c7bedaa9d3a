"""``extract``: one workbook in, its tables and reading problems out (the extract contract)."""

from __future__ import annotations

import os

from ..a1 import to_a1
from ..errors import UnreadableWorkbook
from ..model import ExtractResult, Problem, Table
from ..problems import problem
from ..read.limits import DEFAULT_LIMITS, Limits
from ..read.sheet import Sheet
from ..read.workbook import read_workbook
from .locate import locate
from .merged_grid import MergedGrid
from .parse import read_table


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
        return unreadable(source, exc.reason)
    return extract_sheets(source, sheets)


def unreadable(source: str, reason: str) -> ExtractResult:
    """The result for a file that could not be read as a workbook."""
    return ExtractResult(source, (), (problem("unreadable", file=source, reason=reason),))


def extract_sheets(source: str, sheets: list[Sheet]) -> ExtractResult:
    """Tables and problems from sheets already read."""
    tables: list[Table] = []
    problems: list[Problem] = []
    for sheet in sheets:
        problems.extend(sheet.notes)
        if not sheet.rows:
            continue
        grid = MergedGrid(sheet)
        for region in locate(grid):
            table, found = read_table(grid, region, source)
            tables.append(table)
            problems.extend(found)
        problems.extend(problem("formula-no-cached-value", file=source, sheet=sheet.name, cell=to_a1(r, c))
                        for r, c in sheet.uncached)
    if not tables:
        problems.append(problem("no-table-found", file=source))
    problems.sort(key=Problem.sort_key)
    return ExtractResult(source, tuple(tables), tuple(problems))
