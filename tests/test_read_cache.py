"""The cache in the output folder: a rerun reads only the files that changed and rewrites only the
books whose contents changed, gives the books a run without the cache gives, and is invalidated by
new rules; a damaged cache is ignored."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import perfxl.batch.pool as pool
from perfxl.batch.consolidation import consolidate
from perfxl.batch.file_read import FileRead
from perfxl.batch.read_cache import CACHE_DIR
from perfxl.cli import main
from perfxl.model import Consolidation

from .conftest import ROOT

ECONOMY = "承德高新区经济发展局"
INVESTMENT = "承德高新区招商服务局"


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    box = tmp_path / "inbox"
    shutil.copytree(ROOT / "workbooks" / "inbox", box)
    return box


@pytest.fixture()
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths perfxl opens to read (the inbox is small: they are read in this process)."""
    opened: list[str] = []
    original = pool.read_one

    def counting(path: str, *args: Any, **kwargs: Any) -> FileRead:
        opened.append(Path(path).name)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(pool, "read_one", counting)
    return opened


def _values(folder: Path) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Every book's cells, but for the time of the run (a book not rewritten keeps its own)."""
    out = {}
    for path in sorted(folder.glob("*.xlsx")):
        wb = load_workbook(path, read_only=True)
        out[path.name] = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True) if r and r[0] != "汇总时间"]
                          for ws in wb.worksheets}
        wb.close()
    return out


def _change(path: Path) -> None:
    """New content in one workbook: a sheet of notes added, as a clerk might."""
    wb = load_workbook(path)
    wb.create_sheet("备注")["A1"] = "补充说明"
    wb.save(path)


def test_rerun_reads_only_what_changed_and_gives_the_same_books(inbox: Path, tmp_path: Path,
                                                                 reads: list[str]) -> None:
    out = tmp_path / "out"
    consolidate(inbox, out, jobs=1)
    assert len(reads) == 6
    assert (out / CACHE_DIR).is_dir() and not any(p.name.startswith(".") for p in inbox.rglob("*"))
    books = {p.name: p.stat().st_mtime_ns for p in out.glob("*.xlsx")}

    reads.clear()
    consolidate(inbox, out, jobs=1)
    assert reads == []  # nothing changed: no file is opened, no book rewritten
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.xlsx")} == books

    changed = inbox / ECONOMY / "型煤保供和规划编制项目绩效表.xlsx"
    _change(changed)
    os.utime(inbox / INVESTMENT / "招商服务局项目绩效表.xlsx")  # touched, content as before: read again
    reads.clear()
    run = consolidate(inbox, out, jobs=1)
    assert sorted(reads) == sorted([changed.name, "招商服务局项目绩效表.xlsx"])
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.xlsx")}
    assert after[f"{ECONOMY}_绩效目标汇总.xlsx"] != books[f"{ECONOMY}_绩效目标汇总.xlsx"]
    assert after["全部单位_绩效目标汇总.xlsx"] != books["全部单位_绩效目标汇总.xlsx"]
    # the other unit's 来源文件 shows the touched file's new time: rewritten too
    assert len(run.outputs) == 3

    fresh = consolidate(inbox, tmp_path / "fresh", jobs=1, cache=False)
    assert not (tmp_path / "fresh" / CACHE_DIR).exists()
    assert _values(out) == _values(tmp_path / "fresh")
    assert [p.to_dict() for p in run.problems] == [p.to_dict() for p in fresh.problems]


