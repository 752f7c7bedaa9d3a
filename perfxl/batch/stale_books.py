"""The books in an output folder that a run did not write (units renamed or gone), and whether a
book is held open by a spreadsheet application."""

from __future__ import annotations

from pathlib import Path

from ..errors import OutputError
from ..model import Consolidation


def stale_books(out_dir: Path, written: list[str]) -> list[Path]:
    """Summary books in ``out_dir`` that this run did not write (a unit renamed or gone)."""
    keep = {Path(p).name for p in written}
    return sorted(p for p in out_dir.glob("*_绩效目标汇总.xlsx") if p.name not in keep and not p.name.startswith("~$"))


def is_open(book: Path) -> bool:
    """True while Excel or WPS (``~$name``) or LibreOffice (``.~lock.name#``) holds the book open."""
    return (book.parent / f"~${book.name}").exists() or (book.parent / f".~lock.{book.name}#").exists()


def remove_stale(stale: list[str]) -> bool:
    """Remove the books of units gone (``--clean``); none of them while one is open (see
    ``is_open``), which is said instead. True when they were removed."""
    opened = [Path(p).name for p in stale if is_open(Path(p))]
    if opened:
        raise OutputError(f"{'、'.join(opened)} 正在 Excel、WPS 或 LibreOffice 中打开（有锁定文件 ~$… 或 "
                          ".~lock…），--clean 无法删除；请先在 Excel 中关闭该文件再运行")
    for path in stale:
        Path(path).unlink(missing_ok=True)
    return bool(stale)


def list_stale(run: Consolidation, out_dir: Path, clean: bool) -> Consolidation:
    """List (and with ``clean`` remove) the books in ``out_dir`` of units the run has not."""
    run.stale = [str(p) for p in stale_books(out_dir, run.outputs)]
    run.cleaned = remove_stale(run.stale) if clean else False
    return run
