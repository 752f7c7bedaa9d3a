"""The contents of a summary workbook, sheet by sheet: 概览, 项目汇总, 绩效指标, 部门整体指标,
支出计划 (with its line chart), 问题清单 and 来源文件.

Contents are plain rows (``SheetData``), built where the book is written from what belongs to its
unit only (``book_contents`` with a unit's part), so a writer never receives the whole run but for
the 全部单位 book."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import LEVEL_MARK, Consolidation, Problem, ReadStatus, SourceFile, Table, severity_counts
from ..problems import REGISTRY
from ..read.file_names import shown_base, shown_name
from ..review.ruleset import RuleSet
from ..tables.normalize import OPERATOR_SIGNS
from .self_evaluation_sheets import GRADES, SCORE_COLUMNS, Evaluations, evaluation_sheets, unit_scores
from .summary_book import Chart, Col, Series, SheetData, excel_serial, source_link

_LEVEL1_COLUMNS = ("产出指标", "效益指标", "满意度指标", "成本指标")
STAGE_NAMES = {"target": "目标表", "self-evaluation": "自评表"}


@dataclass(frozen=True)
class UnitProblem:
    """A problem, the unit it belongs to, the table it concerns and its file's path in the inbox."""

    problem: Problem
    unit: str
    table: Table | None = None
    relative: str = ""
    parent: str | None = None  # 上级单位 of its table, else of its file


@dataclass
class UnitPart:
    """What belongs to one unit: its (source, table) pairs, problems and source files."""

    tables: list[tuple[str, Table]] = field(default_factory=list)
    problems: list[UnitProblem] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)


def _roster_path(run: Consolidation, path: str) -> str:
    """The roster as 问题清单 names it: its path in the inbox, else its full path (it is kept elsewhere)."""
    inside = os.path.relpath(path, os.path.abspath(run.inbox))
    return path if inside.startswith(os.pardir) or os.path.isabs(inside) else inside.replace(os.sep, "/")


def partition(run: Consolidation, problem_units: list[str],
              problem_tables: Sequence[tuple[str, str, str] | None] = ()) -> dict[str | None, UnitPart]:
    """Every unit's part, in one pass over the run; key None holds everything.
    ``problem_units[i]`` is the unit of ``run.problems[i]``, ``problem_tables[i]`` its table."""
    by_key = {(r.source, t.sheet, t.anchor): t for r in run.results for t in r.tables}
    relative = {s.path: s.relative for s in run.sources}
    parent_of_file = {s.path: s.parent for s in run.sources}
    tables_of = list(problem_tables) or [None] * len(run.problems)
    parts: dict[str | None, UnitPart] = {None: UnitPart()}
    for unit in run.departments:
        parts[unit] = UnitPart()
    for result in run.results:
        for table in result.tables:
            pair = (result.source, table)
            parts.setdefault(table.unit, UnitPart()).tables.append(pair)
            parts[None].tables.append(pair)
    for problem, unit, key in zip(run.problems, problem_units, tables_of, strict=True):
        concerned = by_key.get(key) if key else None
        file = problem.file or ""
        shown = relative.get(file) or (_roster_path(run, file) if file == run.roster else shown_base(file))
        placed = UnitProblem(problem, unit, concerned, shown,
                             concerned.parent if concerned else parent_of_file.get(file))
        parts.setdefault(unit, UnitPart()).problems.append(placed)
        parts[None].problems.append(placed)
    for source in run.sources:
        parts.setdefault(source.unit, UnitPart()).sources.append(source)
        parts[None].sources.append(source)
    return parts


def run_facts(run: Consolidation, rules: RuleSet, started: str) -> list[list[Any]]:
    """What 概览 says of the run below its table: when, from which inbox, under which rules (the
    counts of files and problems follow, for each book its own: see ``count_facts``)."""
    return [["本次汇总", None],
            ["汇总时间", started.replace("T", " ")],
            ["收件箱", os.path.abspath(run.inbox)],
            ["规则文件", rules.source or "perfxl 自带的规则（perfxl/review/rules.toml）"]]


