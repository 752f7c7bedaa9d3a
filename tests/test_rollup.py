"""层层汇总: a county's 全部单位 summary dropped into the city's inbox is read as the tables of its
units (at their original files and cells, with their problems), and a city's into a province's;
the top book equals a direct consolidation of every leaf file, and a project arriving by two
routes is a finding. Workbooks are drawn here in the per-sheet layout of real submissions (and
from two golden seed tables, one a 部门整体 table); expected values are written by hand."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook

import perfxl
from perfxl.cli import main
from tests.conftest import load_specs
from tests.fixtures.engines import write_grids
from tests.fixtures.families import department_whole
from tests.fixtures.grids import Grid
from tests.fixtures.indicator_specs import clean_indicators as _clean
from tests.fixtures.indicator_specs import indicator as _ind
from tests.fixtures.samples import build_workbook
from tests.test_self_evaluation import Form
from tests.test_self_evaluation import _approved as approved_table

PLAN = {"3月底": 25.0, "6月底": 50.0, "9月底": 75.0, "12月底": 100.0}
ALL = "全部单位_绩效目标汇总.xlsx"


def _submit(path: Path, unit: str, projects: list[tuple[str, str, float, list[dict[str, Any]]]]) -> None:
    specs = [{"unit": unit, "funds": funds, "table": {
        "kind": "project", "department": None, "project_code": code, "project_name": name, "template": None,
        "purpose": f"{name}的资金用途", "amount": None, "spend_plan": PLAN, "goals": [f"完成{name}", "按期验收"],
        "indicators": indicators}} for code, name, funds, indicators in projects]
    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(path, specs, "per-sheet")


def _leaves(root: Path) -> dict[str, list[str]]:
    """Every leaf file under ``root/<county>/<unit>/``, by the county (or the city, 本级) that collects it."""
    over_target = [*_clean()[:1], _ind("产出指标", "质量指标", "培训合格率", ">=", 120.0, "%"), *_clean()[2:]]
    _submit(root / "甲县" / "甲县教育局" / "绩效目标.xlsx", "甲县教育局",
            [("201-0001", "校舍维修", 80.0, _clean()), ("201-0002", "教师培训", 20.5, over_target)])
    seed = {s["table"]["kind"]: s for s in load_specs()[:2]}  # the 部门整体 table and one project, with their faults
    (root / "甲县" / "甲县卫生健康局").mkdir(parents=True)
    build_workbook(root / "甲县" / "甲县卫生健康局" / "卫健.xlsx",
                   [dict(seed["department"], unit="甲县卫生健康局"), dict(seed["project"], unit="甲县卫生健康局")],
                   "per-sheet")
    # a 部门整体 table whose unit filled in no indicator
    bare = dict(seed["department"], unit="甲县财政局", table=dict(seed["department"]["table"], indicators=[]))
    (root / "甲县" / "甲县财政局").mkdir(parents=True)
    build_workbook(root / "甲县" / "甲县财政局" / "部门整体.xlsx", [bare], "per-sheet")
    # a unit of the same name in both counties: two units, each with a book of its own above them
    _submit(root / "甲县" / "教育局" / "绩效目标.xlsx", "教育局", [("202-0001", "营养餐", 12.0, _clean())])
    _submit(root / "乙县" / "教育局" / "绩效目标.xlsx", "教育局", [("302-0001", "课后服务", 7.0, _clean()[:3])])
    _submit(root / "乙县" / "乙县农业农村局" / "绩效目标.xlsx", "乙县农业农村局",
            [("301-0001", "高标准农田建设", 100.0, _clean()[:3])])  # no 满意度 indicator: a warning
    # its 部门整体 table, whose funds (资金总额 1350 = 项目支出 550 + 基本支出 800) are the unit's too
    [whole] = department_whole()
    whole.cells[(2, 1)] = ("乙县农业农村局", "cell")
    write_grids(root / "乙县" / "乙县农业农村局" / "部门整体.xlsx", [whole], "openpyxl")
    (root / "乙县" / "乙县水利局").mkdir(parents=True)
    (root / "乙县" / "乙县水利局" / "坏文件.xlsx").write_text("不是表格", "utf-8")
    (root / "乙县" / "乙县水利局" / "~$绩效目标.xlsx").write_bytes(b"lock")
    # a year-end self-evaluation (faulted: a score above the rule's, no reason for a shortfall) and its
    # approved 申报表, which it is held against
    form = Form(weight="权重")
    form.rows[1][6], form.rows[1][7] = 20, None
    (root / "乙县" / "某县就业服务中心").mkdir(parents=True)
    form.write(root / "乙县" / "某县就业服务中心" / "2023年自评表.xlsx")
    approved_table(root / "乙县" / "某县就业服务中心" / "2023年申报表.xlsx")
    _submit(root / "本级" / "市财政局" / "绩效目标.xlsx", "市财政局",
            [("401-0001", "预算管理系统运维", 30.0, _clean())])
    return {"甲县": ["甲县教育局", "甲县卫生健康局", "甲县财政局", "教育局"],
            "乙县": ["教育局", "乙县农业农村局", "乙县水利局", "某县就业服务中心"], "本级": ["市财政局"]}


def _copy_units(leaves: Path, units: list[str], inbox: Path) -> None:
    for unit in units:
        shutil.copytree(leaves / unit, inbox / unit, dirs_exist_ok=True)


def _table(book: Path, sheet: str) -> list[dict[str, Any]]:
    """A sheet's table rows by header (up to the first empty row: what is below is not the table)."""
    wb = load_workbook(book, read_only=True)
    values = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    wb.close()
    header = [str(v) for v in values[0]]
    out = []
    for row in values[1:]:
        if all(v is None for v in row):
            break
        out.append(dict(zip(header, row, strict=False)))
    return out


