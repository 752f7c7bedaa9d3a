"""层层汇总 in a run: a lower level's 全部单位 summary found in the inbox stands for the files it
consolidated — each of its tables and files under its 上级单位 (the unit folder the summary sits
in, else the name its file gives, before the levels the summary already holds: "某市/某县") with
the problems found there — and a project that reaches this level by two routes is reported."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..model import ROUTE_MARK, ExtractResult, Problem, SourceFile, UnitSubmission, under
from ..problems import problem
from ..review.ruleset import RuleSet
from ..tables.rollup import named_by_file, rollup_note
from .units import folder_unit

RECOMPUTED = ("project-code-duplicate", "rollup-duplicate")  # found again here, over everything that arrived
SEASON = ("roster-", "yoy-")  # the lower level's roster and 同比: its own season, not its units' data


def rollup_parent(root: Path, path: Path, rules: RuleSet) -> str | None:
    """The 上级单位 a summary stands for: its unit folder in the inbox, else its file's name; None
    for one at the inbox's top whose name gives no level (it cannot be told whose it is)."""
    return folder_unit(root, path, rules.is_batch_folder) or named_by_file(str(path))


def _levels(parent: str, inner: str | None) -> str:
    """The 上级单位 of what a summary under ``parent`` held under ``inner`` ("某市" + "某县")."""
    return under(parent, inner) if inner else parent


def lift(result: ExtractResult, parent: str, relative: str) -> tuple[ExtractResult, list[ExtractResult],
                                                                   list[SourceFile], list[UnitSubmission]]:
    """The summary's own result (its note naming ``parent``), one result per file it holds, those
    files, and the units its 报送情况 lists as not submitted, all under ``parent``; each file's path
    in the inbox says it was read through the summary (``relative`` › its path there). The problems
    found again at this level are left out."""
    held = result.rollup
    if held is None:
        return result, [], [], []
    parts = [replace(r, tables=tuple(replace(t, parent=_levels(parent, t.parent)) for t in r.tables),
                     problems=tuple(p for p in r.problems
                                    if p.code not in RECOMPUTED and not p.code.startswith(SEASON)))
             for r in held.results]
    sources = [replace(s, parent=_levels(parent, s.parent), relative=f"{relative}{ROUTE_MARK}{s.relative}")
               for s in held.sources]
    absent = [replace(s, unit=under(parent, s.unit), names=tuple(under(parent, n) for n in s.names),
                      note="；".join(filter(None, [f"“{parent}”的报送情况（仅供了解）", s.note])))
              for s in held.absent]
    return replace(result, problems=(rollup_note(result.source, held, parent),)), parts, sources, absent


def route_duplicates(results: list[ExtractResult]) -> list[Problem]:
    """A project (by 项目编码, else unit and name) that arrived by more than one route — sent here
    directly and inside a lower level's summary, or inside two — at each of its places."""
    places: dict[tuple[str | None, ...], list[tuple[str, int, int]]] = {}
    for n, result in enumerate(results):
        for k, table in enumerate(result.tables):
            if table.kind == "project" and (table.project_code or table.project_name):
                key = (table.project_code,) if table.project_code else (None, table.department, table.project_name)
                places.setdefault(key, []).append((result.source, n, k))
    out = []
    for where in places.values():
        routes = sorted({results[n].tables[k].parent or "本级（直接报送）" for _, n, k in where})
        if len(routes) < 2:
            continue
        for source, n, k in where:
            table = results[n].tables[k]
            out.append(problem("rollup-duplicate", file=source, sheet=table.sheet,
                               cell=table.cells.get("project_code", table.anchor),
                               name=table.project_code or table.project_name or "", routes="、".join(routes)))
    return out
