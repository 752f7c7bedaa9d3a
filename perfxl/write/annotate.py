"""``check --annotate``: a copy of each checked workbook with every problem cell highlighted,
its messages attached as a cell note, and a 问题清单 sheet. Originals are never touched; .xls
inputs are annotated into .xlsx copies; macros of .xlsm inputs are not carried over."""

from __future__ import annotations

import io
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill

from ..a1 import from_a1, to_a1
from ..errors import OutputError
from ..model import CheckResult, Problem
from ..output_marks import ANNOTATED, ANNOTATION_SHEET, PROPERTY
from ..read.file_names import printable
from ..read.isolation import ReaderFailed, isolated
from ..read.limits import DEFAULT_LIMITS, Limits
from ..read.workbook import read_bytes, read_workbook
from .atomic import atomic_target, ensure_dir


def annotate(result: CheckResult, out_dir: str | os.PathLike[str],
             limits: Limits = DEFAULT_LIMITS) -> list[Path]:
    """Write an annotated copy of every readable workbook of a CheckResult into ``out_dir``.
    ``limits``: those the check read the workbooks under (a .xls is read again to copy it)."""
    inputs = {Path(r.source).resolve() for r in result.results}
    target = Path(out_dir).resolve()
    checked = [Path(p).resolve() for p in result.paths if Path(p).is_dir()]
    if any(target in source.parents for source in inputs) or \
            any(target == root or root in target.parents for root in checked):
        raise OutputError(f"批注副本的文件夹 {out_dir} 位于所检查的文件夹之内；下次汇总会把副本当作报送的表重复统计，"
                          "请换一个文件夹")
    folder = ensure_dir(out_dir)
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for p in result.problems:
        by_file[p.file or ""].append(p)
    written: list[Path] = []
    used: set[str] = set()
    for r in result.results:
        if not r.readable:
            continue
        src = Path(r.source)
        name = f"{src.stem}_批注.xlsx"
        if name in used:
            name = f"{src.parent.name}_{name}"
        used.add(name)
        target = folder / name
        if target.resolve() in inputs:
            continue  # never overwrite an input
        try:
            with atomic_target(target) as tmp:
                isolated(_annotated_copy, str(src), limits, src, by_file.get(r.source, []), tmp, limits)
        except ReaderFailed:
            continue  # a file that takes its reader down this time gets no copy; the rest go on
        written.append(target)
    return written


def _annotated_copy(src: Path, problems: list[Problem], tmp: Path, limits: Limits) -> None:
    """Open the staff file (in an isolated worker, see ``read.isolation``), mark it, save it."""
    wb = _open_copy(src, limits)
    _mark(wb, problems)
    _mark_as_copy(wb)
    wb.save(tmp)


def _open_copy(src: Path, limits: Limits) -> Any:
    if src.suffix.lower() == ".xls":
        return _from_grids(src, limits)
    data = read_bytes(str(src), limits)  # opened as every input is: a regular file, no link followed
    return load_workbook(io.BytesIO(data), keep_vba=False, rich_text=False)


def _from_grids(src: Path, limits: Limits) -> Any:
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    for sheet in read_workbook(src, limits=limits):
        ws = wb.create_sheet(sheet.name[:31])
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value not in ("", None):
                    cell = ws.cell(row=r + 1, column=c + 1, value=value)
                    if isinstance(value, str):
                        cell.data_type = "s"
                    if (r, c) in sheet.percent:
                        cell.number_format = "0%"
        for r1, c1, r2, c2 in sheet.merges:
            ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
    return wb


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


def _mark(wb: Any, problems: list[Problem]) -> None:
    cells: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for p in problems:
        if p.sheet is not None and p.sheet in wb.sheetnames and p.cell:
            cells[(p.sheet, _anchor(wb[p.sheet], p.cell))].append(p)
    for (sheet, ref), found in cells.items():
        worst = min(found, key=lambda p: p.severity.rank).severity
        cell = wb[sheet][ref]
        cell.fill = PatternFill("solid", fgColor=worst.fill)
        text = "\n".join(f"【{p.severity.label}】{printable(p.message)}（{p.code}）" for p in found)
        note = Comment(text, "perfxl")
        note.width, note.height = 320, 40 + 40 * len(found)
        cell.comment = note
    _problem_sheet(wb, problems)


def _problem_sheet(wb: Any, problems: list[Problem]) -> None:
    title = ANNOTATION_SHEET
    while title in wb.sheetnames:
        title += "2"
    ws = wb.create_sheet(title, 0)
    ws.append(["序号", "工作表", "单元格", "级别", "规则", "问题和修改方法"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, p in enumerate(problems, start=1):
        ws.append([i, p.sheet or "", p.cell or "", p.severity.label, p.code, printable(p.message)])
        for col in (2, 3, 5, 6):
            ws.cell(row=i + 1, column=col).data_type = "s"
        if p.sheet in wb.sheetnames and p.cell:
            link = ws.cell(row=i + 1, column=3)
            link.hyperlink = f"#'{p.sheet}'!{p.cell}"
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
