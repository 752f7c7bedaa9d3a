"""perfxl's speed targets (issue 16), measured side by side in one run on this machine.

    python benchmarks/run.py            # 1,000 and 10,000 workbooks (first run generates the corpus)
    python benchmarks/run.py --quick    # 1,000 workbooks only, fewer rounds
    python benchmarks/run.py --huge     # also 100,000 workbooks (the corpus takes long to build)

perfxl is measured against a strong peer (benchmarks/strong_peer.py: python-calamine with merged
ranges filled, a label scan, one table, xlsxwriter constant_memory, two processes) and two floors
(calamine values only; unzip + inflate), all run interleaved, round after round, and compared by
their medians: wall time, CPU time of the whole process tree and its peak memory (PSS). The naive
openpyxl peer (benchmarks/peer.py) is shown per file for reference. Prints each target with its
ratio and whether it is met; exits 1 when a target is missed. Ratios are always taken between
numbers measured in this same run, so a slow or busy machine shifts both sides alike.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import build, write_one  # noqa: E402
from peer import records_of  # noqa: E402
from strong_peer import calamine_grids  # noqa: E402

BIN = Path(sys.executable).parent
PERFXL = str(BIN / "perfxl")
STRONG = [sys.executable, str(HERE / "strong_peer.py")]
NEEDED = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/styles.xml")


def floor(path: Path) -> None:
    """What any reader must do at least: read the file and inflate the parts holding the cells."""
    if path.suffix.lower() == ".xls":
        path.read_bytes()
        return
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") or name in NEEDED:
                zf.read(name)


def calamine(path: Path) -> None:
    """python-calamine's read of the file: every sheet's values."""
    calamine_grids(str(path))


def peer(path: Path) -> None:
    records_of(path)


def per_file(files: list[Path], fns: list[Callable[[Path], Any]], passes: int = 3) -> list[float]:
    """Milliseconds per file of each of ``fns``: each function runs over all ``files`` in a pass
    of its own (the way a batch runs), passes alternate between the functions so a machine that
    slows down hits all of them alike; per function the middle of its pass medians."""
    for path in files[:10]:
        for fn in fns:
            fn(path)
    medians: list[list[float]] = [[] for _ in fns]
    for _ in range(passes):
        for k, fn in enumerate(fns):
            gc.collect()
            times = []
            for path in files:
                start = time.perf_counter()
                fn(path)
                times.append(time.perf_counter() - start)
            medians[k].append(statistics.median(times))
    return [statistics.median(m) * 1000 for m in medians]


def _pss(pid: int, page: int) -> int:
    """Proportional set size: memory shared by forked workers is counted once, not per worker
    (plain RSS would count the parent's pages again in every child)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * page
    except (OSError, ValueError):
        return 0


class Peak:
    """Peak memory (PSS) of a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as fh:
                        todo.extend(int(x) for x in fh.read().split())
            except OSError:
                continue
        return tree

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.is_set():
            total = 0
            for pid in self._tree():
                total += _pss(pid, page)
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


class Run(NamedTuple):
    wall: float  # seconds
    cpu: float  # seconds of user + system time, the command and every process it waited for
    memory: int  # peak PSS of the process tree, bytes


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> Run:
    """Wall seconds, CPU seconds and peak memory (bytes, whole process tree) of a command."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = Peak(proc.pid) if Path("/proc").is_dir() else None
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    memory = peak.stop() if peak else 0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {err.decode()[-2000:]}")
    return Run(wall, _children_cpu() - cpu, memory)


def median_run(runs: list[Run]) -> Run:
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               int(statistics.median(r.memory for r in runs)))


def interleaved(cmds: dict[str, Callable[[], list[str]]], rounds: int) -> dict[str, Run]:
    """Each command once per round, the rounds one after the other; per command the medians."""
    runs: dict[str, list[Run]] = {name: [] for name in cmds}
    for _ in range(rounds):
        for name, cmd in cmds.items():
            runs[name].append(timed(cmd()))
    return {name: median_run(r) for name, r in runs.items()}


def cold(cmd: list[str], runs: int = 7) -> float:
    return statistics.median(timed(cmd).wall for _ in range(runs)) * 1000


def _change_one(inbox: Path, n: int) -> None:
    """Give one workbook of ``inbox`` new content (another file of the same unit), as a clerk
    re-sending a corrected file would."""
    victim = sorted(inbox.rglob("*_typical.xlsx"))[0]
    with tempfile.TemporaryDirectory() as tmp:
        fresh = write_one(Path(tmp), n, "typical")
        shutil.copyfile(fresh, victim)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 workbooks only, fewer rounds")
    parser.add_argument("--huge", action="store_true", help="also 100,000 workbooks")
    parser.add_argument("--corpus", default=str(HERE / ".corpus"), help="where generated workbooks are kept")
    args = parser.parse_args()
    # pip writes each module's bytecode when it installs perfxl; an editable checkout run with
    # PYTHONDONTWRITEBYTECODE (as on these machines) would compile every module at every cold start
    compileall.compile_dir(str(HERE.parent / "perfxl"), quiet=1)
    from perfxl.read.limits import DEFAULT_LIMITS
    from perfxl.read.workbook import read_bytes
    from perfxl.tables.extraction import extract, extract_bytes

    def in_process(path: Path) -> None:
        """``extract`` without its isolated worker: what isolation costs is the difference."""
        extract_bytes(str(path), read_bytes(str(path), DEFAULT_LIMITS), DEFAULT_LIMITS)

    root = Path(args.corpus)
    print(f"生成/复用基准工作簿 … （负载 {os.getloadavg()[0]:.2f}）", flush=True)
    small = build(root / "1000", 1000)
    large = None if args.quick else build(root / "10000", 10000)
    huge = build(root / "100000", 100000) if args.huge else None
    files = sorted(small.rglob("*.xls*"))
    kinds = {k: [p for p in files if p.stem.endswith(k)] for k in ("typical", "fat", "xls")}
    rows: list[dict[str, Any]] = []

    def report(name: str, value: float, target: str = "—", ok: bool | None = None) -> None:
        rows.append({"name": name, "value": round(value, 3), "target": target, "met": ok,
                     "load": round(os.getloadavg()[0], 2)})
        mark = " " if ok is None else "✓" if ok else "✗"
        print(f"{mark} {name:<60} {value:>10.3f}   {'目标 ' + target if ok is not None else ''}", flush=True)

    # one workbook at a time, in this process
    n_naive = 15 if args.quick else 40
    for kind in ("typical", "fat", "xls"):
        sample = kinds[kind]
        ours, here, cal, base = per_file(sample, [extract, in_process, calamine, floor])
        naive = per_file(sample[:n_naive], [peer], passes=1)[0]
        limit = {"typical": 1.5, "xls": 3.0}.get(kind)
        report(f"extract, {kind} (ms/file)", ours)
        report(f"  of which isolation (worker round trip), {kind} (ms/file)", ours - here)
        report(f"  python-calamine read, {kind} (ms/file)", cal)
        report(f"  unzip + inflate floor, {kind} (ms/file)", base)
        report(f"  naive peer (openpyxl/xlrd load), {kind} (ms/file)", naive)
        if limit is None:
            report(f"  extract / calamine, {kind} (×)", ours / cal)
        else:
            report(f"  extract / calamine, {kind} (×)", ours / cal, f"≤ {limit}", ours / cal <= limit)
        report(f"  extract / floor, {kind} (×)", ours / base)

    one = str(kinds["typical"][0])
    help_ms, extract_ms = cold([PERFXL, "--help"]), cold([PERFXL, "extract", one, "--json"])
    check_ms = cold([PERFXL, "check", one], 5)
    report("cold `perfxl --help` (ms)", help_ms, "≤ 150", help_ms <= 150)
    report("cold `perfxl extract ONE --json` (ms)", extract_ms, "≤ 200", extract_ms <= 200)
    report("cold `perfxl check ONE` (ms)", check_ms, "≤ 800", check_ms <= 800)

    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1_000_000))

        def fresh(name: str) -> str:  # a new output folder: the run finds no cache of an earlier one
            return f"{tmp}/{name}{next(counter)}"

        def batch(inbox: Path, label: str, rounds: int) -> dict[str, Run]:
            got = interleaved({
                "perfxl": lambda: [PERFXL, "consolidate", str(inbox), "-o", fresh("a"), "--quiet"],
                "strong": lambda: [*STRONG, str(inbox), fresh("s") + ".xlsx"],
                "calamine": lambda: [*STRONG, str(inbox), fresh("c") + ".xlsx", "--floor", "calamine"],
                "unzip": lambda: [*STRONG, str(inbox), fresh("u") + ".xlsx", "--floor", "unzip"],
            }, rounds)
            names = {"perfxl": "perfxl consolidate", "strong": "strong peer", "calamine": "floor: calamine values",
                     "unzip": "floor: unzip + inflate"}
            for key, run in got.items():
                report(f"{names[key]}, {label}: wall (s)", run.wall)
                report("  CPU (s)", run.cpu)
                report("  peak PSS (MB)", run.memory / 2**20)
            return got

        got = batch(small, "1,000", 3 if args.quick else 5)
        ratio = got["perfxl"].wall / got["strong"].wall
        report("consolidate 1,000 / strong peer, wall (×)", ratio, "≤ 1.0", ratio <= 1.0)
        report("  consolidate 1,000 / calamine floor, wall (×)", got["perfxl"].wall / got["calamine"].wall)
        report("  consolidate 1,000 / unzip floor, wall (×)", got["perfxl"].wall / got["unzip"].wall)

        # reruns into the same output folder, on a copy of the inbox (one file of it is changed)
        inbox = Path(tmp) / "inbox"
        shutil.copytree(small, inbox)
        first, unchanged, changed = [], [], []
        for k in range(3 if args.quick else 5):
            out = fresh("r")
            first.append(timed([PERFXL, "consolidate", str(inbox), "-o", out, "--quiet"]))
            unchanged.append(timed([PERFXL, "consolidate", str(inbox), "-o", out, "--quiet"]))
            _change_one(inbox, 1001 + 20 * k)
            changed.append(timed([PERFXL, "consolidate", str(inbox), "-o", out, "--quiet"]))
        f, u, c = (median_run(r).wall for r in (first, unchanged, changed))
        report("first run, 1,000 (s)", f)
        report("  rerun, one file changed (s)", c)
        report("  rerun, nothing changed (s)", u)
        report("  rerun one changed / first run (×)", c / f, "≤ 0.1", c / f <= 0.1)
        report("  rerun nothing changed / first run (×)", u / f, "≤ 0.05", u / f <= 0.05)

        if large is not None:
            got = batch(large, "10,000", 1)
            run = got["perfxl"]
            report("consolidate 10,000: wall (s)", run.wall, "≤ 15", run.wall <= 15)
            report("consolidate 10,000: peak PSS (MB)", run.memory / 2**20, "≤ 600", run.memory <= 600 * 2**20)
        if huge is not None:
            run = timed([PERFXL, "consolidate", str(huge), "-o", fresh("h"), "--quiet"])
            report("consolidate 100,000: wall (s)", run.wall)
            report("consolidate 100,000: peak PSS (MB)", run.memory / 2**20, "≤ 1024", run.memory <= 2**30)
        else:
            print("  consolidate 100,000: 未测（用 --huge 运行）", flush=True)
    missed = [r["name"] for r in rows if r["met"] is False]
    (HERE / "results.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    print("全部目标达成" if not missed else f"未达成：{'；'.join(m.strip() for m in missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
