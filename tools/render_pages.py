"""Render the first printed page of every sheet of the sample inbox's 全部单位 summary, as LibreOffice
prints it, into docs/pages/ (the pictures the README shows).

    python tools/render_pages.py            # needs soffice and pdftoppm / pdftotext (poppler)

Prints the README lines for the pictures written.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import perfxl  # noqa: E402
from perfxl.model import ALL_UNITS  # noqa: E402

PAGES = ROOT / "docs" / "pages"


def sheet_of_page(pdf: Path, page: int, sheets: list[str]) -> str | None:
    """The sheet a printed page belongs to, read from its header line (unit, sheet, run date)."""
    text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    head = next((line for line in text.splitlines() if line.strip()), "")
    words = re.split(r"\s{2,}", head.strip())
    return next((w for w in words if w in sheets), None)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        run = perfxl.consolidate(ROOT / "workbooks" / "inbox", out / "out", jobs=1)
        book = next(Path(p) for p in run.outputs if Path(p).name.startswith(ALL_UNITS))
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{out}/profile", "--convert-to",
                        "pdf", "--outdir", str(out), str(book)], capture_output=True, check=True, timeout=300)
        pdf = out / (book.stem + ".pdf")
        from openpyxl import load_workbook

        sheets = load_workbook(book, read_only=True).sheetnames
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(out / "page")], check=True)
        shutil.rmtree(PAGES, ignore_errors=True)
        PAGES.mkdir(parents=True)
        seen: list[str] = []
        for png in sorted(out.glob("page-*.png")):
            number = int(png.stem.rsplit("-", 1)[1])
            sheet = sheet_of_page(pdf, number, sheets)
            if sheet is None or sheet in seen:
                continue
            seen.append(sheet)
            shutil.copy(png, PAGES / f"{len(seen):02d}-{sheet}.png")
            print(f"![{sheet}](docs/pages/{len(seen):02d}-{sheet}.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