def count_facts(part: UnitPart) -> list[list[Any]]:
    """How many files of a book were read, passed over and failed, and its problems: a unit's own,
    so that a file changed in one unit leaves the other units' books as they were."""
    # a lower level's summary is no file of this book's: its own files are counted instead
    status = [s.status for s in part.sources if s.status is not ReadStatus.ROLLED_UP]
    skipped, failed = status.count(ReadStatus.SKIPPED), status.count(ReadStatus.FAILED)
    counts = severity_counts([p.problem for p in part.problems])
    return [["文件", f"共 {len(status)} 个：读取 {len(status) - skipped - failed} 个，"
                     f"跳过 {skipped} 个，无法读取 {failed} 个"],
            ["问题", f"错误 {counts['error']} 个，警告 {counts['warning']} 个，提示 {counts['info']} 个"]]


def has_levels(parts: dict[str | None, UnitPart]) -> bool:
    """Whether the run holds a lower level's summary: then every book has the 上级单位 columns."""
    return any(t.parent for _, t in parts[None].tables) or any(s.parent for s in parts[None].sources)


def book_contents(parts: dict[str | None, UnitPart], unit: str | None, units: list[str],
                  rules: RuleSet, by_table: dict[tuple[str, str, str], list[Problem]],
                  out_dir: Path, evaluations: Evaluations | None = None,
                  facts: list[list[Any]] | None = None, levels: bool | None = None,
                  relative: dict[str, str] | None = None) -> Iterator[SheetData]:
    """The sheets of one unit's book, or of the 全部单位 book when ``unit`` is None, each made as
    it is asked for (a book written as they come holds one sheet's rows at a time). A run holding
    self-evaluations (``evaluations``) adds 绩效自评 and 自评指标, and scores in 概览; ``facts``
    (``run_facts``) go below 概览's table. A unit's book needs ``parts[unit]`` only when ``levels``
    (``has_levels``) and ``relative`` (the inbox path of its tables' files) are given."""
    part = parts[unit]
    shown = units if unit is None else [unit]
    evaluations = evaluations or Evaluations()
    levels = has_levels(parts) if levels is None else levels
    # files of no unit that has a row (passed over at the inbox's top, say) get a row of their own in
    # 全部单位, so that its file counts add up to every file the run met
    # (a lower level's summary is no such file: its own files are in their units' rows)
    loose = [s for key, p in parts.items() if key is not None and key not in units for s in p.sources
             if s.status is not ReadStatus.ROLLED_UP] if unit is None else []
    overview = _overview(parts, shown, rules, evaluations, levels, loose)
    overview.below = [*(facts or []), *count_facts(part), *(level_rows(part) if levels else [])]
    if relative is None:
        relative = {s.path: s.relative for s in parts[None].sources}
    yield overview
    yield _projects(part.tables, rules, by_table, out_dir, levels, relative)
    if evaluations:
        yield from evaluation_sheets(part.tables, evaluations, by_table, levels, relative)
    yield _indicators("绩效指标", [t for t in part.tables if t[1].kind == "project"], True, out_dir, levels, relative)
    yield _indicators("部门整体指标", [t for t in part.tables if t[1].kind == "department"], False, out_dir,
                      levels, relative)
    yield _spend_plan(part.tables, shown, levels)
    yield _problems(part.problems, out_dir, levels)
    yield _sources(part.sources, levels)


def book_cells(part: UnitPart) -> int:
    """About how many cells the book of ``part`` holds (its rows, twenty cells each), known
    before its sheets are made."""
    return 20 * (len(part.tables) + sum(len(t.indicators) for _, t in part.tables) + len(part.problems)
                 + len(part.sources))


