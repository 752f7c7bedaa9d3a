"""The rows of an indicator block as ``Indicator`` records: 一级/二级 carried down their merges (a
weight written in the 一级 cell split off), the 三级 name, the target from its own columns (符号 |
值 | 单位) or from one cell (``≥95%``, ``10辆``, ``大于等于90``), weight, actual, score, deviation,
and every other column kept in ``extra``. Template hint rows left unfilled are not indicators."""

from __future__ import annotations

import re
from typing import Any

from ..a1 import to_a1
from ..model import Indicator
from .cell_reader import Reader, value_text
from .locate import Block
from .normalize import clean_text, fold, is_percent_unit, normalize_operator, normalize_unit, parse_number, split_target

Target = tuple[str | None, float | None, str | None, str | None]  # operator, value, unit, words

_MERGED_FIELDS = ("level1", "level2", "basis")
_LEVEL_WEIGHT = re.compile(r"^(.*?)\s*[(（]\s*(?:\d+(?:\.\d+)?\s*[-–~～]\s*)?(\d+(?:\.\d+)?)\s*分?\s*[)）]\s*分?$")
_NOT_NAME = ("level1", "level2", "level3")


def read_indicators(rd: Reader, block: Block, rows: tuple[int, int] | None = None) -> tuple[Indicator, ...]:
    """Every indicator of ``block`` (of the rows ``rows`` only, for one project of a list)."""
    grid, cols = rd.grid, block.cols
    out: list[Indicator] = []
    level1: str | None = None
    level1_weight: float | None = None
    level2: str | None = None
    level1_raw: str | None = None
    written: dict[str, str] = {}  # level1/level2 -> the cell they were last written in (rows below leave them blank)
    rest = [c for f, c in cols.items() if f not in _NOT_NAME] + block.extra
    c1, c2, c3 = cols.get("level1"), cols.get("level2"), cols["level3"]
    first, last = rows if rows is not None else (block.data_start, block.end)
    sheet_rows = grid.sheet.rows
    # a column may lie past the last value of the sheet (a 指标值 merged to the right edge, left empty)
    width = max(grid.sheet.width, *cols.values(), *block.extra) + 1
    for r in range(first, last + 1):
        row = sheet_rows[r]
        if len(row) < width:
            row = row + [""] * (width - len(row))
        if c1 is not None:
            l1 = clean_text(grid.merged_value(r, c1))
            if l1 is not None:
                written["level1"] = to_a1(*grid.span(r, c1)[:2])
            if l1 is not None and l1 != level1_raw:
                level1_raw = l1
                name, weight = split_level_weight(l1)
                if name != level1:
                    level1, level1_weight, level2 = name, weight, None
        if c2 is not None:
            l2 = clean_text(grid.merged_value(r, c2))
            if l2 is not None:
                level2 = l2
                written["level2"] = to_a1(*grid.span(r, c2)[:2])
        level3 = clean_text(row[c3])
        if level3 is None:
            if any(clean_text(row[c]) is not None for c in rest):
                rd.problem("indicator-name-missing", r, c3)
            continue
        if rd.vocab.has("marks", "hint", level3) and not any(clean_text(row[c]) is not None for c in rest):
            continue  # a template's 指标1 / …… left unfilled
        out.append(_indicator(rd, block, r, row, level1, level1_weight, level2, level3, written))
    return tuple(out)


def split_level_weight(text: str) -> tuple[str, float | None]:
    """"产出指标(50分)" -> ("产出指标", 50.0); a name without a weight stays as it is."""
    m = _LEVEL_WEIGHT.match(fold(text))
    if m and m.group(1):
        return text[:len(m.group(1))].rstrip(), float(m.group(2))
    return text, None


