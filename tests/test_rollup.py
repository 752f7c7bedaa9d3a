"""层层汇总: a county's 全部单位 summary dropped into the city's inbox is read as the tables of its
units (at their original files and cells, with their problems), and a city's into a province's;
the top book equals a direct consolidation of every leaf file, and a project arriving by two
routes is a finding. Workbooks are drawn here in the per-sheet layout of real submissions (and
from two golden seed tables, one a 部门整体 table); expected values are written by hand."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

import perfxl
from tests.conftest import load_specs
from tests.fixtures.indicator_specs import clean_indicators as _clean
from tests.fixtures.indicator_specs import indicator as _ind
from tests.fixtures.samples import build_workbook

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
    """Every leaf file under ``root/<unit>/``, by the county (or the city, 本级) that collects it."""
    over_target = [*_clean()[:1], _ind("产出指标", "质量指标", "培训合格率", ">=", 120.0, "%"), *_clean()[2:]]
    _submit(root / "甲县教育局" / "绩效目标.xlsx", "甲县教育局",
            [("201-0001", "校舍维修", 80.0, _clean()), ("201-0002", "教师培训", 20.5, over_target)])
    seed = {s["table"]["kind"]: s for s in load_specs()[:2]}  # the 部门整体 table and one project, with their faults
    (root / "甲县卫生健康局").mkdir(parents=True)
    build_workbook(root / "甲县卫生健康局" / "卫健.xlsx",
                   [dict(seed["department"], unit="甲县卫生健康局"), dict(seed["project"], unit="甲县卫生健康局")],
                   "per-sheet")
    _submit(root / "乙县农业农村局" / "绩效目标.xlsx", "乙县农业农村局",
            [("301-0001", "高标准农田建设", 100.0, _clean()[:3])])  # no 满意度 indicator: a warning
    (root / "乙县水利局").mkdir(parents=True)
    (root / "乙县水利局" / "坏文件.xlsx").write_text("不是表格", "utf-8")
    (root / "乙县水利局" / "~$绩效目标.xlsx").write_bytes(b"lock")
    _submit(root / "市财政局" / "绩效目标.xlsx", "市财政局", [("401-0001", "预算管理系统运维", 30.0, _clean())])
    return {"甲县": ["甲县教育局", "甲县卫生健康局"], "乙县": ["乙县农业农村局", "乙县水利局"], "本级": ["市财政局"]}


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
    inbox, the city's 全部单位 book in the province's; the province's and a direct book of all."""
    leaves = tmp_path / "leaves"
    by_level = _leaves(leaves)
    for county in ("甲县", "乙县"):
        _copy_units(leaves, by_level[county], tmp_path / county)
        perfxl.consolidate(tmp_path / county, tmp_path / f"{county}_out", jobs=1)
        (tmp_path / "city" / county).mkdir(parents=True)
        shutil.copy(tmp_path / f"{county}_out" / ALL, tmp_path / "city" / county / ALL)
    _copy_units(leaves, by_level["本级"], tmp_path / "city")
    perfxl.consolidate(tmp_path / "city", tmp_path / "city_out", jobs=1)
    (tmp_path / "province" / "某市").mkdir(parents=True)
    shutil.copy(tmp_path / "city_out" / ALL, tmp_path / "province" / "某市" / ALL)
    perfxl.consolidate(tmp_path / "province", tmp_path / "province_out", jobs=1)
    _copy_units(leaves, [u for units in by_level.values() for u in units], tmp_path / "direct")
    perfxl.consolidate(tmp_path / "direct", tmp_path / "direct_out", jobs=1)
    return tmp_path / "province_out" / ALL, tmp_path / "direct_out" / ALL


def _rows_without(rows: list[dict[str, Any]], *columns: str) -> list[str]:
    """The rows as comparable text, without ``columns`` and without the notes that a file was a
    lower level's summary (which a direct consolidation has no file for), in a stable order."""
    kept = [{k: v for k, v in r.items() if k not in columns} for r in rows if "（rollup-" not in str(r.get("规则"))]
    return sorted(repr(sorted(r.items())) for r in kept)


