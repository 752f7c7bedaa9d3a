"""Pausing Python's cyclic garbage collector around bursts of allocation that make no cycles
(cells read or written by the thousand): it would rescan them again and again for nothing;
reference counting still frees everything."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector off inside the block, back on after (if it was on)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
