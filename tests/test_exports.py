"""The exports units really send (issue 17 point 7): HTML-table "xls", SpreadsheetML 2003 XML and
CSV, and .ods / .et workbooks, read like their .xlsx twins; an .xlsb refused with the save-as hint.

Every export is drawn from the same ``Grid`` as its twin (tests/fixtures/exports.py renders the grid
the way Excel and budget systems write it) and named ".xls" where systems do, so the format is
found from the content. HTML and SpreadsheetML keep the merges, so their extract equals the
twin's in everything but the file name. CSV keeps no merges: a merged value stands in its first
cell only. For the golden layouts that loses nothing (the hand-written golden tables come back);
where it does lose (the list layout's 单位名称 merged over two projects) the expected values are
written out below.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

import perfxl
from perfxl.errors import UnreadableWorkbook
from perfxl.read.inbox import scan_inbox
from perfxl.read.limits import Limits
from perfxl.read.workbook import read_workbook
from tests.conftest import load_specs, make_workbook, strip_positions
from tests.fixtures.engines import write_grids
from tests.fixtures.exports import render_csv, render_html, render_spreadsheet_ml, write_export
from tests.fixtures.families import FAMILIES
from tests.fixtures.grids import Grid
from tests.fixtures.samples import build_grids, expected_table

SPECS = load_specs()


def _extract(path: Path, **kw: Any) -> dict[str, Any]:
    """The extract without the file name it was read from."""
    out = perfxl.extract(path, **kw).to_dict()
    out.pop("source")
    for p in out["problems"]:
        p.pop("file")
    return out


def _twin(folder: Path, grids: list[Grid], engine: str = "xlsxwriter") -> dict[str, Any]:
    path = folder / "twin.xlsx"
    write_grids(path, grids, engine)
    return _extract(path)


# ------------------------------------------------------------------ HTML and SpreadsheetML

EXPORTS = [("html", "utf-8"), ("html", "gbk"), ("html", "gb2312"),
           ("xml", "utf-8"), ("xml", "gb2312"), ("xml", "gb18030")]


@pytest.mark.parametrize("kind,encoding", EXPORTS, ids=[f"{k}-{e}" for k, e in EXPORTS])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_family_exported_reads_like_its_xlsx_twin(tmp_path: Path, family: str, kind: str, encoding: str) -> None:
    builder, engine = FAMILIES[family]
    grids = builder()
    path = tmp_path / f"{family}.xls"  # as budget systems name them
    write_export(path, grids, kind, encoding)
    got = _extract(path)
    assert got["tables"], got["problems"]
    assert got == _twin(tmp_path, grids, engine)


@pytest.mark.parametrize("kind", ["html", "xml"])
@pytest.mark.parametrize("layout", ["seed", "per-sheet", "variants"])
def test_the_seed_tables_exported_read_like_their_xlsx_twin(tmp_path: Path, layout: str, kind: str) -> None:
    grids = build_grids(SPECS, layout)
    path = tmp_path / "导出.xls"
    write_export(path, grids, kind, "gbk" if kind == "html" else "utf-8")
    got = _extract(path)
    assert len(got["tables"]) == len(SPECS)
    assert got == _twin(tmp_path, grids)


def test_html_spans_are_laid_out_on_a_real_grid() -> None:
    page = """<html><head><meta charset="gbk"><style>.p {mso-number-format:"0\\.0%";}</style></head><body>
    <table><tr><td rowspan=2 colspan=2>一级指标</td><td>三级</td><td rowspan=3>依据</td></tr>
    <tr><td x:num>12</td></tr>
    <tr><td>A</td><td x:num="0.85" class=p>85.0%</td><td>第一行<br>第二行</td></tr>
    <tr><td colspan=0>  多个   空格  </td><td x:str>007</td><td>&nbsp;</td><td x:num="1,234.5">1,234.50</td></tr>
    </table><p>表外文字</p><table><tr><td>第二张</td></tr></table></body></html>""".encode("gbk")
    first, second = read_workbook("导出.xls", page)
    assert first.rows == [["一级指标", "", "三级", "依据"],
                          ["", "", 12.0, ""],
                          ["A", 0.85, "第一行\n第二行", ""],
                          ["多个 空格", "007", "", 1234.5]]
    assert first.merges == [(0, 0, 1, 1), (0, 3, 2, 3)]
    assert first.percent == {(2, 1)}
    assert (first.name, second.name, second.rows) == ("Sheet1", "Sheet2", [["第二张"]])


def test_spreadsheet_ml_index_gaps_merges_and_types() -> None:
    doc = """<?xml version="1.0"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Styles><Style ss:ID="p"><NumberFormat ss:Format="Percent"/></Style><Style ss:ID="n"><NumberFormat/></Style></Styles>
 <Worksheet ss:Name="绩效目标"><Table>
  <Row><Cell ss:MergeAcross="2"><Data ss:Type="String">预算项目绩效表</Data></Cell>
   <Cell><Data ss:Type="Number">1</Data></Cell></Row>
  <Row ss:Index="3"><Cell ss:Index="2" ss:MergeDown="1"><Data ss:Type="String">一级&#10;指标</Data></Cell>
   <Cell ss:StyleID="p"><Data ss:Type="Number">0.9</Data></Cell>
   <Cell ss:StyleID="n"><Data ss:Type="Number">80</Data></Cell></Row>
  <Row><Cell ss:Index="3"><Data ss:Type="Boolean">1</Data></Cell><Cell><Data ss:Type="String">0800</Data></Cell></Row>
 </Table></Worksheet>
 <Worksheet ss:Name="空表"><Table/></Worksheet>