def test_a_province_book_equals_the_direct_consolidation_of_every_leaf_file(tmp_path: Path) -> None:
    top, direct = _three_levels(tmp_path)
    # the hierarchy column, and the file in the inbox (relative to the inbox it was sent to)
    for sheet, hierarchy in [("概览", ("上级单位",)), ("项目汇总", ("上级单位",)), ("绩效指标", ("上级单位",)),
                             ("部门整体指标", ("上级单位",)), ("支出计划", ()), ("问题清单", ("上级单位",))]:
        assert _rows_without(_table(top, sheet), *hierarchy) == _rows_without(_table(direct, sheet)), sheet
    projects = {(r["项目编码"], r["上级单位"], r["单位"], r["年度资金总额（万元）"], r["指标数"], r["状态"])
                for r in _table(top, "项目汇总")}
    assert projects == {("201-0001", "某市/甲县", "甲县教育局", 80, 4, "通过"),
                        ("201-0002", "某市/甲县", "甲县教育局", 20.5, 4, "有错误"),
                        ("105-0901-YBN-DPPC", "某市/甲县", "甲县卫生健康局", 4000, 4, "通过"),
                        ("301-0001", "某市/乙县", "乙县农业农村局", 100, 3, "有警告"),
                        ("401-0001", "某市", "市财政局", 30, 4, "通过")}
    spend = {r["项目编码"]: [r[k] for k in PLAN] for r in _table(top, "支出计划")
             if r["项目编码"] != "105-0901-YBN-DPPC"}
    assert set(map(tuple, spend.values())) == {(0.25, 0.5, 0.75, 1.0)}
    sheet_of = {r["项目编码"]: r["工作表"] for r in _table(top, "项目汇总")}
    problems = {(r["上级单位"], r["单位"], r["项目编码"], r["工作表"], r["规则"].rpartition("（")[2],
                 r["问题和修改方法"]) for r in _table(top, "问题清单") if r["单位"] != "甲县卫生健康局"}
    kept = "各表保留原文件、单元格和原有问题；无需处理"
    assert problems == {
        ("某市/甲县", "甲县教育局", "201-0002", sheet_of["201-0002"], "percent-out-of-range）",
         "指标值 120.0% 不在 0–100 之间；百分比指标请填 0 到 100 的数"),
        ("某市/乙县", "乙县农业农村局", "301-0001", sheet_of["301-0001"], "no-satisfaction-indicator）",
         "没有满意度指标；建议设置服务对象满意度指标"),
        ("某市/乙县", "乙县水利局", None, None, "unreadable）", _row(top, "unreadable", "问题和修改方法")),
        ("某市/乙县", "乙县水利局", None, None, "office-lock-file）",
         "这是 Office/WPS 的锁定文件（有人正打开着同名工作簿），不是工作簿本身；请关闭工作簿后再复制"),
        ("某市", "甲县", None, None, "rollup-read）",
         "这是下级的全部单位汇总表，作为“甲县”的汇总读入：2 个单位、2 个文件、4 张表，" + kept),
        ("某市", "乙县", None, None, "rollup-read）",
         "这是下级的全部单位汇总表，作为“乙县”的汇总读入：1 个单位、3 个文件、1 张表，" + kept),
        (None, "某市", None, None, "rollup-read）",
         "这是下级的全部单位汇总表，作为“某市”的汇总读入：4 个单位、8 个文件、6 张表，" + kept),
    }
    sources = {(r["上级单位"], r["单位"], r["相对路径"], r["状态"].partition("：")[0]) for r in _table(top, "来源文件")}
    assert sources == {("某市/甲县", "甲县教育局", "甲县教育局/绩效目标.xlsx", "已读取"),
                       ("某市/甲县", "甲县卫生健康局", "甲县卫生健康局/卫健.xlsx", "已读取"),
                       ("某市/乙县", "乙县农业农村局", "乙县农业农村局/绩效目标.xlsx", "已读取"),
                       ("某市/乙县", "乙县水利局", "乙县水利局/坏文件.xlsx", "无法读取"),
                       ("某市/乙县", "乙县水利局", "乙县水利局/~$绩效目标.xlsx", "已跳过"),
                       ("某市", "市财政局", "市财政局/绩效目标.xlsx", "已读取"),
                       ("某市", "甲县", f"甲县/{ALL}", "已汇入"),
                       ("某市", "乙县", f"乙县/{ALL}", "已汇入"),
                       (None, "某市", f"某市/{ALL}", "已汇入")}
    levels = _below(top, "按层级汇总")
    # 单位数, 项目数, 资金, 错误, 警告, 文件数 (the lower summaries themselves not counted as files)
    assert levels["某市/甲县"][:3] == [2, 3, 4100.5] and levels["某市/甲县"][5] == 2
    assert levels["某市/乙县"] == [2, 1, 100, 1, 1, 3]
    assert levels["某市"][:3] == [5, 5, 4230.5] and levels["某市"][5] == 6
    assert levels["某市"][3:5] == [levels["某市/甲县"][3] + 1, levels["某市/甲县"][4] + 1]
    assert "本级（直接报送）" not in levels  # nothing was sent to the province directly


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


def test_a_project_sent_directly_and_inside_a_county_summary_is_a_finding(tmp_path: Path) -> None:
    leaves = tmp_path / "leaves"
    _leaves(leaves)
    _copy_units(leaves, ["甲县教育局"], tmp_path / "甲县")
    perfxl.consolidate(tmp_path / "甲县", tmp_path / "甲县_out", jobs=1)
    city = tmp_path / "city"
    (city / "甲县").mkdir(parents=True)
    shutil.copy(tmp_path / "甲县_out" / ALL, city / "甲县" / ALL)
    shutil.copy(tmp_path / "甲县_out" / "甲县教育局_绩效目标汇总.xlsx", city / "甲县")  # a unit's book: a part of it
    _copy_units(leaves, ["甲县教育局"], city)  # and the unit's file sent to the city as well
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


def test_a_summary_sorted_by_hand_is_refused_not_guessed(tmp_path: Path) -> None:
    leaves = tmp_path / "leaves"
    _leaves(leaves)
    _copy_units(leaves, ["甲县教育局"], tmp_path / "甲县")
    perfxl.consolidate(tmp_path / "甲县", tmp_path / "甲县_out", jobs=1)
    book = tmp_path / "city" / "甲县" / ALL
    book.parent.mkdir(parents=True)
    wb = load_workbook(tmp_path / "甲县_out" / ALL)
    wb["绩效指标"].delete_rows(2)  # one indicator row gone: the rows no longer line up with 项目汇总
    wb.save(book)
    result = perfxl.extract(book)
    assert [p.code for p in result.problems] == ["rollup-unreadable"] and result.rollup is None
    assert "“支出计划”" in result.problems[0].message or "“绩效指标”" in result.problems[0].message
    run = perfxl.consolidate(tmp_path / "city", tmp_path / "city_out", jobs=1)
    assert [p.code for p in run.problems] == ["rollup-unreadable"] and run.exit_code == 2