def _three_levels(tmp_path: Path) -> tuple[Path, Path]:
    """Counties 甲县 and 乙县 consolidated, their 全部单位 books and 市财政局's file in the city's
    inbox, the city's 全部单位 book in the province's; the province's and a direct book of all (each
    county's units in a folder of the county's, the two 教育局 among them)."""
    leaves = tmp_path / "leaves"
    by_level = _leaves(leaves)
    for county in ("甲县", "乙县"):
        _copy_units(leaves / county, by_level[county], tmp_path / county)
        perfxl.consolidate(tmp_path / county, tmp_path / f"{county}_out", jobs=1)
        (tmp_path / "city" / county).mkdir(parents=True)
        shutil.copy(tmp_path / f"{county}_out" / ALL, tmp_path / "city" / county / ALL)
    _copy_units(leaves / "本级", by_level["本级"], tmp_path / "city")
    perfxl.consolidate(tmp_path / "city", tmp_path / "city_out", jobs=1)
    (tmp_path / "province" / "某市").mkdir(parents=True)
    shutil.copy(tmp_path / "city_out" / ALL, tmp_path / "province" / "某市" / ALL)
    perfxl.consolidate(tmp_path / "province", tmp_path / "province_out", jobs=1)
    for level, units in by_level.items():
        _copy_units(leaves / level, units, tmp_path / "direct" / level)
    perfxl.consolidate(tmp_path / "direct", tmp_path / "direct_out", jobs=1)
    return tmp_path / "province_out" / ALL, tmp_path / "direct_out" / ALL


ROUTE = " › "


def _rows_without(rows: list[dict[str, Any]], *columns: str) -> list[str]:
    """The rows as comparable text, without ``columns`` and without the notes that a file was a
    lower level's summary (which a direct consolidation has no file for), in a stable order."""
    kept = [{k: v for k, v in r.items() if k not in columns} for r in rows if "（rollup-" not in str(r.get("规则"))]
    return sorted(repr(sorted(r.items())) for r in kept)


PLACE = ("上级单位", "文件（收件箱内）")  # where a table came from: the hierarchy, and the route in the path


