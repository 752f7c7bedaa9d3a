"""Year-end self-evaluations: scores recomputed by the rules of 财预〔2020〕10号 and compared with the
unit's own, every fault of the self-evaluation at its cell, and the targets held against the ones
approved for the year. The forms are drawn here; every expected number is worked out by hand in
the comments."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import perfxl
from perfxl.cli import main
from tests.fixtures.engines import write_grids
from tests.fixtures.grids import Grid

# (一级, 二级, 三级, 年度指标值, 实际完成值, 分值, 得分, 偏差原因)
ROWS: list[tuple[Any, ...]] = [
    ("产出指标", "数量指标", "培训人次", "≥100人次", "120人次", 20, 20, None),        # met: 20
    ("产出指标", "质量指标", "培训合格率", "≥90%", "81%", 20, 18, "部分学员未按时参训"),  # 81/90 = 0.9 → 18
    ("产出指标", "成本指标", "人均培训成本", "≤500元", "400元", 10, 10, None),       # ≤ met: 10
    ("效益指标", "社会效益指标", "政策知晓率", "≥80%", "88%", 30, 30, None),        # met: 30
    # 部分达成: at most 0.8 × 10
    ("效益指标", "可持续影响指标", "长效培训机制", "建立长效机制", "基本完成", 10, 8, "制度已起草，待审定"),
]
# 分值 20+20+10+30+10 = 90, + 预算执行率 10 = 100; 执行率 90 ÷ 100 = 90% → 9 分
# 得分 20+18+10+30+8 = 86, + 9 = 95 → 优


@dataclass
class Form:
    """A 项目支出绩效自评表 in the national 2020 layout, and the words a province uses instead."""

    weight: str = "分值"
    actual: str = "实际完成值"
    money: str = "万元"
    rows: list[list[Any]] = field(default_factory=lambda: [list(r) for r in ROWS])
    total: tuple[float, float, str] | None = (100, 95, "优")
    rate_shown: float = 0.9
    execution_score: float = 9

    def grid(self) -> Grid:
        g = Grid("自评表")
        scale = 10000 if self.money == "元" else 1
        g.put(0, 0, "2023年度项目支出绩效自评表", "title", c2=7)
        g.put(1, 0, "项目名称", "label")
        g.put(1, 1, "乡村振兴技能培训", "cell", c2=7)
        g.put(2, 0, "主管部门", "label")
        g.put(2, 1, "某县人社局", "cell", c2=3)
        g.put(2, 4, "实施单位", "label")
        g.put(2, 5, "某县就业服务中心", "cell", c2=7)
        g.put(3, 0, f"项目资金\n（{self.money}）", "label", r2=6)
        for c, name in enumerate(["年初预算数", "全年预算数", "全年执行数", self.weight, "执行率", "得分"], start=2):
            g.put(3, c, name, "label")
        g.put(4, 1, "年度资金总额", "label")
        for c, v in ((2, 100 * scale), (3, 100 * scale), (4, 90 * scale), (5, 10)):
            g.put(4, c, v, "num")
        g.put(4, 6, self.rate_shown, "pct")
        g.put(4, 7, self.execution_score, "num")
        g.put(5, 1, "其中：财政拨款", "label")
        for c, v in ((2, 100 * scale), (3, 100 * scale), (4, 90 * scale)):
            g.put(5, c, v, "num")
        g.put(6, 1, "其他资金", "label")
        g.put(7, 0, "年度总体目标", "label", r2=8)
        g.put(7, 1, "预期目标", "label", c2=3)
        g.put(7, 4, "实际完成情况", "label", c2=7)
        g.put(8, 1, "完成1000人次技能培训", "wrap", c2=3)
        g.put(8, 4, "完成1200人次培训", "wrap", c2=7)
        for c, name in enumerate(["一级指标", "二级指标", "三级指标", "年度指标值", self.actual, self.weight, "得分",
                                  "偏差原因分析及改进措施"]):
            g.put(9, c, name, "label")
        for i, row in enumerate(self.rows):
            for c, value in enumerate(row):
                if value is not None:
                    g.put(10 + i, c, value, "num" if isinstance(value, (int, float)) else "cell")
        if self.total is not None:
            end = 10 + len(self.rows)
            g.put(end, 0, "总分", "label", c2=4)
            g.put(end, 5, self.total[0], "num")
            g.put(end, 6, self.total[1], "num")
            g.put(end, 7, self.total[2], "cell")
        return g

    def write(self, path: Path, engine: str = "xlsxwriter") -> Path:
        write_grids(path, [self.grid()], engine)
        return path


@pytest.mark.parametrize(("form", "engine", "suffix"), [
    (Form(), "xlsxwriter", ".xlsx"),
    (Form(weight="权重"), "openpyxl", ".xlsx"),
    (Form(actual="完成值", money="元"), "openpyxl", ".xlsx"),
    (Form(weight="权重", actual="完成值", money="元"), "xlwt", ".xls"),
], ids=["national", "provincial-权重", "provincial-完成值-元", "provincial-xls"])
def test_scores_recomputed_by_the_rules(tmp_path: Path, form: Form, engine: str, suffix: str) -> None:
    path = form.write(tmp_path / f"自评{suffix}", engine)
    [scored] = perfxl.score(path)
    assert [(i.level3, i.weight, i.stated, i.computed, i.met) for i in scored.indicators] == [
        ("培训人次", 20, 20, 20, True), ("培训合格率", 20, 18, 18, False), ("人均培训成本", 10, 10, 10, True),
        ("政策知晓率", 30, 30, 30, True), ("长效培训机制", 10, 8, 8, False)]
    assert (scored.execution_rate, scored.execution_computed, scored.execution_stated) == (90, 9, 9)
    assert (scored.stated_total, scored.computed_total, scored.stated_grade, scored.computed_grade) == \
        (95, 95, "优", "优")
    [table] = perfxl.extract(path).tables
    assert table.amount == 100 and table.funds["年度资金总额"]["全年执行数"] == 90  # 元 → 万元
    codes = {p.code for p in perfxl.check([path]).problems}
    assert not codes & {"score-above-weight", "score-inflated", "weights-not-100", "total-mismatch",
                        "deviation-missing", "actual-missing", "execution-rate-mismatch", "grade-mismatch"}


def test_every_fault_of_a_self_evaluation_at_its_cell(tmp_path: Path) -> None:
    form = Form(total=(100, 97, "良"), rate_shown=0.95)  # 执行率 written 95%, the amounts give 90%
    form.rows[1][6] = 20           # 合格率 81% of 90%: the rule gives 18, the unit says 20
    form.rows[1][7] = None         # … and gives no reason for the shortfall
    form.rows[2][6] = 12           # 得分 12 above its 分值 10
    form.rows[3][4] = None         # no 实际完成值
    path = form.write(tmp_path / "自评.xlsx")
    found = {(p.code, p.cell) for p in perfxl.check([path]).problems}
    assert {("score-inflated", "G12"), ("deviation-missing", "H12"), ("score-above-weight", "G13"),
            ("actual-missing", "E14"), ("execution-rate-mismatch", "G5"),
            # 20+20+12+30+8 + 9 = 99, written 97; 97 is 优, written 良
            ("total-mismatch", "G16"), ("grade-mismatch", "H16")} <= found


def test_a_qualitative_actual_that_names_no_tier_is_not_guessed(tmp_path: Path) -> None:
    form = Form()
    form.rows[4][4] = "持续推进中"
    path = form.write(tmp_path / "自评.xlsx")
    [scored] = perfxl.score(path)
    last = scored.indicators[-1]
    assert (last.judged, last.computed, scored.computed_total) == (False, None, 95)  # the unit's 8 is kept
    assert ("actual-not-judged", "E15") in {(p.code, p.cell) for p in perfxl.check([path]).problems}


def _approved(path: Path) -> Path:
    """The year's approved 申报表 of the same project: targets and 权重."""
    g = Grid("申报表")
    g.put(0, 0, "2023年项目支出绩效目标申报表", "title", c2=5)
    g.put(1, 0, "项目名称", "label")
    g.put(1, 1, "乡村振兴技能培训", "cell", c2=5)
    g.put(2, 0, "主管部门", "label")
    g.put(2, 1, "某县人社局", "cell")
    g.put(2, 2, "实施单位", "label")
    g.put(2, 3, "某县就业服务中心", "cell", c2=5)
    g.put(3, 0, "年度目标", "label")
    g.put(3, 1, "完成1000人次技能培训", "cell", c2=5)
    for c, name in enumerate(["一级指标", "二级指标", "三级指标", "指标值", "权重"]):
        g.put(4, c, name, "label")
    rows = [("产出指标", "数量指标", "培训人次", "≥100人次", 20),
            ("产出指标", "质量指标", "培训合格率", "≥90%", 20),
            ("产出指标", "成本指标", "人均培训成本", "≤500元", 10),
            ("效益指标", "社会效益指标", "政策知晓率", "≥80%", 30),
            ("满意度指标", "服务对象满意度指标", "学员满意度", "≥95%", 10)]
    for i, row in enumerate(rows):
        for c, value in enumerate(row):
            g.put(5 + i, c, value, "num" if isinstance(value, (int, float)) else "cell")
    write_grids(path, [g], "openpyxl")
    return path


