"""Finding the workbooks to read: files given directly, and folders walked recursively.

What is not read is reported rather than silently dropped: Office lock files (``~$x.xlsx``),
symbolic links (never followed, wherever they point), named pipes, sockets and devices (reading one
would hang), paths longer than the system allows, files that are not workbooks (a .doc, a .xml or
web page that holds no table), folders that cannot be opened, and hidden files and folders (a name
starting with "."): a unit's ``.项目表.xlsx`` or ``.备份/`` is listed, never read in secret nor dropped
in silence (a hidden file with no workbook's extension, ``.gitkeep``, is not). Only the litter
systems leave beside every file is passed over without a word: .DS_Store, Thumbs.db, desktop.ini,
and the ``._name`` companions macOS writes next to each file copied onto a USB stick (they hold no
table). A path given by the user that is itself a link (an inbox that is a link to a shared folder)
is followed, once: nothing inside it is.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import os_reason
from ..model import Problem
from ..problems import problem
from .safe_open import FOLDER_FLAGS, NO_FOLLOW, below, file_stat, open_folder, relative_opens
from .sniff import is_spreadsheet_text

EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".et", ".ett", ".ods", ".xlsb", ".csv")
MARKUP = (".xml", ".htm", ".html")  # candidates only when their content is a spreadsheet
_SYSTEM = ("thumbs.db", "desktop.ini", ".ds_store")


def _litter(name: str) -> bool:
    """A file a system leaves beside the unit's own files, never anything a unit sent."""
    return name.lower() in _SYSTEM or name.startswith("._")


@dataclass
class InboxScan:
    """The workbooks found, and a problem for everything passed over that a clerk should know."""

    found: list[Path] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)


_TEMP_ENDINGS = (".tmp", ".temp", ".part", ".crdownload", ".download", ".swp", "~")


def transient(name: str) -> bool:
    """True for a file that comes and goes while staff work, never a submission: an Office/WPS
    lock file (``~$x.xlsx``, LibreOffice's ``.~lock.x.xlsx#``) or a temporary or half-downloaded
    file (``*.tmp``, ``*.part``, ``*~`` …). Listed by a scan, but no reason to consolidate again."""
    return name.startswith(("~$", ".~")) or name.lower().endswith(_TEMP_ENDINGS)


def is_candidate(name: str) -> bool:
    """True for a workbook name a unit could have sent (not a lock file, not hidden)."""
    lower = name.lower()
    return (lower.endswith(EXTENSIONS) and not name.startswith(("~$", ".", "._"))
            and lower not in _SYSTEM)


def scan_inbox(paths: Iterable[str | os.PathLike[str]]) -> InboxScan:
    """Workbook files under ``paths`` in a stable order. A path given explicitly is kept even if
    it does not exist or is not a workbook, so that it gets its own clear problem."""
    scan = InboxScan()
    for raw in paths:
        path = Path(raw)
        try:
            is_dir = stat.S_ISDIR(file_stat(os.fspath(path)).st_mode)
            is_link = stat.S_ISLNK(file_stat(os.fspath(path), follow=False).st_mode)
        except FileNotFoundError:
            is_dir = is_link = False
        except OSError as exc:
            scan.skipped.append(_unlisted(path, exc))
            continue
        if is_dir:
            _walk(path, scan)
        elif is_link:  # the user's own argument: followed once, then opened without following
            scan.found.append(Path(os.path.realpath(path)))
        else:
            scan.found.append(path)
    return scan


def root_of(path: str | os.PathLike[str], given: Iterable[str | os.PathLike[str]]) -> str | None:
    """The folder among ``given`` (the paths a scan was asked for) that ``path`` was found in, as
    the scan spells it: the file is opened from there down (``safe_open.open_file``). None for a
    file given itself: it is opened from its own folder."""
    spelt = os.fspath(path)
    inside = [os.fspath(Path(g)) for g in given if below(spelt, os.fspath(Path(g))) is not None]
    return max(inside, key=len, default=None)


_DEEPEST = 200  # folders inside one another walked; deeper ones are reported, not opened


