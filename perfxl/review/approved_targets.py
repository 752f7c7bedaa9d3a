"""Holding each self-evaluation against the targets approved for the year: the self-evaluation is
matched to its 目标表/申报表 (项目编码 where present, else unit + project name, tolerant of spaces,
brackets, a leading year and the form's own name), and every difference is a finding at the
self-evaluation's cell — a target lowered, a sign changed, an indicator dropped or added, a
weight changed. Ambiguous matches are reported, not guessed; so is a self-evaluation with no
approved table."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import ExtractResult, Indicator, Problem, Table
from ..problems import problem
from ..tables.normalize import OPERATOR_SIGNS, fold

_BRACKETS = re.compile(r"[()（）\[\]【】〔〕<>《》\"“”'‘’·、,，.。:：;；\-—_\s]")
_YEAR = re.compile(r"^(19|20)\d{2}年度?")
_FORM_NAME = re.compile(r"(项目)?(支出)?(绩效)?(自评|目标|评价|申报)表$")
Located = tuple[str, Table]  # (file, table)


def _key(text: str | None) -> str:
    if not text:
        return ""
    key = _BRACKETS.sub("", fold(text))
    key = _YEAR.sub("", key)
    return _FORM_NAME.sub("", key)


def _unit(table: Table) -> str:
    return _key(table.department or table.implementer or table.supervisor)


def match_approved(results: Sequence[ExtractResult],
                   targets: Sequence[ExtractResult] = ()) -> dict[tuple[str, str, str], list[Located]]:
    """Each self-evaluation of ``results`` (by file, sheet, anchor) with the approved target tables
    that match it among ``results`` and ``targets``; empty when no target table is there at all."""
    approved = [(r.source, t) for r in [*results, *targets] for t in r.tables if t.stage == "target"]
    if not approved:
        return {}
    return {(r.source, t.sheet, t.anchor): _candidates(t, approved)
            for r in results for t in r.tables if t.stage == "self-evaluation"}


def compare_with_approved(results: Sequence[ExtractResult], targets: Sequence[ExtractResult] = ()) -> list[Problem]:
    """Every difference between the self-evaluations of ``results`` and the approved targets found
    in ``results`` and ``targets``. Nothing when no target table is there at all."""
    matches = match_approved(results, targets)
    evaluations = [(r.source, t) for r in results for t in r.tables if t.stage == "self-evaluation"]
    out: list[Problem] = []
    for source, table in evaluations:
        if (source, table.sheet, table.anchor) not in matches:
            continue
        found = matches[(source, table.sheet, table.anchor)]
        if not found:
            out.append(problem("approved-target-missing", file=source, sheet=table.sheet, cell=table.anchor,
                               name=table.project_name or table.department or table.anchor))
        elif len(found) > 1:
            places = "；".join(f"{f}!{t.sheet}!{t.anchor}" for f, t in found)
            out.append(problem("approved-target-ambiguous", file=source, sheet=table.sheet, cell=table.anchor,
                               name=table.project_name or "", places=places))
        else:
            out.extend(_differences(source, table, found[0]))
    return out


def _candidates(table: Table, approved: list[Located]) -> list[Located]:
    if table.project_code:
        by_code = [a for a in approved if a[1].project_code and _key(a[1].project_code) == _key(table.project_code)]
        if by_code:
            return by_code
    name, unit = _key(table.project_name), _unit(table)
    if not name:
        return []
    same = [a for a in approved if _key(a[1].project_name) == name]
    if unit:
        in_unit = [a for a in same if _unit(a[1]) in (unit, "")]
        return in_unit if in_unit else []
    return same


def _differences(source: str, table: Table, match: Located) -> list[Problem]:
    approved_file, approved = match
    where = f"{approved_file}!{approved.sheet}!{approved.anchor}"
    mine = {_key(i.level3): i for i in table.indicators}
    theirs = {_key(i.level3): i for i in approved.indicators}
    out: list[Problem] = []

    def at(ind: Indicator | None, cell: str | None, code: str, **params: object) -> None:
        out.append(problem(code, file=source, sheet=table.sheet, cell=cell or (ind.cell if ind else table.anchor),
                           approved=where, **params))

    for key, was in theirs.items():
        now = mine.get(key)
        if now is None:
            at(None, table.anchor, "indicator-dropped", name=was.level3, target=_shown(was))
            continue
        if was.operator != now.operator and None not in (was.operator, now.operator):
            at(now, now.cells.get("operator") or now.cells.get("target"), "target-operator-changed",
               name=now.level3, before=_shown(was), after=_shown(now))
        elif _lowered(was, now):
            at(now, now.cells.get("value") or now.cells.get("target"), "target-lowered", name=now.level3,
               before=_shown(was), after=_shown(now))
        elif _shown(was) != _shown(now) and now.operator is not None:
            at(now, now.cells.get("value") or now.cells.get("target"), "target-changed", name=now.level3,
               before=_shown(was), after=_shown(now))
        if was.weight is not None and now.weight is not None and abs(was.weight - now.weight) > 1e-9:
            at(now, now.cells.get("weight"), "weight-changed", name=now.level3, before=was.weight, after=now.weight)
    for key, now in mine.items():
        if key not in theirs:
            at(now, now.cell, "indicator-added", name=now.level3)
    return out


def _lowered(was: Indicator, now: Indicator) -> bool:
    """A numeric target made easier: lower for ≥ > =, higher for ≤ <, in the same unit."""
    if was.value is None or now.value is None or was.unit != now.unit or was.operator != now.operator:
        return False
    return now.value > was.value if was.operator in ("<=", "<") else now.value < was.value


def matching_tables(table: Table, among: Sequence[Located]) -> list[Located]:
    """The tables of ``among`` that are ``table``'s project: by 项目编码, else unit + project name
    (the matching a self-evaluation gets, for any two tables, e.g. this year's and last year's)."""
    return _candidates(table, list(among))


def name_key(name: str | None) -> str:
    """A unit's or project's name as the comparison key (as ``indicator_key``)."""
    return _key(name)


def indicator_key(name: str | None) -> str:
    """An indicator's name as the comparison key (spaces, brackets and punctuation ignored)."""
    return _key(name)


def shown(ind: Indicator) -> str:
    """A target as a clerk writes it: ≥95%, 文字, （空）."""
    return _shown(ind)


def _shown(ind: Indicator) -> str:
    if ind.operator == "text":
        return ind.target_text or "（空）"
    if ind.operator is None:
        return "（空）"
    value = "" if ind.value is None else f"{ind.value:g}"
    return f"{OPERATOR_SIGNS.get(ind.operator, ind.operator)}{value}{ind.unit or ''}"
