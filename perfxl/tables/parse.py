"""Turning a located region into a ``Table``: title, year, kind and stage, header fields, the money
block, spend plan, goals, other header labels, and the indicators (``indicators``), each value
normalised and tied to its source cell. What the reader cannot place becomes a Problem of its own,
never a silent gap that a later check would blame on the unit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..a1 import from_a1, to_a1
from ..model import Problem, Table
from .cell_reader import Reader, label_text, value_text
from .indicators import read_indicators
from .labels import is_goal_label
from .locate import Block, Hit, Region, is_title, money_scale
from .merged_grid import MergedGrid
from .normalize import clean_text, fold, name_text, parse_number
from .vocabulary import Vocabulary

_SIMPLE = ("project_code", "project_name", "template", "purpose", "supervisor", "implementer")
_GOAL_FIELDS = {"goals": "goals", "long_term_goals": "long_term_goals", "goals_achieved": "goals_achieved"}
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_MONEY_TEXT = re.compile(r"^\s*([+-]?\d[\d,]*(?:\.\d+)?)\s*(万元|万|元)?")
_POINT_COLUMNS = ("分值", "权重", "得分")
_RATE_COLUMNS = ("执行率",)


def read_table(grid: MergedGrid, region: Region, file: str | None,
               vocab: Vocabulary) -> tuple[Table, list[Problem]]:
    """The table described by ``region``, and the problems found while reading it."""
    rd = Reader(grid, file, vocab)
    cells: dict[str, str] = {}
    values: dict[str, Any] = {}
    labels: dict[str, Hit] = {}
    for hit in region.labels:
        labels.setdefault(hit.field or "", hit)
    for name in _SIMPLE:
        if (simple := labels.get(name)) is not None:
            values[name], cells[name] = _label_value(rd, simple)
    code = labels.get("project_code")
    if values.get("project_name") is None and code is not None and "project_code" in cells:
        # 项目编码 | code | name with no 项目名称 label between them (seen in real files)
        r, c = from_a1(cells["project_code"])
        nxt = grid.first_right(r, c)
        if nxt is not None and not rd.is_label(nxt[1]) and clean_text(nxt[1]) is not None:
            values["project_name"], cells["project_name"] = clean_text(nxt[1]), to_a1(r, nxt[0])
    title, year = _title(grid, region, vocab)
    funds, amount, notes = _funds(rd, region, cells)
    spend_plan = _spend_plan(rd, labels["spend_plan"], cells) if "spend_plan" in labels else {}
    goals = _goals(rd, region, cells)
    fields = {**_fields(rd, region), **notes}
    block = region.block
    department, department_cell = region.department, region.department_cell
    if (own := labels.get("department")) is not None:  # the unit's own label inside the table
        value, cell = _label_value(rd, own)
        if value is not None and not vocab.has("marks", "stamp", value):
            department, department_cell = value, from_a1(cell)
    if block is not None and block.is_list and region.rows is not None:
        listed = _list_fields(rd, region, cells, funds)
        department, department_cell = listed.department or department, listed.department_cell or department_cell
        amount, goals["goals"], values["project_name"] = listed.amount, listed.goals, listed.project_name
    if block is not None:
        _settle_direction(grid, block, vocab)
    indicators = read_indicators(rd, block, region.rows) if block else ()
    totals: dict[str, Any] = {}
    if block is not None:
        _footer_fields(rd, block.footers, fields)
        totals = _totals(rd, block.footers, cells)
        if region.rows is None or region.rows[0] == block.data_start:  # once per block
            _block_problems(rd, block, bool(indicators))
    if department_cell is not None:
        cells["department"] = to_a1(*department_cell)
    kind = "department" if title and vocab.mentions("titles", "department", title) else region.kind
    stage = "self-evaluation" if _self_evaluation(title, block, funds, vocab) else "target"
    if stage == "self-evaluation":
        amount = _first_line_value(funds, ("年初预算数", "年初预算"))
    table = Table(
        kind=kind,  # type: ignore[arg-type]
        sheet=grid.sheet.name,
        anchor=to_a1(*region.anchor),
        department=department,
        project_code=values.get("project_code"),
        project_name=values.get("project_name"),
        template=values.get("template"),
        purpose=values.get("purpose"),
        amount=amount,
        spend_plan=spend_plan,
        goals=tuple(goals["goals"]),
        indicators=indicators,
        cells=cells,
        stage=stage,  # type: ignore[arg-type]
        title=title,
        year=year,
        supervisor=values.get("supervisor"),
        implementer=values.get("implementer"),
        funds=funds,
        long_term_goals=tuple(goals["long_term_goals"]),
        goals_achieved=tuple(goals["goals_achieved"]),
        fields=fields,
        totals=totals,
    )
    return table, rd.problems


def _label_value(rd: Reader, hit: Hit) -> tuple[str | None, str]:
    """The value of a label: after its colon in the same cell, to its right, or — when nothing is
    to its right — in the cell under it; a neighbouring label means the value is blank."""
    grid = rd.grid
    if hit.value is not None:
        return value_text(hit.value), to_a1(hit.row, hit.col)
    nxt = grid.first_right(hit.row, hit.col)
    _, c1, r2, c2 = grid.span(hit.row, hit.col)
    if nxt is None and r2 + 1 < grid.sheet.height:
        r1b, c1b, _, _ = grid.span(r2 + 1, c1)
        below = grid.value(r1b, c1b)
        if isinstance(below, str) and value_text(below) is not None and not rd.is_label(below):
            return value_text(below), to_a1(r1b, c1b)
    if nxt is None or rd.is_label(nxt[1]):
        return None, to_a1(hit.row, c2 + 1)
    return value_text(nxt[1]), to_a1(hit.row, nxt[0])


def _title(grid: MergedGrid, region: Region, vocab: Vocabulary) -> tuple[str | None, int | None]:
    """The nearest title line above the table, and the year it (or a 年度 line below it) names."""
    lines: list[str] = []
    for r in range(region.top - 1, region.after, -1):
        texts = [t for v in grid.sheet.rows[r] if (t := clean_text(v)) is not None] if r < grid.sheet.height else []
        if not texts:
            continue
        text = texts[0]
        if is_title(text, vocab):
            year = next((int(m.group(1)) for t in [text, *lines] if (m := _YEAR.search(fold(t)))), None)
            return text, year
        lines.insert(0, text)
    return None, None


def _self_evaluation(title: str | None, block: Any, funds: dict[str, dict[str, float]],
                     vocab: Vocabulary) -> bool:
    if title is not None:
        return vocab.mentions("titles", "self_evaluation", title)
    if block is not None and ("actual" in block.cols or "score" in block.cols):
        return True
    return any("执行数" in column for line in funds.values() for column in line)


def _money(raw: Any, scale: float) -> float | None:
    """An amount from a cell: a number (in the block's unit), or text such as "854万(…)"."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        number = parse_number(raw)
        return None if number is None else round(number * scale, 6)
    text = value_text(raw)
    if text is None:
        return None
    m = _MONEY_TEXT.match(fold(text))
    if not m:
        return None
    number = parse_number(m.group(1))
    if number is None:
        return None
    unit = m.group(2)
    factor = 1.0 if unit in ("万元", "万") else 0.0001 if unit == "元" else scale
    return round(number * factor, 6)


def _line_key(text: str) -> str:
    key = label_text(text)
    return key[2:].lstrip(":") if key.startswith("其中") else key


Funds = dict[str, dict[str, float]]
Fields = dict[str, dict[str, Any]]


def _funds(rd: Reader, region: Region, cells: dict[str, str]) -> tuple[Funds, float | None, Fields]:
    """The money block as lines × columns (万元), the year's total, and the notes written inside
    the block (原因 …) by their column header."""
    grid, funds = rd.grid, {}
    notes: Fields = {}
    scale = region.money_scale
    block_hit = next((h for h in region.labels if h.field == "funds_block"), None)
    columns: list[tuple[int, str]] = []
    if block_hit is not None:
        if m := re.search(r"[(（]\s*(元|万元|人民币元)\s*[)）]", fold(block_hit.text)):
            scale = money_scale(m.group(1))
        columns = [(h.col, label_text(h.text)) for h in region.labels
                   if h.field == "funds_column" and h.row == block_hit.row and h.col > block_hit.col]
    lines = [h for h in region.labels if h.field == "funds_line"]
    if block_hit is not None:
        r1, _, r2, _ = grid.span(block_hit.row, block_hit.col)
        lines = [h for h in lines if r1 <= h.row <= max(r2, r1 + 1)]
    rows_of_lines = [h.row for h in lines]
    for hit in lines:
        key = _line_key(hit.text)
        if key in funds:
            continue
        line: dict[str, float] = {}
        if columns:
            for col, name in columns:
                raw = grid.value(hit.row, col)
                if isinstance(raw, str) and value_text(raw) is not None and parse_number(raw) is None:
                    notes.setdefault(name, {"value": value_text(raw), "cell": to_a1(hit.row, col)})
                    continue
                number = parse_number(raw)
                if number is None:
                    continue
                cells[f"funds.{key}.{name}"] = to_a1(hit.row, col)
                if any(word in name for word in _RATE_COLUMNS):
                    line[name] = round(number * 100, 10) if (hit.row, col) in grid.sheet.percent else number
                elif any(word in name for word in _POINT_COLUMNS):
                    line[name] = number
                else:
                    line[name] = round(number * scale, 6)
        else:
            where = _amount_cell(rd, hit, across=rows_of_lines.count(hit.row) > 1)
            if where is None:
                funds[key] = line
                continue
            r, c = where
            amount = _money(grid.value(r, c), scale)
            if amount is None and value_text(grid.value(r, c)) is not None:
                rd.problem("amount-not-number", r, c, text=clean_text(grid.value(r, c)))
            if amount is not None:
                line["金额"] = amount
            cells.setdefault("amount" if not funds else f"funds.{key}", to_a1(r, c))
        funds[key] = line
    amounts: dict[str, dict[str, float]] = {}
    year_amount: tuple[bool, float | None] | None = None  # (the year's own figure?, value)
    for amount_hit in (h for h in region.labels if h.field == "amount"):
        where = _amount_cell(rd, amount_hit, across=False)
        if where is None or label_text(amount_hit.text) in amounts:
            continue
        r, c = where
        value = _money(grid.value(r, c), scale)
        if value is None and value_text(grid.value(r, c)) is not None:
            rd.problem("amount-not-number", r, c, text=clean_text(grid.value(r, c)))
        amounts[label_text(amount_hit.text)] = {"金额": value} if value is not None else {}
        # the year's figure (当年预算, 年度…) wins over a multi-year one (项目总预算)
        this_year = any(w in amount_hit.text for w in ("当年", "本年", "年度"))
        if year_amount is None or (this_year and not year_amount[0]):
            year_amount, cells["amount"] = (this_year, value), to_a1(r, c)
    if year_amount is not None:
        return {**amounts, **funds}, year_amount[1], notes
    return funds, _first_line_value(funds, ("金额",)), notes


def _amount_cell(rd: Reader, hit: Hit, across: bool) -> tuple[int, int] | None:
    """Where the amount of a line label sits: to its right, or under it when the lines are
    written across one row (a 项目资金 block with the amounts below) or the right neighbour is
    the next label. None when there is no place for it."""
    grid = rd.grid
    nxt = grid.first_right(hit.row, hit.col)
    below = grid.span(hit.row, hit.col)[2] + 1
    if nxt is None:
        under = grid.value(below, hit.col)
        return (below, hit.col) if across or (under is not None and not rd.is_label(under)) else None
    if parse_number(nxt[1]) is None and _money(nxt[1], 1.0) is None and (
            rd.is_label(nxt[1]) or parse_number(grid.value(below, hit.col)) is not None):
        return below, hit.col
    return hit.row, nxt[0]


def _first_line_value(funds: dict[str, dict[str, float]], columns: tuple[str, ...]) -> float | None:
    first = next(iter(funds.values()), None)
    if first is None:
        return None
    return next((first[c] for c in columns if c in first), None)


def _spend_plan(rd: Reader, hit: Hit, cells: dict[str, str]) -> dict[str, float | None]:
    grid = rd.grid
    values_row = hit.row + 1
    plan: dict[str, float | None] = {}
    for col, label in grid.right_of(hit.row, hit.col):
        name = name_text(label)
        if name is None or parse_number(label) is not None:
            continue
        _, c1, _, c2 = grid.span(hit.row, col)
        vc = next((c for c in range(c1, c2 + 1) if grid.value(values_row, c) is not None), c1)
        cells[f"spend_plan.{name}"] = to_a1(values_row, vc)
        plan[name] = rd.number(values_row, vc, "spend-plan-not-number", name=name)
    return plan


def _goals(rd: Reader, region: Region, cells: dict[str, str]) -> dict[str, list[str]]:
    """This year's goals, the long-term ones and, in a self-evaluation, what was achieved: the
    text right of their label, one per 目标N row, or the cell under a sub-header (预期目标 |
    实际完成情况)."""
    out: dict[str, list[str]] = {name: [] for name in _GOAL_FIELDS}
    done: set[str] = set()
    for hit in region.labels:
        if hit.field == "goal_group":
            nxt = rd.grid.first_right(hit.row, hit.col)
            if nxt is not None and is_goal_label(nxt[1]) and "goals" not in done:
                out["goals"] = _numbered_goals(rd.grid, hit, cells)
                done.add("goals")
            continue
        target = _GOAL_FIELDS.get(hit.field or "")
        if target is None or target in done:
            continue
        texts = _goal_texts(rd, hit, cells, target)
        if texts is not None:
            done.add(target)
            out[target] = texts
    return out


def _goal_texts(rd: Reader, hit: Hit, cells: dict[str, str], target: str) -> list[str] | None:
    """The goal texts of one label; None when the label only frames sub-headers beside it
    (年度总体目标 | 预期目标 | 实际完成情况)."""
    grid = rd.grid
    if hit.value is not None:  # "年度目标：……" in one cell
        cells.setdefault(f"{target}.0", to_a1(hit.row, hit.col))
        return [text] if (text := value_text(hit.value)) is not None else []
    nxt = grid.first_right(hit.row, hit.col)
    if nxt is not None and is_goal_label(nxt[1]):
        return _numbered_goals(grid, hit, cells) if target == "goals" else []
    if nxt is not None and isinstance(nxt[1], str) and (rd.vocab.header(nxt[1]) or "") in _GOAL_FIELDS \
            and grid.span(hit.row, hit.col)[2] > hit.row:
        return None  # a label merged down beside its sub-headers frames them
    if nxt is not None and not rd.is_label(nxt[1]):
        text = value_text(nxt[1])
        if text is not None:
            cells.setdefault(f"{target}.0", to_a1(hit.row, nxt[0]))
            return [text]
        return []
    _, c1, r2, _ = grid.span(hit.row, hit.col)
    below = grid.span(r2 + 1, c1)
    value = grid.value(below[0], below[1])
    if r2 + 1 >= grid.sheet.height or rd.is_label(value):
        rd.problem("goals-unread", hit.row, hit.col, label=label_text(hit.text))
        return []
    text = value_text(value)
    if text is None:
        return []
    cells.setdefault(f"{target}.0", to_a1(below[0], below[1]))
    return [text]


def _numbered_goals(grid: MergedGrid, hit: Hit, cells: dict[str, str]) -> list[str]:
    r1, c1, r2, _ = grid.span(hit.row, hit.col)
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
            text = value_text(right[0][1])
            if text is not None:
                cells[f"goals.{len(goals)}"] = to_a1(row, right[0][0])
                goals.append(text)
        row += 1
    return goals


def _fields(rd: Reader, region: Region) -> dict[str, dict[str, Any]]:
    """Header labels with no field of their own (立项依据, 项目负责人及电话 …), and header cells
    nobody knows that hold a value beside them: both kept as label -> value, cell; the unknown
    ones reported."""
    out: dict[str, dict[str, Any]] = {}
    for hit in region.labels:
        if hit.field != "field":
            continue
        if (rows := _sub_table(rd, hit)) is not None:
            out.setdefault(label_text(hit.text), rows)
            continue
        value, cell = _label_value(rd, hit)
        out.setdefault(label_text(hit.text), {"value": value, "cell": cell})
    _unknown_labels(rd, region, out)
    return out


def _sub_table(rd: Reader, hit: Hit) -> dict[str, Any] | None:
    """A label merged down beside a small table of its own (年度履职目标 | 部门职能 | 年度目标任务 |
    …): its rows as header -> value, the cell of its first header."""
    grid = rd.grid
    r1, c1, r2, _ = grid.span(hit.row, hit.col)
    headers = [(c, label_text(str(v))) for c, v in grid.right_of(r1, c1) if isinstance(v, str)]
    if r2 <= r1 or len(headers) < 2:
        return None
    rows = []
    for r in range(r1 + 1, r2 + 1):
        row: dict[str, Any] = {}
        for c, name in headers:
            raw = grid.value(r, c)
            number = parse_number(raw) if not isinstance(raw, str) or _MONEY_TEXT.fullmatch(str(raw)) else None
            row[name] = number if number is not None else value_text(raw)
        if any(v is not None for v in row.values()):
            rows.append(row)
    return {"value": rows, "cell": to_a1(r1, headers[0][0])}


def _unknown_labels(rd: Reader, region: Region, out: dict[str, dict[str, Any]]) -> None:
    """Header cells no vocabulary word names that hold a value beside them: labels perfxl does not
    know yet. Each header row is read as label | value pairs; values under a sub-header (预期目标 |
    实际完成情况) and rows framed by a label merged down beside them are values, not labels."""
    if not region.labels or region.block is None or region.block.is_list:
        return
    grid = rd.grid
    label_col = min(h.col for h in region.labels)
    labels_in_row: dict[int, int] = {}
    for h in region.labels:
        labels_in_row[h.row] = labels_in_row.get(h.row, 0) + 1
    rows = grid.sheet.rows
    for r in range(region.top, region.block.header_row):
        row = rows[r][label_col:] if r < len(rows) else []
        filled = len(row) - row.count("") - row.count(None)
        if filled <= 2 * labels_in_row.get(r, 0):
            continue  # every cell is a known label or its value
        if not any(type(v) is str and _short_text(v) and not rd.is_label(v) for v in row[label_col:]):
            continue  # no cell of the row could be a label at all
        first = grid.span(r, label_col)
        if first[0] != r and rd.is_label(grid.value(first[0], first[1])):
            continue  # rows of a block framed by a label merged down (资金情况, 年度履职目标 …)
        cells = [(c, v) for c, v in grid.right_of(r, label_col - 1) if grid.span(r, c)[0] == r]
        i = 0
        while i < len(cells):
            c, value = cells[i]
            following = cells[i + 1] if i + 1 < len(cells) else None
            if rd.is_label(value) or is_goal_label(value):
                if grid.span(r, c)[2] > r and rd.vocab.header(str(value)) == "field":
                    break  # the header row of a small table framed by this label (年度履职目标)
                i += 2 if following is not None and not rd.is_label(following[1]) else 1
                continue
            if following is not None and _looks_like_label(rd, r, c, value) and not rd.is_label(following[1]):
                key = label_text(str(value))
                out.setdefault(key, {"value": value_text(following[1]), "cell": to_a1(r, following[0])})
                rd.problem("header-label-unknown", r, c, label=key)
                i += 2
                continue
            i += 1


def _short_text(value: str) -> bool:
    """A text short enough, and without digits, to be a label."""
    return 0 < len(value.strip()) <= 12 and not any(ch.isdigit() for ch in value)


def _looks_like_label(rd: Reader, r: int, c: int, value: Any) -> bool:
    """A short text, not a number, not a title, not sitting under a label (then it is that label's value)."""
    if not isinstance(value, str) or parse_number(value) is not None:
        return False
    text = clean_text(value)
    if text is None or len(text) > 12 or any(ch.isdigit() for ch in text) or is_title(text, rd.vocab):
        return False
    if r == 0:
        return True
    r1, c1, _, _ = rd.grid.span(r - 1, c)
    above = rd.grid.value(r1, c1)
    if not rd.is_label(above):
        return True
    beside = rd.grid.first_right(r1, c1)  # a sub-header has its value below it, nothing beside it
    return beside is not None and not rd.is_label(beside[1])


def _settle_direction(grid: MergedGrid, block: Block, vocab: Vocabulary) -> None:
    """A sign column (指标方向, 指标性质) that holds only 正向/反向 is a direction, not a sign: it goes
    to ``extra`` and the target is read from its own cell."""
    col = block.cols.get("operator")
    if col is None or "target" not in block.cols:
        return
    texts = [t for r in range(block.data_start, block.end + 1) if (t := value_text(grid.value(r, col))) is not None]
    if texts and all(vocab.has("marks", "direction", t) for t in texts):
        del block.cols["operator"]
        if block.cols.get("value") == block.cols["target"]:
            del block.cols["value"]
        block.extra.append(col)
        block.headers.setdefault(col, clean_text(grid.merged_value(block.header_row, col)) or "指标方向")


def _block_problems(rd: Reader, block: Block, has_indicators: bool) -> None:
    """What the reader could not place in an indicator block, said once."""
    for r, c, text in block.unknown:
        rd.problem("column-unknown", r, c, label=text)
    if has_indicators and not block.cols.keys() & {"target", "value", "operator"}:
        known = "、".join(rd.vocab.sections["columns"]["target"][:4])
        rd.problem("target-column-missing", *block.anchor, known=known)


_GRADES = frozenset("优良中差")


def _totals(rd: Reader, footers: list[tuple[int, int, str]], cells: dict[str, str]) -> dict[str, Any]:
    """The 总分 row of a self-evaluation: the points it totals (分值), the score (得分) and the
    grade (等级) written after its label; one number alone is the score."""
    start = next(((r, c) for r, c, text in footers if rd.vocab.has("marks", "footer", text)
                  and rd.vocab.header(text) != "field"), None)
    if start is None:
        return {}
    numbers: list[tuple[float, str]] = []
    out: dict[str, Any] = {}
    for c, value in rd.grid.right_of(*start):
        number = parse_number(value)
        if number is not None:
            numbers.append((number, to_a1(start[0], c)))
        elif isinstance(value, str) and (text := value_text(value)) in _GRADES:
            out["等级"], cells["totals.等级"] = text, to_a1(start[0], c)
    named = list(zip(("分值", "得分"), numbers, strict=False)) if len(numbers) > 1 else [("得分", numbers[0])] \
        if numbers else []
    for name, (number, cell) in named:
        out[name], cells[f"totals.{name}"] = number, cell
    return out


def _footer_fields(rd: Reader, footers: list[tuple[int, int, str]], fields: dict[str, dict[str, Any]]) -> None:
    """A footer row's notes (其他需要说明事项 …) go to ``fields``; totals (总分, 等级) do not."""
    for r, c, text in footers:
        if rd.vocab.header(text) == "field":
            nxt = rd.grid.first_right(r, c)
            value = value_text(nxt[1]) if nxt is not None and not rd.vocab.has("marks", "footer", str(nxt[1])) else None
            cell = to_a1(r, nxt[0]) if nxt is not None else to_a1(r, c + 1)
            fields.setdefault(label_text(text), {"value": value, "cell": cell})


@dataclass
class Listed:
    """A project's own cells in a list layout."""

    project_name: str | None = None
    department: str | None = None
    department_cell: tuple[int, int] | None = None
    amount: float | None = None
    goals: list[str] = field(default_factory=list)


def _list_fields(rd: Reader, region: Region, cells: dict[str, str], funds: Funds) -> Listed:
    """The project's own cells in a list layout: 单位名称, 项目名称, 预算数, 年度目标 merged down
    its rows."""
    assert region.block is not None and region.rows is not None
    grid, row_fields = rd.grid, region.block.row_fields
    first = region.rows[0]

    def at(name: str) -> tuple[Any, tuple[int, int]] | None:
        if name not in row_fields:
            return None
        r1, c1, _, _ = grid.span(first, row_fields[name])
        return grid.value(r1, c1), (r1, c1)

    out = Listed()
    if (found := at("department")) is not None and value_text(found[0]) is not None:
        out.department, out.department_cell = value_text(found[0]), found[1]
    if (found := at("amount")) is not None:
        out.amount = _money(found[0], region.money_scale)
        cells["amount"] = to_a1(*found[1])
        header = grid.value(region.block.header_row, row_fields["amount"])
        funds[label_text(str(header))] = {"金额": out.amount} if out.amount is not None else {}
    if (found := at("goals")) is not None and (text := value_text(found[0])) is not None:
        out.goals = [text]
        cells["goals.0"] = to_a1(*found[1])
    if (found := at("project_name")) is not None:
        out.project_name = value_text(found[0])
        cells["project_name"] = to_a1(*found[1])
    return out
