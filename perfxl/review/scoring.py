"""Scoring a year-end self-evaluation (财预〔2020〕10号) beside the scores the unit gave itself:
for every indicator whether its target was met, the score the rule gives — full, in proportion
(actual ÷ target, or target ÷ actual for a ≤ target), or at most a qualitative tier's share — the
budget-execution rate and its score, the total and the grade. An actual that cannot be judged
automatically (free text that names no tier, no number) is said so, never guessed.

Weights, tolerances, tiers and grade bands come from the rules file (``[scoring]``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..model import ExtractResult, Indicator, Table
from ..read.limits import DEFAULT_LIMITS, Limits
from ..tables.extraction import extract
from ..tables.normalize import normalize_unit, split_target
from ..tables.vocabulary import Vocabulary
from .ruleset import RuleSet, Scoring, resolve_ruleset

_MONEY_TO_WAN = {"元": 0.0001, "万元": 1.0, "亿元": 10000.0}


@dataclass(frozen=True)
class IndicatorScore:
    """One indicator of a self-evaluation, judged."""

    level3: str
    cell: str
    weight: float | None       # its 分值 (the form's, else its share of the 一级's default weight)
    stated: float | None       # the 得分 the unit gave
    computed: float | None     # what the rule gives (for a qualitative indicator: at most)
    met: bool | None           # None: not judged
    judged: bool
    note: str = ""             # why it was not judged, or how it was judged

    def to_dict(self) -> dict[str, Any]:
        return {"level3": self.level3, "cell": self.cell, "weight": self.weight, "stated": self.stated,
                "computed": self.computed, "met": self.met, "judged": self.judged, "note": self.note}


@dataclass(frozen=True)
class TableScore:
    """A self-evaluation's scores: per indicator, the budget execution, the total and the grade."""

    source: str
    sheet: str
    anchor: str
    project_name: str | None
    department: str | None
    indicators: tuple[IndicatorScore, ...]
    execution_rate: float | None       # 全年执行数 ÷ 全年预算数, per cent
    stated_rate: float | None          # the 执行率 written on the form
    execution_weight: float
    execution_stated: float | None
    execution_computed: float | None
    stated_total: float | None         # the 总分 written on the form (else the sum of its 得分)
    computed_total: float | None
    stated_grade: str | None
    computed_grade: str | None
    cells: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {"met": sum(i.met is True for i in self.indicators),
                "not_met": sum(i.met is False for i in self.indicators),
                "not_judged": sum(not i.judged for i in self.indicators)}

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "sheet": self.sheet, "anchor": self.anchor,
                "project_name": self.project_name, "department": self.department,
                "execution_rate": self.execution_rate, "stated_rate": self.stated_rate,
                "execution_weight": self.execution_weight, "execution_stated": self.execution_stated,
                "execution_computed": self.execution_computed, "stated_total": self.stated_total,
                "computed_total": self.computed_total, "stated_grade": self.stated_grade,
                "computed_grade": self.computed_grade, "counts": self.counts,
                "indicators": [i.to_dict() for i in self.indicators]}


def score(source: ExtractResult | str | os.PathLike[str], rules: RuleSet | str | os.PathLike[str] | None = None,
          *, limits: Limits = DEFAULT_LIMITS,
          labels: Vocabulary | str | os.PathLike[str] | None = None) -> list[TableScore]:
    """The scores of every self-evaluation in ``source`` (an extract result, or a workbook's path)."""
    ruleset = resolve_ruleset(rules)
    result = source if isinstance(source, ExtractResult) else extract(source, limits=limits, labels=labels)
    return [score_table(result.source, t, ruleset) for t in result.tables if t.stage == "self-evaluation"]


def score_table(source: str, table: Table, rules: RuleSet) -> TableScore:
    """The scores of one self-evaluation table."""
    scoring = rules.scoring
    weights = _weights(table, rules)
    indicators = tuple(_indicator(ind, weights[i], scoring) for i, ind in enumerate(table.indicators))
    line = next(iter(table.funds.values()), {})
    budget, spent, weight = execution_figures(table)
    rate = round(spent / budget * 100, 4) if budget and spent is not None else None
    weight = scoring.execution_weight if weight is None else weight
    execution_computed = None if rate is None else round(min(rate, 100.0) / 100 * weight, 4)
    execution_stated = _column(line, ("得分",))
    stated_scores = [i.stated for i in indicators]
    stated_total = table.totals.get("得分")
    if stated_total is None and any(s is not None for s in stated_scores):
        stated_total = sum(s or 0.0 for s in stated_scores) + (execution_stated or 0.0)
    computed = [i.computed if i.judged else i.stated for i in indicators]
    computed_total = None if any(c is None for c in computed) or execution_computed is None else \
        round(sum(c or 0.0 for c in computed) + execution_computed, 4)
    return TableScore(source, table.sheet, table.anchor, table.project_name, table.department, indicators,
                      rate, _column(line, ("执行率",)), weight, execution_stated, execution_computed,
                      stated_total, computed_total, table.totals.get("等级"),
                      None if computed_total is None else scoring.grade(computed_total),
                      {k: v for k, v in table.cells.items() if k.startswith(("totals.", "funds."))})


