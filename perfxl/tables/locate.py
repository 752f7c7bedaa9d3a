"""Finding tables in a sheet by their labels, never by fixed coordinates.

A table is an indicator block (a header row naming the indicator columns — 一级 | 二级 | 三级 … or
just 指标 | 指标权重 … — and its rows) plus the header labels above it (项目名称, 主管部门, 项目资金,
年度目标 …). Several tables may be stacked in one sheet, between titles, report headers or
paragraphs of narrative; report headers (单位名称：…, 金额单位：…) apply to every table below them.
A sheet listing many projects as rows (项目名称 among the indicator columns) gives one table per
project (``list_groups``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .labels import INLINE_START, inline_label, looks_like_level1
from .merged_grid import MergedGrid
from .normalize import clean_text, parse_number
from .vocabulary import Vocabulary

# what a cell of a header row may name besides the indicator's name, for the row to be a header
_HEADER_COMPANIONS = frozenset({"level1", "level2", "target", "value", "operator", "unit", "weight", "actual",
                                "score"})
_SUBHEADER_ROLES = frozenset({"operator", "value", "unit"})
# header fields that begin a table (or sit in a report header), never inside an indicator block
_START_FIELDS = frozenset({"project_code", "project_name", "department", "money_unit", "funds_block",
                           "supervisor", "implementer"})
_REPORT_FIELDS = frozenset({"department", "money_unit"})
_NAME_FIELDS = ("project_code", "project_name")
_TABLE_NUMBER = re.compile(r"^(附表|表)[一二三四五六七八九十百\d]+$")


class Hit(NamedTuple):  # made by the thousand in the scan: a tuple is the cheapest record
    """A label cell: what it names as a header label and as an indicator column, and the text."""

    field: str | None
    role: str | None
    row: int
    col: int
    text: str
    value: str | None = None  # a value written in the label's own cell, after its colon ("项目名称：某项目")


@dataclass
class Block:
    """An indicator block: header position, the column of every role, its row range, and the
    header cells it does not know."""

    header_row: int
    anchor: tuple[int, int]
    cols: dict[str, int]
    data_start: int
    headers: dict[int, str] = field(default_factory=dict)  # column -> header text as written
    extra: list[int] = field(default_factory=list)          # columns that go to ``extra``
    unknown: list[tuple[int, int, str]] = field(default_factory=list)  # header cells not known
    row_fields: dict[str, int] = field(default_factory=dict)  # header fields in the header row (list layout)
    end: int = -1
    footers: list[tuple[int, int, str]] = field(default_factory=list)  # footer label cells met at the end

    @property
    def name_col(self) -> int:
        return self.cols["level3"]

    @property
    def is_list(self) -> bool:
        return "project_name" in self.row_fields


@dataclass
class Region:
    """One located table: its kind, labels, indicator block and the report header it sits under."""

    kind: str
    top: int
    anchor: tuple[int, int]
    labels: list[Hit] = field(default_factory=list)
    block: Block | None = None
    department: str | None = None
    department_cell: tuple[int, int] | None = None
    money_scale: float = 1.0
    after: int = -1  # the last row of the table before it (titles are looked for below it)
    rows: tuple[int, int] | None = None  # list layout: the rows of this project


def scan(grid: MergedGrid, vocab: Vocabulary) -> tuple[list[Hit], list[tuple[str, str, int, int]]]:
    """Every label cell of the sheet, and every inline report header (field, value, row, col)."""
    hits: list[Hit] = []
    inline: list[tuple[str, str, int, int]] = []
    starts = vocab.first_chars
    for r, row in enumerate(grid.sheet.rows):
        for c, value in enumerate(row):
            # most cells are values, rejected on their first character without a call
            if type(value) is not str or not value or value[0] not in starts:
                continue
            if value[0].isdigit() and value[1:2] not in (".", "、", "．"):
                continue  # a number typed as text; a numbered label ("2.项目实施内容") has its dot
            if len(value) <= 40:
                head, role = vocab.classify(value)
                if head is not None or role is not None:
                    hits.append(Hit(head, role, r, c, value))
                    continue
            if value[0] in INLINE_START and (pair := inline_label(value, vocab)) is not None:
                inline.append((pair[0], pair[1], r, c))
            elif (":" in value or "：" in value) and (found := _inline_field(value, vocab)) is not None:
                hits.append(Hit(found[0], None, r, c, found[1], found[2]))
    return hits, inline


_COLON = re.compile(r"[:：]")


def _inline_field(text: str, vocab: Vocabulary) -> tuple[str, str, str] | None:
    """A header label and its value in one cell ("项目名称：某项目") as (field, label, value)."""
    parts = _COLON.split(text, maxsplit=1)
    if len(parts) != 2 or not parts[1].strip() or len(parts[0]) > 20:
        return None
    field = vocab.header(parts[0])
    if field is None or field in _REPORT_FIELDS or field == "goal_group":
        return None
    return field, parts[0], parts[1].strip()


def _header_block(grid: MergedGrid, row_hits: list[Hit], by_row: dict[int, list[Hit]],
                  vocab: Vocabulary) -> Block | None:
    row = row_hits[0].row
    cols: dict[str, int] = {}
    headers: dict[int, str] = {}
    for hit in row_hits:
        if hit.role is not None and hit.role not in _SUBHEADER_ROLES | {"extra"}:
            _, c1, r2, c2 = grid.span(hit.row, hit.col)
            if hit.role == "name" and any(h.role in ("level1", "level2", "level3") and c1 <= h.col <= c2
                                          for h in by_row.get(r2 + 1, [])):
                continue  # 绩效指标 merged over 一级 | 二级 | 三级 in the row below frames them
            cols.setdefault(hit.role, hit.col)
            headers.setdefault(hit.col, hit.text)
    if "level3" in cols:
        cols.pop("name", None)  # 三级指标 names the indicator; a 指标/绩效指标 column beside it frames the rows
    name = "level3" if "level3" in cols else "name" if "name" in cols else \
        "description" if "description" in cols and "level1" in cols else None
    if name is None or not (cols.keys() & _HEADER_COMPANIONS):
        return None
    if name != "level3":
        cols["level3"] = cols.pop(name)
        headers[cols["level3"]] = headers[cols["level3"]]
    if "level1" in cols and cols["level1"] >= cols["level3"]:
        return None
    left = min(cols.values())
    _two_row_cells(grid, row, left, cols, headers, vocab)
    header_end = max(grid.span(row, c)[2] for c in cols.values())
    sub_row = header_end + 1 if header_end == row else header_end
    for hit in row_hits:  # 符号 | 值 | 单位 written directly in the header row
        if hit.role in _SUBHEADER_ROLES:
            cols.setdefault(hit.role, hit.col)
            headers.setdefault(hit.col, hit.text)
    if "target" in cols and "operator" not in cols:
        _, t1, _, t2 = grid.span(row, cols["target"])
        search_end = max(t2, min((c for c in cols.values() if c > t1), default=t1 + 3) - 1)
        for hit in by_row.get(sub_row, []):
            if t1 <= hit.col <= search_end and hit.role in _SUBHEADER_ROLES | {"target"}:
                cols.setdefault("value" if hit.role == "target" else hit.role, hit.col)
        if "operator" not in cols and t2 - t1 >= 2:
            cols.update(operator=t1, value=t1 + 1, unit=t1 + 2)
    if "operator" in cols and "value" not in cols and "target" in cols:
        cols["value"] = cols["target"]  # 指标性质 | 指标值 | 度量单位: the 指标值 column holds the number
    has_sub = any(h.role in _SUBHEADER_ROLES for h in by_row.get(sub_row, []))
    data_start = max(header_end, sub_row if has_sub else row) + 1
    block = Block(row, (row, min(h.col for h in row_hits if h.role is not None)), cols, data_start, headers)
    block.row_fields = {h.field: h.col for h in row_hits if h.field is not None and h.role is None
                        and h.col < cols["level3"]}
    _extra_columns(grid, block, row_hits, vocab)
    return block


def _two_row_cells(grid: MergedGrid, row: int, left: int, cols: dict[str, int], headers: dict[int, str],
                   vocab: Vocabulary) -> None:
    """Header cells merged down from the row above (实际完成值 | 分值 | 得分 beside a sub-headed 年度指标值)."""
    for c in range(left, grid.sheet.width):
        r1, c1, _, _ = grid.span(row, c)
        if r1 < row and c1 == c and grid.value(row, c) is None:
            text = grid.value(r1, c1)
            role = vocab.column(text) if isinstance(text, str) else None
            if role is not None and role not in _SUBHEADER_ROLES | {"extra"}:
                cols.setdefault(role, c)
                headers.setdefault(c, text)


def _extra_columns(grid: MergedGrid, block: Block, row_hits: list[Hit], vocab: Vocabulary) -> None:
    """Known columns without a field (指标解释, 备注 …) and header cells nobody knows: both go to
    ``extra``; the unknown ones are reported."""
    row, used = block.header_row, set(block.cols.values())
    left = min(used)
    for c in range(left, grid.sheet.width):
        r1, c1, _, c2 = grid.span(row, c)
        if c1 != c or c in used or any(c1 <= u <= c2 for u in used):
            continue
        text = clean_text(grid.value(r1, c1))
        if text is None or r1 < row - 1:
            continue
        role = vocab.column(text)
        if role in _SUBHEADER_ROLES or role == "target":
            continue
        block.headers[c] = text
        block.extra.append(c)
        if role is None and vocab.header(text) is None:
            block.unknown.append((r1, c, text))


def _block_end(grid: MergedGrid, block: Block, start_rows: set[int], vocab: Vocabulary) -> int:
    """The last row of an indicator block: it ends where another table starts, at a title, a
    footer (合计 / 总分 / 其他需要说明事项), or a row of prose (text left of the table, or a lone
    paragraph in the 一级指标 column)."""
    end = block.data_start - 1
    used = sorted(set(block.cols.values()) | set(block.extra) | set(block.row_fields.values()))
    first = used[0]
    level1 = block.cols.get("level1")
    rows = grid.sheet.rows
    for r in range(block.data_start, len(rows)):
        row = rows[r]
        if r in start_rows:
            break
        if any(v is not None and v != "" and parse_number(v) is None for v in row[:first]) \
                and not _is_footer(row, vocab):
            break
        lead = row[first] if first < len(row) else None
        if type(lead) is str and lead:  # footers and titles start in the table's first column
            text = clean_text(lead) or ""
            if vocab.has("marks", "footer", text):
                if block.is_list:
                    continue  # a unit's 小计 between its projects
                block.footers = [(r, c, t) for c, v in enumerate(row) if (t := clean_text(v)) is not None]
                break
            if len(row) - row.count("") == 1 and (_TABLE_NUMBER.match(text) or _is_title(text, vocab)):
                break
        filled = [c for c in used if c < len(row) and clean_text(row[c]) is not None]
        if level1 is not None and filled == [level1] and not looks_like_level1(row[level1]):
            break
        if filled:
            end = r
    return end


def _is_footer(row: list[Any], vocab: Vocabulary) -> bool:
    first = next((t for v in row if (t := clean_text(v)) is not None), None)
    return first is not None and isinstance(first, str) and vocab.has("marks", "footer", first)


def _is_title(text: str, vocab: Vocabulary) -> bool:
    return len(text) <= 60 and vocab.header(text) is None and vocab.mentions("titles", "words", text)


def is_title(text: str, vocab: Vocabulary) -> bool:
    """True for a line that reads as a form's title (…绩效目标表, …自评表 …)."""
    return _is_title(text, vocab)


