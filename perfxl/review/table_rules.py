"""The review rules P1–P5 and I1–I16 (``docs/domain.md``) that go beyond the schemas.

Each finding is a registered problem (``perfxl.problems``) whose message names the value and says
what to change. RuleSet read ``Table`` records and point at the cell that holds the fault, or at
the table's anchor when the fault is the table's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..a1 import a1_sort_key
from ..model import ExtractResult, Indicator, Problem, Table
from ..problems import problem
from ..tables.normalize import NUMERIC_OPERATORS, OPERATOR_SIGNS
from .ruleset import RuleSet
from .self_evaluation_rules import self_evaluation_rules

_NUMBER_IN_TEXT = re.compile(r"\d+(\.\d+)?\s*(%|％|个|次|户|人|家|项|篇|万元|元|天|日|小时|分钟)")


@dataclass
class _Emit:
    """Makes the findings of one table, at a cell of it or else at its anchor."""

    file: str
    table: Table
    out: list[Problem]

    def __call__(self, code: str, cell: str | None, **params: Any) -> None:
        self.out.append(problem(code, file=self.file, sheet=self.table.sheet,
                                cell=cell or self.table.anchor, **params))


def run_rules(results: Iterable[ExtractResult], rules: RuleSet,
              per_file: list[list[Problem]] | None = None,
              everything: Iterable[ExtractResult] | None = None) -> list[Problem]:
    """Every rule finding for every table of ``results``, plus duplicate codes across them (or
    across ``everything``, which holds them and tables already checked elsewhere).
    ``per_file``: the findings of ``file_rules`` already made (by the workers that read)."""
    results = list(results)
    out = [p for found in per_file for p in found] if per_file is not None else \
        [p for result in results for p in file_rules(result, rules)]
    out.extend(_duplicate_codes(list(everything) if everything is not None else results))
    return out


# what the reader says it could not read, and the author faults that would then be wrong
_UNSURE = {"goals-unread": {"goals-missing"},
           "target-column-missing": {"target-missing", "operator-missing", "numeric-value-missing",
                                     "numeric-unit-missing", "text-target-missing"}}


def file_rules(result: ExtractResult, rules: RuleSet) -> list[Problem]:
    """The findings of the rules that look at one file's tables alone. A rule whose field the
    form does not have (no 一级 column, no 指标值确定依据 column) is not applied, and a fault the
    reader was unsure of (it says so itself) is not blamed on the unit."""
    out: list[Problem] = []
    # cells the reader already reported in this file are not reported again
    flagged = {(p.sheet, p.cell) for p in result.problems}
    unsure = _unsure_by_table(result)
    for table in result.tables:
        found: list[Problem] = []
        emit = _Emit(result.source, table, found)
        if table.kind == "project":
            _project_rules(table, emit)
        _table_indicator_rules(table, rules, emit)
        for ind in table.indicators:
            _indicator_rules(table, ind, rules, emit, flagged)
        if table.stage == "self-evaluation":
            self_evaluation_rules(result.source, table, rules, emit)
        skip = set().union(*(_UNSURE[code] for code in unsure.get((table.sheet, table.anchor), ())))
        out.extend(p for p in found if p.code not in skip)
    return out


def _unsure_by_table(result: ExtractResult) -> dict[tuple[str, str], set[str]]:
    """The reader's own doubts (codes of ``_UNSURE``), under the table they concern: the nearest
    table of the sheet whose anchor is at or above the problem's cell."""
    anchors: dict[str, list[tuple[int, str]]] = {}
    for table in result.tables:
        anchors.setdefault(table.sheet, []).append((a1_sort_key(table.anchor)[0], table.anchor))
    out: dict[tuple[str, str], set[str]] = {}
    for p in result.problems:
        if p.code not in _UNSURE or p.sheet is None:
            continue
        row = a1_sort_key(p.cell)[0]
        above = [a for r, a in sorted(anchors.get(p.sheet, [])) if r <= row]
        if above:
            out.setdefault((p.sheet, above[-1]), set()).add(p.code)
    return out


def _project_rules(table: Table, emit: _Emit) -> None:
    previous: tuple[str, float] | None = None
    for name, value in table.spend_plan.items():
        if value is None:
            continue
        if previous is not None and value < previous[1]:
            emit("spend-plan-not-cumulative", table.cells.get(f"spend_plan.{name}"), name=name, value=value,
                 previous=previous[0], previous_value=previous[1])
        previous = (name, value)
    if previous is not None and previous[1] != 100:
        emit("spend-plan-not-complete", table.cells.get(f"spend_plan.{previous[0]}"), name=previous[0],
             value=previous[1])
    if not table.goals:
        emit("goals-missing", table.anchor)


def _table_indicator_rules(table: Table, rules: RuleSet, emit: _Emit) -> None:
    inds = table.indicators
    if not inds:
        return
    _duplicates_and_share(inds, rules, emit, table)
    if not any("level1" in i.cells for i in inds):
        return  # a form without 一级/二级 columns: the category rules have nothing to look at
    levels = [rules.level1(i.level1) for i in inds]
    roles = rules.roles
    if roles["output"] not in levels:
        emit("no-output-indicator", table.anchor, name=roles["output"])
    if roles["benefit"] not in levels:
        emit("no-benefit-indicator", table.anchor, name=roles["benefit"])
    if roles["satisfaction"] not in levels and not any(rules.is_role("satisfaction_level2", i.level2) for i in inds):
        emit("no-satisfaction-indicator", table.anchor, name=roles["satisfaction"])
    if not any(rules.is_role("quantity", i.level2) for i in inds):
        emit("no-quantity-indicator", table.anchor, name=roles["quantity"])


