"""The ``perfxl`` command. Each sub-command is one call into the library function of the same
name (reached through ``perfxl``'s lazy attributes, so ``--help`` loads no reader or writer);
``--json`` prints exactly what that function returns (as a dict)."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click

import perfxl

from ..errors import PerfxlError
from ..model import Problem
from ..read.file_names import printable
from ..read.limits import Limits, parse_limits
from .click_chinese import display_width
from .click_chinese import install as _chinese_click
from .crash import INTERNAL_ERROR, TERMINATED, Terminated, stop_on_sigterm, write_log
from .terminal import never_unencodable, shown, shown_json

_chinese_click()


def _echo(text: str = "", err: bool = False) -> None:
    """Print, with undecodable file names made readable (see ``read.file_names``) and control
    characters shown escaped (see ``terminal``)."""
    click.echo(shown(printable(text)), err=err)


def _fail(exc: PerfxlError) -> NoReturn:
    """The run could not happen: say why in Chinese and exit 2."""
    _echo(f"错误：{exc}", err=True)
    sys.exit(2)


@contextlib.contextmanager
def _cannot_continue() -> Iterator[None]:
    """A PerfxlError raised inside becomes its message on stderr and exit code 2."""
    try:
        yield
    except PerfxlError as exc:
        _fail(exc)


def _print_json(data: Any) -> None:
    click.echo(shown_json(printable(json.dumps(data, ensure_ascii=False, indent=2))))


_HELP = "显示本说明并退出。"
_TARGETS_HELP = "本年度批复的绩效目标表所在的文件夹（或文件）：自评表中的目标逐项与之比对。"
_LABELS_HELP = ("在内置标签词表之外再加一份词表（TOML，格式同 perfxl/tables/labels.toml），"
                "用来认出本地表格的其他写法。")
_LIMIT_HELP = ("放宽读取上限，可重复，如 --limit cells=5000000。可用：file_mb=50（文件大小）、"
               "part_mb=64（解压后单个部件）、cells=1000000（每表单元格范围）、cell_chars=32767（单元格字数）、"
               "merges=5000（每表合并单元格数）、total_mb=256（每个工作簿解压后合计）、sheets=200（每个工作簿的工作表数）、"
               "book_cells=5000000（每个工作簿各表范围合计）、seconds=60（读取每个文件的时限）、"
               "memory_mb=2048（读取每个文件可用的内存）。")


def own_argument(path: str) -> str:
    """A file the user named: a link is followed once, as check and consolidate do (the file it
    points at is then opened without following anything)."""
    return os.path.realpath(path) if os.path.islink(path) else path


def _limits(items: tuple[str, ...]) -> Limits:
    with _cannot_continue():
        return parse_limits(items)


class _Group(click.Group):
    """Ctrl-C ends a command with a Chinese message and exit code 130 (SIGTERM: 143), not a
    traceback; every output is written atomically, so nothing half-written is left behind. A
    fault of perfxl itself is exit code 3, its traceback in a log file (see ``crash``)."""

    def invoke(self, ctx: click.Context) -> Any:
        never_unencodable()
        stop_on_sigterm()
        try:
            return super().invoke(ctx)
        except Terminated:
            _echo("已终止：没有写出不完整的文件，原有的输出保持不变。", err=True)
            sys.exit(TERMINATED)
        except KeyboardInterrupt:
            _echo("已中断：没有写出不完整的文件，原有的输出保持不变。", err=True)
            sys.exit(130)
        except BrokenPipeError:  # the reader of the output went away (| head): no fault of perfxl's
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            log = write_log(exc, ctx.meta.get(_LOG_DIR))
            _echo(f"perfxl 内部错误（{type(exc).__name__}）：这是 perfxl 自身的问题，不是填报数据的问题；"
                  f"详细信息已写入 {log}，请把该文件交给维护人员。", err=True)
            sys.exit(INTERNAL_ERROR)
        finally:
            # the process ends next: what a command leaves alive (a whole run's objects) would
            # otherwise be traversed again by the collector's passes at interpreter exit
            gc.freeze()


_LOG_DIR = "perfxl.log_dir"  # in the click context's meta: the output folder, for a crash log


def _log_to(folder: str | None) -> None:
    if folder is not None:
        click.get_current_context().meta[_LOG_DIR] = folder


@click.group(cls=_Group, options_metavar="[选项]", subcommand_metavar="命令 [参数]...",
             context_settings={"max_content_width": 120})
@click.help_option("-h", "--help", help=_HELP)
@click.version_option(package_name="perfxl", message="perfxl %(version)s", help="显示版本号并退出。")
def main() -> None:
    """perfxl：读取、检查、汇总预算绩效目标表（预算项目绩效表、部门整体支出绩效指标表）。

    \b
    常用命令：
      perfxl consolidate
          汇总 workbooks/inbox 到 workbooks/out
      perfxl extract 绩效表.xlsx
          读出一个工作簿里的所有表
      perfxl check workbooks/inbox
          检查文件夹里的所有工作簿，列出每个问题所在的单元格
      perfxl check 绩效表.xlsx --annotate 批注
          另存一份标出问题单元格的副本
      perfxl check 自评表 --targets 目标表
          自评表中的目标与批复的目标逐项比对
      perfxl score 自评表.xlsx
          按评分规则为自评表重新计分
      perfxl template --kind department
          生成一份空白的部门整体支出绩效指标模板
      perfxl template --from 去年.xlsx
          用去年报送的表预填今年的模板
      perfxl status
          各单位的报送情况（上次汇总的结果，不重新读取）
      perfxl watch 收件箱 -o 汇总
          有文件新增或改动就重新汇总

    每个命令都可以加 --help 查看说明和示例。
    """


@main.command(options_metavar="[选项]", short_help="读出一个工作簿里的全部绩效表")
@click.help_option("-h", "--help", help=_HELP)
@click.argument("path", metavar="文件")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（格式见 extract 契约）。")
@click.option("--limit", "limit", multiple=True, metavar="名称=N", help=_LIMIT_HELP)
@click.option("--labels", "labels_file", default=None, metavar="词表文件", help=_LABELS_HELP)
def extract(path: str, as_json: bool, limit: tuple[str, ...], labels_file: str | None) -> None:
    """读取一个工作簿（.xlsx / .xlsm / .xls），按标签找出其中每张绩效表并整理成结构化数据。

    \b
    示例：
      perfxl extract 收件箱/某局/项目绩效表.xlsx
      perfxl extract 绩效表.xls --json > 结果.json

    退出码：0 = 读取成功且没有错误；1 = 读取成功但数据有错误；2 = 文件无法作为工作簿读取（不存在、损坏、
    加密或不是表格文件）；3 = perfxl 自身出错（详情在提示的日志文件里）。"""
    limits = _limits(limit)
    with _cannot_continue():
        result = perfxl.extract(own_argument(path), limits=limits, labels=labels_file)
    if as_json:
        _print_json(result.to_dict())
    else:
        _print_extract_summary(result)
    sys.exit(result.exit_code)


def _print_extract_summary(result: perfxl.ExtractResult) -> None:
    _echo(f"文件：{result.source}")
    if not result.readable:
        _echo(f"无法读取：{result.problems[0].message}")
        return
    _echo(f"找到 {len(result.tables)} 张表。")
    for i, table in enumerate(result.tables, start=1):
        kind = _KIND_NAMES[(table.kind, table.stage)]
        name = table.project_name or table.department or ""
        code = f"（{table.project_code}）" if table.project_code else ""
        _echo(f"  {i}. [{table.sheet}!{table.anchor}] {kind} {name}{code}："
              f"{len(table.indicators)} 个三级指标，{len(table.goals)} 个绩效目标")
        if details := _table_details(table):
            _echo(f"     {details}")
    _print_problems(result.problems)


_KIND_NAMES = {("project", "target"): "预算项目绩效表", ("department", "target"): "部门整体支出绩效指标表",
               ("project", "self-evaluation"): "项目支出绩效自评表",
               ("department", "self-evaluation"): "部门整体支出绩效自评表"}


def _table_details(table: perfxl.Table) -> str:
    """A table's v2 facts in one line: year, 主管部门, 实施单位, weights, actuals and scores."""
    parts = []
    if table.year:
        parts.append(f"{table.year} 年度")
    if table.supervisor:
        parts.append(f"主管部门：{table.supervisor}")
    if table.implementer:
        parts.append(f"实施单位：{table.implementer}")
    if table.amount is not None and table.funds:
        parts.append(f"资金 {table.amount:g} 万元")
    weights = [i.weight for i in table.indicators if i.weight is not None]
    if weights:
        parts.append(f"权重/分值合计 {sum(weights):g}")
    if table.stage == "self-evaluation":
        actual = sum(i.actual is not None for i in table.indicators)
        scores = [i.score for i in table.indicators if i.score is not None]
        parts.append(f"{actual} 个指标有实际完成值" + (f"，得分合计 {sum(scores):g}" if scores else ""))
    return " · ".join(parts)