def level_rows(part: UnitPart) -> list[list[Any]]:
    """概览's roll-up by level, below its table: every 上级单位 and each level above it ("某市" holds
    "某市/某县"), and the files sent here directly (本级)."""
    def levels(parent: str | None) -> list[str]:
        if not parent:
            return [DIRECT]
        steps = parent.split("/")
        return ["/".join(steps[:n]) for n in range(1, len(steps) + 1)]

    rows: dict[str, list[Any]] = {}
    units: dict[str, set[str]] = {}

    def row(level: str) -> list[Any]:
        return rows.setdefault(level, [level, 0, 0, 0.0, 0, 0, 0])

    for _, t in part.tables:
        for level in levels(t.parent):
            r = row(level)
            units.setdefault(level, set()).add(t.unit)
            r[2] += t.kind == "project"
            r[3] += t.amount or 0.0
    for placed in part.problems:
        if placed.problem.severity != "info":
            for level in levels(placed.parent):
                row(level)[4 if placed.problem.severity == "error" else 5] += 1
    for source in part.sources:
        if source.status is not ReadStatus.ROLLED_UP:
            for level in levels(source.parent):
                units.setdefault(level, set()).add(source.unit)
                row(level)[6] += 1
    for level, r in rows.items():
        r[1] = len(units.get(level, ()))
    ordered = sorted(rows, key=lambda level: (level == DIRECT, level))
    return [[], ["按层级汇总", "单位数", "项目数", "资金总额（万元）", "错误", "警告", "文件数"],
            *[rows[level] for level in ordered]]


DIRECT = "本级（直接报送）"


def _counts(problems: list[Problem]) -> tuple[int, int]:
    counts = severity_counts(problems)
    return counts["error"], counts["warning"]


LOOSE_FILES = "（不属于任何单位的文件）"


def _overview(parts: dict[str | None, UnitPart], units: list[str], rules: RuleSet,
              evaluations: Evaluations, levels: bool = False, loose: Sequence[SourceFile] = ()) -> SheetData:
    cols = [Col("单位"), Col("项目数", "int"), Col("部门整体表数", "int"), Col("资金总额（万元）", "money"),
            Col("填了资金的项目数", "int"), *[Col(name, "int") for name in _LEVEL1_COLUMNS], Col("其他一级指标", "int"),
            Col("定量指标占比", "pct"), Col("错误", "int"), Col("警告", "int"),
            Col("读取文件数", "int"), Col("跳过文件数", "int"), Col("失败文件数", "int")]
    charted = len(units)
    if loose:
        parts = {**parts, LOOSE_FILES: UnitPart(sources=list(loose))}
        units = [*units, LOOSE_FILES]
    rows = [_overview_row(unit, parts.get(unit) or UnitPart(), rules) for unit in units]
    if levels:  # text: the totals row leaves it empty
        cols.append(Col("上级单位"))
        for unit, row in zip(units, rows, strict=True):
            row.append(_parents(parts.get(unit) or UnitPart()))
    level1 = range(5, 5 + len(_LEVEL1_COLUMNS) + 1)
    share = 5 + len(_LEVEL1_COLUMNS) + 1
    money = cols.index(next(c for c in cols if c.kind == "money"))
    totals: dict[int, float | None] = {c: sum(r[c] or 0 for r in rows) for c in range(1, len(cols))
                                       if c != share and cols[c].kind != "text"}
    if all(r[money] is None for r in rows):
        totals[money] = None  # no funds entered anywhere: blank, as in the units' rows
    counted = [sum(r[c] for c in level1) for r in rows]
    quantitative = sum((r[share] or 0) * k for r, k in zip(rows, counted, strict=True))
    totals[share] = quantitative / sum(counted) if sum(counted) else None  # weighted by the indicators
    structure = Chart("各单位的指标构成（个）" if charted > 1 else "指标构成（个）", (1, 0, charted, 0),
                      tuple(Series((0, c), (1, c, charted, c)) for c in level1), kind="stacked", percent=False)
    data = SheetData("概览", cols, rows, totals=totals, charts=[structure] if charted else [],
                     scales={share: False, share + 1: True, share + 2: True})
    if not evaluations:
        return data
    first = len(cols) + 3  # the grade columns, after 自评表数 and the two averages
    for unit, row in zip(units, rows, strict=True):
        row.extend(unit_scores((parts.get(unit) or UnitPart()).tables, evaluations))
    data.cols = cols + SCORE_COLUMNS
    data.charts.append(Chart("自评等级分布（按重算总分）", (0, first, 0, first + len(GRADES) - 1),
                             tuple(Series((r, 0), (r, first, r, first + len(GRADES) - 1))
                                   for r in range(1, charted + 1)),
                             kind="column", percent=False))
    return data


