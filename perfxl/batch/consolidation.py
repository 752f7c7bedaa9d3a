"""``consolidate``: read an inbox of workbooks (in parallel), assign each table to its unit, check
everything together, and write one summary workbook per unit plus one for all.

The inbox is only ever read. A bad file never stops the run: it is listed with its reason.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..model import UNASSIGNED, Consolidation, ExtractResult, Problem, ReadStatus, SourceFile, UnitSubmission
from ..problems import problem
from ..read.inbox import scan_inbox
from ..read.limits import DEFAULT_LIMITS, Limits
from ..review.checking import check_results, read_targets
from ..review.ruleset import RuleSet, resolve_ruleset
from ..tables.vocabulary import Vocabulary, resolve_vocabulary
from ..write.atomic import ensure_dir
from .cluster import read_on_cluster
from .pool import FileRead, read_all
from .read_cache import ReadCache, settings_key
from .rollups import lift, rollup_parent, route_duplicates
from .roster import find_roster, read_roster, without_roster
from .season import add_changes, add_submissions, read_previous
from .status import fingerprint, rerun_options, write_status
from .units import folder_unit, relative_to, unit_name
from .writing import remove_stale, stale_books, write_summaries


def consolidate(inbox: str | os.PathLike[str] = "workbooks/inbox",
                out_dir: str | os.PathLike[str] = "workbooks/out", *, jobs: int | None = None,
                department: str | None = None, rules: RuleSet | str | os.PathLike[str] | None = None,
                progress: Callable[[int, int], Any] | None = None, write: bool = True,
                limits: Limits = DEFAULT_LIMITS,
                labels: Vocabulary | str | os.PathLike[str] | None = None,
                targets: str | os.PathLike[str] | None = None, clean: bool = False,
                roster: str | os.PathLike[str] | None = None,
                previous: str | os.PathLike[str] | None = None, cache: bool = True,
                scheduler: str | None = None) -> Consolidation:
    """Consolidate every workbook under ``inbox`` into summaries in ``out_dir``.

    ``progress(done, total)`` is called as files are read. Raises OutputError when the run
    cannot happen (inbox missing, output folder not writable), RulesFileError or LabelsFileError
    for a bad rules or labels file. ``targets``: a folder of the year's approved target tables that
    the self-evaluations are held against (besides the target tables in the inbox). Books left in
    ``out_dir`` by units this run has not are listed in ``stale``, and removed with ``clean``.
    ``roster``: the office's list of expected units (else a 报送名单 found in the inbox's top folder)
    for the 报送情况 (``submissions``; also left in ``out_dir/.perfxl-status.json`` for ``status``);
    ``previous``: last year's inbox or 全部单位 summary, for the 同比 (``changes``). RosterFileError
    for a roster that cannot be used. With ``cache`` (and ``write``), ``out_dir/.perfxl-cache``
    keeps each file's read and each book's fingerprint: a rerun reads only the files that changed
    and rewrites only the books that change (``read_cache``). ``scheduler``: the address of a Dask
    scheduler (``tcp://host:8786``) whose workers read and check the files (``cluster``; they see the
    inbox on shared storage under the same path), ClusterError when it cannot be used.
    """
    root = Path(inbox)
    started = dt.datetime.now().isoformat(timespec="seconds")
    ruleset = resolve_ruleset(rules)  # a bad rules or labels file stops the run before anything is read
    vocab = resolve_vocabulary(labels)
    if root.is_file():
        raise OutputError(f"{root} 是一个文件；consolidate 需要的是收件箱文件夹（各单位的工作簿放在里面），"
                          f"只检查一个文件请用 perfxl check {root}")
    if not root.is_dir():
        raise OutputError(f"收件箱文件夹不存在：{root}；请确认路径，或先把各单位的工作簿放进去")
    if write:
        target = Path(out_dir).resolve()
        if target == root.resolve() or root.resolve() in target.parents:
            raise OutputError(f"输出文件夹 {out_dir} 位于收件箱内；收件箱只读，请换一个输出文件夹")
        ensure_dir(out_dir)
    roster_file = Path(roster) if roster is not None else find_roster(root, ruleset)
    listed = read_roster(roster_file, ruleset, limits) if roster_file is not None else None
    scan = scan_inbox([root])
    files = fingerprint(root, scan, os.fspath(roster_file) if roster_file else None)
    options = rerun_options(department=department, rules=ruleset, labels=vocab, limits=limits, targets=targets,
                            roster=roster, previous=previous)
    scan = without_roster(scan, root, ruleset)
    paths = [str(p) for p in scan.found]
    done = 0
    store = ReadCache(out_dir, settings_key(ruleset, vocab, limits)) if cache and write else None
    if store is not None:
        inputs = store.inputs_key(paths, scan.skipped, str(root.resolve()), str(Path(out_dir).resolve()),
                                  department, ruleset.source, vocab.source,
                                  *map(_folder_stats, (targets, roster_file, previous)))
        last = store.last_run(inputs, lambda run: run.outputs)
        if last is not None:  # nothing changed since the last run, and its books are as it wrote them
            if progress:
                progress(len(paths), len(paths))
            last.unchanged = list(last.outputs)
            write_status(last, Path(out_dir), files, options)
            return _finish(last, Path(out_dir), clean)
    last_year = read_previous(previous, ruleset, limits, vocab, jobs) if previous is not None else None

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(paths))

    def read(todo: list[str]) -> list[FileRead]:
        if scheduler is not None:
            return read_on_cluster(todo, ruleset, limits, vocab, scheduler, tick, str(root))
        return read_all(todo, ruleset, limits, vocab, jobs, tick, str(root))  # opened from the inbox down

    reads = store.read(paths, read, tick) if store is not None else read(paths)
    gc.freeze()  # everything read stays alive to the end: spare the collector rescanning it
    try:
        approved = read_targets(targets, limits, vocab)
        run = _gather(root, paths, _drop_duplicates(paths, reads), scan.skipped, department, ruleset, approved)
        run.started = started
        if previous is not None and last_year is not None:
            add_changes(run, previous, last_year, ruleset)
        add_submissions(run, listed, ruleset)
        if write and not run.nothing_read:  # an empty inbox must not replace or remove a good set
            run.outputs, run.unchanged = write_summaries(run, Path(out_dir), ruleset, jobs, store)
            if store is not None:
                store.settle_books(run.outputs)
                store.keep_run(inputs, run)
                store.save()
            _finish(run, Path(out_dir), clean)
            write_status(run, Path(out_dir), files, options)
        return run
    finally:
        gc.unfreeze()


def _finish(run: Consolidation, out_dir: Path, clean: bool) -> Consolidation:
    """List (and with ``clean`` remove) the books in ``out_dir`` of units the run has not."""
    run.stale = [str(p) for p in stale_books(out_dir, run.outputs)]
    run.cleaned = remove_stale(run.stale) if clean else False
    return run


def _folder_stats(folder: str | os.PathLike[str] | None) -> list[tuple[str, int, int]]:
    """The file or every file under the folder with its size and time (what a rerun compares)."""
    if folder is None:
        return []
    out = []
    for path in [Path(folder), *sorted(Path(folder).rglob("*"))]:
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return out


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
    direct = {os.path.realpath(path) for path, read in zip(paths, reads, strict=True) if read.result.rollup is None}
    for path, read in zip(paths, reads, strict=True):
        result = read.result
        if result.rollup is not None:  # a lower level's 全部单位 summary: its files in its place
            parent = rollup_parent(root, Path(path), rules)
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
        fallback = folder_unit(root, Path(path), rules.is_batch_folder) or department
        tables = []
        for table in result.tables:
            name = unit_name(table.department) or fallback
            if name is None:
                extra.append(problem("department-unknown", file=path, sheet=table.sheet, cell=table.anchor))
                name = UNASSIGNED
            tables.append(replace(table, department=name))
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
