"""Scheduling the summary-book writers: which books a run writes, under which names, and in
which order over the worker pool, each book's rows built here and sent to its writer."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

from ..errors import OutputError
from ..model import ALL_UNITS, LEVEL_MARK, Consolidation
from ..read.isolation import worker_setup
from ..review.approved_targets import match_approved
from ..review.ruleset import RuleSet
from ..review.scoring import score_table
from ..write.atomic import atomic_set
from ..write.season_sheets import change_sheets, submission_sheet
from ..write.self_evaluation_sheets import Evaluations
from ..write.summary_book import SheetData, write_book
from ..write.summary_sheets import book_contents, partition, run_facts
from .pool import stopping
from .read_cache import ReadCache, book_fingerprint
from .units import place_problems

PARALLEL_ROWS = 5000  # indicator rows; below this a process pool costs more than it saves
_SAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


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
    """A name any file system holds: no characters a file name cannot have, at most 60 of them."""
    return _SAFE_NAME.sub("_", name).strip(" .")[:60].rstrip(" .") or "未命名单位"


def _evaluations(run: Consolidation, rules: RuleSet) -> Evaluations:
    """The scores of the run's self-evaluations and the approved table each one matched (once)."""
    scores = {(r.source, t.sheet, t.anchor): score_table(r.source, t, rules)
              for r in run.results for t in r.tables if t.stage == "self-evaluation"}
    matches = match_approved(run.results, run.targets) if scores else {}
    approved = {key: found[0][1] for key, found in matches.items() if len(found) == 1}
    return Evaluations(scores, approved)


def write_summaries(run: Consolidation, out_dir: Path, rules: RuleSet, jobs: int | None = None,
                    pool: ProcessPoolExecutor | None = None, cache: ReadCache | None = None) -> list[str]:
    """One ``<单位>_绩效目标汇总.xlsx`` per department and ``全部单位_绩效目标汇总.xlsx``.

    Each book's rows are built here and, when the run is large enough to pay, written by worker
    processes (``pool``, or a new one) that receive only their own book's rows; at most a few
    books wait at a time. With ``cache``, a book whose contents are those it holds (the time of day
    of the run aside) is not rewritten."""
    placement = place_problems(run)
    parts = partition(run, placement.units, placement.tables)
    evaluations = _evaluations(run, rules)

    facts = run_facts(run, rules, run.started)

    def contents(unit: str | None) -> list[SheetData]:  # 报送情况 leads every book, 同比 ends it
        return [submission_sheet(run.submissions, unit, run.roster is not None),
                *book_contents(parts, unit, run.departments, rules, placement.by_table, out_dir, evaluations, facts),
                *change_sheets(run.changes, run.previous, unit, out_dir)]

    def args(unit: str | None) -> tuple[Path, list[SheetData], str, str, str, bool] | None:
        """What ``write_book`` needs for the book, or None when the book on disk already holds it."""
        # the book's title is its unit's own name; the 全部单位 book's page header counts its units, so that
        # its pages are never taken for those of a unit that happens to be called 全部单位
        head = unit if unit is not None else f"{ALL_UNITS}（{len(run.departments)} 个单位）"
        sheets, target = contents(unit), targets[unit]
        rest = (f"{unit or ALL_UNITS} 绩效目标汇总", head, run.started[:10], unit is None)
        if cache is not None:
            mark = book_fingerprint(rest, sheets, ignore=run.started.replace("T", " "))
            if cache.book_unchanged(target, mark):
                del staged[target]
                return None
            cache.book_written(target, mark)
        return staged[target], sheets, *rest

    # small books first, one per worker, so every worker starts at once; then the biggest
    # (whose rows take longest to build here), then the rest
    jobs = min(jobs or os.cpu_count() or 1, len(run.departments) + 1)
    units: list[str | None] = [*run.departments[:jobs], None, *run.departments[jobs:]]
    parents = {t.unit: t.parent for r in run.results for t in r.tables if t.parent}
    targets = book_paths(out_dir, run.departments, parents | {s.unit: s.parent for s in run.sources if s.parent})
    opened = [p.name for p in targets.values() if is_open(p)]
    if opened:  # checked before any book is written, so the set is never left half replaced
        raise OutputError(f"{'、'.join(opened)} 正在 Excel、WPS 或 LibreOffice 中打开（有锁定文件 ~$… 或 "
                          ".~lock…），无法替换；请先在 Excel 中关闭该文件再运行")
    rows = sum(len(t.indicators) for r in run.results for t in r.tables)
    written = [str(targets[u]) for u in (None, *run.departments)]  # 全部单位 first
    with atomic_set([targets[u] for u in units]) as staged:  # the whole set, or none of it
        if jobs <= 1 or rows < PARALLEL_ROWS:
            for unit in units:
                if (book := args(unit)) is not None:
                    write_book(*book)
            return written
        with contextlib.ExitStack() as stack:
            if pool is None:
                pool = stack.enter_context(stopping(ProcessPoolExecutor(jobs, initializer=worker_setup)))
            pending: set[Future[str]] = set()
            for unit in units:
                if (book := args(unit)) is None:
                    continue
                if len(pending) > jobs:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()
                pending.add(pool.submit(write_book, *book))
            for future in pending:
                future.result()
    return written


def stale_books(out_dir: Path, written: list[str]) -> list[Path]:
    """Summary books in ``out_dir`` that this run did not write (a unit renamed or gone)."""
    keep = {Path(p).name for p in written}
    return sorted(p for p in out_dir.glob("*_绩效目标汇总.xlsx") if p.name not in keep and not p.name.startswith("~$"))


def is_open(book: Path) -> bool:
    """True while Excel or WPS (``~$name``) or LibreOffice (``.~lock.name#``) holds the book open."""
    return (book.parent / f"~${book.name}").exists() or (book.parent / f".~lock.{book.name}#").exists()


def remove_stale(stale: list[str]) -> bool:
    """Remove the books of units gone (``--clean``); none of them while one is open (see
    ``is_open``), which is said instead. True when they were removed."""
    opened = [Path(p).name for p in stale if is_open(Path(p))]
    if opened:
        raise OutputError(f"{'、'.join(opened)} 正在 Excel、WPS 或 LibreOffice 中打开（有锁定文件 ~$… 或 "
                          ".~lock…），--clean 无法删除；请先在 Excel 中关闭该文件再运行")
    for path in stale:
        Path(path).unlink(missing_ok=True)
    return bool(stale)
