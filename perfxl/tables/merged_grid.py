"""Merged-cell geometry over a ``Sheet``: which range covers a cell, and what lies to its right."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..read.sheet import Merge, Sheet


class MergedGrid:
    """A sheet with an index of its merged ranges, for walking the grid the way a reader sees it."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self._cover: dict[tuple[int, int], Merge] = {}
        cover = self._cover
        height, width = sheet.height, sheet.width
        for merge in sheet.merges:
            r1, c1, r2, c2 = merge
            # Clip to the used area: a stray A1:XFD1048576 merge must not cost a million entries.
            for r in range(r1, min(r2, height - 1) + 1):
                for c in range(c1, min(c2, width - 1) + 1):
                    cover[(r, c)] = merge

    def span(self, row: int, col: int) -> Merge:
        """The merged range covering (row, col), or the cell itself."""
        return self._cover.get((row, col), (row, col, row, col))

    def value(self, row: int, col: int) -> Any:
        """The raw value stored at (row, col); blank cells inside a merge give None."""
        return self.sheet.value(row, col)

    def merged_value(self, row: int, col: int) -> Any:
        """The value a reader sees at (row, col): a merged range shows its top-left value."""
        r1, c1, _, _ = self.span(row, col)
        return self.sheet.value(r1, c1)

    def right_of(self, row: int, col: int, stop: int | None = None) -> Iterator[tuple[int, Any]]:
        """Non-empty (col, value) pairs to the right of the range holding (row, col)."""
        _, _, _, c2 = self.span(row, col)
        end = self.sheet.width if stop is None else min(stop, self.sheet.width)
        for c in range(c2 + 1, end):
            r1, c1, _, _ = self.span(row, c)
            if c1 != c:
                continue
            value = self.sheet.value(r1, c) if r1 != row else self.sheet.value(row, c)
            if value is not None:
                yield c, value

    def first_right(self, row: int, col: int) -> tuple[int, Any] | None:
        return next(self.right_of(row, col), None)