def _parents(part: UnitPart) -> str:
    """The 上级单位 a unit's tables and files came under, "本级" for those sent here."""
    found = {t.parent for _, t in part.tables} | {s.parent for s in part.sources}
    return "、".join(sorted(p or "本级" for p in found))


def _overview_row(unit: str, part: UnitPart, rules: RuleSet) -> list[Any]:
    tables = [t for _, t in part.tables]
    inds = [i for t in tables for i in t.indicators]
    level1 = [rules.level1(i.level1) for i in inds]
    amounts = [t.amount for t in tables if t.amount is not None]
    errors, warnings = _counts([p.problem for p in part.problems])
    quantitative = sum(i.operator not in (None, "text") for i in inds)
    failed = sum(s.status is ReadStatus.FAILED for s in part.sources)
    skipped = sum(s.status is ReadStatus.SKIPPED for s in part.sources)
    return [unit, sum(t.kind == "project" for t in tables), sum(t.kind == "department" for t in tables),
            sum(amounts) if amounts else None, sum(t.kind == "project" and t.amount is not None for t in tables),
            *[level1.count(name) for name in _LEVEL1_COLUMNS],
            sum(name not in _LEVEL1_COLUMNS for name in level1),
            quantitative / len(inds) if inds else None, errors, warnings,
            len(part.sources) - failed - skipped, skipped, failed]


def _projects(tables: list[tuple[str, Table]], rules: RuleSet,
              by_table: dict[tuple[str, str, str], list[Problem]], out_dir: Path, levels: bool = False,
              relative: dict[str, str] | None = None) -> SheetData:
    """One row per project table; its file in the inbox and the cells of its 项目编码 and its funds at
    the end, for a higher level that reads this book as a roll-up (or next year's 同比)."""
    relative = relative or {}
    cols = [Col("项目编码"), Col("项目名称"), *([Col("上级单位")] if levels else []), Col("单位"), Col("主管部门"),
            Col("实施单位"), Col("年度", "int"),
            Col("表类"), Col("年度资金总额（万元）", "money"),
            Col("资金支出计划（累计）", width=30), Col("绩效目标", width=50), Col("指标数", "int"),
            Col("产出指标", "int"), Col("效益指标", "int"), Col("满意度指标", "int"),
            Col("定性指标", "int"), Col("错误", "int"), Col("警告", "int"), Col("状态"),
            Col("来源文件", "link"), Col("工作表"), Col("单元格"), Col("文件（收件箱内）"), Col("项目编码单元格"),
            Col("资金单元格")]
    link_col, status_col = len(cols) - 6, len(cols) - 7
    rows: list[list[Any]] = []
    links: dict[tuple[int, int], str | None] = {}
    fmts: dict[int, dict[int, str]] = {}
    for source, t in tables:
        if t.kind != "project":
            continue
        level1 = [rules.level1(i.level1) for i in t.indicators]
        errors, warnings = _counts(by_table.get((source, t.sheet, t.anchor), []))
        status = "有错误" if errors else "有警告" if warnings else "通过"
        plan = "；".join(f"{k} {v:g}%" if v is not None else f"{k} 空" for k, v in t.spend_plan.items())
        goals = "\n".join(f"{i}. {g}" for i, g in enumerate(t.goals, start=1))
        r = len(rows)
        rows.append([t.project_code, t.project_name, *([t.parent] if levels else []), t.department, t.supervisor,
                     t.implementer, t.year,
                     STAGE_NAMES[t.stage], t.amount, plan, goals,
                     len(t.indicators), level1.count("产出指标"), level1.count("效益指标"),
                     level1.count("满意度指标"), sum(i.operator == "text" for i in t.indicators),
                     errors, warnings, status, shown_base(source), t.sheet, t.anchor,
                     relative.get(source, shown_base(source)), t.cells.get("project_code"),
                     t.cells.get("amount")])
        links[(r, link_col)] = source_link(out_dir, source, t.sheet, t.anchor)
        if errors or warnings:
            fmts[r] = {status_col: "error" if errors else "warning"}
    return SheetData("项目汇总", cols, rows, links, fmts)


