"""A hostile file never takes the run down: readers isolated with a deadline and a memory cap,
crashes and hangs reported at their file; exit codes, signals and what a killed run leaves."""

from __future__ import annotations

import faulthandler
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import perfxl.read.isolation as isolation
import perfxl.tables.extraction as extraction
from perfxl.batch.consolidation import consolidate
from perfxl.cli import main
from perfxl.errors import OutputError, UnreadableWorkbook
from perfxl.model import ReadStatus
from perfxl.read.limits import Limits
from perfxl.read.workbook import read_workbook
from perfxl.read.workers import ReaderFailed
from perfxl.tables.extraction import extract

from .conftest import ROOT, SEED, load_specs

# ---------------------------------------------------------------------------- readers that fail


def _abort() -> None:
    """Abort this (worker) process without pytest's fault handler printing its stack on the way."""
    faulthandler.disable()
    os.abort()


def _abort_reader(path: str, data: bytes | None, limits: Limits) -> Any:
    if "坏" in path:
        _abort()  # what a native crash in the parser does
    return read_workbook(path, data, limits)


def _sleepy_reader(path: str, data: bytes | None, limits: Limits) -> Any:
    if "慢" in path:
        time.sleep(600)
    return read_workbook(path, data, limits)


def _hungry_reader(path: str, data: bytes | None, limits: Limits) -> Any:
    if "胖" in path:
        hog = [bytearray(2**20) for _ in range(4096)]  # 4 GB, past the cap
        return hog
    return read_workbook(path, data, limits)


@pytest.fixture(autouse=True)
def fresh_reader() -> Iterator[None]:
    """Each test's single reader is forked after its patches, and stopped after it."""
    isolation.stop_single()
    isolation._single = None
    yield
    isolation.stop_single()
    isolation._single = None
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _reader_is(monkeypatch: pytest.MonkeyPatch, reader: Any) -> None:
    """``reader`` in place of the workbook reader, wherever an isolated worker calls it."""
    monkeypatch.setattr(isolation, "read_workbook", reader)
    monkeypatch.setattr(extraction, "read_workbook", reader)