def locate(grid: MergedGrid, vocab: Vocabulary) -> list[Region]:
    """Every table in the sheet, top to bottom."""
    hits, inline = scan(grid, vocab)
    by_row: dict[int, list[Hit]] = {}
    for hit in hits:
        by_row.setdefault(hit.row, []).append(hit)
    blocks = [b for r in sorted(by_row) if (b := _header_block(grid, by_row[r], by_row, vocab))]
    start_rows = {h.row for h in hits if h.field in _START_FIELDS and h.role is None} | \
        {r for _, _, r, _ in inline}
    for block in blocks:
        block.end = _block_end(grid, block, start_rows - {block.header_row}, vocab)
    regions: list[Region] = []
    prev_end = -1
    bounded: list[Block | None] = [*blocks, None]  # None: the labels after the last block
    for current in bounded:
        limit = current.header_row if current else grid.sheet.height
        area = [h for h in hits if prev_end < h.row < limit and h.field is not None]
        if current is not None and current.is_list:
            regions.extend(list_groups(grid, current, area, prev_end, vocab))
        else:
            for region in _regions_for(area, current, grid, vocab):
                region.after = prev_end
                regions.append(region)
        if current:
            prev_end = current.end
    _apply_report_headers(regions, hits, inline, grid, vocab)
    return regions


