"""``consolidate``: read an inbox of workbooks (in parallel), assign each table to its department,
check everything together, and write one summary workbook per department plus one for all.

The inbox is only ever read. A bad file never stops the run: it is listed with its reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .atomic import ensure_dir
from .errors import OutputError, UnreadableWorkbook
from .extraction import extract
from .gcpause import no_gc
from .checking import warm_up
from .config import Rules, load_rules
from .limits import DEFAULT_LIMITS, Limits
from .inbox import scan_inbox
from .model import ExtractResult, Problem, severity_counts
from .reader import read_bytes

UNASSIGNED = "未指定单位"
ALL_UNITS = "全部单位"
SERIAL_BELOW = 40  # files; below this a process pool costs more than it saves


@dataclass(frozen=True)
class SourceFile:
    """One file seen in the inbox and what became of it."""

    path: str          # as read
    relative: str      # relative to the inbox
    size: int
    sha256: str
    modified: str
    tables: int
    status: str        # 已读取 / 未找到表 / 无法读取：reason
    department: str


@dataclass
class Consolidation:
    """Everything a summary needs: results, sources, problems, departments and outputs."""

    inbox: str
    results: list[ExtractResult]
    sources: list[SourceFile]
    problems: list[Problem]
    departments: list[str]
    outputs: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return severity_counts(self.problems)

    @property
    def exit_code(self) -> int:
        return 1 if self.counts["error"] else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "inbox": self.inbox,
            "files": len(self.sources),
            "files_failed": sum(s.status.startswith("无法读取") for s in self.sources),
            "files_skipped": sum(s.status.startswith("已跳过") for s in self.sources),
            "tables": sum(len(r.tables) for r in self.results),
            "indicators": sum(len(t.indicators) for r in self.results for t in r.tables),
            "departments": self.departments,
            "problems": self.counts,
            "outputs": self.outputs,
        }


def _read_one(path: str, limits: Limits) -> tuple[ExtractResult, tuple[int, str, str]]:
    """Extract one file from a single read of its bytes, which also give its size and digest.
    A file whose size or time changes while it is read (still being copied) is not used."""
    try:
        before = os.stat(path)
    except OSError:
        before = None
    try:
        data = read_bytes(path, limits)
        after = os.stat(path)
    except (UnreadableWorkbook, OSError) as exc:
        reason = exc.reason if isinstance(exc, UnreadableWorkbook) else f"无法读取（{exc}）"
        return ExtractResult(path, (), (Problem("error", "unreadable", reason, path),)), (0, "", "")
    meta = (len(data), hashlib.sha256(data).hexdigest(),
            dt.datetime.fromtimestamp(after.st_mtime).isoformat(timespec="seconds"))
    if before is None or (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) \
            or len(data) != after.st_size:
        reason = "文件在读取时仍在变化（可能还在复制或保存中），本次未使用；请等文件复制完成后重新运行"
        return ExtractResult(path, (), (Problem("error", "unreadable", reason, path),)), meta
    return extract(path, data=data, limits=limits), meta


Read = tuple[ExtractResult, tuple[int, str, str], list[Problem]]  # result, (size, sha256, mtime), findings


def _read_chunk(paths: Sequence[str], limits: Limits, rules: Rules) -> list[Read]:
    """Read files and run the rules that need one file only, where the file was read."""
    from .rules import file_rules

    out = []
    with no_gc():  # extraction allocates small acyclic objects only
        for path in paths:
            result, meta = _read_one(path, limits)
            out.append((result, meta, file_rules(result, rules)))
    return out


def read_all(paths: Sequence[str], jobs: int | None = None,
             progress: Callable[[int], None] | None = None, limits: Limits = DEFAULT_LIMITS,
             pool: ProcessPoolExecutor | None = None, rules: Rules | None = None) -> list[Read]:
    """Extract every path (and run the per-file rules), in chunks over a process pool when it
    pays, in input order. While the workers read, this process imports pandas and pandera."""
    jobs = jobs or os.cpu_count() or 1
    ruleset = rules or load_rules()
    if pool is None and (jobs <= 1 or len(paths) < SERIAL_BELOW):
        out = []
        for p in paths:
            out.extend(_read_chunk([p], limits, ruleset))
            if progress:
                progress(1)
        return out
    size = max(8, min(200, len(paths) // (jobs * 8) or 1))
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    out = []
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=jobs))
        futures = [pool.submit(_read_chunk, chunk, limits, ruleset) for chunk in chunks]
        warm_up(ruleset)  # the slow pandas/pandera imports overlap the reading
        for future in futures:
            part = future.result()
            out.extend(part)
            if progress:
                progress(len(part))
    return out


def _pool(jobs: int | None, files: int) -> contextlib.AbstractContextManager[ProcessPoolExecutor | None]:
    """One pool for the whole run, started before anything is read: its workers are forked
    small and get their work (chunks of paths, then summary rows) by message."""
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or files < SERIAL_BELOW:
        return contextlib.nullcontext()
    return ProcessPoolExecutor(max_workers=jobs)


def _relative(path: str, root: Path) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return path


def _folder_department(inbox: Path, path: Path) -> str | None:
    try:
        parts = path.relative_to(inbox).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 else None


def consolidate(inbox: str | os.PathLike[str] = "workbooks/inbox",
                out_dir: str | os.PathLike[str] = "workbooks/out", *, jobs: int | None = None,
                department: str | None = None, rules: str | None = None,
                progress: Callable[[int, int], Any] | None = None, write: bool = True,
                limits: Limits = DEFAULT_LIMITS) -> Consolidation:
    """Consolidate every workbook under ``inbox`` into summaries in ``out_dir``.

    ``progress(done, total)`` is called as files are read. Raises OutputError when the run
    cannot happen (inbox missing, output folder not writable).
    """
    root = Path(inbox)
    ruleset = load_rules(rules)  # a bad rules file stops the run before anything is read
    if not root.is_dir():
        raise OutputError(f"收件箱文件夹不存在：{root}；请确认路径，或先把各单位的工作簿放进去")
    if write:
        target = Path(out_dir).resolve()
        if target == root.resolve() or root.resolve() in target.parents:
            raise OutputError(f"输出文件夹 {out_dir} 位于收件箱内；收件箱只读，请换一个输出文件夹")
        ensure_dir(out_dir)
    scan = scan_inbox([root])
    paths = [str(p) for p in scan.found]
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(paths))

    with _pool(jobs, len(paths)) as pool:
        read = read_all(paths, jobs, tick, limits, pool, ruleset)
        gc.freeze()  # everything read stays alive to the end: spare the collector rescanning it
        try:
            return _consolidate(root, out_dir, paths, _drop_duplicates(paths, read), scan.skipped,
                                department, ruleset, write, jobs, pool)
        finally:
            gc.unfreeze()


def _drop_duplicates(paths: list[str], read: list[Read]) -> list[Read]:
    """The same file sent twice under two names is read once: the earliest saved copy (then the
    first by path) is kept, the later copies keep no tables and say which file they repeat."""
    keep: dict[str, tuple[str, str]] = {}  # digest -> (modified, path) of the copy kept
    for path, (result, meta, _) in zip(paths, read):
        if meta[1] and result.readable:
            keep[meta[1]] = min(keep.get(meta[1], (meta[2], path)), (meta[2], path))
    out = []
    for path, (result, meta, found) in zip(paths, read):
        kept = keep.get(meta[1])
        if kept is not None and kept[1] != path and result.readable:
            message = (f"与“{os.path.basename(kept[1])}”内容完全相同（重复提交），只统计一次；"
                       "如确属两个不同的表，请检查是否放错了文件")
            result = ExtractResult(path, (), (Problem("warning", "file-duplicate", message, path),))
            found = []
        out.append((result, meta, found))
    return out


def _consolidate(root: Path, out_dir: str | os.PathLike[str], paths: list[str],
                 read: list[Read], skipped: list[Problem],
                 department: str | None, rules: Rules, write: bool,
                 jobs: int | None, pool: ProcessPoolExecutor | None) -> Consolidation:
    from .checking import check

    results: list[ExtractResult] = []
    sources: list[SourceFile] = []
    extra: list[Problem] = list(skipped)
    for problem in skipped:
        unit = _folder_department(root, Path(problem.file or "")) or department or UNASSIGNED
        sources.append(SourceFile(problem.file or "", _relative(problem.file or "", root), 0, "", "",
                                  0, f"已跳过：{problem.message}", unit))
    for path, (result, (size, digest, modified), _) in zip(paths, read):
        fallback = _folder_department(root, Path(path)) or department
        tables = []
        for table in result.tables:
            name = table.department or fallback
            if name is None:
                extra.append(Problem("warning", "department-unknown",
                                     "表中没有“单位名称”，文件也不在单位子文件夹里；已归入“未指定单位”。"
                                     "请在表头填写单位名称，或把文件放进以单位命名的子文件夹",
                                     path, table.sheet, table.anchor))
                name = UNASSIGNED
            tables.append(replace(table, department=name))
        result = replace(result, tables=tuple(tables))
        results.append(result)
        unit = (tables[0].department if tables else None) or fallback or UNASSIGNED
        duplicate = any(p.code == "file-duplicate" for p in result.problems)
        status = ("无法读取：" + result.problems[0].message if not result.readable
                  else "已跳过：" + result.problems[0].message if duplicate
                  else "已读取" if tables else "未找到表")
        sources.append(SourceFile(path, _relative(path, root), size, digest, modified,
                                  len(tables), status, unit or UNASSIGNED))
    checked = check([], rules=rules, results=results, per_file=[found for _, _, found in read])
    problems = sorted(list(checked.problems) + extra, key=Problem.sort_key)
    seen = {s.department for s in sources if not s.status.startswith("已跳过")}
    departments = sorted(seen | {t.department or UNASSIGNED for r in results for t in r.tables})
    run = Consolidation(str(root), results, sources, problems, departments)
    if write:
        from .writer import write_summaries

        run.outputs = write_summaries(run, Path(out_dir), rules, jobs, pool)
    return run


def problems_by_table(run: Consolidation) -> dict[tuple[str, str, str], list[Problem]]:
    """Each problem under the table it concerns: same file and sheet, the nearest table whose
    anchor is at or above the problem's cell. Key: (file, sheet, anchor)."""
    from .a1 import a1_sort_key

    out: dict[tuple[str, str, str], list[Problem]] = {}
    anchors: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for result in run.results:
        for table in result.tables:
            anchors.setdefault((result.source, table.sheet), []).append(
                (a1_sort_key(table.anchor)[0], table.anchor))
    for found in anchors.values():
        found.sort()
    for problem in run.problems:
        candidates = anchors.get((problem.file or "", problem.sheet or ""), [])
        row = a1_sort_key(problem.cell)[0]
        chosen = [a for r, a in candidates if r <= row] or [a for _, a in candidates[:1]]
        if chosen:
            out.setdefault((problem.file or "", problem.sheet or "", chosen[-1]), []).append(problem)
    return out


def departments_of(run: Consolidation,
                   by_table: dict[tuple[str, str, str], list[Problem]]) -> dict[int, str]:
    """The department of every problem (keyed by ``id``): its table's, else its file's."""
    out: dict[int, str] = {}
    for result in run.results:
        for table in result.tables:
            for problem in by_table.get((result.source, table.sheet, table.anchor), []):
                out.setdefault(id(problem), table.department or UNASSIGNED)
    by_file = {source.path: source.department for source in run.sources}
    for problem in run.problems:
        if id(problem) not in out:
            out[id(problem)] = by_file.get(problem.file or "", UNASSIGNED)
    return out
