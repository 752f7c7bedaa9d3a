"""Bad input never gives a traceback: exit 2 with one clear ``unreadable`` problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfxl import extract
from perfxl.cli import main

from .conftest import make_workbook


def _good(tmp_path: Path) -> Path:
    return make_workbook(tmp_path / "good.xlsx", {"B2": "一级指标", "C2": "二级指标", "D2": "三级指标",
                                                  "B3": "产出指标", "C3": "数量指标", "D3": "户数"})


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "没有这个文件.xlsx"


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    return path


def _truncated(tmp_path: Path) -> Path:
    data = _good(tmp_path).read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.xlsx"
    path.write_text("这是一个文本文件，不是表格\n", encoding="utf-8")
    return path


def _encrypted(tmp_path: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    path = tmp_path / "locked.xlsx"
    with open(_good(tmp_path), "rb") as src, open(path, "wb") as out:
        OOXMLFile(src).encrypt("1234", out)
    return path


def _zip_not_excel(tmp_path: Path) -> Path:
    base = tmp_path / "doc"
    base.mkdir()
    (base / "word.txt").write_text("x")
    archive = shutil.make_archive(str(tmp_path / "doc"), "zip", base)
    path = tmp_path / "doc.xlsx"
    Path(archive).rename(path)
    return path


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "folder.xlsx"
    path.mkdir()
    return path


BAD = {
    "missing": (_missing, "不存在"), "empty": (_empty, "0 字节"), "truncated": (_truncated, "损坏"),
    "text": (_text, "不是 Excel"), "encrypted": (_encrypted, "密码"),
    "zip-not-excel": (_zip_not_excel, "没有 Excel"), "directory": (_directory, "文件夹"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_unreadable_gives_exit_2_and_one_problem(tmp_path: Path, case: str) -> None:
    make, words = BAD[case]
    path = make(tmp_path)
    result = CliRunner().invoke(main, ["extract", str(path), "--json"])
    assert result.exit_code == 2, result.output
    data = json.loads(result.output)
    assert data["tables"] == [] and len(data["problems"]) == 1
    problem = data["problems"][0]
    assert problem["code"] == "unreadable" and problem["severity"] == "error"
    assert words in problem["message"]
    assert data == extract(str(path)).to_dict()


@pytest.mark.parametrize("case", sorted(BAD))
def test_unreadable_text_output_is_chinese_without_traceback(tmp_path: Path, case: str) -> None:
    result = CliRunner().invoke(main, ["extract", str(BAD[case][0](tmp_path))])
    assert result.exit_code == 2
    assert "无法读取" in result.output and "Traceback" not in result.output


def test_workbook_without_tables_says_so(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "other.xlsx", {"A1": "工资表", "B2": 1200})
    result = extract(path)
    assert result.tables == ()
    assert [p.code for p in result.problems] == ["no-table-found"]
    assert result.exit_code == 0


def test_empty_workbook_and_empty_extra_sheets(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.create_sheet("空白")
    wb.save(tmp_path / "blank.xlsx")
    result = extract(tmp_path / "blank.xlsx")
    assert result.tables == () and result.exit_code == 0
