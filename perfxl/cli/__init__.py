"""The ``perfxl`` command line: one sub-command per public function, in Chinese."""

from .commands import main

__all__ = ["main"]