</Workbook>""".encode()
    sheet, empty = read_workbook("导出.xls", doc)
    assert sheet.name == "绩效目标" and sheet.rows == [
        ["预算项目绩效表", "", "", 1.0],
        ["", "", "", ""],
        ["", "一级\n指标", 0.9, 80.0],
        ["", "", True, "0800"]]
    assert sheet.merges == [(0, 0, 0, 2), (2, 1, 3, 1)]
    assert sheet.percent == {(2, 2)}
    assert (empty.name, empty.rows) == ("空表", [])


# ------------------------------------------------------------------ CSV

ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("layout", ["per-sheet", "variants", "xls"])
def test_csv_of_the_seed_tables_gives_the_golden_tables(tmp_path: Path, layout: str, encoding: str) -> None:
    """One table a file, in each encoding Excel and budget systems write CSV in; the values as
    Excel shows them (80.00, 80%, 1,234.00) come back as the numbers the golden tables hold."""
    for i, spec in enumerate(SPECS):
        (grid,) = [g for g in build_grids([spec], layout) if g.cells]
        path = tmp_path / f"{i:02d}.csv"
        path.write_bytes(render_csv(grid, encoding))
        result = perfxl.extract(path)
        assert [strip_positions(t.to_dict()) for t in result.tables] == [strip_positions(expected_table(spec, layout))]
        assert not [p for p in result.problems if p.severity != "info"], (i, result.problems)


def test_csv_shows_numbers_in_a_label_column_as_excel_displays_them(tmp_path: Path) -> None:
    """The seed's whole-department table pasted as in the seed document has its 二级指标 column
    numbered 4, 3, 7, 12 as numbers in a 0.00 column: the .xlsx gives "4", Excel's CSV writes
    what it shows, "4.00", and that is what the CSV gives; nothing else differs (the empty
    三级指标 at D35 is reported for both)."""
    spec = SPECS[0]
    (grid,) = build_grids([spec], "seed")
    path = tmp_path / "Sheet1.csv"
    path.write_bytes(render_csv(grid, "gbk"))
    expected = strip_positions(expected_table(spec, "seed"))
    assert [ind["level2"] for ind in expected["indicators"]] == ["4", "3", "7", "12"]
    for ind, shown_as in zip(expected["indicators"], ["4.00", "3.00", "7.00", "12.00"], strict=True):
        ind["level2"] = shown_as
    result = perfxl.extract(path)
    assert [strip_positions(t.to_dict()) for t in result.tables] == [expected]
    assert [(p.code, p.cell) for p in result.problems] == [("indicator-name-missing", "D35")]


def test_csv_of_the_list_layout_loses_only_what_merges_said(tmp_path: Path) -> None:
    """单位名称 merged over both projects of XX县农业农村局 (A4:A13) is in A4 only in the CSV, so the
    second project (B10) has no department; 项目名称 and 一级指标 merged over a run are in the run's
    first row, and stand for the rows left blank below it (cited where they are written).
    Everything else is the twin's: every indicator row of every project."""
    builder, engine = FAMILIES["list_layout"]
    grids = builder()
    path = tmp_path / "项目绩效目标.csv"
    path.write_bytes(render_csv(grids[0], "utf-8-sig"))
    got, twin = _extract(path), _twin(tmp_path, grids, engine)
    assert [t["department"] for t in got["tables"]] == ["XX县农业农村局", None, "XX县卫生健康局"]
    twin["tables"][1]["department"] = None
    twin["tables"][1]["cells"].pop("department")
    assert got["tables"] == twin["tables"]


