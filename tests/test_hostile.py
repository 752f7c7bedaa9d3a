"""Hostile and broken input: limits, inbox realities, outputs that are never half-written, and
nothing from a staff file that executes."""

from __future__ import annotations

import json
import os
import shutil
import time
import unicodedata
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import perfxl.read.workbook
from perfxl.batch.consolidation import consolidate
from perfxl.batch.status import STATUS_FILE
from perfxl.cli import main
from perfxl.errors import OutputError
from perfxl.model import ReadStatus
from perfxl.read.inbox import scan_inbox
from perfxl.read.limits import Limits
from perfxl.tables.extraction import extract

from .conftest import ROOT, SEED, load_specs, make_workbook, staff_formulas


def _codes(result: Any) -> list[str]:
    return [p.code for p in result.problems]


def _bomb_workbook(target: Path, size: int, lie: bool) -> Path:
    """The seed workbook with its first sheet replaced by ``size`` bytes of spaces (a few hundred
    KB once deflated); with ``lie`` the zip headers claim the part is only 4 KB."""
    name = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(SEED) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != name:
                zout.writestr(item, zin.read(item.filename))
        with zout.open(name, "w") as fh:
            chunk = b" " * (1 << 20)
            for _ in range(size >> 20):
                fh.write(chunk)
    if lie:
        data = bytearray(target.read_bytes())
        with zipfile.ZipFile(target) as zf:
            info = zf.getinfo(name)
        data[info.header_offset + 22:info.header_offset + 26] = (4096).to_bytes(4, "little")
        pos = data.find(b"PK\x01\x02")
        while pos != -1:
            n = int.from_bytes(data[pos + 28:pos + 30], "little")
            if data[pos + 46:pos + 46 + n] == name.encode():
                data[pos + 24:pos + 28] = (4096).to_bytes(4, "little")
            pos = data.find(b"PK\x01\x02", pos + 4)
        target.write_bytes(bytes(data))
    return target


# ---------------------------------------------------------------------------- limits


@pytest.mark.parametrize("lie", [False, True], ids=["honest-header", "lying-header"])
def test_decompression_bomb_is_refused_quickly(tmp_path: Path, lie: bool) -> None:
    path = _bomb_workbook(tmp_path / "bomb.xlsx", 200 << 20, lie)  # 200 MB of spaces
    assert path.stat().st_size < 1 << 20
    start = time.perf_counter()
    result = extract(path, limits=Limits(part_mb=16))
    assert time.perf_counter() - start < 5
    assert _codes(result) == ["unreadable"] and "压缩炸弹" in result.problems[0].message
    assert "--limit part_mb" in result.problems[0].message


def test_a_far_cell_is_refused_before_it_costs_memory(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "far.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("远")
    ws.write(0, 0, "一级指标")
    ws.write(1048575, 16383, "XFD1048576")
    wb.add_worksheet("正常").write(0, 0, "内容")
    wb.close()
    start = time.perf_counter()
    result = extract(path)
    assert time.perf_counter() - start < 5
    far = [p for p in result.problems if p.code == "sheet-too-large"]
    assert len(far) == 1 and far[0].sheet == "远" and "--limit cells" in far[0].message
    assert extract(path, limits=Limits(cells=10)).problems  # the other sheet is still read


def test_a_two_million_character_cell_is_cut(tmp_path: Path) -> None:
    # Excel, xlsxwriter and openpyxl all stop at 32,767 characters: write the XML by hand
    draft = make_workbook(tmp_path / "draft.xlsx", {"A1": "一级指标", "B1": "二级指标", "C1": "三级指标",
                                                     "A2": "产出指标", "B2": "数量指标", "C2": "PLACEHOLDER"})
    path = tmp_path / "long.xlsx"
    with zipfile.ZipFile(draft) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename).replace(b"PLACEHOLDER", "长".encode() * 2_000_000))
    result = extract(path)
    cut = [p for p in result.problems if p.code == "cell-too-long"]
    assert [p.cell for p in cut] == ["C2"] and "2,000,000" in cut[0].message
    assert len(result.tables[0].indicators[0].level3 or "") == 32_767