def test_targets_held_against_the_approved_ones(tmp_path: Path) -> None:
    box = tmp_path / "某县就业服务中心"
    box.mkdir()
    _approved(box / "2023年申报表.xlsx")
    form = Form(weight="权重")
    form.rows[0][3] = "≥80人次"    # lowered from ≥100人次
    form.rows[1][3] = "=90%"       # the sign changed from ≥
    form.rows[2][3] = "≤600元"     # a ≤ target made easier: lowered
    form.rows[3][5] = 25           # 权重 30 → 25
    # 长效培训机制 is not approved (added); 学员满意度 is approved but missing (dropped)
    form.write(box / "2023年自评表.xlsx")
    found = {(p.code, p.cell) for p in perfxl.check([box]).problems}
    assert {("target-lowered", "D11"), ("target-operator-changed", "D12"), ("target-lowered", "D13"),
            ("weight-changed", "F14"), ("indicator-added", "C15"), ("indicator-dropped", "A2")} <= found
    by_folder = perfxl.check([box / "2023年自评表.xlsx"], targets=[box / "2023年申报表.xlsx"])
    assert found == {(p.code, p.cell) for p in by_folder.problems}


def test_an_unchanged_self_evaluation_draws_no_target_finding(tmp_path: Path) -> None:
    form = Form()
    form.rows = [r for r in form.rows if r[2] != "长效培训机制"] + [
        ["满意度指标", "服务对象满意度指标", "学员满意度", "≥95%", "96%", 10, 10, None]]
    form.write(tmp_path / "自评.xlsx")
    _approved(tmp_path / "申报表.xlsx")
    codes = {p.code for p in perfxl.check([tmp_path]).problems}
    assert not codes & {"target-lowered", "target-operator-changed", "target-changed", "indicator-dropped",
                        "indicator-added", "approved-target-missing", "approved-target-ambiguous"}


