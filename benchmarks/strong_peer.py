"""The strong peer perfxl is measured against: what a competent engineer would write in an
afternoon to pull the indicator rows out of an inbox and put them in one workbook.

Every workbook is read with python-calamine (.xls too), merged ranges are filled with their
top-left value, a label scan finds the indicator header (一级指标 … 指标值) and the project's code,
name and unit, the indicator rows below it become one table, written with xlsxwriter in
``constant_memory`` mode; files are read over a ProcessPoolExecutor of two processes. No checks,
no per-unit books, no source cells: the peer does strictly less than perfxl.

The floors, over the same pool, do less still:

    python benchmarks/strong_peer.py INBOX OUT.xlsx            # the strong peer
    python benchmarks/strong_peer.py INBOX OUT.xlsx --floor calamine   # calamine values only
    python benchmarks/strong_peer.py INBOX OUT.xlsx --floor unzip      # unzip + inflate the sheets
"""

from __future__ import annotations

import argparse
import sys
import zipfile
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HEADER = ("文件", "单位", "项目编码", "项目名称", "一级指标", "二级指标", "三级指标", "指标内容", "符号", "指标值",
          "计量单位", "指标值确定依据")
SUFFIXES = (".xlsx", ".xlsm", ".xls")
NEEDED = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/styles.xml")


def calamine_grids(path: str) -> list[tuple[list[list[Any]], list[Any]]]:
    """Every sheet's values (from A1) and merged ranges, as python-calamine gives them."""
    import python_calamine as pc

    book = pc.CalamineWorkbook.from_path(path)
    out = []
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        out.append((sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or []))
    book.close()
    return out


def _filled(grid: list[list[Any]], merges: list[Any]) -> list[list[Any]]:
    for (r0, c0), (r1, c1) in merges:
        if r0 >= len(grid) or c0 >= len(grid[r0]):
            continue
        value = grid[r0][c0]
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            row = grid[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                row[c] = value
    return grid


def _right_of(row: list[Any], col: int, label: str) -> str:
    for value in row[col + 1:]:
        if value not in ("", None) and str(value) != label:
            return str(value)
    return ""


def indicator_rows(path: str) -> list[tuple[Any, ...]]:
    """The indicator rows of every table in one workbook, with its project's code, name and unit."""
    out: list[tuple[Any, ...]] = []
    for grid, merges in calamine_grids(path):
        grid = _filled(grid, merges)
        code = name = unit = ""
        header = -1
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if not isinstance(value, str):
                    continue
                if value.startswith("单位名称"):
                    unit = value.split("：", 1)[-1] if "：" in value else _right_of(row, c, value)
                elif value == "项目编码" and not code:
                    code = _right_of(row, c, value)
                elif value == "项目名称" and not name:
                    name = _right_of(row, c, value)
                elif value == "一级指标":
                    header = r
            if header >= 0:
                break
        if header < 0:
            continue
        cols = {str(v): c for c, v in reversed(list(enumerate(grid[header])))}
        first = header + 1
        sub = grid[first] if first < len(grid) else []
        if "符号" in sub:
            slots = [sub.index("符号"), sub.index("符号") + 1, sub.index("符号") + 2]
            first += 1
        else:
            slots = [-1, cols.get("指标值", -1), -1]
        picks = [cols.get("一级指标", -1), cols.get("二级指标", -1), cols.get("三级指标", -1),
                 cols.get("绩效指标描述", cols.get("指标内容", -1)), *slots, cols.get("指标值确定依据", -1)]
        for row in grid[first:]:
            values = [row[c] if 0 <= c < len(row) else "" for c in picks]
            if all(v in ("", None) for v in values[:3]):
                break
            out.append((Path(path).name, unit, code, name, *values))
    return out


def calamine_only(path: str) -> list[tuple[Any, ...]]:
    """Floor: the values of every sheet, nothing done with them."""
    calamine_grids(path)
    return []


def unzip_only(path: str) -> list[tuple[Any, ...]]:
    """Floor: read the file and inflate the parts holding the cells (an .xls is only read)."""
    if not path.lower().endswith(".xls"):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.startswith("xl/worksheets/") or info.filename in NEEDED:
                    zlib.crc32(zf.read(info.filename))
    else:
        Path(path).read_bytes()
    return []


MODES = {"peer": indicator_rows, "calamine": calamine_only, "unzip": unzip_only}


def read_chunk(mode: str, paths: list[str]) -> list[tuple[Any, ...]]:
    fn = MODES[mode]
    return [row for path in paths for row in fn(path)]


def run(inbox: str, target: str, mode: str = "peer", jobs: int = 2) -> int:
    import xlsxwriter

    paths = sorted(str(p) for p in Path(inbox).rglob("*")
                   if p.suffix.lower() in SUFFIXES and not p.name.startswith(("~$", ".")))
    size = max(8, len(paths) // (jobs * 8) or 1)
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    with ProcessPoolExecutor(jobs) as pool:
        parts = list(pool.map(read_chunk, [mode] * len(chunks), chunks))
    rows = 0
    if mode == "peer":
        book = xlsxwriter.Workbook(target, {"constant_memory": True})
        sheet = book.add_worksheet("绩效指标")
        sheet.write_row(0, 0, HEADER)
        for part in parts:
            for row in part:
                rows += 1
                sheet.write_row(rows, 0, row)
        sheet.autofilter(0, 0, rows, len(HEADER) - 1)
        book.close()
    print(rows)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inbox")
    parser.add_argument("target")
    parser.add_argument("--floor", choices=("calamine", "unzip"), help="do only this much of the peer's work")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    return run(args.inbox, args.target, args.floor or "peer", args.jobs)


if __name__ == "__main__":
    sys.exit(main())
