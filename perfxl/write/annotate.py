"""``check --annotate``: a copy of each checked workbook with every problem cell highlighted,
its messages attached as a cell note, and a 问题清单 sheet. Originals are never touched.

Each file is first read by perfxl's own reader within the run's limits (openpyxl has none), so a
huge or hostile file is refused before openpyxl sees it. An .xlsx/.xlsm is then copied with
openpyxl, its macros, DDE and external formulas, external workbook links and file-share links
taken out (``live_content``); when openpyxl cannot load it, or loads it without a sheet or value
perfxl read, the copy is rebuilt from perfxl's grids, as for .xls and every other format. One
file that cannot be copied is reported and the others are still copied."""

from __future__ import annotations

import io
import os
import stat
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from openpyxl import Workbook, load_workbook
from openpyxl.chartsheet import Chartsheet
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink

from ..a1 import from_a1, to_a1
from ..errors import OutputError, UnreadableWorkbook, os_reason
from ..model import CheckResult, Problem
from ..output_marks import ANNOTATED, ANNOTATION_SHEET, PROPERTY
from ..problems import problem
from ..read.file_names import printable, safe_file_name
from ..read.inbox import root_of
from ..read.isolation import isolated
from ..read.limits import DEFAULT_LIMITS, Limits
from ..read.safe_open import file_stat
from ..read.sheet import Sheet
from ..read.sniff import ZIP, sniff
from ..read.workbook import read_bytes, read_workbook
from ..read.workers import ReaderFailed
from ..read.zip_parts import Package, PartTooLarge
from .atomic import atomic_target, ensure_dir
from .live_content import clean_text, defuse, put_value
from .sheet_names import SheetNames


@dataclass(frozen=True)
class AnnotateResult:
    """The copies written, and what annotating found (removed formulas and links, renamed
    sheets, files refused). Iterates, indexes and counts as its list of copies."""

    written: tuple[Path, ...]
    problems: tuple[Problem, ...] = ()

    def __iter__(self) -> Iterator[Path]:
        return iter(self.written)

    def __len__(self) -> int:
        return len(self.written)

    @overload
    def __getitem__(self, index: int) -> Path: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Path, ...]: ...

    def __getitem__(self, index: int | slice) -> Path | tuple[Path, ...]:
        return self.written[index]

    def to_dict(self) -> dict[str, Any]:
        return {"written": [os.fspath(p) for p in self.written], "problems": [p.to_dict() for p in self.problems]}


@dataclass
class _Copy:
    """A workbook to save: its staff sheets under ``names`` (as perfxl read them -> in the copy)."""

    wb: Any
    names: dict[str, str]
    findings: list[Problem] = field(default_factory=list)


