"""The season's sheets of a summary book: 报送情况 (who has submitted: every unit in 全部单位, the
unit's own row in its book) and 同比 (this year's targets against last year's, when the run was
given ``--previous``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model import TargetChange, UnitSubmission
from ..read.file_names import shown_base
from .summary_book import Col, SheetData, excel_serial, source_link

SUBMISSIONS = "报送情况"
CHANGES = "同比"
_STATE_FILL = {"有错误": "error", "未报送": "warning"}
# the two kinds a finding is made of
_FLAGGED = {"目标降低": "warning", "取消指标": "warning"}


def submission_sheet(rows: list[UnitSubmission], unit: str | None, rostered: bool = True) -> SheetData:
    """The 报送情况 of every unit (``unit`` None), or of the one the book is for."""
    # widths that print the sheet one A4 landscape page across at 8 pt, also where columns are
    # measured wider than in Excel (summary_book.WIDER_ELSEWHERE); long names and notes wrap
    cols = [Col("单位", width=17), Col("状态", width=7), Col("在报送名单中", width=7), Col("单位编码", width=8),
            Col("表中的单位名称", width=16), Col("文件数", "int", 6), Col("最近文件时间", "datetime", width=20),
            Col("项目数", "int", 6), Col("应报项目数", "int", 6), Col("错误", "int", 6), Col("警告", "int", 6),
            Col("说明", width=16)]
    shown = [s for s in rows if unit is None or unit in s.names]
    out: list[list[Any]] = []
    fmts: dict[int, dict[int, str]] = {}
    for r, s in enumerate(shown):
        listed = ("是" if s.listed else "否") if rostered else "无名单"
        out.append([s.unit, s.state, listed, s.code, "、".join(s.names), s.files,
                    excel_serial(s.latest) if s.latest else None, s.projects, s.expected, s.errors, s.warnings,
                    s.note])
        if s.state in _STATE_FILL:
            fmts[r] = {1: _STATE_FILL[s.state]}
    return SheetData(SUBMISSIONS, cols, out, fmts=fmts)


def change_sheets(changes: list[TargetChange], previous: str | None, unit: str | None,
                  out_dir: Path) -> list[SheetData]:
    """The 同比 of every unit (``unit`` None) or of one; no sheet when there was no ``--previous``."""
    if previous is None:
        return []
    cols = [Col("单位"), Col("项目编码"), Col("项目名称", width=24), Col("一级指标"), Col("二级指标"),
            Col("三级指标", width=30), Col("变化（提高＝更难达到，降低＝更容易达到）", width=22),
            Col("上年", width=24), Col("本年", width=24), Col("本年文件"), Col("单元格", "link"),
            Col("上年来源", width=36)]
    rows: list[list[Any]] = []
    links: dict[tuple[int, int], str | None] = {}
    fmts: dict[int, dict[int, str]] = {}
    for c in changes:
        if unit is not None and c.unit != unit:
            continue
        r = len(rows)
        rows.append([c.unit, c.project_code, c.project_name, c.level1, c.level2, c.indicator, c.kind, c.before,
                     c.after, shown_base(c.file) if c.file else None,
                     f"{c.sheet}!{c.cell}" if c.file and c.sheet and c.cell else None, c.previous])
        if c.file:
            links[(r, 10)] = source_link(out_dir, c.file, c.sheet, c.cell)
        if c.kind in _FLAGGED:
            fmts[r] = {6: _FLAGGED[c.kind]}
    return [SheetData(CHANGES, cols, rows, links, fmts)]
