"""The review rules P1–P5 and I1–I16 of ``shared/docs/domain.md`` that go beyond the schemas.

Each rule has a stable kebab-case code, a severity (overridable in the rules file) and a Chinese
message that names the value and says what to change. Rules read ``Table`` records and point at
the cell that holds the fault, or at the table's anchor when the fault is the table's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .config import Rules
from .model import ExtractResult, Indicator, Problem, Table
from .normalize import NUMERIC_OPERATORS, OPERATOR_SIGNS

SEVERITY: dict[str, str] = {
    "project-code-duplicate": "error",        # P1
    "spend-plan-not-cumulative": "error",     # P3
    "spend-plan-not-complete": "warning",     # P4
    "goals-missing": "error",                 # P5
    "level1-unknown": "error",                # I1
    "level2-mismatch": "error",               # I2
    "no-output-indicator": "error",           # I3
    "no-benefit-indicator": "error",          # I3
    "no-satisfaction-indicator": "warning",   # I4
    "no-quantity-indicator": "warning",       # I5
    "target-missing": "error",                # I6
    "operator-missing": "error",              # I7
    "numeric-value-missing": "error",         # I8
    "numeric-unit-missing": "error",          # I8
    "unit-is-sentence": "error",              # I8
    "text-target-missing": "error",           # I9
    "satisfaction-target": "warning",         # I11
    "cost-above-funds": "warning",            # I12
    "vague-words": "warning",                 # I13
    "number-in-text-target": "warning",       # I13
    "duplicate-indicator": "warning",         # I14
    "qualitative-share-high": "warning",      # I15
    "basis-missing": "warning",               # I16
}
_NUMBER_IN_TEXT = re.compile(r"\d+(\.\d+)?\s*(%|％|个|次|户|人|家|项|篇|万元|元|天|日|小时|分钟)")


@dataclass
class _Emit:
    file: str
    table: Table
    rules: Rules
    out: list[Problem]

    def __call__(self, code: str, cell: str | None, message: str) -> None:
        severity = self.rules.severity.get(code, SEVERITY[code])
        self.out.append(Problem(severity, code, message, self.file,  # type: ignore[arg-type]
                                self.table.sheet, cell or self.table.anchor))


def run_rules(results: Iterable[ExtractResult], rules: Rules,
              per_file: list[list[Problem]] | None = None) -> list[Problem]:
    """Every rule finding for every table of ``results``, plus duplicate codes across them.
    ``per_file``: the findings of ``file_rules`` already made (by the workers that read)."""
    results = list(results)
    out = [p for found in per_file for p in found] if per_file is not None else \
        [p for result in results for p in file_rules(result, rules)]
    out.extend(_duplicate_codes(results, rules))
    return out


def file_rules(result: ExtractResult, rules: Rules) -> list[Problem]:
    """The findings of the rules that look at one file's tables alone."""
    out: list[Problem] = []
    # cells the reader already reported in this file are not reported again
    flagged = {(p.sheet, p.cell) for p in result.problems}
    for table in result.tables:
        emit = _Emit(result.source, table, rules, out)
        if table.kind == "project":
            _project_rules(table, emit)
        _table_indicator_rules(table, rules, emit)
        for ind in table.indicators:
            _indicator_rules(table, ind, rules, emit, flagged)
    return out


def _project_rules(table: Table, emit: _Emit) -> None:
    previous: tuple[str, float] | None = None
    for name, value in table.spend_plan.items():
        if value is None:
            continue
        if previous is not None and value < previous[1]:
            emit("spend-plan-not-cumulative", table.cells.get(f"spend_plan.{name}"),
                 f"资金支出计划 {name}（{value:g}）小于 {previous[0]}（{previous[1]:g}），累计进度不能减少；"
                 f"请改为不小于 {previous[1]:g} 的数")
        previous = (name, value)
    if previous is not None and previous[1] != 100:
        emit("spend-plan-not-complete", table.cells.get(f"spend_plan.{previous[0]}"),
             f"资金支出计划最后一个节点 {previous[0]} 为 {previous[1]:g}，年底累计进度通常应为 100；请核实")
    if not table.goals:
        emit("goals-missing", table.anchor, "没有填写绩效目标；请至少填写一个绩效目标（目标1）")


def _table_indicator_rules(table: Table, rules: Rules, emit: _Emit) -> None:
    inds = table.indicators
    if not inds:
        return
    levels = [rules.level1(i.level1) for i in inds]
    roles = rules.roles
    if roles["output"] not in levels:
        emit("no-output-indicator", table.anchor, f"没有{roles['output']}；请至少设置一个{roles['output']}")
    if roles["benefit"] not in levels:
        emit("no-benefit-indicator", table.anchor,
             f"没有{roles['benefit']}（效果指标）；请至少设置一个{roles['benefit']}")
    if roles["satisfaction"] not in levels:
        emit("no-satisfaction-indicator", table.anchor, f"没有{roles['satisfaction']}；建议设置服务对象满意度指标")
    if not any(rules.is_role("quantity", i.level2) for i in inds):
        emit("no-quantity-indicator", table.anchor, f"没有{roles['quantity']}；建议至少设置一个可计数的数量指标")
    seen: dict[str, Indicator] = {}
    for ind in inds:
        key = re.sub(r"\s+", "", ind.level3 or "")
        if key in seen:
            emit("duplicate-indicator", ind.cell,
                 f"三级指标“{ind.level3}”与 {seen[key].cell} 重复；请合并或改名")
        seen.setdefault(key, ind)
    share = sum(i.operator == "text" for i in inds) / len(inds)
    if share > rules.qualitative_share_max:
        emit("qualitative-share-high", table.anchor,
             f"定性（文字描述）指标占 {share:.0%}，超过 {rules.qualitative_share_max:.0%}；"
             "请尽量把目标改写成可量化的数值")


