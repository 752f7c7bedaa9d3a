"""Sheet names Excel accepts, made from whatever a unit typed: at most 31 UTF-16 code units (an
emoji counts two), none of ``[]:*?/\\`` or control characters, no leading or trailing
apostrophe, and unique regardless of case (Excel takes ``Project`` and ``PROJECT`` for one)."""

from __future__ import annotations

import re

MAX_UNITS = 31  # Excel's limit, in UTF-16 code units
_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
_RESERVED = ("history",)  # Excel keeps this name for its change history


def utf16_units(text: str) -> int:
    """How long ``text`` is for Excel: characters beyond the BMP (emoji) count two."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def clip_utf16(text: str, units: int) -> str:
    """The longest start of ``text`` within ``units`` UTF-16 code units, never half a character."""
    out, used = [], 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > units:
            break
        out.append(ch)
        used += width
    return "".join(out)


class SheetNames:
    """Hands out safe, case-insensitively unique sheet names, in the order asked for, so the
    same sheets always get the same names (``项目``, ``项目_2`` …)."""

    def __init__(self, reserved: tuple[str, ...] = ()) -> None:
        self._taken = {name.casefold() for name in (*_RESERVED, *reserved)}

    def take(self, wanted: str, fallback: str = "Sheet") -> str:
        """A name like ``wanted``: cleaned, clipped and suffixed until it is free; then taken."""
        base = _FORBIDDEN.sub("_", wanted).strip().strip("'").strip()
        base = clip_utf16(base, MAX_UNITS).rstrip("'") or fallback
        name, n = base, 2
        while name.casefold() in self._taken:
            suffix = f"_{n}"
            name = clip_utf16(base, MAX_UNITS - len(suffix)).rstrip("'") + suffix
            n += 1
        self._taken.add(name.casefold())
        return name

    def reserve(self, name: str) -> None:
        """Mark ``name`` as used (a sheet kept as it was)."""
        self._taken.add(name.casefold())