def _is_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder, for a path of any length (Path.is_dir raises past PATH_MAX)."""
    try:
        return stat.S_ISDIR(file_stat(os.fspath(path)).st_mode)
    except OSError:
        return False


def annotate(result: CheckResult, out_dir: str | os.PathLike[str],
             limits: Limits = DEFAULT_LIMITS) -> AnnotateResult:
    """Write an annotated copy of every readable workbook of a CheckResult into ``out_dir``.
    ``limits``: those the check read the workbooks under (each is read again to copy it)."""
    inputs = {Path(r.source).resolve() for r in result.results}
    target = Path(out_dir).resolve()
    checked = [Path(p).resolve() for p in result.paths if _is_folder(p)]
    if any(target in source.parents for source in inputs) or \
            any(target == root or root in target.parents for root in checked):
        raise OutputError(f"批注副本的文件夹 {out_dir} 位于所检查的文件夹之内；下次汇总会把副本当作报送的表重复统计，"
                          "请换一个文件夹")
    folder = ensure_dir(out_dir)
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for p in result.problems:
        by_file[p.file or ""].append(p)
    written: list[Path] = []
    found: list[Problem] = []
    used: set[str] = set()
    for r in result.results:
        if not r.readable:
            continue
        src = Path(r.source)
        # the copy's name never holds what a terminal would act on (an ESC in the staff's file name)
        name = f"{safe_file_name(printable(src.stem), 120, '文件')}_批注.xlsx"
        if name.casefold() in used:
            name = f"{safe_file_name(printable(src.parent.name), 60, '文件夹')}_{name}"
        used.add(name.casefold())
        target = folder / name
        if target.resolve() in inputs:
            continue  # never overwrite an input
        try:
            with atomic_target(target) as tmp:
                try:
                    findings = isolated(_annotated_copy, r.source, limits, r.source, by_file.get(r.source, []),
                                        tmp, limits, root_of(r.source, result.paths))
                except OSError as exc:
                    raise OutputError(f"写入批注副本 {target} 失败（{os_reason(exc)}）；"
                                      "已写出的其他副本不受影响") from exc
                if isinstance(findings, Problem):
                    raise _Refused(findings)
        except _Refused as exc:
            found.append(exc.problem)
            continue
        except ReaderFailed as exc:  # the file took its worker down (a crash, the deadline, memory)
            found.append(problem("annotate-copy-refused", file=r.source, reason=exc.problem.message))
            continue
        found += findings
        written.append(target)
    return AnnotateResult(tuple(written), tuple(found))


class _Refused(Exception):
    """No copy of this file: the temporary one is dropped, ``problem`` says why."""

    def __init__(self, found: Problem) -> None:
        super().__init__(found.message)
        self.problem = found


def _annotated_copy(source: str, problems: list[Problem], tmp: Path, limits: Limits,
                    root: str | None = None) -> list[Problem] | Problem:
    """In an isolated worker (``read.isolation``): copy, mark and save ``source`` into ``tmp``;
    the findings of annotating, or the Problem saying why there is no copy. ``source`` is opened
    from ``root``, the folder checked that it was found in (no folder below it followed)."""
    copy = _copy(source, limits, root)
    if isinstance(copy, Problem):
        return copy
    refused = _save(copy, tmp, problems, source, limits, root)
    return refused if refused is not None else copy.findings


def _copy(source: str, limits: Limits, root: str | None = None) -> _Copy | Problem:
    """The copy of ``source`` to annotate, or the Problem saying why there is none."""
    try:
        data = read_bytes(source, limits, root)
        sheets = read_workbook(source, data, limits)
    except UnreadableWorkbook as exc:
        return problem("annotate-copy-refused", file=source, reason=exc.reason)
    for sheet in sheets:
        unread = sheet.not_read
        if unread is not None:  # its stand-in is empty: a copy would lose the sheet
            return problem("annotate-copy-refused", file=source, reason=unread.message)
    # openpyxl makes an object of every merged cell: one merge down a whole column would take
    # the worker its deadline or its memory before the copy could be refused
    merged = sum((r2 - r1 + 1) * (c2 - c1 + 1) for sheet in sheets for r1, c1, r2, c2 in sheet.merges)
    if merged > limits.cells:
        return problem("annotate-copy-refused", file=source,
                       reason=f"合并单元格合计约 {merged:,} 个，超过上限 {limits.cells:,}（可用 --limit cells=N 放宽）")
    if sniff(data) != ZIP:
        return _from_grids(sheets, source)
    try:
        package = _package(data, limits)
    except PartTooLarge as exc:
        return problem("annotate-copy-refused", file=source,
                       reason=f"其中的“{exc.name}”解压后超过 {limits.part_mb} MB（可用 --limit part_mb=N 放宽）")
    if package is None:  # an .ods: perfxl's grids are the only copy there is
        return _from_grids(sheets, source)
    try:
        with warnings.catch_warnings():  # "no default style" and the like: about the file, not for the clerk
            warnings.simplefilter("ignore", UserWarning)
            wb = load_workbook(io.BytesIO(package), keep_vba=False, rich_text=False, keep_links=True)
    except Exception as exc:  # openpyxl fails in many ways on what Excel and perfxl accept
        return _rebuilt(sheets, source, f"openpyxl 无法打开：{type(exc).__name__}")
    lost = _lost(wb, sheets)
    if lost:
        return _rebuilt(sheets, source, lost)
    names = {s.name: s.name for s in sheets}
    return _Copy(wb, names, defuse(wb, {s.name: s for s in sheets}, source))


def _package(data: bytes, limits: Limits) -> bytes | None:
    """The .xlsx for openpyxl: every part inflated here within the part limit (openpyxl would
    inflate any size), macros left out. None when the zip holds no .xlsx workbook."""
    try:
        pkg = Package(data, limits.part_bytes)
        if "xl/workbook.xml" not in pkg:
            return None
        parts = {name: pkg.read(name) for name in pkg.names()
                 if not name.endswith("/") and "vbaproject" not in name.lower()}
    except PartTooLarge:
        raise
    except Exception:  # damaged beyond what perfxl's reader needed: copy from its grids
        return None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return out.getvalue()


def _lost(wb: Any, sheets: list[Sheet]) -> str | None:
    """What of perfxl's reading the openpyxl workbook lacks (a sheet, a value), else None."""
    for sheet in sheets:
        if sheet.name not in wb.sheetnames:
            return f"openpyxl 读不到工作表“{sheet.name}”"
        if isinstance(wb[sheet.name], Chartsheet):
            continue
        cells = wb[sheet.name]._cells
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value not in ("", None) and getattr(cells.get((r + 1, c + 1)), "value", None) is None:
                    return f"openpyxl 读不到工作表“{sheet.name}”的单元格 {to_a1(r, c)}"
    return None