def test_a_province_book_equals_the_direct_consolidation_of_every_leaf_file(tmp_path: Path) -> None:
    top, direct = _three_levels(tmp_path)
    for sheet in ["项目汇总", "绩效自评", "自评指标", "绩效指标", "部门整体指标", "支出计划", "问题清单"]:
        # (a message naming a file names it where it was read: the county's inbox, or the direct one)
        leaves = [r.replace(str(tmp_path / "direct"), str(tmp_path))
                  for r in _rows_without(_table(direct, sheet), *PLACE)]
        assert _rows_without(_table(top, sheet), *PLACE) == leaves, sheet
        assert all("上级单位" in r for r in _table(top, sheet)), sheet  # every row says where it came from
    # 概览: a row per unit, under its levels; the two 教育局 are one unit in the direct consolidation
    # (both sit in a folder 教育局 there), two here, whose rows add up to its
    overview = {r["单位"]: r for r in _table(top, "概览")}
    merged = {r["单位"]: r for r in _table(direct, "概览")}
    assert {u.rpartition("/")[2] for u in overview} == set(merged)
    assert sorted(u for u in overview if u.endswith("/教育局")) == ["某市/乙县/教育局", "某市/甲县/教育局"]
    for unit, row in overview.items():
        if not unit.endswith("/教育局"):
            shown = {k: v for k, v in row.items() if k != "上级单位"}
            assert shown == {**merged[unit.rpartition("/")[2]], "单位": unit}, unit
    for column in ("项目数", "资金总额（万元）", "产出指标", "错误", "警告", "读取文件数"):
        assert overview["某市/甲县/教育局"][column] + overview["某市/乙县/教育局"][column] == merged["教育局"][column]
    assert [overview[f"某市/{c}/教育局"]["上级单位"] for c in ("甲县", "乙县")] == ["某市/甲县", "某市/乙县"]
    projects = {(r["项目编码"], r["上级单位"], r["单位"], r["年度资金总额（万元）"], r["指标数"], r["状态"])
                for r in _table(top, "项目汇总")}
    assert projects == {("201-0001", "某市/甲县", "甲县教育局", 80, 4, "通过"),
                        ("201-0002", "某市/甲县", "甲县教育局", 20.5, 4, "有错误"),
                        ("105-0901-YBN-DPPC", "某市/甲县", "甲县卫生健康局", 4000, 4, "通过"),
                        ("202-0001", "某市/甲县", "教育局", 12, 4, "通过"),
                        ("302-0001", "某市/乙县", "教育局", 7, 3, "有警告"),
                        ("301-0001", "某市/乙县", "乙县农业农村局", 100, 3, "有警告"),
                        (None, "某市/乙县", "某县就业服务中心", 100, 5, "有错误"),
                        (None, "某市/乙县", "某县就业服务中心", None, 5, "通过"),
                        ("401-0001", "某市", "市财政局", 30, 4, "通过")}
    # the 部门整体 table without indicators is there (as a row of its own), at its file and cell
    departments = [(r["单位"], r["上级单位"], r["三级指标"], r["单元格"]) for r in _table(top, "部门整体指标")]
    assert ("甲县财政局", "某市/甲县", "（本表没有指标）", None) in departments
    assert _below_row(top, "甲县财政局")["部门整体表数"] == 1
    # a 部门整体 table's own funds come up with it: 100 of the project + 1350 of the table, as directly
    funds = "资金总额（万元）"
    assert _below_row(top, "乙县农业农村局")[funds] == 1450 == _below_row(direct, "乙县农业农村局")[funds]
    whole = {(r["年度资金总额（万元）"], r["资金明细"]) for r in _table(top, "部门整体指标")
             if r["单位"] == "乙县农业农村局"}
    assert whole == {(1350, "资金总额/金额 1350；项目支出/金额 550；基本支出/金额 800")}
    # the self-evaluation scored again at the top as where it was sent: 20+18+10+30+8 + 9 = 95, stated 97
    [evaluation] = _table(top, "绩效自评")
    assert (evaluation["单位"], evaluation["自评总分"], evaluation["重算总分"], evaluation["重算等级"],
            evaluation["预算执行率"], evaluation["达成"], evaluation["未达成"], evaluation["批复目标表"]) == \
        ("某县就业服务中心", 95, 95, "优", 0.9, 3, 2, "乡村振兴技能培训")
    assert evaluation["文件（收件箱内）"] == ROUTE.join([f"某市/{ALL}", f"乙县/{ALL}",
                                                     "某县就业服务中心/2023年自评表.xlsx"])
    found = {(r["规则"].rpartition("（")[2], r["单元格"]) for r in _table(top, "问题清单")
             if r["单位"] == "某县就业服务中心"}
    assert {("score-inflated）", "G12"), ("deviation-missing）", "H12"), ("indicator-dropped）", "A2")} <= found
    problems = {(r["上级单位"], r["单位"], r["项目编码"], r["工作表"], r["规则"].rpartition("（")[2],
                 r["问题和修改方法"]) for r in _table(top, "问题清单")
                if r["单位"] in ("甲县教育局", "乙县农业农村局", "乙县水利局", "甲县", "乙县", "某市")}
    sheet_of = {r["项目编码"]: r["工作表"] for r in _table(top, "项目汇总")}
    kept = "各表保留原文件、单元格和原有问题；无需处理"
    assert problems == {
        ("某市/甲县", "甲县教育局", "201-0002", sheet_of["201-0002"], "percent-out-of-range）",
         "指标值 120.0% 不在 0–100 之间；百分比指标请填 0 到 100 的数"),
        ("某市/乙县", "乙县农业农村局", "301-0001", sheet_of["301-0001"], "no-satisfaction-indicator）",
         "没有满意度指标；建议设置服务对象满意度指标"),
        ("某市/乙县", "乙县农业农村局", None, "部门整体", "vague-words）",
         "目标“逐步健全”含模糊用语（逐步）；请写成可检验的具体结果"),
        ("某市/乙县", "乙县水利局", None, None, "unreadable）", _row(top, "unreadable", "问题和修改方法")),
        ("某市/乙县", "乙县水利局", None, None, "office-lock-file）",
         "这是 Office/WPS 的锁定文件（有人正打开着同名工作簿），不是工作簿本身；请关闭工作簿后再复制"),
        ("某市", "甲县", None, None, "rollup-read）",
         "这是下级的全部单位汇总表，作为“甲县”的汇总读入：4 个单位、4 个文件、6 张表，" + kept),
        ("某市", "乙县", None, None, "rollup-read）",
         "这是下级的全部单位汇总表，作为“乙县”的汇总读入：3 个单位、7 个文件、5 张表，" + kept),
        (None, "某市", None, None, "rollup-read）",
         "这是下级的全部单位汇总表，作为“某市”的汇总读入：8 个单位、14 个文件、12 张表，" + kept),
    }
    # each file says through which summaries it came (the path in the inbox it was sent to first, last)
    sources = {(r["上级单位"], r["单位"], r["相对路径"], r["状态"].partition("：")[0]) for r in _table(top, "来源文件")}
    city, county = f"某市/{ALL}", {c: f"{c}/{ALL}" for c in ("甲县", "乙县")}
    assert {s for s in sources if s[1] in ("甲县教育局", "乙县水利局", "市财政局", "甲县", "某市")} == {
        ("某市/甲县", "甲县教育局", ROUTE.join([city, county["甲县"], "甲县教育局/绩效目标.xlsx"]), "已读取"),
        ("某市/乙县", "乙县水利局", ROUTE.join([city, county["乙县"], "乙县水利局/坏文件.xlsx"]), "无法读取"),
        ("某市/乙县", "乙县水利局", ROUTE.join([city, county["乙县"], "乙县水利局/~$绩效目标.xlsx"]), "已跳过"),
        ("某市", "市财政局", ROUTE.join([city, "市财政局/绩效目标.xlsx"]), "已读取"),
        ("某市", "甲县", ROUTE.join([city, county["甲县"]]), "已汇入"),
        (None, "某市", city, "已汇入")}
    assert len(sources) == 4 + 7 + 1 + 3  # the files of 甲县, 乙县, 市财政局, and the three summaries
    levels = _below(top, "按层级汇总")
    # 单位数, 项目数, 资金, 错误, 警告, 文件数 (the lower summaries themselves not counted as files)
    assert levels["某市/甲县"][:3] == [4, 4, 4112.5] and levels["某市/甲县"][5] == 4
    assert levels["某市/乙县"][:3] == [4, 4, 1557] and levels["某市/乙县"][5] == 7
    assert levels["某市"][:3] == [9, 9, 5699.5] and levels["某市"][5] == 12
    assert "本级（直接报送）" not in levels  # nothing was sent to the province directly
    # a book for each 教育局, named by its levels; the direct consolidation has one for both
    books = {p.name for p in (tmp_path / "province_out").glob("*_绩效目标汇总.xlsx")}
    assert {"某市_甲县_教育局_绩效目标汇总.xlsx", "某市_乙县_教育局_绩效目标汇总.xlsx"} <= books
    assert not any(name.startswith("教育局") for name in books)
    mine = {r["项目编码"] for r in _table(tmp_path / "province_out" / "某市_乙县_教育局_绩效目标汇总.xlsx", "项目汇总")}
    assert mine == {"302-0001"}
    both = {r["项目编码"] for r in _table(tmp_path / "direct_out" / "教育局_绩效目标汇总.xlsx", "项目汇总")}
    assert both == {"202-0001", "302-0001"}


