"""The self-evaluation sheets of a summary: 绩效自评 (one row per project: stated and recomputed
total, grade, 执行率, indicators met / not met / not judged, findings) and 自评指标 (one row per
indicator: target, actual, met, stated and recomputed score, reason, the approved target when one
was matched), plus the scores and grades that 概览 shows per unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import Problem, Table
from ..read.file_names import shown_base
from ..review.approved_targets import indicator_key, shown
from ..review.scoring import TableScore, execution_figures
from .summary_book import Col, SheetData

TableKey = tuple[str, str, str]
GRADES = ("优", "良", "中", "差")


@dataclass
class Evaluations:
    """What the writer knows of the run's self-evaluations: their scores and approved tables."""

    scores: dict[TableKey, TableScore] = field(default_factory=dict)
    approved: dict[TableKey, Table] = field(default_factory=dict)  # the one approved table matched

    def __bool__(self) -> bool:
        return bool(self.scores)


def evaluation_sheets(tables: Sequence[tuple[str, Table]], evaluations: Evaluations,
                      by_table: dict[TableKey, list[Problem]], levels: bool = False,
                      relative: dict[str, str] | None = None) -> list[SheetData]:
    """绩效自评 and 自评指标 for the (source, table) pairs of one book (``levels``: with the 上级单位
    column; ``relative``: each file's path in the inbox)."""
    mine = [(s, t) for s, t in tables if t.stage == "self-evaluation"]
    return [_projects(mine, evaluations, by_table, levels, relative or {}), _indicators(mine, evaluations, levels)]


def _projects(tables: list[tuple[str, Table]], evaluations: Evaluations,
              by_table: dict[TableKey, list[Problem]], levels: bool, relative: dict[str, str]) -> SheetData:
    """One row per self-evaluation; the amounts and the 分值 of budget execution as the form gives
    them, its file in the inbox and its 上级单位 at the end, for a higher level that reads this book
    as a roll-up (and scores it again)."""
    cols = [Col("单位"), Col("项目名称", width=30), Col("自评总分", "num"), Col("重算总分", "num"), Col("自评等级"),
            Col("重算等级"), Col("预算执行率", "pct"), Col("达成", "int"), Col("未达成", "int"),
            Col("无法判断", "int"), Col("自评问题数", "int"), Col("批复目标表", width=30), Col("来源文件"),
            Col("单元格"), Col("全年预算数（万元）", "money"), Col("全年执行数（万元）", "money"),
            Col("预算执行分值（表内）", "num"), *([Col("上级单位")] if levels else []), Col("文件（收件箱内）")]
    rows: list[list[Any]] = []
    fmts: dict[int, dict[int, str]] = {}
    for source, t in tables:
        key = (source, t.sheet, t.anchor)
        s = evaluations.scores[key]
        counts = s.counts
        findings = len(by_table.get(key, []))
        approved = evaluations.approved.get(key)
        rows.append([t.department, t.project_name or t.department, s.stated_total, _round(s.computed_total),
                     s.stated_grade,
                     s.computed_grade,
                     None if s.execution_rate is None else s.execution_rate / 100, counts["met"], counts["not_met"],
                     counts["not_judged"], findings, approved.project_name if approved else None,
                     shown_base(source), f"{t.sheet}!{t.anchor}", *execution_figures(t),
                     *([t.parent] if levels else []), relative.get(source, shown_base(source))])
        if s.stated_total is not None and s.computed_total is not None and s.stated_total > s.computed_total + 0.01:
            fmts[len(rows) - 1] = {2: "error"}  # the unit scored itself above the rule
    return SheetData("绩效自评", cols, rows, fmts=fmts)


def _indicators(tables: list[tuple[str, Table]], evaluations: Evaluations, levels: bool = False) -> SheetData:
    """One row per self-evaluated indicator: target, approved target, actual, met or not, the
    stated and the recomputed score."""
    cols = [Col("单位"), Col("项目名称", width=24), Col("一级指标"), Col("三级指标", width=26), Col("年度指标值"),
            Col("批复目标值"), Col("实际完成值"), Col("是否达成"), Col("分值", "num"), Col("自评得分", "num"),
            Col("重算得分", "num"), Col("偏差原因", width=36), Col("说明", width=30), Col("单元格"),
            *([Col("上级单位")] if levels else [])]
    rows: list[list[Any]] = []
    fmts: dict[int, dict[int, str]] = {}
    for source, t in tables:
        key = (source, t.sheet, t.anchor)
        s = evaluations.scores[key]
        approved = evaluations.approved.get(key)
        theirs = {indicator_key(i.level3): i for i in approved.indicators} if approved else {}
        for ind, judged in zip(t.indicators, s.indicators, strict=True):
            was = theirs.get(indicator_key(ind.level3))
            met = "—" if judged.met is None else "达成" if judged.met else "未达成"
            rows.append([t.department, t.project_name or t.department, ind.level1, ind.level3, shown(ind),
                         shown(was) if was else None, ind.actual, met, judged.weight, judged.stated,
                         _round(judged.computed), ind.deviation, judged.note, f"{t.sheet}!{ind.cell}",
                         *([t.parent] if levels else [])])
            r = len(rows) - 1
            if judged.met is False:
                fmts[r] = {7: "warning"}
            if judged.stated is not None and judged.computed is not None and judged.stated > judged.computed + 0.01:
                fmts.setdefault(r, {})[9] = "error"
    return SheetData("自评指标", cols, rows, fmts=fmts)


def unit_scores(tables: Sequence[tuple[str, Table]], evaluations: Evaluations) -> list[Any]:
    """概览's self-evaluation columns for one unit: how many, average stated and recomputed total,
    and how many of each grade (by the recomputed total)."""
    scored = [evaluations.scores[(s, t.sheet, t.anchor)] for s, t in tables if t.stage == "self-evaluation"]
    stated = [s.stated_total for s in scored if s.stated_total is not None]
    computed = [s.computed_total for s in scored if s.computed_total is not None]
    grades = [s.computed_grade for s in scored]
    return [len(scored), _round(sum(stated) / len(stated)) if stated else None,
            _round(sum(computed) / len(computed)) if computed else None, *[grades.count(g) for g in GRADES]]


def _round(value: float | None) -> float | None:
    """A score as the sheet shows it: two decimals."""
    return None if value is None else round(value, 2)


SCORE_COLUMNS = [Col("自评表数", "int"), Col("平均自评总分", "num"), Col("平均重算总分", "num"),
                 *[Col(g, "int") for g in GRADES]]