def test_a_self_evaluation_without_its_approved_table_is_listed(tmp_path: Path) -> None:
    Form().write(tmp_path / "自评.xlsx")
    other = _approved(tmp_path / "申报表.xlsx")
    assert other.exists()
    renamed = Form()
    renamed.write(tmp_path / "另一个自评.xlsx")
    found = [p for p in perfxl.check([tmp_path / "自评.xlsx"], targets=[tmp_path / "无关.xlsx"]).problems
             if p.code == "approved-target-missing"]
    assert found == []  # no approved table given at all: nothing to hold it against
    both = perfxl.check([tmp_path]).problems
    assert not [p for p in both if p.code == "approved-target-missing"]
    assert [p.code for p in both if p.code == "approved-target-ambiguous"] == []


def test_score_command_prints_what_score_returns(tmp_path: Path) -> None:
    path = Form().write(tmp_path / "自评.xlsx")
    result = CliRunner().invoke(main, ["score", str(path), "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == [s.to_dict() for s in perfxl.score(path)]
    text = CliRunner().invoke(main, ["score", str(path)]).output
    assert "自评总分 95（优） · 按规则计算 95（优） · 预算执行率 90.0%" in text


def test_summaries_show_every_self_evaluation_scored(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    box = tmp_path / "inbox" / "某县就业服务中心"
    box.mkdir(parents=True)
    _approved(box / "申报表.xlsx")
    Form().write(box / "自评表.xlsx")
    run = perfxl.consolidate(tmp_path / "inbox", tmp_path / "out", jobs=1)
    book = load_workbook(run.outputs[0])
    assert book.sheetnames[:5] == ["报送情况", "概览", "项目汇总", "绩效自评", "自评指标"]
    [header, row] = [[c.value for c in r] for r in book["绩效自评"].iter_rows()]
    got = dict(zip(header, row, strict=True))
    assert (got["项目名称"], got["自评总分"], got["重算总分"], got["重算等级"], got["达成"], got["未达成"]) == \
        ("乡村振兴技能培训", 95, 95, "优", 3, 2)
    assert got["批复目标表"] == "乡村振兴技能培训" and got["预算执行率"] == 0.9
    rows = [[c.value for c in r] for r in book["自评指标"].iter_rows()]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["三级指标"], first["年度指标值"], first["批复目标值"], first["是否达成"]) == \
        ("培训人次", "≥100人次", "≥100人次", "达成")
    overview = [[c.value for c in r] for r in book["概览"].iter_rows()]
    line = dict(zip(overview[0], overview[1], strict=True))
    assert (line["自评表数"], line["平均自评总分"], line["优"]) == (1, 95, 1)
    with zipfile.ZipFile(run.outputs[0]) as zf:  # the grade distribution, a column chart
        assert any(b"<c:barChart>" in zf.read(n) for n in zf.namelist() if n.startswith("xl/charts/"))


def test_a_self_evaluation_template_carries_the_approved_targets_locked(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    approved = _approved(tmp_path / "申报表.xlsx")
    result = perfxl.template("self-evaluation", tmp_path / "自评表.xlsx", source=approved)
    book = load_workbook(result.path)
    ws = book.worksheets[0]
    assert ws.protection.sheet and ws["D11"].value == "≥100人次" and ws["D11"].protection.locked
    assert not ws["E11"].protection.locked and not ws["G11"].protection.locked  # 实际完成值, 得分
    # a clerk fills in the year's results
    for row, (actual, score) in enumerate([("120人次", 20), ("92%", 20), ("450元", 10),
                                            ("85%", 30), ("96%", 10)], start=11):
        ws[f"E{row}"], ws[f"G{row}"] = actual, score
    ws["D5"], ws["E5"], ws["G5"], ws["H5"] = 100, 100, 100, 10
    ws["G16"], ws["H16"] = 100, "优"
    filled = tmp_path / "已填自评表.xlsx"
    book.save(filled)
    [table] = perfxl.extract(filled).tables
    assert table.stage == "self-evaluation" and table.project_name == "乡村振兴技能培训"
    [target] = perfxl.extract(approved).tables
    assert [(i.level3, i.operator, i.value, i.unit, i.weight) for i in table.indicators] == \
        [(i.level3, i.operator, i.value, i.unit, i.weight) for i in target.indicators]
    found = perfxl.check([filled], targets=[approved]).problems
    assert not {p.code for p in found} & {"target-lowered", "target-operator-changed", "target-changed",
                                          "indicator-dropped", "indicator-added", "weight-changed",
                                          "approved-target-missing"}
    [scored] = perfxl.score(filled)
    assert (scored.computed_total, scored.stated_total) == (100, 100)


def test_a_blank_self_evaluation_template_reads_back_as_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["template", "--kind", "self-evaluation", "-o", str(tmp_path / "空白.xlsx")])
    assert result.exit_code == 0, result.output
    [table] = perfxl.extract(tmp_path / "空白.xlsx").tables
    assert table.stage == "self-evaluation" and table.indicators == ()


def test_the_seed_targets_carry_into_self_evaluations(tmp_path: Path) -> None:
    """Every project table of the seed becomes a self-evaluation sheet whose targets read back as
    the approved ones."""
    from tests.conftest import SEED

    result = perfxl.template("self-evaluation", tmp_path / "自评.xlsx", source=SEED)
    approved = [t for t in perfxl.extract(SEED).tables if t.indicators]
    carried = perfxl.extract(result.path).tables
    assert len(carried) == len(approved) and all(t.stage == "self-evaluation" for t in carried)
    for was, now in zip(approved, carried, strict=True):
        assert [(i.level3, i.operator, i.value, i.unit, i.target_text) for i in now.indicators] == \
            [(i.level3, i.operator, i.value, i.unit, i.target_text) for i in was.indicators]


def test_targets_can_be_last_rounds_summaries(tmp_path: Path) -> None:
    """--targets may point at the unit books perfxl wrote for the year's target submissions."""
    box = tmp_path / "目标收件箱" / "某县就业服务中心"
    box.mkdir(parents=True)
    _approved(box / "申报表.xlsx")
    perfxl.consolidate(tmp_path / "目标收件箱", tmp_path / "目标汇总", jobs=1)
    form = Form(weight="权重")
    form.rows[0][3] = "≥80人次"
    form.write(tmp_path / "自评表.xlsx")
    from_summary = {(p.code, p.cell) for p in perfxl.check([tmp_path / "自评表.xlsx"],
                                                          targets=[tmp_path / "目标汇总"]).problems}
    from_submission = {(p.code, p.cell) for p in perfxl.check([tmp_path / "自评表.xlsx"],
                                                             targets=[box / "申报表.xlsx"]).problems}
    assert ("target-lowered", "D11") in from_summary
    changes = {"target-lowered", "target-operator-changed", "indicator-dropped", "indicator-added", "weight-changed"}
    assert {x for x in from_summary if x[0] in changes} == {x for x in from_submission if x[0] in changes}


def test_annotated_copies_mark_the_self_evaluation_findings(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    form = Form()
    form.rows[2][6] = 12  # 得分 above its 分值
    path = form.write(tmp_path / "自评.xlsx")
    [copy] = perfxl.annotate(perfxl.check([path]), tmp_path / "批注")
    cell = load_workbook(copy)["自评表"]["G13"]
    assert cell.comment is not None and "score-above-weight" in cell.comment.text
