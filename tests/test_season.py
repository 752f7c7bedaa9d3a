"""The office's season: a roster of expected units (报送情况 after every rerun, `perfxl status`)
and this year's targets compared with last year's (同比). Workbooks are drawn in the per-sheet
layout of real submissions (单位名称 above the table, 项目资金 block, % cells); every expected
value below is written by hand from the tables drawn here."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import perfxl
from perfxl.batch.roster import read_roster
from perfxl.batch.status import STATUS_FILE
from perfxl.cli import main
from perfxl.errors import OutputError, RosterFileError
from perfxl.review.ruleset import load_ruleset
from tests.fixtures.engines import write_grids
from tests.fixtures.families import cost_first_level_2021, list_layout
from tests.fixtures.grids import Grid
from tests.fixtures.indicator_specs import clean_indicators as _clean
from tests.fixtures.indicator_specs import indicator as _ind
from tests.fixtures.samples import build_workbook

PLAN = {"3月底": 25.0, "6月底": 50.0, "9月底": 75.0, "12月底": 100.0}


def _submit(path: Path, unit: str, projects: list[tuple[str, str, float, list[dict[str, Any]]]]) -> Path:
    """One unit's workbook: each project on its own sheet under 单位名称：<unit>."""
    specs = [{"unit": unit, "funds": funds, "table": {
        "kind": "project", "department": None, "project_code": code, "project_name": name, "template": None,
        "purpose": f"{name}的资金用途", "amount": None, "spend_plan": PLAN, "goals": [f"完成{name}"],
        "indicators": indicators}} for code, name, funds, indicators in projects]
    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(path, specs, "per-sheet")
    return path


def _roster(path: Path) -> Path:
    """The office's roster as it keeps it: a title over the table, 序号, then the columns."""
    grid = Grid("报送名单")
    grid.put(0, 0, "2024年度预算绩效目标报送名单", "title", c2=4)
    for c, label in enumerate(["序号", "单位名称", "单位编码", "简称", "应报项目"]):
        grid.put(1, c, label, "label")
    rows = [("某县农业农村局", "101", None, "高标准农田建设、农机购置补贴"),  # sends one of the two
            ("某县卫生健康局", "102", None, 1.0),                         # writes its name with a space
            ("某县教育和体育局", "103", "某县教体局", None),                # sends under its 简称
            ("某县水利局", "104", None, None),                             # sends in the second batch
            ("某县民政局", "105", None, None)]                             # never sends
    for r, (name, code, alias, projects) in enumerate(rows, start=2):
        grid.put(r, 0, float(r - 1), "num")
        grid.put(r, 1, name)
        grid.put(r, 2, code)
        grid.put(r, 3, alias)
        grid.put(r, 4, projects, "num" if isinstance(projects, float) else "cell")
    grid.put(7, 1, "合计")
    write_grids(path, [grid], "openpyxl")
    return path


def _first_batch(inbox: Path) -> None:
    batch = inbox / "第一批"
    _submit(batch / "某县农业农村局" / "绩效目标.xlsx", "某县农业农村局",
            [("101-0001", "高标准农田建设", 100.0, _clean())])
    _submit(batch / "卫健局.xlsx", "某县 卫生健康局", [("102-0001", "基本公共卫生服务", 50.0, _clean())])
    bad = [*_clean()[:1], _ind("产出指标", "质量指标", "培训合格率", ">=", 120.0, "%"), *_clean()[2:]]
    _submit(batch / "教体局.xlsx", "某县教体局", [("103-0001", "校舍维修", 80.0, bad)])
    _submit(batch / "文旅局.xlsx", "某县文化和旅游局", [("106-0001", "文化下乡", 10.0, _clean())])


def _rows(book: Path, sheet: str) -> list[dict[str, Any]]:
    wb = load_workbook(book, read_only=True)
    values = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    wb.close()
    header = [str(v) for v in values[0]]
    return [dict(zip(header, row, strict=True)) for row in values[1:] if any(v is not None for v in row)]


def _sheets(book: Path) -> list[str]:
    wb = load_workbook(book, read_only=True)
    names = list(wb.sheetnames)
    wb.close()
    return names


