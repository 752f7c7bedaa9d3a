"""Build a folder of hostile and broken files (outside the repository) next to good ones, to
consolidate it as a new user would:

    python tools/hostile_inbox.py /tmp/恶意收件箱
    perfxl consolidate /tmp/恶意收件箱 -o /tmp/恶意汇总

Contents: a decompression bomb (1 GB inflated, lying header), a sheet with a cell at XFD1048576,
a dense sheet of two million cells, a two-million-character cell, 20,000 merged ranges, staff
text that looks like formulas, an .xlsm with a macro, a lock file, a symbolic link out of the
inbox, the same file twice, a GBK file name, a truncated copy, a text file named .xlsx, an
encrypted-looking OLE file, a WPS .et file, and the good sample workbooks.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

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


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/恶意收件箱")
    build(target)
    print(f"已生成：{target}")
