"""consolidate of the 1,000-workbook corpus locally and through a local Dask cluster.

    python benchmarks/cluster.py                 # 2 worker processes, 5 passes each
    python benchmarks/cluster.py --workers 4 --passes 1

Needs ``pip install perfxl[dask]``. Each pass consolidates into a fresh output folder without the
rerun cache; the cluster is started once, before its passes (as a province's cluster is up before
a run), and its start-up time is reported apart. The books of both ways are compared value by
value (but 汇总时间). On one machine a cluster is not faster than the local pool (the same cores,
plus moving every read between processes): the point is that its workers can be many machines.
One warm-up run comes first; then local and cluster passes alternate while the cluster idles
between its passes (its two worker processes hold no CPU then).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from corpus import build  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from perfxl.batch.consolidation import consolidate  # noqa: E402


def _values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(path, read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True) if r[0] != "汇总时间"] for ws in wb.worksheets}


def _timed(inbox: Path, out: Path, **kwargs: Any) -> tuple[float, list[str]]:
    start = time.perf_counter()
    run = consolidate(inbox, out, cache=False, **kwargs)
    return time.perf_counter() - start, run.outputs


def main() -> None:
    import dask
    import distributed

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", default=str(HERE / ".corpus"), help="where generated workbooks are kept")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    inbox = build(Path(args.corpus) / str(args.files), args.files)
    with tempfile.TemporaryDirectory() as tmp:
        _timed(inbox, Path(tmp) / "warm", jobs=args.workers)  # the corpus in the page cache, pandas imported
        start = time.perf_counter()
        with dask.config.set({"distributed.worker.daemon": False}):
            cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                               dashboard_address=":0")
        started = time.perf_counter() - start
        local, remote = [], []
        with cluster:
            for i in range(args.passes):  # alternating, so a busy spell of the machine hits both
                local.append(_timed(inbox, Path(tmp) / f"local{i}", jobs=args.workers))
                remote.append(_timed(inbox, Path(tmp) / f"dask{i}", scheduler=cluster.scheduler_address))
        same = all(_values(Path(a)) == _values(Path(b)) for a, b in zip(local[0][1], remote[0][1], strict=True))
    times = {name: [round(t, 2) for t, _ in runs] for name, runs in (("local", local), ("dask", remote))}
    print(json.dumps({
        "files": args.files, "workers": args.workers, "passes": args.passes,
        "local_seconds": times["local"], "local_median": statistics.median(times["local"]),
        "dask_seconds": times["dask"], "dask_median": statistics.median(times["dask"]),
        "dask_cluster_start_seconds": round(started, 2), "books": len(local[0][1]), "same_books": same,
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
