"""Turning a located region into a ``Table``: header fields, spend plan, goals and indicators,
each value normalised and tied to its source cell. Data faults met on the way become Problems."""

from __future__ import annotations

from typing import Any

from ..a1 import from_a1, to_a1
from ..model import Indicator, Problem, Table
from ..problems import problem
from .labels import classify, is_goal_label
from .locate import Block, Hit, Region
from .merged_grid import MergedGrid
from .normalize import clean_text, is_percent_unit, normalize_operator, normalize_unit, parse_number, split_target


class _Reader:
    """Collects cell references and problems while one table is read."""

    def __init__(self, grid: MergedGrid, file: str | None) -> None:
        self.grid = grid
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, code: str, row: int, col: int, **params: Any) -> None:
        self.problems.append(problem(code, file=self.file, sheet=self.grid.sheet.name,
                                     cell=to_a1(row, col), **params))

    def number(self, row: int, col: int, code: str, **params: Any) -> float | None:
        """The number at (row, col); a problem of ``code`` when the cell holds text."""
        raw = self.grid.value(row, col)
        number = parse_number(raw)
        if number is None:
            if clean_text(raw) is not None:
                self.problem(code, row, col, text=clean_text(raw), **params)
            return None
        if (row, col) in self.grid.sheet.percent:
            number = round(number * 100, 10)
        return number


def read_table(grid: MergedGrid, region: Region, file: str | None) -> tuple[Table, list[Problem]]:
    """The table described by ``region``, and the problems found while reading it."""
    rd = _Reader(grid, file)
    cells: dict[str, str] = {}
    fields: dict[str, Any] = {}
    labels = {h.field: h for h in reversed(region.labels)}  # first occurrence wins
    for name in ("project_code", "project_name", "template", "purpose"):
        hit = labels.get(name)
        if hit is not None:
            fields[name], cells[name] = _label_value(grid, hit)
    code = labels.get("project_code")
    if "project_name" not in labels and code is not None and "project_code" in cells:
        # 项目编码 | code | name with no 项目名称 label between them (seen in real files)
        r, c = from_a1(cells["project_code"])
        nxt = grid.first_right(r, c)
        if nxt is not None and clean_text(nxt[1]) is not None:
            fields["project_name"], cells["project_name"] = clean_text(nxt[1]), to_a1(r, nxt[0])
    amount = None
    if "funds_total" in labels:
        amount = _funds(rd, labels["funds_total"], region.money_scale, cells)
    spend_plan = _spend_plan(rd, labels["spend_plan"], cells) if "spend_plan" in labels else {}
    goals = _goals(grid, labels["goals"], cells) if "goals" in labels else ()
    indicators = _indicators(rd, region.block) if region.block else ()
    if region.department_cell is not None:
        cells["department"] = to_a1(*region.department_cell)
    table = Table(
        kind=region.kind,  # type: ignore[arg-type]
        sheet=grid.sheet.name,
        anchor=to_a1(*region.anchor),
        department=region.department,
        project_code=fields.get("project_code"),
        project_name=fields.get("project_name"),
        template=fields.get("template"),
        purpose=fields.get("purpose"),
        amount=amount,
        spend_plan=spend_plan,
        goals=goals,
        indicators=indicators,
        cells=cells,
    )
    return table, rd.problems


def _label_value(grid: MergedGrid, hit: Hit) -> tuple[str | None, str]:
    """The value written to the right of a label; a neighbouring label means the value is blank."""
    nxt = grid.first_right(hit.row, hit.col)
    _, _, _, c2 = grid.span(hit.row, hit.col)
    if nxt is None or classify(nxt[1]) is not None:
        return None, to_a1(hit.row, c2 + 1)
    return clean_text(nxt[1]), to_a1(hit.row, nxt[0])


def _funds(rd: _Reader, hit: Hit, scale: float, cells: dict[str, str]) -> float | None:
    grid = rd.grid
    nxt = grid.first_right(hit.row, hit.col)
    below = grid.span(hit.row, hit.col)[2] + 1
    r, c = (hit.row, nxt[0]) if nxt is not None else (below, hit.col)
    # the amount sits under the label when the right neighbour is the next label (项目资金 block)
    if nxt is not None and parse_number(nxt[1]) is None and (
            classify(nxt[1]) is not None or parse_number(grid.value(below, hit.col)) is not None):
        r, c = below, hit.col
    cells["amount"] = to_a1(r, c)
    number = rd.number(r, c, "amount-not-number")
    return None if number is None else round(number * scale, 6)


def _spend_plan(rd: _Reader, hit: Hit, cells: dict[str, str]) -> dict[str, float | None]:
    grid = rd.grid
    values_row = hit.row + 1
    plan: dict[str, float | None] = {}
    for col, label in grid.right_of(hit.row, hit.col):
        name = clean_text(label)
        if name is None or parse_number(label) is not None:
            continue
        _, c1, _, c2 = grid.span(hit.row, col)
        vc = next((c for c in range(c1, c2 + 1) if grid.value(values_row, c) is not None), c1)
        cells[f"spend_plan.{name}"] = to_a1(values_row, vc)
        plan[name] = rd.number(values_row, vc, "spend-plan-not-number", name=name)
    return plan