def _indicators(name: str, tables: list[tuple[str, Table]], with_project: bool, out_dir: Path,
                levels: bool = False, relative: dict[str, str] | None = None) -> SheetData:
    """One row per indicator, with its file and a link that opens it at the cell; a department's
    rows also name the unit, the file in the inbox and the table's cell (for a roll-up)."""
    relative = relative or {}
    head = [Col("项目编码"), Col("项目名称")] if with_project else [Col("单位")]
    level = [Col("上级单位")] if levels else []
    tail = [] if with_project else [Col("文件（收件箱内）"), Col("表单元格"), Col("年度资金总额（万元）", "money"),
                                    Col("资金明细", width=30)]
    cols = [*head, *level, Col("一级指标"), Col("二级指标"), Col("三级指标", width=30),
            Col("绩效指标描述", width=36), Col("符号"), Col("值", "num"), Col("单位（计量）"),
            Col("目标（文字描述）", width=30), Col("指标值确定依据", width=30), Col("权重/分值", "num"),
            Col("实际完成值"), Col("得分", "num"), Col("来源文件"), Col("单元格", "link"), *tail]
    link_col = len(cols) - 1 - len(tail)
    rows: list[list[Any]] = []
    links: dict[tuple[int, int], str | None] = {}
    for source, t in tables:
        first = [t.project_code, t.project_name] if with_project else [t.department]
        first += [t.parent] if levels else []
        last = [] if with_project else [relative.get(source, shown_base(source)), f"{t.sheet}!{t.anchor}",
                                        t.amount, funds_text(t.funds)]
        if not with_project and not t.indicators:  # a row of its own, so that a higher level reads the table back
            rows.append([*first, None, None, NO_INDICATORS, *[None] * 9, shown_base(source), None, *last])
        for i in t.indicators:
            links[(len(rows), link_col)] = source_link(out_dir, source, t.sheet, i.cell)
            rows.append([*first, i.level1, i.level2, i.level3, i.description,
                         OPERATOR_SIGNS.get(i.operator or "", i.operator), i.value, i.unit,
                         i.target_text, i.basis, i.weight, i.actual, i.score, shown_base(source),
                         f"{t.sheet}!{i.cell}", *last])
    return SheetData(name, cols, rows, links)


NO_INDICATORS = "（本表没有指标）"


def funds_text(funds: dict[str, dict[str, float]]) -> str | None:
    """A table's money block as one cell: “资金总额/金额 1350；项目支出/金额 550” (read back by a roll-up)."""
    return "；".join(f"{line}/{col} {value:g}" for line, cols in funds.items() for col, value in cols.items()) or None


def _spend_plan(tables: list[tuple[str, Table]], units: list[str], levels: bool = False) -> SheetData:
    """One row per project, its cumulative plan by point in time (上级单位 last, so that the
    chart's columns stay together), then each unit's plan weighted by funds, charted."""
    projects = [t for _, t in tables if t.kind == "project"]
    points: list[str] = []
    for t in projects:
        points += [k for k in t.spend_plan if k not in points]
    cols = [Col("项目编码"), Col("项目名称"), Col("单位"), Col("年度资金总额（万元）", "money"),
            *[Col(p, "pct") for p in points], *([Col("上级单位")] if levels else [])]
    rows: list[list[Any]] = []
    for t in projects:
        rows.append([t.project_code, t.project_name, t.department, t.amount,
                     *[_pct(t.spend_plan.get(p)) for p in points], *([t.parent] if levels else [])])
    data = SheetData("支出计划", cols, rows)
    if points and projects:
        data.below = [["各单位按资金加权的累计进度（不随上表排序）"]]
        for unit in units:
            mine = [t for t in projects if t.unit == unit]
            funded = sum(t.amount is not None for t in mine)
            how = "按资金加权" if funded == len(mine) else "等权平均（未填资金）" if not funded else \
                "按资金加权（未填资金的按等权）"
            data.below.append([how, unit, unit, sum(t.amount or 0 for t in mine) or None,
                               *[_weighted(mine, p) for p in points]])
        at, last = data.below_at + 1, 3 + len(points)
        data.charts = [Chart("资金支出计划：各单位按资金加权的累计进度", (0, 4, 0, last),
                             tuple(Series((at + k, 1), (at + k, 4, at + k, last)) for k in range(len(units))))]
    return data