def test_a_roster_with_a_missing_unit_and_loosely_named_ones(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _first_batch(inbox)
    _roster(inbox / "报送名单.xlsx")  # found by its name in the inbox's top folder
    out = tmp_path / "out"
    run = perfxl.consolidate(inbox, out, jobs=1)
    assert run.roster == os.path.abspath(inbox / "报送名单.xlsx")
    assert not any("报送名单" in s.path for s in run.sources)  # the roster is no submission
    got = {s.unit: (s.state, s.listed, s.names, s.files, s.projects, s.expected, s.missing)
           for s in run.submissions}
    assert got == {
        "某县农业农村局": ("已报送", True, ("某县农业农村局",), 1, 1, 2, ("农机购置补贴",)),
        "某县卫生健康局": ("全部通过", True, ("某县 卫生健康局",), 1, 1, 1, ()),
        "某县教育和体育局": ("有错误", True, ("某县教体局",), 1, 1, None, ()),
        "某县水利局": ("未报送", True, (), 0, 0, None, ()),
        "某县民政局": ("未报送", True, (), 0, 0, None, ()),
        "某县文化和旅游局": ("已报送", False, ("某县文化和旅游局",), 1, 1, None, ()),
    }
    assert [s.unit for s in run.submissions][-1] == "某县文化和旅游局"  # the roster's order, then the others
    by_code: dict[str, list[str]] = {}
    for p in run.problems:
        if p.code.startswith("roster-"):
            by_code.setdefault(p.code, []).append(p.message)
    assert sorted(by_code) == ["roster-name-loose", "roster-projects-missing", "roster-unit-missing",
                               "roster-unit-unknown"]
    assert sorted(by_code["roster-name-loose"]) == [
        "单位“某县 卫生健康局”与报送名单中的“某县卫生健康局”只差空格或括号，已按同一单位统计；"
        "如不是同一单位，请改正单位名称",
        "单位“某县教体局”是报送名单中“某县教育和体育局”的简称，已按同一单位统计；如不是同一单位，请改正单位名称"]
    assert by_code["roster-unit-missing"] == ["报送名单中的“某县水利局”还没有报送任何文件；请催报",
                                              "报送名单中的“某县民政局”还没有报送任何文件；请催报"]
    assert by_code["roster-projects-missing"] == [
        "报送名单中“某县农业农村局”应报 2 个项目，收到 1 个，缺：农机购置补贴；请催报缺少的项目"]
    assert "单位“某县文化和旅游局”不在报送名单（报送名单.xlsx）中" in by_code["roster-unit-unknown"][0]
    missing = [p for p in run.problems if p.code == "roster-unit-missing"]
    assert [(p.sheet, p.cell) for p in missing] == [("报送名单", "B6"), ("报送名单", "B7")]
    # 报送情况 leads every book: all units in 全部单位, the unit's own row in its book
    assert _sheets(out / "全部单位_绩效目标汇总.xlsx")[0] == "报送情况"
    rows = _rows(out / "全部单位_绩效目标汇总.xlsx", "报送情况")
    assert [(r["单位"], r["状态"], r["在报送名单中"]) for r in rows] == [
        ("某县农业农村局", "已报送", "是"), ("某县卫生健康局", "全部通过", "是"), ("某县教育和体育局", "有错误", "是"),
        ("某县水利局", "未报送", "是"), ("某县民政局", "未报送", "是"), ("某县文化和旅游局", "已报送", "否")]
    assert rows[2]["说明"] == "表中写作简称“某县教体局”" and rows[0]["说明"] == "应报 2 个，已报 1 个；缺：农机购置补贴"
    assert rows[2]["单位编码"] == "103" and rows[5]["说明"] == "不在报送名单中"
    assert rows[0]["最近文件时间"] is not None and rows[3]["最近文件时间"] is None
    own = _rows(out / "某县教体局_绩效目标汇总.xlsx", "报送情况")
    assert [(r["单位"], r["表中的单位名称"], r["错误"]) for r in own] == [("某县教育和体育局", "某县教体局", 1)]


def test_batches_and_reruns_keep_the_status_right(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    roster = _roster(tmp_path / "名单.xlsx")  # kept outside the inbox, given with --roster
    _first_batch(inbox)
    runner = CliRunner()
    missing = runner.invoke(main, ["status", str(inbox), "-o", str(out)])
    assert missing.exit_code == 2 and "还没有汇总结果" in missing.output
    first = runner.invoke(main, ["consolidate", str(inbox), "-o", str(out), "--roster", str(roster), "--quiet",
                                 "--limit", "seconds=120"])
    assert first.exit_code == 1, first.output  # 教体局's 120% is an error
    # the roster's findings are at its rows, under the units they concern, the roster named by its own path
    found = {(r["单位"], r["文件（收件箱内）"], r["工作表"], r["单元格"], r["规则"].rpartition("（")[2])
             for r in _rows(out / "全部单位_绩效目标汇总.xlsx", "问题清单") if "（roster-" in r["规则"]}
    at = (os.path.abspath(roster), "报送名单")
    assert found == {("某县水利局", *at, "B6", "roster-unit-missing）"),
                     ("某县民政局", *at, "B7", "roster-unit-missing）"),
                     ("某县农业农村局", *at, "B3", "roster-projects-missing）"),
                     ("某县 卫生健康局", "第一批/卫健局.xlsx", None, None, "roster-name-loose）"),
                     ("某县教体局", "第一批/教体局.xlsx", None, None, "roster-name-loose）"),
                     ("某县文化和旅游局", "第一批/文旅局.xlsx", None, None, "roster-unit-unknown）")}
    own = {r["规则"] for r in _rows(out / "某县农业农村局_绩效目标汇总.xlsx", "问题清单")}
    assert own == {"报送的项目少于应报项目（roster-projects-missing）"}
    assert "报送情况：6 个单位，全部通过 1 个，已报送 2 个，有错误 1 个，未报送 2 个。" in first.output
    now = runner.invoke(main, ["status", str(inbox), "-o", str(out)])
    assert now.exit_code == 0 and "某县水利局" in now.output and "已过时" not in now.output
    # someone opens a workbook in Excel, a download is half done: nothing submitted, nothing out of date
    (inbox / "第一批" / "~$卫健局.xlsx").write_bytes(b"lock")
    (inbox / "第一批" / "水利.xlsx.part").write_bytes(b"PK")
    opened = runner.invoke(main, ["status", str(inbox), "-o", str(out)])
    assert opened.exit_code == 0 and "已过时" not in opened.output, opened.output
    # the second batch arrives: status says the summary is out of date until the rerun
    _submit(inbox / "第二批" / "某县水利局" / "水利.xlsx", "某县水利局",
            [("104-0001", "河道清淤", 30.0, _clean())])
    stale = runner.invoke(main, ["status", str(inbox), "-o", str(out)])
    assert stale.exit_code == 1 and "新增 1 个" in stale.output and "第二批/某县水利局/水利.xlsx" in stale.output
    lib = perfxl.status(inbox, out)
    assert not lib.current and lib.added == ["第二批/某县水利局/水利.xlsx"]
    as_json = runner.invoke(main, ["status", str(inbox), "-o", str(out), "--json"])
    assert json.loads(as_json.output) == lib.to_dict()
    # the command it prints repeats the last run's options: run as printed, the roster is still there
    hint = stale.output.rpartition("请重新运行 ")[2].strip()
    assert hint == f"perfxl consolidate {inbox} -o {out} --roster {os.path.abspath(roster)} --limit seconds=120"
    assert lib.options == ["--roster", os.path.abspath(roster), "--limit", "seconds=120"]
    rerun = runner.invoke(main, [*hint.split()[1:], "--quiet"])
    assert "报送情况：6 个单位" in rerun.output and "未报送 1 个" in rerun.output, rerun.output
    assert perfxl.status(inbox, out).current
    run = perfxl.consolidate(inbox, out, jobs=1, roster=roster)
    states = {s.unit: s.state for s in run.submissions}
    assert states["某县水利局"] == "全部通过" and states["某县民政局"] == "未报送"
    again = perfxl.status(inbox, out)
    assert again.current and {s.unit: s.state for s in again.submissions} == states
    # a file replaced by a corrected one, and one removed
    good = _clean()
    _submit(inbox / "第一批" / "教体局.xlsx", "某县教体局", [("103-0001", "校舍维修", 80.0, good)])
    os.utime(inbox / "第一批" / "教体局.xlsx", (2_000_000_000, 2_000_000_000))
    (inbox / "第一批" / "文旅局.xlsx").unlink()
    changed = perfxl.status(inbox, out)
    assert (changed.added, changed.changed, changed.removed) == ([], ["第一批/教体局.xlsx"], ["第一批/文旅局.xlsx"])
    run = perfxl.consolidate(inbox, out, jobs=1, roster=roster)
    states = {s.unit: s.state for s in run.submissions}
    assert states == {"某县农业农村局": "已报送", "某县卫生健康局": "全部通过", "某县教育和体育局": "全部通过",
                      "某县水利局": "全部通过", "某县民政局": "未报送"}
    latest = next(s for s in run.submissions if s.unit == "某县教育和体育局").latest
    assert latest.startswith("2033-05-18")  # the corrected file's time
    text = runner.invoke(main, ["status", str(inbox), "-o", str(out)])
    assert text.exit_code == 0 and "未报送 1 个" in text.output
    other = runner.invoke(main, ["status", str(tmp_path), "-o", str(out)])
    assert other.exit_code == 2 and "另一个收件箱" in other.output
    assert json.loads((out / STATUS_FILE).read_text("utf-8"))["roster"] == os.path.abspath(roster)


def test_without_a_roster_every_unit_seen_is_listed(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _first_batch(inbox)
    run = perfxl.consolidate(inbox, tmp_path / "out", jobs=1)
    assert run.roster is None and not any(p.code.startswith("roster-") for p in run.problems)
    assert [(s.unit, s.state, s.listed) for s in run.submissions] == [
        ("某县 卫生健康局", "全部通过", False), ("某县农业农村局", "全部通过", False),
        ("某县教体局", "有错误", False), ("某县文化和旅游局", "全部通过", False)]


def test_roster_files_csv_in_gbk_several_rosters_and_no_name_column(tmp_path: Path) -> None:
    rules = load_ruleset()
    csv = tmp_path / "单位名单.csv"
    csv.write_bytes("单位名称,单位简称,应报项目数\n某局（本级）,某局,3\n某中心,,\n某局（本级）,,\n".encode("gbk"))
    roster = read_roster(csv, rules)
    assert [(u.name, u.aliases, u.expected, u.cell) for u in roster.units] == [
        ("某局（本级）", ("某局",), 3, "A2"), ("某中心", (), None, "A3")]
    assert [(p.code, p.cell) for p in roster.problems] == [("roster-duplicate", "A4")]
    no_name = tmp_path / "x.csv"
    no_name.write_text("名称,编号\n某局,1\n", "utf-8")
    with pytest.raises(RosterFileError, match="没有找到单位名称一列"):
        read_roster(no_name, rules)
    linked = tmp_path / "链接名单.csv"
    linked.symlink_to(csv)
    with pytest.raises(RosterFileError, match="符号链接"):  # read without following it, as every input
        read_roster(linked, rules)
    inbox = tmp_path / "inbox"
    _first_batch(inbox)
    (inbox / "报送名单.csv").write_text("单位名称\n某县水利局\n", "utf-8")
    (inbox / "报送名单（旧）.csv").write_text("单位名称\n某县水利局\n", "utf-8")
    with pytest.raises(RosterFileError, match="多份报送名单"):
        perfxl.consolidate(inbox, tmp_path / "out", jobs=1)
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 2 and "多份报送名单" in result.output and "Traceback" not in result.output


def test_a_performance_form_given_as_the_roster_is_refused(tmp_path: Path) -> None:
    rules = load_ruleset()
    # a project form (its indicator table has a 单位 column) and a 清单式 form (a 单位名称 column of real units)
    form = _submit(tmp_path / "绩效表.xlsx", "某局", [("101-0001", "高标准农田建设", 100.0, _clean())])
    listing = tmp_path / "清单.xlsx"
    write_grids(listing, list_layout(), "xlsxwriter")
    no_header = tmp_path / "申报表.xlsx"  # no 单位 header at all: a form still, not a roster without its column
    write_grids(no_header, cost_first_level_2021(), "openpyxl")
    refused = r"是一份绩效表（工作表“[^”]+”的 [A-Z]+\d+ 是“一级指标”），不是报送名单"
    for path in (form, listing, no_header):
        with pytest.raises(RosterFileError, match=refused):
            read_roster(path, rules)
    inbox = tmp_path / "inbox"
    _first_batch(inbox)
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(tmp_path / "out"), "--quiet",
                                       "--roster", str(form)])
    assert result.exit_code == 2 and "不是报送名单" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out" / "全部单位_绩效目标汇总.xlsx").exists()


def test_a_unit_matching_two_roster_units_is_reported_not_guessed(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _submit(inbox / "a.xlsx", "某局", [("201-0001", "某项目", 10.0, _clean())])
    (inbox / "报送名单.csv").write_text("单位名称\n某局（本级）\n某局（下属中心）\n", "utf-8")
    run = perfxl.consolidate(inbox, tmp_path / "out", jobs=1, write=False)
    [found] = [p for p in run.problems if p.code == "roster-name-ambiguous"]
    assert found.message == ("单位“某局”与报送名单中的多个单位只差括号里的说明：某局（本级）、某局（下属中心）；"
                             "未作对应，请在表中填写单位全称")
    assert [(s.unit, s.state) for s in run.submissions] == [("某局（本级）", "未报送"), ("某局（下属中心）", "未报送"),
                                                            ("某局", "已报送")]  # the warning above


# ------------------------------------------------------------------------------------------
# 同比: last year's inbox with every kind of change planted
# ------------------------------------------------------------------------------------------

LAST_YEAR = [
    ("301-0001", "职业技能培训", 100.0, [
        _ind("产出指标", "数量指标", "培训人次", ">=", 100.0, "人次"),      # -> 120: harder
        _ind("产出指标", "质量指标", "培训合格率", ">=", 95.0, "%"),       # -> 90: easier
        _ind("产出指标", "时效指标", "完成时间", "<=", 12.0, "月"),        # -> ≤10: harder
        _ind("产出指标", "成本指标", "人均培训成本", "<=", 500.0, "元"),   # -> ≤600: easier
        _ind("效益指标", "社会效益指标", "就业率", ">=", 80.0, "%"),       # -> =80: sign changed
        _ind("效益指标", "社会效益指标", "带动作用", "text", None, None, "带动就业"),  # -> other text
        _ind("满意度指标", "服务对象满意度指标", "学员满意度", ">=", 90.0, "%"),  # unchanged
        _ind("产出指标", "数量指标", "宣传次数", ">=", 5.0, "次"),         # dropped
    ]),
    ("301-0002", "创业补贴", 40.0, _clean()),          # this year under a new code: matched by name
    ("301-0003", "技工学校建设", 500.0, _clean()),     # not sent again
]
THIS_YEAR = [
    ("301-0001", "职业技能培训", 120.0, [
        _ind("产出指标", "数量指标", "培训人次", ">=", 120.0, "人次"),
        _ind("产出指标", "质量指标", "培训合格率", ">=", 90.0, "%"),
        _ind("产出指标", "时效指标", "完成时间", "<=", 10.0, "月"),
        _ind("产出指标", "成本指标", "人均培训成本", "<=", 600.0, "元"),
        _ind("效益指标", "社会效益指标", "就业率", "=", 80.0, "%"),
        _ind("效益指标", "社会效益指标", "带动作用", "text", None, None, "带动就业增收"),
        _ind("满意度指标", "服务对象满意度指标", "学员满意度", ">=", 90.0, "%"),
        _ind("产出指标", "数量指标", "覆盖乡镇数", ">=", 10.0, "个"),      # new
    ]),
    ("301-1002", "创业补贴", 40.0, _clean()),
    ("301-0004", "公益性岗位开发", 60.0, _clean()),    # new project
]
UNIT = "某县人力资源和社会保障局"

# every planted change, by hand: (kind, project, indicator, last year, this year)
EXPECTED = {
    ("资金变化", "职业技能培训", None, "100 万元", "120 万元"),
    ("目标提高", "职业技能培训", "培训人次", "≥100人次", "≥120人次"),
    ("目标降低", "职业技能培训", "培训合格率", "≥95%", "≥90%"),
    ("目标提高", "职业技能培训", "完成时间", "≤12月", "≤10月"),
    ("目标降低", "职业技能培训", "人均培训成本", "≤500元", "≤600元"),
    ("符号改变", "职业技能培训", "就业率", "≥80%", "=80%"),
    ("目标改变", "职业技能培训", "带动作用", "带动就业", "带动就业增收"),
    ("目标不变", "职业技能培训", "学员满意度", "≥90%", "≥90%"),
    ("新增指标", "职业技能培训", "覆盖乡镇数", None, "≥10个"),
    ("取消指标", "职业技能培训", "宣传次数", "≥5次", None),
    *{("目标不变", "创业补贴", i["level3"], s, s) for i, s in
      zip(_clean(), ["≥100人次", "≥95%", "≥80%", "≥90%"], strict=True)},
    ("新增项目", "公益性岗位开发", None, None, None),
    ("上年项目未报", "技工学校建设", None, "4 个指标", None),
    ("目标提高", "部门整体支出", "就业培训覆盖率", "≥98%", "≥99%"),  # the unit's 部门整体 table
    ("目标不变", "部门整体支出", "财政资金执行率", "≥90%", "≥90%"),
    ("目标不变", "部门整体支出", "城镇新增就业人数", "≥5000人", "≥5000人"),
    ("目标不变", "部门整体支出", "群众满意度", "≥90%", "≥90%"),
}


def _department(path: Path, coverage: float) -> None:
    """The unit's 部门整体 table: two indicators, the first of them raised this year."""
    build_workbook(path, [{"unit": UNIT, "funds": None, "table": {
        "kind": "department", "department": None, "project_code": None, "project_name": None, "template": None,
        "purpose": None, "amount": None, "spend_plan": {}, "goals": [], "indicators": [
            _ind("产出指标", "数量指标", "就业培训覆盖率", ">=", coverage, "%"),
            _ind("产出指标", "质量指标", "财政资金执行率", ">=", 90.0, "%"),
            _ind("效益指标", "社会效益指标", "城镇新增就业人数", ">=", 5000.0, "人"),
            _ind("满意度指标", "服务对象满意度指标", "群众满意度", ">=", 90.0, "%")]}}], "per-sheet")


def _years(tmp_path: Path) -> tuple[Path, Path]:
    last, now = tmp_path / "2023收件箱", tmp_path / "2024收件箱"
    _submit(last / UNIT / "2023年绩效目标.xlsx", UNIT, LAST_YEAR)
    _submit(now / UNIT / "2024年绩效目标.xlsx", UNIT, THIS_YEAR)
    _department(last / UNIT / "部门整体.xlsx", 98.0)
    _department(now / UNIT / "部门整体.xlsx", 99.0)
    _submit(now / "某县农业农村局" / "a.xlsx", "某县农业农村局", [("101-0001", "高标准农田建设", 100.0, _clean())])
    return last, now


def _seen(changes: list[Any]) -> set[tuple[Any, ...]]:
    return {(c.kind, c.project_name, c.indicator, c.before, c.after) for c in changes if c.unit == UNIT}


def test_last_years_inbox_every_planted_change_is_listed(tmp_path: Path) -> None:
    last, now = _years(tmp_path)
    out = tmp_path / "out"
    run = perfxl.consolidate(now, out, jobs=1, previous=last)
    assert _seen(run.changes) == EXPECTED
    assert perfxl.status(now, out).options == ["--previous", str(last)]  # status's rerun line compares again
    assert {c.kind for c in run.changes if c.unit == "某县农业农村局"} == {"新增项目"}
    lowered = sorted(p.message for p in run.problems if p.code == "yoy-target-lowered")
    assert len(lowered) == 2
    assert lowered[0].startswith("“人均培训成本”的目标上年为 ≤500元，今年为 ≤600元，比上年更容易达到")
    assert lowered[1].startswith("“培训合格率”的目标上年为 ≥95%，今年为 ≥90%，比上年更容易达到")
    [dropped] = [p for p in run.problems if p.code == "yoy-indicator-dropped"]
    assert dropped.message.startswith("上年的指标“宣传次数”（≥5次）今年没有了")
    assert dropped.file and dropped.file.endswith("2024年绩效目标.xlsx") and "2023年绩效目标.xlsx" in dropped.message
    eased = next(c for c in run.changes if c.indicator == "培训合格率")
    assert (eased.sheet, eased.previous.split("!")[0]) == ("Sheet1", f"{last.name} › {UNIT}/2023年绩效目标.xlsx")
    # the 同比 sheet in every book: all units in 全部单位, the unit's own in its book
    rows = _rows(out / "全部单位_绩效目标汇总.xlsx", "同比")
    kind = "变化（提高＝更难达到，降低＝更容易达到）"
    listed = {(r[kind], r["项目名称"], r["三级指标"], r["上年"], r["本年"]) for r in rows if r["单位"] == UNIT}
    assert listed == EXPECTED
    assert len(rows) == len(EXPECTED) + 1
    own = _rows(out / f"{UNIT}_绩效目标汇总.xlsx", "同比")
    assert len(own) == len(EXPECTED) and {r["单位"] for r in own} == {UNIT}
    assert _sheets(out / f"{UNIT}_绩效目标汇总.xlsx")[-1] == "同比"
    # the 报送情况 counts the findings as warnings
    [mine] = [s for s in run.submissions if s.unit == UNIT]
    assert (mine.state, mine.warnings) == ("已报送", 3)


def test_last_years_summary_gives_the_same_changes(tmp_path: Path) -> None:
    last, now = _years(tmp_path)
    perfxl.consolidate(last, tmp_path / "2023汇总", jobs=1)
    from_book = perfxl.consolidate(now, tmp_path / "out", jobs=1,
                                   previous=tmp_path / "2023汇总" / "全部单位_绩效目标汇总.xlsx")
    assert _seen(from_book.changes) == EXPECTED
    direct = perfxl.consolidate(now, tmp_path / "out4", jobs=1, previous=last, write=False)
    # where last year's indicator was: on the unit's own sheet, read from the book as from the inbox
    sheets = {c.previous.split("!")[1] for c in direct.changes if c.previous}
    assert {c.previous.split("!")[1] for c in from_book.changes if c.previous} == sheets and "项目汇总" not in sheets
    # the same rows both ways; 上年来源 says where in the book: its original file, sheet and cell, read via the book
    def row(c: Any) -> tuple[Any, ...]:
        return (c.kind, c.unit, c.project_code, c.project_name, c.indicator, c.level1, c.level2, c.before, c.after,
                c.file, c.sheet, c.cell)
    assert sorted(map(row, from_book.changes), key=repr) == sorted(map(row, direct.changes), key=repr)
    inbox_where = {row(c): c.previous for c in direct.changes}
    book, folder = "全部单位_绩效目标汇总.xlsx", f"{last.name} › "
    assert {row(c): c.previous for c in from_book.changes} == {
        k: f"{book} › {v.removeprefix(folder)}" if v else v for k, v in inbox_where.items()}
    # read from last year's inbox, the file is named in it, its unit's folder too
    assert inbox_where[next(k for k in inbox_where if k[4] == "就业培训覆盖率")] == \
        f"{folder}{UNIT}/部门整体.xlsx!Sheet1!D7"
    from_folder = perfxl.consolidate(now, tmp_path / "out2", jobs=1, previous=tmp_path / "2023汇总", write=False)
    assert _seen(from_folder.changes) == EXPECTED
    result = CliRunner().invoke(main, ["consolidate", str(now), "-o", str(tmp_path / "o3"), "--quiet", "--json",
                                       "--previous", str(last), "--jobs", "1"])
    data = json.loads(result.output)
    assert data["previous"] == str(last)
    assert {(c["kind"], c["project_name"], c["indicator"], c["before"], c["after"])
            for c in data["changes"] if c["unit"] == UNIT} == EXPECTED


def test_no_previous_year_is_a_clear_error(tmp_path: Path) -> None:
    _, now = _years(tmp_path)
    with pytest.raises(OutputError, match="上年的收件箱或汇总不存在"):
        perfxl.consolidate(now, tmp_path / "out", jobs=1, previous=tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["consolidate", str(now), "-o", str(tmp_path / "out"), "--previous", str(empty)])
    assert result.exit_code == 2 and "没有读到任何绩效目标表" in result.output
    run = perfxl.consolidate(now, tmp_path / "out", jobs=1)  # without --previous: no 同比 sheet
    assert "同比" not in _sheets(Path(run.outputs[0])) and not run.changes