def _below_row(book: Path, unit: str) -> dict[str, Any]:
    return next(r for r in _table(book, "概览") if str(r["单位"]).endswith(unit))


def _row(book: Path, code: str, column: str) -> Any:
    return next(r[column] for r in _table(book, "问题清单") if r["规则"].endswith(f"（{code}）"))


def _below(book: Path, title: str) -> dict[str, list[Any]]:
    """The rows of the block headed ``title`` below 概览's table, by their first cell."""
    wb = load_workbook(book, read_only=True)
    values = [list(r) for r in wb["概览"].iter_rows(values_only=True)]
    wb.close()
    start = next(n for n, r in enumerate(values) if r[0] == title)
    out = {}
    for row in values[start + 1:]:
        if row[0] is None:
            break
        out[str(row[0])] = row[1:7]
    return out


def _county_summary(tmp_path: Path, roster: list[tuple[str, str]] | None = None) -> tuple[Path, Path]:
    """The leaf files (under ``tmp_path/leaves``) and 甲县's 全部单位 summary of its 教育局, made
    with ``roster`` (name, code) when given."""
    leaves = tmp_path / "leaves"
    _leaves(leaves)
    _copy_units(leaves / "甲县", ["甲县教育局"], tmp_path / "甲县")
    if roster is not None:
        _roster(tmp_path / "甲县" / "报送名单.xlsx", roster)
    perfxl.consolidate(tmp_path / "甲县", tmp_path / "甲县_out", jobs=1)
    return leaves, tmp_path / "甲县_out" / ALL


