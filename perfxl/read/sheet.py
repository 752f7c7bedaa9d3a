"""One worksheet as read: values from A1, merged ranges, the cells shown as percentages, the
formulas without a cached value, and the problems met while reading it (limits hit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..a1 import to_a1
from ..model import Problem
from ..problems import problem
from .limits import Limits

Merge = tuple[int, int, int, int]  # first row, first col, last row, last col (inclusive, 0-based)


@dataclass
class Sheet:
    """One worksheet as values plus the layout facts the table finder needs."""

    name: str
    rows: list[list[Any]]
    merges: list[Merge] = field(default_factory=list)
    percent: set[tuple[int, int]] = field(default_factory=set)
    uncached: list[tuple[int, int]] = field(default_factory=list)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # error values shown (#N/A …)
    notes: list[Problem] = field(default_factory=list)  # limits hit while reading

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def not_read(self) -> Problem | None:
        """Why this sheet is an empty stand-in for one that was not read (too large, or built in
        a way no reader can be trusted with), or None."""
        return next((n for n in self.notes if n.code in _NOT_READ), None)

    @cached_property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def value(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows):
            cells = self.rows[row]
            if 0 <= col < len(cells):
                v = cells[col]
                return None if v == "" else v
        return None



def attribute_count(raw: str | None, least: int) -> int:
    """A count an export's XML writes as an attribute (a repeat, a span, an index): at least
    ``least``, whatever it holds."""
    try:
        return max(int(raw or least), least)
    except ValueError:
        return least


def from_cells(path: str, name: str, cells: dict[tuple[int, int], Any], merges: list[Merge],
               percent: set[tuple[int, int]], limits: Limits) -> Sheet:
    """A sheet from the cells a reader of a non-Excel export placed at (row, col), bounded."""
    height = max((r for r, _ in cells), default=-1) + 1
    width = max((c for _, c in cells), default=-1) + 1
    rows: list[list[Any]] = [[""] * width for _ in range(height)]
    for (r, c), value in cells.items():
        rows[r][c] = value
    return bounded(Sheet(name, rows, merges, percent), path, limits)


_NOT_READ = ("sheet-too-large", "sheet-unreadable")  # the notes of a sheet left unread


def too_large(path: str, name: str, area: int, limits: Limits) -> Sheet:
    """An empty stand-in for a sheet whose used area breaks the cell limit."""
    return Sheet(name, [], notes=[problem("sheet-too-large", file=path, sheet=name, area=area,
                                          limit=limits.cells)])


def bounded(sheet: Sheet, path: str, limits: Limits, long_text: bool = True) -> Sheet:
    """Cut what exceeds the per-sheet limits, leaving a note for each cut."""
    if len(sheet.merges) > limits.merges:
        sheet.notes.append(problem("merges-too-many", file=path, sheet=sheet.name,
                                   count=len(sheet.merges), limit=limits.merges))
        sheet.merges = sheet.merges[:limits.merges]
    cap = limits.cell_chars
    for r, row in enumerate(sheet.rows if long_text else ()):
        for c, value in enumerate(row):
            if type(value) is str and len(value) > cap:
                row[c] = value[:cap]
                sheet.notes.append(problem("cell-too-long", file=path, sheet=sheet.name, cell=to_a1(r, c),
                                           length=len(value), limit=cap))
    return sheet
