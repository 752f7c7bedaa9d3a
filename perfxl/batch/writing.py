"""Scheduling the summary-book writers: which books a run writes, under which names, and in
which order over the worker pool; each writer gets its book's part of the run and builds the rows."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..model import ALL_UNITS, LEVEL_MARK, Consolidation, Problem, TargetChange, UnitSubmission
from ..read.file_names import safe_file_name
from ..read.worker_pool import fork_context
from ..read.workers import worker_setup
from ..review.approved_targets import match_approved
from ..review.ruleset import RuleSet
from ..review.scoring import score_table
from ..write.atomic import atomic_set
from ..write.season_sheets import change_sheets, submission_sheet
from ..write.self_evaluation_sheets import Evaluations, TableKey
from ..write.summary_book import SheetData, write_book
from ..write.summary_sheets import UnitPart, book_cells, book_contents, has_levels, partition, run_facts
from .pool import stopping
from .read_cache import BookDigest, ReadCache, book_fingerprint
from .stale_books import is_open
from .units import Placement, place_problems

PARALLEL_ROWS = 5000  # indicator rows; below this a process pool costs more than it saves


def book_paths(out_dir: Path, units: list[str], parents: dict[str, str] | None = None) -> dict[str | None, Path]:
    """Where each unit's book (None: every unit's) is written: names made safe for any file
    system, 全部单位 kept for the book of every unit, and never two alike (case ignored, as
    Windows does). A name that had to change — characters a file name cannot hold (承德/高新区,
    承德:高新区), cut short, reserved, or alike another — carries a tag made from the unit's own
    name, so that a unit keeps its file from run to run whichever other units come and go. A unit
    that came in a lower level's summary (``parents``: its 上级单位) is named by its levels and its
    own name ("某市_某县_教育局"), so that two counties' 教育局 have a book each."""
    out: dict[str | None, Path] = {None: out_dir / f"{ALL_UNITS}_绩效目标汇总.xlsx"}
    # 60 characters keep the name within the 255 bytes file systems allow, in UTF-8 too
    parents = parents or {}
    bases = {u: _safe(u) for u in units}
    changed = {u: bases[u] != u for u in units}
    for unit, parent in parents.items():
        if unit in bases and unit.startswith(parent + LEVEL_MARK):
            steps = [*parent.split(LEVEL_MARK), unit[len(parent) + 1:]]
            bases[unit] = _safe("_".join(_safe(step) for step in steps))
            changed[unit] = any(_safe(step) != step for step in steps) or len("_".join(steps)) > 60
    alike = Counter(b.casefold() for b in bases.values())
    taken = {out[None].name.casefold()}
    for unit in sorted(units):
        base = bases[unit]
        if changed[unit] or alike[base.casefold()] > 1 or base.casefold() == ALL_UNITS.casefold():
            base = f"{base}（{hashlib.sha1(unit.encode('utf-8', 'surrogatepass')).hexdigest()[:6]}）"
        name, n = f"{base}_绩效目标汇总.xlsx", 2
        while name.casefold() in taken:
            name, n = f"{base}（{n}）_绩效目标汇总.xlsx", n + 1
        taken.add(name.casefold())
        out[unit] = out_dir / name
    return out


def _safe(name: str) -> str:
    return safe_file_name(name, empty="未命名单位")


def _evaluations(run: Consolidation, rules: RuleSet) -> Evaluations:
    """The scores of the run's self-evaluations and the approved table each one matched (once)."""
    scores = {(r.source, t.sheet, t.anchor): score_table(r.source, t, rules)
              for r in run.results for t in r.tables if t.stage == "self-evaluation"}
    matches = match_approved(run.results, run.targets) if scores else {}
    approved = {key: found[0][1] for key, found in matches.items() if len(found) == 1}
    return Evaluations(scores, approved)


@dataclass(frozen=True)
class BookJob:
    """Everything one book is made of: its writer builds the rows (``book_contents``) from it. A
    unit's job holds that unit's part of the run only; the 全部单位 job the whole run."""

    unit: str | None
    path: Path  # the staged file to write
    head: tuple[str, str, str, bool]  # title, page-header unit, run date, whole
    parts: dict[str | None, UnitPart]
    units: list[str]
    rules: RuleSet
    by_table: dict[TableKey, list[Problem]]
    out_dir: Path
    evaluations: Evaluations
    facts: list[list[Any]]
    levels: bool
    relative: dict[str, str]
    submissions: list[UnitSubmission]
    rostered: bool
    changes: list[TargetChange]
    previous: str | None
    ignore: str  # the run's time, left out of the fingerprint
    tracked: bool  # the run keeps a cache: the book's fingerprint is wanted
    known: str | None  # the fingerprint of the book on disk, when the cache knows it


