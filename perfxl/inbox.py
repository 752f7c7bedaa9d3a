"""Finding the workbooks to read: files given directly, and folders walked recursively, skipping
Office lock files (``~$x.xlsx``) and hidden or system files."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

EXTENSIONS = (".xlsx", ".xlsm", ".xls")


def is_candidate(name: str) -> bool:
    """True for a workbook name a unit could have sent (not a lock file, not hidden)."""
    lower = name.lower()
    return (lower.endswith(EXTENSIONS) and not name.startswith(("~$", ".", "._"))
            and lower not in ("thumbs.db", "desktop.ini"))


def find_workbooks(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Workbook files under ``paths`` in a stable order. A path given explicitly is kept even if
    it does not exist or is not a workbook, so that it gets its own clear problem."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(root) / f for f in sorted(files) if is_candidate(f))
        else:
            found.append(path)
    return found