def _print_problems(problems: tuple[Problem, ...]) -> None:
    if not problems:
        _echo("未发现问题。")
        return
    _echo(f"发现 {len(problems)} 个问题：")
    for p in problems:
        _echo(_problem_line(p))


def _problem_line(p: Problem) -> str:
    where = "!".join(x for x in (p.sheet, p.cell) if x)
    return f"  [{p.severity.label}] {where} {p.message}（{p.code}）"


@main.command(options_metavar="[选项]", short_help="检查工作簿，一次列出全部问题")
@click.help_option("-h", "--help", help=_HELP)
@click.argument("paths", nargs=-1, required=True, metavar="文件或文件夹...")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部问题。")
@click.option("--rules", "rules_file", metavar="规则文件",
              help="使用另一份审核规则文件（TOML，格式同 perfxl/review/rules.toml）。")
@click.option("--annotate", "annotate_dir", metavar="输出文件夹",
              help="为每个工作簿在该文件夹另存一份副本：问题单元格标色并附批注，另加“问题清单”工作表。原文件不会被修改。")
@click.option("--limit", "limit", multiple=True, metavar="名称=N", help=_LIMIT_HELP)
@click.option("--labels", "labels_file", default=None, metavar="词表文件", help=_LABELS_HELP)
@click.option("--targets", "targets", default=None, metavar="目标表文件夹", help=_TARGETS_HELP)
def check(paths: tuple[str, ...], as_json: bool, rules_file: str | None,
          annotate_dir: str | None, limit: tuple[str, ...], labels_file: str | None, targets: str | None) -> None:
    """按数据规范和审核规则检查工作簿，一次列出全部问题。

    规则见 perfxl/review/rules.toml（P1–P5、I1–I16），问题代码见 docs/rules.md。每个问题都指明文件、
    工作表和单元格，并说明如何修改。

    \b
    示例：
      perfxl check workbooks/inbox
      perfxl check 经发局绩效表.xlsx 招商局绩效表.xls --json
      perfxl check 收件箱 --rules 规则.toml --annotate 批注

    退出码：0 = 没有错误（可以有警告）；1 = 有错误；2 = 有文件无法读取，或用法有误；
    3 = perfxl 自身出错（详情在提示的日志文件里）。"""
    limits = _limits(limit)
    _log_to(annotate_dir)
    with _cannot_continue():
        result = perfxl.check(paths, rules=rules_file, limits=limits, labels=labels_file, targets=targets)
        annotated = perfxl.annotate(result, annotate_dir, limits=limits) if annotate_dir else None
    if as_json:
        _print_json(result.to_dict() if annotated is None else {**result.to_dict(), "annotate": annotated.to_dict()})
    else:
        _print_check_summary(result)
        for path in annotated or ():
            _echo(f"已写出批注副本：{path}")
        for p in annotated.problems if annotated is not None else ():  # also when no copy was made
            _echo(f"批注副本 {p.file}：{_problem_line(p).strip()}")
    sys.exit(result.exit_code)