def _regions_for(area: list[Hit], block: Block | None, grid: MergedGrid, vocab: Vocabulary) -> list[Region]:
    """Split the labels above one indicator block into tables: each 项目编码 (or a 项目名称 with no
    code before it) begins a project; the last one owns the block. Labels just before the first
    name belong to the first table; without any name the block is a whole department's. A table is
    contiguous: labels across a blank row or a title (narrative above it) are not its own."""
    groups: list[list[Hit]] = []
    # a unit's own label inside the table (预算单位 beside 项目名称) belongs to it; one above it is a report header
    table_labels = [h for h in area if h.field != "money_unit" and (h.field != "department" or _inside(h, area))]
    first = next((i for i, h in enumerate(table_labels) if h.field in _NAME_FIELDS), None)
    if first is None:
        if block is None:
            return []
        start = _run_above(grid, block.header_row, vocab)
        table_labels = [h for h in table_labels if h.row >= start]
        # the unit's own 部门（单位）名称 label cell is the department table's first label
        named = [h for h in area if h.field == "department"]
        top = min([(h.row, h.col) for h in [*table_labels, *named]] + [block.anchor])
        return [Region("department", top[0], top, table_labels, block)]
    for hit in table_labels[first:]:
        if not groups or (hit.field in _NAME_FIELDS and any(h.field == hit.field for h in groups[-1])):
            groups.append([])
        groups[-1].append(hit)
    start = _run_above(grid, table_labels[first].row, vocab)
    groups[0] = [h for h in table_labels[:first] if h.row >= start] + groups[0]
    if block is None:  # labels after the last block: a project only where a 项目编码 names one
        groups = [g for g in groups if any(h.field == "project_code" for h in g)]
    regions = []
    for i, group in enumerate(groups):
        named = [h for h in group if h.field in _NAME_FIELDS]
        top_hit = min(named, key=lambda h: (h.row, h.col))
        owns = block if i == len(groups) - 1 else None
        regions.append(Region("project", min(h.row for h in group), (top_hit.row, top_hit.col), group, owns))
    return regions


def _run_above(grid: MergedGrid, row: int, vocab: Vocabulary) -> int:
    """The first row of the unbroken run of rows that ends just above ``row`` (no blank row, no
    title in between)."""
    r = row
    while r > 0:
        cells = [v for v in grid.sheet.rows[r - 1] if v is not None and v != ""]
        if not cells:
            break
        if len(cells) == 1 and (text := clean_text(cells[0])) is not None \
                and (_is_title(text, vocab) or _TABLE_NUMBER.match(text)):
            break
        r -= 1
    return r


def _inside(hit: Hit, area: list[Hit]) -> bool:
    """True for a label in a row below the first project label of its area."""
    first = min((h.row for h in area if h.field in _NAME_FIELDS), default=None)
    return first is not None and hit.row >= first


def list_groups(grid: MergedGrid, block: Block, area: list[Hit], prev_end: int,
                vocab: Vocabulary) -> list[Region]:
    """A sheet listing projects as rows: one region per run of rows under one 项目名称 — a merged
    cell, or, in a list whose names are never merged (typed that way, or a CSV export), the name
    and the rows below it left blank until the next name."""
    col = block.row_fields["project_name"]
    rows = range(block.data_start, block.end + 1)
    merged = any(grid.span(r, col)[2] > grid.span(r, col)[0] for r in rows)
    regions: list[Region] = []
    current: tuple[int, int] | None = None
    for r in rows:
        r1, c1, _, _ = grid.span(r, col)
        name = clean_text(grid.value(r1, c1))
        if name is None and current is not None and not merged and \
                clean_text(grid.merged_value(r, block.name_col)) is not None:
            regions[-1].rows = (regions[-1].rows[0] if regions[-1].rows else r, r)
            continue
        if name is None or vocab.has("marks", "footer", name):
            current = None
            continue
        if current is None or current != (r1, c1):
            current = (r1, c1)
            region = Region("project", r1, (r1, c1), list(area), block, rows=(r, r))
            region.after = prev_end
            regions.append(region)
        first = regions[-1].rows[0] if regions[-1].rows else r
        regions[-1].rows = (first, r)
    return regions


def _apply_report_headers(regions: list[Region], hits: list[Hit],
                          inline: list[tuple[str, str, int, int]], grid: MergedGrid, vocab: Vocabulary) -> None:
    """单位名称 / 金额单位 above a table apply to it (the nearest one above wins)."""
    headers: list[tuple[int, int, str, Any]] = [(r, c, f, v) for f, v, r, c in inline]
    for hit in hits:
        if hit.field in _REPORT_FIELDS and hit.role is None:
            right = grid.first_right(hit.row, hit.col)
            # a blank 单位名称 followed by the 金额单位 label is not a department called 金额单位
            if right is not None and not (isinstance(right[1], str) and vocab.header(right[1])):
                headers.append((hit.row, right[0], hit.field or "", right[1]))
    headers.sort()
    for region in regions:
        for row, col, name, value in headers:
            if row > region.top:
                break
            text = clean_text(value)
            if text is None or (name == "department" and vocab.has("marks", "stamp", text)):
                continue
            if name == "department":
                region.department, region.department_cell = text, (row, col)
            else:
                region.money_scale = money_scale(text)


def money_scale(unit: str) -> float:
    """Factor from a 金额单位 to 万元 (元 → 0.0001)."""
    return 0.0001 if unit.rstrip("。").strip("()（）") in ("元", "人民币元") else 1.0
