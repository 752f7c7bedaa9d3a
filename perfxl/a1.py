"""A1 cell references: zero-based (row, col) to "B12" and back, and a natural sort key."""

from __future__ import annotations

import re
from functools import lru_cache

_A1 = re.compile(r"^([A-Z]{1,3})(\d+)$")


@lru_cache(maxsize=1024)
def col_letter(col: int) -> str:
    """Zero-based column index to letters (0 -> A, 26 -> AA)."""
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@lru_cache(maxsize=16384)
def to_a1(row: int, col: int) -> str:
    """Zero-based (row, col) to an A1 reference."""
    return f"{col_letter(col)}{row + 1}"


@lru_cache(maxsize=65536)  # the same cells come back in every file of a template family
def from_a1(ref: str) -> tuple[int, int]:
    """An A1 reference to zero-based (row, col)."""
    m = _A1.match(ref.upper().replace("$", ""))
    if not m:
        raise ValueError(f"不是单元格地址: {ref!r}")
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def a1_sort_key(ref: str | None) -> tuple[int, int]:
    """Sort cells by row, then column; cells without a reference first."""
    if not ref:
        return (-1, -1)
    try:
        return from_a1(ref)
    except ValueError:
        return (-1, -1)
