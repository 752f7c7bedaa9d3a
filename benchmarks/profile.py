"""Where a consolidation's time goes, in every process: py-spy samples the run and its readers
and writers, and each sample is put under the stage its stack is in.

    python benchmarks/profile.py                    # the 1,000 benchmark workbooks (make bench builds them)
    python benchmarks/profile.py INBOX --rate 500   # another inbox, more samples a second

Prints CPU seconds (active samples / rate) and shares per process kind and stage. The numbers
count a thread as busy while it runs or waits for a core, so on a loaded machine they grow with
the load; the shares stay comparable. py-spy (``pip install py-spy``) must be on the PATH or
beside this Python; the run reads without the rerun cache (``--no-cache``).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (process kind, stage, frames any of which puts a sample there), tried in order on each stack
STAGES: list[tuple[str, str, tuple[str, ...]]] = [
    ("读取进程", "解包、检查部件、calamine", ("read_workbook (",)),
    ("读取进程", "找表与解析", ("extract_sheets (", "extract (perfxl/tables")),
    ("读取进程", "逐文件规则", ("file_rules (",)),
    ("读取进程", "读文件、sha256、进程间传递", ("_read_here (", "read_chunk (")),
    ("写出进程", "构造各表的行", ("book_contents (", "submission_sheet (", "change_sheets (")),
    ("写出进程", "指纹", ("book_fingerprint (",)),
    ("写出进程", "xlsxwriter 写出", ("write_book (",)),
    ("写出进程", "其他", ("_make_book_of (", "make_book (")),
    ("主进程", "pandera 校验（含导入 pandas、pandera）", ("schema_findings (",)),
    ("主进程", "汇集、分单位与跨文件检查", ("_gather (",)),
    ("主进程", "保存重跑缓存", ("ReadCache.save (", "ReadCache.keep_run (", "keep_run (", "settle_books (")),
    ("主进程", "报送情况与状态", ("add_submissions (", "write_status (", "fingerprint (perfxl/batch/status")),
    ("主进程", "分派写出", ("write_summaries (",)),
    ("主进程", "收集读取结果", ("read_all (", "isolated_map (")),
    ("主进程", "扫描收件箱", ("scan_inbox (",)),
    ("主进程", "启动与导入", ("_find_and_load",)),
    ("工作进程", "启动、取任务、传结果", ("_process_worker (", "worker_process (", "_bootstrap (")),
]


def stage_of(stack: str) -> tuple[str, str]:
    for kind, stage, frames in STAGES:
        if any(frame in stack for frame in frames):
            if kind == "写出进程" and "_make_book_of (" not in stack:
                kind = "主进程"  # the 全部单位 book is made by the main process itself
                stage = f"全部单位：{stage}"
            return kind, stage
    return "其他", "其他"


def py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("找不到 py-spy：请先 pip install py-spy")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inbox", nargs="?", default=str(HERE / ".corpus" / "1000"))
    parser.add_argument("--rate", type=int, default=250, help="samples a second")
    parser.add_argument("--verbose", action="store_true", help="also the stacks put under 其他")
    args = parser.parse_args()
    perfxl = str(Path(sys.executable).parent / "perfxl")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "samples.txt"
        subprocess.run([py_spy(), "record", "--subprocesses", "--nonblocking", "-r", str(args.rate), "-f", "raw",
                        "-o", str(raw), "--", perfxl, "consolidate", args.inbox, "-o", f"{tmp}/out", "--quiet",
                        "--no-cache"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        counts: collections.Counter[tuple[str, str]] = collections.Counter()
        other: collections.Counter[str] = collections.Counter()
        for line in raw.read_text("utf-8", "replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if count.isdigit():
                counts[stage_of(stack)] += int(count)
                if stage_of(stack) == ("其他", "其他"):
                    other[";".join(stack.split(";")[-3:])] += int(count)
    total = sum(counts.values()) or 1
    by_kind: collections.Counter[str] = collections.Counter()
    for (kind, _), samples in counts.items():
        by_kind[kind] += samples
    print(f"共 {total / args.rate:.2f} s（CPU，各进程合计）")
    for kind, samples in by_kind.most_common():
        print(f"{kind:<6} {samples / args.rate:7.2f} s  {100 * samples / total:5.1f} %")
        for (k, stage), m in counts.most_common():
            if k == kind:
                print(f"    {stage:<32} {m / args.rate:7.2f} s  {100 * m / total:5.1f} %")
    if args.verbose:
        for stack, samples in other.most_common(15):
            print(f"  其他 {samples:6}  {stack}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
