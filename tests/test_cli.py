"""The CLI is one call deep: its --json equals the library's dict; exit codes follow the contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfxl import extract
from perfxl.cli import main

from .conftest import ROOT

INBOX = ROOT / "workbooks" / "inbox"
FILES = sorted(p for p in INBOX.rglob("*") if p.suffix in (".xlsx", ".xls"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_extract_json_equals_library(path: Path) -> None:
    result = CliRunner().invoke(main, ["extract", str(path), "--json"])
    expected = extract(str(path))
    assert json.loads(result.output) == json.loads(json.dumps(expected.to_dict()))
    assert result.exit_code == expected.exit_code


def test_extract_summary_is_readable_chinese() -> None:
    path = INBOX / "承德高新区经济发展局" / "2020年部门整体及项目绩效目标.xlsx"
    result = CliRunner().invoke(main, ["extract", str(path)])
    assert result.exit_code == 1  # the 部门整体 table has a row holding only 文字描述
    assert "找到 3 张表" in result.output and "重点产业扶持资金" in result.output
    assert "三级指标名称为空" in result.output


@pytest.mark.parametrize("args", [["--help"], ["extract", "--help"]])
def test_help_explains_with_an_example(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    assert "示例" in result.output or "常用命令" in result.output


def test_console_script_runs_without_pandas() -> None:
    code = ("import sys; from perfxl.cli import main; sys.argv=['perfxl','extract','"
            + str(FILES[0]) + "','--json'];\ntry:\n main()\nexcept SystemExit: pass\n"
            "assert 'pandas' not in sys.modules and 'pandera' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tables"]


@pytest.mark.parametrize("args, words", [
    (["extract"], "缺少参数"), (["nonsense"], "没有这个命令"), (["check", "--bogus", "x"], "没有这个选项"),
    (["consolidate", "--jobs", "x"], "不是有效的整数"), (["template", "--kind", "foo"], "不是可选值"),
])
def test_usage_errors_are_chinese(args: list[str], words: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and words in result.output and "Error" not in result.output
    assert "用法" in result.output or "运行" in result.output or "错误" in result.output


def test_help_is_laid_out_by_display_width_without_breaking_words() -> None:
    from click.testing import CliRunner

    for command in ("consolidate", "check", "extract", "template", "score"):
        text = CliRunner().invoke(main, [command, "--help"], terminal_width=80).output
        lines = text.splitlines()
        assert "part_mb=64" in text.replace("\n", "") and not any(line.rstrip().endswith("pa") for line in lines)
        assert not any(line.strip().startswith(("。", "，", "）", "：")) for line in lines), command
        assert not any(line.rstrip().endswith("（") for line in lines), command


@pytest.mark.parametrize("width", [60, 80, 200])
def test_help_fits_narrow_and_uses_wide_terminals(width: int) -> None:
    """Every command listed with its whole short help; no line ends on an opening bracket; a wide
    terminal gets lines wider than 80 columns; paragraphs break after punctuation rather than
    inside a term wherever a mark lies near the line's end."""
    from perfxl.cli.click_chinese import display_width

    top = CliRunner().invoke(main, ["--help"], terminal_width=width).output
    listed = top[top.index("命令:"):].splitlines()[1:]
    assert len(listed) == 7 and not any("..." in line for line in listed), listed
    widest = 0
    for command in ("consolidate", "check", "extract", "template", "score", "status", "watch"):
        lines = CliRunner().invoke(main, [command, "--help"], terminal_width=width).output.splitlines()
        assert not any(line.rstrip().endswith(("[", "（", "(")) for line in lines), (command, width)
        assert "部门整体支出绩效指标\n表" not in "\n".join(lines)
        widest = max(widest, *(display_width(line) for line in lines))
        assert not any(display_width(line) > max(width, 80) + 8 for line in lines
                       if not line.lstrip().startswith("perfxl ")), (command, width)
    assert widest > 80 if width == 200 else widest <= width + 12


def test_output_cut_short_by_a_closed_pipe_is_no_internal_error(tmp_path: Path) -> None:
    """`perfxl check … | head`: the reader went away (here before anything was written); that is no
    fault of perfxl's (exit 141, no crash log)."""
    perfxl_bin = Path(sys.executable).parent / "perfxl"
    proc = subprocess.run(f"'{perfxl_bin}' check '{INBOX}' --json | true; echo ${{PIPESTATUS[0]}}", shell=True,
                          executable="/bin/bash", capture_output=True, text=True, cwd=tmp_path)
    assert proc.stdout.strip() == "141" and "内部错误" not in proc.stderr, proc.stderr
    assert not list(tmp_path.glob("perfxl-内部错误-*.log"))


def test_extract_and_check_follow_a_link_the_user_names_alike(tmp_path: Path) -> None:
    """A link given on the command line is the user's own argument: followed once by every command
    (a link met inside an inbox is never followed)."""
    link = tmp_path / "链接.xlsx"
    link.symlink_to(FILES[0])
    extracted = CliRunner().invoke(main, ["extract", str(link), "--json"])
    checked = CliRunner().invoke(main, ["check", str(link), "--json"])
    assert extracted.exit_code in (0, 1) and checked.exit_code in (0, 1), extracted.output
    assert json.loads(extracted.output)["tables"] and json.loads(checked.output)["files"][0]["tables"]
