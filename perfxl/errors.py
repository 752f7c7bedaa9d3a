"""Exceptions for the "cannot continue" channel; everything found in the data is a Problem."""

from __future__ import annotations


class PerfxlError(Exception):
    """Base class of every error perfxl raises on purpose."""


class UnreadableWorkbook(PerfxlError):
    """The file cannot be opened as a workbook (missing, corrupt, encrypted, not a spreadsheet)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class RulesFileError(PerfxlError):
    """The review-rules file is missing or malformed."""


class OutputError(PerfxlError):
    """An output could not be written (folder missing, read-only or full)."""


class LabelsFileError(PerfxlError):
    """The label vocabulary file is missing or malformed."""
