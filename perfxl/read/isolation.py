"""Parsing untrusted files where they cannot take the run with them: in a worker process with a
cap on its address space and a deadline per call. A worker that dies (a native abort, the
memory cap) or overruns the deadline is killed, its file reported as ``ReaderFailed``, and the
next call starts a new one.

``isolated`` runs one call in this process's own long-lived worker: forked on first use, fed
one pickled call at a time down a pipe and answered up another, so a call costs a round trip of
its arguments and result (about half a millisecond for a workbook: the benchmark's ``of which
isolation``) — for ``extract``, ``check`` and the other commands that read file by file. Pools
of such workers, for an inbox, are in ``worker_pool``.
Code already running in a worker calls straight through.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from .limits import Limits
from .sheet import Sheet
from .workbook import read_workbook
from .workers import ReaderFailed, in_worker, worker_setup

T = TypeVar("T")

_HEADER = struct.Struct("<Q")  # the length of the pickle that follows


class _Died(Exception):
    """The worker's pipe closed before its answer came: it is gone."""


class _Worker:
    """One forked worker and its two pipes: calls down, answers up."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        calls_in, calls_out = os.pipe()
        answers_in, answers_out = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the caller's code
            try:
                os.close(calls_out)
                os.close(answers_in)
                worker_setup(memory_mb, parent)
                _serve(calls_in, answers_out)
            finally:
                os._exit(0)
        os.close(calls_in)
        os.close(answers_out)
        self.pid: int | None = pid
        self.calls, self.answers = calls_out, answers_in
        self.exitcode: int | None = None

    def call(self, fn: Callable[..., T], args: tuple[Any, ...], path: str, limits: Limits) -> T:
        """``fn(*args)`` in the worker; ReaderFailed when it dies or overruns ``limits.seconds``
        (then it is gone and this object of no more use)."""
        message = pickle.dumps((fn, args), pickle.HIGHEST_PROTOCOL)
        deadline = time.monotonic() + limits.seconds
        try:
            _write_all(self.calls, _HEADER.pack(len(message)) + message)
            size = _HEADER.unpack(_read_exactly(self.answers, _HEADER.size, deadline))[0]
            ok, value = pickle.loads(_read_exactly(self.answers, size, deadline))
        except TimeoutError:
            self.stop()
            raise ReaderFailed.timed_out(path, limits) from None
        except (_Died, BrokenPipeError):
            raise ReaderFailed.crashed(path, limits, self.stop()) from None
        if ok:
            return value
        if isinstance(value, MemoryError):
            raise ReaderFailed.out_of_memory(path, limits)
        raise value

    def stop(self) -> int | None:
        """Kill the worker (idle or not) and reap it, once; its exit code, negative for a signal."""
        if self.pid is None:
            return self.exitcode
        for fd in (self.calls, self.answers):
            os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            self.exitcode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        self.pid = None
        return self.exitcode


def _serve(calls: int, answers: int) -> None:
    """The worker's loop: a call in, its answer out, until the pipe closes."""
    while True:
        try:
            size = _HEADER.unpack(_read_exactly(calls, _HEADER.size, None))[0]
            fn, args = pickle.loads(_read_exactly(calls, size, None))
        except _Died:
            return
        try:
            answer = pickle.dumps((True, fn(*args)), pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # sent back to be raised in the caller, as if raised there
            try:
                answer = pickle.dumps((False, exc), pickle.HIGHEST_PROTOCOL)
            except Exception:  # an exception that cannot be pickled: its words at least
                answer = pickle.dumps((False, RuntimeError(repr(exc))), pickle.HIGHEST_PROTOCOL)
        _write_all(answers, _HEADER.pack(len(answer)) + answer)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    """``size`` bytes from ``fd``; TimeoutError past ``deadline``, _Died when it closes first."""
    parts, missing = [], size
    while missing:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        part = os.read(fd, min(missing, 1 << 20))
        if not part:
            raise _Died
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


class _Single(Protocol):
    memory_mb: int

    def call(self, fn: Callable[..., T], args: tuple[Any, ...], path: str, limits: Limits) -> T: ...

    def stop(self) -> int | None: ...


class _PoolOfOne:
    """Where there is no fork (Windows): a pool of one spawned worker stands in for ``_Worker``."""

    def __init__(self, memory_mb: int) -> None:
        # imported here, not above: pebble and asyncio cost a cold start 30 ms that fork spares
        from .worker_pool import start_pool

        self.memory_mb = memory_mb
        self.pool = start_pool(1, Limits(memory_mb=memory_mb))

    def call(self, fn: Callable[..., T], args: tuple[Any, ...], path: str, limits: Limits) -> T:
        from .worker_pool import outcome

        return outcome(self.pool.schedule(fn, args, timeout=limits.seconds), path, limits)

    def stop(self) -> int | None:
        from .worker_pool import stop

        stop(self.pool)
        return None


_single: _Single | None = None  # this process's worker for ``isolated``
_lock = threading.Lock()


def isolated(fn: Callable[..., T], path: str, limits: Limits, *args: Any) -> T:
    """``fn(*args)`` run in this process's isolated worker (directly when already in one), with
    ``limits.seconds`` as its deadline; ReaderFailed names ``path`` when the worker fails."""
    global _single
    if in_worker():
        return fn(*args)
    with _lock:
        if _single is not None and _single.memory_mb != limits.memory_mb:
            _single.stop()
            _single = None
        if _single is None:
            _single = _Worker(limits.memory_mb) if hasattr(os, "fork") else _PoolOfOne(limits.memory_mb)
        worker = _single
        try:
            return worker.call(fn, args, path, limits)
        except BaseException as exc:
            # a worker that failed is gone; one interrupted (Ctrl-C, SIGTERM) may be mid-call
            if isinstance(exc, ReaderFailed) or not isinstance(exc, Exception):
                worker.stop()
                _single = None
            raise


def read_isolated(path: str, data: bytes | None, limits: Limits) -> list[Sheet]:
    """``read_workbook`` in an isolated worker: UnreadableWorkbook as ever, ReaderFailed when the
    worker died or overran the deadline."""
    return isolated(read_workbook, path, limits, path, data, limits)


@atexit.register
def stop_single() -> None:
    """End this process's worker for ``isolated`` (the next call starts a new one)."""
    global _single
    if _single is not None:
        _single.stop()
        _single = None
