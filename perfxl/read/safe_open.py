"""Opening what the scan found without following a link or waiting on a pipe, whatever the
length of its path: a path longer than the system takes at once (PATH_MAX, 4,096 bytes on
Linux) is opened folder by folder, each relative to the one before (``dir_fd``), none of the
folders past the first 4,000 bytes followed if it is a link."""

from __future__ import annotations

import errno
import os

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where links need privileges to make
NO_WAIT = getattr(os, "O_NONBLOCK", 0)    # a named pipe opens at once instead of waiting for a writer
FILE_FLAGS = os.O_RDONLY | NO_FOLLOW | NO_WAIT | getattr(os, "O_BINARY", 0)
FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
_AT_ONCE = 4000  # bytes of a path opened in one call (below PATH_MAX with room to spare)


_RELATIVE = os.open in os.supports_dir_fd and os.scandir in os.supports_fd


def relative_opens() -> bool:
    """True where folders can be opened and listed by descriptor (not on Windows)."""
    return _RELATIVE


def open_file(path: str) -> int:
    """A descriptor of the file at ``path``, opened without following a link or waiting;
    OSError as ``os.open`` raises it (ENAMETOOLONG only where folders cannot be opened by
    descriptor)."""
    try:
        return os.open(path, FILE_FLAGS)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG or not relative_opens():
            raise
    folder, name = parent(path)
    try:
        return os.open(name, FILE_FLAGS, dir_fd=folder)
    finally:
        os.close(folder)


def file_stat(path: str, follow: bool = True) -> os.stat_result:
    """``os.stat`` (``follow``) or ``os.lstat`` of ``path``, for a path of any length (a long
    one's last part never followed)."""
    try:
        return os.stat(path, follow_symlinks=follow)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG or not relative_opens():
            raise
    folder, name = parent(path)
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)
    finally:
        os.close(folder)


def open_folder(path: str) -> int:
    """A descriptor of the folder at ``path`` (following a link: it is the user's own argument)."""
    try:
        return os.open(path, FOLDER_FLAGS)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG or not relative_opens():
            raise
    folder, name = parent(path)
    try:
        return os.open(name, FOLDER_FLAGS | NO_FOLLOW, dir_fd=folder)
    finally:
        os.close(folder)


def parent(path: str) -> tuple[int, str]:
    """A descriptor of the folder holding ``path`` and the last part's name: the first 4,000
    bytes or so opened at once, each folder after that relative to the one before."""
    raw = os.fsencode(path)
    head, _, name = raw.rstrip(b"/").rpartition(b"/")
    if not head:
        head = b"/" if raw.startswith(b"/") else b"."
    start = head.rfind(b"/", 0, _AT_ONCE) if len(head) > _AT_ONCE else len(head)
    if start <= 0:  # nothing short enough to open at once: from the root or the working folder
        first, rest = (b"/" if head.startswith(b"/") else b"."), head
    else:
        first, rest = head[:start], head[start:]
    fd = os.open(first, FOLDER_FLAGS)
    try:
        for step in filter(None, rest.split(b"/")):  # "a//b" has an empty step
            nxt = os.open(step, FOLDER_FLAGS | NO_FOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd, os.fsdecode(name)