def _indicator_rules(table: Table, ind: Indicator, rules: Rules, emit: _Emit,
                     flagged: set[tuple[str | None, str | None]]) -> None:
    cells = ind.cells
    level1 = rules.level1(ind.level1)
    if level1 is None:
        known = "、".join(list(rules.categories) + list(rules.synonyms))
        emit("level1-unknown", cells.get("level1"),
             f"一级指标“{ind.level1 or '（空）'}”不是规定的类别；请改为 {known} 之一")
    elif not rules.level2_ok(level1, ind.level2):
        allowed = "、".join(rules.categories[level1])
        emit("level2-mismatch", cells.get("level2"),
             f"二级指标“{ind.level2 or '（空）'}”不属于一级指标“{ind.level1}”；请改为 {allowed} 之一")
    op = ind.operator
    if op is None:
        if (table.sheet, cells.get("operator")) in flagged:
            pass  # already reported by extract (operator-unknown)
        elif ind.value is None and ind.unit is None and ind.target_text is None:
            emit("target-missing", cells.get("operator") or ind.cell,
                 f"三级指标“{ind.level3}”没有填写指标值；请填写符号、值和单位（定性指标填“文字描述”和目标文字）")
        else:
            emit("operator-missing", cells.get("operator"),
                 "符号为空；请填写 ≥、>、=、<、≤ 之一，定性指标填“文字描述”")
    elif op in NUMERIC_OPERATORS:
        _numeric_rules(table, ind, level1, rules, emit, flagged)
    elif op == "text":
        if ind.target_text is None:
            emit("text-target-missing", cells.get("unit"),
                 "定性指标（文字描述）没有填写目标；请在“单位（文字描述）”栏写明要达到的目标")
        else:
            _text_rules(ind, rules, emit)
    if ind.basis is None:
        emit("basis-missing", cells.get("basis"), "指标值确定依据为空；请写明指标值的来源（文件、计划或历史数据）")


def _numeric_rules(table: Table, ind: Indicator, level1: str | None, rules: Rules, emit: _Emit,
                   flagged: set[tuple[str | None, str | None]]) -> None:
    cells = ind.cells
    shown = OPERATOR_SIGNS.get(ind.operator or "", ind.operator)
    if ind.value is None and (table.sheet, cells.get("value")) not in flagged:
        emit("numeric-value-missing", cells.get("value"), f"符号为“{shown}”但没有填写数值；请填写数字")
    unit = ind.unit
    if unit is None:
        emit("numeric-unit-missing", cells.get("unit"), "定量指标没有填写单位；请填写计量单位（如 %、个、次、户）")
    elif len(unit) > rules.unit_max_length or (re.search(r"\d", unit) and unit != "%"):
        emit("unit-is-sentence", cells.get("unit"),
             f"单位栏写的是一句话“{unit}”；单位栏只填计量单位（如 %），说明文字请写进绩效指标描述")
    if unit and any(w in unit for w in rules.vague_words):
        emit("vague-words", cells.get("unit"), f"指标值“{unit}”含模糊用语；请写成可衡量的数值和单位")
    if level1 == rules.roles["satisfaction"] or "满意" in (ind.level2 or ""):
        wrong = []
        if unit != "%":
            wrong.append("单位应为 %")
        if ind.operator not in (">=", ">"):
            wrong.append("符号应为 ≥")
        if ind.value is not None and ind.value < rules.satisfaction_min:
            wrong.append(f"目标值 {ind.value:g} 低于 {rules.satisfaction_min:g}")
        if wrong:
            emit("satisfaction-target", cells.get("value"),
                 f"满意度指标一般设为“≥{rules.satisfaction_min:g}%”：{'；'.join(wrong)}；请调整")
    if (rules.is_role("cost_level2", ind.level2) and table.amount is not None
            and ind.value is not None and unit in rules.money_units):
        in_wan = ind.value / 10000 if unit == "元" else ind.value * 10000 if unit == "亿元" else ind.value
        if in_wan > table.amount:
            emit("cost-above-funds", cells.get("value"),
                 f"成本指标 {ind.value:g}{unit} 超过项目年度资金总额 {table.amount:g} 万元；请核实")


def _text_rules(ind: Indicator, rules: Rules, emit: _Emit) -> None:
    text = ind.target_text or ""
    vague = [w for w in rules.vague_words if w in text]
    if vague:
        emit("vague-words", ind.cells.get("unit"),
             f"目标“{text}”含模糊用语（{'、'.join(vague)}）；请写成可检验的具体结果")
    if _NUMBER_IN_TEXT.search(text):
        emit("number-in-text-target", ind.cells.get("unit"),
             f"定性目标“{text}”里写了数值；请把符号改为 ≥ 等，数值和单位分别填入“值”和“单位”栏")


def _duplicate_codes(results: list[ExtractResult], rules: Rules) -> list[Problem]:
    places: dict[str, list[tuple[str, Table]]] = {}
    for result in results:
        for table in result.tables:
            if table.project_code:
                places.setdefault(table.project_code, []).append((result.source, table))
    out = []
    severity = rules.severity.get("project-code-duplicate", SEVERITY["project-code-duplicate"])
    for code, where in places.items():
        if len(where) < 2:
            continue
        listed = "；".join(f"{f}!{t.sheet}!{t.cells.get('project_code', t.anchor)}" for f, t in where)
        for source, table in where:
            out.append(Problem(severity, "project-code-duplicate",  # type: ignore[arg-type]
                               f"项目编码 {code} 出现了 {len(where)} 次：{listed}；同一项目只能填报一次，请删除重复或改正编码",
                               source, table.sheet, table.cells.get("project_code", table.anchor)))
    return out
