"""A lower level's 全部单位 summary read back as what it holds (层层汇总): the tables of every unit
it consolidated, at their original files and cells, the problems found there and the files it
read, each under the 上级单位 the summary shows (so that two levels keep both).

The sheets perfxl writes are the contract: 项目汇总 gives each project table (and, in order, how
many rows of 绩效指标 and one row of 支出计划 are its), 部门整体指标 the department tables (their funds
on each row, one without indicators by a row of its own), 绩效自评 and 自评指标 what a self-evaluation is scored from
(the amounts, the 分值 of budget execution, the stated total and grade, each indicator's 偏差原因),
问题清单 the problems (severity by its 级别, code in its 规则 column), 来源文件 the files and where
each was read from, 报送情况 the units its roster expected that had not submitted. A book whose rows
no longer line up (sorted or edited by hand) is refused, not guessed."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ..model import (
    ALL_UNITS,
    ExtractResult,
    Indicator,
    Problem,
    ReadStatus,
    RollUp,
    Severity,
    SourceFile,
    Stage,
    Table,
    UnitSubmission,
)
from ..problems import REGISTRY, found_below, problem
from ..read.sheet import Sheet
from .indicators import actual_number
from .normalize import normalize_operator
from .own_summaries import records

_CODE = re.compile(r"（([a-z0-9-]+)）$")
_SEVERITY = {s.label: s for s in Severity}
_STATUS = {s.label: s for s in ReadStatus}
_STAGE: dict[str, Stage] = {"目标表": "target", "自评表": "self-evaluation"}
_EPOCH = dt.datetime(1899, 12, 30)
NEEDED = ("项目汇总", "绩效指标", "部门整体指标", "支出计划", "问题清单", "来源文件")


class RollUpError(ValueError):
    """The summary cannot be read back as a roll-up (the Chinese reason says why)."""


def read_rollup(sheets: list[Sheet]) -> RollUp:
    """The tables, problems and files of a 全部单位 summary. RollUpError when a sheet is missing
    or its rows do not line up with 项目汇总."""
    rows = {name: _rows(sheets, name) for name in NEEDED}
    sources = tuple(_source(r) for r in rows["来源文件"])
    path_of: dict[tuple[str | None, str | None], str] = {(s.parent, s.relative): s.path for s in sources}

    def path(parent: str | None, relative: Any) -> str:
        return path_of.get((parent, _text(relative)), _text(relative) or "")

    tables: dict[str, list[Table]] = {}
    indicators, plans = iter(rows["绩效指标"]), iter(rows["支出计划"])
    for n, row in enumerate(rows["项目汇总"], start=2):
        mine = [_next(indicators, row, "绩效指标", n) for _ in range(int(_number(row.get("指标数")) or 0))]
        table = _project(row, mine, _next(plans, row, "支出计划", n))
        tables.setdefault(path(table.parent, row.get("文件（收件箱内）")), []).append(table)
    if next(indicators, None) is not None:
        raise RollUpError("“绩效指标”的行数多于“项目汇总”所列的指标数")
    for (unit, parent, relative, where), (first, found) in _department_groups(rows["部门整体指标"]).items():
        sheet, _, anchor = where.rpartition("!")
        table = Table("department", sheet, anchor, department=unit, parent=parent,
                      amount=_number(first.get("年度资金总额（万元）")), funds=_funds(_text(first.get("资金明细"))),
                      indicators=tuple(_indicator(r) for r in found))
        tables.setdefault(path(parent, relative), []).append(table)
    if "绩效自评" in {s.name for s in sheets}:
        _self_evaluations(tables, _rows(sheets, "绩效自评"), _rows(sheets, "自评指标"), path)
    problems: dict[str, list[Problem]] = {}
    for row in rows["问题清单"]:
        placed = _problem(row, path(_text(row.get("上级单位")), row.get("文件（收件箱内）")))
        problems.setdefault(placed.file or "", []).append(placed)
    files = [s.path for s in sources] + [f for f in [*tables, *problems] if f not in path_of.values()]
    results = tuple(ExtractResult(f, tuple(tables.get(f, ())), tuple(sorted(problems.get(f, ()), key=Problem.sort_key)))
                    for f in dict.fromkeys(files))
    absent = tuple(_absent(r) for r in _rows(sheets, "报送情况") if _text(r.get("状态")) == "未报送") \
        if "报送情况" in {s.name for s in sheets} else ()
    return RollUp(results, sources, absent)


def rollup_note(source: str, held: RollUp, parent: str) -> Problem:
    """The note that says a file was read as ``parent``'s roll-up, and what it held."""
    units = {t.unit for r in held.results for t in r.tables}  # two counties' 教育局: two units
    return problem("rollup-read", file=source, parent=parent, units=len(units), files=len(held.sources),
                   tables=sum(len(r.tables) for r in held.results))


