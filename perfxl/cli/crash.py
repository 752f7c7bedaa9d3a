"""When perfxl itself fails: the traceback goes to a log file, the clerk gets a Chinese message
naming it and exit code 3 (1 means the data has errors, 2 that the run could not happen, so a
script never takes a crash for a run). SIGTERM ends a run the way Ctrl-C does: workers stopped,
temporary files removed, nothing half-written."""

from __future__ import annotations

import datetime as dt
import os
import signal
import tempfile
import traceback
from pathlib import Path
from types import FrameType

INTERNAL_ERROR = 3
TERMINATED = 128 + 15  # as a shell reports a process ended by SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwinds like Ctrl-C, so every clean-up on the way out runs."""


def write_log(exc: BaseException, folder: str | os.PathLike[str] | None) -> Path:
    """Write ``exc``'s traceback to a new log file in ``folder`` (else the system's temporary
    folder, also when ``folder`` cannot be written) and return its path."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = "".join(traceback.format_exception(exc))
    for place in (folder, tempfile.gettempdir()):
        if place is None:
            continue
        path = Path(place) / f"perfxl-内部错误-{stamp}-{os.getpid()}.log"
        try:
            path.write_text(text, "utf-8", errors="backslashreplace")
            return path
        except OSError:
            continue
    return Path(tempfile.gettempdir()) / "（无法写出日志）"


def stop_on_sigterm() -> None:
    """From now on SIGTERM raises ``Terminated`` in the main thread."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, handler)
