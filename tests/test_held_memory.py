"""What a large run holds at once: results share their short texts, the 全部单位 book is made
in the process that holds the run (a forked writer would copy every result it touches), and it
is written a sheet at a time."""

from __future__ import annotations

import gc
import os
import pickle
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from perfxl.batch.consolidation import consolidate
from perfxl.compact_records import CellMap
from perfxl.model import Problem, ReadStatus, Severity, SourceFile
from perfxl.tables.extraction import extract
from perfxl.write.summary_book import Col, SheetData, write_book

from .conftest import SEED, mixed_inbox


def test_results_unpickled_apart_share_their_labels_and_cell_references() -> None:
    one, two = (pickle.loads(pickle.dumps(extract(str(SEED)))) for _ in range(2))
    assert one == two and one.tables[0].indicators
    a, b = one.tables[0].indicators[0], two.tables[0].indicators[0]
    assert a.cells and all(ka is kb and a.cells[ka] is b.cells[kb] for ka, kb in zip(a.cells, b.cells, strict=True))
    assert isinstance(a.cells, CellMap) and a.cells == extract(str(SEED)).tables[0].indicators[0].cells
    assert a.cell is b.cell and (a.level1 is None or a.level1 is b.level1)
    table_a, table_b = one.tables[0], two.tables[0]
    assert table_a.anchor is table_b.anchor and table_a.sheet is table_b.sheet
    # a long text is kept as it is (equal, not necessarily shared)
    long = "很长的说明" * 20
    problem = Problem(Severity.WARNING, "x-code", long, "a.xlsx", "表1", "B2")
    assert pickle.loads(pickle.dumps(problem)) == problem


@given(st.dictionaries(st.text(max_size=60), st.text(max_size=60), max_size=30))
def test_a_compact_cells_map_reads_as_the_dict_it_was_made_from(cells: dict[str, str]) -> None:
    compact = CellMap(cells)
    assert compact == cells and dict(compact) == cells and list(compact) == list(cells) and len(compact) == len(cells)
    assert all(compact[k] == v and compact.get(k) == v and k in compact for k, v in cells.items())
    assert compact.get("\x00不在其中") is None and "\x00不在其中" not in compact
    with pytest.raises(KeyError):
        compact["\x00不在其中"]
    assert pickle.loads(pickle.dumps(compact)) == cells


def test_every_record_a_run_holds_survives_pickling() -> None:
    result = extract(str(SEED))
    source = SourceFile("a.xlsx", "a.xlsx", 10, "ab" * 32, "2026-01-01T00:00:00", 3, ReadStatus.READ, "某局",
                        None, "某县")
    for record in (result, *result.tables, *result.tables[0].indicators, *result.problems, source):
        again = pickle.loads(pickle.dumps(record))
        assert again == record and type(again) is type(record)
        assert not hasattr(again, "__dict__")  # slotted: a hundred thousand of them hold no dict each


def test_the_whole_book_is_made_here_while_writers_make_the_units(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.batch.writing as writing

    log = tmp_path / "who-wrote.txt"
    real = write_book

    def logged(path: Path, sheets: Any, title: str, *rest: Any, **options: Any) -> str:
        with open(log, "a", encoding="utf-8") as fh:  # the writers are other processes
            fh.write(f"{os.getpid()}\t{title}\n")
        return real(path, sheets, title, *rest, **options)

    monkeypatch.setattr(writing, "PARALLEL_ROWS", 0)  # fork writers even for a small inbox
    monkeypatch.setattr(writing, "write_book", logged)
    run = consolidate(mixed_inbox(tmp_path), tmp_path / "out", jobs=2, cache=False)
    lines = [line.split("\t") for line in log.read_text("utf-8").splitlines()]
    by_title = {title: int(pid) for pid, title in lines}
    assert len(lines) == len(run.outputs) == len(run.departments) + 1
    assert by_title.pop("全部单位 绩效目标汇总") == os.getpid()
    assert by_title and all(pid != os.getpid() for pid in by_title.values())


def test_a_book_given_its_sheets_one_by_one_lets_each_go_before_the_next(tmp_path: Path) -> None:
    made: list[weakref.ref[SheetData]] = []
    alive_when_next_made: list[bool] = []

    def sheets() -> Iterator[SheetData]:
        for n in range(3):
            if made:
                gc.collect()
                alive_when_next_made.append(made[-1]() is not None)
            sheet = SheetData(f"表{n + 1}", [Col("名称"), Col("金额", "money")],
                              [[f"项目{n}-{r}", float(r)] for r in range(50)])
            made.append(weakref.ref(sheet))
            yield sheet
            del sheet

    path = tmp_path / "book.xlsx"
    write_book(path, sheets(), "测试", cells=300)
    assert alive_when_next_made == [False, False]
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["表1", "表2", "表3"]
    assert [tuple(r) for r in wb["表3"].iter_rows(min_row=2, max_row=3, values_only=True)] == [
        ("项目2-0", 0), ("项目2-1", 1)]
