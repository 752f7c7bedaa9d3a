"""The worker pools of a run: isolated readers for the inbox (serially, through this process's
own isolated reader, for small inboxes), each file read once from its bytes, with the per-file
review rules run where it was read; and the writers of the summary books."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

from ..cyclic_gc import paused
from ..errors import UnreadableWorkbook
from ..model import ExtractResult, Problem
from ..read.limits import Limits
from ..read.workbook import read_file
from ..read.worker_pool import finish, isolated_map, start_pool, stop
from ..read.workers import ReaderFailed
from ..review.checking import schema_findings
from ..review.ruleset import RuleSet
from ..review.table_rules import file_rules
from ..tables.extraction import extract, unreadable
from ..tables.vocabulary import Vocabulary
from .file_read import STILL_CHANGING, FileRead

SERIAL_BELOW = 40  # files; below this a process pool costs more than it saves
READ_CHUNK = 8  # files a reader is given at a time (see isolated_map)
VALIDATE_EVERY = 250  # reads validated together while the readers read on (the first batch imports pandera)


def read_one(path: str, limits: Limits, vocab: Vocabulary, base: str = "", root: str | None = None) -> FileRead:
    """Extract one file from a single read of its bytes, which also give its size and digest.
    A file whose size or time changes while it is read (still being copied) is not used. A
    relative ``path`` is opened under ``base`` (else the working folder) and named as given;
    it is opened from ``root``, the inbox it was found in, no folder below that followed."""
    opened = os.path.join(base, path)
    try:
        data, before, after = read_file(opened, limits, os.path.join(base, root) if root is not None else None)
    except (UnreadableWorkbook, OSError) as exc:
        reason = exc.reason if isinstance(exc, UnreadableWorkbook) else f"无法读取（{exc}）"
        return FileRead(unreadable(path, reason))
    size, digest = len(data), hashlib.sha256(data).hexdigest()
    modified = dt.datetime.fromtimestamp(after.st_mtime).isoformat(timespec="seconds")
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(data) != after.st_size:
        return FileRead(unreadable(path, STILL_CHANGING), size, digest, modified)
    return FileRead(extract(path, data=data, limits=limits, labels=vocab), size, digest, modified)


def read_chunk(paths: Sequence[str], limits: Limits, rules: RuleSet, vocab: Vocabulary,
               base: str = "", root: str | None = None) -> list[FileRead]:
    """Read files (relative ones under ``base``, each opened from the inbox ``root``) and run the
    rules that need one file only, where the file was read."""
    out = []
    with paused():  # extraction allocates small acyclic objects only
        for path in paths:
            read = read_one(path, limits, vocab, base, root)
            out.append(FileRead(read.result, read.size, read.sha256, read.modified,
                                file_rules(read.result, rules)))
    return out


def read_all(paths: Sequence[str], rules: RuleSet, limits: Limits, vocab: Vocabulary, jobs: int | None = None,
             progress: Callable[[int], None] | None = None, root: str | None = None) -> list[FileRead]:
    """Extract every path (and run the per-file rules), in input order: over a pool of isolated
    readers (``read.isolation``: a file that crashes or hangs its reader is reported and the rest
    go on) when it pays, else here one by one, each file parsed in this process's own isolated
    reader. While the readers read, this process validates what they have read with the schemas.
    ``root``: the inbox the paths were found in (see ``read_one``)."""
    jobs = jobs or os.cpu_count() or 1
    out: list[FileRead] = []
    if jobs <= 1 or len(paths) < SERIAL_BELOW:
        for p in paths:
            out.extend(read_chunk([p], limits, rules, vocab, root=root))
            if progress:
                progress(1)
        _validate(out, [i for i, read in enumerate(out) if read.result.rollup is None], rules)
        return out
    readers = start_pool(jobs, limits, _reader_state, (limits, rules, vocab, root))
    try:
        waiting: list[int] = []  # reads not yet validated
        for read in isolated_map(_read_here, paths, readers, limits, _failed, files_per_task(len(paths), jobs)):
            out.append(read)
            if read.result.rollup is None:  # a lower level's summary was checked there
                waiting.append(len(out) - 1)
            if len(waiting) >= VALIDATE_EVERY:  # while the readers read on
                _validate(out, waiting, rules)
                waiting = []
            if progress:
                progress(1)
        _validate(out, waiting, rules)
    except BaseException:
        stop(readers)  # Ctrl-C, SIGTERM: queued files dropped, readers ended, at once
        raise
    finish(readers)
    return out


def files_per_task(files: int, jobs: int) -> int:
    """How many files a reader is given at a time: up to READ_CHUNK, one for small inboxes (the
    work then spreads evenly over the readers)."""
    return max(1, min(READ_CHUNK, files // (jobs * 16)))


def _validate(reads: list[FileRead], which: list[int], rules: RuleSet) -> None:
    """Validate the frames of ``reads[i]`` for each ``i`` in ``which``, together, in place."""
    found: dict[str, list[Problem]] = {}
    for p in schema_findings([reads[i].result for i in which], rules):
        found.setdefault(p.file or "", []).append(p)
    for i in which:
        reads[i] = replace(reads[i], schema=found.get(reads[i].result.source, []))


_state: tuple[Limits, RuleSet, Vocabulary, str | None] | None = None  # in a reader: what every file is read with


def _reader_state(limits: Limits, rules: RuleSet, vocab: Vocabulary, root: str | None) -> None:
    global _state
    _state = (limits, rules, vocab, root)


def _read_here(path: str) -> FileRead:
    assert _state is not None, "a reader is started by read_all"
    limits, rules, vocab, root = _state
    return read_chunk([path], limits, rules, vocab, root=root)[0]


def _failed(error: ReaderFailed) -> FileRead:
    return FileRead(ExtractResult(error.path, (), (error.problem,)))


@contextlib.contextmanager
def stopping(pool: ProcessPoolExecutor) -> Iterator[ProcessPoolExecutor]:
    """``pool``, shut down normally when the block ends, ended at once when it raises."""
    try:
        yield pool
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:  # one still starting may not have its SIGTERM handling yet
            process.join(2)
            if process.is_alive():
                process.kill()
        raise
    pool.shutdown(wait=True)
