"""Which unit each table and each problem belongs to: the sheet's own unit, else the unit
sub-folder of the inbox the file sits in; a problem goes with its table, else its file."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..a1 import a1_sort_key
from ..model import UNASSIGNED, Consolidation, Problem
from ..read.file_names import printable, shown_name

TableKey = tuple[str, str, str]  # (file, sheet, anchor) of a table


def folder_unit(inbox: Path, path: Path, is_batch: Callable[[str], bool] = lambda name: False) -> str | None:
    """The unit of a file by its folders: the nearest folder above it, inside the inbox, that is not
    a batch or date folder (inbox/第一批/某局/x.xls -> 某局); None at the inbox's top. Control
    characters in the folder's name are written out (``\\x1b``), as in every file name shown."""
    try:
        parts = path.relative_to(inbox).parts[:-1]
    except ValueError:
        return None
    found = next((name for name in reversed(parts) if not is_batch(name)), None)
    return unit_name(None if found is None else shown_name(found))


def unit_name(name: str | None) -> str | None:
    """One spelling for one unit: a folder name in GBK made readable, and the composed (NFC)
    form of every name, so 单位 typed on Windows and the same name from a Mac's (NFD) folder
    are one unit."""
    return None if name is None else unicodedata.normalize("NFC", printable(name))


def relative_to(path: str, root: Path) -> str:
    """``path`` relative to the inbox, as the summaries show it (control characters written out)."""
    return shown_name(relative_path(path, root))


def relative_path(path: str, root: str | os.PathLike[str]) -> str:
    """``path`` relative to ``root``; as it is when on another drive."""
    base = os.path.join(root, "")
    if path.startswith(base) and base != os.sep and f"{os.sep}..{os.sep}" not in path:
        return path[len(base):]  # as scanned, inside the inbox: no relpath (10 µs a file)
    try:
        return os.path.relpath(path, root)
    except ValueError:  # another drive
        return path


@dataclass(frozen=True)
class Placement:
    """Where the problems of a run belong: ``by_table`` lists each table's problems,
    ``units[i]`` is the unit of ``run.problems[i]``."""

    by_table: dict[TableKey, list[Problem]]
    units: list[str]
    tables: list[TableKey | None]  # ``tables[i]``: the table ``run.problems[i]`` concerns, if any


def place_problems(run: Consolidation) -> Placement:
    """Each problem under the table it concerns (same file and sheet, the nearest table whose
    anchor is at or above the problem's cell) and in that table's unit; a problem of no table
    goes with its file's unit, one at a row of the roster with the unit that row names."""
    anchors: dict[tuple[str, str], list[tuple[int, str]]] = {}
    unit_of_table: dict[TableKey, str] = {}
    for result in run.results:
        for table in result.tables:
            anchors.setdefault((result.source, table.sheet), []).append(
                (a1_sort_key(table.anchor)[0], table.anchor))
            unit_of_table[(result.source, table.sheet, table.anchor)] = table.unit
    for found in anchors.values():
        found.sort()
    unit_of_file = {source.path: source.unit for source in run.sources}
    by_table: dict[TableKey, list[Problem]] = {}
    units: list[str] = []
    tables: list[TableKey | None] = []
    for problem in run.problems:
        file, sheet = problem.file or "", problem.sheet or ""
        candidates = anchors.get((file, sheet), [])
        row = a1_sort_key(problem.cell)[0]
        chosen = [a for r, a in candidates if r <= row] or [a for _, a in candidates[:1]]
        if chosen:
            key = (file, sheet, chosen[-1])
            by_table.setdefault(key, []).append(problem)
            units.append(unit_of_table[key])
            tables.append(key)
        elif run.roster is not None and file == run.roster:  # a finding at a roster row: that row's unit
            units.append(run.roster_rows.get((problem.sheet, problem.cell or ""), UNASSIGNED))
            tables.append(None)
        else:
            units.append(unit_of_file.get(file, UNASSIGNED))
            tables.append(None)
    return Placement(by_table, units, tables)
