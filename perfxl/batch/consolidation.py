"""``consolidate``: read an inbox of workbooks (in parallel), assign each table to its unit, check
everything together, and write one summary workbook per unit plus one for all.

The inbox is only ever read. A bad file never stops the run: it is listed with its reason. This
module settles what the run is to do and returns the last run when nothing changed since
(``read_cache``); the run that has to read is ``fresh_run``'s.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..model import Consolidation
from ..read.inbox import scan_inbox
from ..read.limits import DEFAULT_LIMITS, Limits
from ..review.ruleset import RuleSet, resolve_ruleset
from ..tables.vocabulary import Vocabulary, resolve_vocabulary
from ..write.atomic import ensure_dir
from .read_cache import ReadCache, settings_key
from .roster import find_roster, read_roster, without_roster
from .run_plan import RunPlan
from .stale_books import list_stale
from .status import fingerprint, rerun_options, write_status


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
    scan = scan_inbox([root])
    files = fingerprint(root, scan, os.fspath(roster_file) if roster_file else None)
    options = rerun_options(department=department, rules=ruleset, labels=vocab, limits=limits, targets=targets,
                            roster=roster, previous=previous)
    scan = without_roster(scan, root, ruleset)
    paths = [str(p) for p in scan.found]
    store = ReadCache(out_dir, settings_key(ruleset, vocab, limits)) if cache and write else None
    inputs = ""
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
            return list_stale(last, Path(out_dir), clean)
    # imported here, not above: the readers, checks and writers cost a rerun that finds nothing
    # changed more than all the rest of it
    from .fresh_run import run_fresh

    listed = read_roster(roster_file, ruleset, limits) if roster_file is not None else None
    plan = RunPlan(root, Path(out_dir), paths, scan.skipped, ruleset, vocab, limits, jobs, department, targets,
                   previous, listed, write, clean, scheduler, started, files, options)
    return run_fresh(plan, store, inputs, progress)


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