def _copy(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    shutil.copy(SEED, path)
    return path


def test_a_reader_that_aborts_is_reported_and_the_next_file_is_read(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _reader_is(monkeypatch, _abort_reader)
    bad = extract(_copy(tmp_path, "坏.xlsx"))
    assert [p.code for p in bad.problems] == ["reader-crashed"] and "SIGABRT" in bad.problems[0].message
    assert extract(_copy(tmp_path, "好.xlsx")).tables  # a new reader took over


def test_a_reader_past_its_deadline_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _reader_is(monkeypatch, _sleepy_reader)
    slow = extract(_copy(tmp_path, "慢.xlsx"), limits=Limits(seconds=1))
    assert [p.code for p in slow.problems] == ["read-timeout"] and "1 秒" in slow.problems[0].message
    assert extract(_copy(tmp_path, "好.xlsx"), limits=Limits(seconds=1)).tables


def test_a_reader_past_its_memory_cap_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _reader_is(monkeypatch, _hungry_reader)
    fat = extract(_copy(tmp_path, "胖.xlsx"), limits=Limits(memory_mb=256))
    assert [p.code for p in fat.problems] == ["reader-crashed"] and "256 MB" in fat.problems[0].message
    assert extract(_copy(tmp_path, "好.xlsx"), limits=Limits(memory_mb=256)).tables


def test_check_and_template_from_survive_a_crashing_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _reader_is(monkeypatch, _abort_reader)
    bad, good = _copy(tmp_path, "坏.xlsx"), _copy(tmp_path, "好.xlsx")
    result = CliRunner().invoke(main, ["check", str(bad), str(good), "--json"])
    assert result.exit_code == 2, result.output  # a file could not be read; the other was checked
    assert {f["source"] for f in json.loads(result.output)["files"] if f["tables"]} == {str(good)}
    assert "reader-crashed" in {p["code"] for p in json.loads(result.output)["problems"]}
    template = CliRunner().invoke(main, ["template", "--from", str(bad), "-o", str(tmp_path / "t.xlsx")])
    assert template.exit_code == 2 and "意外退出" in template.output


def test_a_roster_that_crashes_its_reader_is_refused_not_fatal(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _reader_is(monkeypatch, _abort_reader)
    inbox = tmp_path / "inbox"
    shutil.copytree(ROOT / "workbooks" / "inbox", inbox)
    roster = _copy(tmp_path, "坏名单.xlsx")
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(tmp_path / "out"), "--quiet",
                                       "--roster", str(roster)])
    assert result.exit_code == 2 and "报送名单" in result.output and "意外退出" in result.output
    assert "Traceback" not in result.output


def _refuse(path: str) -> None:
    raise UnreadableWorkbook(path, "不是工作簿")


class _Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("not to be pickled")


def _raise_unpicklable() -> None:
    raise _Unpicklable("坏异常")


def _stuck() -> None:
    time.sleep(600)


def test_the_single_worker_returns_results_and_raises_what_its_call_raised() -> None:
    limits = Limits()
    assert isolation.isolated(os.getpid, "x.xlsx", limits) != os.getpid()  # it ran elsewhere
    worker = isolation._single
    with pytest.raises(UnreadableWorkbook, match="不是工作簿"):
        isolation.isolated(_refuse, "x.xlsx", limits, "x.xlsx")
    with pytest.raises(RuntimeError, match="坏异常"):  # its words, though it cannot travel itself
        isolation.isolated(_raise_unpicklable, "x.xlsx", limits)
    big = bytes(range(256)) * 40_000  # 10 MB each way, past any pipe's buffer
    assert isolation.isolated(bytes, "x.xlsx", limits, big) == big
    assert isolation._single is worker  # raising is no reason to start another


def test_ctrl_c_during_a_call_ends_its_worker_at_once() -> None:
    isolation.isolated(os.getpid, "x.xlsx", Limits())
    worker = isolation._single
    assert isinstance(worker, isolation._Worker) and worker.pid is not None
    pid = worker.pid
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        isolation.isolated(_stuck, "x.xlsx", Limits())
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    assert time.monotonic() - started < 5 and not _running(pid) and isolation._single is None


def test_without_fork_a_pool_of_one_stands_in_for_the_worker() -> None:
    worker = isolation._PoolOfOne(512)
    try:
        assert worker.call(os.getpid, (), "x.xlsx", Limits()) != os.getpid()
        with pytest.raises(ReaderFailed, match="超过 1 秒"):
            worker.call(_stuck, (), "慢.xlsx", Limits(seconds=1))
    finally:
        worker.stop()


def test_a_single_file_command_starts_no_pool_machinery() -> None:
    """pebble and asyncio cost a cold ``extract`` 30 ms: the single worker is a plain fork."""
    code = ("import sys; from perfxl.tables.extraction import extract; "
            f"assert extract({str(SEED)!r}).tables; "
            "print(sorted(m for m in ('pebble', 'asyncio', 'multiprocessing') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _big_inbox(tmp_path: Path, n: int = 44, hostile: bool = True) -> Path:
    box = tmp_path / "inbox"
    unit = box / "承德高新区经济发展局"
    unit.mkdir(parents=True)
    for i in range(n):
        shutil.copy(SEED, unit / f"表{i:02d}.xlsx")
    if hostile:
        shutil.copy(SEED, unit / "坏.xlsx")
        shutil.copy(SEED, unit / "慢.xlsx")
    return box


def _abort_or_sleep(path: str, limits: Limits, vocab: Any, base: str = "", root: str | None = None) -> Any:
    if "坏" in path:
        _abort()
    if "慢" in path:
        time.sleep(600)
    return _REAL_READ_ONE(path, limits, vocab, base, root)


import perfxl.batch.pool as pool_module  # noqa: E402

_REAL_READ_ONE = pool_module.read_one


def test_an_inbox_run_goes_on_past_a_crash_and_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "read_one", _abort_or_sleep)
    run = consolidate(_big_inbox(tmp_path), tmp_path / "out", jobs=2, limits=Limits(seconds=2))
    by_name = {Path(s.path).name: s for s in run.sources}
    assert by_name["坏.xlsx"].status is ReadStatus.FAILED and "意外退出" in (by_name["坏.xlsx"].status_text or "")
    assert by_name["慢.xlsx"].status is ReadStatus.FAILED and "超过 2 秒" in (by_name["慢.xlsx"].status_text or "")
    assert {p.code for p in run.problems} >= {"reader-crashed", "read-timeout"}
    read = [s for s in run.sources if s.status is not ReadStatus.FAILED]
    assert len(read) == 44  # every other file read (all but one as copies of the first)


def test_a_crash_in_a_chunk_of_files_is_the_crashing_files_alone(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "read_one", _abort_or_sleep)
    monkeypatch.setattr(pool_module, "files_per_task", lambda files, jobs: 8)  # a reader gets 8 files at a time
    box = _big_inbox(tmp_path, hostile=False)
    shutil.copy(SEED, box / "承德高新区经济发展局" / "表05坏.xlsx")  # in the first chunk, among good files
    run = consolidate(box, tmp_path / "out", jobs=2)
    failed = [Path(s.path).name for s in run.sources if s.status is ReadStatus.FAILED]
    assert failed == ["表05坏.xlsx"]
    assert [p.code for p in run.problems if p.code == "reader-crashed"] == ["reader-crashed"]
    assert len(run.sources) == 45


def _count_and_sleep(path: str, limits: Limits, vocab: Any, base: str = "", root: str | None = None) -> Any:
    with open(os.environ["PERFXL_TEST_TALLY"], "a") as fh:
        fh.write("x")
    if not path.endswith("表00.xlsx"):
        time.sleep(600)
    return _REAL_READ_ONE(path, limits, vocab, base, root)


def test_ctrl_c_while_reading_drops_the_queued_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tally = tmp_path / "tally"
    tally.touch()
    monkeypatch.setenv("PERFXL_TEST_TALLY", str(tally))
    monkeypatch.setattr(pool_module, "read_one", _count_and_sleep)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        consolidate(_big_inbox(tmp_path, hostile=False), tmp_path / "out", jobs=2, progress=interrupt)
    started = len(tally.read_text())
    assert started <= 3  # the first file and the two the readers were on: nothing queued ran
    assert not list((tmp_path / "out").iterdir())


# ---------------------------------------------------------------------------- exit codes and signals


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    box = tmp_path / "inbox"
    shutil.copytree(ROOT / "workbooks" / "inbox", box)
    return box


def test_a_fault_of_perfxl_is_exit_3_with_a_log(inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.batch.fresh_run as mod

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("模拟的内部错误")

    monkeypatch.setattr(mod, "check_results", broken)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(out), "--quiet"])
    assert result.exit_code == 3 and "内部错误" in result.output
    logs = list(out.glob("perfxl-内部错误-*.log"))
    assert len(logs) == 1 and str(logs[0]) in result.output
    assert "模拟的内部错误" in logs[0].read_text("utf-8") and "Traceback" in logs[0].read_text("utf-8")