def test_a_rerun_that_finds_nothing_changed_returns_the_last_run_without_the_readers(inbox: Path,
                                                                                  tmp_path: Path) -> None:
    """Nothing changed: the last run comes back as it was, without importing the readers, the
    checks or the writers, and without unpickling its results until they are asked for."""
    out = tmp_path / "out"
    first = consolidate(inbox, out, jobs=1)
    code = (f"import json, sys\nfrom perfxl.batch.consolidation import consolidate\n"
            f"run = consolidate({str(inbox)!r}, {str(out)!r}, jobs=1)\n"
            "heavy = [m for m in ('perfxl.batch.fresh_run', 'perfxl.read.workbook', 'xlsxwriter', 'pebble', "
            "'pandas') if m in sys.modules]\n"
            "print(json.dumps([heavy, 'results' in vars(run), run.to_dict()], ensure_ascii=False))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, loaded, report = json.loads(done.stdout)
    assert heavy == [] and not loaded
    expected = first.to_dict() | {"unchanged": first.outputs}
    assert report == json.loads(json.dumps(expected, ensure_ascii=False))

    again = consolidate(inbox, out, jobs=1)
    assert again.results == first.results and again.problems == first.problems  # unpickled when asked for
    sent = pickle.loads(pickle.dumps(consolidate(inbox, out, jobs=1)))  # as to a Dask worker: a plain run
    assert type(sent) is Consolidation and sent.results == first.results and sent.sources == first.sources


def test_a_last_run_whose_results_were_damaged_or_planted_is_not_used(inbox: Path, tmp_path: Path,
                                                                       reads: list[str]) -> None:
    out = tmp_path / "out"
    first = consolidate(inbox, out, jobs=1)
    marker = tmp_path / "ran"

    class Planted:
        def __reduce__(self) -> tuple[Any, ...]:
            return (marker.write_text, ("unpickled",))

    results = out / CACHE_DIR / "results.pickle"
    for body in (results.read_bytes()[:32] + pickle.dumps(Planted()), b"short"):
        results.write_bytes(body)
        reads.clear()
        again = consolidate(inbox, out, jobs=1)
        # run again from the files' reads (still in the cache), its results never unpickled
        assert not marker.exists() and reads == [] and "results" in vars(again)
        assert again.results == first.results
        assert again.unchanged == first.outputs  # the same books: none rewritten


def test_only_the_changed_units_book_is_rewritten(inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.batch.writing as writing

    out = tmp_path / "out"
    consolidate(inbox, out, jobs=1)
    books = {p.name: p.stat().st_mtime_ns for p in out.glob("*.xlsx")}
    built: list[str | None] = []
    original = writing.book_contents  # type: ignore[attr-defined]  # the name writing looks up

    def counting(parts: Any, unit: str | None, *args: Any) -> Any:
        built.append(unit)
        return original(parts, unit, *args)

    monkeypatch.setattr(writing, "book_contents", counting)
    _change(inbox / ECONOMY / "型煤保供和规划编制项目绩效表.xlsx")
    run = consolidate(inbox, out, jobs=1)
    assert sorted(built, key=str) == sorted([None, ECONOMY], key=str)  # the other unit's book is not even built
    assert run.unchanged == [str(out / f"{INVESTMENT}_绩效目标汇总.xlsx")]  # and is said to be as it was
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.xlsx")}
    assert after[f"{INVESTMENT}_绩效目标汇总.xlsx"] == books[f"{INVESTMENT}_绩效目标汇总.xlsx"]
    assert after[f"{ECONOMY}_绩效目标汇总.xlsx"] != books[f"{ECONOMY}_绩效目标汇总.xlsx"]

    # a book changed on disk by someone else is written again, though its contents did not change
    book = out / f"{INVESTMENT}_绩效目标汇总.xlsx"
    sheets = load_workbook(book, read_only=True).sheetnames
    book.write_bytes(b"edited")
    _change(inbox / ECONOMY / "型煤保供和规划编制项目绩效表.xlsx")
    consolidate(inbox, out, jobs=1)
    assert load_workbook(book, read_only=True).sheetnames == sheets
    # the clerk is told what was written and what was left, however the run was made
    again = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(out)])
    assert "已写出" not in again.output and "另有 3 本汇总的内容与上次相同，保持原样" in again.output


def test_other_rules_read_everything_again(inbox: Path, tmp_path: Path, reads: list[str]) -> None:
    out = tmp_path / "out"
    consolidate(inbox, out, jobs=1)
    same = tmp_path / "same.toml"
    shutil.copyfile(ROOT / "perfxl" / "review" / "rules.toml", same)
    reads.clear()
    consolidate(inbox, out, jobs=1, rules=same)
    assert reads == []  # the same rules from another file: the cache holds
    stricter = tmp_path / "rules.toml"
    stricter.write_text(same.read_text("utf-8").replace("satisfaction_min = 80", "satisfaction_min = 95"), "utf-8")
    reads.clear()
    run = consolidate(inbox, out, jobs=1, rules=stricter)
    assert len(reads) == 6
    fresh = consolidate(inbox, tmp_path / "fresh", jobs=1, rules=stricter, cache=False)
    assert [p.to_dict() for p in run.problems] == [p.to_dict() for p in fresh.problems]


def test_a_damaged_cache_is_ignored(inbox: Path, tmp_path: Path, reads: list[str]) -> None:
    out = tmp_path / "out"
    consolidate(inbox, out, jobs=1)
    shards = sorted((out / CACHE_DIR / "reads").iterdir())
    held = {p: len(pickle.loads(p.read_bytes()[32:])) for p in shards}  # after the entry's signature
    assert sum(held.values()) == 6
    shards[0].write_bytes(b"\x80\x05not a pickle")
    (out / CACHE_DIR / "run.pickle").write_bytes(b"garbage")
    reads.clear()
    consolidate(inbox, out, jobs=1)
    assert len(reads) == held[shards[0]]  # the damaged shard's files are read again, the rest come from the cache
    (out / CACHE_DIR / "manifest.pickle").write_bytes(b"\x00")
    reads.clear()
    consolidate(inbox, out, jobs=1)
    assert len(reads) == 6
    consolidate(inbox, tmp_path / "fresh", jobs=1, cache=False)
    assert _values(out) == _values(tmp_path / "fresh")