def _rebuilt(sheets: list[Sheet], source: str, reason: str) -> _Copy:
    copy = _from_grids(sheets, source)
    copy.findings.insert(0, problem("annotate-copy-rebuilt", file=source, reason=reason))
    return copy


def _from_grids(sheets: list[Sheet], source: str) -> _Copy:
    """A copy built from perfxl's grids: values, merges and percent formats."""
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    names = SheetNames()
    copy = _Copy(wb, {})
    for sheet in sheets:
        title = names.take(sheet.name)
        copy.names[sheet.name] = title
        if title != sheet.name:
            copy.findings.append(problem("annotate-sheet-renamed", file=source, sheet=title,
                                         name=clean_text(printable(sheet.name)), new=title))
        ws = wb.create_sheet(title)
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value in ("", None):
                    continue
                cell = ws.cell(row=r + 1, column=c + 1)
                if put_value(cell, value) == "#NUM!" and isinstance(value, float):
                    copy.findings.append(problem("annotate-value-replaced", file=source, sheet=title,
                                                 cell=to_a1(r, c), value=repr(value)))
                if (r, c) in sheet.percent:
                    cell.number_format = "0%"
        for (r, c), shown in sheet.errors.items():  # error values, and what no workbook can hold as #NUM!
            cell = ws.cell(row=r + 1, column=c + 1)
            cell.value, cell.data_type = ("#NUM!" if shown in _NOT_FINITE else shown), "e"
            if shown in _NOT_FINITE:
                copy.findings.append(problem("annotate-value-replaced", file=source, sheet=title,
                                             cell=to_a1(r, c), value=shown))
        for r1, c1, r2, c2 in sheet.merges:
            ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
    return copy


_NOT_FINITE = ("NaN", "INF", "-INF")


