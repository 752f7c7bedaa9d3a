"""A run that has to read: the files the cache does not hold read (in parallel), every table
assigned to its unit, everything checked together, and the books written."""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..model import UNASSIGNED, Consolidation, ExtractResult, Problem, ReadStatus, SourceFile, UnitSubmission
from ..problems import problem
from ..review.checking import check_results, read_targets
from ..review.ruleset import RuleSet
from .cluster import read_on_cluster
from .file_read import FileRead
from .pool import read_all
from .read_cache import ReadCache
from .rollups import lift, rollup_parent, route_duplicates
from .run_plan import RunPlan
from .season import add_changes, add_submissions, read_previous
from .stale_books import list_stale
from .status import write_status
from .units import folder_unit, relative_to, unit_name
from .writing import write_summaries


def run_fresh(plan: RunPlan, store: ReadCache | None, inputs: str,
              progress: Callable[[int, int], Any] | None = None) -> Consolidation:
    """The run ``plan`` describes, reading what ``store`` (the output folder's cache, if any) does
    not hold; the run kept in ``store`` under ``inputs`` (its inputs' digest) once written."""
    done = 0
    last_year = None
    if plan.previous is not None:
        last_year = read_previous(plan.previous, plan.rules, plan.limits, plan.vocab, plan.jobs)

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(plan.paths))

    def read(todo: list[str]) -> list[FileRead]:
        if plan.scheduler is not None:
            return read_on_cluster(todo, plan.rules, plan.limits, plan.vocab, plan.scheduler, tick, str(plan.root))
        # opened from the inbox down
        return read_all(todo, plan.rules, plan.limits, plan.vocab, plan.jobs, tick, str(plan.root))

    reads = store.read(plan.paths, read, tick) if store is not None else read(plan.paths)
    gc.freeze()  # everything read stays alive to the end: spare the collector rescanning it
    try:
        approved = read_targets(plan.targets, plan.limits, plan.vocab)
        run = _gather(plan.root, plan.paths, _drop_duplicates(plan.paths, reads), plan.skipped, plan.department,
                      plan.rules, approved)
        run.started = plan.started
        if plan.previous is not None and last_year is not None:
            add_changes(run, plan.previous, last_year, plan.rules)
        placement = add_submissions(run, plan.roster, plan.rules)
        if plan.write and not run.nothing_read:  # an empty inbox must not replace or remove a good set
            def meanwhile() -> None:  # what the cache keeps that the books do not change
                if store is not None:
                    store.keep_results(run)
                    store.save_reads()

            run.outputs, run.unchanged = write_summaries(run, plan.out_dir, plan.rules, plan.jobs, store, placement,
                                                         meanwhile)
            if store is not None:
                store.settle_books(run.outputs)
                store.keep_run(inputs, run)
                store.save()
            list_stale(run, plan.out_dir, plan.clean)
            write_status(run, plan.out_dir, plan.files, plan.options)
        return run
    finally:
        gc.unfreeze()


def _drop_duplicates(paths: list[str], reads: list[FileRead]) -> list[FileRead]:
    """The same file sent twice under two names is read once: the earliest saved copy (then the
    first by path) is kept, the later copies keep no tables and say which file they repeat."""
    keep: dict[str, tuple[str, str]] = {}  # digest -> (modified, path) of the copy kept
    for path, read in zip(paths, reads, strict=True):
        if read.sha256 and read.result.readable and read.result.tables:  # nothing to count twice otherwise
            keep[read.sha256] = min(keep.get(read.sha256, (read.modified, path)), (read.modified, path))
    out = []
    for path, read in zip(paths, reads, strict=True):
        kept = keep.get(read.sha256)
        if kept is not None and kept[1] != path and read.result.readable and read.result.tables:
            duplicate = problem("file-duplicate", file=path, original=os.path.basename(kept[1]))
            read = replace(read, result=ExtractResult(path, (), (duplicate,)), findings=[], schema=[])
        out.append(read)
    return out


