"""Reading cells while one table is read: values as text or numbers, placeholders (—, /, 无)
as blanks, labels told from values, and every problem tied to its cell."""

from __future__ import annotations

import re
from typing import Any

from ..a1 import to_a1
from ..model import Problem
from ..problems import problem
from .merged_grid import MergedGrid
from .normalize import clean_text, fold, parse_number
from .vocabulary import Vocabulary

_PLACEHOLDERS = frozenset({"—", "——", "-", "--", "/", "无", "／", "－"})


class Reader:
    """Collects cell references and problems while one table is read."""

    def __init__(self, grid: MergedGrid, file: str | None, vocab: Vocabulary) -> None:
        self.grid = grid
        self.file = file
        self.vocab = vocab
        self.problems: list[Problem] = []

    def problem(self, code: str, row: int, col: int, **params: Any) -> None:
        self.problems.append(problem(code, file=self.file, sheet=self.grid.sheet.name,
                                     cell=to_a1(row, col), **params))

    def number(self, row: int, col: int, code: str, **params: Any) -> float | None:
        """The number at (row, col); a problem of ``code`` when the cell holds text."""
        raw = self.grid.value(row, col)
        number = parse_number(raw)
        if number is None:
            if value_text(raw) is not None:
                self.problem(code, row, col, text=clean_text(raw), **params)
            return None
        if (row, col) in self.grid.sheet.percent:
            number = round(number * 100, 10)
        return number

    def is_label(self, value: Any) -> bool:
        return isinstance(value, str) and self.vocab.classify(value) != (None, None)


def value_text(value: Any) -> str | None:
    """A value cell as text; blank and placeholders (—, /, 无) are None."""
    text = clean_text(value)
    return None if text is None or text in _PLACEHOLDERS else text


def label_text(text: str) -> str:
    """A label as written, without line breaks, spaces and a trailing colon (a ``fields`` key)."""
    return re.sub(r"\s+", "", fold(text)).rstrip(":")