def make_book(job: BookJob) -> tuple[str, bool]:
    """Build the book's rows and write it, unless the book on disk already holds them. Returns
    the book's mark and whether it was written.

    The mark (kept by the cache) is the digest of what the unit's book is made of and that of
    what it shows: a unit's book made of the same as last time is not even built; one built
    again that shows the same is not rewritten. (The 全部单位 book is made of the whole run,
    which one changed file changes: it is always built, and written as it is built, to be
    dropped when it shows what the book on disk shows.)"""
    made_of = book_fingerprint((), [replace(job, path=Path(), known=None)], ignore=job.ignore) \
        if job.tracked and job.unit is not None else ""
    known_made_of, _, known_shows = (job.known or "").partition(":")
    if made_of and made_of == known_made_of:
        return job.known or "", False
    sheets = itertools.chain(  # 报送情况 leads, 同比 ends
        [submission_sheet(job.submissions, job.unit, job.rostered)],
        book_contents(job.parts, job.unit, job.units, job.rules, job.by_table, job.out_dir, job.evaluations,
                      job.facts, job.levels, job.relative),
        change_sheets(job.changes, job.previous, job.unit, job.out_dir))
    if job.unit is None:  # written as its sheets are made, one sheet's rows held at a time
        digest = BookDigest(job.head, job.ignore) if job.tracked else None
        write_book(job.path, _digested(sheets, digest), *job.head, cells=book_cells(job.parts[None]))
        shows = digest.hexdigest() if digest is not None else ""
        return f"{made_of}:{shows}", job.known is None or shows != known_shows
    made = list(sheets)
    shows = book_fingerprint(job.head, made, ignore=job.ignore) if job.tracked else ""
    if job.known is not None and shows == known_shows:
        return f"{made_of}:{shows}", False
    write_book(job.path, made, *job.head)
    return f"{made_of}:{shows}", True


def _digested(sheets: Iterable[SheetData], digest: BookDigest | None) -> Iterator[SheetData]:
    for sheet in sheets:
        if digest is not None:
            digest.add(sheet)
        yield sheet


def _job(unit: str | None, run: Consolidation, parts: dict[str | None, UnitPart], rules: RuleSet,
         by_table: dict[TableKey, list[Problem]], evaluations: Evaluations, facts: list[list[Any]],
         levels: bool, relative: dict[str, str], path: Path, out_dir: Path, tracked: bool,
         known: str | None) -> BookJob:
    # the book's title is its unit's own name; the 全部单位 book's page header counts its units, so that
    # its pages are never taken for those of a unit that happens to be called 全部单位
    shown = unit if unit is not None else f"{ALL_UNITS}（{len(run.departments)} 个单位）"
    head = (f"{unit or ALL_UNITS} 绩效目标汇总", shown, run.started[:10], unit is None)
    ignore = run.started.replace("T", " ")
    if unit is None:
        return BookJob(None, path, head, parts, run.departments, rules, by_table, out_dir, evaluations, facts,
                       levels, relative, run.submissions, run.roster is not None, run.changes, run.previous, ignore,
                       tracked, known)
    part = parts.get(unit) or UnitPart()
    keys = [(source, t.sheet, t.anchor) for source, t in part.tables]
    own = Evaluations({k: evaluations.scores[k] for k in keys if k in evaluations.scores},
                      {k: evaluations.approved[k] for k in keys if k in evaluations.approved})
    return BookJob(unit, path, head, {unit: part}, run.departments, rules,
                   {k: by_table[k] for k in keys if k in by_table}, out_dir, own, facts, levels,
                   {source: relative[source] for source, _ in part.tables if source in relative},
                   [s for s in run.submissions if unit in s.names], run.roster is not None,
                   [c for c in run.changes if c.unit == unit], run.previous, ignore, tracked, known)


@dataclass(frozen=True)
class _Books:
    """What every book of a run is made from, and where each is staged."""

    run: Consolidation
    parts: dict[str | None, UnitPart]
    rules: RuleSet
    by_table: dict[TableKey, list[Problem]]
    evaluations: Evaluations
    facts: list[list[Any]]
    levels: bool
    relative: dict[str, str]
    out_dir: Path
    staged: dict[str | None, Path]
    tracked: bool
    known: dict[str | None, str | None]

    def job(self, unit: str | None) -> BookJob:
        return _job(unit, self.run, self.parts, self.rules, self.by_table, self.evaluations, self.facts,
                    self.levels, self.relative, self.staged[unit], self.out_dir, self.tracked, self.known[unit])