def test_sigterm_leaves_nothing_half_written(inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from perfxl.write.summary_book import SummaryBook

    out = tmp_path / "out"
    good = consolidate(inbox, out, jobs=1, cache=False)  # no cache: the rerun writes every book
    before = {p: Path(p).read_bytes() for p in good.outputs}

    def killed(self: SummaryBook) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(SummaryBook, "close", killed)
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(out), "--quiet"])
    assert result.exit_code == 143 and "已终止" in result.output
    assert {p: Path(p).read_bytes() for p in good.outputs} == before
    assert sorted(p.name for p in out.glob("*.xlsx")) == sorted(Path(p).name for p in good.outputs)
    assert not list(out.glob(".~perfxl-*"))


def test_sigterm_stops_the_writer_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from perfxl.batch.pool import stopping

    with pytest.raises(KeyboardInterrupt), stopping(ProcessPoolExecutor(2)) as pool:
        pool.submit(time.sleep, 600)
        pool.submit(time.sleep, 600)
        pool.submit(time.sleep, 600)
        deadline = time.monotonic() + 30  # the pool starts its workers as work arrives
        while len(pool._processes) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        processes = list(pool._processes.values())
        raise KeyboardInterrupt
    assert len(processes) == 2
    # by the pid, not is_alive(): the pool's own thread may reap a worker first, and is_alive()
    # of a process reaped elsewhere stays True
    deadline = time.monotonic() + 30
    while any(_running(p.pid) for p in processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(p.pid) for p in processes)


