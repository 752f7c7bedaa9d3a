"""The naive peer perfxl is measured against: what a script written in an afternoon would do.

Every workbook is loaded with openpyxl's default ``load_workbook`` (legacy .xls through
``xlrd.open_workbook``), every non-empty cell becomes a record (file, sheet, cell, value), and
the records are written with ``pandas.DataFrame.to_excel``. No table finding, no checks: the
peer does strictly less than perfxl.

    python benchmarks/peer.py INBOX OUT.xlsx
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def records_of(path: Path) -> list[dict[str, Any]]:
    """Every non-empty cell of one workbook."""
    import openpyxl

    out = []
    if path.suffix.lower() == ".xls":
        import xlrd

        book = xlrd.open_workbook(path)
        for sh in book.sheets():
            for r in range(sh.nrows):
                for c, cell in enumerate(sh.row(r)):
                    if cell.value not in ("", None):
                        out.append({"file": path.name, "sheet": sh.name, "row": r + 1,
                                    "col": c + 1, "value": cell.value})
        return out
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    out.append({"file": path.name, "sheet": ws.title, "row": cell.row,
                                "col": cell.column, "value": cell.value})
    return out


def main(inbox: str, target: str) -> int:
    import pandas as pd

    records: list[dict[str, Any]] = []
    for path in sorted(Path(inbox).rglob("*")):
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") and not path.name.startswith("~$"):
            records.extend(records_of(path))
    pd.DataFrame.from_records(records).to_excel(target, index=False)
    print(len(records))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
