"""``consolidate``: departments, bad files, an untouched inbox, reruns, and LibreOffice opening
every output (values compared, never bytes)."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from perfxl.batch.consolidation import consolidate
from perfxl.batch.units import relative_path
from perfxl.cli import main
from tests.fixtures.samples import build_workbook

from .conftest import ROOT, SEED, empty_inbox, load_specs, mixed_inbox, staff_formulas

SHEETS = ["报送情况", "概览", "项目汇总", "绩效指标", "部门整体指标", "支出计划", "问题清单", "来源文件"]


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    return mixed_inbox(tmp_path, "staff=cmd.txt")


def _values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's cell values, but the time of the run (which two runs never share)."""
    wb = load_workbook(path, read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True) if r[0] != "汇总时间"] for ws in wb.worksheets}


def test_departments_bad_files_and_untouched_inbox(inbox: Path, tmp_path: Path) -> None:
    before = _digest(inbox)
    run = consolidate(inbox, tmp_path / "out", jobs=1)
    assert _digest(inbox) == before
    names = sorted(Path(p).name for p in run.outputs)
    assert names == ["全部单位_绩效目标汇总.xlsx", "承德高新区招商服务局_绩效目标汇总.xlsx",
                     "承德高新区经济发展局_绩效目标汇总.xlsx"]
    specs = load_specs()
    want = {s["table"]["project_code"]: s["unit"] for s in specs if s["table"]["project_code"]}
    for unit in ("承德高新区招商服务局", "承德高新区经济发展局"):
        values = _values(tmp_path / "out" / f"{unit}_绩效目标汇总.xlsx")
        assert [ws for ws in values] == SHEETS
        codes = {row[0] for row in values["项目汇总"][1:]}
        assert codes == {c for c, u in want.items() if u == unit}
    every = _values(tmp_path / "out" / "全部单位_绩效目标汇总.xlsx")
    sources = {row[0]: row[6] for row in every["来源文件"][1:]}
    assert len(sources) == 10  # 8 workbooks, and the lock file and the note, listed as skipped
    assert sources["承德高新区招商服务局/~$招商服务局项目绩效表.xlsx"].startswith("已跳过：这是 Office/WPS 的锁定文件")
    assert sources["staff=cmd.txt"].startswith("已跳过：不是 perfxl 能读的表格文件")
    assert sources["承德高新区招商服务局/坏文件.xlsx"].startswith("无法读取")
    assert sources["承德高新区招商服务局/复制中断.xlsx"].startswith("无法读取")
    unreadable = [r for r in every["问题清单"][1:] if r[7] == "文件无法读取（unreadable）"]
    assert {r[3] for r in unreadable} == {"承德高新区招商服务局/坏文件.xlsx", "承德高新区招商服务局/复制中断.xlsx"}
    detail = [_values(tmp_path / "out" / f"{u}_绩效目标汇总.xlsx")
              for u in ("承德高新区招商服务局", "承德高新区经济发展局")]
    assert sum(len(v["绩效指标"]) - 1 for v in detail) == 45 == len(every["绩效指标"]) - 1  # every unit's detail too
    assert sum(len(v["部门整体指标"]) - 1 for v in detail) == 4 == len(every["部门整体指标"]) - 1


def test_rerun_gives_same_contents(inbox: Path, tmp_path: Path) -> None:
    first = consolidate(inbox, tmp_path / "a", jobs=1)
    second = consolidate(inbox, tmp_path / "b", jobs=2)
    for a, b in zip(first.outputs, second.outputs, strict=True):
        assert _values(Path(a)) == _values(Path(b))


def test_same_code_in_two_files_and_unassigned_department(tmp_path: Path) -> None:
    box = empty_inbox(tmp_path)
    shutil.copy(SEED, box / "a.xlsx")
    load_workbook(SEED).save(box / "b.xlsx")  # the same tables, saved again: other bytes
    run = consolidate(box, tmp_path / "out", jobs=1)
    dups = [p for p in run.problems if p.code == "project-code-duplicate"]
    assert dups and all("a.xlsx" in p.message and "b.xlsx" in p.message for p in dups)
    assert run.departments == ["未指定单位"]
    assert any(p.code == "department-unknown" for p in run.problems)
    named = consolidate(box, tmp_path / "out2", jobs=1, department="某局")
    assert named.departments == ["某局"]


