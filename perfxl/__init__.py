"""perfxl: read, check and consolidate Chinese budget performance-target workbooks.

The public functions (``extract``, ``check``, ``consolidate``, ``template``) are imported lazily
so that ``perfxl --help`` and single-file commands start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["extract", "check", "consolidate", "template", "Problem", "Table", "Indicator", "ExtractResult"]

if TYPE_CHECKING:
    from .checking import check
    from .consolidation import consolidate
    from .extraction import extract
    from .model import ExtractResult, Indicator, Problem, Table
    from .template import template

_LAZY = {
    "extract": ("extraction", "extract"),
    "check": ("checking", "check"),
    "consolidate": ("consolidation", "consolidate"),
    "template": ("template", "template"),
    "Problem": ("model", "Problem"),
    "Table": ("model", "Table"),
    "Indicator": ("model", "Indicator"),
    "ExtractResult": ("model", "ExtractResult"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(name)
