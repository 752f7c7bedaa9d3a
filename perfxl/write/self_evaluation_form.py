"""The layout of a 项目支出绩效自评表 template (the national 2020 form): header, money block
(年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分), 预期目标 | 实际完成情况, the
indicator block (年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施) and a 总分 row.

Built from the year's approved target table, the approved parts — project, units, budget, goals,
every indicator with its target and weight — are written as locked cells, so a self-evaluation
made from it cannot lower a target; the unit fills in what was achieved."""

from __future__ import annotations

from typing import Any

from ..model import Table
from ..review.approved_targets import shown
from ..review.ruleset import RuleSet
from .template_form import Form

WIDTHS = (13, 15, 22, 14, 14, 8, 8, 30)
TITLE = "项目支出绩效自评表"
_PROMPTS = {
    "actual": "填写全年实际完成的数值（带单位，如 95%、120人次）或完成情况",
    "score": "按评分规则填写本项得分，不能高于分值",
    "deviation": "未达到目标时写明偏差原因和改进措施；达到的可不填",
    "weight": "填写本项分值；各项分值与预算执行率分值合计 100",
    "money": "填写金额，单位：万元；只填数字",
    "rate": "执行率 = 全年执行数 ÷ 全年预算数，填百分数，如 95",
    "achieved": "写明年度目标的实际完成情况",
    "text": "填写",
}


def build_self_evaluation_form(rules: RuleSet, table: Table | None = None, rows: int = 10) -> Form:
    """A self-evaluation sheet; with ``table`` (an approved target table) pre-filled and locked."""
    form = Form("self-evaluation", widths=WIDTHS)
    form.label(0, 0, f"{table.year}年度{TITLE}" if table and table.year else TITLE, "title", c2=7)
    _fixed_or_input(form, "project_name", 1, 0, "项目名称", table.project_name if table else None, c2=7)
    _fixed_or_input(form, "supervisor", 2, 0, "主管部门", table.supervisor if table else None, c2=3)
    _fixed_or_input(form, "implementer", 2, 4, "实施单位", table.implementer or table.department if table else None,
                    c2=7)
    form.label(3, 0, "项目资金\n（万元）", r2=6)
    for c, name in enumerate(("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), start=2):
        form.label(3, c, name)
    for r, line in ((4, "年度资金总额"), (5, "其中：财政拨款"), (6, "其他资金")):
        form.label(r, 1, line)
        if r == 4 and table is not None and table.amount is not None:
            form.label(r, 2, f"{table.amount:g}", "fixed")
        else:
            form.input(f"funds.{r}.年初预算数", r, 2, "money", _PROMPTS["money"])
        form.input(f"funds.{r}.全年预算数", r, 3, "money", _PROMPTS["money"])
        form.input(f"funds.{r}.全年执行数", r, 4, "money", _PROMPTS["money"])
    form.label(4, 5, f"{rules.scoring.execution_weight:g}", "fixed")
    form.input("funds.4.执行率", 4, 6, "percent", _PROMPTS["rate"])
    form.input("funds.4.得分", 4, 7, "number", _PROMPTS["score"])
    form.label(7, 0, "年度\n总体\n目标", r2=8)
    form.label(7, 1, "预期目标", c2=3)
    form.label(7, 4, "实际完成情况", c2=7)
    goals = "；".join(table.goals) if table is not None and table.goals else None
    if goals:
        form.label(8, 1, goals, "fixed", c2=3)
    else:
        form.input("goals.0", 8, 1, "long", "写明本年度的预期目标", c2=3)
    form.input("goals_achieved.0", 8, 4, "long", _PROMPTS["achieved"], c2=7)
    header = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施")
    for c, name in enumerate(header):
        form.label(9, c, name)
    indicators = list(table.indicators) if table is not None else []
    form.first_indicator = 10
    count = len(indicators) if indicators else rows
    for i in range(count):
        r = 10 + i
        if i < len(indicators):
            ind = indicators[i]
            for c, value in enumerate((ind.level1, ind.level2, ind.level3, shown(ind))):
                form.label(r, c, value or "", "fixed")
            if ind.weight is not None:
                form.label(r, 5, f"{ind.weight:g}", "fixed")
            else:
                form.input(f"ind.{i}.weight", r, 5, "number", _PROMPTS["weight"])
        else:
            for c, key in enumerate(("level1", "level2", "level3", "target")):
                form.input(f"ind.{i}.{key}", r, c, {"level1": "level1", "level2": "level2"}.get(key, "text"),
                           _PROMPTS["text"])
            form.input(f"ind.{i}.weight", r, 5, "number", _PROMPTS["weight"])
        form.input(f"ind.{i}.actual", r, 4, "text", _PROMPTS["actual"])
        form.input(f"ind.{i}.score", r, 6, "number", _PROMPTS["score"])
        form.input(f"ind.{i}.deviation", r, 7, "long", _PROMPTS["deviation"])
    form.last_indicator = 9 + count
    total = 10 + count
    form.label(total, 0, "总分", c2=4)
    form.label(total, 5, "100", "fixed")
    form.input("totals.得分", total, 6, "number", "各项得分与预算执行率得分之和")
    form.input("totals.等级", total, 7, "text", "优（≥90）、良（80–90）、中（60–80）、差（<60）")
    return form


def _fixed_or_input(form: Form, key: str, r: int, c: int, label: str, value: Any, c2: int) -> None:
    form.label(r, c, label)
    if value:
        form.label(r, c + 1, str(value), "fixed", c2=c2)
    else:
        form.input(key, r, c + 1, "text", _PROMPTS["text"], c2=c2)
