"""``perfxl template``: blank or pre-filled 预算项目绩效表 / 部门整体支出绩效指标 workbooks that
guard their own layout.

Labels are locked and input cells unlocked under a sheet protection without a password (an
office can lift it); dropdowns for 一级, 二级 (depending on the 一级 of the row, via a hidden
选项 sheet) and 符号 come from the same rules data ``perfxl check`` uses; numbers are validated;
every input cell shows what belongs in it; pages print on A4.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from ..a1 import col_letter
from ..errors import OutputError, PerfxlError, UnreadableWorkbook, os_reason
from ..model import Problem
from ..output_marks import PROPERTY, TEMPLATE
from ..problems import REGISTRY, problem
from ..read.limits import DEFAULT_LIMITS, Limits
from ..review.ruleset import RuleSet, resolve_ruleset
from ..tables.extraction import extract
from ..tables.vocabulary import Vocabulary
from .atomic import atomic_target
from .self_evaluation_form import TITLE as SELF_TITLE
from .self_evaluation_form import build_self_evaluation_form
from .sheet_names import SheetNames
from .template_form import COLUMNS, TITLES, Form, build_form, form_for, table_values

LOOKUP = "选项"
_PROTECT = {"insert_rows": True, "delete_rows": True, "format_rows": True, "format_columns": True,
            "select_locked_cells": True, "select_unlocked_cells": True}
# a fixed creation date makes the committed templates byte-for-byte reproducible
_CREATED = dt.datetime(2026, 1, 1)


@dataclass(frozen=True)
class TemplateResult:
    """What ``template`` wrote: the file, one entry per sheet, and any problem met."""

    path: str
    source: str | None
    sheets: tuple[dict[str, Any], ...]
    problems: tuple[Problem, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "source": self.source, "sheets": list(self.sheets),
                "problems": [p.to_dict() for p in self.problems]}


def template(kind: str = "project", output: str | os.PathLike[str] | None = None,
             source: str | os.PathLike[str] | None = None,
             rules: RuleSet | str | os.PathLike[str] | None = None,
             rows: int = 20, goals: int = 5, limits: Limits = DEFAULT_LIMITS,
             labels: Vocabulary | str | os.PathLike[str] | None = None) -> TemplateResult:
    """Write a template workbook and return what was written.

    Without ``source``: one blank sheet of ``kind`` with ``rows`` indicator rows. With
    ``source`` (last year's submission): one pre-filled sheet per table found in it. Of kind
    ``self-evaluation`` with ``source`` (the year's approved targets): one self-evaluation per
    target table, its approved targets written in locked cells.
    """
    if kind not in KINDS:
        raise PerfxlError(f"模板类型只能是 project（预算项目绩效表）、department（部门整体）或 self-evaluation"
                          f"（项目支出绩效自评表），不能是“{kind}”")
    ruleset = resolve_ruleset(rules)
    if kind == "self-evaluation":
        forms, problems = _self_evaluation_forms(source, ruleset, rows, limits, labels)
        return _finish(forms, problems, kind, output, source, ruleset)
    tables, problems = _source_tables(source, limits, labels) if source is not None else ([], [])
    forms = []
    if tables:
        names = SheetNames(reserved=(LOOKUP,))
        for table in tables:
            form = form_for(table, ruleset, rows, goals)
            forms.append((_sheet_name(table, names), form, table_values(table, ruleset)))
    else:
        forms.append((TITLES[kind][:31], build_form(kind, ruleset, rows, goals), {}))
    return _finish(forms, problems, kind, output, source, ruleset)


KINDS = {**TITLES, "self-evaluation": SELF_TITLE}


def _self_evaluation_forms(source: str | os.PathLike[str] | None, rules: RuleSet, rows: int, limits: Limits,
                           labels: Vocabulary | str | os.PathLike[str] | None
                           ) -> tuple[list[tuple[str, Form, dict[str, Any]]], list[Problem]]:
    if source is None:
        return [(SELF_TITLE, build_self_evaluation_form(rules, rows=rows), {})], []
    result = extract(source, limits=limits, labels=labels)
    if not result.readable:
        raise UnreadableWorkbook(os.fspath(source), result.problems[0].message)
    targets = [t for t in result.tables if t.stage == "target" and t.indicators]
    if not targets:
        raise PerfxlError(f"{source} 中没有找到带指标的绩效目标表，无法据此生成自评表")
    names = SheetNames(reserved=(LOOKUP,))
    return ([(_sheet_name(t.to_dict(), names), build_self_evaluation_form(rules, t), {}) for t in targets],
            _reading_problems(result.problems))


def _reading_problems(problems: tuple[Problem, ...]) -> list[Problem]:
    """What went wrong reading the source (texts cut, sheets too large …): the template carries
    what was read, so these say at which cell it is incomplete."""
    return [p for p in problems if REGISTRY[p.code].stage == "读取"]


def _finish(forms: list[tuple[str, Form, dict[str, Any]]], problems: list[Problem], kind: str,
            output: str | os.PathLike[str] | None, source: str | os.PathLike[str] | None,
            rules: RuleSet) -> TemplateResult:
    default = f"{KINDS[kind]}_模板.xlsx" if source is None else f"{Path(source).stem}_新年度模板.xlsx"
    target = Path(output) if output is not None else Path(default)
    if source is not None and target.resolve() == Path(source).resolve():
        raise PerfxlError(f"输出文件不能与来源文件相同：{target}")
    if target.suffix.lower() != ".xlsx":
        raise PerfxlError(f"模板只能保存为 .xlsx 文件：{target}")
    with atomic_target(target) as tmp:
        try:
            _write(tmp, forms, rules)
        except FileCreateError as exc:  # xlsxwriter's wrapper of the OSError, itself no OSError
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
            reason = os_reason(cause) if cause is not None else str(exc)
            raise OutputError(f"写入模板 {target} 失败（{reason}）；原有文件未被改动") from exc
    sheets = tuple({"sheet": name, "kind": form.kind, "project_name": values.get("project_name"),
                    "indicator_rows": form.last_indicator - form.first_indicator + 1}
                   for name, form, values in forms)
    return TemplateResult(os.fspath(target), None if source is None else os.fspath(source),
                          sheets, tuple(problems))


def _source_tables(source: str | os.PathLike[str], limits: Limits,
                   labels: Vocabulary | str | os.PathLike[str] | None) -> tuple[list[dict[str, Any]], list[Problem]]:
    result = extract(source, limits=limits, labels=labels)
    if not result.readable:
        raise UnreadableWorkbook(os.fspath(source), result.problems[0].message)
    if not result.tables:
        raise PerfxlError(f"{source} 中没有找到预算项目绩效表或部门整体支出绩效指标表，无法据此生成模板")
    problems = _reading_problems(result.problems)
    tables = [t.to_dict() for t in result.tables]
    for t in result.tables:
        if len(t.spend_plan) > COLUMNS - 1:
            problems.append(problem("template-plan-truncated", file=os.fspath(source), sheet=t.sheet,
                                    cell=t.cells.get("spend_plan") or t.anchor, count=len(t.spend_plan),
                                    limit=COLUMNS - 1))
    return tables, problems


def _sheet_name(table: dict[str, Any], names: SheetNames) -> str:
    fallback = "部门整体" if table["kind"] == "department" else "项目"
    return names.take(table.get("project_name") or fallback, fallback)


def _write(path: Path, forms: list[tuple[str, Form, dict[str, Any]]], rules: RuleSet) -> None:
    wb = xlsxwriter.Workbook(os.fspath(path), {"strings_to_formulas": False,
                                               "strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"title": "预算绩效目标表模板", "author": "perfxl", "created": _CREATED})
    wb.set_custom_property(PROPERTY, TEMPLATE)
    fmts = _formats(wb)
    for name, form, values in forms:
        ws = wb.add_worksheet(name)
        _write_form(ws, form, values, fmts)
    lists = _write_lookup(wb, rules)
    for ws, (_, form, _) in zip(wb.worksheets()[:len(forms)], forms, strict=True):
        _validate(ws, form, rules, lists)
    wb.close()


def _formats(wb: Any) -> dict[str, Any]:
    base = {"border": 1, "valign": "vcenter", "font_name": "宋体", "font_size": 10, "text_wrap": True}
    return {
        "title": wb.add_format({"bold": True, "font_size": 16, "align": "center", "font_name": "黑体"}),
        "label": wb.add_format({**base, "bold": True, "align": "center", "bg_color": "#DDEBF7"}),
        "fixed": wb.add_format({**base, "align": "center"}),
        "input": wb.add_format({**base, "locked": False, "bg_color": "#FFFDE7"}),
        "number": wb.add_format({**base, "locked": False, "bg_color": "#FFFDE7", "num_format": "General"}),
    }


def _write_form(ws: Any, form: Form, values: dict[str, Any], fmts: dict[str, Any]) -> None:
    for c, width in enumerate(form.widths):
        ws.set_column(c, c, width)
    for label in form.labels:
        if (label.row, label.col) != (label.row2, label.col2):
            ws.merge_range(label.row, label.col, label.row2, label.col2, label.text, fmts[label.style])
        else:
            ws.write_string(label.row, label.col, label.text, fmts[label.style])
    for cell in form.inputs:
        fmt = fmts["number" if cell.accepts in ("number", "percent", "money") else "input"]
        value = values.get(cell.key)
        if (cell.row, cell.col) != (cell.row2, cell.col2):
            ws.merge_range(cell.row, cell.col, cell.row2, cell.col2, None, fmt)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(cell.row, cell.col, value, fmt)
        elif value is not None:
            ws.write_string(cell.row, cell.col, str(value), fmt)
        else:
            ws.write_blank(cell.row, cell.col, None, fmt)
    ws.set_row(0, 30)
    for cell in form.inputs:
        if cell.key == "purpose":
            ws.set_row(cell.row, 40)
        elif cell.key.startswith(("goals.", "spend_plan.")) or cell.key.endswith(".level3"):
            ws.set_row(cell.row, 27)  # two lines: rows keep their height when text is pasted in
    ws.freeze_panes(form.first_indicator, 0)
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(form.first_indicator - 2, form.first_indicator - 1)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.protect("", _PROTECT)


def _write_lookup(wb: Any, rules: RuleSet) -> dict[str, str]:
    """The hidden 选项 sheet: 一级 list, one column of 二级 per 一级 (synonyms included, their
    count in row 2), 符号 and units; returns the range formula of each list."""
    ws = wb.add_worksheet(LOOKUP)
    groups = dict(rules.categories)
    groups.update({alias: rules.categories.get(canon, []) for alias, canon in rules.synonyms.items()})
    ws.write_string(0, 0, "一级")
    for i, name in enumerate(rules.categories):
        ws.write_string(i + 1, 0, name)
    ws.write_string(0, 1, "符号")
    for i, op in enumerate(rules.operators):
        ws.write_string(i + 1, 1, op)
    ws.write_string(0, 2, "单位")
    for i, unit in enumerate(rules.units):
        ws.write_string(i + 1, 2, unit)
    for j, (name, subs) in enumerate(groups.items(), start=4):
        ws.write_string(0, j, name)
        ws.write_number(1, j, len(subs))
        for i, sub in enumerate(subs):
            ws.write_string(i + 2, j, sub)
    last = col_letter(3 + len(groups))
    ws.protect("", {})
    ws.hide()
    return {
        "level1": f"='{LOOKUP}'!$A$2:$A${len(rules.categories) + 1}",
        "operator": f"='{LOOKUP}'!$B$2:$B${len(rules.operators) + 1}",
        "unit": f"='{LOOKUP}'!$C$2:$C${max(len(rules.units), 1) + 1}",
        "names": f"'{LOOKUP}'!$E$1:${last}$1",
        "counts": f"'{LOOKUP}'!$E$2:${last}$2",
        "first": f"'{LOOKUP}'!$E$3",
    }


def _validate(ws: Any, form: Form, rules: RuleSet, lists: dict[str, str]) -> None:
    """Dropdowns, number checks and an input message on every input cell."""
    first, last = form.first_indicator, form.last_indicator
    level1_ref = f"$A{first + 1}"
    match = f"MATCH({level1_ref},{lists['names']},0)"
    rules_by_kind: dict[str, dict[str, Any]] = {
        "level1": {"validate": "list", "source": lists["level1"],
                   "error_message": "请从下拉列表中选择一级指标"},
        "level2": {"validate": "list",
                   "source": f"=OFFSET({lists['first']},0,{match}-1,INDEX({lists['counts']},{match}),1)",
                   "error_message": "二级指标应属于本行的一级指标；请先选一级指标，再从下拉列表选择"},
        "operator": {"validate": "list", "source": lists["operator"],
                     "error_message": f"符号只能是：{' '.join(rules.operators)}"},
        "unit": {"validate": "list", "source": lists["unit"], "error_type": "information",
                 "error_message": "不在常用单位列表中；如确认无误请点“确定”"},
        "number": {"validate": "decimal", "criteria": "between", "minimum": -1e12, "maximum": 1e12,
                   "error_message": "这里只能填数字；单位请写在右侧“单位”列"},
        "percent": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                    "error_message": "累计进度只能是 0 到 100 之间的数字"},
        "money": {"validate": "decimal", "criteria": ">=", "value": 0,
                  "error_message": "金额只能填不小于 0 的数字（万元）"},
    }
    seen: set[tuple[str, int]] = set()
    for cell in form.inputs:
        spec = dict(rules_by_kind.get(cell.accepts, {"validate": "any"}))
        in_block = first <= cell.row <= last
        if in_block and (cell.key.split(".")[-1], cell.col) in seen:
            continue
        spec.update(input_title=_TITLES.get(cell.accepts, "填写说明"), input_message=cell.prompt)
        if "error_message" in spec:
            spec["error_title"] = "输入有误"
        if in_block:
            seen.add((cell.key.split(".")[-1], cell.col))
            ws.data_validation(first, cell.col, last, cell.col, spec)
        else:
            ws.data_validation(cell.row, cell.col, cell.row2, cell.col2, spec)


_TITLES = {"level1": "一级指标", "level2": "二级指标", "operator": "符号", "unit": "单位（文字描述）",
           "number": "指标值", "percent": "累计支出进度（%）", "money": "金额（万元）"}