def execution_figures(table: Table) -> tuple[float | None, float | None, float | None]:
    """The year's budget and spending (万元) and the 分值 of budget execution, as the form gives them."""
    line = next(iter(table.funds.values()), {})
    return (_column(line, ("全年预算数", "调整后预算数", "预算数"), exclude=("年初",)),
            _column(line, ("全年执行数", "预算执行数", "执行数")), _column(line, ("分值", "权重")))


def _column(line: dict[str, float], names: tuple[str, ...], exclude: tuple[str, ...] = ()) -> float | None:
    """The value of the first column whose header begins with one of ``names`` (全年预算数(A) …)."""
    for name in names:
        for key, value in line.items():
            if key.startswith(name) and not key.startswith(exclude):
                return value
    return None


def _weights(table: Table, rules: RuleSet) -> list[float | None]:
    """Each indicator's 分值: the form's, else its share of its 一级's default weight."""
    groups: dict[str | None, int] = {}
    for ind in table.indicators:
        groups[rules.level1(ind.level1)] = groups.get(rules.level1(ind.level1), 0) + 1
    out: list[float | None] = []
    for ind in table.indicators:
        if ind.weight is not None:
            out.append(ind.weight)
            continue
        level1 = rules.level1(ind.level1)
        default = rules.scoring.weights.get(level1 or "")
        out.append(None if default is None else round(default / groups[level1], 4))
    return out


def _indicator(ind: Indicator, weight: float | None, scoring: Scoring) -> IndicatorScore:
    def judged(met: bool | None, computed: float | None, note: str) -> IndicatorScore:
        return IndicatorScore(ind.level3 or "", ind.cell, weight, ind.score, computed, met, True, note)

    def not_judged(note: str) -> IndicatorScore:
        return IndicatorScore(ind.level3 or "", ind.cell, weight, ind.score, None, None, False, note)

    if ind.actual is None:
        return not_judged("没有实际完成值")
    if weight is None:
        return not_judged("没有分值")
    if ind.operator == "text" or ind.operator is None:
        tier = scoring.tier(ind.actual)
        if tier is None:
            return not_judged(f"实际完成值“{ind.actual}”无法自动判断是否达成")
        ceiling = round(weight * tier.share, 4)
        computed = ceiling if ind.score is None else min(ind.score, ceiling)
        return judged(tier.share >= 1.0, computed, f"定性：{tier.name}，最高 {ceiling:g} 分")
    actual = _actual_in_target_unit(ind)
    if actual is None:
        return not_judged(f"实际完成值“{ind.actual}”不是数值，无法与目标比较")
    target = ind.value
    if target is None:
        return not_judged("目标没有数值")
    if ind.operator in ("<=", "<"):
        met = actual <= target if ind.operator == "<=" else actual < target
        share = 1.0 if met or actual == 0 else target / actual
    else:  # ">=", ">", "=": a shortfall below the target earns in proportion
        met = actual >= target if ind.operator != ">" else actual > target
        share = 1.0 if met or target == 0 else max(actual, 0.0) / target
    return judged(met, round(weight * min(share, 1.0), 4), "达成" if met else f"完成 {share:.0%}")


def _actual_in_target_unit(ind: Indicator) -> float | None:
    """The actual as a number in the target's unit (元 vs 万元, % vs 百分比 reconciled)."""
    if ind.actual_value is None:
        return None
    _, _, unit = split_target(ind.actual)
    actual_unit, target_unit = normalize_unit(unit), normalize_unit(ind.unit)
    if actual_unit and target_unit and actual_unit != target_unit \
            and actual_unit in _MONEY_TO_WAN and target_unit in _MONEY_TO_WAN:
        return ind.actual_value * _MONEY_TO_WAN[actual_unit] / _MONEY_TO_WAN[target_unit]
    return ind.actual_value
