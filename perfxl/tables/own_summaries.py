"""perfxl's own unit summary books read back as the approved target tables they list: 项目汇总 gives
each project's unit, stage and funds, 绩效指标 its indicators with their targets and weights. Used
when ``--targets`` points at last round's summaries instead of the target submissions themselves,
and when ``--previous`` points at last year's 全部单位 summary."""

from __future__ import annotations

import os
from typing import Any

from ..model import ExtractResult, Indicator, Table
from ..read.sheet import Sheet
from .normalize import clean_text, normalize_operator, normalize_unit, parse_number

_NEEDED = ("项目汇总", "绩效指标", "来源文件")


def is_summary(sheets: list[Sheet]) -> bool:
    """True for a unit book perfxl wrote (its 项目汇总, 绩效指标 and 来源文件 sheets)."""
    names = {s.name for s in sheets}
    return all(n in names for n in _NEEDED)


def summary_tables(source: str | os.PathLike[str], sheets: list[Sheet]) -> ExtractResult:
    """The target tables a summary book lists, one per project of its 绩效指标 sheet."""
    by_name = {s.name: s for s in sheets}
    projects = records(by_name["项目汇总"])
    unit_of = {(p.get("项目编码"), p.get("项目名称")): p for p in projects}
    grouped: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for row in records(by_name["绩效指标"]):
        grouped.setdefault((row.get("项目编码"), row.get("项目名称")), []).append(row)
    tables = []
    for (code, name), rows in grouped.items():
        project = unit_of.get((code, name), {})
        if project.get("表类") not in (None, "目标表"):
            continue
        # where the table sat in the unit's own workbook: 项目汇总 gives its sheet and its top-left cell
        sheet, _, anchor = str(project.get("单元格") or "!A1").rpartition("!")
        sheet = clean_text(project.get("工作表")) or sheet or "项目汇总"
        tables.append(Table("project", sheet, anchor or "A1", department=clean_text(project.get("单位")),
                            project_code=clean_text(code), project_name=clean_text(name),
                            supervisor=clean_text(project.get("主管部门")),
                            implementer=clean_text(project.get("实施单位")),
                            amount=parse_number(project.get("年度资金总额（万元）")),
                            indicators=tuple(_indicator(r) for r in rows)))
    return ExtractResult(os.fspath(source), tuple(tables), ())


def records(sheet: Sheet) -> list[dict[str, Any]]:
    """The rows below a summary sheet's header row, each by its column names (empty cells None)."""
    if not sheet.rows:
        return []
    header = [clean_text(v) for v in sheet.rows[0]]
    return [{h: (v if v != "" else None) for h, v in zip(header, row, strict=False) if h}
            for row in sheet.rows[1:] if any(v not in ("", None) for v in row)]


def _indicator(row: dict[str, Any]) -> Indicator:
    operator = normalize_operator(row.get("符号"))
    cell = str(row.get("单元格") or "").rpartition("!")[2] or "A1"
    return Indicator(clean_text(row.get("一级指标")), clean_text(row.get("二级指标")), clean_text(row.get("三级指标")),
                     clean_text(row.get("绩效指标描述")), operator, parse_number(row.get("值")),
                     normalize_unit(row.get("单位（计量）")), clean_text(row.get("目标（文字描述）")),
                     clean_text(row.get("指标值确定依据")), cell, weight=parse_number(row.get("权重/分值")))