def _print_check_summary(result: perfxl.CheckResult) -> None:
    if not result.results:
        _echo("没有找到要检查的工作簿（.xlsx / .xlsm / .xls）。")
        return
    by_file: dict[str, list[Any]] = {}
    for p in result.problems:
        by_file.setdefault(p.file or "", []).append(p)
    for r in result.results:
        _echo(f"文件：{r.source}（{len(r.tables)} 张表）")
        problems = by_file.get(r.source, [])
        if not problems:
            _echo("  未发现问题。")
        for p in problems:
            _echo(_problem_line(p))
    read = {r.source for r in result.results}
    for p in result.problems:
        if (p.file or "") not in read:  # lock files, links, other files passed over
            _echo(f"未读取：{p.file}")
            _echo(f"  [{p.severity.label}] {p.message}（{p.code}）")
    c = result.counts
    _echo(f"共检查 {len(result.results)} 个文件：错误 {c['error']} 个，警告 {c['warning']} 个。")


@main.command(options_metavar="[选项]", short_help="为自评表重新计分")
@click.help_option("-h", "--help", help=_HELP)
@click.argument("path", metavar="文件")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出每张自评表的评分。")
@click.option("--rules", "rules_file", default=None, metavar="规则文件",
              help="使用另一份规则文件（分值、定性档次、等级分数线在其 [scoring] 部分）。")
