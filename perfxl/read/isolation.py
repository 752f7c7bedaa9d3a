"""Parsing untrusted files where they cannot take the run with them: in worker processes with a
cap on their address space and a deadline per file. A worker that dies (a native abort, the
memory cap) or overruns the deadline is replaced, its file reported as ``ReaderFailed``, and the
run goes on.

Two ways in: ``isolated`` runs one call in a long-lived worker of this process (started on first
use, about 20 ms, then well under a millisecond a call) — for ``extract``, ``check`` and the
other commands that read file by file; ``isolated_map`` spreads many calls over a pool of such
workers — for an inbox. Code already running in a worker calls straight through.
"""

from __future__ import annotations

import atexit
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, TimeoutError
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool
from pebble.common.types import CONSTS

if sys.platform != "win32":
    import resource

from .limits import Limits
from .refused import RefusedWorkbook
from .sheet import Sheet
from .workbook import read_workbook

# pebble's pool threads wake every ``sleep_unit`` (0.1 s) to look at deadlines and at a pool being
# stopped: every stop, and so every single-file command, waited up to that long for nothing
CONSTS.sleep_unit = 0.01

T = TypeVar("T")

_in_worker = False
_single: tuple[ProcessPool, int] | None = None  # this process's worker for ``isolated``, its cap


class ReaderFailed(RefusedWorkbook):
    """The worker reading a file died or overran its deadline: ``problem`` says which."""


def worker_setup(memory_mb: int | None = None, parent: int | None = None) -> None:
    """In a worker, first thing: mark it one, let SIGTERM end it and leave Ctrl-C to the main
    process (which stops its workers), end it with ``parent`` (the pid of the process that
    started it) however that dies, and cap its address space at what it holds now plus
    ``memory_mb``."""
    global _in_worker
    _in_worker = True
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        _die_with(parent)
    if memory_mb is not None and sys.platform.startswith("linux"):
        with open("/proc/self/statm", "rb") as fh:
            held = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = held + memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when ``parent`` dies, SIGKILL included (Linux): nothing
    else would end it, as a forked worker holds both ends of the pipe it waits on for work."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no C library to ask: the worker ends with its pipe, or never
        return
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def in_worker() -> bool:
    return _in_worker


def fork_context() -> Any:
    """The start method of every worker pool: fork where there is one."""
    # fork on Linux: a worker starts in milliseconds with everything already imported
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def start_pool(workers: int, limits: Limits, initializer: Callable[..., None] | None = None,
               initargs: tuple[Any, ...] = ()) -> ProcessPool:
    """A pool of isolated workers; ``initializer(*initargs)`` runs in each after ``worker_setup``."""
    return ProcessPool(max_workers=workers, initializer=_init,
                       initargs=(limits.memory_mb, initializer, initargs, os.getpid()), context=fork_context())


def _init(memory_mb: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...],
          parent: int | None = None) -> None:
    worker_setup(memory_mb, parent)
    if initializer is not None:
        initializer(*initargs)


def finish(pool: ProcessPool) -> None:
    """Let ``pool`` finish what it was given, then end it."""
    pool.close()  # type: ignore[no-untyped-call]  # pebble leaves it unannotated
    pool.join()


def stop(pool: ProcessPool) -> None:
    """End ``pool`` now: queued work dropped, running workers terminated."""
    pool.stop()  # type: ignore[no-untyped-call]  # pebble leaves it unannotated
    pool.join()


def outcome(future: Future[T], path: str, limits: Limits) -> T:
    """The result of an isolated call on ``path``; ReaderFailed if its worker died or timed out."""
    try:
        return future.result()
    except TimeoutError:
        raise ReaderFailed(path, "read-timeout", seconds=limits.seconds) from None
    except ProcessExpired as exc:
        raise ReaderFailed(path, "reader-crashed", how=_death(exc.exitcode), memory_mb=limits.memory_mb) from None
    except MemoryError:
        raise ReaderFailed(path, "reader-crashed", how="内存不足", memory_mb=limits.memory_mb) from None


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"信号 {-exitcode}"
    return f"退出码 {exitcode}"


def isolated(fn: Callable[..., T], path: str, limits: Limits, *args: Any) -> T:
    """``fn(*args)`` run in this process's isolated worker (directly when already in one), with
    ``limits.seconds`` as its deadline; ReaderFailed names ``path`` when the worker fails."""
    global _single
    if _in_worker:
        return fn(*args)
    if _single is not None and _single[1] != limits.memory_mb:
        stop(_single[0])
        _single = None
    if _single is None:
        _single = (start_pool(1, limits), limits.memory_mb)
    pool = _single[0]
    try:
        return outcome(pool.schedule(fn, args, timeout=limits.seconds), path, limits)
    except BaseException as exc:
        if not isinstance(exc, (ReaderFailed, Exception)):  # Ctrl-C, SIGTERM: do not wait for it
            stop(pool)
            _single = None
        raise


def isolated_map(fn: Callable[[str], T], paths: Sequence[str], pool: ProcessPool, limits: Limits,
                 failed: Callable[[ReaderFailed], T], chunk: int = 1) -> Iterator[T]:
    """``fn(path)`` for every path over ``pool`` (all queued at once), in order; ``failed(error)``
    stands in for the result of a path whose worker died or overran ``limits.seconds``.

    With ``chunk`` > 1 a worker is given that many paths at a time, with as many deadlines: a
    task costs the pool about half a millisecond, as much as reading a small workbook. A chunk
    whose worker died or overran is read again path by path, each with its own deadline, so
    that only the file at fault is reported."""
    chunks = [list(paths[i:i + chunk]) for i in range(0, len(paths), max(chunk, 1))]
    futures = [(part, pool.schedule(_each, (fn, part), timeout=limits.seconds * len(part))) for part in chunks]

    def one(path: str) -> T:
        try:
            return outcome(pool.schedule(fn, (path,), timeout=limits.seconds), path, limits)
        except ReaderFailed as exc:
            return failed(exc)

    def results() -> Iterator[T]:
        for part, future in futures:
            try:
                yield from outcome(future, part[0], limits)
            except ReaderFailed as exc:
                if len(part) == 1:
                    yield failed(exc)
                else:
                    yield from map(one, part)

    return results()


def _each(fn: Callable[[str], T], paths: list[str]) -> list[T]:
    return [fn(path) for path in paths]


def read_isolated(path: str, data: bytes | None, limits: Limits) -> list[Sheet]:
    """``read_workbook`` in an isolated worker: UnreadableWorkbook as ever, ReaderFailed when the
    worker died or overran the deadline."""
    return isolated(read_workbook, path, limits, path, data, limits)


@atexit.register
def stop_single() -> None:
    """End this process's worker for ``isolated`` (the next call starts a new one)."""
    global _single
    if _single is not None:
        stop(_single[0])
        _single = None
