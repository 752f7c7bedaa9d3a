"""``extract``: one workbook in, its tables and reading problems out (the extract contract)."""

from __future__ import annotations

import os

from ..a1 import to_a1
from ..errors import UnreadableWorkbook
from ..model import ExtractResult, Problem, Table
from ..problems import problem
from ..read.limits import DEFAULT_LIMITS, Limits
from ..read.sheet import Sheet
from ..read.workbook import read_workbook
from .locate import locate
from .merged_grid import MergedGrid
from .parse import read_table
from .vocabulary import Vocabulary, resolve_vocabulary


def extract(path: str | os.PathLike[str], *, data: bytes | None = None, limits: Limits = DEFAULT_LIMITS,
            labels: Vocabulary | str | os.PathLike[str] | None = None) -> ExtractResult:
    """Read every performance table (targets or self-evaluation, project or whole department, of
    any template family) of the workbook at ``path`` (from ``data`` when its bytes are already in
    memory). ``labels``: a Vocabulary, or a labels file extending the shipped one.

    Never raises for bad input: an unreadable file gives no tables and one ``unreadable`` problem.
    Raises LabelsFileError for a bad labels file.
    """
    vocab = resolve_vocabulary(labels)
    source = os.fspath(path)
    try:
        sheets = read_workbook(source, data, limits)
    except UnreadableWorkbook as exc:
        return unreadable(source, exc.reason)
    try:
        return extract_sheets(source, sheets, vocab)
    except Exception as exc:  # a fault of perfxl's own reader must not take the run down with it
        return ExtractResult(source, (), (problem("reader-error", file=source, error=f"{type(exc).__name__}: {exc}"),))


def unreadable(source: str, reason: str) -> ExtractResult:
    """The result for a file that could not be read as a workbook."""
    return ExtractResult(source, (), (problem("unreadable", file=source, reason=reason),))


def extract_sheets(source: str, sheets: list[Sheet], vocab: Vocabulary) -> ExtractResult:
    """Tables and problems from sheets already read."""
    tables: list[Table] = []
    problems: list[Problem] = []
    for sheet in sheets:
        problems.extend(sheet.notes)
        if not sheet.rows:
            continue
        grid = MergedGrid(sheet)
        for region in locate(grid, vocab):
            table, found = read_table(grid, region, source, vocab)
            tables.append(table)
            problems.extend(found)
        problems.extend(problem("formula-no-cached-value", file=source, sheet=sheet.name, cell=to_a1(r, c))
                        for r, c in sheet.uncached)
    if not tables:
        problems.append(problem("no-table-found", file=source))
    problems.sort(key=Problem.sort_key)
    return ExtractResult(source, tuple(tables), tuple(problems))
