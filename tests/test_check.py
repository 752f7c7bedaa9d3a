"""``check``: the seed's real faults, planted faults at their cells, clean tables, CLI, rules file."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from perfxl import extract
from perfxl.cli import main
from perfxl.review.checking import check
from tests.fixtures.samples import build_workbook

from .conftest import GOLDEN, ROOT, load_specs, rules_with

SPECS = load_specs()


def test_seed_findings_match_the_reviewed_golden_list(tmp_path: Path) -> None:
    path = tmp_path / "seed.xlsx"
    build_workbook(path, SPECS, "seed")
    got = [{"cell": p.cell, "severity": p.severity, "code": p.code, "message": p.message}
           for p in check([path]).problems]
    assert got == json.loads((GOLDEN / "check_seed.json").read_text("utf-8"))


def test_seed_real_faults_are_caught(tmp_path: Path) -> None:
    path = tmp_path / "seed.xlsx"
    build_workbook(path, SPECS, "seed")
    problems = check([path]).problems
    codes = [p.code for p in problems]
    level2 = [p.message for p in problems if p.code == "level2-mismatch"]
    assert [m.split("”")[0].split("“")[1] for m in level2] == ["4", "3", "7", "12"]
    assert "indicator-name-missing" in codes
    assert "numeric-unit-missing" in codes  # 商务平台专线维护费 满意度 without unit
    assert sum("目标值 60" in p.message for p in problems) == 3
    assert any(p.code == "unit-is-sentence" and "服务对象满意度90%以上" in p.message for p in problems)


def _render(tmp_path: Path, table: dict[str, Any], name: str = "t.xlsx",
            funds: float | None = None) -> Path:
    spec = {"unit": "某局", "funds": funds, "table": table}
    path = tmp_path / name
    build_workbook(path, [spec], "per-sheet")
    return path


def _clean_table() -> dict[str, Any]:
    return copy.deepcopy(SPECS[1]["table"])  # 重点产业扶持资金: no findings at all


def test_clean_table_has_no_error(tmp_path: Path) -> None:
    result = check([_render(tmp_path, _clean_table(), funds=4000)])
    assert result.problems == () and result.exit_code == 0


def test_every_planted_fault_is_reported_at_its_cell(tmp_path: Path) -> None:
    t = _clean_table()
    t["project_code"] = "105-901-DPPC"
    t["spend_plan"] = {"3月底": 30.0, "6月底": 10.0, "10月底": 120.0, "12月底": 90.0}
    inds = t["indicators"]
    inds[0].update(level1="投入指标")
    inds[1].update(level2="效率指标", value=120.0)
    inds[2].update(target_text=None, basis=None)
    inds[3].update(value=None, level3=inds[1]["level3"])
    path = _render(tmp_path, t)
    [table] = extract(path).tables
    cells, ic = table.cells, [i.cells for i in table.indicators]
    hebei = rules_with(tmp_path, ("code_pattern = '^[0-9A-Za-z][0-9A-Za-z-]{3,39}$'",
                                  "code_pattern = '^\\d{3}-\\d{4}-[A-Z0-9]{3}-[A-Z0-9]{4}$'"))
    got = {(p.code, p.cell) for p in check([path], rules=hebei).problems}
    want = {
        ("project-code-pattern", cells["project_code"]),
        ("spend-plan-not-cumulative", cells["spend_plan.6月底"]),
        ("spend-plan-out-of-range", cells["spend_plan.10月底"]),
        ("spend-plan-not-cumulative", cells["spend_plan.12月底"]),
        ("spend-plan-not-complete", cells["spend_plan.12月底"]),
        ("level1-unknown", ic[0]["level1"]),
        ("level2-mismatch", ic[1]["level2"]),
        ("percent-out-of-range", ic[1]["value"]),
        ("text-target-missing", ic[2]["unit"]),
        ("basis-missing", ic[2]["basis"]),
        ("numeric-value-missing", ic[3]["value"]),
        ("duplicate-indicator", ic[3]["level3"]),
    }
    assert got == want


def test_percent_out_of_range_names_the_value_not_the_file(tmp_path: Path) -> None:
    t = _clean_table()
    t["indicators"][1].update(value=120.0)
    [found] = [p for p in check([_render(tmp_path, t)]).problems if p.code == "percent-out-of-range"]
    assert found.message == "指标值 120.0% 不在 0–100 之间；百分比指标请填 0 到 100 的数"


def test_missing_goals_name_and_qualitative_share(tmp_path: Path) -> None:
    t = _clean_table()
    t["goals"], t["project_name"] = [], None
    for ind in t["indicators"]:
        ind.update(operator="text", value=None, unit=None, target_text="按时完成")
    path = _render(tmp_path, t)
    [table] = extract(path).tables
    got = {(p.code, p.cell) for p in check([path]).problems}
    assert ("goals-missing", table.anchor) in got
    assert ("project-name-missing", table.cells["project_name"]) in got
    assert ("qualitative-share-high", table.anchor) in got


def test_cost_above_funds_and_number_in_text(tmp_path: Path) -> None:
    t = _clean_table()
    t["indicators"][1].update(level2="成本指标", operator="<=", value=5000.0, unit="万元")
    t["indicators"][0].update(target_text="至少扶持10家企业")
    path = _render(tmp_path, t, funds=4000)
    [table] = extract(path).tables
    got = {(p.code, p.cell, p.severity) for p in check([path]).problems}
    assert ("cost-above-funds", table.indicators[1].cells["value"], "warning") in got
    assert ("number-in-text-target", table.indicators[0].cells["unit"], "warning") in got


def test_duplicate_code_across_files_names_every_place(tmp_path: Path) -> None:
    a = _render(tmp_path, _clean_table(), "a.xlsx")
    b = _render(tmp_path, _clean_table(), "b.xlsx")
    dups = [p for p in check([tmp_path]).problems if p.code == "project-code-duplicate"]
    assert {p.file for p in dups} == {str(a), str(b)}
    assert all(str(a) in p.message and str(b) in p.message for p in dups)


def test_rules_file_changes_thresholds_and_severity(tmp_path: Path) -> None:
    custom = rules_with(tmp_path, ("satisfaction_min = 80", "satisfaction_min = 50"),
                        ('# "satisfaction-target" = "error"', '"no-quantity-indicator" = "info"'))
    path = tmp_path / "seed.xlsx"
    build_workbook(path, SPECS, "seed")
    codes = {(p.code, p.severity) for p in check([path], rules=str(custom)).problems}
    messages = [p.message for p in check([path], rules=str(custom)).problems]
    assert not any("目标值 60" in m for m in messages)
    assert ("no-quantity-indicator", "info") in codes


def test_cli_check_json_equals_library_and_exit_codes(tmp_path: Path) -> None:
    inbox = ROOT / "workbooks" / "inbox"
    result = CliRunner().invoke(main, ["check", str(inbox), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output) == check([str(inbox)]).to_dict()
    clean = _render(tmp_path, _clean_table())
    assert CliRunner().invoke(main, ["check", str(clean)]).exit_code == 0
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    out = CliRunner().invoke(main, ["check", str(clean), str(bad)])
    assert out.exit_code == 2 and "不是 Excel 工作簿" in out.output


@pytest.mark.parametrize("content", ["[project\n", "[project]\ncode_pattern = '('\n"])
def test_bad_rules_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text(content, "utf-8")
    out = CliRunner().invoke(main, ["check", str(ROOT / "workbooks" / "inbox"), "--rules", str(rules)])
    assert out.exit_code == 2 and "规则文件" in out.output and "Traceback" not in out.output


def test_check_text_output_groups_by_file_with_counts() -> None:
    out = CliRunner().invoke(main, ["check", str(ROOT / "workbooks" / "inbox")])
    assert sum(line.startswith("文件：") for line in out.output.splitlines()) == 6
    assert "共检查 6 个文件：错误 7 个，警告 15 个。" in out.output


@pytest.mark.parametrize(("change", "says"), [
    (("satisfaction_min = 80", "satisfaction_min = 八十"), "写法有误"),
    (("satisfaction_min = 80", 'satisfaction_min = "八十"'), "第 {line} 行的 [thresholds] satisfaction_min 应是数字"),
    (("satisfaction_min = 80", "satisfaction_minimum = 80"),
     "第 {line} 行的 [thresholds] 中的 satisfaction_minimum 不认识"),
    (("[words]", "[wordz]"), "第 {line} 行的 [wordz] 不是可用的部分"),
    (('# "satisfaction-target" = "error"', '"vague-words" = "严重"'), "vague-words（第 {line} 行） 的级别只能填"),
    (('# "satisfaction-target" = "error"', '"no-such-code" = "error"'),
     "no-such-code（第 {line} 行） 不是 perfxl 的问题代码"),
    (("code_pattern = '^[0-9A-Za-z][0-9A-Za-z-]{3,39}$'", ""), "缺少必填的 'code_pattern'"),
])
def test_a_bad_rules_file_is_a_chinese_error_naming_the_line_or_key(tmp_path: Path, change: tuple[str, str],
                                                                    says: str) -> None:
    bad = rules_with(tmp_path, change)
    lines = Path(bad).read_text("utf-8").splitlines()
    line = next((n for n, text in enumerate(lines, start=1) if change[1] and change[1] in text), 0)
    says = says.format(line=line)
    result = CliRunner().invoke(main, ["check", str(ROOT / "workbooks" / "inbox"), "--rules", str(bad)])
    assert result.exit_code == 2 and says in result.output.replace("\n", ""), result.output
    assert not any(word in result.output for word in ("Expected", "could not convert", "Traceback"))