def test_csv_delimiters_and_excel_guards(tmp_path: Path) -> None:
    path = tmp_path / "导出.xls"
    path.write_bytes("项目编码\t项目名称\r\n=\"0012\"\t农村饮水\r\n\t\r\n".encode("gb18030"))
    (sheet,) = read_workbook(path)
    assert sheet.name == "导出" and sheet.rows == [["项目编码", "项目名称"], ["0012", "农村饮水"]]


def test_text_that_is_no_table_is_refused_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "说明.xls"
    path.write_text("这是一封说明信。\n没有表格。\n", "utf-8")
    with pytest.raises(UnreadableWorkbook, match="也不是逗号分隔的表格"):
        read_workbook(path)
    binary = tmp_path / "图片.xls"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(UnreadableWorkbook, match="不是 Excel 工作簿"):
        read_workbook(binary)


# ------------------------------------------------------------------ hostile exports

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Workbook [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Worksheet ss:Name="S"><Table><Row><Cell><Data ss:Type="String">&x;</Data></Cell></Row></Table></Worksheet>
</Workbook>"""
LAUGHS = ("""<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">"""
          + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                    for i in range(1, 10))
          + """]>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table><Row><Cell>"""
            """<Data>&lol9;</Data></Cell></Row></Table></Worksheet></Workbook>""")