def test_staff_text_is_never_a_formula(tmp_path: Path) -> None:
    from tests.fixtures.samples import build_workbook

    spec = load_specs()[1]
    table = json.loads(json.dumps(spec["table"]))
    table["indicators"][0]["target_text"] = "=HYPERLINK(\"http://x\",\"点我\")"
    table["project_name"] = "+1+2"
    box = tmp_path / "inbox" / "某局"
    box.mkdir(parents=True)
    build_workbook(box / "x.xlsx", [dict(spec, table=table)], "per-sheet")
    run = consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    assert staff_formulas(Path(run.outputs[-1])) == []
    assert any(r[1] == "+1+2" for r in _values(Path(run.outputs[-1]))["项目汇总"])


def test_cli_json_equals_library_and_exit_codes(inbox: Path, tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(tmp_path / "o"),
                                    "--json", "--quiet", "--jobs", "1"])
    assert out.exit_code == 1
    lib = consolidate(inbox, tmp_path / "o", jobs=1)
    cli, expected = json.loads(out.output), lib.to_dict()
    assert dt.datetime.fromisoformat(cli.pop("started")) <= dt.datetime.fromisoformat(expected.pop("started"))
    # the second run found the books it would write already there
    assert (cli.pop("unchanged"), expected.pop("unchanged")) == ([], expected["outputs"])
    assert cli == expected  # two runs: all but their start and what they left as it was
    missing = CliRunner().invoke(main, ["consolidate", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "收件箱文件夹不存在" in missing.output
    inside = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(inbox / "out")])
    assert inside.exit_code == 2 and "收件箱内" in inside.output
    assert not (inbox / "out").exists()


@pytest.mark.soffice
def test_every_output_opens_in_libreoffice(tmp_path: Path) -> None:
    run = consolidate(ROOT / "workbooks" / "inbox", tmp_path / "out", jobs=1)
    conv = tmp_path / "lo"
    proc = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "xlsx", "--outdir", str(conv), *run.outputs],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for output in run.outputs:
        ours, theirs = _values(Path(output)), _values(conv / Path(output).name)
        assert list(theirs) == list(ours)
        for sheet in ours:
            rows = [r for r in ours[sheet] if any(v is not None for v in r)]
            back = [r[: len(rows[0])] for r in theirs[sheet] if any(v is not None for v in r)]
            assert len(back) == len(rows), sheet
            for a, b in zip(rows, back, strict=True):
                assert [_norm(x) for x in a] == [_norm(x) for x in b[: len(a)]], sheet