def _indicator(rd: Reader, block: Block, r: int, row: list[Any], level1: str | None,
               level1_weight: float | None, level2: str | None, name: str, written: dict[str, str]) -> Indicator:
    grid, cols = rd.grid, block.cols
    span = grid.span
    cells = {f: to_a1(*span(r, c)[:2]) if f in _MERGED_FIELDS else to_a1(r, c) for f, c in cols.items()}
    cells.update((f, cell) for f, cell in written.items() if f in cells and (level1, level2)[f == "level2"])
    if "target" in cols and "operator" not in cols:  # one cell holds sign, value and unit
        cells.update(operator=cells["target"], value=cells["target"], unit=cells["target"])
    description = value_text(row[cols["description"]]) if "description" in cols else None
    basis = value_text(grid.merged_value(r, cols["basis"])) if "basis" in cols else None
    extra: dict[str, Any] = {}
    if "operator" in cols:
        operator, value, unit, words = _target_columns(rd, block, r, row, extra)
    elif "target" in cols:
        operator, value, unit, words = _target_combined(rd, r, cols["target"])
        if unit is None and operator not in (None, "text") and "unit" in cols:  # 目标值 | 计量单位
            unit = normalize_unit(value_text(row[cols["unit"]]))
    else:  # a header without any 指标值 column: the reader says so once per table (see parse)
        operator, value, unit, words = None, None, None, None
    actual, actual_value = _actual(rd, r, cols.get("actual"))
    for c in block.extra:
        text = clean_text(grid.merged_value(r, c))
        if text is not None:
            extra[block.headers[c]] = text
    return Indicator(level1, level2, name, description, operator, value, unit, words, basis, cells["level3"], cells,
                     weight=_points(row, cols.get("weight")), level1_weight=level1_weight, actual=actual,
                     actual_value=actual_value, score=_points(row, cols.get("score")),
                     deviation=value_text(row[cols["deviation"]]) if "deviation" in cols else None, extra=extra)


def _points(row: list[Any], col: int | None) -> float | None:
    return None if col is None else parse_number(row[col])


def _actual(rd: Reader, r: int, col: int | None) -> tuple[str | None, float | None]:
    """实际完成值 as displayed ("100%", "72890", "达成预期指标") and as a number when it is one."""
    if col is None:
        return None, None
    raw = rd.grid.value(r, col)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and (r, col) in rd.grid.sheet.percent:
        number = round(float(raw) * 100, 10)
        return f"{number:g}%", number
    text = clean_text(raw)
    if text is None or text in ("—", "——", "-", "/"):
        return None, None
    return text, actual_number(text)


def actual_number(text: str | None) -> float | None:
    """An 实际完成值 as written ("120人次", "81%") as a number, when it holds one."""
    if text is None:
        return None
    _, split, _ = split_target(text)
    return split if split is not None else parse_number(text)


def _target_columns(rd: Reader, block: Block, r: int, row: list[Any], extra: dict[str, Any]) -> Target:
    """指标值 written in columns: 符号 | 值 | 单位（文字描述）."""
    grid, cols = rd.grid, block.cols
    op_col = cols["operator"]
    raw_op = row[op_col] or None
    vcol = cols.get("value")
    raw_value = row[vcol] if vcol is not None else None
    if raw_value == "":
        raw_value = None
    unit = clean_text(row[cols["unit"]]) if "unit" in cols else None
    operator = normalize_operator(raw_op)
    op_text = clean_text(raw_op)
    if operator is None and op_text is not None:
        if rd.vocab.has("marks", "direction", op_text):
            extra[block.headers.get(op_col, "指标性质")] = op_text  # 正向/反向: a direction, not a sign
        elif (vcol is not None and grid.span(r, op_col)[3] >= vcol) or (raw_value is None and unit is None):
            return _split(rd, r, op_col, op_text)  # the whole target written across the merged cells
        else:
            rd.problem("operator-unknown", r, op_col, text=op_text)
    if operator == "text":
        return "text", None, None, unit or clean_text(raw_value)
    if type(raw_value) is str:
        inline_op, inline_value, inline_unit = split_target(raw_value)
        if inline_op is not None:  # "≥80" typed into the 值 column
            return operator or inline_op, inline_value, normalize_unit(unit or inline_unit), None
    value = None
    if vcol is not None and clean_text(raw_value) is not None:
        value = rd.number(r, vcol, "value-not-number")
        if (r, vcol) in grid.sheet.percent or (
                isinstance(raw_value, str) and raw_value.strip().endswith(("%", "％"))):
            unit = unit if unit is not None and not is_percent_unit(unit) else "%"
    return operator, value, normalize_unit(unit), None


def _target_combined(rd: Reader, r: int, col: int) -> Target:
    """指标值 written in one cell: "≥80%", "100%", "2km", "及时支付", or a bare number."""
    raw = rd.grid.value(r, col)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = rd.number(r, col, "value-not-number")
        unit = "%" if (r, col) in rd.grid.sheet.percent else None
        return "=", value, unit, None
    text = clean_text(raw)
    if text is None or text in ("—", "——", "-", "/"):
        return None, None, None, None
    return _split(rd, r, col, text)


def _split(rd: Reader, r: int, col: int, text: str) -> Target:
    operator, value, unit = split_target(text)
    if value is None:
        if operator is not None:  # "≥ 较高水平": a sign with no number after it
            rd.problem("target-unsplit", r, col, text=text)
            return None, None, None, None
        return "text", None, None, text
    return operator or "=", value, unit, None
