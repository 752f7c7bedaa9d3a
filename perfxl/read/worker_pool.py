"""Pools of isolated workers (pebble), for reading an inbox: every file parsed in a worker with
the memory cap and a deadline of its own; a worker that dies or overruns is replaced and its file
reported as ``ReaderFailed``, and the rest of the run goes on."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, TimeoutError
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool
from pebble.common.types import CONSTS

from .limits import Limits
from .workers import ReaderFailed, worker_setup

# pebble's pool threads wake every ``sleep_unit`` (0.1 s) to look at deadlines and at a pool being
# stopped: every stop waited up to that long for nothing
CONSTS.sleep_unit = 0.01

T = TypeVar("T")


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
        raise ReaderFailed.timed_out(path, limits) from None
    except ProcessExpired as exc:
        raise ReaderFailed.crashed(path, limits, exc.exitcode) from None
    except MemoryError:
        raise ReaderFailed.out_of_memory(path, limits) from None


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
