"""What the reader cannot place it says, at the cell, once; ``check`` then blames no unit for it;
and a new label variant is one line in a labels file, never code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import perfxl
from perfxl.cli import main
from perfxl.errors import LabelsFileError
from perfxl.tables.vocabulary import load_vocabulary

from .conftest import make_workbook

HEAD = {"A1": "2023年项目支出绩效目标申报表", "A2": "项目名称", "B2": "乡村道路养护",
        "A3": "主管部门", "B3": "某县交通局"}


def _form(tmp_path: Path, extra: dict[str, Any], header: dict[str, Any] | None = None) -> Path:
    cells = {**HEAD, "A5": "一级指标", "B5": "二级指标", "C5": "三级指标", "D5": "指标值",
             "A6": "产出指标", "B6": "数量指标", "C6": "养护里程", "D6": "≥20公里",
             "A7": "满意度指标", "B7": "服务对象满意度指标", "C7": "群众满意度", "D7": "≥90%"}
    cells.update(header or {})
    cells.update(extra)
    return make_workbook(tmp_path / "form.xlsx", {k: v for k, v in cells.items() if v is not None})


def _codes(path: Path, **kwargs: Any) -> dict[str, list[str | None]]:
    out: dict[str, list[str | None]] = {}
    for p in perfxl.extract(path, **kwargs).problems:
        out.setdefault(p.code, []).append(p.cell)
    return out


def test_an_unknown_header_label_is_kept_and_reported_at_its_cell(tmp_path: Path) -> None:
    path = _form(tmp_path, {"A4": "项目全称说明", "B4": "县乡道日常养护"})
    [table] = perfxl.extract(path).tables
    assert table.fields["项目全称说明"] == {"value": "县乡道日常养护", "cell": "B4"}
    assert _codes(path)["header-label-unknown"] == ["A4"]


def test_one_line_in_a_labels_file_makes_a_new_variant_known(tmp_path: Path) -> None:
    path = _form(tmp_path, {"A2": "项目全称", "A4": "项目负责单位", "B4": "县公路站"})
    assert perfxl.extract(path).tables[0].project_name is None
    labels = tmp_path / "词表.toml"
    labels.write_text('[header]\nproject_name = ["项目全称"]\nimplementer = ["项目负责单位"]\n', "utf-8")
    [table] = perfxl.extract(path, labels=labels).tables
    assert (table.project_name, table.implementer) == ("乡村道路养护", "县公路站")
    assert "header-label-unknown" not in _codes(path, labels=labels)
    assert perfxl.check([path], labels=labels).problems == perfxl.check([path], labels=load_vocabulary(labels)).problems


def test_an_unknown_indicator_column_goes_to_extra_and_is_reported(tmp_path: Path) -> None:
    path = _form(tmp_path, {"E5": "考核口径", "E6": "以验收为准"})
    [table] = perfxl.extract(path).tables
    assert table.indicators[0].extra == {"考核口径": "以验收为准"}
    assert _codes(path)["column-unknown"] == ["E5"]


def test_a_target_with_a_sign_and_no_number_is_not_guessed(tmp_path: Path) -> None:
    path = _form(tmp_path, {"D6": "≥较高水平"})
    first = perfxl.extract(path).tables[0].indicators[0]
    assert (first.operator, first.value, first.target_text) == (None, None, None)
    assert _codes(path)["target-unsplit"] == ["D6"]
    codes = {(p.code, p.cell) for p in perfxl.check([path]).problems}
    assert not {c for c, cell in codes if cell == "D6"} & {"target-missing", "operator-missing"}


def test_a_block_without_a_target_column_is_said_once_and_blamed_on_nobody(tmp_path: Path) -> None:
    path = _form(tmp_path, {"D5": "权重", "D6": 50, "D7": 50})
    assert _codes(path)["target-column-missing"] == ["A5"]
    codes = {p.code for p in perfxl.check([path]).problems}
    assert not codes & {"target-missing", "operator-missing", "numeric-value-missing"}


def test_goals_that_cannot_be_found_are_the_readers_doubt_not_the_units_fault(tmp_path: Path) -> None:
    path = _form(tmp_path, {"A4": "年度目标"})  # nothing right of it, the indicator header below it
    assert _codes(path)["goals-unread"] == ["A4"]
    assert "goals-missing" not in {p.code for p in perfxl.check([path]).problems}


def test_a_stamp_placeholder_is_no_unit_and_a_starred_label_is_a_label(tmp_path: Path) -> None:
    path = _form(tmp_path, {"A1": "填报单位：（盖章）", "A2": "*项目名称"})
    [table] = perfxl.extract(path).tables
    assert table.department is None and table.project_name == "乡村道路养护"


@pytest.mark.parametrize(("text", "says"), [
    ("[header\n", "第 1 行第 8 列写法有误"),
    ('[header]\nproject_name = ["主管部门"]\n', "同时出现在"),
    ('[nonsense]\nx = ["y"]\n', "第 1 行的 [nonsense] 不是可用的部分"),
    ('[header]\n\nproject_name = "项目"\n', "第 3 行的 [header] project_name 应是一组非空文字"),
])
def test_a_bad_labels_file_is_a_chinese_error(tmp_path: Path, text: str, says: str) -> None:
    labels = tmp_path / "词表.toml"
    labels.write_text(text, "utf-8")
    with pytest.raises(LabelsFileError, match=re.escape(says)):
        load_vocabulary(labels)
    result = CliRunner().invoke(main, ["extract", str(_form(tmp_path, {})), "--labels", str(labels)])
    assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output


def test_every_command_that_reads_takes_labels(tmp_path: Path) -> None:
    labels = tmp_path / "词表.toml"
    labels.write_text('[header]\nproject_name = ["项目全称"]\n', "utf-8")
    path = _form(tmp_path, {"A2": "项目全称"})
    box = tmp_path / "inbox"
    box.mkdir()
    path.rename(box / "form.xlsx")
    runner = CliRunner()
    for args in (["extract", str(box / "form.xlsx")], ["check", str(box)],
                 ["consolidate", str(box), "-o", str(tmp_path / "out"), "--quiet"],
                 ["template", "--from", str(box / "form.xlsx"), "-o", str(tmp_path / "t.xlsx")]):
        result = runner.invoke(main, [*args, "--labels", str(labels)])
        assert result.exit_code in (0, 1), (args, result.output)
    assert perfxl.consolidate(box, write=False, labels=labels).results[0].tables[0].project_name == "乡村道路养护"


def test_the_old_first_level_form_is_accepted(tmp_path: Path) -> None:
    """满意度 as a 二级 under 效益指标 (older forms): neither a mismatch nor a missing 满意度指标."""
    path = _form(tmp_path, {"A7": "效益指标"})
    codes = {p.code for p in perfxl.check([path]).problems}
    assert not codes & {"level2-mismatch", "no-satisfaction-indicator"}
