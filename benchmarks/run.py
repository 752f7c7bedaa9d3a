"""perfxl's speed targets, measured side by side in one run on this machine.

    python benchmarks/run.py            # everything (first run also generates the corpus)
    python benchmarks/run.py --quick    # 1,000 workbooks only, fewer samples

Prints each measurement, its target and whether it is met; exits 1 when a target is missed.
Ratios are always taken between numbers measured in this same run, so a slow or busy machine
shifts both sides alike.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import build  # noqa: E402
from peer import records_of  # noqa: E402

BIN = Path(sys.executable).parent
PERFXL = str(BIN / "perfxl")
NEEDED = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/styles.xml")


def floor(path: Path) -> None:
    """What any reader must do at least: read the file and inflate the parts holding the cells."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") or name in NEEDED:
                zf.read(name)


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


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak memory (bytes, whole process tree) of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = Peak(proc.pid) if Path("/proc").is_dir() else None
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    memory = peak.stop() if peak else 0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {err.decode()[-2000:]}")
    return wall, memory


def cold(cmd: list[str], runs: int = 7) -> float:
    return statistics.median(timed(cmd)[0] for _ in range(runs)) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 workbooks only, fewer samples")
    parser.add_argument("--corpus", default=str(HERE / ".corpus"), help="where generated workbooks are kept")
    args = parser.parse_args()
    from perfxl.tables.extraction import extract

    root = Path(args.corpus)
    print("生成/复用基准工作簿 …", flush=True)
    small = build(root / "1000", 1000)
    large = None if args.quick else build(root / "10000", 10000)
    files = sorted(small.rglob("*.xls*"))
    kinds = {k: [p for p in files if p.stem.endswith(k)] for k in ("typical", "fat", "xls")}
    rows: list[tuple[str, float, str, bool]] = []

    def report(name: str, value: float, target: str, ok: bool) -> None:
        rows.append((name, value, target, ok))
        print(f"{'✓' if ok else '✗'} {name:<58} {value:>10.3f}   目标 {target}", flush=True)

    n_peer = 15 if args.quick else 60
    for kind, limit in (("typical", 1.0), ("fat", 5.0)):
        sample = kinds[kind]
        ours, base = per_file(sample, [extract, floor])
        naive, ours_small = per_file(sample[:n_peer], [peer, extract], passes=1 if args.quick else 2)
        report(f"extract, {kind} workbook (ms)", ours, f"≤ {limit}", ours <= limit)
        report(f"  unzip floor, {kind} (ms)", base, "—", True)
        report(f"  naive peer (openpyxl load), {kind} (ms)", naive, "—", True)
        ratio = naive / ours_small  # interleaved on the same files
        report(f"  peer / perfxl, {kind} (×)", ratio, "≥ 40" if kind == "typical" else "—",
               ratio >= 40 or kind != "typical")
        report(f"  perfxl / floor, {kind} (×)", ours / base, "≤ 7" if kind == "typical" else "—",
               ours / base <= 7 or kind != "typical")
    xls = per_file(kinds["xls"], [extract])[0]
    report("extract, legacy .xls workbook (ms)", xls, "—", True)

    one = str(kinds["typical"][0])
    help_ms, extract_ms = cold([PERFXL, "--help"]), cold([PERFXL, "extract", one, "--json"])
    report("cold `perfxl --help` (ms)", help_ms, "≤ 150", help_ms <= 150)
    report("cold `perfxl extract ONE --json` (ms)", extract_ms, "≤ 200", extract_ms <= 200)
    report("cold `perfxl check ONE` (ms)", cold([PERFXL, "check", one], 3), "—", True)

    with tempfile.TemporaryDirectory() as tmp:
        runs = [timed([PERFXL, "consolidate", str(small), "-o", f"{tmp}/a", "--quiet"])]
        peer_1k, _ = timed([sys.executable, str(HERE / "peer.py"), str(small), f"{tmp}/peer.xlsx"])
        runs += [timed([PERFXL, "consolidate", str(small), "-o", f"{tmp}/a", "--quiet"]) for _ in range(2)]
        ours_1k, mem_1k = sorted(runs)[1]  # the middle of three runs, around the peer's run
        report("consolidate 1,000 workbooks (s)", ours_1k, "—", True)
        report("  naive peer on the same 1,000 (s)", peer_1k, "—", True)
        report("  peer / perfxl on 1,000 (×)", peer_1k / ours_1k, "≥ 20", peer_1k / ours_1k >= 20)
        report("  peak memory, 1,000 (MB)", mem_1k / 2**20, "—", True)
        if large is not None:
            ours_10k, mem_10k = timed([PERFXL, "consolidate", str(large), "-o", f"{tmp}/b", "--quiet"])
            report("consolidate 10,000 workbooks (s)", ours_10k, "≤ 30", ours_10k <= 30)
            report("  peak memory, 10,000 (MB)", mem_10k / 2**20, "≤ 1024", mem_10k <= 2**30)
            out_10k = sum(p.stat().st_size for p in Path(f"{tmp}/b").glob("*.xlsx"))
            out_1k = sum(p.stat().st_size for p in Path(f"{tmp}/a").glob("*.xlsx"))
            growth, output = mem_10k / mem_1k, out_10k / out_1k
            report("  memory growth 1k→10k vs output growth (×)", growth / output, "≤ 1",
                   growth <= output)
    missed = [name for name, _, _, ok in rows if not ok]
    (HERE / "results.json").write_text(json.dumps(
        [{"name": n, "value": round(v, 3), "target": t, "met": ok} for n, v, t, ok in rows],
        ensure_ascii=False, indent=1), "utf-8")
    print("全部目标达成" if not missed else f"未达成：{'；'.join(m.strip() for m in missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
