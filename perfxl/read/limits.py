"""Size limits that keep one hostile or broken workbook from costing unbounded time or memory.

Every limit is generous for real submissions (a filled 绩效表 is a few hundred cells) and can be
raised from the command line (``--limit cells=5000000``) or by passing a ``Limits`` object.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..errors import PerfxlError


@dataclass(frozen=True)
class Limits:
    """Ceilings applied while reading one workbook."""

    file_mb: int = 50            # size of the file on disk
    part_mb: int = 64            # one part of an .xlsx (a sheet's XML) once inflated
    cells: int = 1_000_000       # used area (rows x columns) of one sheet
    cell_chars: int = 32_767     # characters in one cell (Excel's own maximum)
    merges: int = 5_000          # merged ranges in one sheet
    seconds: int = 60            # to read one file (its reader is stopped after that)
    memory_mb: int = 2_048       # more memory a reader may take while reading (its process is capped)
    total_mb: int = 256          # all parts of one workbook read, once inflated
    sheets: int = 200            # worksheets in one workbook
    book_cells: int = 5_000_000  # used areas of all sheets of one workbook together

    @property
    def file_bytes(self) -> int:
        return self.file_mb * 2**20

    @property
    def part_bytes(self) -> int:
        return self.part_mb * 2**20

    @property
    def total_bytes(self) -> int:
        return self.total_mb * 2**20


DEFAULT_LIMITS = Limits()
NAMES = tuple(f.name for f in fields(Limits))


def parse_limits(items: tuple[str, ...] | list[str]) -> Limits:
    """``["cells=5000000", "file_mb=200"]`` -> Limits; PerfxlError naming the bad item."""
    limits = DEFAULT_LIMITS
    for item in items:
        name, _, value = item.partition("=")
        name = name.strip().replace("-", "_")
        if name not in NAMES:
            raise PerfxlError(f"未知的限制“{name}”；可用的有：{'、'.join(NAMES)}")
        try:
            number = int(value)
        except ValueError:
            raise PerfxlError(f"限制 {name} 的值“{value}”不是正整数") from None
        if number <= 0:
            raise PerfxlError(f"限制 {name} 的值必须大于 0")
        limits = replace(limits, **{name: number})
    return limits
