"""How the records a large run holds by the hundred thousand stay small once unpickled: short
texts interned, and each ``cells`` map (field -> A1 reference) kept as its references only,
beside a key layout shared by every map with the same fields.

A run reads its files in other processes, so every result reaches the process that consolidates
them pickled; unpickled as they came, ten thousand results held ten thousand copies of "level1",
"B12" and "个", and a dict of nine entries (640 bytes) for each indicator's sources."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

SHARED_UP_TO = 48  # characters: texts this short (labels, A1 references, units) are interned

intern = sys.intern


def shared(value: Any) -> Any:
    """``value`` interned when it is a short text; a dict of texts with each interned."""
    kind = type(value)
    if kind is str:
        return intern(value) if len(value) <= SHARED_UP_TO else value
    if kind is dict and value:
        return {intern(k) if type(k) is str else k: shared(v) for k, v in value.items()}
    return value


_LAYOUTS: dict[tuple[str, ...], dict[str, int]] = {}  # the fields of a map, in order -> their positions


class CellMap(Mapping[str, str]):
    """A read-only ``cells`` map: its A1 references in a tuple, the positions of its fields in a
    dict shared by all maps with the same fields (a few dozen layouts in a whole run)."""

    __slots__ = ("_at", "_refs")

    def __init__(self, cells: Mapping[str, str]) -> None:
        keys = tuple(cells)
        at = _LAYOUTS.get(keys)
        if at is None:
            at = _LAYOUTS.setdefault(tuple(intern(k) for k in keys), {intern(k): n for n, k in enumerate(keys)})
        self._at = at
        self._refs = tuple(intern(v) if type(v) is str and len(v) <= SHARED_UP_TO else v for v in cells.values())

    def __getitem__(self, key: str) -> str:
        return self._refs[self._at[key]]

    def get(self, key: str, default: Any = None) -> Any:
        n = self._at.get(key)
        return default if n is None else self._refs[n]

    def __contains__(self, key: object) -> bool:
        return key in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._refs)

    def __repr__(self) -> str:
        return f"CellMap({dict(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return CellMap, (dict(zip(self._at, self._refs, strict=True)),)
