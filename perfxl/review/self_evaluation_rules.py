"""The review rules of a year-end self-evaluation: each 得分 within its 分值, 分值 adding up to
100, 得分 adding up to the 总分, no self-score above what the rule gives, a 偏差原因 for every
shortfall, an 实际完成值 for every indicator, an 执行率 that matches the amounts, and a grade
that matches the total. Each finding points at the cell that holds it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model import Table
from .ruleset import RuleSet
from .scoring import score_table

Emit = Callable[..., None]  # emit(code, cell, **params), as table_rules makes it


def self_evaluation_rules(source: str, table: Table, rules: RuleSet, emit: Emit) -> None:
    """Every finding of the self-evaluation rules for ``table``."""
    scored = score_table(source, table, rules)
    tol = rules.scoring.score_tolerance
    for ind, judged in zip(table.indicators, scored.indicators, strict=True):
        cells = ind.cells
        if judged.weight is not None and ind.score is not None and ind.score > judged.weight + tol:
            emit("score-above-weight", cells.get("score"), score=ind.score, weight=judged.weight)
        elif judged.judged and ind.score is not None and judged.computed is not None \
                and ind.score > judged.computed + tol:
            emit("score-inflated", cells.get("score"), stated=ind.score, computed=judged.computed, how=judged.note)
        if ind.actual is None and "actual" in cells:
            emit("actual-missing", cells.get("actual"), name=ind.level3)
        elif not judged.judged and ind.actual is not None:
            emit("actual-not-judged", cells.get("actual"), name=ind.level3, actual=ind.actual)
        if judged.met is False and (ind.deviation is None or ind.deviation in ("0", "无")) and "deviation" in cells:
            emit("deviation-missing", cells.get("deviation"), name=ind.level3, how=judged.note)
    _totals(table, scored, rules, emit)


def _totals(table: Table, scored: Any, rules: RuleSet, emit: Emit) -> None:
    tol, cells = rules.scoring.score_tolerance, table.cells
    weights = [i.weight for i in scored.indicators]
    if table.indicators and all(w is not None for w in weights):
        total = sum(w for w in weights if w is not None) + scored.execution_weight
        if abs(total - 100) > tol:
            emit("weights-not-100", cells.get("totals.分值"), total=total)
    stated = [i.score for i in table.indicators]
    total_cell = cells.get("totals.得分")
    if "得分" in table.totals and all(s is not None for s in stated):
        summed = sum(s for s in stated if s is not None) + (scored.execution_stated or 0.0)
        if abs(summed - table.totals["得分"]) > tol:
            emit("total-mismatch", total_cell, sum=summed, total=table.totals["得分"])
    if scored.execution_rate is not None and scored.stated_rate is not None \
            and abs(scored.execution_rate - scored.stated_rate) > rules.scoring.rate_tolerance:
        rate_cell = next((v for k, v in cells.items() if k.startswith("funds.") and "执行率" in k), None)
        emit("execution-rate-mismatch", rate_cell, stated=scored.stated_rate, computed=scored.execution_rate)
    if scored.stated_grade is not None and scored.stated_total is not None:
        expected = rules.scoring.grade(scored.stated_total)
        if expected != scored.stated_grade:
            emit("grade-mismatch", cells.get("totals.等级"), total=scored.stated_total, expected=expected,
                 stated=scored.stated_grade)