def _norm(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    return value


def test_process_pool_path_gives_same_contents(inbox: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.batch.pool as mod

    spec = copy.deepcopy(load_specs()[1])  # with values the schemas reject
    spec["table"]["indicators"][1]["value"] = 120.0
    spec["table"]["spend_plan"]["10月底"] = 120.0
    build_workbook(inbox / "承德高新区经济发展局" / "超出范围.xlsx", [spec], "per-sheet")
    serial = consolidate(inbox, tmp_path / "serial", jobs=1)
    monkeypatch.setattr(mod, "SERIAL_BELOW", 0)  # force the chunked process pool
    monkeypatch.setattr(mod, "VALIDATE_EVERY", 3)  # and the schemas validated batch by batch while reading
    seen: list[tuple[int, int]] = []
    pooled = consolidate(inbox, tmp_path / "pool", jobs=2, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (9, 9)
    assert {"percent-out-of-range", "spend-plan-out-of-range"} <= {p.code for p in serial.problems}
    assert pooled.problems == serial.problems
    for a, b in zip(serial.outputs, pooled.outputs, strict=True):
        assert _values(Path(a)) == _values(Path(b))


def test_rows_past_the_sheet_limit_continue_on_a_second_sheet(inbox: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from perfxl.write.summary_book import SummaryBook

    whole = consolidate(inbox, tmp_path / "whole", jobs=1)
    monkeypatch.setattr(SummaryBook, "max_rows", 10)  # Excel's 1,048,575 scaled down
    monkeypatch.setattr(SummaryBook, "max_links", 3)  # Excel's 65,530 hyperlinks per sheet
    monkeypatch.setattr(SummaryBook, "max_table_rows", 5)  # bigger sheets: header + filter
    split = consolidate(inbox, tmp_path / "split", jobs=1)
    for a, b in zip(whole.outputs, split.outputs, strict=True):
        one, parts = _values(Path(a)), _values(Path(b))
        for name, rows in one.items():
            pieces = [parts[name]] + [parts[f"{name}（{k}）"] for k in range(2, 100)
                                      if f"{name}（{k}）" in parts]
            assert all(len(p) <= 11 and p[0] == rows[0] for p in pieces)
            assert [r for p in pieces for r in p[1:]] == rows[1:] or rows[1:] == [(None,) * len(rows[0])]
        links = {ws.title: sum(1 for row in ws.iter_rows() for c in row if c.hyperlink)
                 for ws in load_workbook(b).worksheets}
        assert max(links.values()) == 3 and all(n <= 3 for n in links.values())


def test_parallel_writers_give_the_same_books(inbox: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.batch.writing as writer

    serial = consolidate(inbox, tmp_path / "serial", jobs=1)
    monkeypatch.setattr(writer, "PARALLEL_ROWS", 0)  # fork writers even for the small inbox
    forked = consolidate(inbox, tmp_path / "forked", jobs=2)
    assert [Path(p).name for p in forked.outputs] == [Path(p).name for p in serial.outputs]
    for a, b in zip(serial.outputs, forked.outputs, strict=True):
        assert _values(Path(a)) == _values(Path(b))


def test_the_same_file_twice_is_read_once(tmp_path: Path) -> None:
    box = empty_inbox(tmp_path)
    shutil.copy(SEED, box / "a.xlsx")
    shutil.copy(SEED, box / "a - 副本.xlsx")
    os.utime(box / "a.xlsx", (1_600_000_000, 1_600_000_000))  # the original, saved first
    run = consolidate(box, tmp_path / "out", jobs=1, department="某局")
    codes = [p.code for p in run.problems]
    assert "project-code-duplicate" not in codes
    dup = [p for p in run.problems if p.code == "file-duplicate"]
    assert len(dup) == 1 and (dup[0].file or "").endswith("a - 副本.xlsx") and "“a.xlsx”" in dup[0].message
    assert sum(len(r.tables) for r in run.results) == 3


def test_rules_run_in_the_workers_find_what_check_finds(inbox: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.batch.pool as mod
    from perfxl.review.checking import check

    monkeypatch.setattr(mod, "SERIAL_BELOW", 0)  # per-file rules in the worker processes
    run = consolidate(inbox, tmp_path / "out", jobs=2, write=False)
    alone = check([inbox])
    key = lambda p: (p.file, p.sheet, p.cell, p.code, p.message)  # noqa: E731
    assert sorted(map(key, run.problems)) == sorted(map(key, alone.problems))


_SEGMENT = st.text(st.characters(exclude_characters="/\x00", exclude_categories=["Cs"]), min_size=1,
                   max_size=6).filter(lambda s: s not in (".", ".."))


@given(st.sampled_from(["inbox", "/tmp/收件箱", "a/b", ".", "../up", "/"]), st.lists(_SEGMENT, min_size=1, max_size=4))
def test_a_path_found_in_the_inbox_is_named_as_relpath_names_it(root: str, parts: list[str]) -> None:
    path = str(Path(root, *parts))
    assert relative_path(path, Path(root)) == os.path.relpath(path, root)