_KILLED_PARENT = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from perfxl.read.worker_pool import fork_context
from perfxl.read.workers import worker_setup
pool = ProcessPoolExecutor(2, mp_context=fork_context(), initializer=worker_setup, initargs=(None, os.getpid()))
futures = [pool.submit(os.getpid) for _ in range(8)]
print(" ".join(sorted({str(f.result()) for f in futures})), flush=True)
pool.submit(time.sleep, 600)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_workers_end_with_a_main_process_killed_outright() -> None:
    """SIGKILL leaves a process no chance to stop its workers: the kernel must end them."""
    with subprocess.Popen([sys.executable, "-c", _KILLED_PARENT], stdout=subprocess.PIPE, text=True) as main_process:
        assert main_process.stdout is not None
        workers = [int(pid) for pid in main_process.stdout.readline().split()]
        assert workers and all(_running(pid) for pid in workers)
        main_process.kill()
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers)


def _running(pid: int | None) -> bool:
    """True while a process of this pid exists and is no zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b") ", 1)[1][:1] != b"Z"
    except (OSError, IndexError):
        return False


def test_temporary_files_of_killed_runs_are_removed(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dead = out / ".~perfxl-999999999-abcd.xlsx"  # no such process
    dead.write_bytes(b"")
    live = out / f".~perfxl-{os.getppid()}-efgh.xlsx"  # a process that is running
    live.write_bytes(b"")
    consolidate(inbox, out, jobs=1)
    assert not dead.exists() and live.exists()


def test_a_full_disk_in_xlsxwriter_is_an_output_error(inbox: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from xlsxwriter.exceptions import FileCreateError

    from perfxl.write.summary_book import SummaryBook

    def full(self: SummaryBook) -> None:
        raise FileCreateError(OSError(28, "No space left on device", "x.xlsx"))

    monkeypatch.setattr(SummaryBook, "close", full)
    with pytest.raises(OutputError, match="磁盘空间已满"):
        consolidate(inbox, tmp_path / "out", jobs=1)
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 2 and "磁盘空间已满" in result.output


def test_a_very_long_unit_name_gets_a_short_stable_book_name(tmp_path: Path) -> None:
    from tests.fixtures.samples import build_workbook

    box = tmp_path / "inbox"
    box.mkdir()
    spec = json.loads(json.dumps(load_specs()[1]))
    spec["unit"] = "承德高新技术产业开发区" * 9  # 99 characters, 297 bytes: too long for a file name
    build_workbook(box / "长.xlsx", [spec], "per-sheet")
    result = CliRunner().invoke(main, ["consolidate", str(box), "-o", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code in (0, 1), result.output
    names = sorted(p.name for p in (tmp_path / "out").glob("*.xlsx"))
    assert "全部单位_绩效目标汇总.xlsx" in names and len(names) == 2
    again = CliRunner().invoke(main, ["consolidate", str(box), "-o", str(tmp_path / "out"), "--quiet"])
    assert again.exit_code == result.exit_code and sorted(p.name for p in (tmp_path / "out").glob("*.xlsx")) == names
