"""Normalisation of free text found in staff workbooks: strings, operators, numbers and units.

Follows ``docs/extract-contract.md``. Every function is pure and total: bad input gives
``None`` (or the text as written), never an exception.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from functools import lru_cache
from typing import Any

# Whitespace that str.strip() misses or that staff paste from Word: U+3000, U+00A0, ZWSP, BOM.
WHITESPACE = " \t\r\n\u3000\u00a0\u200b\ufeff\u2002\u2003\u2009"
_STRIP = WHITESPACE

OPERATORS: tuple[str, ...] = (">=", ">", "=", "<", "<=", "text")
NUMERIC_OPERATORS: frozenset[str] = frozenset({">=", ">", "=", "<", "<="})
# how a normalised 符号 is shown to people (summaries, messages, drawn fixtures)
OPERATOR_SIGNS: dict[str, str] = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "=", "text": "文字描述"}

_OPERATOR_MAP: dict[str, str] = {
    ">=": ">=", "≥": ">=", "=>": ">=", "≧": ">=", "大于等于": ">=", "不低于": ">=",
    "不少于": ">=", "大于或等于": ">=", "以上": ">=",
    "<=": "<=", "≤": "<=", "=<": "<=", "≦": "<=", "小于等于": "<=", "不高于": "<=",
    "不超过": "<=", "小于或等于": "<=", "以下": "<=",
    "=": "=", "==": "=", "等于": "=", "═": "=",
    "不大于": "<=", "不小于": ">=",
    ">": ">", "大于": ">", "高于": ">", "<": "<", "小于": "<", "低于": "<",
    "文字描述": "text", "定性": "text", "文字": "text", "定性描述": "text", "描述": "text",
    "text": "text",
}
_PERCENT_UNITS = frozenset({"%", "百分比", "百分率", "百分之", "百分点"})
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_LEADING_OPERATOR = re.compile(r"^(大于或等于|小于或等于|大于等于|小于等于|不低于|不少于|不高于|不超过|不大于|不小于|"
                               r"大于|小于|高于|低于|等于|>=|<=|=>|=<|≥|≤|≧|≦|>|<|=|═)\s*")


_WIDE = r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]"
_RUNS = re.compile(f"[{WHITESPACE}\\x00-\\x1f\\x7f]+")
_BY_WIDE = re.compile(f" (?={_WIDE})|(?<={_WIDE}) ")


def name_text(value: Any) -> str | None:
    """A name staff typed (a spend-plan checkpoint, a column): ``clean_text`` with every run of
    spaces, tabs, line breaks and control characters one space, and none beside a Chinese
    character — "3月\t底" and "3月 底" are 3月底; "Q1 2024" keeps its space."""
    text = clean_text(value)
    if text is None:
        return None
    return _BY_WIDE.sub("", _RUNS.sub(" ", text)).strip() or None


def clean_text(value: Any) -> str | None:
    """Any cell value as stripped text; numbers without a useless ``.0``; blank -> None."""
    if type(value) is str:
        return value.strip(_STRIP) or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip(_STRIP)
    return text or None


def fold(text: str) -> str:
    """Full-width forms to half-width (NFKC) without touching Chinese characters."""
    return unicodedata.normalize("NFKC", text)


def label_key(value: Any) -> str:
    """A label as a comparison key: no whitespace at all, half-width, no trailing colon."""
    text = clean_text(value)
    if text is None:
        return ""
    text = fold(text)
    text = re.sub(r"\s+", "", text)
    return text.rstrip(":：")


def normalize_operator(value: Any) -> str | None:
    """符号 as one of ``OPERATORS``; None when blank or not recognisable."""
    text = clean_text(value)
    return None if text is None else _operator(text)


@lru_cache(maxsize=1024)
def _operator(text: str) -> str | None:
    return _OPERATOR_MAP.get(re.sub(r"\s+", "", fold(text)))


def normalize_unit(value: Any) -> str | None:
    """单位 as written (stripped), with every spelling of per cent folded to ``%``."""
    text = clean_text(value)
    if text is None:
        return None
    return "%" if is_percent_unit(text) else text


@lru_cache(maxsize=1024)
def is_percent_unit(unit: str | None) -> bool:
    return unit is not None and fold(unit).strip(_STRIP) in _PERCENT_UNITS


def parse_number(value: Any) -> float | None:
    """A number from a cell: real numbers, numbers typed as text ("80.00", "00.00", "1,000",
    "８０"), and text percentages ("80%" -> 80.0). None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    text = clean_text(value)
    if text is None:
        return None
    text = fold(text).replace(",", "").replace(" ", "")
    if text.endswith("%"):
        text = text[:-1]
    if not _NUMBER.match(text):
        return None
    number = float(text)
    return None if math.isinf(number) else number


def split_target(value: Any) -> tuple[str | None, float | None, str | None]:
    """Split a whole 指标值 written in one cell ("≥80%", ">= 95 百分比", "3个") into
    (operator, value, unit). Parts that are absent come back as None."""
    if type(value) is float or type(value) is int:
        return None, parse_number(value), None
    text = clean_text(value)
    if text is None:
        return None, None, None
    folded = fold(text)
    operator = None
    m = _LEADING_OPERATOR.match(folded)
    if m:
        operator = normalize_operator(m.group(1))
        folded = folded[m.end():]
    m = re.match(r"^([+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+))\s*(.*)$", folded)
    if not m:
        return operator, None, None
    number = parse_number(m.group(1))
    unit = normalize_unit(m.group(2))
    return operator, number, unit