def test_an_entry_planted_in_the_output_folder_is_never_unpickled(inbox: Path, tmp_path: Path,
                                                                  reads: list[str]) -> None:
    """The output folder may be shared; an entry not signed with this user's key is ignored."""
    out = tmp_path / "out"
    consolidate(inbox, out, jobs=1)
    marker = tmp_path / "ran"

    class Planted:
        def __reduce__(self) -> tuple[Any, ...]:
            return (marker.write_text, ("unpickled",))

    for entry in (out / CACHE_DIR).rglob("*.pickle"):  # the reads, the manifest and the last run
        entry.write_bytes(pickle.dumps(Planted()))
    reads.clear()
    consolidate(inbox, out, jobs=1)
    assert not marker.exists() and len(reads) == 6


def test_a_unit_whose_problems_change_leaves_the_other_units_books_alone(inbox: Path, tmp_path: Path) -> None:
    """Each book's 概览 counts its own files and problems, so a file gone from one unit (its errors
    with it) rewrites that unit's book and 全部单位, not every book."""
    out = tmp_path / "out"
    first = consolidate(inbox, out, jobs=1)
    books = {p.name: p.stat().st_mtime_ns for p in out.glob("*.xlsx")}
    (inbox / ECONOMY / "型煤保供和规划编制项目绩效表.xlsx").unlink()
    again = consolidate(inbox, out, jobs=1)
    assert again.counts != first.counts
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.xlsx")}
    assert after[f"{INVESTMENT}_绩效目标汇总.xlsx"] == books[f"{INVESTMENT}_绩效目标汇总.xlsx"]
    assert after[f"{ECONOMY}_绩效目标汇总.xlsx"] != books[f"{ECONOMY}_绩效目标汇总.xlsx"]
    assert after["全部单位_绩效目标汇总.xlsx"] != books["全部单位_绩效目标汇总.xlsx"]


def test_with_writers_the_cache_is_kept_while_they_write_and_serves_the_rerun(
        inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reads and the results are saved while the writers make the units' books; the rerun
    finds them as a serial run leaves them."""
    import perfxl.batch.read_cache as read_cache
    import perfxl.batch.writing as writing

    monkeypatch.setattr(writing, "PARALLEL_ROWS", 0)  # fork writers even for the small inbox
    order: list[str] = []

    def logging(name: str, label: str) -> None:
        real = getattr(read_cache.ReadCache, name)

        def logged(self: Any, *args: Any) -> Any:
            order.append(label)
            return real(self, *args)

        monkeypatch.setattr(read_cache.ReadCache, name, logged)

    for name in ("keep_results", "save_reads", "keep_run", "save"):
        logging(name, name)
    logging("settle_books", "books in place")
    out = tmp_path / "out"
    first = consolidate(inbox, out, jobs=2)
    assert order[:3] == ["keep_results", "save_reads", "books in place"] and order[3:5] == ["keep_run", "save"]
    again = consolidate(inbox, out, jobs=2)
    assert again.unchanged == first.outputs and again.to_dict() == first.to_dict() | {"unchanged": first.outputs}
    assert again.results == first.results


def test_results_kept_by_a_run_that_then_failed_are_never_taken_for_another_run(
        inbox: Path, tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that fails after keeping its results and reads (while its writers wrote) but before
    keeping the rest: the next run reads from the kept reads, and the last good run's head is
    never paired with the failed run's results."""
    import perfxl.batch.read_cache as read_cache
    from perfxl.batch.read_cache import KeptRun

    out = tmp_path / "out"
    changed = inbox / ECONOMY / "型煤保供和规划编制项目绩效表.xlsx"
    before = changed.stat()
    first = consolidate(inbox, out, jobs=1)
    os.utime(changed, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))  # touched: a new run

    def fails(self: Any, outputs: Any) -> None:
        raise RuntimeError("the run stops here")

    with monkeypatch.context() as patch:
        patch.setattr(read_cache.ReadCache, "settle_books", fails)
        with pytest.raises(RuntimeError):
            consolidate(inbox, out, jobs=1)
    os.utime(changed, ns=(before.st_atime_ns, before.st_mtime_ns))  # the first run's inputs again
    reads.clear()
    again = consolidate(inbox, out, jobs=1)
    assert not isinstance(again, KeptRun)  # the results on disk are the failed run's: not used
    assert reads == [] and again.results == first.results  # its reads were kept