def _walk(top: Path, scan: InboxScan) -> None:
    """Every folder opened by its descriptor, relative to the one holding it and never through
    a link, so no path length limits the walk and nothing swapped in on the way is followed."""
    try:
        handle: int | str = open_folder(os.fspath(top)) if relative_opens() else os.fspath(top)
    except OSError as exc:
        scan.skipped.append(problem("folder-unreadable", file=str(top), reason=os_reason(exc)))
        return
    _walk_in(handle, top, scan, 0)


def _walk_in(handle: int | str, here: Path, scan: InboxScan, depth: int) -> None:
    """The files of one folder (``handle``: its descriptor, or its path on Windows), then its
    folders; closes the descriptor."""
    try:
        try:
            with os.scandir(handle) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            scan.skipped.append(problem("folder-unreadable", file=str(here), reason=os_reason(exc)))
            return
        modes: list[tuple[str, int]] = []
        for entry in entries:
            try:
                modes.append((entry.name, entry.stat(follow_symlinks=False).st_mode))
            except OSError as exc:
                if not _litter(entry.name):
                    scan.skipped.append(_unlisted(here / entry.name, exc))
        folders = []
        for name, mode in modes:
            if stat.S_ISDIR(mode) and name.startswith("."):
                scan.skipped.append(problem("hidden-folder-skipped", file=str(here / name)))
            elif stat.S_ISDIR(mode):
                folders.append(name)
            elif stat.S_ISLNK(mode) and not _litter(name):
                scan.skipped.append(_link(handle, name, here / name))
            elif not stat.S_ISLNK(mode):
                _file(here / name, mode, scan)
        for name in folders:
            _folder(handle, here / name, scan, depth + 1)
    finally:
        if isinstance(handle, int):
            os.close(handle)


def _folder(parent: int | str, path: Path, scan: InboxScan, depth: int) -> None:
    if depth > _DEEPEST:
        scan.skipped.append(problem("folder-unreadable", file=str(path), reason=f"文件夹嵌套超过 {_DEEPEST} 层"))
        return
    try:
        handle = (os.open(path.name, FOLDER_FLAGS | NO_FOLLOW, dir_fd=parent) if isinstance(parent, int)
                  else os.fspath(path))
    except OSError as exc:
        scan.skipped.append(problem("folder-unreadable", file=str(path), reason=os_reason(exc)))
        return
    _walk_in(handle, path, scan, depth)


def _file(path: Path, mode: int, scan: InboxScan) -> None:
    name = path.name
    if _litter(name):
        return
    if name.startswith("."):
        if name[1:].lower().endswith(EXTENSIONS + MARKUP):
            scan.skipped.append(problem("hidden-file-skipped", file=str(path)))
    elif not stat.S_ISREG(mode):
        scan.skipped.append(problem("special-file-skipped", file=str(path), kind=_special(mode)))
    elif name.startswith("~$"):
        scan.skipped.append(problem("office-lock-file", file=str(path)))
    elif is_candidate(name) or (name.lower().endswith(MARKUP) and is_spreadsheet_text(path)):
        scan.found.append(path)
    else:
        hint = "；如果它是表格，请用 Excel 或 WPS 另存为 .xlsx" if name.lower().endswith(MARKUP) else ""
        scan.skipped.append(problem("not-a-workbook-file", file=str(path), hint=hint))


def _link(folder: int | str, name: str, path: Path) -> Problem:
    try:
        target = os.readlink(name, dir_fd=folder) if isinstance(folder, int) else os.readlink(path)
    except OSError:
        target = "?"
    return problem("symlink-skipped", file=str(path), target=target)


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "命名管道"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "设备文件" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "特殊文件"


def _unlisted(path: Path, err: OSError) -> Problem:
    if err.errno == errno.ENAMETOOLONG:
        return problem("path-too-long", file=str(path), length=len(os.fsencode(path)))
    return problem("unreadable", file=str(path), reason=f"无法查看文件（{os_reason(err)}）；请检查文件权限")
