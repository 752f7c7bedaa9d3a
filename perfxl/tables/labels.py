"""The labels that identify tables and their fields, with the variants met in real files.

Matching is done on ``label_key`` (no whitespace, half-width, no trailing colon) and, failing
that, on the key with any bracketed remark removed ("资金支出计划(累计进度%)" -> "资金支出计划").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .normalize import WHITESPACE, clean_text, fold, label_key

# field name -> accepted spellings (already in key form)
_VARIANTS: dict[str, tuple[str, ...]] = {
    "project_code": ("项目编码", "项目代码", "项目编号"),
    "project_name": ("项目名称",),
    "template": ("项目绩效模板", "绩效模板"),
    "purpose": ("资金用途", "项目资金用途", "资金使用用途"),
    "spend_plan": ("资金支出计划", "支出计划", "资金支出进度计划", "资金支出进度"),
    "goals": ("绩效目标", "年度绩效目标", "项目绩效目标", "年度目标"),
    "funds_block": ("项目资金", "项目资金情况", "资金情况"),
    "funds_total": ("年度资金总额", "资金总额", "项目资金总额", "年度资金总额万元"),
    "funds_fiscal": ("财政拨款", "其中财政拨款", "其中:财政拨款"),
    "funds_other": ("其他资金",),
    "department": ("单位名称", "部门名称", "填报单位", "预算单位", "部门(单位)名称",
                   "单位(部门)名称"),
    "money_unit": ("金额单位", "单位:万元", "单位:元"),
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "level3": ("三级指标",),
    "description": ("绩效指标描述", "指标描述", "指标内容", "指标说明", "绩效指标说明"),
    "target": ("指标值", "目标值", "指标目标值", "年度指标值"),
    "basis": ("指标值确定依据", "指标值设定依据", "确定依据", "设定依据", "指标值确定依据及说明",
              "指标确定依据"),
    "operator": ("符号", "运算符"),
    "value": ("值", "数值", "指标数值"),
    "unit": ("单位(文字描述)", "单位", "计量单位", "单位(文字)", "单位或文字描述"),
    "title_project": ("预算项目绩效表", "预算项目绩效信息表", "项目绩效目标表", "项目支出绩效目标表"),
    "title_department": ("部门整体支出绩效指标", "部门整体支出绩效指标情况", "部门整体支出绩效指标表",
                         "部门整体绩效指标", "部门整体支出绩效目标表"),
}
_INDEX: dict[str, str] = {v: name for name, variants in _VARIANTS.items() for v in variants}

PROJECT_FIELDS = frozenset({"project_code", "project_name", "template", "purpose", "spend_plan",
                            "goals", "funds_block", "funds_total", "funds_fiscal", "funds_other"})
HEADER_FIELDS = frozenset({"level1", "level2", "level3", "description", "target", "basis"})
SUBHEADER_FIELDS = frozenset({"operator", "value", "unit"})
TITLE_FIELDS = frozenset({"title_project", "title_department"})
# Labels that can only begin a new table (or sit in a report header), never sit inside a block.
START_FIELDS = PROJECT_FIELDS | TITLE_FIELDS | {"department", "money_unit", "level1", "level3"}

_BRACKETS = re.compile(r"(?<=.)\([^)]*\)")  # a remark after the label, not "(一)" before it
_INLINE = re.compile(r"^(单位名称|部门名称|填报单位|预算单位|金额单位)\s*[:：]\s*(.+)$")
_GOAL = re.compile(r"^目标\s*\d+$")


# First characters a label can start with: most cells (values, sentences) are rejected on it.
_STARTS = frozenset(v[0] for v in _INDEX) | {"其"}
# ... and what a label or inline report header may start with as written (whitespace, full-width
# forms included); a cell starting with anything else is neither.
MAY_START = frozenset(_STARTS | set(WHITESPACE) | {"单", "部", "填", "预", "金"}
                      | {chr(c) for c in range(0xFF01, 0xFF5F)})


def classify(value: Any) -> str | None:
    """The field a label cell names, or None when the cell is not a known label."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    if value[0] in _STARTS:
        return _classify(value)
    if value[0] not in WHITESPACE and fold(value[0]) not in _STARTS:
        return None
    head = value.lstrip(WHITESPACE)[:1]
    return _classify(value) if head and fold(head) in _STARTS else None


@lru_cache(maxsize=4096)
def _classify(value: str) -> str | None:
    key = label_key(value)
    if not key:
        return None
    found = _INDEX.get(key)
    if found is None:
        found = _INDEX.get(_BRACKETS.sub("", key))
    if found is None and key.startswith("其中"):
        found = _INDEX.get(key[2:].lstrip(":"))
    if found is None and key.startswith("资金支出计划"):
        found = "spend_plan"
    return found


def inline_label(value: Any) -> tuple[str, str] | None:
    """A report header written in one cell ("单位名称：某局") as (field, value)."""
    if isinstance(value, str) and ":" not in value and "：" not in value:
        return None
    text = clean_text(value)
    if text is None or len(text) > 80:
        return None
    m = _INLINE.match(fold(text).strip())
    if not m:
        return None
    name = "money_unit" if m.group(1) == "金额单位" else "department"
    return name, m.group(2).strip()


def is_goal_label(value: Any) -> bool:
    """True for 目标1, 目标 2, 目标１ …"""
    text = clean_text(value)
    return text is not None and bool(_GOAL.match(fold(text)))


def looks_like_level1(value: Any) -> bool:
    """True when a text could be a 一级指标 name (rather than a paragraph of narrative)."""
    text = clean_text(value)
    return text is not None and len(text) <= 12 and "指标" in text