def _goals(grid: MergedGrid, hit: Hit, cells: dict[str, str]) -> tuple[str, ...]:
    r1, c1, r2, _c2 = grid.span(hit.row, hit.col)
    goals: list[str] = []
    row = r1
    while row < grid.sheet.height:
        inside = row <= r2
        right = list(grid.right_of(row, c1))
        if not inside and (grid.value(row, c1) is not None or not right or not is_goal_label(right[0][1])):
            break
        if right and is_goal_label(right[0][1]):
            right = right[1:]
        if right:
            text = clean_text(right[0][1])
            if text is not None:
                cells[f"goals.{len(goals)}"] = to_a1(row, right[0][0])
                goals.append(text)
        row += 1
    return tuple(goals)


def _indicators(rd: _Reader, block: Block) -> tuple[Indicator, ...]:
    grid, cols = rd.grid, block.cols
    out: list[Indicator] = []
    level1: str | None = None
    level2: str | None = None
    rest = [c for f, c in cols.items() if f not in ("level1", "level2", "level3")]
    c1, c2, c3 = cols["level1"], cols.get("level2"), cols["level3"]
    rows, width = grid.sheet.rows, grid.sheet.width
    for r in range(block.data_start, block.end + 1):
        row = rows[r]
        if len(row) < width:
            row = row + [""] * (width - len(row))
        l1 = clean_text(grid.merged_value(r, c1))
        if l1 is not None and l1 != level1:
            level1, level2 = l1, None
        if c2 is not None:
            l2 = clean_text(grid.merged_value(r, c2))
            if l2 is not None:
                level2 = l2
        name = clean_text(row[c3])
        if name is None:
            if any(clean_text(row[c]) is not None for c in rest):
                rd.problem("indicator-name-missing", r, c3)
            continue
        out.append(_indicator(rd, cols, r, row, level1, level2, name))
    return tuple(out)


_MERGED_FIELDS = ("level1", "level2", "basis")


def _indicator(rd: _Reader, cols: dict[str, int], r: int, row: list[Any], level1: str | None,
               level2: str | None, name: str) -> Indicator:
    grid = rd.grid
    span = grid.span
    cells = {f: to_a1(*span(r, c)[:2]) if f in _MERGED_FIELDS else to_a1(r, c)
             for f, c in cols.items()}
    description = clean_text(row[cols["description"]]) if "description" in cols else None
    basis = clean_text(grid.merged_value(r, cols["basis"])) if "basis" in cols else None
    if "operator" in cols:
        operator, value, unit, words = _target_columns(rd, cols, r, row)
    elif "target" in cols:
        operator, value, unit, words = _target_combined(rd, r, cols["target"])
    else:  # a header without any 指标值 column: the checks report the missing targets
        operator, value, unit, words = None, None, None, None
    return Indicator(level1, level2, name, description, operator, value, unit, words, basis,
                     cells["level3"], cells)


Target = tuple[str | None, float | None, str | None, str | None]


def _target_columns(rd: _Reader, cols: dict[str, int], r: int, row: list[Any]) -> Target:
    """指标值 written in three columns: 符号 | 值 | 单位（文字描述）."""
    raw_op = row[cols["operator"]] or None
    vcol = cols.get("value")
    raw_value = row[vcol] if vcol is not None else None
    if raw_value == "":
        raw_value = None
    unit = clean_text(row[cols["unit"]]) if "unit" in cols else None
    operator = normalize_operator(raw_op)
    if operator is None and clean_text(raw_op) is not None:
        rd.problem("operator-unknown", r, cols["operator"], text=clean_text(raw_op))
    if operator == "text":
        return "text", None, None, unit or clean_text(raw_value)
    if type(raw_value) is str:
        inline_op, inline_value, inline_unit = split_target(raw_value)
        if inline_op is not None:  # "≥80" typed into the 值 column
            return operator or inline_op, inline_value, normalize_unit(unit or inline_unit), None
    value = None
    if vcol is not None and clean_text(raw_value) is not None:
        value = rd.number(r, vcol, "value-not-number")
        if (r, vcol) in rd.grid.sheet.percent or (
                isinstance(raw_value, str) and raw_value.strip().endswith(("%", "％"))):
            unit = unit if unit is not None and not is_percent_unit(unit) else "%"
    return operator, value, normalize_unit(unit), None


def _target_combined(rd: _Reader, r: int, col: int) -> Target:
    """指标值 written in one cell: "≥80%", "100%", "及时支付"."""
    raw = rd.grid.value(r, col)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = rd.number(r, col, "value-not-number")
        unit = "%" if (r, col) in rd.grid.sheet.percent else None
        return "=", value, unit, None
    operator, value, unit = split_target(raw)
    text = clean_text(raw)
    if value is None and text is not None:
        return "text", None, None, text
    return operator or "=", value, unit, None
