"""Summaries a finance office can trust: valid for Excel whatever staff typed, no book overwriting
another, named and dated as the unit's and the run's, ordinary file modes, never perfxl's own copies
inside what it reads, every file in its unit's book, and a plain answer when nothing was read."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import urllib.parse
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

import perfxl
from perfxl.cli import main
from perfxl.errors import OutputError
from perfxl.model import ReadStatus

from .conftest import SEED, make_workbook


def _project(path: Path, unit: str | None = None, checkpoints: tuple[str, ...] = ("3月底", "12月底")) -> Path:
    cells: dict[str, Any] = {"A1": "项目编码", "B1": "105-0901-YBN-DPPC", "C1": "项目名称", "D1": "某项目",
                             "A2": "资金支出计划", "A4": "一级指标", "B4": "二级指标", "C4": "三级指标", "D4": "指标值",
                             "A5": "产出指标", "B5": "数量指标", "C5": "户数", "D5": "≥20户"}
    for i, name in enumerate(checkpoints):
        cells[f"{'BCDEFG'[i]}2"], cells[f"{'BCDEFG'[i]}3"] = name, 50 * (i + 1)
    if unit:
        cells["F1"] = f"单位名称：{unit}"
    return make_workbook(path, cells)


def _tables(book: Path) -> list[tuple[str, list[str], list[Any]]]:
    """(table ref, column names, header cells) of every table of a book, read from its XML."""
    out = []
    wb = load_workbook(book)
    for ws in wb.worksheets:
        for table in ws.tables.values():
            first = ws[table.ref.split(":")[0]]
            names = [c.name for c in table.tableColumns]
            header = [ws.cell(first.row, first.column + i).value for i in range(len(names))]
            out.append((table.ref, names, header))
    return out


def column_widths(ws: Any) -> list[float]:
    """Every column's width; one <col> element may give several columns alike theirs."""
    widths = [8.43] * ws.max_column
    for dim in ws.column_dimensions.values():
        for c in range(dim.min or 1, min(dim.max or 1, ws.max_column) + 1):
            widths[c - 1] = dim.width or 8.43
    return widths


def check_excel_valid(book: Path) -> None:
    """What Excel would repair: table column names unlike their header cells, names alike ignoring
    case, characters XML 1.0 does not allow."""
    for ref, names, header in _tables(book):
        assert names == header, ref
        assert len({n.casefold() for n in names}) == len(names), ref
        assert not any(re.search(r"[\x00-\x1f]", n) for n in names), ref
    with zipfile.ZipFile(book) as zf:
        for name in zf.namelist():
            if name.endswith(".xml"):
                assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", zf.read(name)), name


def test_books_are_valid_for_excel_whatever_staff_typed(tmp_path: Path) -> None:
    box = tmp_path / "inbox" / "某局"
    _project(box / "a.xlsx", checkpoints=("3月\t底", "Q1", "q1", "6月\r底"))
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    for book in run.outputs:
        check_excel_valid(Path(book))
    names = _tables(Path(run.outputs[1]))
    plan = next(n for _, n, _ in names if "年度资金总额（万元）" in n and "项目编码" in n and "单位" in n
                and any("月" in x for x in n))
    assert "3月底" in plan and "6月底" in plan and "Q1" in plan and "q1（2）" in plan


def test_the_sample_inbox_books_are_valid_for_excel(tmp_path: Path) -> None:
    run = perfxl.consolidate("workbooks/inbox", tmp_path / "out", jobs=1)
    for book in run.outputs:
        check_excel_valid(Path(book))


