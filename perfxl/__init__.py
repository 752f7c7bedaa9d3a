"""perfxl: read, check and consolidate Chinese budget performance-target workbooks.

The stages, each a package, data flowing one way: ``read`` (files to sheet grids) → ``tables``
(grids to tables) → ``review`` (tables to findings) → ``write`` (every workbook perfxl writes);
``batch`` (consolidating an inbox) and ``cli`` (the command) sit on top. ``model`` holds the
records they share, ``problems`` every problem code.

The public functions are loaded on first use, so ``perfxl --help`` starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "CheckResult",
    "Consolidation",
    "ExtractResult",
    "Indicator",
    "Problem",
    "Severity",
    "Table",
    "annotate",
    "check",
    "consolidate",
    "extract",
    "score",
    "status",
    "template",
    "watch",
]

if TYPE_CHECKING:
    from .batch.consolidation import consolidate
    from .batch.status import status
    from .batch.watching import watch
    from .model import CheckResult, Consolidation, ExtractResult, Indicator, Problem, Severity, Table
    from .review.checking import check
    from .review.scoring import score
    from .tables.extraction import extract
    from .write.annotate import annotate
    from .write.template_book import template

_LAZY = {
    "extract": "tables.extraction",
    "check": "review.checking",
    "score": "review.scoring",
    "consolidate": "batch.consolidation",
    "status": "batch.status",
    "watch": "batch.watching",
    "template": "write.template_book",
    "annotate": "write.annotate",
    **dict.fromkeys(("Problem", "Severity", "Table", "Indicator", "ExtractResult", "CheckResult",
                     "Consolidation"), "model"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'perfxl' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value