def test_a_project_sent_directly_and_inside_a_county_summary_is_a_finding(tmp_path: Path) -> None:
    leaves, county = _county_summary(tmp_path)
    city = tmp_path / "city"
    (city / "甲县").mkdir(parents=True)
    shutil.copy(county, city / "甲县" / ALL)
    shutil.copy(tmp_path / "甲县_out" / "甲县教育局_绩效目标汇总.xlsx", city / "甲县")  # a unit's book: a part of it
    _copy_units(leaves / "甲县", ["甲县教育局"], city)  # and the unit's file sent to the city as well
    run = perfxl.consolidate(city, tmp_path / "city_out", jobs=1)
    twice = sorted((p.code, p.file, p.message) for p in run.problems if p.code == "rollup-duplicate")
    direct, inside = str(city / "甲县教育局" / "绩效目标.xlsx"), str(tmp_path / "甲县" / "甲县教育局" / "绩效目标.xlsx")
    routes = "本级（直接报送）、甲县；同一项目只应报送一次，请核实后删除多余的一份"
    assert twice == sorted([("rollup-duplicate", f, f"项目“{code}”经多个渠道报送到了这里：{routes}")
                            for f in (direct, inside) for code in ("201-0001", "201-0002")])
    assert all(p.severity == "warning" for p in run.problems if p.code == "rollup-duplicate")
    assert sum(p.code == "project-code-duplicate" for p in run.problems) == 4  # each code at both places, found here
    unit_book = next(s for s in run.sources if s.relative == "甲县/甲县教育局_绩效目标汇总.xlsx")
    assert unit_book.status.label == "已跳过" and "层层汇总请只放下级的全部单位汇总表" in (unit_book.reason or "")
    projects = [(r["项目编码"], r["上级单位"]) for r in _table(tmp_path / "city_out" / ALL, "项目汇总")]
    assert sorted(projects, key=str) == [("201-0001", "甲县"), ("201-0001", None),
                                         ("201-0002", "甲县"), ("201-0002", None)]
    # the unit sent directly and the same-named one inside 甲县's summary are two units, a book each
    assert sorted(run.departments) == ["甲县/甲县教育局", "甲县教育局"]
    for book, level in [("甲县教育局_绩效目标汇总.xlsx", None), ("甲县_甲县教育局_绩效目标汇总.xlsx", "甲县")]:
        assert {r["上级单位"] for r in _table(tmp_path / "city_out" / book, "项目汇总")} == {level}, book


