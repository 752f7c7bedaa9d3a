"""Realistic benchmark workbooks, generated from the seed's golden tables.

Three kinds, as found in a real inbox:
- ``typical``: one 预算项目绩效表 per file under a report header, with the 项目资金 block, ten
  indicators and 一级 merged down its rows (xlsxwriter, as WPS/Excel save it: shared strings,
  styles, percent format on the spend plan);
- ``fat``: the same table followed by styled empty rows down to row 1000;
- ``xls``: legacy .xls written by xlwt.
Every file gets its own project code and name, and the files are spread over 20 unit folders.
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.engines import write_grids  # noqa: E402
from tests.fixtures.grids import Grid, Style, render_table  # noqa: E402

UNITS = [f"承德高新区第{i + 1:02d}局" for i in range(20)]
STYLE = Style(levels="merged", report_header=True, funds_block=True, percent_format=True,
              wide=True)
MIX = (("typical", 8), ("fat", 1), ("xls", 1))  # out of every 10 files


def _specs() -> list[dict[str, Any]]:
    golden = ROOT / "tests" / "golden"
    specs = [json.loads(p.read_text("utf-8")) for p in sorted(golden.glob("[0-9][0-9]_*.json"))]
    return [s for s in specs if s["table"]["kind"] == "project"]


def _table(spec: dict[str, Any], n: int, unit: str) -> dict[str, Any]:
    """The seed table as file number ``n``: own code and name, ten indicators."""
    table = json.loads(json.dumps(spec["table"]))
    inds = table["indicators"]
    while len(inds) < 10:
        extra = dict(inds[len(inds) % len(spec["table"]["indicators"])])
        extra["level3"] = f"{extra['level3']}（{len(inds) + 1}）"
        inds.append(extra)
    inds.sort(key=lambda i: ["产出指标", "效果指标", "效益指标", "满意度指标"].index(i["level1"])
              if i["level1"] in ("产出指标", "效果指标", "效益指标", "满意度指标") else 9)
    table["project_code"] = f"105-{n // 10000:04d}-YBN-{n % 10000:04d}"
    table["project_name"] = f"{table['project_name']}（{n}）"
    table["department"] = unit
    return table


def kind_of(n: int) -> str:
    slot = n % 10
    for kind, share in MIX:
        if slot < share:
            return kind
        slot -= share
    return "typical"


def write_one(folder: Path, n: int, kind: str | None = None) -> Path:
    kind = kind or kind_of(n)
    specs = _specs()
    unit = UNITS[n % len(UNITS)]
    table = _table(specs[n % len(specs)], n, unit)
    grid = Grid("项目绩效表")
    render_table(grid, table, 1, 0, STYLE, funds=1000.0 + n % 997)
    if kind == "fat":
        grid.blank_styled_to = 1000
    target = folder / unit / f"{n:05d}_{kind}.{'xls' if kind == 'xls' else 'xlsx'}"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_grids(target, [grid], "xlwt" if kind == "xls" else "xlsxwriter")
    return target


def _write_range(args: tuple[str, int, int]) -> int:
    folder, start, stop = args
    for n in range(start, stop):
        write_one(Path(folder), n)
    return stop - start


def build(folder: Path, count: int, jobs: int | None = None) -> Path:
    """``count`` workbooks under ``folder`` (reused when already complete)."""
    stamp = folder / ".complete"
    if stamp.exists() and stamp.read_text() == str(count):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    step = 250
    ranges = [(str(folder), i, min(i + step, count)) for i in range(0, count, step)]
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
        list(pool.map(_write_range, ranges))
    stamp.write_text(str(count))
    return folder