@click.option("--limit", "limit", multiple=True, metavar="名称=N", help=_LIMIT_HELP)
@click.option("--labels", "labels_file", default=None, metavar="词表文件", help=_LABELS_HELP)
def score(path: str, as_json: bool, rules_file: str | None, limit: tuple[str, ...], labels_file: str | None) -> None:
    """按评分规则（财预〔2020〕10号）为工作簿中的每张绩效自评表重新计分，与自评得分对照。

    定量指标：达到目标得满分，未达到按 实际÷目标（“≤”类为 目标÷实际）折算；
    定性指标：按实际完成情况的说法（达成 / 部分达成 / 未达成）最高得分值的 100% / 80% / 60%；
    预算执行率得分 = 执行率 × 分值。实际完成值是无法判断的文字时，如实说明，不作猜测。

    \b
    示例：
      perfxl score 2023年项目支出绩效自评表.xlsx
      perfxl score 自评表.xls --json

    退出码：0 = 已计分；2 = 文件无法读取或规则文件有误；3 = perfxl 自身出错（详情在提示的日志文件里）。"""
    limits = _limits(limit)
    with _cannot_continue():
        result = perfxl.extract(own_argument(path), limits=limits, labels=labels_file)
        scores = perfxl.score(result, rules=rules_file)
    if as_json:
        _print_json([s.to_dict() for s in scores])
    else:
        _print_scores(result, scores)
    sys.exit(2 if not result.readable else 0)


def _print_scores(result: perfxl.ExtractResult, scores: list[Any]) -> None:
    _echo(f"文件：{result.source}")
    if not result.readable:
        _echo(f"无法读取：{result.problems[0].message}")
        return
    if not scores:
        _echo("没有找到绩效自评表。")
    for s in scores:
        c = s.counts
        _echo(f"[{s.sheet}!{s.anchor}] {s.project_name or s.department or ''}")
        total = "—" if s.computed_total is None else f"{s.computed_total:g}（{s.computed_grade}）"
        stated = "—" if s.stated_total is None else f"{s.stated_total:g}"
        stated += f"（{s.stated_grade}）" if s.stated_grade else ""
        rate = "—" if s.execution_rate is None else f"{s.execution_rate:.1f}%"
        _echo(f"  自评总分 {stated} · 按规则计算 {total} · 预算执行率 {rate}")
        _echo(f"  指标：达成 {c['met']} 个，未达成 {c['not_met']} 个，无法自动判断 {c['not_judged']} 个")
        for i in s.indicators:
            if not i.judged or (i.stated is not None and i.computed is not None and i.stated > i.computed + 0.01):
                stated_i = "—" if i.stated is None else f"{i.stated:g}"
                rule_i = "—" if i.computed is None else f"{i.computed:g}"
                _echo(f"    {i.cell} {i.level3}：自评 {stated_i} 分，规则 {rule_i} 分（{i.note}）")


@main.command(options_metavar="[选项]", short_help="汇总收件箱，按单位写出汇总工作簿")
@click.help_option("-h", "--help", help=_HELP)
@click.argument("inbox", default="workbooks/inbox", metavar="[收件箱]")
@click.option("-o", "--out", "out_dir", default="workbooks/out", show_default=True, metavar="输出文件夹",
              help="汇总工作簿写到这里（不能在收件箱内）。")
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="并行读取的进程数，默认为 CPU 核数；文件少时自动串行。")
@click.option("--department", default=None, metavar="单位名称",
              help="表中没有单位名称、文件也不在单位子文件夹里时，归入这个单位。")
@click.option("--rules", "rules_file", default=None, metavar="规则文件", help="使用另一份审核规则文件。")
@click.option("--quiet", is_flag=True, help="不显示进度条。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出运行摘要。")
@click.option("--limit", "limit", multiple=True, metavar="名称=N", help=_LIMIT_HELP)
@click.option("--labels", "labels_file", default=None, metavar="词表文件", help=_LABELS_HELP)
@click.option("--targets", "targets", default=None, metavar="目标表文件夹", help=_TARGETS_HELP)
@click.option("--clean", is_flag=True, help="删除输出文件夹里本次没有写出的旧汇总（如单位已改名或不再报送）。")
@click.option("--roster", "roster", default=None, metavar="报送名单",
              help="应报送单位的名单（.xlsx / .xls / .csv，列：单位名称，可选 单位编码、简称、应报项目）；"
              "不指定时使用收件箱顶层名为“报送名单…”“单位名单…”的文件（它不作为报送文件读取）。")
@click.option("--previous", "previous", default=None, metavar="上年收件箱或汇总",
              help="上年的收件箱文件夹，或 perfxl 为上年写的“全部单位_绩效目标汇总.xlsx”：逐项目、逐指标与上年比较，"
              "写入“同比”工作表；目标降低（更容易达到）和取消的指标列入问题清单。")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="不使用输出文件夹里的缓存（.perfxl-cache）：全部文件重新读取，全部汇总重新写出。")
@click.option("--scheduler", default=None, metavar="tcp://主机:8786",
              help="在这个 dask 调度器的各台 worker 机器上读取和检查文件（需安装 perfxl[dask]；"
              "各机器须能以同一路径看到收件箱，见 docs/scaling.md）；跨文件检查和写出汇总仍在本机。")
def consolidate(inbox: str, out_dir: str, jobs: int | None, department: str | None,
                rules_file: str | None, quiet: bool, as_json: bool, limit: tuple[str, ...],
                labels_file: str | None, targets: str | None, clean: bool, roster: str | None,
                previous: str | None, no_cache: bool, scheduler: str | None) -> None:
    """汇总收件箱里的全部工作簿，检查后按单位写出汇总工作簿。

    收件箱里可按单位分子文件夹。为每个单位生成“<单位>_绩效目标汇总.xlsx”，另生成“全部单位_绩效目标汇总.xlsx”。

    每个汇总工作簿包含：报送情况（各单位 已报送 / 未报送 / 有错误 / 全部通过）、概览、项目汇总、绩效指标、
    部门整体指标、支出计划（含折线图）、问题清单（可点击打开原文件对应单元格）、来源文件；
    指定 --previous 时另有“同比”。收件箱只读不写；坏文件不会中断运行，会列在问题清单和来源文件中。
    再次运行时只重新读取改动过的文件、只重写内容有变化的汇总（缓存在输出文件夹的 .perfxl-cache 中；
    --no-cache 不用缓存）。

    \b
    示例：
      perfxl consolidate
      perfxl consolidate 收件箱 -o 汇总结果 --jobs 2
      perfxl consolidate 收件箱 --department 某局 --json
      perfxl consolidate 收件箱 --roster 名单.xlsx
      perfxl consolidate 收件箱 --previous 上年汇总
      perfxl consolidate /共享/收件箱 --scheduler tcp://10.0.0.1:8786

    退出码：0 = 没有错误；1 = 有错误级别的问题；2 = 无法运行（收件箱不存在、输出文件夹不可写等）；
    3 = perfxl 自身出错（详情在提示的日志文件里）。"""
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if quiet or total < 20:
            return
        if bar is None:
            from tqdm import tqdm  # 55 ms to import: only long runs show a bar

            bar = tqdm(total=total, unit="个文件", desc="读取", file=sys.stderr)
        bar.update(done - bar.n)

    limits = _limits(limit)
    _log_to(out_dir)
    try:
        with _cannot_continue():
            result = perfxl.consolidate(inbox, out_dir, jobs=jobs, department=department, rules=rules_file,
                                        progress=progress, limits=limits, labels=labels_file, targets=targets,
                                        clean=clean, roster=roster, previous=previous, cache=not no_cache,
                                        scheduler=scheduler)
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        _print_json(result.to_dict())
    else:
        d = result.to_dict()
        # as 概览 counts them: a lower level's summary is no file, the files it holds are
        rolled = d["files_rolled_up"]
        read = d["files"] - rolled - d["files_failed"] - d["files_skipped"]
        also = f"（另有 {rolled} 份下级的全部单位汇总表，其中的文件已计入）" if rolled else ""
        _echo(f"共 {d['files'] - rolled} 个文件{also}：读取 {read} 个，无法读取 {d['files_failed']} 个，"
              f"跳过 {d['files_skipped']} 个；{d['tables']} 张表，{d['indicators']} 个三级指标；"
              f"错误 {d['problems']['error']} 个，警告 {d['problems']['warning']} 个。详见各汇总的“问题清单”。")
        _print_submission_counts(result.submissions)
        kept = set(result.unchanged)
        for path in result.outputs:
            if path not in kept:
                _echo(f"已写出：{path}")
        if kept:
            _echo(f"另有 {len(kept)} 本汇总的内容与上次相同，保持原样（{os.path.dirname(result.unchanged[0])}）")
        for path in result.stale:
            _echo(f"已删除旧汇总：{path}" if result.cleaned else
                  f"旧汇总（本次没有这个单位）：{path}；确认不再需要可加 --clean 删除")
        if result.nothing_read:
            passed = "；".join(f"{s.relative}（{s.status_text}）" for s in result.sources[:10]) or "收件箱是空的"
            _echo(f"错误：收件箱里没有读到任何绩效表：{passed}；没有写出或删除任何汇总，原有汇总保持不变", err=True)
    sys.exit(result.exit_code)


def _print_submission_counts(rows: list[Any]) -> None:
    states = [s.state for s in rows]
    counts = "，".join(f"{state} {states.count(state)} 个" for state in _STATES if states.count(state))
    _echo(f"报送情况：{len(rows)} 个单位，{counts}。" if rows else "报送情况：没有单位。")


_STATES = ("全部通过", "已报送", "有错误", "未报送")


@main.command(options_metavar="[选项]", short_help="监视收件箱，有变化就重新汇总")
@click.help_option("-h", "--help", help=_HELP)
@click.argument("inbox", default="workbooks/inbox", metavar="[收件箱]")
@click.option("-o", "--out", "out_dir", default="workbooks/out", show_default=True, metavar="输出文件夹",
              help="汇总工作簿写到这里（不能在收件箱里）。")
@click.option("--settle", type=click.FloatRange(min=0), default=2.0, show_default=True, metavar="秒",
              help="文件停止变化多少秒后才汇总（复制大文件时可调大）。")
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N", help="并行读取的进程数。")
@click.option("--rules", "rules_file", default=None, metavar="规则文件", help="使用另一份审核规则文件。")
@click.option("--labels", "labels_file", default=None, metavar="词表文件", help=_LABELS_HELP)
@click.option("--roster", "roster", default=None, metavar="报送名单", help="应报送单位的名单。")
@click.option("--previous", "previous", default=None, metavar="上年收件箱或汇总", help="与上年比较（同比）。")
@click.option("--json", "as_json", is_flag=True, help="停止后以 JSON 输出每次汇总。")
def watch(inbox: str, out_dir: str, settle: float, jobs: int | None, rules_file: str | None,
          labels_file: str | None, roster: str | None, previous: str | None, as_json: bool) -> None:
    """监视收件箱：先汇总一次，之后每当有文件新增或改动就重新汇总，每次一行。

    文件复制完、不再变化（默认 2 秒）后才汇总，不会读到复制了一半的文件；Office/WPS 的锁定文件（~$…）、
    临时文件、隐藏文件和输出文件夹里的变化都不理会。按 Ctrl-C 停止。

    \b
    示例：
      perfxl watch 收件箱 -o 汇总结果
      perfxl watch 收件箱 -o 汇总 --settle 5

    退出码：0 = 已停止；2 = 无法开始（收件箱不存在、输出文件夹不可写、规则文件有误等）。"""
    def announce() -> None:  # once the inbox is there
        if not as_json:
            _echo(f"正在监视 {inbox}，汇总写到 {out_dir}；按 Ctrl-C 停止。")

    with _cannot_continue():
        runs = perfxl.watch(inbox, out_dir, settle=settle, report=None if as_json else lambda r: _echo(r.line),
                            started=announce,
                            jobs=jobs, rules=rules_file, labels=labels_file, roster=roster, previous=previous)
    if as_json:
        _print_json([r.to_dict() for r in runs])
    else:
        _echo(f"已停止监视，共汇总 {len(runs)} 次。")


@main.command(options_metavar="[选项]", short_help="显示各单位的报送情况")
@click.help_option("-h", "--help", help=_HELP)
@click.argument("inbox", default="workbooks/inbox", metavar="[收件箱]")
@click.option("-o", "--out", "out_dir", default="workbooks/out", show_default=True, metavar="输出文件夹",
              help="上次 consolidate 的输出文件夹。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报送情况。")
