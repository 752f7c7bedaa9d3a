"""``check --annotate``: highlighted copies with notes and a 问题清单 sheet; originals untouched."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from perfxl.cli import main
from perfxl.review.checking import check

from .conftest import ROOT

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


def test_xls_is_annotated_into_xlsx(tmp_path: Path) -> None:
    xls = next(INBOX.rglob("*.xls"))
    result = check([xls])
    from perfxl.write.annotate import annotate

    [copy] = annotate(result, tmp_path)
    assert copy.suffix == ".xlsx"
    wb = load_workbook(copy)
    assert wb.sheetnames[0] == "问题清单" and "Sheet1" in wb.sheetnames
    assert wb["Sheet1"].merged_cells.ranges