def test_a_summary_sorted_by_hand_is_refused_not_guessed(tmp_path: Path) -> None:
    _, county = _county_summary(tmp_path)
    book = tmp_path / "city" / "甲县" / ALL
    book.parent.mkdir(parents=True)
    wb = load_workbook(county)
    wb["绩效指标"].delete_rows(2)  # one indicator row gone: the rows no longer line up with 项目汇总
    wb.save(book)
    result = perfxl.extract(book)
    assert [p.code for p in result.problems] == ["rollup-unreadable"] and result.rollup is None
    assert "“支出计划”" in result.problems[0].message or "“绩效指标”" in result.problems[0].message
    run = perfxl.consolidate(tmp_path / "city", tmp_path / "city_out", jobs=1)
    assert [p.code for p in run.problems] == ["rollup-unreadable"] and run.exit_code == 2


def _roster(path: Path, units: list[tuple[str, str]]) -> None:
    grid = Grid("报送名单")
    for c, label in enumerate(["序号", "单位名称", "单位编码"]):
        grid.put(0, c, label, "label")
    for r, (name, code) in enumerate(units, start=1):
        grid.put(r, 0, float(r), "num")
        grid.put(r, 1, name)
        grid.put(r, 2, code)
    write_grids(path, [grid], "openpyxl")