def _pct(value: float | None) -> float | None:
    return None if value is None else value / 100


def _weighted(projects: list[Table], point: str) -> float | None:
    pairs = [(t.amount if t.amount else 1.0, v) for t in projects
             if (v := t.spend_plan.get(point)) is not None]
    if not pairs:
        return None
    weight = sum(w for w, _ in pairs)
    return sum(w * v for w, v in pairs) / weight / 100


def _problems(problems: list[UnitProblem], out_dir: Path, levels: bool = False) -> SheetData:
    # widths that print the whole sheet on one A4 landscape page across at 8 pt
    cols = [Col("单位", width=14), Col("项目编码", width=19), Col("项目名称", width=18),
            Col("文件（收件箱内）", "link", 26), Col("工作表", width=8), Col("单元格", "link", 7), Col("级别", width=6),
            Col("规则", width=22), Col("问题和修改方法", width=55), *([Col("上级单位", width=14)] if levels else [])]
    ordered = sorted(problems, key=lambda u: (u.problem.severity.rank, u.problem.sort_key()))
    rows: list[list[Any]] = []
    links: dict[tuple[int, int], str | None] = {}
    fmts: dict[int, dict[int, str]] = {}
    for r, placed in enumerate(ordered):
        p, t = placed.problem, placed.table
        kind = REGISTRY.get(p.code)
        rows.append([_own_name(placed.unit, placed.parent), t.project_code if t else None,
                     (t.project_name or t.department) if t else None,
                     placed.relative, p.sheet, p.cell, p.severity.label,
                     f"{kind.title}（{p.code}）" if kind else p.code, p.message, *([placed.parent] if levels else [])])
        if p.file and p.sheet and p.cell:  # one link per row: straight to the cell
            links[(r, 5)] = source_link(out_dir, p.file, p.sheet, p.cell)
        elif p.file:
            links[(r, 3)] = source_link(out_dir, p.file, None, None)
        fmts[r] = {6: str(p.severity)}
    return SheetData("问题清单", cols, rows, links, fmts)


def _own_name(unit: str, parent: str | None) -> str:
    """A unit's own name, without the 上级单位 its key starts with (shown in a column of its own)."""
    prefix = f"{parent}{LEVEL_MARK}" if parent else ""
    return unit[len(prefix):] if prefix and unit.startswith(prefix) else unit


def _sources(sources: list[SourceFile], levels: bool = False) -> SheetData:
    """One row per file; the path it was read from at the end, for a higher level's roll-up."""
    cols = [Col("相对路径"), Col("单位"), Col("大小（字节）", "int"), Col("SHA-256", width=20),
            Col("修改时间", "datetime", width=20), Col("表数", "int"), Col("状态", width=50),
            *([Col("上级单位")] if levels else []), Col("完整路径", width=40)]
    rows: list[list[Any]] = []
    fmts: dict[int, dict[int, str]] = {}
    for r, s in enumerate(sources):
        rows.append([s.relative, s.department, s.size, s.sha256, excel_serial(s.modified), s.tables,
                     s.status_text, *([s.parent] if levels else []), shown_name(s.path)])
        if s.status is ReadStatus.FAILED:
            fmts[r] = {6: "error"}
        elif s.status not in (ReadStatus.READ, ReadStatus.ROLLED_UP):
            fmts[r] = {6: "warning"}
    return SheetData("来源文件", cols, rows, fmts=fmts)
