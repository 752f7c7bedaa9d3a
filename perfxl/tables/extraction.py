"""``extract``: one workbook in, its tables and reading problems out (the extract contract)."""

from __future__ import annotations

import os

from ..a1 import to_a1
from ..errors import UnreadableWorkbook
from ..model import ExtractResult, Problem, Table
from ..output_marks import ALL_SCOPE, ANNOTATED, ANNOTATION_SHEET, SCOPE_PROPERTY, SUMMARY, TEMPLATE
from ..problems import problem
from ..read.isolation import isolated
from ..read.limits import DEFAULT_LIMITS, Limits
from ..read.own_marks import output_mark
from ..read.refused import RefusedWorkbook
from ..read.sheet import Sheet
from ..read.workbook import read_bytes, read_workbook
from .locate import locate
from .merged_grid import MergedGrid
from .own_summaries import is_summary
from .parse import read_table
from .rollup import RollUpError, named_by_file, read_rollup, rollup_note
from .vocabulary import Vocabulary, default_vocabulary, resolve_vocabulary


def extract(path: str | os.PathLike[str], *, data: bytes | None = None, limits: Limits = DEFAULT_LIMITS,
            labels: Vocabulary | str | os.PathLike[str] | None = None,
            root: str | os.PathLike[str] | None = None) -> ExtractResult:
    """Read every performance table (targets or self-evaluation, project or whole department, of
    any template family) of the workbook at ``path`` (from ``data`` when its bytes are already in
    memory). ``labels``: a Vocabulary, or a labels file extending the shipped one. ``root``: the
    folder (an inbox) ``path`` was found in: the file is opened from there one folder at a time,
    none followed if it is a link (without it, from the file's own folder).

    Never raises for bad input: an unreadable file gives no tables and one ``unreadable`` problem
    (``xlsb-not-read`` for an .xlsb, ``reader-crashed`` / ``read-timeout`` for a file that took its
    reader down).
    perfxl's own summaries and annotated copies, and its templates while still blank, give no
    tables and a note saying what they are; a 全部单位 summary (a lower level's) gives its contents
    as ``rollup`` (层层汇总) and a note. Raises LabelsFileError for a bad labels file.
    """
    vocab = resolve_vocabulary(labels)
    source = os.fspath(path)
    try:
        if data is None:
            data = read_bytes(source, limits, os.fspath(root) if root is not None else None)
        # parsed and searched for tables in the isolated worker: only the result comes back (the
        # grids would cost more to send than to search), and the search too runs on untrusted text
        return isolated(extract_bytes, source, limits, source, data, limits,
                        None if vocab is default_vocabulary() else vocab)
    except RefusedWorkbook as exc:  # its reader died or overran, or an .xlsb: a problem of its own
        return ExtractResult(source, (), (exc.problem,))
    except UnreadableWorkbook as exc:
        return unreadable(source, exc.reason)


def extract_bytes(source: str, data: bytes, limits: Limits, vocab: Vocabulary | None = None) -> ExtractResult:
    """``extract`` of a workbook's bytes, here (in the process that is to parse them); ``vocab``
    None: the shipped vocabulary, as this process loaded it."""
    try:
        sheets = read_workbook(source, data, limits)
    except RefusedWorkbook as exc:
        return ExtractResult(source, (), (exc.problem,))
    except UnreadableWorkbook as exc:
        return unreadable(source, exc.reason)
    vocab = vocab or default_vocabulary()
    mark = output_mark(data)
    if mark == SUMMARY and output_mark(data, SCOPE_PROPERTY) == ALL_SCOPE:
        return rolled_up(source, sheets)
    own = own_output(source, mark, sheets)
    if own is not None:
        return ExtractResult(source, (), (own,))
    try:
        result = extract_sheets(source, sheets, vocab)
        return without_blank_forms(result) if mark == TEMPLATE else result
    except Exception as exc:  # a fault of perfxl's own reader must not take the run down with it
        return ExtractResult(source, (), (problem("reader-error", file=source, error=f"{type(exc).__name__}: {exc}"),))


def unreadable(source: str, reason: str) -> ExtractResult:
    """The result for a file that could not be read as a workbook."""
    return ExtractResult(source, (), (problem("unreadable", file=source, reason=reason),))


def rolled_up(source: str, sheets: list[Sheet]) -> ExtractResult:
    """A lower level's 全部单位 summary: no tables of its own, what it holds as ``rollup``."""
    try:
        held = read_rollup(sheets)
    except RollUpError as exc:
        return ExtractResult(source, (), (problem("rollup-unreadable", file=source, reason=str(exc)),))
    return ExtractResult(source, (), (rollup_note(source, held, named_by_file(source) or "下级"),), rollup=held)


def own_output(source: str, mark: str | None, sheets: list[Sheet]) -> Problem | None:
    """The note for a workbook perfxl wrote that is not a submission: a summary (marked, or laid
    out as one by an older perfxl), or an annotated copy still holding its 问题清单."""
    if mark == SUMMARY or is_summary(sheets):
        return problem("own-summary-skipped", file=source)
    if mark == ANNOTATED and any(s.name.startswith(ANNOTATION_SHEET) for s in sheets):
        return problem("own-annotated-copy-skipped", file=source, sheet_name=ANNOTATION_SHEET)
    return None


def without_blank_forms(result: ExtractResult) -> ExtractResult:
    """A template's tables that hold something; when none does, only a note that it is blank."""
    kept = tuple(t for t in result.tables if not t.is_blank())
    if len(kept) == len(result.tables):
        return result
    if not kept:
        return ExtractResult(result.source, (), (problem("blank-template-skipped", file=result.source),))
    sheets = {t.sheet for t in kept}
    return ExtractResult(result.source, kept, tuple(p for p in result.problems if p.sheet in sheets))


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
        problems.extend(problem("cell-error-value", file=source, sheet=sheet.name, cell=to_a1(r, c), text=text)
                        for (r, c), text in sorted(sheet.errors.items()))
    if not tables:
        problems.append(problem("no-table-found", file=source))
    problems.sort(key=Problem.sort_key)
    return ExtractResult(source, tuple(tables), tuple(problems))
