"""``watch``: consolidate an inbox, then again whenever files arrive or change in it — once a
changed file has stopped changing (its size and time the same for ``settle`` seconds), so that a
file still being copied is never read half-way; Office lock files, temporary and hidden files
and the output folder are ignored. File events come from ``watchfiles`` (the operating system's
notifications, through the Rust ``notify`` crate), not from a polling loop of perfxl's own."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import watchfiles

from ..errors import OutputError, PerfxlError
from ..read.inbox import transient
from .consolidation import consolidate

_STEP_SECONDS = 0.2  # how often the watcher wakes to look at the clock and at ``stop``


@dataclass(frozen=True)
class WatchRun:
    """One consolidation ``watch`` made: when, which files prompted it, what it found and wrote
    (``failed``: why the run could not be made, e.g. a book open in Excel)."""

    started: str
    changed: tuple[str, ...]
    files: int = 0
    errors: int = 0
    warnings: int = 0
    outputs: tuple[str, ...] = ()
    failed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"started": self.started, "changed": list(self.changed), "files": self.files,
                "errors": self.errors, "warnings": self.warnings, "outputs": list(self.outputs),
                "failed": self.failed}

    @property
    def line(self) -> str:
        """The run in one Chinese line, as ``perfxl watch`` prints it."""
        when = self.started[11:19]
        files = sum(not c.endswith("/") for c in self.changed)
        cause = (f"（{files} 个文件有变化）" if files else f"（{len(self.changed)} 个文件夹有变化）" if self.changed
                 else "（启动时）")
        if self.failed:
            return f"[{when}] 汇总未完成{cause}：{self.failed}"
        return (f"[{when}] 已汇总{cause}：{self.files} 个文件，错误 {self.errors} 个，警告 {self.warnings} 个，"
                f"写出 {len(self.outputs)} 个汇总工作簿")


@dataclass
class _Stop:
    """The ``stop_event`` watchfiles asks, backed by the caller's ``stop``."""

    stop: Callable[[], bool] | None
    done: bool = False

    def is_set(self) -> bool:
        return self.done or bool(self.stop and self.stop())


@dataclass
class _Pending:
    """Changed files not consolidated yet, and their size and time when last looked at."""

    paths: set[str] = field(default_factory=set)
    stats: dict[str, tuple[int, int] | None] = field(default_factory=dict)
    quiet_since: float = 0.0


def ignored(path: str, out_dir: Path | None = None) -> bool:
    """True for what a change of never prompts a run: Office/WPS lock files (~$…, .~lock…),
    hidden and temporary files (.*, *.tmp, *.part, *~ …), and anything in the output folder."""
    name = os.path.basename(path)
    if transient(name) or name.startswith("."):
        return True
    if any(part.startswith(".") for part in Path(path).parts[:-1] if part not in (".", "..")):
        return True
    if out_dir is not None:
        resolved = Path(path).resolve()
        return resolved == out_dir or out_dir in resolved.parents
    return False


def watch(inbox: str | os.PathLike[str] = "workbooks/inbox", out_dir: str | os.PathLike[str] = "workbooks/out",
          *, settle: float = 2.0, stop: Callable[[], bool] | None = None, max_runs: int | None = None,
          report: Callable[[WatchRun], Any] | None = None, started: Callable[[], Any] | None = None,
          **options: Any) -> list[WatchRun]:
    """Consolidate ``inbox`` into ``out_dir`` now, then after every change, until ``stop()`` is
    true, ``max_runs`` runs were made, or Ctrl-C; blocks until then and returns the runs made.

    A change is acted on once no watched file has changed for ``settle`` seconds and the changed
    files' size and modification time are still what they were. ``report(run)`` is called after
    each run, ``started()`` once the inbox is found there, before the first; ``options`` go to
    ``consolidate`` as they are (``jobs``, ``rules``, ``roster`` …).
    Raises what ``consolidate`` raises for the first run (inbox missing, bad rules file); a later
    run that cannot be made (a book open in Excel) is reported and watching goes on.
    """
    root = Path(inbox)
    if not root.is_dir():
        raise OutputError(f"收件箱文件夹不存在：{root}；请确认路径")
    if started:
        started()
    target = Path(out_dir).resolve()
    runs: list[WatchRun] = []
    flag = _Stop(stop)

    def run(changed: tuple[str, ...]) -> None:
        at = dt.datetime.now().isoformat(timespec="seconds")
        try:
            done = consolidate(root, out_dir, **options)
        except PerfxlError as exc:
            if not runs:
                raise
            made = WatchRun(at, changed, failed=str(exc))
        else:
            counts = done.counts
            made = WatchRun(at, changed, len(done.sources), counts["error"], counts["warning"],
                            tuple(done.outputs))
        runs.append(made)
        if report:
            report(made)
        if max_runs is not None and len(runs) >= max_runs:
            flag.done = True

    # watchfiles says "KeyboardInterrupt caught, stopping watch" in English on Ctrl-C: the Chinese line is ours
    logging.getLogger("watchfiles").setLevel(logging.ERROR)
    try:
        run(())
        pending = _Pending()
        events = watchfiles.watch(root, watch_filter=lambda _, path: not ignored(path, target), stop_event=flag,
                                  rust_timeout=int(_STEP_SECONDS * 1000), yield_on_timeout=True,
                                  raise_interrupt=False, debounce=int(_STEP_SECONDS * 1000), step=50,
                                  ignore_permission_denied=True)
        for changes in events:
            if flag.is_set():
                break
            now = time.monotonic()
            if changes:
                pending.paths |= {path for _, path in changes}
                pending.stats = {p: _stat(p) for p in pending.paths}
                pending.quiet_since = now
            elif pending.paths and now - pending.quiet_since >= settle:
                stats = {p: _stat(p) for p in pending.paths}
                if stats != pending.stats:  # still changing, though no event said so: wait again
                    pending.stats, pending.quiet_since = stats, now
                    continue
                changed = _changed(root, pending.paths, target)
                pending = _Pending()
                run(changed)
    except KeyboardInterrupt:
        pass
    return runs


def _changed(root: Path, paths: set[str], out_dir: Path) -> tuple[str, ...]:
    """The changed files relative to the inbox: a folder that changed (made, moved in) stands for
    the files in it, being no change of its own (a file made in a new folder before the folder was
    watched has no event of its own); the folders, each ending in “/”, when they hold no file."""
    files: set[str] = set()
    for path in paths:
        if not os.path.isdir(path):
            files.add(path)
            continue
        for folder, _, names in os.walk(path):
            files |= {p for p in (os.path.join(folder, n) for n in names) if not ignored(p, out_dir)}
    shown = [os.path.relpath(p, root) for p in files] if files else [os.path.relpath(p, root) + "/" for p in paths]
    return tuple(sorted(shown))


def _stat(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns
