"""The ``perfxl`` command. Each sub-command is one call into the library function of the same
name; ``--json`` prints exactly what that function returns (as a dict)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .model import SEVERITY_LABEL


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="perfxl", message="perfxl %(version)s")
def main() -> None:
    """perfxl：读取、检查、汇总预算绩效目标表（预算项目绩效表、部门整体支出绩效指标表）。

    \b
    常用命令：
      perfxl extract 绩效表.xlsx          读出一个工作簿里的所有表
      perfxl extract 绩效表.xlsx --json   以 JSON 输出（供程序使用）

    每个命令都可以加 --help 查看说明和示例。
    """


@main.command()
@click.argument("path", metavar="文件")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（格式见 extract 契约）。")
def extract(path: str, as_json: bool) -> None:
    """读取一个工作簿（.xlsx / .xlsm / .xls），按标签找出其中每张绩效表并整理成结构化数据。

    \b
    示例：
      perfxl extract workbooks/inbox/承德高新区招商服务局/招商服务局项目绩效表.xlsx
      perfxl extract 绩效表.xls --json > 结果.json

    \b
    退出码：0 = 读取成功且没有错误；1 = 读取成功但数据有错误；
            2 = 文件无法作为工作簿读取（不存在、损坏、加密或不是表格文件）。
    """
    from .extraction import extract as run

    result = run(path)
    if as_json:
        _print_json(result.to_dict())
    else:
        _print_extract_summary(result)
    sys.exit(result.exit_code)


def _print_extract_summary(result: Any) -> None:
    click.echo(f"文件：{result.source}")
    if not result.readable:
        click.echo(f"无法读取：{result.problems[0].message}")
        return
    click.echo(f"找到 {len(result.tables)} 张表。")
    for i, table in enumerate(result.tables, start=1):
        kind = "预算项目绩效表" if table.kind == "project" else "部门整体支出绩效指标表"
        name = table.project_name or table.department or ""
        code = f"（{table.project_code}）" if table.project_code else ""
        click.echo(f"  {i}. [{table.sheet}!{table.anchor}] {kind} {name}{code}："
                   f"{len(table.indicators)} 个三级指标，{len(table.goals)} 个绩效目标")
    _print_problems(result.problems)


def _print_problems(problems: Any) -> None:
    if not problems:
        click.echo("未发现问题。")
        return
    click.echo(f"发现 {len(problems)} 个问题：")
    for p in problems:
        where = "!".join(x for x in (p.sheet, p.cell) if x)
        click.echo(f"  [{SEVERITY_LABEL.get(p.severity, p.severity)}] {where} {p.message}（{p.code}）")


if __name__ == "__main__":  # pragma: no cover
    main()
