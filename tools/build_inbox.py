"""Rebuild the sample inbox (workbooks/inbox/) from the golden seed tables (tests/golden/).

    python tools/build_inbox.py

The twelve tables of the seed document, split by unit into the layouts real files have.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.samples import build_workbook  # noqa: E402

# (unit folder, file name, golden indices, layout)
PLAN = [
    ("承德高新区经济发展局", "2020年部门整体及项目绩效目标.xlsx", [0, 1, 2], "seed"),
    ("承德高新区经济发展局", "型煤保供和规划编制项目绩效表.xlsx", [3, 4], "per-sheet"),
    ("承德高新区经济发展局", "第七次全国人口普查项目绩效表.xls", [5], "xls"),
    ("承德高新区招商服务局", "招商服务局项目绩效表.xlsx", [6, 7, 8], "variants"),
    ("承德高新区招商服务局", "重要会议和便民市场项目绩效表.xlsx", [9, 10], "per-sheet"),
    ("承德高新区招商服务局", "科技大厦企业用房租金绩效表.xls", [11], "xls"),
]


def main() -> None:
    specs = [json.loads(p.read_text("utf-8")) for p in sorted((ROOT / "tests/golden").glob("[0-9][0-9]_*.json"))]
    inbox = ROOT / "workbooks/inbox"
    for unit in {u for u, *_ in PLAN}:
        shutil.rmtree(inbox / unit, ignore_errors=True)
    for unit, name, indices, layout in PLAN:
        (inbox / unit).mkdir(parents=True, exist_ok=True)
        build_workbook(inbox / unit / name, [specs[i] for i in indices], layout)
        print(inbox / unit / name)


if __name__ == "__main__":
    main()
