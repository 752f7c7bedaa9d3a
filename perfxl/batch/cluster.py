"""Reading an inbox on a Dask cluster (``consolidate(scheduler="tcp://host:8786")``): the
per-file read-and-check (``pool.read_chunk``) mapped over chunks of paths on the cluster's
workers, which see the inbox on shared storage under the same path; the reads come back as each
chunk finishes and are put in input order. The cross-file checks and the books stay here.

Dask is an optional extra (``pip install perfxl[dask]``), imported inside these functions only:
the package runs without it. In each dask worker every file is still parsed in perfxl's own
isolated reader (``read.isolation``), with its deadline and memory cap, so a file that crashes
the parser costs that file, not the worker and its chunk.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import ClusterError
from ..read.isolation import stop_single
from ..read.limits import Limits
from ..review.ruleset import RuleSet
from ..tables.vocabulary import Vocabulary
from .file_read import FileRead
from .pool import read_all, read_chunk

CHUNK = 50  # files per task at most: a task of a few seconds, a few thousand tasks for a province
CONNECT_SECONDS = 30
_INSTALL = "pip install 'perfxl[dask]'"


def read_on_cluster(paths: Sequence[str], rules: RuleSet, limits: Limits, vocab: Vocabulary, scheduler: str,
                    progress: Callable[[int], None] | None = None, root: str | None = None) -> list[FileRead]:
    """``read_chunk`` of every path on the workers of the Dask scheduler at ``scheduler``, in input
    order. ClusterError when dask is not installed, the scheduler cannot be reached, it has no
    workers, or a worker runs another perfxl or cannot start perfxl's isolated readers. A chunk
    whose task fails on the cluster (its workers lost) is read here instead, so no file is lost."""
    if not paths:
        return []
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ClusterError(f"在 dask 集群上读取需要安装 dask：{_INSTALL}（每台机器都要装同一版本的 perfxl）") from None
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"无法连接 dask 调度器 {scheduler}（{exc}）；请确认地址（如 tcp://主机:8786），"
                           f"并已在那台机器上运行 dask scheduler") from None
    with client:
        workers = _check_workers(client, scheduler)
        size = max(1, min(CHUNK, math.ceil(len(paths) / (4 * workers))))  # every worker busy to the end
        chunks = [list(paths[i:i + size]) for i in range(0, len(paths), size)]
        [settings] = client.scatter([(limits, rules, vocab)], broadcast=True)
        futures = client.map(_read_part, chunks, settings=settings, base=os.getcwd(), root=root, pure=False)
        where = {future.key: n for n, future in enumerate(futures)}
        parts: list[list[FileRead] | None] = [None] * len(chunks)
        try:
            for future in as_completed(futures, loop=client.loop):
                n = where[future.key]
                try:
                    parts[n] = future.result()
                except Exception:  # its workers died or it failed there: this machine reads it
                    parts[n] = read_all(chunks[n], rules, limits, vocab, 1, root=root)
                future.release()
                if progress:
                    progress(len(chunks[n]))
        except BaseException:
            client.cancel(futures)  # Ctrl-C, SIGTERM: the queued chunks dropped
            raise
        finally:
            _stop_readers(client)
    return [read for part in parts for read in part or ()]


def _check_workers(client: Any, scheduler: str) -> int:
    """The number of workers, once every one is known to run this perfxl and to be able to
    start perfxl's isolated readers."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        raise ClusterError(f"dask 调度器 {scheduler} 上没有 worker；请在每台机器上运行 "
                           f"dask worker {scheduler}") from None
    try:
        facts: dict[str, tuple[str, bool]] = client.run(worker_facts)
    except Exception as exc:
        raise ClusterError(f"dask worker 无法运行 perfxl（{type(exc).__name__}: {exc}）；请在每台 worker "
                           f"机器上安装与本机相同版本的 perfxl（{_INSTALL}）") from None
    here = code_digest()
    other = sorted(w for w, (digest, _) in facts.items() if digest != here)
    if other:
        raise ClusterError(f"这些 dask worker 上的 perfxl 与本机不同：{'、'.join(other)}；请在每台机器上安装"
                           f"同一版本的 perfxl，使各机器的读取和检查结果一致")
    daemonic = sorted(w for w, (_, daemon) in facts.items() if daemon)
    if daemonic:
        raise ClusterError(f"这些 dask worker 以守护进程运行，不能启动 perfxl 的隔离读取进程："
                           f"{'、'.join(daemonic)}；请这样启动 worker："
                           f"DASK_DISTRIBUTED__WORKER__DAEMON=False dask worker {scheduler} --nthreads 1")
    return len(facts)


def worker_facts() -> tuple[str, bool]:
    """In a dask worker: the digest of its perfxl, and whether it runs as a daemon process (which
    may start no child processes, so no isolated reader)."""
    return code_digest(), bool(multiprocessing.current_process().daemon)


@functools.cache
def code_digest() -> str:
    """A digest of this perfxl's code and data files: the same on every machine that would read
    and check a file alike."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".toml") and p.is_file()):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _read_part(paths: list[str], settings: tuple[Limits, RuleSet, Vocabulary], base: str,
               root: str | None = None) -> list[FileRead]:
    """A dask task: ``read_chunk`` of ``paths`` in this worker, relative paths under ``base``, each
    opened from the inbox ``root``."""
    limits, rules, vocab = settings
    return read_chunk(paths, limits, rules, vocab, base, root)


def _stop_readers(client: Any) -> None:
    """End every worker's isolated reader: nothing of the run stays behind in a long-lived worker."""
    with contextlib.suppress(Exception):  # a worker gone already has no reader left
        client.run(stop_single)
