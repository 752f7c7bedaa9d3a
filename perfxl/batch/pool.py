"""The worker pool that reads an inbox: files in chunks over worker processes (serially for small
inboxes), each read once from its bytes, with the per-file review rules run where it was read."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from ..cyclic_gc import paused
from ..errors import UnreadableWorkbook
from ..model import ExtractResult, Problem
from ..read.limits import Limits
from ..read.workbook import read_bytes
from ..review.checking import warm_up
from ..review.ruleset import RuleSet
from ..review.table_rules import file_rules
from ..tables.extraction import extract, unreadable
from ..tables.vocabulary import Vocabulary

SERIAL_BELOW = 40  # files; below this a process pool costs more than it saves
STILL_CHANGING = "文件在读取时仍在变化（可能还在复制或保存中），本次未使用；请等文件复制完成后重新运行"


@dataclass(frozen=True)
class FileRead:
    """One file as read: what extract found, the file's facts and the per-file rule findings."""

    result: ExtractResult
    size: int = 0
    sha256: str = ""
    modified: str = ""
    findings: list[Problem] = field(default_factory=list)


def read_one(path: str, limits: Limits, vocab: Vocabulary) -> FileRead:
    """Extract one file from a single read of its bytes, which also give its size and digest.
    A file whose size or time changes while it is read (still being copied) is not used."""
    try:
        before = os.stat(path)
    except OSError:
        before = None
    try:
        data = read_bytes(path, limits)
        after = os.stat(path)
    except (UnreadableWorkbook, OSError) as exc:
        reason = exc.reason if isinstance(exc, UnreadableWorkbook) else f"无法读取（{exc}）"
        return FileRead(unreadable(path, reason))
    size, digest = len(data), hashlib.sha256(data).hexdigest()
    modified = dt.datetime.fromtimestamp(after.st_mtime).isoformat(timespec="seconds")
    if before is None or (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) \
            or len(data) != after.st_size:
        return FileRead(unreadable(path, STILL_CHANGING), size, digest, modified)
    return FileRead(extract(path, data=data, limits=limits, labels=vocab), size, digest, modified)


def read_chunk(paths: Sequence[str], limits: Limits, rules: RuleSet, vocab: Vocabulary) -> list[FileRead]:
    """Read files and run the rules that need one file only, where the file was read."""
    out = []
    with paused():  # extraction allocates small acyclic objects only
        for path in paths:
            read = read_one(path, limits, vocab)
            out.append(FileRead(read.result, read.size, read.sha256, read.modified,
                                file_rules(read.result, rules)))
    return out


def read_all(paths: Sequence[str], rules: RuleSet, limits: Limits, vocab: Vocabulary, jobs: int | None = None,
             progress: Callable[[int], None] | None = None,
             pool: ProcessPoolExecutor | None = None) -> list[FileRead]:
    """Extract every path (and run the per-file rules), in chunks over a process pool when it
    pays, in input order. While the workers read, this process imports pandas and pandera."""
    jobs = jobs or os.cpu_count() or 1
    if pool is None and (jobs <= 1 or len(paths) < SERIAL_BELOW):
        out = []
        for p in paths:
            out.extend(read_chunk([p], limits, rules, vocab))
            if progress:
                progress(1)
        return out
    size = max(8, min(200, len(paths) // (jobs * 8) or 1))
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    out = []
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=jobs))
        futures = [pool.submit(read_chunk, chunk, limits, rules, vocab) for chunk in chunks]
        warm_up(rules)  # the slow pandas/pandera imports overlap the reading
        for future in futures:
            part = future.result()
            out.extend(part)
            if progress:
                progress(len(part))
    return out


def worker_pool(jobs: int | None, files: int) -> contextlib.AbstractContextManager[ProcessPoolExecutor | None]:
    """One pool for the whole run, started before anything is read: its workers are forked
    small and get their work (chunks of paths, then summary rows) by message."""
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or files < SERIAL_BELOW:
        return contextlib.nullcontext()
    return ProcessPoolExecutor(max_workers=jobs)