def _save(copy: _Copy, tmp: Path, problems: list[Problem], source: str, limits: Limits,
          root: str | None = None) -> Problem | None:
    """Mark and write the copy into ``tmp``; a copy openpyxl cannot write is rebuilt from the grids
    once, and refused (the Problem returned) when that cannot be written either. An OSError (a
    full disk) is left to the caller, who names the copy."""
    try:
        _write(copy, tmp, problems)
    except OSError:
        raise
    except Exception as exc:  # a value or part openpyxl loaded but cannot write back
        sheets = read_workbook(source, read_bytes(source, limits, root), limits)
        rebuilt = _rebuilt(sheets, source, f"openpyxl 无法写出：{type(exc).__name__}")
        try:
            _write(rebuilt, tmp, problems)
        except OSError:
            raise
        except Exception as again:  # one file's oddity must not stop the others
            return problem("annotate-copy-refused", file=source, reason=f"副本无法写出（{type(again).__name__}）")
        copy.findings[:] = rebuilt.findings
        copy.names = rebuilt.names
    return None


def _write(copy: _Copy, path: Path, problems: list[Problem]) -> None:
    _mark(copy, [*problems, *copy.findings])
    _mark_as_copy(copy.wb)
    copy.wb.save(path)


def _mark_as_copy(wb: Any) -> None:
    """perfxl's mark, so that the copy is never read back as a submission (it replaces the mark
    of a template the unit filled in)."""
    props = wb.custom_doc_props
    props.props = [p for p in props.props if p.name != PROPERTY]
    props.append(StringProperty(name=PROPERTY, value=ANNOTATED))


def _anchor(ws: Any, ref: str) -> str:
    """The top-left cell of the merged range holding ``ref`` (notes live there)."""
    r, c = from_a1(ref)
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= r + 1 <= rng.max_row and rng.min_col <= c + 1 <= rng.max_col:
            return to_a1(rng.min_row - 1, rng.min_col - 1)
    return ref


def _where(copy: _Copy, p: Problem) -> str | None:
    """The copy's name of the sheet ``p`` is in (findings of annotating name the copy's sheet)."""
    if p.sheet is None:
        return None
    name = copy.names.get(p.sheet, p.sheet)
    return name if name in copy.wb.sheetnames else None


def _mark(copy: _Copy, problems: list[Problem]) -> None:
    wb = copy.wb
    cells: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for p in problems:
        sheet = _where(copy, p)
        if sheet is not None and p.cell:
            try:
                cells[(sheet, _anchor(wb[sheet], p.cell))].append(p)
            except ValueError:  # not a cell reference
                continue
    for (sheet, ref), found in cells.items():
        worst = min(found, key=lambda p: p.severity.rank).severity
        cell = wb[sheet][ref]
        cell.fill = PatternFill("solid", fgColor=worst.fill)
        text = "\n".join(f"【{p.severity.label}】{_text(p.message)}（{p.code}）" for p in found)
        note = Comment(text, "perfxl")
        note.width, note.height = 320, 40 + 40 * len(found)
        cell.comment = note
    _problem_sheet(copy, problems)


def _text(text: str) -> str:
    return clean_text(printable(text))


def _problem_sheet(copy: _Copy, problems: list[Problem]) -> None:
    wb = copy.wb
    names = SheetNames()
    for name in wb.sheetnames:
        names.reserve(name)
    ws = wb.create_sheet(names.take(ANNOTATION_SHEET), 0)
    ws.append(["序号", "工作表", "单元格", "级别", "规则", "问题和修改方法"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, p in enumerate(problems, start=1):
        sheet = _where(copy, p)
        shown = sheet or _text(p.sheet or "")
        ws.append([i, shown, _text(p.cell or ""), p.severity.label, p.code, _text(p.message)])
        for col in (2, 3, 5, 6):
            ws.cell(row=i + 1, column=col).data_type = "s"
        if sheet is not None and p.cell:
            link = ws.cell(row=i + 1, column=3)
            quoted = sheet.replace("'", "''")
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{p.cell}")
            link.font = Font(color="0563C1", underline="single")
        ws.cell(row=i + 1, column=4).fill = PatternFill("solid", fgColor=p.severity.fill)
    if not problems:
        ws.append([None, None, None, None, None, "未发现问题"])
    for letter, width in zip("ABCDEF", (6, 14, 9, 7, 26, 90), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