def named_by_file(source: str) -> str | None:
    """The lower level a renamed 全部单位 book names (某县_全部单位_绩效目标汇总.xlsx -> 某县), if any."""
    stem = os.path.splitext(os.path.basename(source))[0]
    name = stem.replace(f"{ALL_UNITS}_绩效目标汇总", "").strip(" _-—（）()")
    return name or None


def _rows(sheets: list[Sheet], name: str) -> list[dict[str, Any]]:
    """A sheet's records, with those continued on “名称（2）” … when it passed Excel's row limit."""
    by_name = {s.name: s for s in sheets}
    if name not in by_name:
        raise RollUpError(f"缺少“{name}”工作表")
    out, n = records(by_name[name]), 2
    while f"{name}（{n}）" in by_name:
        out += records(by_name[f"{name}（{n}）"])
        n += 1
    return out


def _next(rows: Iterator[dict[str, Any]], project: dict[str, Any], sheet: str, n: int) -> dict[str, Any]:
    row = next(rows, None)
    if row is None or (row.get("项目编码"), row.get("项目名称")) != (project.get("项目编码"), project.get("项目名称")):
        raise RollUpError(f"“{sheet}”的行与“项目汇总”第 {n} 行的项目对不上（可能被排序或改动过）")
    return row


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _project(row: dict[str, Any], indicators: list[dict[str, Any]], plan: dict[str, Any]) -> Table:
    spend_plan: dict[str, float | None] = {}
    for point in (_text(row.get("资金支出计划（累计）")) or "").split("；"):
        if point:
            name = point.rpartition(" ")[0]
            share = _number(plan.get(name))
            spend_plan[name] = None if share is None else round(share * 100, 9)
    cells = {key: where for key, where in (("project_code", _text(row.get("项目编码单元格"))),
                                           ("amount", _text(row.get("资金单元格")))) if where}
    year = _number(row.get("年度"))
    return Table("project", _text(row.get("工作表")) or "", _text(row.get("单元格")) or "A1",
                 department=_text(row.get("单位")), project_code=_text(row.get("项目编码")),
                 project_name=_text(row.get("项目名称")), amount=_number(row.get("年度资金总额（万元）")),
                 spend_plan=spend_plan, goals=_goals(_text(row.get("绩效目标"))),
                 indicators=tuple(_indicator(r) for r in indicators),
                 cells=cells, stage=_STAGE.get(_text(row.get("表类")) or "", "target"),
                 year=int(year) if year is not None else None, supervisor=_text(row.get("主管部门")),
                 implementer=_text(row.get("实施单位")), parent=_text(row.get("上级单位")))


def _goals(text: str | None) -> tuple[str, ...]:
    """“1. 甲\\n2. 乙” back into its goals."""
    if not text or not text.startswith("1. "):
        return (text,) if text else ()
    out, rest, n = [], text[3:], 2
    while (at := rest.find(f"\n{n}. ")) >= 0:
        out.append(rest[:at])
        rest, n = rest[at + len(f"\n{n}. "):], n + 1
    return (*out, rest)


def _indicator(row: dict[str, Any]) -> Indicator:
    cell = (_text(row.get("单元格")) or "").rpartition("!")[2] or "A1"
    actual = row.get("实际完成值")
    return Indicator(_text(row.get("一级指标")), _text(row.get("二级指标")), _text(row.get("三级指标")),
                     _text(row.get("绩效指标描述")), normalize_operator(row.get("符号")), _number(row.get("值")),
                     _text(row.get("单位（计量）")), _text(row.get("目标（文字描述）")),
                     _text(row.get("指标值确定依据")), cell, weight=_number(row.get("权重/分值")), actual=_text(actual),
                     actual_value=actual_number(_text(actual)), score=_number(row.get("得分")))


