"""``watch``: a file copied into the inbox slowly (half, a pause, the rest) is consolidated once,
when it is complete; lock, temporary and hidden files prompt nothing; Ctrl-C stops cleanly."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook

import perfxl
from perfxl.batch.watching import WatchRun, _changed, ignored
from perfxl.cli import main
from tests.fixtures.indicator_specs import clean_indicators as _clean
from tests.test_rollup import _submit


def _wait_for(condition: Any, seconds: float = 120.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def _watching(inbox: Path, out: Path, settle: float) -> Iterator[list[WatchRun]]:
    """``perfxl.watch`` running in a thread while the block runs, its runs listed as they end;
    stopped (and checked to stop) after."""
    runs: list[WatchRun] = []
    stopped = threading.Event()
    worker = threading.Thread(target=perfxl.watch, args=(inbox, out),
                              kwargs={"settle": settle, "stop": stopped.is_set, "report": runs.append, "jobs": 1})
    worker.start()
    try:
        yield runs
    finally:
        stopped.set()
        worker.join(60)
    assert not worker.is_alive()


def test_a_file_copied_in_slowly_is_consolidated_once_when_complete(tmp_path: Path) -> None:
    source = tmp_path / "leaves" / "绩效目标.xlsx"
    _submit(source, "某县教育局", [("201-0001", "校舍维修", 80.0, _clean())])
    data = source.read_bytes()
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "某县教育局").mkdir(parents=True)
    with _watching(inbox, out, 1.0) as runs:
        assert _wait_for(lambda: len(runs) == 1)  # the run at start: an empty inbox
        assert runs[0].changed == () and runs[0].files == 0
        (inbox / "某县教育局" / "~$绩效目标.xlsx").write_bytes(b"lock")  # Excel's lock file: no run
        target = inbox / "某县教育局" / "绩效目标.xlsx"
        with target.open("wb") as f:
            f.write(data[: len(data) // 2])
            f.flush()
            time.sleep(0.3)  # shorter than settle: the copy goes on
            f.write(data[len(data) // 2:])
        assert _wait_for(lambda: len(runs) >= 2)
        time.sleep(2.5)  # more than settle again: nothing else may prompt a run
        assert len(runs) == 2
        second = runs[1]
        assert second.changed == ("某县教育局/绩效目标.xlsx",) and second.failed is None
        assert (second.files, second.errors, second.warnings) == (2, 0, 0)  # the workbook and the lock file
        assert "[" in second.line and "1 个文件有变化" in second.line and "错误 0 个" in second.line
        wb = load_workbook(out / "全部单位_绩效目标汇总.xlsx", read_only=True)
        codes = [r[0] for r in wb["项目汇总"].iter_rows(min_row=2, values_only=True)]
        wb.close()
        assert codes == ["201-0001"]


def test_max_runs_stops_watching(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    runs = perfxl.watch(tmp_path / "inbox", tmp_path / "out", max_runs=1, jobs=1)
    assert [r.files for r in runs] == [0]


def test_what_never_prompts_a_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name in ["~$表.xlsx", ".~lock.表.xlsx#", ".hidden.xlsx", "表.xlsx.tmp", "表.xlsx~", "下载.crdownload",
                 ".git/index"]:
        assert ignored(str(tmp_path / "inbox" / name), out), name
    assert ignored(str(out / "全部单位_绩效目标汇总.xlsx"), out)
    assert not ignored(str(tmp_path / "inbox" / "某局" / "表.xlsx"), out)


def test_ctrl_c_stops_cleanly_with_a_chinese_line(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "inbox").mkdir()

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("perfxl.batch.watching.consolidate", interrupted)
    result = CliRunner().invoke(main, ["watch", str(tmp_path / "inbox"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert result.output.splitlines()[-1] == "已停止监视，共汇总 0 次。"


def test_a_missing_inbox_is_exit_2_with_a_chinese_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["watch", str(tmp_path / "无此文件夹"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "收件箱文件夹不存在" in result.output
    assert "正在监视" not in result.output  # the inbox is looked at before watching is announced


def test_a_file_copied_into_a_new_folder_is_one_changed_file(tmp_path: Path) -> None:
    source = tmp_path / "leaves" / "绩效目标.xlsx"
    _submit(source, "某县水利局", [("301-0001", "河道清淤", 30.0, _clean())])
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    with _watching(inbox, out, 0.5) as runs:
        assert _wait_for(lambda: len(runs) == 1)
        (inbox / "某县水利局").mkdir()  # the folder is new, and the file in it
        (inbox / "某县水利局" / "绩效目标.xlsx").write_bytes(source.read_bytes())
        assert _wait_for(lambda: len(runs) >= 2)
        assert runs[1].changed == ("某县水利局/绩效目标.xlsx",) and "（1 个文件有变化）" in runs[1].line


def test_a_new_folder_stands_for_the_files_in_it(tmp_path: Path) -> None:
    # the file's own event may never come (made before the new folder was watched): the folder's brings it
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "某局" / "第二批").mkdir(parents=True)
    (inbox / "某局" / "第二批" / "表.xlsx").write_bytes(b"x")
    (inbox / "某局" / "~$表.xlsx").write_bytes(b"lock")
    (inbox / "空文件夹").mkdir()
    assert _changed(inbox, {str(inbox / "某局")}, out) == ("某局/第二批/表.xlsx",)
    assert _changed(inbox, {str(inbox / "某局"), str(inbox / "某局" / "第二批" / "表.xlsx")}, out) == \
        ("某局/第二批/表.xlsx",)
    assert _changed(inbox, {str(inbox / "空文件夹")}, out) == ("空文件夹/",)
    assert "（1 个文件夹有变化）" in WatchRun("2024-03-05T09:40:27", ("空文件夹/",)).line