def test_no_book_overwrites_another(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    for i, unit in enumerate(["承德/高新区", "承德:高新区", "全部单位"]):
        _project(box / f"{i}.xlsx", unit=unit)
    run = perfxl.consolidate(box, tmp_path / "out", jobs=1)
    names = sorted(Path(p).name for p in run.outputs)
    assert len(names) == len(set(names)) == 4
    tag = {u: hashlib.sha1(u.encode()).hexdigest()[:6] for u in ("承德/高新区", "承德:高新区", "全部单位")}
    assert "全部单位_绩效目标汇总.xlsx" in names and f"全部单位（{tag['全部单位']}）_绩效目标汇总.xlsx" in names
    assert {f"承德_高新区（{tag[u]}）_绩效目标汇总.xlsx" for u in ("承德/高新区", "承德:高新区")} <= set(names)
    titles = {load_workbook(p).properties.title for p in run.outputs}
    assert titles == {f"{u} 绩效目标汇总" for u in ("承德/高新区", "承德:高新区", "全部单位")}
    every = load_workbook(tmp_path / "out" / "全部单位_绩效目标汇总.xlsx")["概览"]
    assert {row[0].value for row in every.iter_rows(min_row=2, max_row=4)} == {"承德/高新区", "承德:高新区", "全部单位"}


def test_a_unit_keeps_its_book_whichever_units_come_and_go(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    _project(box / "0.xlsx", unit="承德/高新区")
    _project(box / "1.xlsx", unit="承德:高新区")
    first = perfxl.consolidate(box, tmp_path / "out", jobs=1)
    (box / "0.xlsx").unlink()
    again = perfxl.consolidate(box, tmp_path / "out", jobs=1)
    assert set(again.outputs) < set(first.outputs)  # 承德:高新区 still writes its own book, nothing else
    assert [Path(p).name for p in again.stale] == [Path(first.outputs[1]).name]
    assert load_workbook(first.outputs[1])["概览"]["A2"].value == "承德/高新区"


def test_a_book_is_named_and_dated_as_its_unit_and_run(tmp_path: Path) -> None:
    _project(tmp_path / "inbox" / "某局" / "a.xlsx")
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    book = load_workbook(run.outputs[1])
    assert book.properties.title == "某局 绩效目标汇总"
    assert book.properties.created is not None and book.properties.created.date() == dt.date.today()


def test_outputs_have_the_modes_the_umask_gives(tmp_path: Path) -> None:
    _project(tmp_path / "inbox" / "某局" / "a.xlsx")
    old = os.umask(0o022)
    try:
        run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    finally:
        os.umask(old)
    assert {os.stat(p).st_mode & 0o777 for p in run.outputs} == {0o644}


@pytest.mark.parametrize("inside", ["", "批注"])
def test_annotated_copies_never_go_inside_what_was_checked(tmp_path: Path, inside: str) -> None:
    box = tmp_path / "inbox"
    (box / "某局").mkdir(parents=True)
    shutil.copy(SEED, box / "某局" / "a.xlsx")
    with pytest.raises(OutputError, match="所检查的文件夹之内"):
        perfxl.annotate(perfxl.check([box]), box / inside)
    result = CliRunner().invoke(main, ["check", str(box), "--annotate", str(box / inside)])
    assert result.exit_code == 2 and "所检查的文件夹之内" in result.output


def test_perfxl_never_reads_back_what_it_wrote(tmp_path: Path) -> None:
    """Summaries, annotated copies and blank templates dropped into an inbox are passed over with a
    note saying what they are; the unit's own workbook is the only one read."""
    box = tmp_path / "inbox"
    (box / "某局").mkdir(parents=True)
    shutil.copy(SEED, box / "某局" / "a.xlsx")
    first = perfxl.consolidate(box, tmp_path / "out", jobs=1)
    copies = perfxl.annotate(perfxl.check([box]), tmp_path / "批注")
    blank = perfxl.template("project", tmp_path / "模板.xlsx").path
    for path in [*map(str, first.outputs), *map(str, copies), str(blank)]:
        shutil.copy(path, box / "某局" / Path(path).name)
    again = perfxl.consolidate(box, tmp_path / "out2", jobs=1)
    # the 全部单位 book would be read as a roll-up (层层汇总), but it holds this very inbox's file
    assert [(r.source, len(r.tables)) for r in again.results if r.tables] == \
        [(str(box / "某局" / "a.xlsx"), len(first.results[0].tables))]
    whole = Path(first.outputs[0]).name
    assert {p.code for p in again.problems if Path(p.file or "").name == whole} == {"rollup-overlaps-inbox"}
    notes = {Path(p.file or "").name: p.code for p in again.problems if p.code.endswith("-skipped")}
    assert notes == {**{Path(p).name: "own-summary-skipped" for p in first.outputs[1:]},
                     **{Path(p).name: "own-annotated-copy-skipped" for p in copies},
                     "模板.xlsx": "blank-template-skipped"}
    skipped = {s.relative for s in again.sources if s.status is ReadStatus.SKIPPED}
    assert skipped == {f"某局/{name}" for name in [*notes, whole]}


def test_a_filled_template_and_a_corrected_annotated_copy_are_submissions(tmp_path: Path) -> None:
    form = load_workbook(perfxl.template("project", tmp_path / "模板.xlsx").path)
    ws = form.worksheets[0]
    ws["B3"], ws["E3"] = "105-0901-YBN-DPPC", "某某项目"
    form.save(tmp_path / "填好的.xlsx")
    table, = perfxl.extract(tmp_path / "填好的.xlsx").tables
    assert (table.project_code, table.project_name) == ("105-0901-YBN-DPPC", "某某项目")
    copy, = perfxl.annotate(perfxl.check([SEED]), tmp_path / "批注")
    assert not perfxl.extract(copy).tables
    book = load_workbook(copy)
    del book["问题清单"]
    book.save(copy)
    assert len(perfxl.extract(copy).tables) == len(perfxl.extract(SEED).tables)


def test_a_file_belongs_to_the_nearest_folder_that_is_no_batch(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    _project(box / "第一批" / "某局" / "a.xlsx")
    _project(box / "某委" / "2023" / "3月" / "b.xlsx", checkpoints=("6月底", "12月底"))  # not a copy of a.xlsx
    run = perfxl.consolidate(box, tmp_path / "out", jobs=1, write=False)
    assert set(run.departments) == {"某局", "某委"}


@pytest.mark.parametrize("content", [None, "ods"])
def test_an_inbox_with_nothing_readable_is_exit_2_saying_what_was_passed_over(tmp_path: Path,
                                                                             content: str | None) -> None:
    _project(tmp_path / "good" / "某局" / "a.xlsx")
    earlier = perfxl.consolidate(tmp_path / "good", tmp_path / "out", jobs=1)
    before = {p: Path(p).read_bytes() for p in earlier.outputs}
    box = tmp_path / "inbox"
    box.mkdir()
    if content:
        (box / "表.ods").write_bytes(b"PK\x03\x04 not really")
    result = CliRunner().invoke(main, ["consolidate", str(box), "-o", str(tmp_path / "out"), "--quiet", "--clean"])
    assert result.exit_code == 2 and "没有读到任何绩效表" in result.output and "原有汇总保持不变" in result.output
    if content:
        assert "表.ods" in result.output
    assert {p: Path(p).read_bytes() for p in earlier.outputs} == before  # neither replaced nor removed


def test_consolidate_of_a_file_says_a_folder_is_expected(tmp_path: Path) -> None:
    path = _project(tmp_path / "a.xlsx")
    result = CliRunner().invoke(main, ["consolidate", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "是一个文件" in result.output and "perfxl check" in result.output


def test_the_overview_counts_read_skipped_and_failed_files_apart(tmp_path: Path) -> None:
    box = tmp_path / "inbox" / "某局"
    _project(box / "a.xlsx")
    shutil.copy(box / "a.xlsx", box / "a - 副本.xlsx")       # the same file twice: one skipped
    (box / "坏.xlsx").write_bytes(b"PK\x03\x04broken")          # unreadable
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    rows = [[c.value for c in r] for r in load_workbook(run.outputs[1])["概览"].iter_rows()]
    line = dict(zip(rows[0], rows[1], strict=True))
    assert (line["读取文件数"], line["跳过文件数"], line["失败文件数"]) == (1, 1, 1)
    (tmp_path / "inbox" / "说明.txt").write_text("不是工作簿")  # at the top: in no unit
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    every: list[list[Any]] = [[c.value for c in r] for r in load_workbook(run.outputs[0])["概览"].iter_rows(max_row=4)]
    assert [r[0] for r in every] == ["单位", "某局", "（不属于任何单位的文件）", "合计"]
    columns = [every[0].index(h) for h in ("读取文件数", "跳过文件数", "失败文件数")]
    assert [every[2][c] for c in columns] == [0, 1, 0]
    assert sum(every[r][c] for r in (1, 2) for c in columns) == len(run.sources) == 4


def test_a_book_open_in_excel_stops_the_run_before_anything_is_replaced(tmp_path: Path) -> None:
    _project(tmp_path / "inbox" / "某局" / "a.xlsx")
    first = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    before = {p: Path(p).read_bytes() for p in first.outputs}
    (tmp_path / "out" / "~$某局_绩效目标汇总.xlsx").write_bytes(b"lock")  # Excel has it open
    result = CliRunner().invoke(main, ["consolidate", str(tmp_path / "inbox"), "-o", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 2 and "请先在 Excel 中关闭该文件" in result.output
    assert {p: Path(p).read_bytes() for p in first.outputs} == before  # not one book replaced


def test_operating_system_errors_are_worded_in_chinese() -> None:
    from perfxl.errors import os_reason

    assert os_reason(PermissionError(13, "Permission denied")) == "没有权限"
    assert os_reason(FileNotFoundError(2, "No such file or directory")) == "文件或文件夹不存在"
    assert os_reason(OSError(28, "No space left on device")) == "磁盘空间已满"


def test_a_run_replaces_the_whole_set_or_none_of_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from perfxl.write.summary_book import write_book

    for unit in ("甲局", "乙局"):
        _project(tmp_path / "inbox" / unit / f"{unit}.xlsx", checkpoints=(unit, "12月底"))
    first = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1, cache=False)  # the rerun writes all
    before = {p: Path(p).read_bytes() for p in first.outputs}
    real, calls = write_book, []

    def fails_on_the_third(path: Path, sheets: Any, title: str, *rest: Any, **options: Any) -> str:
        calls.append(title)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(path))
        return real(path, sheets, title, *rest, **options)

    monkeypatch.setattr("perfxl.batch.writing.write_book", fails_on_the_third)
    with pytest.raises(OutputError, match="磁盘空间已满"):
        perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    assert {p: Path(p).read_bytes() for p in first.outputs} == before  # two books were written, none replaced
    assert not list((tmp_path / "out").glob(".~perfxl-*"))


def test_clean_never_removes_a_book_open_in_excel(tmp_path: Path) -> None:
    _project(tmp_path / "inbox" / "旧名局" / "a.xlsx")
    perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    (tmp_path / "inbox" / "旧名局").rename(tmp_path / "inbox" / "新名局")
    (tmp_path / "out" / "~$旧名局_绩效目标汇总.xlsx").write_bytes(b"lock")
    with pytest.raises(OutputError, match="请先在 Excel 中关闭该文件"):
        perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1, clean=True)
    assert (tmp_path / "out" / "旧名局_绩效目标汇总.xlsx").exists()


def test_an_output_path_that_is_a_file_is_said_to_be_one(tmp_path: Path) -> None:
    _project(tmp_path / "inbox" / "某局" / "a.xlsx")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="是一个文件，不是文件夹"):
        perfxl.consolidate(tmp_path / "inbox", tmp_path / "afile", jobs=1)


def test_books_of_units_gone_are_listed_and_removed_on_request(tmp_path: Path) -> None:
    _project(tmp_path / "inbox" / "旧名局" / "a.xlsx")
    perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    (tmp_path / "inbox" / "旧名局").rename(tmp_path / "inbox" / "新名局")
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    assert [Path(p).name for p in run.stale] == ["旧名局_绩效目标汇总.xlsx"] and Path(run.stale[0]).exists()
    result = CliRunner().invoke(main, ["consolidate", str(tmp_path / "inbox"), "-o", str(tmp_path / "out"),
                                       "--quiet", "--clean"])
    assert "已删除旧汇总" in result.output and not Path(run.stale[0]).exists()


def _pages_across(widths: list[float], repeated: float, scale: int, wider: float) -> int:
    """Pages across for columns of ``widths`` at ``scale`` %, measured ``wider`` than Excel does."""
    across = 1
    while (sum(widths) + repeated * (across - 1)) * 1.85 * wider * scale / 100 > 261.0 * across:
        across += 1
    return across


def test_every_sheet_prints_legibly(tmp_path: Path) -> None:
    """Printed at a fixed scale (never "fit to width", which shrinks text in an application that
    measures columns wider), no summary sheet prints below 8 pt; in Excel's measure (1 column-width
    unit ≈ 1.85 mm, about 261 mm across the margins) each fits the pages across it is laid out for,
    also measured 1.35× wider (as LibreOffice without Excel's fonts measures), and the first two
    columns repeat on every page across (the first alone where the second holds counts)."""
    run = perfxl.consolidate("workbooks/inbox", tmp_path / "out", jobs=1)
    seen = set()
    for book in run.outputs:
        for ws in load_workbook(book).worksheets:
            widths = column_widths(ws)
            scale = ws.page_setup.scale or 100
            setup = ws.sheet_properties.pageSetUpPr
            assert (setup is None or not setup.fitToPage) and ws.page_setup.orientation == "landscape"
            assert int(ws.page_setup.paperSize or 0) == 9
            assert 10 * scale / 100 >= 8, (Path(book).name, ws.title, scale)
            counts = isinstance(ws["B2"].value, (int, float)) and not isinstance(ws["B2"].value, bool)
            assert ws.print_title_cols == ("$A:$A" if counts else "$A:$B"), (Path(book).name, ws.title)
            repeated = sum(widths[:1 if counts else 2])
            across = _pages_across(widths, repeated, scale, 1.0)
            assert across <= 4, (Path(book).name, ws.title, across)
            if ws.title == "报送情况":  # one page across wherever it is printed
                assert _pages_across(widths, repeated, scale, 1.35) == 1, (Path(book).name, ws.title)
            seen.add(across)
    assert 1 in seen and len(seen) > 1  # narrow sheets stay one page across, wide ones do not


@pytest.mark.soffice
def test_libreoffice_prints_no_text_below_8_points(tmp_path: Path) -> None:
    """Measured on the pages LibreOffice prints: every word's box at least as tall as that of 8 pt
    text printed the same way (LibreOffice here has none of Excel's fonts, so its columns are wider)."""
    import xlsxwriter

    calibration = tmp_path / "八磅.xlsx"
    wb = xlsxwriter.Workbook(str(calibration))
    wb.add_worksheet().write(0, 0, "八磅文字 ABC 123", wb.add_format({"font_name": "宋体", "font_size": 8}))
    wb.close()
    run = perfxl.consolidate("workbooks/inbox", tmp_path / "out", jobs=1)
    books = [calibration, *map(Path, run.outputs[:2])]
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "pdf", "--outdir", str(tmp_path / "pdf"), *map(str, books)], check=True, capture_output=True,
                   timeout=300)

    def heights(book: Path) -> list[float]:
        html = subprocess.run(["pdftotext", "-bbox", str(tmp_path / "pdf" / f"{book.stem}.pdf"), "-"],
                              check=True, capture_output=True, text=True).stdout
        return [float(b) - float(a) for a, b in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', html)]

    eight = min(heights(calibration))
    for book in books[1:]:
        assert min(heights(book)) >= eight - 0.05, book.name


def test_modified_time_is_a_date_cell(tmp_path: Path) -> None:
    book = _project(tmp_path / "inbox" / "某局" / "a.xlsx")
    os.utime(book, (dt.datetime(2026, 3, 5, 14, 30, 15).timestamp(),) * 2)
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    ws = load_workbook(run.outputs[1])["来源文件"]
    assert ws.cell(1, 5).value == "修改时间"
    cell = ws.cell(2, 5)
    assert isinstance(cell.value, dt.datetime) and cell.value == dt.datetime(2026, 3, 5, 14, 30, 15)
    assert cell.number_format == "yyyy-mm-dd hh:mm:ss"


@pytest.mark.parametrize("name", ["1#楼维修.xlsx", "a b%20c.xlsx", "[旧] 项目^1.xlsx"])
def test_links_open_the_file_whatever_its_name(tmp_path: Path, name: str) -> None:
    _project(tmp_path / "inbox" / "某局" / name)
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    ws = load_workbook(run.outputs[1])["项目汇总"]
    link = ws.cell(2, [c.value for c in ws[1]].index("来源文件") + 1).hyperlink
    assert link is not None and link.location == "'Sheet1'!A1"
    target = urllib.parse.unquote(link.target or "").replace("\\", "/")  # xlsxwriter writes Windows separators
    assert (tmp_path / "out" / target).resolve() == (tmp_path / "inbox" / "某局" / name).resolve()


def test_every_page_says_unit_sheet_and_run_and_rows_are_tall_enough(tmp_path: Path) -> None:
    box = tmp_path / "inbox" / "某局&二处"
    _project(box / "关于某某项目二〇二六年度预算绩效目标申报的报送表（修订稿）.xlsx")
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    today = dt.date.today().isoformat()
    for book, unit in zip(run.outputs, ["全部单位（1 个单位）", "某局&&二处"], strict=True):
        for ws in load_workbook(book).worksheets:
            head: Any = ws.oddHeader
            foot: Any = ws.oddFooter
            assert head.left.text == unit and head.center.text == ws.title
            assert head.right.text == f"汇总于 {today}"
            assert foot.center.text == "第 &P 页，共 &N 页"
            assert ws.print_title_rows == "$1:$1"
            assert ws.cell(1, 1).font.b and ws.cell(1, 1).fill.fgColor.rgb == "FFDDEBF7"
    problems = load_workbook(run.outputs[1])["问题清单"]
    widths = column_widths(problems)
    tall = 0
    for r in range(2, problems.max_row + 1):
        lines = 1
        for c, width in enumerate(widths, start=1):
            for part in str(problems.cell(r, c).value or "").split("\n"):
                wide = sum(2 if ord(ch) > 0x2E7F else 1 for ch in part)  # a CJK character takes two columns
                lines = max(lines, -(-wide // int(width - 1.5)))
        if lines > 1:
            assert (problems.row_dimensions[r].height or 0) >= 13.5 * lines, r
            tall += 1
    assert tall


def test_the_overview_has_totals_run_facts_and_colour_scales(tmp_path: Path) -> None:
    for unit, amount in (("甲局", "12"), ("乙局", None)):
        cells = {"A1": "项目编码", "B1": "105-0901-YBN-DPPC", "C1": "项目名称", "D1": "某项目",
                 "A2": "一级指标", "B2": "二级指标", "C2": "三级指标", "D2": "指标值",
                 "A3": "产出指标", "B3": "数量指标", "C3": "户数", "D3": "≥20户",
                 "A4": "满意度指标", "B4": "服务对象满意度指标", "C4": "群众满意度", "D4": "较高"}
        if amount:
            cells.update({"E1": "年度资金总额", "F1": amount})
        make_workbook(tmp_path / "inbox" / unit / "a.xlsx", cells)
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    book = load_workbook(run.outputs[0])
    ws = book["概览"]
    header = [c.value for c in ws[1]]
    table, = ws.tables.values()
    assert table.ref.endswith("3") and not table.totalsRowCount  # two units; 合计 under the table, as values
    assert ws["A4"].value == "合计"
    totals = dict(zip(header, [c.value for c in ws[4]], strict=True))
    assert totals["项目数"] == 2 and totals["资金总额（万元）"] == 12 and totals["填了资金的项目数"] == 1
    assert totals["定量指标占比"] == 0.5  # 1 of the 2 indicators of each unit: weighted by indicators
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, max_row=3, values_only=True)}
    assert rows["甲局"][header.index("资金总额（万元）")] == 12 and rows["甲局"][header.index("填了资金的项目数")] == 1
    assert rows["乙局"][header.index("资金总额（万元）")] is None
    assert rows["乙局"][header.index("填了资金的项目数")] == 0
    facts = {r[0]: str(r[1]) for r in ws.iter_rows(min_row=6, max_row=11, values_only=True)}
    assert facts["收件箱"] == str((tmp_path / "inbox").resolve()) and facts["规则文件"].startswith("perfxl 自带")
    assert facts["文件"] == "共 2 个：读取 2 个，跳过 0 个，无法读取 0 个"
    assert dt.datetime.fromisoformat(facts["汇总时间"]).date() == dt.date.today()
    scaled = {str(rng.sqref) for rng in ws.conditional_formatting}
    assert {f"{get_column_letter(header.index(h) + 1)}2:{get_column_letter(header.index(h) + 1)}3"
            for h in ("定量指标占比", "错误", "警告")} <= scaled


def test_charts_take_their_names_from_cells_and_never_from_rows_a_sort_moves(tmp_path: Path) -> None:
    for unit in ("甲局", "Sheet1!A1"):
        _project(tmp_path / "inbox" / unit / "a.xlsx", unit=unit)
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    wb = load_workbook(run.outputs[0])
    plan = wb["支出计划"]
    table, = plan.tables.values()
    last_table_row = plan[table.ref.split(":")[1]].row
    with zipfile.ZipFile(run.outputs[0]) as zf:
        charts = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/chart")]
    names = [f for chart in charts for f in re.findall(r"<c:tx><c:strRef><c:f>([^<]+)</c:f>", chart)]
    assert names and all(re.fullmatch(r"(概览|支出计划)!\$[A-Z]+\$\d+", n) for n in names)
    line = next(c for c in charts if "<c:lineChart>" in c)
    rows = {int(r) for r in re.findall(r"<c:val><c:numRef><c:f>支出计划!\$[A-Z]+\$(\d+):", line)}
    assert rows and min(rows) > last_table_row + 1  # the weighted curves sit below the table
    assert {plan.cell(r, 2).value for r in rows} == {"甲局", "Sheet1!A1"}


def test_skipped_files_keep_their_facts_and_blank_copies_are_no_duplicates(tmp_path: Path) -> None:
    box = tmp_path / "inbox" / "某局"
    _project(box / "a.xlsx", checkpoints=("3月\r底", "12月底"))
    (box / "说明.txt").write_text("请查收", "utf-8")
    blank = perfxl.template("project", tmp_path / "模板.xlsx").path
    shutil.copy(blank, box / "模板.xlsx")
    shutil.copy(blank, box / "模板 - 副本.xlsx")
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    notes = {Path(p.file or "").name: p.code for p in run.problems if p.code.endswith(("-skipped", "-duplicate"))}
    assert notes["模板.xlsx"] == notes["模板 - 副本.xlsx"] == "blank-template-skipped"
    text = next(s for s in run.sources if s.relative.endswith("说明.txt"))
    assert text.size == len("请查收".encode()) and dt.datetime.fromisoformat(text.modified).date() == dt.date.today()
    with zipfile.ZipFile(run.outputs[1]) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".xml"))
    assert b"_x000D_" not in xml and "3月底".encode() in xml  # a CR is a line break, or gone in a name


def test_an_earlier_summary_of_the_same_inbox_dropped_into_it_is_not_counted_again(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    _project(box / "某局" / "a.xlsx", unit="某局")
    first = perfxl.consolidate(box, tmp_path / "out", jobs=1)
    shutil.copy(first.outputs[0], box / Path(first.outputs[0]).name)  # the 全部单位 book, at the top
    again = perfxl.consolidate(box, tmp_path / "out2", jobs=1)
    assert sum(len(r.tables) for r in again.results) == sum(len(r.tables) for r in first.results)
    assert [p.code for p in again.problems if p.file and p.file.endswith("全部单位_绩效目标汇总.xlsx")] == \
        ["rollup-overlaps-inbox"]
    assert not any(p.code == "project-code-duplicate" for p in again.problems)