def test_the_units_a_county_still_waits_for_are_shown_above_it(tmp_path: Path) -> None:
    _, county = _county_summary(tmp_path, [("甲县教育局", "101"), ("甲县民政局", "102")])  # 民政局 never sends
    (tmp_path / "city" / "甲县").mkdir(parents=True)
    shutil.copy(county, tmp_path / "city" / "甲县" / ALL)
    run = perfxl.consolidate(tmp_path / "city", tmp_path / "city_out", jobs=1)
    rows = {s.unit: (s.state, s.listed, s.code, s.note) for s in run.submissions}
    shown = "“甲县”的报送情况（仅供了解）"
    assert rows == {"甲县/甲县教育局": ("有错误", False, None, ""), "甲县/甲县民政局": ("未报送", True, "102", shown)}
    assert not [p for p in run.problems if p.code.startswith("roster-")]  # the county's roster is its own affair
    assert run.departments == ["甲县/甲县教育局"]  # no unit, no book, for one that sent nothing
    sheet = {r["单位"]: r["状态"] for r in _table(tmp_path / "city_out" / ALL, "报送情况")}
    assert sheet == {"甲县/甲县教育局": "有错误", "甲县/甲县民政局": "未报送"}
    # and a level higher, under both levels
    (tmp_path / "province" / "某市").mkdir(parents=True)
    shutil.copy(tmp_path / "city_out" / ALL, tmp_path / "province" / "某市" / ALL)
    top = perfxl.consolidate(tmp_path / "province", tmp_path / "province_out", jobs=1)
    assert [(s.unit, s.state) for s in top.submissions if s.state == "未报送"] == [("某市/甲县/甲县民政局", "未报送")]


def test_the_command_line_counts_files_as_the_overview_does(tmp_path: Path) -> None:
    leaves = tmp_path / "leaves"
    _leaves(leaves)
    _copy_units(leaves / "乙县", ["乙县农业农村局", "乙县水利局"], tmp_path / "乙县")  # 3 files: 1 unreadable, 1 lock
    perfxl.consolidate(tmp_path / "乙县", tmp_path / "乙县_out", jobs=1)
    (tmp_path / "city" / "乙县").mkdir(parents=True)
    shutil.copy(tmp_path / "乙县_out" / ALL, tmp_path / "city" / "乙县" / ALL)
    _copy_units(leaves / "本级", ["市财政局"], tmp_path / "city")
    result = CliRunner().invoke(main, ["consolidate", str(tmp_path / "city"), "-o", str(tmp_path / "city_out"),
                                       "--jobs", "1", "--quiet"])
    line = result.output.splitlines()[0]
    # the county's 4 files and 市财政局's, as 概览 counts them; the county's summary said apart
    assert line.startswith("共 5 个文件（另有 1 份下级的全部单位汇总表，其中的文件已计入）："
                           "读取 3 个，无法读取 1 个，跳过 1 个；")
    wb = load_workbook(tmp_path / "city_out" / ALL, read_only=True)
    facts = {r[0]: r[1] for r in wb["概览"].iter_rows(values_only=True) if r and r[0] == "文件"}
    wb.close()
    assert facts["文件"] == "共 5 个：读取 3 个，跳过 1 个，无法读取 1 个"


def test_a_summary_at_the_inbox_top_named_by_no_level_is_not_rolled_up(tmp_path: Path) -> None:
    leaves, county = _county_summary(tmp_path)
    city = tmp_path / "city"
    _copy_units(leaves / "本级", ["市财政局"], city)
    shutil.copy(county, city / ALL)  # whose? (last year's, say): its name says no level
    run = perfxl.consolidate(city, tmp_path / "city_out", jobs=1)
    [found] = [p for p in run.problems if p.code == "rollup-unplaced"]
    assert (found.severity, found.file) == ("warning", str(city / ALL))
    assert found.message.startswith("收件箱顶层的全部单位汇总表无法判断是哪个下级的，没有汇入；")
    assert "--previous" in found.message
    assert run.departments == ["市财政局"] and not any(p.code == "rollup-read" for p in run.problems)
    assert {t.project_code for r in run.results for t in r.tables} == {"401-0001"}
    source = next(s for s in run.sources if s.relative == ALL)
    assert source.status.label == "已跳过"
    assert sorted(p.name for p in (tmp_path / "city_out").glob("*.xlsx")) == [ALL, "市财政局_绩效目标汇总.xlsx"]
    # named by its level, it is read as that level's
    shutil.move(city / ALL, city / f"甲县_{ALL}")
    again = perfxl.consolidate(city, tmp_path / "city_out", jobs=1)
    assert sorted(again.departments) == ["市财政局", "甲县/甲县教育局"]