def _gather(root: Path, paths: list[str], reads: list[FileRead], skipped: list[Problem],
            department: str | None, rules: RuleSet, targets: tuple[ExtractResult, ...] = ()) -> Consolidation:
    """The run: every table in its unit, every file with its status, every problem checked."""
    results: list[ExtractResult] = []
    sources: list[SourceFile] = []
    extra: list[Problem] = []
    department = unit_name(department)
    for p in skipped:
        unit = folder_unit(root, Path(p.file or ""), rules.is_batch_folder) or department or UNASSIGNED
        size, modified = _facts(p.file or "")
        sources.append(SourceFile(p.file or "", relative_to(p.file or "", root), size, "", modified, 0,
                                  ReadStatus.SKIPPED, unit, p.message))
    per_file: list[list[Problem]] = []
    validated: list[bool] = []  # per result: its schema failures are in per_file already
    absent: list[UnitSubmission] = []  # the units lower levels' rosters list as not submitted
    # (a county's summary may hold a file also sent here directly: that is read, and a finding)
    direct: set[str] | None = None  # the real paths of the files sent here, once a summary needs them
    unit_of_folder: dict[str, str | None] = {}  # the files of one folder have one folder unit
    for path, read in zip(paths, reads, strict=True):
        result = read.result
        if result.rollup is not None:  # a lower level's 全部单位 summary: its files in its place
            parent = rollup_parent(root, Path(path), rules)
            if direct is None:
                direct = {os.path.realpath(p) for p, r in zip(paths, reads, strict=True) if r.result.rollup is None}
            same = sum(os.path.realpath(s.path) in direct for s in result.rollup.sources if s.path)
            if same or parent is None:
                # this inbox's own earlier summary (its files are the very files read here), or one at the
                # inbox's top named by no level: whose it is cannot be told (last year's, say)
                note = problem("rollup-overlaps-inbox", file=path, count=same) if same else \
                    problem("rollup-unplaced", file=path)
                results.append(ExtractResult(path, (), (note,)))
                per_file.append([])
                validated.append(True)
                sources.append(SourceFile(path, relative_to(path, root), read.size, read.sha256, read.modified, 0,
                                          ReadStatus.SKIPPED, parent or UNASSIGNED, note.message))
                continue
            result, parts, held, not_sent = lift(result, parent, relative_to(path, root))
            results.extend(parts)
            absent.extend(not_sent)
            per_file.extend([] for _ in parts)
            validated.extend(True for _ in parts)
            sources.extend(held)
            results.append(result)
            per_file.append([])
            validated.append(True)
            sources.append(SourceFile(path, relative_to(path, root), read.size, read.sha256, read.modified,
                                      sum(len(r.tables) for r in parts), ReadStatus.ROLLED_UP, parent,
                                      result.problems[0].message))
            continue
        folder = os.path.dirname(path)
        if folder not in unit_of_folder:
            unit_of_folder[folder] = folder_unit(root, Path(path), rules.is_batch_folder)
        fallback = unit_of_folder[folder] or department
        tables = []
        for table in result.tables:
            name = unit_name(table.department) or fallback
            if name is None:
                extra.append(problem("department-unknown", file=path, sheet=table.sheet, cell=table.anchor))
                name = UNASSIGNED
            tables.append(table if name == table.department else replace(table, department=name))
        if any(new is not old for new, old in zip(tables, result.tables, strict=True)):
            result = replace(result, tables=tuple(tables))
        results.append(result)
        per_file.append(read.findings + (read.schema or []))
        validated.append(read.schema is not None)
        unit = (tables[0].department if tables else None) or fallback or UNASSIGNED
        status, reason = _status(result, bool(tables))
        sources.append(SourceFile(path, relative_to(path, root), read.size, read.sha256, read.modified,
                                  len(tables), status, unit, reason))
    extra += route_duplicates(results)
    checked = check_results(results, rules, per_file=per_file, skipped=skipped, targets=targets,
                            validated=validated)
    problems = sorted(list(checked.problems) + rules.adjusted(extra), key=Problem.sort_key)
    seen = {s.unit for s in sources if s.status not in (ReadStatus.SKIPPED, ReadStatus.ROLLED_UP)}
    departments = sorted(seen | {t.unit for r in results for t in r.tables})
    return Consolidation(str(root), results, sources, problems, departments, targets=list(targets), absent_below=absent)


_NOT_SUBMISSIONS = ("file-duplicate", "own-summary-skipped", "own-annotated-copy-skipped", "blank-template-skipped",
                    "rollup-overlaps-inbox", "rollup-unplaced")


def _facts(path: str) -> tuple[int, str]:
    """Size and time of a file passed over unread (of a link itself, never of what it points at)."""
    try:
        st = os.lstat(path)
    except (OSError, ValueError):
        return 0, ""
    return st.st_size, dt.datetime.fromtimestamp(st.st_mtime).isoformat(timespec="seconds")


def _status(result: ExtractResult, has_tables: bool) -> tuple[ReadStatus, str | None]:
    if not result.readable:
        return ReadStatus.FAILED, result.problems[0].message
    if any(p.code in _NOT_SUBMISSIONS for p in result.problems):
        return ReadStatus.SKIPPED, result.problems[0].message
    return (ReadStatus.READ if has_tables else ReadStatus.NO_TABLE), None
