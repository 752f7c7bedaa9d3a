"""Finding the workbooks to read: files given directly, and folders walked recursively.

What is not read is reported rather than silently dropped: Office lock files (``~$x.xlsx``),
symbolic links (never followed, wherever they point), named pipes, sockets and devices (reading
one would hang), paths longer than the system allows, files that are not workbooks (a .doc, a
.xml or web page that holds no table) and folders that cannot be opened. Hidden and system files
(.DS_Store, Thumbs.db) are passed over without a word. A path given by the user that is itself
a link (an inbox that is a link to a shared folder) is followed, once: nothing inside it is.
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
from .sniff import is_spreadsheet_text

EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".et", ".ett", ".ods", ".xlsb", ".csv")
MARKUP = (".xml", ".htm", ".html")  # candidates only when their content is a spreadsheet
_SYSTEM = ("thumbs.db", "desktop.ini")


@dataclass
class InboxScan:
    """The workbooks found, and a problem for everything passed over that a clerk should know."""

    found: list[Path] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)


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
            is_dir, is_link = path.is_dir(), path.is_symlink()
        except OSError as exc:  # a path longer than the system allows
            scan.skipped.append(_unlisted(path, exc))
            continue
        if is_dir:
            _walk(path, scan)
        else:  # the user's own argument: a link is followed once, then opened without following
            scan.found.append(Path(os.path.realpath(path)) if is_link else path)
    return scan


def _walk(top: Path, scan: InboxScan) -> None:
    def unreadable(err: OSError) -> None:
        scan.skipped.append(problem("folder-unreadable", file=err.filename or str(top),
                                    reason=os_reason(err)))

    for root, dirs, files in os.walk(top, onerror=unreadable):
        here = Path(root)
        kept = []
        for d in sorted(dirs):
            if d.startswith("."):
                continue
            if os.path.islink(here / d):
                scan.skipped.append(_link(here / d))
            else:
                kept.append(d)
        dirs[:] = kept
        for name in sorted(files):
            path = here / name
            if name.startswith(".") or name.lower() in _SYSTEM:
                continue
            try:
                mode = os.lstat(path).st_mode
            except OSError as exc:
                scan.skipped.append(_unlisted(path, exc))
                continue
            if stat.S_ISLNK(mode):
                scan.skipped.append(_link(path))
            elif not stat.S_ISREG(mode):
                scan.skipped.append(problem("special-file-skipped", file=str(path), kind=_special(mode)))
            elif name.startswith("~$"):
                scan.skipped.append(problem("office-lock-file", file=str(path)))
            elif is_candidate(name) or (name.lower().endswith(MARKUP) and is_spreadsheet_text(path)):
                scan.found.append(path)
            else:
                hint = "；如果它是表格，请用 Excel 或 WPS 另存为 .xlsx" if name.lower().endswith(MARKUP) else ""
                scan.skipped.append(problem("not-a-workbook-file", file=str(path), hint=hint))


def _link(path: Path) -> Problem:
    try:
        target = os.readlink(path)
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