@pytest.mark.parametrize("data", [XXE, LAUGHS.encode(), LAUGHS.encode("utf-16")], ids=["xxe", "laughs", "utf16"])
def test_spreadsheet_ml_with_a_dtd_is_refused_unexpanded(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "恶意.xls"
    path.write_bytes(data)
    result = perfxl.extract(path)
    assert [p.code for p in result.problems] == ["unreadable"] and "DTD" in result.problems[0].message
    assert "root:" not in str(result.to_dict())


def test_a_huge_html_table_is_bounded_by_the_limits(tmp_path: Path) -> None:
    wide = "<tr>" + "<td colspan=1000>x</td>" * 20 + "</tr>"
    page = "<html><body><table>" + wide * 200 + "</table><table><tr><td>" + "长" * 500 + "</td></tr></table>"
    path = tmp_path / "巨大.xls"
    path.write_text(page, "utf-8")
    huge, long_text = read_workbook(path, limits=Limits(cells=100_000, cell_chars=100))
    assert huge.rows == [] and [n.code for n in huge.notes] == ["sheet-too-large"]
    assert long_text.rows == [["长" * 100]] and [n.code for n in long_text.notes] == ["cell-too-long"]


def test_html_merges_beyond_the_limit_are_cut_with_a_note(tmp_path: Path) -> None:
    page = "<table>" + "<tr><td colspan=2>a</td></tr>" * 30 + "</table>"
    (sheet,) = read_workbook("x.xls", page.encode(), Limits(merges=10))
    assert len(sheet.merges) == 10 and [n.code for n in sheet.notes] == ["merges-too-many"]


# ------------------------------------------------------------------ .ods, .et, .xlsb and the inbox

@pytest.mark.soffice
@pytest.mark.parametrize("family", list(FAMILIES))
def test_ods_reads_like_its_xlsx_twin_with_merges_and_percents(tmp_path: Path, family: str) -> None:
    builder, engine = FAMILIES[family]
    grids = builder()
    twin = tmp_path / f"{family}.xlsx"
    write_grids(twin, grids, engine)
    subprocess.run([shutil.which("soffice") or "soffice", "--headless", "--convert-to", "ods", "--outdir",
                    str(tmp_path / "ods"), str(twin)], check=True, capture_output=True, timeout=300)
    ods = tmp_path / "ods" / f"{family}.ods"
    (sheet,) = read_workbook(ods)
    assert sorted(sheet.merges) == sorted(grids[0].merges)
    assert sheet.percent == {pos for pos, (_, fmt) in grids[0].cells.items() if fmt == "pct"}
    assert _extract(ods) == _extract(twin)


def test_et_is_read_when_it_is_biff_or_ooxml(tmp_path: Path) -> None:
    builder, _ = FAMILIES["cost_first_level_2021"]
    xls, xlsx = tmp_path / "a.xls", tmp_path / "b.xlsx"
    write_grids(xls, builder(), "xlwt")
    write_grids(xls.with_name("b.xlsx"), builder(), "openpyxl")
    for source in (xls, xlsx):
        et = tmp_path / f"{source.stem}.et"
        shutil.copy(source, et)
        assert _extract(et) == _extract(source)
    native = tmp_path / "wps.et"
    native.write_bytes(b"\x00\x01WPS native\x00" * 10)
    result = perfxl.extract(native)
    assert [p.code for p in result.problems] == ["unreadable"]
    assert "WPS 表格（.et）" in result.problems[0].message and "另存为 .xlsx" in result.problems[0].message


def _xlsb(path: Path) -> Path:
    """An .xlsb as Excel packs it: the relationships name xl/workbook.bin, whose binary records
    (and those of its sheet) no tokenizer of perfxl's measures."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                    'content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.'
                    'binary.macroEnabled.main"/></Types>')
        zf.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>')
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00\x9c\x01\x00")
        zf.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00\x94\x01\x10" + b"\xff" * 16)
    return path


def test_an_xlsb_is_refused_with_the_save_as_hint_and_calamine_never_sees_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An .xlsb's extents cannot be checked before python-calamine reads it (issue 17 point 2),
    so it is not read at all: a warning saying so and how to resend it, never calamine."""
    import perfxl.read.workbook as workbook

    path = _xlsb(tmp_path / "表.xlsb")
    called: list[str] = []

    class NoCalamine:
        def __getattr__(self, name: str) -> Any:
            called.append(name)
            raise AssertionError(f"python-calamine called: {name}")

    monkeypatch.setattr(workbook, "pc", NoCalamine())
    with pytest.raises(UnreadableWorkbook) as caught:
        read_workbook(path)
    assert called == [] and getattr(caught.value, "code", None) == "xlsb-not-read"
    result = perfxl.extract(path)
    assert [(p.code, p.severity) for p in result.problems] == [("xlsb-not-read", "warning")]
    assert result.tables == () and not result.readable and result.exit_code == 2
    message = result.problems[0].message
    assert "Excel 二进制工作簿（.xlsb）" in message and "在 Excel 中另存为 .xlsx 后重新提交" in message


def test_a_damaged_xlsb_is_refused_as_an_xlsb_too(tmp_path: Path) -> None:
    path = tmp_path / "表.xlsb"
    with zipfile.ZipFile(path, "w") as zf:  # no relationships: the workbook part found by its name
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00junk")
    assert [p.code for p in perfxl.extract(path).problems] == ["xlsb-not-read"]


def test_an_xlsb_counts_as_not_read_in_check_and_in_the_submissions(tmp_path: Path) -> None:
    """A unit whose only file is an .xlsb has sent something nobody read: its 报送情况 is no
    全部通过, the file is listed as 无法读取 with the hint, and check exits 2 (an input not read)."""
    inbox = tmp_path / "inbox"
    make_workbook(inbox / "某局" / "a.xlsx", {"A1": "项目名称", "B1": "x"})
    (inbox / "二进制局").mkdir(parents=True)
    _xlsb(inbox / "二进制局" / "b.xlsb")
    checked = perfxl.check(inbox / "二进制局")
    assert [p.code for p in checked.problems] == ["xlsb-not-read"] and checked.exit_code == 2
    run = perfxl.consolidate(inbox, tmp_path / "out", jobs=1)
    (source,) = [s for s in run.sources if s.department == "二进制局"]
    assert source.status.label == "无法读取" and "另存为 .xlsx" in (source.reason or "")
    (unit,) = [u for u in run.submissions if u.unit == "二进制局"]
    assert (unit.state, unit.files, unit.errors, unit.warnings) == ("已报送", 1, 0, 1)


def test_the_inbox_takes_exports_and_passes_over_stray_markup(tmp_path: Path) -> None:
    box = tmp_path / "inbox" / "某局"
    box.mkdir(parents=True)
    grids = FAMILIES["cost_first_level_2021"][0]()
    (box / "a.xml").write_bytes(render_spreadsheet_ml(grids))
    (box / "b.htm").write_bytes(render_html(grids, "gbk"))
    (box / "c.csv").write_bytes(render_csv(grids[0], "gbk"))
    for name in ("d.ods", "e.et", "f.xlsb"):
        (box / name).write_bytes(b"PK")
    (box / "配置.xml").write_text('<?xml version="1.0"?><config><a/></config>', "utf-8")
    (box / "说明.html").write_text("<html><body><p>通知</p></body></html>", "utf-8")
    scan = scan_inbox([tmp_path / "inbox"])
    assert [p.name for p in scan.found] == ["a.xml", "b.htm", "c.csv", "d.ods", "e.et", "f.xlsb"]
    assert sorted((Path(p.file or "").name, p.code) for p in scan.skipped) == [
        ("说明.html", "not-a-workbook-file"), ("配置.xml", "not-a-workbook-file")]
    assert "另存为 .xlsx" in scan.skipped[0].message


# ------------------------------------------------------------------ a long inline 单位名称

def test_a_long_inline_department_name_is_read(tmp_path: Path) -> None:
    """"单位名称：<200 字>" in one cell was passed over (a length cap meant for prose), so the
    consolidation put the table under 未指定单位 with the false "表中没有“单位名称”"."""
    name = "承德高新区" + "经济发展和改革委员会下属事业单位" * 13
    assert len(name) > 200
    path = make_workbook(tmp_path / "inbox" / "a.xlsx", {
        "A1": f"单位名称：{name}", "A2": "项目名称", "B2": "某项目", "A3": "一级指标", "B3": "二级指标",
        "C3": "三级指标", "D3": "指标值", "A4": "产出指标", "B4": "数量指标", "C4": "培训人数", "D4": "≥100人"})
    (table,) = perfxl.extract(path).tables
    assert (table.department, table.cells.get("department")) == (name, "A1")
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    assert "department-unknown" not in {p.code for r in run.results for p in r.problems}
    assert list(run.departments) == [name]
    assert all(len(p.name.encode()) <= 255 for p in (tmp_path / "out").iterdir())
