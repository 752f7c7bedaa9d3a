"""consolidate on a Dask cluster (``scheduler=``, ``--scheduler``): a local two-process cluster
reads the sample inbox and a generated one with the same books and the same run as a local
run; a cluster that cannot be used is a Chinese error, and the package runs without dask.
Skipped where dask is not installed (``pip install perfxl[dask]``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from perfxl.batch import cluster
from perfxl.batch.consolidation import consolidate
from perfxl.cli import main
from perfxl.errors import ClusterError
from perfxl.model import Consolidation
from tests.conftest import ROOT, load_specs, mixed_inbox
from tests.fixtures.engines import write_grids
from tests.fixtures.grids import Grid, Style, render_table
from tests.test_consolidate import _values

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

UNITS = ["承德高新区第一局", "承德高新区第二局", "承德高新区第三局"]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A cluster of two worker processes, as `dask worker` starts them for perfxl: not daemonic,
    so each can start perfxl's isolated reader; one thread each."""
    with dask.config.set({"distributed.worker.daemon": False}):  # read as the workers start
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with local:
        yield local.scheduler_address


def _sample_inbox(folder: Path) -> Path:
    return mixed_inbox(folder)


def _generated_inbox(folder: Path, count: int = 45) -> Path:
    """``count`` project tables (more than read serially, so the local run uses its pool) over
    three unit folders, every fifth as .xls, a tenth in the inbox's top folder naming no unit;
    besides them a copy sent twice, a broken file and a half-copied one."""
    box = folder / "generated"
    specs = [s for s in load_specs() if s["table"]["kind"] == "project"]
    style = Style(levels="merged", report_header=True, funds_block=True, percent_format=True)
    for n in range(count):
        table = json.loads(json.dumps(specs[n % len(specs)]["table"]))
        table["project_code"] = f"105-0901-YBN-{n:04d}"
        table["project_name"] = f"{table['project_name']}（{n}）"
        unit = UNITS[n % len(UNITS)]
        table["department"] = None if n % 10 == 9 else unit
        grid = Grid("项目绩效表")
        render_table(grid, table, 1, 0, style, funds=1000.0 + n)
        xls = n % 5 == 4
        where = box if n % 10 == 9 else box / unit
        where.mkdir(parents=True, exist_ok=True)
        write_grids(where / f"{n:03d}.{'xls' if xls else 'xlsx'}", [grid], "xlwt" if xls else "xlsxwriter")
    first = box / UNITS[0] / "000.xlsx"
    shutil.copy(first, box / UNITS[1] / "000 - 副本.xlsx")
    (box / UNITS[2] / "坏文件.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    (box / UNITS[2] / "复制中断.xlsx").write_bytes(first.read_bytes()[:500])
    return box


def _same_run(local: Consolidation, remote: Consolidation) -> None:
    assert remote.results == local.results
    assert remote.sources == local.sources
    assert remote.problems == local.problems
    assert remote.departments == local.departments
    assert [Path(p).name for p in remote.outputs] == [Path(p).name for p in local.outputs]
    for mine, theirs in zip(local.outputs, remote.outputs, strict=True):
        assert _values(Path(theirs)) == _values(Path(mine)), Path(mine).name


def test_the_sample_inbox_on_a_cluster_is_the_local_run(scheduler: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _sample_inbox(tmp_path)
    monkeypatch.chdir(tmp_path)  # a relative inbox: the workers open it under this folder
    local = consolidate("inbox", "local", jobs=1, cache=False)
    remote = consolidate("inbox", "remote", scheduler=scheduler, cache=False)
    assert len(local.outputs) == 3 and {s.status.name for s in local.sources} >= {"READ", "FAILED", "SKIPPED"}
    _same_run(local, remote)


def test_a_generated_inbox_on_a_cluster_is_the_local_run(scheduler: str, tmp_path: Path) -> None:
    box = _generated_inbox(tmp_path)
    ticks: list[int] = []
    local = consolidate(box, tmp_path / "local", jobs=2, cache=False)
    remote = consolidate(box, tmp_path / "remote", scheduler=scheduler, cache=False,
                         progress=lambda done, total: ticks.append(done))
    assert sum(len(r.tables) for r in local.results) == 45
    assert {p.code for p in local.problems} >= {"file-duplicate", "unreadable"}
    _same_run(local, remote)
    assert ticks[-1] == 48 and ticks == sorted(ticks)


def test_the_command_reads_on_the_cluster(scheduler: str, tmp_path: Path) -> None:
    box = _sample_inbox(tmp_path)
    done = CliRunner().invoke(main, ["consolidate", str(box), "-o", str(tmp_path / "out"), "--json",
                                     "--scheduler", scheduler])
    assert done.exit_code == 1, done.output  # the sample inbox has errors
    assert json.loads(done.output)["files"] == 10


def test_a_chunk_that_fails_on_the_cluster_is_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    box = _generated_inbox(tmp_path, 12)
    local = consolidate(box, tmp_path / "local", jobs=1, cache=False)
    real = cluster._read_part

    def flaky(paths: list[str], settings: Any, base: str, root: str | None = None) -> Any:
        if any(path.endswith("003.xlsx") for path in paths):
            raise RuntimeError("worker lost")
        return real(paths, settings, base, root)

    monkeypatch.setattr(cluster, "_read_part", flaky)  # the workers run in this process
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as here:
        remote = consolidate(box, tmp_path / "remote", scheduler=here.scheduler_address, cache=False)
    _same_run(local, remote)


def test_workers_with_another_perfxl_are_refused(scheduler: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "code_digest", lambda: "another perfxl")
    with pytest.raises(ClusterError, match="perfxl 与本机不同"):
        consolidate(_sample_inbox(tmp_path), tmp_path / "out", scheduler=scheduler)
    assert not list((tmp_path / "out").glob("*.xlsx"))


def test_daemonic_workers_are_refused_with_how_to_start_them(tmp_path: Path) -> None:
    with dask.config.set({"distributed.worker.daemon": True}):  # dask's default
        local = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0")
    with local, pytest.raises(ClusterError, match="DASK_DISTRIBUTED__WORKER__DAEMON=False dask worker"):
        consolidate(_sample_inbox(tmp_path), tmp_path / "out", scheduler=local.scheduler_address)


def test_a_scheduler_that_is_not_there_is_a_chinese_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    box = _sample_inbox(tmp_path)
    done = CliRunner().invoke(main, ["consolidate", str(box), "-o", str(tmp_path / "out"),
                                     "--scheduler", "tcp://127.0.0.1:9"])
    assert done.exit_code == 2
    assert "无法连接 dask 调度器 tcp://127.0.0.1:9" in done.output and "Traceback" not in done.output


def test_without_dask_the_scheduler_asks_for_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    box = _sample_inbox(tmp_path)
    done = CliRunner().invoke(main, ["consolidate", str(box), "-o", str(tmp_path / "out"),
                                     "--scheduler", "tcp://127.0.0.1:8786"])
    assert done.exit_code == 2
    assert "pip install 'perfxl[dask]'" in done.output
    assert consolidate(box, tmp_path / "out", jobs=1).outputs  # the default path never needs it


def test_the_package_does_not_import_dask() -> None:
    code = ("import sys, perfxl, perfxl.cli.commands, perfxl.batch.consolidation, perfxl.batch.cluster; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
