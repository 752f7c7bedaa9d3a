"""Recognising the cells that are not plain labels: report headers written in one cell
(``单位名称：某局``, ``部门:某校``, ``金额单位：元``), numbered goal labels (目标1, 目标 2 …) and
the texts that can be a 一级指标 name. Plain labels are looked up in the ``Vocabulary``."""

from __future__ import annotations

import re
from typing import Any

from .normalize import clean_text, fold
from .vocabulary import Vocabulary

# "填报单位（盖章）：某局": a stamp mark between the label and its colon is not part of either
_INLINE = re.compile(r"^(单位名称|部门名称|填报单位|预算单位|预算部门|编制单位|部门|金额单位|单位)\s*"
                     r"(?:[(（]\s*(?:盖章|公章|签章)\s*[)）])?\s*[:：]\s*(.+)$")
# what an inline report header may start with as written
INLINE_START = frozenset("单部填预编金 \u3000")
_GOAL = re.compile(r"^目标\s*\d+$")
_MONEY_UNITS = ("元", "万元", "人民币元", "千元", "亿元")


def inline_label(value: Any, vocab: Vocabulary) -> tuple[str, str] | None:
    """A report header written in one cell ("单位名称：某局", "单位:万元") as (field, value)."""
    if isinstance(value, str) and ":" not in value and "：" not in value:
        return None
    text = clean_text(value)
    if text is None:  # no cap on length: a unit's full name can run past 200 characters
        return None
    m = _INLINE.match(fold(text).strip())
    if not m:
        return None
    label, rest = m.group(1), m.group(2).strip()
    if label in ("金额单位", "单位"):
        return ("money_unit", rest) if rest.rstrip("。") in _MONEY_UNITS else None
    if vocab.has("marks", "stamp", rest):
        return None
    return "department", rest


def is_goal_label(value: Any) -> bool:
    """True for 目标1, 目标 2, 目标１ …"""
    text = clean_text(value)
    return text is not None and bool(_GOAL.match(fold(text)))


def looks_like_level1(value: Any) -> bool:
    """True when a text could be a 一级指标 name (rather than a paragraph of narrative)."""
    text = clean_text(value)
    return text is not None and len(text) <= 16 and "指标" in text
