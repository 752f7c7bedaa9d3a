"""This year's target tables compared with last year's (the 同比): each project matched to last
year's as a self-evaluation is matched to its approved table (项目编码, else unit + name), each
department table to last year's of the same unit, and each indicator (by its 三级指标 name)
compared: 目标提高 / 目标降低 / 目标不变, 符号改变, 目标改变 (not comparable: text, unit),
新增指标 / 取消指标; a project's funds changed; projects new, or last year's not sent again.

目标提高 and 目标降低 mean *harder* and *easier* to reach, not a bigger or smaller number: for
≥ > = a higher value is harder, for ≤ < (a cost, a time limit) a lower one. An easier target and a
dropped indicator are review findings (the classic way to make a self-evaluation look good).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..model import ROUTE_MARK, ChangeKind, ExtractResult, Indicator, Problem, Table, TargetChange
from ..problems import problem
from ..tables.normalize import NUMERIC_OPERATORS
from .approved_targets import Located, indicator_key, matching_tables, name_key, shown


def compare_years(results: Sequence[ExtractResult],
                  previous: Sequence[ExtractResult]) -> tuple[list[TargetChange], list[Problem]]:
    """The 同比 lines of this year's target tables (``results``) against last year's
    (``previous``), and the findings among them (easier targets, dropped indicators)."""
    now = _targets(results)
    before = _targets(previous)
    changes: list[TargetChange] = []
    found: list[Problem] = []
    used: set[int] = set()
    for source, table in now:
        matches = _matches(table, before)
        if len(matches) != 1:
            note = "；".join(_where(f, t) for f, t in matches)
            changes.append(_line("新增项目" if not matches else "对应不唯一", table, source,
                                 before=f"上年有多张对应的表：{note}" if matches else None))
            continue
        used.add(id(matches[0][1]))
        changes.extend(_compare(source, table, matches[0], found))
    for source, table in before:
        if id(table) not in used:
            changes.append(TargetChange("上年项目未报", table.unit, table.project_code,
                                        _name(table), before=f"{len(table.indicators)} 个指标",
                                        previous=_where(source, table)))
    return changes, found


def _targets(results: Sequence[ExtractResult]) -> list[Located]:
    return [(r.source, t) for r in results for t in r.tables if t.stage == "target"]


def _matches(table: Table, before: list[Located]) -> list[Located]:
    if table.kind == "department":
        unit = name_key(table.department)
        return [(f, t) for f, t in before if t.kind == "department" and unit and name_key(t.department) == unit]
    return matching_tables(table, [(f, t) for f, t in before if t.kind == "project"])


def _name(table: Table) -> str | None:
    return table.project_name if table.kind == "project" else "部门整体支出"


def _where(source: str, table: Table, cell: str | None = None) -> str:
    """file!sheet!cell; a file read through last year's summary keeps its route (book › unit/file)."""
    book, route, held = source.partition(ROUTE_MARK)
    name = f"{os.path.basename(book)}{route}{held}" if route else os.path.basename(source)
    return f"{name}!{table.sheet}!{cell or table.anchor}"


def _line(kind: ChangeKind, table: Table, source: str, ind: Indicator | None = None, before: str | None = None,
          after: str | None = None, cell: str | None = None, previous: str = "") -> TargetChange:
    return TargetChange(kind, table.unit, table.project_code, _name(table),
                        ind.level3 if ind else None, ind.level1 if ind else None, ind.level2 if ind else None,
                        before, after, source, table.sheet, cell or (ind.cell if ind else table.anchor), previous)


def _compare(source: str, table: Table, match: Located, found: list[Problem]) -> list[TargetChange]:
    last_file, last = match
    out: list[TargetChange] = []
    if last.amount is not None and table.amount is not None and abs(last.amount - table.amount) > 1e-9:
        out.append(_line("资金变化", table, source, before=f"{last.amount:g} 万元", after=f"{table.amount:g} 万元",
                         cell=table.cells.get("amount"), previous=_where(last_file, last, last.cells.get("amount"))))
    theirs = {indicator_key(i.level3): i for i in last.indicators}
    mine = {indicator_key(i.level3): i for i in table.indicators}
    for key, now in mine.items():
        was = theirs.get(key)
        if was is None:
            out.append(_line("新增指标", table, source, now, after=shown(now)))
            continue
        kind = target_change(was, now)
        where = _where(last_file, last, was.cell)
        cell = now.cells.get("value") or now.cells.get("target") or now.cell
        out.append(_line(kind, table, source, now, shown(was), shown(now), cell, where))
        if kind == "目标降低":
            found.append(problem("yoy-target-lowered", file=source, sheet=table.sheet, cell=cell, name=now.level3,
                                 before=shown(was), after=shown(now), previous=where))
    for key, was in theirs.items():
        if key not in mine:
            where = _where(last_file, last, was.cell)
            out.append(TargetChange("取消指标", table.unit, table.project_code, _name(table),
                                    was.level3, was.level1, was.level2, shown(was), None, source, table.sheet,
                                    table.anchor, where))
            found.append(problem("yoy-indicator-dropped", file=source, sheet=table.sheet, cell=table.anchor,
                                 name=was.level3, target=shown(was), previous=where))
    return out


def target_change(was: Indicator, now: Indicator) -> ChangeKind:
    """How an indicator's target changed from ``was`` to ``now``: 目标提高 (harder) or 目标降低
    (easier) when both are numbers of the same sign and unit, 符号改变, 目标改变 (not comparable),
    or 目标不变."""
    if was.operator != now.operator and None not in (was.operator, now.operator):
        return "符号改变"
    comparable = (was.operator in NUMERIC_OPERATORS and was.operator == now.operator and was.unit == now.unit
                  and was.value is not None and now.value is not None)
    if comparable and was.value is not None and now.value is not None and abs(was.value - now.value) > 1e-9:
        higher = now.value > was.value
        harder = not higher if was.operator in ("<=", "<") else higher
        return "目标提高" if harder else "目标降低"
    return "目标不变" if shown(was) == shown(now) else "目标改变"
