"""The office's season around a run: who has submitted (the 报送情况, against the roster when
there is one) and what changed since last year (the 同比, against ``--previous``: last year's
inbox, read without writing anything, or the 全部单位 summary perfxl wrote for it)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ..errors import OutputError, UnreadableWorkbook
from ..model import ALL_UNITS, ROUTE_MARK, Consolidation, ExtractResult, Problem
from ..read.inbox import scan_inbox
from ..read.isolation import read_isolated
from ..read.limits import Limits
from ..review.checking import read_targets
from ..review.ruleset import RuleSet
from ..review.year_over_year import compare_years
from ..tables.rollup import RollUpError, read_rollup
from ..tables.vocabulary import Vocabulary
from .pool import read_all
from .roster import Roster, roster_problems, row_units, submissions, without_roster
from .units import Placement, folder_unit, place_problems, relative_to


def add_submissions(run: Consolidation, roster: Roster | None, rules: RuleSet) -> Placement:
    """The roster's findings added to ``run.problems``, then the 报送情况 of every unit; where
    each problem of the run now belongs (what the books are written from)."""
    if roster is not None:
        run.roster = os.path.abspath(roster.path)
        run.roster_rows = row_units(run, roster)
        extra = rules.adjusted(roster_problems(run, roster))
        run.problems = sorted([*run.problems, *extra], key=Problem.sort_key)
    placement = place_problems(run)
    run.submissions = [*submissions(run, roster, placement.units), *run.absent_below]
    return placement


def add_changes(run: Consolidation, previous: str | os.PathLike[str], last_year: tuple[ExtractResult, ...],
                rules: RuleSet) -> None:
    """The 同比 of ``run`` against last year's tables, its findings added to ``run.problems``."""
    run.previous = os.fspath(previous)
    run.changes, found = compare_years(run.results, last_year)
    run.problems = sorted([*run.problems, *rules.adjusted(found)], key=Problem.sort_key)


def read_previous(previous: str | os.PathLike[str], rules: RuleSet, limits: Limits, vocab: Vocabulary,
                  jobs: int | None = None) -> tuple[ExtractResult, ...]:
    """Last year's tables: a 全部单位 summary (the file, or in the folder given), or last year's
    inbox read as ``consolidate`` reads one (each table in its unit, a file sent twice read once).
    OutputError when there is nothing there."""
    source = Path(previous)
    if not source.exists():
        raise OutputError(f"上年的收件箱或汇总不存在：{source}；请确认 --previous 的路径")
    book = source / f"{ALL_UNITS}_绩效目标汇总.xlsx"
    if source.is_file() or book.is_file():
        found = _summary_tables(source if source.is_file() else book, limits, vocab)
    else:
        scan = without_roster(scan_inbox([source]), source, rules)
        paths = [str(p) for p in scan.found]
        seen: set[str] = set()
        out = []
        for path, read in zip(paths, read_all(paths, rules, limits, vocab, jobs, root=str(source)), strict=True):
            if read.sha256 in seen:
                continue
            seen.add(read.sha256)
            unit = folder_unit(source, Path(path), rules.is_batch_folder)
            tables = tuple(replace(t, department=t.department or unit) for t in read.result.tables)
            # where it was, as for a file read through a summary: last year's inbox › unit/file
            out.append(replace(read.result, source=f"{source.name}{ROUTE_MARK}{relative_to(path, source)}",
                               tables=tables))
        found = tuple(out)
    if not any(t.stage == "target" for r in found for t in r.tables):
        raise OutputError(f"上年的 {source} 中没有读到任何绩效目标表；--previous 应是上年的收件箱文件夹，"
                          f"或 perfxl 为上年写的“{ALL_UNITS}_绩效目标汇总.xlsx”")
    return found


def _summary_tables(path: Path, limits: Limits, vocab: Vocabulary) -> tuple[ExtractResult, ...]:
    """Last year's tables in a summary perfxl wrote, read back as a roll-up is (部门整体 tables too,
    each at its original file, sheet and cell), every file's path saying it was read through the
    book (``全部单位_….xlsx › 教育局/x.xlsx``); a book that cannot be read so gives its projects only."""
    try:
        held = read_rollup(read_isolated(os.fspath(path), None, limits))
    except (RollUpError, UnreadableWorkbook):
        return read_targets(path, limits, vocab)
    relative = {s.path: s.relative for s in held.sources}
    return tuple(replace(r, source=f"{path.name}{ROUTE_MARK}{relative.get(r.source, os.path.basename(r.source))}")
                 for r in held.results if r.tables)