def _department_groups(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...],
                                                          tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each department table's rows (its first row, which holds its funds, and those of its indicators)."""
    groups: dict[tuple[Any, ...], tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for row in rows:
        where = _text(row.get("表单元格"))
        if not where:
            raise RollUpError("“部门整体指标”缺少“表单元格”列（这份汇总由较早的 perfxl 写出）")
        key = (_text(row.get("单位")), _text(row.get("上级单位")), _text(row.get("文件（收件箱内）")), where)
        _, found = groups.setdefault(key, (row, []))
        if _text(row.get("单元格")):  # a row without an indicator's cell stands for a table without indicators
            found.append(row)
    return groups


def _funds(text: str | None) -> dict[str, dict[str, float]]:
    """“资金总额/金额 1350；项目支出/金额 550” back into a money block."""
    out: dict[str, dict[str, float]] = {}
    for point in (text or "").split("；"):
        name, _, value = point.rpartition(" ")
        line, _, col = name.rpartition("/")
        try:
            out.setdefault(line, {})[col] = float(value)
        except ValueError:
            continue  # a cell edited by hand: that point is left out
    return out


def _self_evaluations(tables: dict[str, list[Table]], projects: list[dict[str, Any]],
                      indicators: list[dict[str, Any]], path: Any) -> None:
    """The self-evaluations among ``tables`` made whole from 绩效自评 (a row each, in order) and
    自评指标 (a row per indicator, in the same order): stage, amounts, stated total and grade, 偏差原因."""
    rows = iter(indicators)
    for n, row in enumerate(projects, start=2):
        where = _text(row.get("单元格")) or ""
        sheet, _, anchor = where.rpartition("!")
        found = tables.get(path(_text(row.get("上级单位")), row.get("文件（收件箱内）")), [])
        k = next((k for k, t in enumerate(found) if (t.sheet, t.anchor) == (sheet, anchor)), None)
        if k is None:
            raise RollUpError(f"“绩效自评”第 {n} 行的表在“项目汇总”和“部门整体指标”中都找不到")
        table = found[k]
        deviations = []
        for ind in table.indicators:
            line = next(rows, None)
            if line is None or _text(line.get("单元格")) != f"{table.sheet}!{ind.cell}":
                raise RollUpError(f"“自评指标”的行与“绩效自评”第 {n} 行的表对不上（可能被排序或改动过）")
            deviations.append(_text(line.get("偏差原因")))
        line = {k: v for k, v in (("全年预算数", _number(row.get("全年预算数（万元）"))),
                                  ("全年执行数", _number(row.get("全年执行数（万元）"))),
                                  ("分值", _number(row.get("预算执行分值（表内）")))) if v is not None}
        totals = {k: v for k, v in (("得分", _number(row.get("自评总分"))), ("等级", _text(row.get("自评等级"))))
                  if v is not None}
        funds = {**table.funds, "年度资金总额": line} if line else table.funds
        found[k] = replace(table, stage="self-evaluation", funds=funds, totals=totals,
                           indicators=tuple(replace(i, deviation=d)
                                            for i, d in zip(table.indicators, deviations, strict=True)))
    if next(rows, None) is not None:
        raise RollUpError("“自评指标”的行数多于“绩效自评”各表的指标数")


def _absent(row: dict[str, Any]) -> UnitSubmission:
    """A unit the lower level's roster expected that had not submitted, as its 报送情况 shows it."""
    expected = _number(row.get("应报项目数"))
    return UnitSubmission(_text(row.get("单位")) or "", "未报送", _text(row.get("在报送名单中")) == "是",
                          _text(row.get("单位编码")), expected=int(expected) if expected is not None else None,
                          note=_text(row.get("说明")) or "")


def _problem(row: dict[str, Any], file: str) -> Problem:
    rule = _text(row.get("规则")) or ""
    code = _CODE.search(rule)
    severity = _SEVERITY.get(_text(row.get("级别")) or "")
    if code is None or severity is None or code.group(1) not in REGISTRY:
        raise RollUpError(f"“问题清单”中的“{rule}”不是 perfxl 写出的规则和级别")
    return found_below(code.group(1), severity, _text(row.get("问题和修改方法")) or "", file=file or None,
                       sheet=_text(row.get("工作表")), cell=_text(row.get("单元格")))


def _source(row: dict[str, Any]) -> SourceFile:
    text = _text(row.get("状态")) or ""
    label, _, reason = text.partition("：")
    if label not in _STATUS:
        raise RollUpError(f"“来源文件”中的状态“{text}”不认识")
    relative = _text(row.get("相对路径")) or ""
    modified = row.get("修改时间")
    if isinstance(modified, (int, float)):
        moment = _EPOCH + dt.timedelta(days=float(modified))
        modified = (moment + dt.timedelta(microseconds=500_000)).replace(microsecond=0).isoformat()
    return SourceFile(_text(row.get("完整路径")) or relative, relative, int(_number(row.get("大小（字节）")) or 0),
                      _text(row.get("SHA-256")) or "", _text(modified) or "", int(_number(row.get("表数")) or 0),
                      _STATUS[label], _text(row.get("单位")) or "", reason or None, _text(row.get("上级单位")))