def _duplicates_and_share(inds: tuple[Indicator, ...], rules: RuleSet, emit: _Emit, table: Table) -> None:
    seen: dict[str, Indicator] = {}
    for ind in inds:
        key = re.sub(r"\s+", "", ind.level3 or "")
        if key in seen:
            emit("duplicate-indicator", ind.cell, name=ind.level3, first=seen[key].cell)
        seen.setdefault(key, ind)
    share = sum(i.operator == "text" for i in inds) / len(inds)
    if share > rules.qualitative_share_max:
        emit("qualitative-share-high", table.anchor, share=share, limit=rules.qualitative_share_max)


def _indicator_rules(table: Table, ind: Indicator, rules: RuleSet, emit: _Emit,
                     flagged: set[tuple[str | None, str | None]]) -> None:
    cells = ind.cells
    level1 = rules.level1(ind.level1)
    if "level1" not in cells:
        pass  # the form has no 一级/二级 columns
    elif level1 is None:
        known = "、".join(list(rules.categories) + list(rules.synonyms))
        emit("level1-unknown", cells.get("level1"), level1=ind.level1 or "（空）", known=known)
    elif not rules.level2_ok(level1, ind.level2):
        allowed = "、".join(rules.categories[level1])
        emit("level2-mismatch", cells.get("level2"), level2=ind.level2 or "（空）", level1=ind.level1,
             allowed=allowed)
    op = ind.operator
    if op is None:
        if (table.sheet, cells.get("operator")) in flagged or (table.sheet, cells.get("target")) in flagged:
            pass  # already reported by extract (operator-unknown, target-unsplit)
        elif ind.value is None and ind.unit is None and ind.target_text is None:
            emit("target-missing", cells.get("operator") or ind.cell, name=ind.level3)
        else:
            emit("operator-missing", cells.get("operator"))
    elif op in NUMERIC_OPERATORS:
        _numeric_rules(table, ind, level1, rules, emit, flagged)
    elif op == "text":
        if ind.target_text is None:
            emit("text-target-missing", cells.get("unit"))
        else:
            _text_rules(ind, rules, emit)
    if ind.basis is None and "basis" in cells:
        emit("basis-missing", cells.get("basis"))


def _numeric_rules(table: Table, ind: Indicator, level1: str | None, rules: RuleSet, emit: _Emit,
                   flagged: set[tuple[str | None, str | None]]) -> None:
    cells = ind.cells
    shown = OPERATOR_SIGNS.get(ind.operator or "", ind.operator)
    if ind.value is None and (table.sheet, cells.get("value")) not in flagged:
        emit("numeric-value-missing", cells.get("value"), sign=shown)
    unit = ind.unit
    if unit is None:
        emit("numeric-unit-missing", cells.get("unit"))
    elif len(unit) > rules.unit_max_length or (re.search(r"\d", unit) and unit != "%"):
        emit("unit-is-sentence", cells.get("unit"), unit=unit)
    if unit and any(w in unit for w in rules.vague_words):
        emit("unit-vague-words", cells.get("unit"), unit=unit)
    if level1 == rules.roles["satisfaction"] or "满意" in (ind.level2 or ""):
        wrong = []
        if unit != "%":
            wrong.append("单位应为 %")
        if ind.operator not in (">=", ">"):
            wrong.append("符号应为 ≥")
        if ind.value is not None and ind.value < rules.satisfaction_min:
            wrong.append(f"目标值 {ind.value:g} 低于 {rules.satisfaction_min:g}")
        if wrong:
            emit("satisfaction-target", cells.get("value"), minimum=rules.satisfaction_min, wrong="；".join(wrong))
    funds = _funds_ceiling(table)
    if (rules.is_role("cost_level2", ind.level2) and funds is not None
            and ind.value is not None and unit in rules.money_units):
        in_wan = ind.value / 10000 if unit == "元" else ind.value * 10000 if unit == "亿元" else ind.value
        if in_wan > funds:
            emit("cost-above-funds", cells.get("value"), value=ind.value, unit=unit, amount=funds)


def _funds_ceiling(table: Table) -> float | None:
    """The project's funds a cost is held against: the year's amount, or an adjusted 全年预算数
    when a self-evaluation's budget grew during the year."""
    budgets = [v for line in table.funds.values() for k, v in line.items()
               if k.startswith(("全年预算数", "调整后预算数"))]
    candidates = [x for x in (table.amount, *budgets[:1]) if x is not None]
    return max(candidates) if candidates else None


def _text_rules(ind: Indicator, rules: RuleSet, emit: _Emit) -> None:
    text = ind.target_text or ""
    vague = [w for w in rules.vague_words if w in text]
    if vague:
        emit("vague-words", ind.cells.get("unit"), text=text, words="、".join(vague))
    if _NUMBER_IN_TEXT.search(text):
        emit("number-in-text-target", ind.cells.get("unit"), text=text)


def _duplicate_codes(results: list[ExtractResult]) -> list[Problem]:
    places: dict[str, list[tuple[str, Table]]] = {}
    for result in results:
        for table in result.tables:
            if table.project_code:
                places.setdefault(table.project_code, []).append((result.source, table))
    out = []
    for code, where in places.items():
        if len(where) < 2:
            continue
        listed = "；".join(f"{f}!{t.sheet}!{t.cells.get('project_code', t.anchor)}" for f, t in where)
        for source, table in where:
            out.append(problem("project-code-duplicate", file=source, sheet=table.sheet,
                               cell=table.cells.get("project_code", table.anchor), project_code=code,
                               count=len(where),
                               places=listed))
    return out
