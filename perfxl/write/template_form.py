"""The layout of a blank template sheet: where each label sits, which cells staff fill in, what
each input cell accepts and the prompt it shows, and the values of a ``Table`` in those cells.

Kept apart from the writer so that tests (and the carry-forward) address input cells by field
name ("project_code", "goals.0", "ind.3.level2"), exactly the cells a clerk would type into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..a1 import to_a1
from ..review.ruleset import RuleSet

COLUMNS = 8  # 一级 二级 三级 描述 符号 值 单位 依据
WIDTHS = (14, 15, 20, 26, 8, 9, 16, 24)
CHECKPOINTS = ("3月底", "6月底", "10月底", "12月底")
IND_FIELDS = ("level1", "level2", "level3", "description", "operator", "value", "unit", "basis")
TITLES = {"project": "预算项目绩效表", "department": "部门整体支出绩效指标"}


@dataclass(frozen=True)
class Label:
    """One fixed label cell (top-left of its merge), its text and its style."""

    row: int
    col: int
    row2: int
    col2: int
    text: str
    style: str  # label | title | fixed


@dataclass(frozen=True)
class Input:
    """One input cell (top-left of its merge): the field it holds and what it accepts."""

    key: str
    row: int
    col: int
    row2: int
    col2: int
    accepts: str  # text | long | level1 | level2 | operator | number | percent | money | unit
    prompt: str

    @property
    def a1(self) -> str:
        return to_a1(self.row, self.col)


@dataclass
class Form:
    """A template sheet: fixed labels, input cells and the first/last indicator rows."""

    kind: str
    labels: list[Label] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    first_indicator: int = 0
    last_indicator: int = 0
    widths: tuple[int, ...] = WIDTHS

    def label(self, r: int, c: int, text: str, style: str = "label", r2: int | None = None,
              c2: int | None = None) -> None:
        self.labels.append(Label(r, c, r if r2 is None else r2, c if c2 is None else c2, text, style))

    def input(self, key: str, r: int, c: int, accepts: str, prompt: str, r2: int | None = None,
              c2: int | None = None) -> None:
        self.inputs.append(Input(key, r, c, r if r2 is None else r2, c if c2 is None else c2,
                                 accepts, prompt))

    def cell(self, key: str) -> str:
        """The A1 address of the input cell holding ``key``."""
        return next(i.a1 for i in self.inputs if i.key == key)


def prompts(rules: RuleSet) -> dict[str, str]:
    """The input message of every kind of input cell (Excel allows 255 characters)."""
    level1 = "、".join(rules.categories)
    ops = " ".join(rules.operators)
    return {
        "department": "填写本单位全称，如：承德高新区经济发展局",
        "project_code": "填写财政下达的项目编码，如 105-0901-YBN-DPPC",
        "project_name": "填写项目全称，与预算系统一致",
        "template": "填写项目采用的绩效模板名称；没有可不填",
        "purpose": "简要写明资金用于什么（可换行：Alt+Enter）",
        "funds": "填写金额，单位：万元；只填数字",
        "spend_plan": "填写截至该时点累计支出的百分比，0 到 100 之间的数字，逐期不减少，12月底一般为 100",
        "goals": "每格写一个年度绩效目标；不够时在本行下方插入行，左侧写“目标N”",
        "level1": f"从下拉列表选择：{level1}。每行都要填写，不要合并单元格",
        "level2": "先选一级指标，再从下拉列表选择它下面的二级指标",
        "level3": "填写三级指标名称，每行一个指标；不够时插入行（在已有指标行之间插入可保留下拉列表）",
        "description": "说明这个指标衡量什么、怎么计算（可不填）",
        "operator": f"选择符号：{ops}。定性指标选“文字描述”，目标写在“单位（文字描述）”列",
        "value": "只填数字，如 95；百分比指标填 95 并在单位列填 %；定性指标不填",
        "unit": "选择或填写计量单位（%、个、次、万元…）；定性指标在这里写目标文字",
        "basis": "写明指标值的确定依据，如：计划标准、历史标准、行业标准",
    }


def _indicator_block(form: Form, r: int, rows: int, text: dict[str, str]) -> None:
    for c, name in ((0, "一级指标"), (1, "二级指标"), (2, "三级指标"), (3, "绩效指标描述"),
                    (7, "指标值确定依据")):
        form.label(r, c, name, r2=r + 1)
    form.label(r, 4, "指标值", c2=6)
    for c, name in ((4, "符号"), (5, "值"), (6, "单位（文字描述）")):
        form.label(r + 1, c, name)
    form.first_indicator = r + 2
    form.last_indicator = r + 1 + rows
    accepts = {"level1": "level1", "level2": "level2", "operator": "operator", "value": "number",
               "unit": "unit", "description": "long", "basis": "long", "level3": "text"}
    for i in range(rows):
        for c, name in enumerate(IND_FIELDS):
            form.input(f"ind.{i}.{name}", r + 2 + i, c, accepts[name], text[name])


def build_form(kind: str, rules: RuleSet, rows: int = 20, goals: int = 5,
               checkpoints: tuple[str, ...] = CHECKPOINTS) -> Form:
    """The layout of a ``kind`` ("project" or "department") sheet with ``rows`` indicator rows."""
    text = prompts(rules)
    form = Form(kind)
    form.label(0, 0, TITLES[kind], "title", c2=COLUMNS - 1)
    form.label(1, 0, "单位名称")
    form.input("department", 1, 1, "text", text["department"], c2=4)
    if kind == "department":
        _indicator_block(form, 2, rows, text)
        return form
    form.label(1, 5, "金额单位", c2=6)
    form.label(1, 7, "万元", "fixed")
    form.label(2, 0, "项目编码")
    form.input("project_code", 2, 1, "text", text["project_code"], c2=2)
    form.label(2, 3, "项目名称")
    form.input("project_name", 2, 4, "text", text["project_name"], c2=7)
    form.label(3, 0, "项目绩效模板")
    form.input("template", 3, 1, "text", text["template"], c2=7)
    form.label(4, 0, "资金用途")
    form.input("purpose", 4, 1, "long", text["purpose"], c2=7)
    form.label(5, 0, "项目资金（万元）", r2=6)
    for c, name, key in ((1, "年度资金总额", "amount"), (3, "其中：财政拨款", "funds_fiscal"),
                         (5, "其他资金", "funds_other")):
        form.label(5, c, name, c2=c + 1 + (c == 5))
        form.input(key, 6, c, "money", text["funds"], c2=c + 1 + (c == 5))
    form.label(7, 0, "资金支出计划（累计进度%）", r2=8)
    for (c1, c2), name in zip(_spans(len(checkpoints)), checkpoints, strict=False):
        form.label(7, c1, name, c2=c2)
        form.input(f"spend_plan.{name}", 8, c1, "percent", text["spend_plan"], c2=c2)
    form.label(9, 0, "绩效目标", r2=8 + goals)
    for i in range(goals):
        form.label(9 + i, 1, f"目标{i + 1}")
        form.input(f"goals.{i}", 9 + i, 2, "long", text["goals"], c2=7)
    _indicator_block(form, 9 + goals, rows, text)
    return form


def _spans(n: int) -> list[tuple[int, int]]:
    """Columns B..H shared out among ``n`` checkpoints (the common four: B:C D:E F:G H)."""
    n = max(1, min(n, COLUMNS - 1))
    width, extra = divmod(COLUMNS - 1, n)
    spans, c = [], 1
    for i in range(n):
        w = width + (1 if i < extra else 0)
        spans.append((c, c + w - 1))
        c += w
    return spans


def table_values(table: dict[str, Any], rules: RuleSet) -> dict[str, Any]:
    """The input-cell values (by key) that reproduce a contract ``table`` in a template."""
    values: dict[str, Any] = {k: table.get(k) for k in
                              ("department", "project_code", "project_name", "template", "purpose")}
    values["amount"] = table.get("amount")
    for name, value in (table.get("spend_plan") or {}).items():
        values[f"spend_plan.{name}"] = value
    for i, goal in enumerate(table.get("goals") or []):
        values[f"goals.{i}"] = goal
    for i, ind in enumerate(table.get("indicators") or []):
        row = {k: ind.get(k) for k in IND_FIELDS}
        row["operator"] = rules.operator_display(ind.get("operator"))
        if ind.get("operator") == "text":
            row["unit"] = ind.get("target_text")
        values.update({f"ind.{i}.{k}": v for k, v in row.items()})
    return {k: v for k, v in values.items() if v is not None}


def form_for(table: dict[str, Any], rules: RuleSet, rows: int, goals: int) -> Form:
    """A form big enough for ``table``, keeping its own spend-plan checkpoints."""
    plan = tuple(table.get("spend_plan") or ()) or CHECKPOINTS
    return build_form(table["kind"], rules, rows=max(rows, len(table.get("indicators") or ()) + 10),
                      goals=max(goals, len(table.get("goals") or ()) + 1), checkpoints=plan)
