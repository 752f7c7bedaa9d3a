"""The contents of a summary workbook, sheet by sheet: 概览, 项目汇总, 绩效指标, 部门整体指标,
支出计划 (with its line chart), 问题清单 and 来源文件."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .config import Rules
from .consolidation import UNASSIGNED, Consolidation, tables_of
from .model import SEVERITY_LABEL, SEVERITY_ORDER, Problem, Table
from .writer import Col, SummaryBook, source_link

_OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "=", "text": "文字描述"}
_LEVEL1_COLUMNS = ("产出指标", "效益指标", "满意度指标", "成本指标")


def fill_book(book: SummaryBook, run: Consolidation, unit: str | None, rules: Rules,
              by_table: dict[tuple[str, str, str], list[Problem]], dept_of: dict[int, str],
              out_dir: Path) -> None:
    tables = list(tables_of(run, unit))
    problems = [p for p in run.problems if unit is None or dept_of[id(p)] == unit]
    units = run.departments if unit is None else [unit]
    _overview(book, run, units, rules, dept_of)
    _projects(book, tables, rules, by_table, out_dir)
    if unit is not None:  # the 全部单位 book leaves the indicator detail to each unit's book
        _indicators(book, "绩效指标", [t for t in tables if t[1].kind == "project"], True)
        _indicators(book, "部门整体指标", [t for t in tables if t[1].kind == "department"], False)
    _spend_plan(book, tables, units)
    _problems(book, problems, dept_of, out_dir)
    _sources(book, [s for s in run.sources if unit is None or s.department == unit])


def _counts(problems: list[Problem]) -> tuple[int, int]:
    return (sum(p.severity == "error" for p in problems), sum(p.severity == "warning" for p in problems))


def _overview(book: SummaryBook, run: Consolidation, units: list[str], rules: Rules,
              dept_of: dict[int, str]) -> None:
    cols = [Col("单位"), Col("项目数", "int"), Col("部门整体表数", "int"), Col("资金总额（万元）", "money"),
            *[Col(name, "int") for name in _LEVEL1_COLUMNS], Col("其他一级指标", "int"),
            Col("定量指标占比", "pct"), Col("错误", "int"), Col("警告", "int"),
            Col("读取文件数", "int"), Col("失败文件数", "int")]
    rows = []
    for unit in units:
        tables = [t for _, t in tables_of(run, unit)]
        inds = [i for t in tables for i in t.indicators]
        level1 = [rules.level1(i.level1) for i in inds]
        amounts = [t.amount for t in tables if t.amount is not None]
        sources = [s for s in run.sources if s.department == unit]
        errors, warnings = _counts([p for p in run.problems if dept_of[id(p)] == unit])
        quantitative = sum(i.operator not in (None, "text") for i in inds)
        rows.append([unit, sum(t.kind == "project" for t in tables),
                     sum(t.kind == "department" for t in tables),
                     sum(amounts) if amounts else None,
                     *[level1.count(name) for name in _LEVEL1_COLUMNS],
                     sum(name not in _LEVEL1_COLUMNS for name in level1),
                     quantitative / len(inds) if inds else None, errors, warnings,
                     sum(not s.status.startswith("无法读取") for s in sources),
                     sum(s.status.startswith("无法读取") for s in sources)])
    book.sheet("概览", cols, rows)


def _projects(book: SummaryBook, tables: list[tuple[str, Table]], rules: Rules,
              by_table: dict[tuple[str, str, str], list[Problem]], out_dir: Path) -> None:
    cols = [Col("项目编码"), Col("项目名称"), Col("单位"), Col("年度资金总额（万元）", "money"),
            Col("资金支出计划（累计）", width=30), Col("绩效目标", width=50), Col("指标数", "int"),
            Col("产出指标", "int"), Col("效益指标", "int"), Col("满意度指标", "int"),
            Col("定性指标", "int"), Col("错误", "int"), Col("警告", "int"), Col("状态"),
            Col("来源文件", "link"), Col("工作表"), Col("单元格")]
    rows, links, fmts = [], {}, {}
    for source, t in tables:
        if t.kind != "project":
            continue
        level1 = [rules.level1(i.level1) for i in t.indicators]
        errors, warnings = _counts(by_table.get((source, t.sheet, t.anchor), []))
        status = "有错误" if errors else "有警告" if warnings else "通过"
        plan = "；".join(f"{k} {v:g}%" if v is not None else f"{k} 空" for k, v in t.spend_plan.items())
        goals = "\n".join(f"{i}. {g}" for i, g in enumerate(t.goals, start=1))
        r = len(rows)
        rows.append([t.project_code, t.project_name, t.department, t.amount, plan, goals,
                     len(t.indicators), level1.count("产出指标"), level1.count("效益指标"),
                     level1.count("满意度指标"), sum(i.operator == "text" for i in t.indicators),
                     errors, warnings, status, os.path.basename(source), t.sheet, t.anchor])
        links[(r, 14)] = source_link(out_dir, source, t.sheet, t.anchor)
        if errors or warnings:
            fmts[r] = {13: "error" if errors else "warning"}
    book.sheet("项目汇总", cols, rows, links, fmts)


def _indicators(book: SummaryBook, name: str, tables: list[tuple[str, Table]],
                with_project: bool) -> None:
    head = [Col("项目编码"), Col("项目名称")] if with_project else []
    cols = head + [Col("一级指标"), Col("二级指标"), Col("三级指标", width=30),
                   Col("绩效指标描述", width=36), Col("符号"), Col("值", "num"), Col("单位（计量）"),
                   Col("目标（文字描述）", width=30), Col("指标值确定依据", width=30),
                   Col("来源文件"), Col("工作表"), Col("单元格")]
    rows = []
    for source, t in tables:  # no links here: 问题清单 and 项目汇总 carry them
        for i in t.indicators:
            first = [t.project_code, t.project_name] if with_project else []
            rows.append(first + [i.level1, i.level2, i.level3, i.description,
                                 _OPS.get(i.operator or "", i.operator), i.value, i.unit,
                                 i.target_text, i.basis, os.path.basename(source), t.sheet, i.cell])
    book.sheet(name, cols, rows)


def _spend_plan(book: SummaryBook, tables: list[tuple[str, Table]], units: list[str]) -> None:
    projects = [t for _, t in tables if t.kind == "project"]
    points: list[str] = []
    for t in projects:
        points += [k for k in t.spend_plan if k not in points]
    cols = [Col("项目编码"), Col("项目名称"), Col("单位"), Col("年度资金总额（万元）", "money"),
            *[Col(p, "pct") for p in points]]
    rows: list[list[Any]] = []
    for t in projects:
        rows.append([t.project_code, t.project_name, t.department, t.amount,
                     *[_pct(t.spend_plan.get(p)) for p in points]])
    for unit in units:
        mine = [t for t in projects if t.department == unit]
        rows.append(["（加权曲线）", f"{unit} 按资金加权", unit, sum(t.amount or 0 for t in mine) or None,
                     *[_weighted(mine, p) for p in points]])
    ws = book.sheet("支出计划", cols, rows)
    if not points or not rows:
        return
    chart = book.wb.add_chart({"type": "line"})
    first_curve = len(projects) + 1
    for k, unit in enumerate(units):
        r = first_curve + k
        chart.add_series({"name": f"{unit}（按资金加权）", "categories": ["支出计划", 0, 4, 0, 3 + len(points)],
                          "values": ["支出计划", r, 4, r, 3 + len(points)], "marker": {"type": "circle"}})
    chart.set_title({"name": "资金支出计划：累计进度"})
    chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%"})
    chart.set_legend({"position": "bottom"})
    ws.insert_chart(len(rows) + 3, 1, chart, {"x_scale": 1.5, "y_scale": 1.2})


def _pct(value: float | None) -> float | None:
    return None if value is None else value / 100


def _weighted(projects: list[Table], point: str) -> float | None:
    pairs = [(t.amount if t.amount else 1.0, t.spend_plan[point]) for t in projects
             if t.spend_plan.get(point) is not None]
    if not pairs:
        return None
    weight = sum(w for w, _ in pairs)
    return sum(w * v for w, v in pairs) / weight / 100


def _problems(book: SummaryBook, problems: list[Problem], dept_of: dict[int, str],
              out_dir: Path) -> None:
    cols = [Col("单位"), Col("文件"), Col("工作表"), Col("单元格", "link"), Col("规则"),
            Col("级别"), Col("问题和修改方法", width=70)]
    ordered = sorted(problems, key=lambda p: (SEVERITY_ORDER[p.severity], p.sort_key()))
    rows, links, fmts = [], {}, {}
    for r, p in enumerate(ordered):
        rows.append([dept_of[id(p)] or UNASSIGNED, os.path.basename(p.file or ""), p.sheet, p.cell, p.code,
                     SEVERITY_LABEL[p.severity], p.message])
        if p.file and p.sheet and p.cell:  # one link per row: straight to the cell
            links[(r, 3)] = source_link(out_dir, p.file, p.sheet, p.cell)
        elif p.file:
            links[(r, 1)] = source_link(out_dir, p.file, None, None)
        fmts[r] = {5: p.severity}
    book.sheet("问题清单", cols, rows, links, fmts)


def _sources(book: SummaryBook, sources: list[Any]) -> None:
    cols = [Col("相对路径"), Col("单位"), Col("大小（字节）", "int"), Col("SHA-256", width=20),
            Col("修改时间"), Col("表数", "int"), Col("状态", width=50)]
    rows, fmts = [], {}
    for r, s in enumerate(sources):
        rows.append([s.relative, s.department, s.size, s.sha256, s.modified, s.tables, s.status])
        if s.status.startswith("无法读取"):
            fmts[r] = {6: "error"}
        elif s.status != "已读取":
            fmts[r] = {6: "warning"}
    book.sheet("来源文件", cols, rows, None, fmts)