def test_thousands_of_merged_ranges_are_cut(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "merges.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    for r in range(6000):
        ws.merge_range(r, 0, r, 1, f"行{r}")
    wb.close()
    start = time.perf_counter()
    result = extract(path)
    assert time.perf_counter() - start < 5
    assert "merges-too-many" in _codes(result)
    assert "merges-too-many" not in _codes(extract(path, limits=Limits(merges=10_000)))


def test_file_size_limit_and_option(tmp_path: Path) -> None:
    big = tmp_path / "大.xlsx"
    big.write_bytes(SEED.read_bytes() + b"\0" * (2 << 20))
    assert "file_mb" in extract(big, limits=Limits(file_mb=1)).problems[0].message
    runner = CliRunner()
    assert runner.invoke(main, ["extract", str(SEED), "--limit", "cells=foo"]).exit_code == 2
    assert runner.invoke(main, ["extract", str(SEED), "--limit", "nope=1"]).exit_code == 2
    assert runner.invoke(main, ["extract", str(SEED), "--limit", "cells=5000000"]).exit_code == 1


# ---------------------------------------------------------------------------- inbox realities


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    box = tmp_path / "inbox"
    shutil.copytree(ROOT / "workbooks" / "inbox", box)
    return box


def test_symlinks_are_never_followed(inbox: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    shutil.copy(SEED, outside / "外部.xlsx")
    unit = inbox / "承德高新区经济发展局"
    (unit / "链接.xlsx").symlink_to(outside / "外部.xlsx")
    (inbox / "链接目录").symlink_to(outside, target_is_directory=True)
    run = consolidate(inbox, tmp_path / "out", jobs=1)
    links = [p for p in run.problems if p.code == "symlink-skipped"]
    assert sorted(Path(p.file or "").name for p in links) == ["链接.xlsx", "链接目录"]
    assert not any("外部" in r.source or "链接" in r.source for r in run.results)


def test_gbk_file_names_are_shown_readably(inbox: Path, tmp_path: Path) -> None:
    name = os.fsdecode("经发局 绩效表.xlsx".encode("gbk"))
    unit = inbox / "承德高新区经济发展局"
    shutil.copy(unit / "型煤保供和规划编制项目绩效表.xlsx", unit / name)
    (unit / os.fsdecode("坏 文件.xlsx".encode("gbk"))).write_text("x", "utf-8")
    run = consolidate(inbox, tmp_path / "out", jobs=1)
    every = load_workbook(tmp_path / "out" / "全部单位_绩效目标汇总.xlsx", read_only=True)
    texts = {str(c) for ws in every.worksheets for row in ws.iter_rows(values_only=True) for c in row}
    assert any("经发局 绩效表.xlsx" in t for t in texts) and any("坏 文件.xlsx" in t for t in texts)
    result = CliRunner().invoke(main, ["check", str(unit), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "坏 文件.xlsx" in result.output
    assert json.loads(result.output)["counts"]["error"] >= 1
    assert any(p.code == "file-duplicate" for p in run.problems)  # an identical copy


def test_a_carriage_return_in_a_file_name_is_shown_written_out(inbox: Path, tmp_path: Path) -> None:
    unit = inbox / "承德高新区经济发展局"
    shutil.move(unit / "型煤保供和规划编制项目绩效表.xlsx", unit / "型煤保供\r项目绩效表.xlsx")
    consolidate(inbox, tmp_path / "out", jobs=1)
    every = load_workbook(tmp_path / "out" / "全部单位_绩效目标汇总.xlsx", read_only=True)
    texts = {str(c) for ws in every.worksheets for row in ws.iter_rows(values_only=True) for c in row}
    assert any("型煤保供\\x0d项目绩效表.xlsx" in t for t in texts)
    assert not any("型煤保供\n" in t or "型煤保供\r" in t for t in texts)
    # a unit folder so named is that unit, its name written out in every column that shows it
    shutil.move(unit, inbox / "经发局\x1b]0;x\x07")
    consolidate(inbox, tmp_path / "out2", jobs=1)
    every = load_workbook(tmp_path / "out2" / "全部单位_绩效目标汇总.xlsx", read_only=True)
    texts = {str(c) for ws in every.worksheets for row in ws.iter_rows(values_only=True) for c in row}
    assert "经发局\\x1b]0;x\\x07" in texts and not any("\x1b" in t for t in texts)


def test_hidden_workbooks_and_folders_are_listed_not_read_in_secret(inbox: Path, tmp_path: Path) -> None:
    unit = inbox / "承德高新区经济发展局"
    hidden = unit / ".型煤保供和规划编制项目绩效表.xlsx"
    shutil.move(unit / "型煤保供和规划编制项目绩效表.xlsx", hidden)
    (unit / ".备份").mkdir()
    shutil.copy(SEED, unit / ".备份" / "旧表.xlsx")
    for litter in (".DS_Store", "._第七次全国人口普查项目绩效表.xls", ".gitkeep"):
        (unit / litter).write_bytes(b"\0\5\26\7")
    run = consolidate(inbox, tmp_path / "out", jobs=1)
    listed = sorted((p.code, p.file) for p in run.problems if p.code.startswith("hidden-"))
    assert listed == [("hidden-file-skipped", str(hidden)), ("hidden-folder-skipped", str(unit / ".备份"))]
    warning = next(p for p in run.problems if p.code == "hidden-file-skipped")
    assert warning.severity.name == "WARNING" and "去掉文件名开头的“.”" in warning.message
    skipped = {s.path: s for s in run.sources if s.status is ReadStatus.SKIPPED}
    assert set(skipped) == {str(hidden), str(unit / ".备份")}
    assert not any("旧表" in s.path for s in run.sources if s.status is ReadStatus.READ)


def test_a_file_still_being_copied_is_not_used(inbox: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    growing = inbox / "承德高新区经济发展局" / "型煤保供和规划编制项目绩效表.xlsx"
    builtin_open = open

    class ReadWhileCopying:
        """The workbook's handle, the file growing while it is read."""

        def __init__(self, fd: int, mode: str) -> None:
            self.fh = builtin_open(fd, mode)

        def __enter__(self) -> ReadWhileCopying:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def read(self, size: int) -> bytes:
            data = self.fh.read(size)
            if os.fstat(self.fh.fileno()).st_ino == growing.stat().st_ino:
                with builtin_open(growing, "ab") as fh:
                    fh.write(b"more bytes arriving")
            return data

    monkeypatch.setattr(perfxl.read.workbook, "open", ReadWhileCopying, raising=False)
    run = consolidate(inbox, tmp_path / "out", jobs=1)
    source = next(s for s in run.sources if s.path == str(growing))
    assert source.status_text.startswith("无法读取：文件在读取时仍在变化")


def test_unreadable_files_and_folders_are_reported(inbox: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    locked = str(inbox / "承德高新区经济发展局" / "第七次全国人口普查项目绩效表.xls")
    (inbox / "无权限").mkdir()
    real_open = os.open

    def guarded_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path) in (Path(locked).name, "无权限"):  # each opened by its name in its folder's descriptor
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    run = consolidate(inbox, tmp_path / "out", jobs=1)
    source = next(s for s in run.sources if s.path == locked)
    assert "无法打开文件（没有权限）" in source.status_text
    folder = next(p for p in run.problems if p.code == "folder-unreadable")
    assert folder.file == str(inbox / "无权限") and "没有权限" in folder.message


# ---------------------------------------------------------------------------- outputs


def test_full_disk_and_ctrl_c_leave_the_earlier_summary(inbox: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from perfxl.write.summary_book import SummaryBook

    out = tmp_path / "out"
    good = consolidate(inbox, out, jobs=1, cache=False)  # no cache: the reruns write every book
    before = {p: Path(p).read_bytes() for p in good.outputs}
    status_before = (out / STATUS_FILE).read_bytes()

    def full(self: SummaryBook) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SummaryBook, "close", full)
    with pytest.raises(OutputError, match="磁盘空间已满"):
        consolidate(inbox, out, jobs=1)

    def interrupted(self: SummaryBook) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SummaryBook, "close", interrupted)
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(out), "--quiet"])
    assert result.exit_code == 130 and "已中断" in result.output
    assert {p: Path(p).read_bytes() for p in good.outputs} == before
    # no temporary file left (the files' reads stay cached); the 报送情况 for `perfxl status` is the good run's
    left = sorted(p.name for p in out.iterdir() if p.name != ".perfxl-cache")
    assert left == sorted([*(Path(p).name for p in good.outputs), STATUS_FILE])
    assert status_before == (out / STATUS_FILE).read_bytes()


def test_read_only_output_folder_is_a_clear_error(inbox: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:

    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("perfxl.write.atomic.tempfile.mkstemp", denied)
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(tmp_path / "ro")])
    assert result.exit_code == 2 and ("没有写入权限" in result.output or "没有权限" in result.output)


# ---------------------------------------------------------------------------- nothing executes

DANGEROUS = ["=HYPERLINK(\"http://evil\",\"点我\")", "+1+2", "-2+3", "@SUM(1)", "=cmd|' /C calc'!A0"]


def _hostile_spec() -> dict[str, Any]:
    spec = json.loads(json.dumps(load_specs()[1]))
    table = spec["table"]
    table["project_name"] = DANGEROUS[0]
    table["purpose"] = DANGEROUS[4]
    table["goals"] = DANGEROUS[1:3]
    table["indicators"][0]["level3"] = DANGEROUS[3]
    table["indicators"][0]["basis"] = DANGEROUS[0]
    return spec


def _formulas(path: Path) -> list[str]:
    return staff_formulas(path)


def test_staff_text_never_becomes_a_formula_anywhere(tmp_path: Path) -> None:
    from perfxl.review.checking import check
    from perfxl.write.annotate import annotate
    from perfxl.write.template_book import template
    from tests.fixtures.samples import build_workbook

    box = tmp_path / "inbox" / "某局"
    box.mkdir(parents=True)
    src = box / "恶意.xlsx"
    build_workbook(src, [_hostile_spec()], "per-sheet")
    run = consolidate(box.parent, tmp_path / "out", jobs=1)
    copies = annotate(check([src]), tmp_path / "annotated")
    carried = Path(template(source=src, output=tmp_path / "next.xlsx").path)
    for path in [*map(Path, run.outputs), *copies, carried]:
        assert _formulas(path) == [], path
        texts = {c for ws in load_workbook(path).worksheets for row in ws.iter_rows(values_only=True)
                 for c in row}
        assert DANGEROUS[0] in texts or path.name.startswith("全部单位") or path in copies


def test_summary_links_point_only_inside_the_inbox(inbox: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    shutil.copy(SEED, outside / "外部.xlsx")
    (inbox / "承德高新区经济发展局" / "链接.xlsx").symlink_to(outside / "外部.xlsx")  # passed over: no link to it
    (inbox / "链接目录").symlink_to(outside, target_is_directory=True)
    odd = inbox / "\x1b[31m单位\x07"  # control characters no XML attribute may hold
    odd.mkdir()
    shutil.copy(SEED, odd / "表\x1b.xlsx")
    with zipfile.ZipFile(odd / "表\x1b.xlsx", "a") as zf:
        zf.comment = b"another copy"  # not a duplicate of the sample it was copied from
    out = tmp_path / "out"
    run = consolidate(inbox, out, jobs=1)
    assert any("\x1b" in r.source and r.tables for r in run.results)
    for path in run.outputs:
        for ws in load_workbook(path).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.hyperlink is None:
                        continue
                    target = cell.hyperlink.target or ""
                    assert not target.startswith(("http", "file:", "\\\\")), target
                    file = (out / unquote(target.split("#")[0]).replace("\\", "/")).resolve()
                    assert inbox.resolve() in file.parents and file.is_file()


def test_macros_are_never_copied(tmp_path: Path) -> None:
    import xlsxwriter

    from perfxl.review.checking import check
    from perfxl.write.annotate import annotate

    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0 pretend macro")
    src = tmp_path / "宏.xlsm"
    wb = xlsxwriter.Workbook(src)
    wb.add_worksheet().write(0, 0, "项目名称")
    wb.add_vba_project(str(vba))
    wb.close()
    assert "xl/vbaProject.bin" in zipfile.ZipFile(src).namelist()
    copies = annotate(check([src]), tmp_path / "out")
    assert [p.suffix for p in copies] == [".xlsx"]
    assert not any("vba" in n.lower() for n in zipfile.ZipFile(copies[0]).namelist())


def test_check_lists_what_it_passed_over(inbox: Path) -> None:
    unit = inbox / "承德高新区招商服务局"
    (unit / "~$招商服务局项目绩效表.xlsx").write_bytes(b"lock")
    (unit / "说明.docx").write_bytes(b"PK")
    result = CliRunner().invoke(main, ["check", str(unit)])
    assert "未读取" in result.output and "office-lock-file" in result.output
    assert "not-a-workbook-file" in result.output and "共检查 3 个文件" in result.output


# ---------------------------------------------------------------------------- only regular files, opened safely


def test_a_named_pipe_is_passed_over_never_waited_on(inbox: Path, tmp_path: Path) -> None:
    pipe = inbox / "承德高新区经济发展局" / "管道.xlsx"
    os.mkfifo(pipe)
    run = consolidate(inbox, tmp_path / "out", jobs=1)
    notes = [p for p in run.problems if p.code == "special-file-skipped"]
    assert [p.file for p in notes] == [str(pipe)] and "命名管道" in notes[0].message
    direct = CliRunner().invoke(main, ["check", str(pipe)])
    assert direct.exit_code == 2 and "不是普通文件" in direct.output  # nothing readable


def test_a_file_swapped_for_a_link_after_the_scan_is_not_followed(inbox: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.batch.consolidation as mod
    from perfxl.read.inbox import scan_inbox

    outside = tmp_path / "外部.xlsx"
    shutil.copy(SEED, outside)
    victim = inbox / "承德高新区招商服务局" / "招商服务局项目绩效表.xlsx"

    def scan_then_swap(paths: Any) -> Any:
        scan = scan_inbox(paths)
        victim.unlink()
        victim.symlink_to(outside)
        return scan

    monkeypatch.setattr(mod, "scan_inbox", scan_then_swap)
    run = consolidate(inbox, tmp_path / "out", jobs=1)
    source = next(s for s in run.sources if s.path == str(victim))
    assert "符号链接" in source.status_text
    read = next(r for r in run.results if r.source == str(victim))
    assert read.tables == ()


def _swap_for_link(folder: Path, outside: Path) -> None:
    """``folder`` moved away and a link to ``outside`` put in its place, which holds the same
    folders and a workbook under each name ``folder`` held (the seed: tables never to be read)."""
    shutil.copytree(folder, outside)
    for path in outside.rglob("*"):
        if path.is_file():
            shutil.copy(SEED, path)
    folder.rename(outside.with_name(outside.name + "_原处"))
    folder.symlink_to(outside, target_is_directory=True)


@pytest.mark.parametrize("depth", [1, 2])
def test_a_folder_swapped_for_a_link_after_the_scan_is_not_followed(inbox: Path, tmp_path: Path, depth: int,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is opened from the inbox down, no folder on the way followed: a unit folder
    (or the batch folder above it) swapped for a link to outside between the scan and the read
    leads nowhere."""
    import perfxl.batch.consolidation as mod

    if depth == 2:  # the unit folder inside a batch folder, and the batch folder swapped
        (inbox / "第一批").mkdir()
        (inbox / "承德高新区招商服务局").rename(inbox / "第一批" / "承德高新区招商服务局")
    unit = inbox / "第一批" / "承德高新区招商服务局" if depth == 2 else inbox / "承德高新区招商服务局"
    swapped = inbox / "第一批" if depth == 2 else unit
    victims = sorted(str(unit / name) for name in os.listdir(unit))

    def scan_then_swap(paths: Any) -> Any:
        scan = scan_inbox(paths)
        _swap_for_link(swapped, tmp_path / "外部")
        return scan

    monkeypatch.setattr(mod, "scan_inbox", scan_then_swap)
    run = consolidate(inbox, tmp_path / "out", jobs=1)
    sources = {s.path: s for s in run.sources}
    for victim in victims:
        assert sources[victim].status is ReadStatus.FAILED
        assert f"路径中的文件夹“{swapped}”是一个符号链接" in sources[victim].status_text
        assert next(r for r in run.results if r.source == victim).tables == ()
    others = sorted(str(p) for p in (inbox / "承德高新区经济发展局").iterdir())
    assert sorted(s.path for s in run.sources if s.status is ReadStatus.READ) == others


def test_check_opens_from_the_folder_checked_down(inbox: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import perfxl.review.checking as checking

    unit = inbox / "承德高新区招商服务局"
    victim = str(unit / "招商服务局项目绩效表.xlsx")

    def scan_then_swap(paths: Any) -> Any:
        scan = scan_inbox(paths)
        _swap_for_link(unit, tmp_path / "外部")
        return scan

    monkeypatch.setattr(checking, "scan_inbox", scan_then_swap)
    result = checking.check(inbox)
    (read,) = [r for r in result.results if r.source == victim]
    assert read.tables == () and [p.code for p in read.problems] == ["unreadable"]
    assert "符号链接" in read.problems[0].message and result.exit_code == 2


def test_annotate_opens_its_copy_source_from_the_folder_checked_down(inbox: Path, tmp_path: Path) -> None:
    from perfxl.review.checking import check
    from perfxl.write.annotate import annotate

    unit = inbox / "承德高新区招商服务局"
    victim = str(unit / "招商服务局项目绩效表.xlsx")
    checked = check(inbox)  # read as it was; the folder is swapped before the copies are made
    _swap_for_link(unit, tmp_path / "外部")
    copies = annotate(checked, tmp_path / "copies")
    refused = [p for p in copies.problems if p.file == victim]
    assert [p.code for p in refused] == ["annotate-copy-refused"] and "符号链接" in refused[0].message
    assert not any(p.name.startswith("招商服务局项目绩效表") for p in copies.written)


def test_the_names_from_the_inbox_down_are_those_the_scan_spelt() -> None:
    from perfxl.read.inbox import root_of
    from perfxl.read.safe_open import below

    assert below("inbox/单位/a.xlsx", "inbox") == below("inbox/单位/a.xlsx", "inbox/") == ["单位", "a.xlsx"]
    assert below("a.xlsx", ".") == ["a.xlsx"] and below("/srv/a.xlsx", "/") == ["srv", "a.xlsx"]
    assert below("inboxes/a.xlsx", "inbox") is None and below("inbox/../secret/a.xlsx", "inbox") is None
    assert below("/abs/a.xlsx", ".") is None and below("inbox", "inbox") is None
    assert root_of("box/单位/a.xlsx", ["other", "box", "box/单位"]) == "box/单位"
    assert root_of("box/a.xlsx", ["box/a.xlsx"]) is None  # a file given itself: from its own folder


def test_a_linked_inbox_root_is_followed_once(inbox: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    shutil.copy(SEED, outside / "外部.xlsx")
    (inbox / "承德高新区经济发展局" / "链接.xlsx").symlink_to(outside / "外部.xlsx")
    link = tmp_path / "收件箱链接"
    link.symlink_to(inbox, target_is_directory=True)
    run = consolidate(link, tmp_path / "out", jobs=1)
    assert sum(s.status is ReadStatus.READ for s in run.sources) == 6
    assert [Path(p.file or "").name for p in run.problems if p.code == "symlink-skipped"] == ["链接.xlsx"]
    assert "承德高新区经济发展局" in run.departments


def test_nfc_and_nfd_spellings_of_a_unit_are_one_unit(tmp_path: Path) -> None:
    from tests.fixtures.samples import build_workbook

    box = tmp_path / "inbox"
    spec = json.loads(json.dumps(load_specs()[1]))
    spec["unit"] = None
    for name, spelling in (("a.xlsx", unicodedata.normalize("NFC", "Café 招商局")),
                           ("b.xlsx", unicodedata.normalize("NFD", "Café 招商局"))):  # two folders by name
        folder = box / spelling
        folder.mkdir(parents=True)
        build_workbook(folder / name, [spec], "per-sheet")
    spec["unit"] = unicodedata.normalize("NFD", "Café 招商局")  # and the name typed in a table
    build_workbook(box / "c.xlsx", [spec], "per-sheet")
    assert len(list(box.iterdir())) == 3
    run = consolidate(box, tmp_path / "out", jobs=1)
    assert run.departments == [unicodedata.normalize("NFC", "Café 招商局")]


def _deep_inbox(tmp_path: Path) -> Path:
    box = tmp_path / "inbox"
    box.mkdir()
    here = os.getcwd()
    try:  # each step short enough for mkdir, the whole path longer than PATH_MAX (4,096 bytes)
        os.chdir(box)
        for _ in range(20):
            os.mkdir("单" * 80)
            os.chdir("单" * 80)
        shutil.copy(SEED, "深.xlsx")
    finally:
        os.chdir(here)
    return box


def test_a_path_longer_than_the_system_allows_is_read(tmp_path: Path) -> None:
    """The scan walks folders by their descriptors and a file is opened relative to its folder,
    so a path over PATH_MAX is read like any other (it once made its folder "unreadable")."""
    box = _deep_inbox(tmp_path)
    shutil.copy(SEED.parent / "型煤保供和规划编制项目绩效表.xlsx", box / "浅.xlsx")
    deep = next(p for p in scan_inbox([box]).found if p.name == "深.xlsx")
    assert len(os.fsencode(deep)) > 4096
    run = consolidate(box, tmp_path / "out", jobs=1)
    assert not [p for p in run.problems if p.code in ("path-too-long", "folder-unreadable", "unreadable")]
    assert sum(s.status is ReadStatus.READ for s in run.sources) == 2
    assert len({r.source for r in run.results if r.tables}) == 2
    for target in (box, deep):
        result = CliRunner().invoke(main, ["check", str(target)])
        assert result.exit_code in (0, 1) and "路径" not in result.output, result.output
    result = CliRunner().invoke(main, ["check", "--annotate", str(tmp_path / "批注"), str(deep)])
    assert result.exit_code in (0, 1) and (tmp_path / "批注" / "深_批注.xlsx").exists(), result.output


def test_a_gbk_named_unit_folder_is_one_readable_unit(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    folder = box / os.fsdecode("经发局".encode("gbk"))
    folder.mkdir(parents=True)
    spec = json.loads(json.dumps(load_specs()[1]))
    spec["unit"] = None
    from tests.fixtures.samples import build_workbook

    build_workbook(folder / "表.xlsx", [spec], "per-sheet")
    run = consolidate(box, tmp_path / "out", jobs=1)
    assert run.departments == ["经发局"]
    assert (tmp_path / "out" / "经发局_绩效目标汇总.xlsx").is_file()


def test_unit_names_shaped_like_references_stay_text_in_charts(tmp_path: Path) -> None:
    import re

    from tests.fixtures.samples import build_workbook

    box = tmp_path / "inbox"
    box.mkdir()
    spec = json.loads(json.dumps(load_specs()[1]))
    for i, unit in enumerate(["+cmd|' /C calc'!A0", "Sheet1!A1", "=概览!A1"]):
        spec["unit"] = unit
        build_workbook(box / f"{i}.xlsx", [spec], "per-sheet")
    run = consolidate(box, tmp_path / "out", jobs=1)
    every = next(p for p in run.outputs if Path(p).name.startswith("全部单位"))
    with zipfile.ZipFile(every) as zf:
        charts = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/chart")]
    assert charts
    refs = [f for xml in charts for f in re.findall(r"<c:f>(.*?)</c:f>", xml)]
    # every reference is perfxl's own: a sheet it named and absolute cells, never staff text
    assert refs and all(re.fullmatch(r"(支出计划|概览)!\$[A-Z]+\$\d+(:\$[A-Z]+\$\d+)?", f) for f in refs), refs
    names = {c for ws in load_workbook(every).worksheets if ws.title == "支出计划"
             for row in ws.iter_rows(values_only=True) for c in row}
    assert "Sheet1!A1" in names


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m\x7f"


def _escape_workbook(tmp_path: Path) -> Path:
    from tests.fixtures.samples import build_workbook

    spec = json.loads(json.dumps(load_specs()[1]))
    spec["table"]["project_name"] = f"项目{ESCAPES}✓"
    spec["table"]["indicators"][0]["level3"] = f"指标{ESCAPES}"
    spec["table"]["indicators"][0]["level1"] = f"产出✓{ESCAPES}"  # a problem whose message quotes it
    path = tmp_path / "转义.xlsx"
    build_workbook(path, [spec], "variants")  # xlsxwriter writes control characters (openpyxl refuses)
    assert ESCAPES in (extract(path).tables[0].project_name or "")
    return path


@pytest.mark.parametrize("command", [["extract"], ["check"], ["extract", "--json"], ["check", "--json"]])
def test_control_characters_never_reach_the_terminal(tmp_path: Path, command: list[str]) -> None:
    import subprocess
    import sys

    path = _escape_workbook(tmp_path)
    env = dict(os.environ, PYTHONIOENCODING="gbk")  # a Chinese Windows console
    done = subprocess.run([sys.executable, "-m", "perfxl", *command, str(path)], capture_output=True, env=env)
    assert done.returncode in (0, 1), done.stderr.decode("gbk", "replace")
    out = done.stdout.decode("gbk")
    assert not any(c in out for c in "\x1b\x07\x9b\x7f"), out
    if command == ["extract", "--json"]:
        assert json.loads(out)["tables"][0]["project_name"] == f"项目{ESCAPES}✓"
    elif command == ["check", "--json"]:
        assert any(f"产出✓{ESCAPES}" in p["message"] for p in json.loads(out)["problems"])
    else:
        assert "\\x1b]0;pwned\\x07" in out and "\\u2713" in out
