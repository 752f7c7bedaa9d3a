"""Writing outputs atomically: into a temporary file beside the target, then one rename, so a
crash, Ctrl-C or full disk never leaves a half-written file or replaces a good earlier one.

A temporary file's name carries the writing process's id (``.~perfxl-<pid>-…``): one left by a
run that was killed outright (SIGKILL, power loss) is removed by the next run writing to the
same folder, once its process is gone (or, whatever its name, after a day).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import OutputError, os_reason

PREFIX = ".~perfxl-"
_OWNER = re.compile(re.escape(PREFIX) + r"(\d+)-")
_STALE_AFTER = 24 * 3600  # seconds; no run takes this long, whatever its process id


@contextlib.contextmanager
def atomic_target(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` in one rename."""
    with atomic_set([Path(target)]) as staged:
        yield staged[Path(target)]


@contextlib.contextmanager
def atomic_set(targets: Sequence[Path]) -> Iterator[dict[Path, Path]]:
    """A temporary file beside each target; only when the block ends without error are they all
    renamed into place, so a failure (a full disk, Ctrl-C) leaves the earlier set as it was.
    A target the block removes from the mapping is left as it is (its temporary file is dropped)."""
    staged: dict[Path, Path] = {}
    made: list[Path] = []
    for folder in {target.parent for target in targets}:
        remove_stale(folder)
    try:
        for target in targets:
            try:
                fd, name = tempfile.mkstemp(prefix=f"{PREFIX}{os.getpid()}-", suffix=target.suffix,
                                            dir=target.parent)
            except OSError as exc:
                raise OutputError(f"无法在 {target.parent} 写入文件（{os_reason(exc)}）；"
                                  "请确认文件夹存在且有写入权限") from exc
            os.close(fd)
            staged[target] = Path(name)
            made.append(Path(name))
        yield staged
        mode = 0o666 & ~_umask()  # mkstemp makes it private; an output is an ordinary file
        for target, temporary in staged.items():
            os.chmod(temporary, mode)
            os.replace(temporary, target)
    except PermissionError as exc:
        raise OutputError(f"无法替换 {exc.filename or '输出文件'}（{os_reason(exc)}）：如果它正在 Excel 或 WPS 中打开，"
                          "请先关闭该文件再运行；原有文件未被改动") from exc
    except OSError as exc:
        raise OutputError(f"写入 {exc.filename or '输出文件'} 失败（{os_reason(exc)}）；原有文件未被改动") from exc
    except Exception as exc:
        if not _is_file_create_error(exc):
            raise
        # xlsxwriter's wrapper of the OSError that stopped it, not an OSError
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
        reason = os_reason(cause) if cause is not None else str(exc)
        raise OutputError(f"写入 {getattr(cause, 'filename', None) or '输出文件'} 失败（{reason}）；"
                          "原有文件未被改动") from exc
    finally:
        for temporary in made:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files in ``folder`` that runs killed outright left behind: their
    process is gone, or they are older than a day. Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(PREFIX)]
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        owner = _OWNER.match(entry.name)
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > _STALE_AFTER
            if old or (owner is not None and not _alive(int(owner.group(1)))):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill would end the process: go by age
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or cannot tell: keep its file
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create the output folder if needed; OutputError when it cannot be made or written."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"输出位置 {folder} 是一个文件，不是文件夹；请用 -o 指定一个文件夹")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"无法创建输出文件夹 {folder}（{os_reason(exc)}）") from exc
    if not os.access(folder, os.W_OK):
        raise OutputError(f"输出文件夹 {folder} 没有写入权限；请换一个文件夹")
    return folder


def _is_file_create_error(exc: Exception) -> bool:
    """``exc`` is xlsxwriter's FileCreateError, told without importing xlsxwriter (a run that
    writes no book has no need of it): where it is not imported, nothing raised one."""
    errors = sys.modules.get("xlsxwriter.exceptions")
    return errors is not None and isinstance(exc, errors.FileCreateError)
