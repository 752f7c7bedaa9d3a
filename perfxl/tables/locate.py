"""Finding tables in a sheet by their labels, never by fixed coordinates.

A table is an indicator block (the 一级指标 | 二级指标 | 三级指标 … header and its rows) plus, for a
预算项目绩效表, the project labels above it (项目编码, 资金用途, 绩效目标 …). Several tables may be
stacked in one sheet between paragraphs of narrative; report headers (单位名称：…, 金额单位：…)
apply to every table below them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .labels import (
    HEADER_FIELDS,
    MAY_START,
    PROJECT_FIELDS,
    START_FIELDS,
    SUBHEADER_FIELDS,
    classify,
    inline_label,
    looks_like_level1,
)
from .merged_grid import MergedGrid
from .normalize import clean_text, parse_number


class Hit(NamedTuple):
    """A label cell: its field name, position and the text as written."""

    field: str
    row: int
    col: int
    text: str


@dataclass
class Block:
    """An indicator block: header position, the column of every field, and its row range."""

    header_row: int
    anchor: tuple[int, int]
    cols: dict[str, int]
    data_start: int
    end: int = -1


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


def scan(grid: MergedGrid) -> tuple[list[Hit], list[tuple[str, str, int, int]]]:
    """Every label cell of the sheet, and every inline report header (field, value, row, col)."""
    hits: list[Hit] = []
    inline: list[tuple[str, str, int, int]] = []
    for r, row in enumerate(grid.sheet.rows):
        for c, value in enumerate(row):
            # most cells are values, rejected on their first character without a call
            if type(value) is not str or not value or value[0] not in MAY_START:
                continue
            name = classify(value)
            if name is not None:
                hits.append(Hit(name, r, c, value))
                continue
            pair = inline_label(value)
            if pair is not None:
                inline.append((pair[0], pair[1], r, c))
    return hits, inline


def _header_block(grid: MergedGrid, row_hits: list[Hit], by_row: dict[int, list[Hit]]) -> Block | None:
    cols: dict[str, int] = {}
    for hit in row_hits:
        if hit.field in HEADER_FIELDS and hit.field not in cols:
            cols[hit.field] = hit.col
    if not {"level1", "level3"} <= cols.keys() or cols["level1"] >= cols["level3"]:
        return None
    row = row_hits[0].row
    header_end = max(grid.span(row, c)[2] for c in cols.values())
    sub_row = header_end + 1 if header_end == row else header_end
    for hit in row_hits:  # 符号 | 值 | 单位 written directly in the header row
        if hit.field in SUBHEADER_FIELDS:
            cols.setdefault(hit.field, hit.col)
    if "target" in cols and "operator" not in cols:
        _, t1, _, t2 = grid.span(row, cols["target"])
        search_end = max(t2, min((c for c in cols.values() if c > t1), default=t1 + 3) - 1)
        for hit in by_row.get(sub_row, []):
            if t1 <= hit.col <= search_end and hit.field in SUBHEADER_FIELDS | {"target"}:
                cols.setdefault("value" if hit.field == "target" else hit.field, hit.col)
        if "operator" not in cols and t2 - t1 >= 2:
            cols.update(operator=t1, value=t1 + 1, unit=t1 + 2)
    has_sub = any(h.field in SUBHEADER_FIELDS for h in by_row.get(sub_row, []))
    data_start = max(header_end, sub_row if has_sub else row) + 1
    anchor = (row, min(h.col for h in row_hits))
    return Block(row, anchor, cols, data_start)


def _block_end(grid: MergedGrid, block: Block, start_rows: set[int]) -> int:
    """The last row of an indicator block: it ends where another table starts, or at a row of
    prose (text left of the table, or a lone paragraph in the 一级指标 column)."""
    end = block.data_start - 1
    used = sorted(set(block.cols.values()))
    first, level1 = used[0], block.cols["level1"]
    rows = grid.sheet.rows
    for r in range(block.data_start, len(rows)):
        row = rows[r]
        if r in start_rows:
            break
        if any(v is not None and v != "" and parse_number(v) is None for v in row[:first]):
            break
        filled = [c for c in used if c < len(row) and clean_text(row[c]) is not None]
        if filled == [level1] and not looks_like_level1(row[level1]):
            break
        if filled:
            end = r
    return end


def locate(grid: MergedGrid) -> list[Region]:
    """Every table in the sheet, top to bottom."""
    hits, inline = scan(grid)
    by_row: dict[int, list[Hit]] = {}
    for hit in hits:
        by_row.setdefault(hit.row, []).append(hit)
    blocks = [b for r in sorted(by_row) if (b := _header_block(grid, by_row[r], by_row))]
    start_rows = {h.row for h in hits if h.field in START_FIELDS} | {r for _, _, r, _ in inline}
    for block in blocks:
        block.end = _block_end(grid, block, start_rows - {block.header_row})
    regions: list[Region] = []
    prev_end = -1
    bounded: list[Block | None] = [*blocks, None]  # None: the labels after the last block
    for current in bounded:
        limit = current.header_row if current else grid.sheet.height
        area = [h for h in hits if prev_end < h.row < limit]
        regions.extend(_regions_for(area, current))
        if current:
            prev_end = current.end
    _apply_report_headers(regions, hits, inline, grid)
    return regions


def _regions_for(area: list[Hit], block: Block | None) -> list[Region]:
    """Split the labels above one indicator block into tables: each 项目编码 (or a 项目名称 with no
    code before it) begins a project; the last one owns the block."""
    groups: list[list[Hit]] = []
    names = ("project_code", "project_name")
    fields = [h for h in area if h.field in PROJECT_FIELDS]
    first = next((i for i, h in enumerate(fields) if h.field in names), 0)
    for hit in fields[first:]:
        if not groups or (hit.field in names and any(h.field == hit.field for h in groups[-1])):
            groups.append([])
        groups[-1].append(hit)
    if block is None and not any(h.field in ("project_code", "project_name") for g in groups for h in g):
        return []
    regions = []
    for i, group in enumerate(groups):
        top_hit = min(group, key=lambda h: (h.row, h.col))
        owns = block if i == len(groups) - 1 else None
        regions.append(Region("project", top_hit.row, (top_hit.row, top_hit.col), group, owns))
    if not groups and block is not None:
        regions.append(Region("department", block.header_row, block.anchor, [], block))
    return regions


def _apply_report_headers(regions: list[Region], hits: list[Hit],
                          inline: list[tuple[str, str, int, int]], grid: MergedGrid) -> None:
    """单位名称 / 金额单位 above a table apply to it (the nearest one above wins)."""
    headers: list[tuple[int, int, str, Any]] = [(r, c, f, v) for f, v, r, c in inline]
    for hit in hits:
        if hit.field in ("department", "money_unit"):
            right = grid.first_right(hit.row, hit.col)
            # a blank 单位名称 followed by the 金额单位 label is not a department called 金额单位
            if right is not None and classify(right[1]) is None:
                headers.append((hit.row, right[0], hit.field, right[1]))
    headers.sort()
    for region in regions:
        for row, col, name, value in headers:
            if row > region.top:
                break
            text = clean_text(value)
            if text is None:
                continue
            if name == "department":
                region.department, region.department_cell = text, (row, col)
            else:
                region.money_scale = 0.0001 if text.rstrip("。") in ("元", "人民币元") else 1.0