def status(inbox: str, out_dir: str, as_json: bool) -> None:
    """显示上次汇总时各单位的报送情况（已报送 / 未报送 / 有错误 / 全部通过），不重新读取工作簿。

    报送情况由 consolidate 写在输出文件夹里；收件箱之后有文件新增、修改或删除时，会提示重新汇总。

    \b
    示例：
      perfxl status
      perfxl status 收件箱 -o 汇总结果 --json

    退出码：0 = 报送情况是最新的；1 = 收件箱在上次汇总后有变化，请重新运行 consolidate；
    2 = 还没有汇总过（或收件箱不存在）。"""
    with _cannot_continue():
        result = perfxl.status(inbox, out_dir)
    if as_json:
        _print_json(result.to_dict())
    else:
        _print_status(result)
    sys.exit(result.exit_code)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _print_status(result: Any) -> None:
    roster = f"，报送名单：{result.roster}" if result.roster else "（没有报送名单）"
    _echo(f"收件箱：{result.inbox}，汇总于 {result.consolidated.replace('T', ' ')}{roster}")
    head = ["单位", "状态", "文件", "项目", "错误", "警告", "最近文件时间", "说明"]
    rows = [[s.unit, s.state, str(s.files), str(s.projects) + (f"/{s.expected}" if s.expected is not None else ""),
             str(s.errors), str(s.warnings), s.latest.replace("T", " "), s.note] for s in result.submissions]
    widths = [max(display_width(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
    for row in [head, *rows]:
        _echo(("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=False)) + "  " + row[-1]).rstrip())
    _print_submission_counts(result.submissions)
    if not result.current:
        parts = [f"{what} {len(names)} 个" for what, names in
                 (("新增", result.added), ("修改", result.changed), ("删除", result.removed)) if names]
        first = "、".join([*result.added, *result.changed, *result.removed][:5])
        _echo(f"注意：收件箱在上次汇总后有变化（{'，'.join(parts)}文件，如 {first}），以上报送情况已过时；"
              f"请重新运行 {result.rerun}", err=True)


@main.command(options_metavar="[选项]", short_help="生成绩效表模板")
@click.help_option("-h", "--help", help=_HELP)
@click.option("--kind", type=click.Choice(["project", "department", "self-evaluation"]), default="project",
              show_default=True, help="project = 预算项目绩效表；department = 部门整体支出绩效指标；"
              "self-evaluation = 项目支出绩效自评表（配合 --from 本年度批复的目标表，目标锁定不可改）。")
@click.option("-o", "--output", default=None, metavar="文件.xlsx",
              help="模板保存到这里；默认为当前文件夹下的“<表名>_模板.xlsx”。")
@click.option("--from", "source", default=None, metavar="去年的工作簿",
              help="用一份已填好的工作簿（如去年报送的表）预填模板：其中每张表各占一个工作表。")
@click.option("--rows", type=click.IntRange(min=1, max=500), default=20, show_default=True,
              metavar="N", help="预留的三级指标行数。")
@click.option("--rules", "rules_file", default=None, metavar="规则文件",
              help="下拉列表（一级、二级指标，符号，单位）取自这份规则文件，与 check 使用的相同。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出写出的文件和工作表。")
@click.option("--limit", "limit", multiple=True, metavar="名称=N", help=_LIMIT_HELP)
@click.option("--labels", "labels_file", default=None, metavar="词表文件", help=_LABELS_HELP)
def template(kind: str, output: str | None, source: str | None, rows: int,
             rules_file: str | None, as_json: bool, limit: tuple[str, ...], labels_file: str | None) -> None:
    """生成可直接下发填报的绩效表模板（.xlsx）。

    标签单元格锁定、填写单元格不锁定（工作表保护没有密码，需要时可在“审阅 → 撤消工作表保护”中取消）；
    一级指标、二级指标（随本行一级指标变化）、符号和单位有下拉列表；金额和支出进度只能填数字；
    每个填写单元格都有填写提示；按 A4 纵向打印。

    指标行不够时：在已有指标行之间插入行（下拉列表随之保留），或直接在表格下方接着填写，perfxl 都能读出。

    \b
    示例：
      perfxl template
      perfxl template --kind department -o 部门整体.xlsx
      perfxl template --from 去年.xlsx -o 今年.xlsx
      perfxl template --kind self-evaluation \\
          --from 批复目标.xlsx -o 自评表.xlsx

    退出码：0 = 已写出；2 = 无法写出（来源文件无法读取或没有绩效表、规则文件有误、输出位置不可写）；
    3 = perfxl 自身出错（详情在提示的日志文件里）。"""
    limits = _limits(limit)
    with _cannot_continue():
        result = perfxl.template(kind, output, source=source, rules=rules_file, rows=rows, limits=limits,
                                 labels=labels_file)
    if as_json:
        _print_json(result.to_dict())
        return
    _echo(f"已写出模板：{result.path}")
    for sheet in result.sheets:
        name = f"（{sheet['project_name']}）" if sheet["project_name"] else ""
        _echo(f"  工作表“{sheet['sheet']}”{name}：{sheet['indicator_rows']} 行指标")
    if result.problems:
        _print_problems(result.problems)


if __name__ == "__main__":  # pragma: no cover
    main()
