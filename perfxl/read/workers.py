"""What every isolated worker shares, whichever kind started it: its set-up (memory cap, signals,
death with its parent), the mark that code runs in one, and ``ReaderFailed``, the file that took
its worker down."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

if sys.platform != "win32":
    import resource

from .limits import Limits
from .refused import RefusedWorkbook

_in_worker = False
_PR_SET_PDEATHSIG = 1


class ReaderFailed(RefusedWorkbook):
    """The worker reading a file died or overran its deadline: ``problem`` says which."""

    @classmethod
    def timed_out(cls, path: str, limits: Limits) -> ReaderFailed:
        return cls(path, "read-timeout", seconds=limits.seconds)

    @classmethod
    def crashed(cls, path: str, limits: Limits, exitcode: int | None) -> ReaderFailed:
        """The worker ended with ``exitcode`` (negative: the signal that killed it)."""
        return cls(path, "reader-crashed", how=how_it_died(exitcode), memory_mb=limits.memory_mb)

    @classmethod
    def out_of_memory(cls, path: str, limits: Limits) -> ReaderFailed:
        return cls(path, "reader-crashed", how="内存不足", memory_mb=limits.memory_mb)


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


def in_worker() -> bool:
    return _in_worker


def how_it_died(exitcode: int | None) -> str:
    """A worker's end in words: the signal that killed it, or its exit code."""
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"信号 {-exitcode}"
    return f"退出码 {exitcode}"
