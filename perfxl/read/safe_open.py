"""Opening what the scan found without following a link or waiting on a pipe, whatever the
length of its path. A file is opened from its inbox (the folder the user named, followed once:
it is their own argument) one folder at a time, each relative to the one before (``dir_fd``) and
none followed if it is a link, so a folder swapped for a link between the scan and the read
leads nowhere; a file named on its own is opened from its own folder as given. A path longer
than the system takes at once (PATH_MAX, 4,096 bytes on Linux) is opened the same way, folder by
folder past its first 4,000 bytes."""

from __future__ import annotations

import errno
import os
import stat

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where links need privileges to make
NO_WAIT = getattr(os, "O_NONBLOCK", 0)    # a named pipe opens at once instead of waiting for a writer
FILE_FLAGS = os.O_RDONLY | NO_FOLLOW | NO_WAIT | getattr(os, "O_BINARY", 0)
FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
_AT_ONCE = 4000  # bytes of a path opened in one call (below PATH_MAX with room to spare)


_RELATIVE = os.open in os.supports_dir_fd and os.scandir in os.supports_fd


def relative_opens() -> bool:
    """True where folders can be opened and listed by descriptor (not on Windows)."""
    return _RELATIVE


class LinkOnTheWay(OSError):
    """A folder between the inbox and the file is a link (swapped in since the scan, perhaps):
    not followed. ``filename`` is that folder's path."""


def open_file(path: str, root: str | None = None) -> int:
    """A descriptor of the file at ``path``, opened without following a link or waiting: from
    ``root`` (a folder ``path`` lies in, followed itself) one folder at a time, no folder below
    it followed (LinkOnTheWay), or, with no ``root`` or one ``path`` is not in, from the file's
    own folder. OSError as ``os.open`` raises it."""
    if not relative_opens():
        return os.open(path, FILE_FLAGS)
    steps = below(path, root) if root is not None else None
    if steps is None:
        folder, name = parent(path)
        try:
            return os.open(name, FILE_FLAGS, dir_fd=folder)
        finally:
            os.close(folder)
    fd = open_folder(root or ".")
    try:
        for n, step in enumerate(steps[:-1]):
            try:
                nxt = os.open(step, FOLDER_FLAGS | NO_FOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(step, fd):
                    raise LinkOnTheWay(errno.ELOOP, "a folder on the way is a link",
                                       os.path.join(root or ".", *steps[:n + 1])) from exc
                raise
            os.close(fd)
            fd = nxt
        return os.open(steps[-1], FILE_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)


def below(path: str, root: str) -> list[str] | None:
    """The names from ``root`` down to ``path`` (its folders, then the file), None when ``path``
    is not inside ``root`` as spelt (the scan names every file by its inbox's path and the
    names under it)."""
    trimmed = root.rstrip("/") if root not in ("/", "//") else "/"
    if trimmed in ("", "."):
        rest = None if path.startswith("/") else path
    elif trimmed == "/":
        rest = path[1:] if path.startswith("/") else None
    else:
        rest = path[len(trimmed) + 1:] if path.startswith(trimmed + "/") else None
    if not rest:
        return None
    steps = [step for step in rest.split("/") if step and step != "."]
    return steps if steps and ".." not in steps else None


def _is_link(name: str, folder: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return False


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