_books: _Books | None = None  # in a writer: the run's books, inherited when it was forked


def _take_books(books: _Books, parent: int | None = None) -> None:
    global _books
    worker_setup(parent=parent)
    _books = books


def _make_book_of(unit: str | None) -> tuple[str, bool]:
    assert _books is not None, "a writer is started by write_summaries"
    return make_book(_books.job(unit))


def write_summaries(run: Consolidation, out_dir: Path, rules: RuleSet, jobs: int | None = None,
                    cache: ReadCache | None = None, placement: Placement | None = None,
                    meanwhile: Callable[[], None] | None = None) -> tuple[list[str], list[str]]:
    """One ``<单位>_绩效目标汇总.xlsx`` per department and ``全部单位_绩效目标汇总.xlsx``: every
    book's path (全部单位 first), and those of the books left as they were.

    When the run is large enough to pay, the units' books are built and written by worker
    processes while this process makes the 全部单位 book, else all here. The workers are forked
    once the run is complete and so hold it already: each is sent only the name of the unit whose
    book to make (where there is no fork, the run is sent to each worker once). With ``cache``, a
    book whose contents are those it holds (the time of day of the run aside) is not rewritten.
    ``placement``: where each problem of ``run`` belongs, when already worked out
    (``add_submissions``). ``meanwhile``: work of this process that need not wait for the books
    (the cache's reads), done while the writers finish theirs."""
    if placement is None:
        placement = place_problems(run)
    parts = partition(run, placement.units, placement.tables)

    # the 全部单位 book (the longest to write) first, then the units, the biggest first
    jobs = min(jobs or os.cpu_count() or 1, len(run.departments) + 1)
    size = Counter(t.unit for r in run.results for t in r.tables for _ in t.indicators)
    units: list[str | None] = [None, *sorted(run.departments, key=lambda u: -size[u])]
    parents = {t.unit: t.parent for r in run.results for t in r.tables if t.parent}
    targets = book_paths(out_dir, run.departments, parents | {s.unit: s.parent for s in run.sources if s.parent})
    opened = [p.name for p in targets.values() if is_open(p)]
    if opened:  # checked before any book is written, so the set is never left half replaced
        raise OutputError(f"{'、'.join(opened)} 正在 Excel、WPS 或 LibreOffice 中打开（有锁定文件 ~$… 或 "
                          ".~lock…），无法替换；请先在 Excel 中关闭该文件再运行")
    written = [str(targets[u]) for u in (None, *run.departments)]  # 全部单位 first
    kept: set[str] = set()
    with atomic_set([targets[u] for u in units]) as staged:  # the whole set, or none of it
        books = _Books(run, parts, rules, placement.by_table, _evaluations(run, rules),
                       run_facts(run, rules, run.started), has_levels(parts),
                       {s.path: s.relative for s in run.sources}, out_dir,
                       {u: staged[targets[u]] for u in units}, cache is not None,
                       {u: cache.book_mark(targets[u]) if cache is not None else None for u in units})

        def settle(unit: str | None, mark: str, wrote: bool) -> None:
            if not wrote:
                del staged[targets[unit]]  # the book on disk stays as it is
                kept.add(str(targets[unit]))
            if cache is not None:
                cache.book_written(targets[unit], mark)

        if jobs <= 1 or sum(size.values()) < PARALLEL_ROWS:
            for unit in units:
                settle(unit, *make_book(books.job(unit)))
            if meanwhile is not None:
                meanwhile()
        else:
            # the 全部单位 book is made here while the writers make the units' books: a writer
            # making it would touch every result and so copy them all from this process (a fork
            # shares memory only until an object's reference count changes)
            pool = ProcessPoolExecutor(jobs - 1, mp_context=fork_context(), initializer=_take_books,
                                       initargs=(books, os.getpid()))
            with stopping(pool):
                futures = [(unit, pool.submit(_make_book_of, unit)) for unit in units[1:]]
                settle(None, *make_book(books.job(None)))
                if meanwhile is not None:
                    meanwhile()
                for unit, future in futures:
                    settle(unit, *future.result())
    return written, [p for p in written if p in kept]
