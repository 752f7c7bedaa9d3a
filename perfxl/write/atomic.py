"""Writing outputs atomically: into a temporary file beside the target, then one rename, so a
crash, Ctrl-C or full disk never leaves a half-written file or replaces a good earlier one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import OutputError, os_reason


@contextlib.contextmanager
def atomic_target(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` in one rename."""
    with atomic_set([Path(target)]) as staged:
        yield staged[Path(target)]


@contextlib.contextmanager
def atomic_set(targets: Sequence[Path]) -> Iterator[dict[Path, Path]]:
    """A temporary file beside each target; only when the block ends without error are they all
    renamed into place, so a failure (a full disk, Ctrl-C) leaves the earlier set as it was."""
    staged: dict[Path, Path] = {}
    try:
        for target in targets:
            try:
                fd, name = tempfile.mkstemp(prefix=".~perfxl-", suffix=target.suffix, dir=target.parent)
            except OSError as exc:
                raise OutputError(f"无法在 {target.parent} 写入文件（{os_reason(exc)}）；"
                                  "请确认文件夹存在且有写入权限") from exc
            os.close(fd)
            staged[target] = Path(name)
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
    finally:
        for temporary in staged.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


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
