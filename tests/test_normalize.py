"""Normalisation of free text, by example and by property (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfxl.tables.locate import is_title
from perfxl.tables.normalize import (
    OPERATORS,
    clean_text,
    label_key,
    name_text,
    normalize_operator,
    normalize_unit,
    parse_number,
    split_target,
)
from perfxl.tables.vocabulary import default_vocabulary

SPACES = st.sampled_from(["", " ", "\u3000", "\u00a0", "\t", "\n", "  \u3000"])


@pytest.mark.parametrize("raw, want", [
    (">=", ">="), ("≥", ">="), (">＝", ">="), ("＞＝", ">="), ("≤", "<="), ("<＝", "<="),
    ("＜＝", "<="), ("＝", "="), ("＞", ">"), ("＜", "<"), ("文字描述", "text"), ("定性", "text"),
    (" ≥ ", ">="), ("\u3000文字描述\u3000", "text"), ("", None), ("约", None), (None, None),
])
def test_operator_spellings(raw: str | None, want: str | None) -> None:
    assert normalize_operator(raw) == want


@pytest.mark.parametrize("raw, want", [
    ("80.00", 80.0), ("00.00", 0.0), ("3", 3.0), (" 95 ", 95.0), ("1,000", 1000.0),
    ("８０", 80.0), ("80%", 80.0), (11000, 11000.0), (0.5, 0.5), ("约100", None), ("", None),
    (True, None), (float("nan"), None), ("1e400", None),
])
def test_numbers_typed_as_text(raw: object, want: float | None) -> None:
    assert parse_number(raw) == want


@pytest.mark.parametrize("raw, want", [
    ("%", "%"), ("％", "%"), ("百分比", "%"), ("百分率", "%"), ("\n百分比", "%"), ("个", "个"),
    ("服务对象满意度90%以上", "服务对象满意度90%以上"), ("　", None),
])
def test_units(raw: str, want: str | None) -> None:
    assert normalize_unit(raw) == want


def test_split_target_in_one_cell() -> None:
    assert split_target("≥80%") == (">=", 80.0, "%")
    assert split_target(">= 95 百分比") == (">=", 95.0, "%")
    assert split_target("3个") == (None, 3.0, "个")
    assert split_target("及时支付") == (None, None, None)


@pytest.mark.parametrize("raw, field", [
    ("项 目 编 码", "project_code"), ("项目名称：", "project_name"), ("项目名称:", "project_name"),
    ("资金支出计划（累计进度%）", "spend_plan"), ("资金支出计划(累计进度%)", "spend_plan"),
    ("（一）绩效目标", None), ("其中：财政拨款", "funds_line"), ("*项目名称", "project_name"),
    ("项目\n名称", "project_name"), ("专项资金名称", "project_name"), ("业务主管部门：", "supervisor"),
    ("项目资金\n(万元)", "funds_block"), ("预算执行情况(10分)", "funds_block"), ("全年预算数(A)", "funds_column"),
    ("2.项目实施内容及过程概述", "field"), ("年度\n总体\n目标", "goals"),
])
def test_header_label_variants(raw: str, field: str | None) -> None:
    assert default_vocabulary().header(raw) == field


@pytest.mark.parametrize("raw, role", [
    ("指标值设定依据", "basis"), ("单位(文字描述)", "unit"), ("单位（文字描述）", "unit"), ("度量单位", "unit"),
    ("指标性质", "operator"), ("年度\n指标值", "target"), ("*指标值", "target"), ("实际\n完成值", "actual"),
    ("一级\n指标", "level1"), ("偏差原因分析及改进措施", "deviation"), ("指标权重", "weight"), ("指标", "name"),
    ("绩效指标", "name"),  # a 绩效指标 column names the indicators (merged over 一级…三级 it only frames them)
])
def test_column_label_variants(raw: str, role: str | None) -> None:
    assert default_vocabulary().column(raw) == role


def test_titles_are_told_from_labels() -> None:
    vocab = default_vocabulary()
    assert is_title("2023年项目支出绩效目标申报表", vocab) and is_title("预算项目绩效信息表", vocab)
    assert not is_title("项目名称", vocab) and not is_title("表十二", vocab)


@given(st.text(max_size=30), SPACES, SPACES)
def test_clean_text_strips_every_kind_of_space(text: str, before: str, after: str) -> None:
    cleaned = clean_text(before + text + after)
    assert cleaned == clean_text(text)
    if cleaned is not None:
        assert cleaned == cleaned.strip(" \u3000\u00a0\t\r\n") and cleaned


@given(st.text(max_size=20))
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@given(st.text(max_size=10), SPACES, SPACES)
def test_operator_is_always_known_or_none(text: str, before: str, after: str) -> None:
    op = normalize_operator(before + text + after)
    assert op is None or op in OPERATORS
    assert op == normalize_operator(text)


@given(st.sampled_from(["≥", ">=", "＞＝", ">＝", "≤", "<=", "＜＝", "=", "＝", ">", "＜", "文字描述"]),
       SPACES, SPACES)
def test_operator_spellings_survive_padding(op: str, before: str, after: str) -> None:
    assert normalize_operator(before + op + after) == normalize_operator(op) is not None


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False), st.sampled_from([0, 1, 2, 3]),
       SPACES)
def test_numbers_written_as_text_read_back(number: float, decimals: int, pad: str) -> None:
    text = f"{number:.{decimals}f}"
    assert math.isclose(parse_number(pad + text + pad) or 0.0, float(text), rel_tol=1e-12)


@given(st.text(max_size=12), SPACES)
def test_label_key_ignores_spacing_and_trailing_colons(label: str, pad: str) -> None:
    spaced = pad.join(label) + "："
    assert label_key(spaced) == label_key(label).rstrip(":：") or not label.strip()


@given(st.text(max_size=20), st.lists(st.sampled_from([" ", "\t", "\r", "\n", "\u3000", "\x0b"]), max_size=3))
def test_names_are_whole_whatever_space_staff_typed(text: str, gap: list[str]) -> None:
    """A name is idempotent, holds no control character and no run of spaces, and a Chinese
    character never has a space beside it, so "3月\t底" and "3月底" are one checkpoint."""
    name = name_text(text)
    assert name is None or (name_text(name) == name and name == name.strip())
    assert name is None or (not any(ch in name for ch in "\t\r\n\x0b\u3000") and "  " not in name)
    assert name_text("3月" + "".join(gap) + "底") == "3月底"
    assert name_text("Q1" + ("".join(gap) or " ") + "2024") == "Q1 2024"
