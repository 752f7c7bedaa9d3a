"""The records every stage shares: problems, indicators, tables, the result of reading one
workbook, of checking many, and of consolidating an inbox.

All are dataclasses with a ``to_dict`` giving their JSON form (``docs/extract-contract.md``);
tables and indicators keep a ``cells`` map with the A1 source of every parsed value, so a
finding can always point at it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .a1 import a1_sort_key
from .compact_records import SHARED_UP_TO, CellMap, intern, shared

UNASSIGNED = "未指定单位"  # the unit of a table that names none and sits in no unit folder
ALL_UNITS = "全部单位"     # the book that holds every unit
NOT_READ = ("unreadable", "reader-crashed", "read-timeout", "xlsb-not-read")  # codes of a file not read at all
LEVEL_MARK = "/"  # between the levels of a 上级单位 and its unit: "某市/某县/教育局"
ROUTE_MARK = " › "  # between a lower level's summary and a file it holds: "某县/全部单位_….xlsx › 教育局/x.xlsx"


def under(parent: str | None, name: str) -> str:
    """``name`` under the 上级单位 ``parent`` ("某市/某县" + "教育局"), itself when there is none."""
    return f"{parent}{LEVEL_MARK}{name}" if parent else name


def _state(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in self.__slots__)


def _set_state(self: Any, state: tuple[Any, ...]) -> None:
    """Unpickle a record with its texts shared and its ``cells`` compact (``compact_records``)."""
    for name, value in zip(self.__slots__, state, strict=True):
        kind = type(value)  # shared() inlined for the texts: unpickling a large run calls this millions of times
        if kind is str:
            _set(self, name, intern(value) if len(value) <= SHARED_UP_TO else value)
        elif kind is dict and value:
            _set(self, name, CellMap(value) if name == "cells" else shared(value))
        else:
            _set(self, name, value)


_set = object.__setattr__


class Severity(enum.StrEnum):
    """How bad a problem is. Compares and serialises as its value ("error" …)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        """The Chinese word shown to people."""
        return _SEVERITY_LABEL[self]

    @property
    def rank(self) -> int:
        """Sort order: errors first."""
        return _SEVERITY_RANK[self]

    @property
    def fill(self) -> str:
        """The cell colour (RRGGBB) that marks it in summaries and annotated copies."""
        return _SEVERITY_FILL[self]


_SEVERITY_LABEL = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_SEVERITY_FILL = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C", Severity.INFO: "DDEBF7"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: what is wrong, where (file, sheet, cell) and how to fix it (Chinese).
    Built through ``perfxl.problems.problem``, which knows every code."""

    # a large run holds these by the hundred thousand: no __dict__ each, compact once unpickled
    __getstate__ = _state
    __setstate__ = _set_state

    severity: Severity
    code: str
    message: str
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": str(self.severity),
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "code": self.code,
            "message": self.message,
        }

    def sort_key(self) -> tuple[Any, ...]:
        return (self.file or "", self.sheet or "", a1_sort_key(self.cell), self.code)


def severity_counts(problems: Iterable[Problem]) -> dict[str, int]:
    """How many problems of each severity (every severity present, zero or not)."""
    counts = {str(s): 0 for s in Severity}
    for p in problems:
        counts[p.severity] += 1
    return counts


@dataclass(frozen=True, slots=True)
class Indicator:
    """One 三级指标 row of an indicator block."""

    # a large run holds these by the hundred thousand: no __dict__ each, compact once unpickled
    __getstate__ = _state
    __setstate__ = _set_state

    level1: str | None
    level2: str | None
    level3: str | None
    description: str | None
    operator: str | None
    value: float | None
    unit: str | None
    target_text: str | None
    basis: str | None
    cell: str
    cells: Mapping[str, str] = field(default_factory=dict, compare=False)
    weight: float | None = None        # 权重 / 分值 of the indicator
    level1_weight: float | None = None  # the weight written in its 一级 cell ("产出指标(50分)")
    actual: str | None = None          # 实际完成值 as written (self-evaluations)
    actual_value: float | None = None  # the same as a number, when it is one
    score: float | None = None         # 得分
    deviation: str | None = None       # 偏差原因分析及改进措施
    extra: dict[str, Any] = field(default_factory=dict)  # other columns: header as written -> value

    def to_dict(self) -> dict[str, Any]:
        return {
            "level1": self.level1,
            "level2": self.level2,
            "level3": self.level3,
            "description": self.description,
            "operator": self.operator,
            "value": self.value,
            "unit": self.unit,
            "target_text": self.target_text,
            "basis": self.basis,
            "weight": self.weight,
            "level1_weight": self.level1_weight,
            "actual": self.actual,
            "actual_value": self.actual_value,
            "score": self.score,
            "deviation": self.deviation,
            "extra": dict(self.extra),
            "cell": self.cell,
            "cells": dict(self.cells),
        }


TableKind = Literal["project", "department"]
Stage = Literal["target", "self-evaluation"]


@dataclass(frozen=True, slots=True)
class Table:
    """One table of a workbook: a project's (kind "project") or a whole department's (kind
    "department"), of the year's targets (stage "target") or of the year-end self-evaluation."""

    # a large run holds these by the hundred thousand: no __dict__ each, compact once unpickled
    __getstate__ = _state
    __setstate__ = _set_state

    kind: TableKind
    sheet: str
    anchor: str
    department: str | None = None
    project_code: str | None = None
    project_name: str | None = None
    template: str | None = None
    purpose: str | None = None
    amount: float | None = None
    spend_plan: dict[str, float | None] = field(default_factory=dict)
    goals: tuple[str, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    cells: Mapping[str, str] = field(default_factory=dict, compare=False)
    stage: Stage = "target"
    title: str | None = None
    year: int | None = None
    supervisor: str | None = None      # 主管部门
    implementer: str | None = None     # 实施单位
    funds: dict[str, dict[str, float]] = field(default_factory=dict)  # money block: line -> column -> 万元
    long_term_goals: tuple[str, ...] = ()
    goals_achieved: tuple[str, ...] = ()
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # other header labels -> value, cell
    totals: dict[str, Any] = field(default_factory=dict)  # a self-evaluation's 总分 row: 分值, 得分, 等级
    parent: str | None = None  # 上级单位 of a table read from a lower level's summary ("某市/某县"); None: sent here

    @property
    def unit(self) -> str:
        """The unit the table belongs to here: its 单位, under its 上级单位 when it came in a lower
        level's summary ("某县/教育局"), so that two counties' 教育局 are two units."""
        return under(self.parent, self.department or UNASSIGNED)

    def is_blank(self) -> bool:
        """True for a form nobody has filled in: no field, amount, goal or indicator."""
        return not (self.department or self.project_code or self.project_name or self.purpose or self.supervisor
                    or self.implementer or self.amount is not None or self.goals or self.indicators
                    or self.long_term_goals or self.goals_achieved or self.fields or self.totals
                    or any(v is not None for v in self.spend_plan.values()) or any(self.funds.values()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "stage": self.stage,
            "sheet": self.sheet,
            "anchor": self.anchor,
            "title": self.title,
            "year": self.year,
            "department": self.department,
            "supervisor": self.supervisor,
            "implementer": self.implementer,
            "project_code": self.project_code,
            "project_name": self.project_name,
            "template": self.template,
            "purpose": self.purpose,
            "amount": self.amount,
            "funds": {line: dict(cols) for line, cols in self.funds.items()},
            "spend_plan": dict(self.spend_plan),
            "goals": list(self.goals),
            "long_term_goals": list(self.long_term_goals),
            "goals_achieved": list(self.goals_achieved),
            "fields": {k: dict(v) for k, v in self.fields.items()},
            "totals": dict(self.totals),
            "indicators": [i.to_dict() for i in self.indicators],
            "cells": dict(self.cells),
        }


@dataclass(frozen=True, slots=True)
class ExtractResult:
    """Everything read from one workbook: its tables and the problems met while reading."""

    # a large run holds these by the hundred thousand: no __dict__ each, compact once unpickled
    __getstate__ = _state
    __setstate__ = _set_state

    source: str
    tables: tuple[Table, ...]
    problems: tuple[Problem, ...]
    rollup: RollUp | None = None  # what a lower level's 全部单位 summary holds (then no tables of its own)

    @property
    def readable(self) -> bool:
        return not any(p.code in NOT_READ for p in self.problems)

    @property
    def exit_code(self) -> int:
        if not self.readable:
            return 2
        return 1 if any(p.severity == Severity.ERROR for p in self.problems) else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "tables": [t.to_dict() for t in self.tables],
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found: the results per file and every problem, in report order."""

    results: tuple[ExtractResult, ...]
    problems: tuple[Problem, ...]
    paths: tuple[str, ...] = ()  # the files and folders that were checked

    @property
    def counts(self) -> dict[str, int]:
        return severity_counts(self.problems)

    @property
    def exit_code(self) -> int:
        if any(not r.readable for r in self.results) or not self.results:
            return 2
        return 1 if self.counts["error"] else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [{"source": r.source, "readable": r.readable, "tables": len(r.tables),
                       "indicators": sum(len(t.indicators) for t in r.tables)}
                      for r in self.results],
            "counts": self.counts,
            "problems": [p.to_dict() for p in self.problems],
        }


class ReadStatus(enum.Enum):
    """What became of one file of the inbox; ``label`` is how a summary shows it."""

    READ = "已读取"
    NO_TABLE = "未找到表"
    FAILED = "无法读取"
    SKIPPED = "已跳过"
    ROLLED_UP = "已汇入"  # a lower level's 全部单位 summary: its files are listed in its place

    @property
    def label(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file seen in the inbox and what became of it."""

    # a large run holds these by the hundred thousand: no __dict__ each, compact once unpickled
    __getstate__ = _state
    __setstate__ = _set_state

    path: str          # as read
    relative: str      # relative to the inbox
    size: int
    sha256: str
    modified: str
    tables: int
    status: ReadStatus
    department: str
    reason: str | None = None  # why it was not read or skipped
    parent: str | None = None  # 上级单位 of a file listed in a lower level's summary; None: sent here

    @property
    def unit(self) -> str:
        """The unit the file belongs to here (as ``Table.unit``)."""
        return under(self.parent, self.department)

    @property
    def status_text(self) -> str:
        """The status as a summary shows it: “无法读取：<reason>”, “已读取” …"""
        return f"{self.status.label}：{self.reason}" if self.reason else self.status.label


@dataclass(frozen=True)
class RollUp:
    """A lower level's 全部单位 summary read back: one result per file it consolidated (tables
    and problems at their original files and cells) and those files, each under its 上级单位 as
    that summary shows it (None for a file sent straight to that level)."""

    results: tuple[ExtractResult, ...]
    sources: tuple[SourceFile, ...]
    absent: tuple[UnitSubmission, ...] = ()  # the units its 报送情况 lists as 未报送 (against its roster)


SubmissionState = Literal["未报送", "有错误", "已报送", "全部通过"]


@dataclass(frozen=True)
class UnitSubmission:
    """One unit of the 报送情况: who it is on the roster (if there is one), under which names its
    files came, what state it is in, its latest file and its counts."""

    unit: str                       # the roster's name, else the name its files came under
    state: SubmissionState
    listed: bool = False            # on the roster
    code: str | None = None         # 单位编码 from the roster
    names: tuple[str, ...] = ()     # the unit names its files came under
    files: int = 0                  # files sent (read, without a table, or unreadable)
    latest: str = ""                # modification time of its latest file (ISO)
    projects: int = 0               # project tables read
    expected: int | None = None     # 应报项目 on the roster
    missing: tuple[str, ...] = ()   # projects the roster names that were not found
    errors: int = 0
    warnings: int = 0
    note: str = ""                  # how it was matched, or why it is not on the roster

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "state": self.state, "listed": self.listed, "code": self.code,
                "names": list(self.names), "files": self.files, "latest": self.latest,
                "projects": self.projects, "expected": self.expected, "missing": list(self.missing),
                "errors": self.errors, "warnings": self.warnings, "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UnitSubmission:
        return cls(**{**data, "names": tuple(data.get("names", ())), "missing": tuple(data.get("missing", ()))})


ChangeKind = Literal["目标提高", "目标降低", "目标不变", "目标改变", "符号改变", "新增指标", "取消指标",
                     "资金变化", "新增项目", "上年项目未报", "对应不唯一"]


@dataclass(frozen=True)
class TargetChange:
    """One line of the 同比: an indicator (or a project's funds, or a whole project) compared with
    last year's. 目标提高/目标降低 mean harder/easier to reach: for ≤ and < a lower value is higher."""

    kind: ChangeKind
    unit: str
    project_code: str | None
    project_name: str | None
    indicator: str | None = None      # 三级指标
    level1: str | None = None
    level2: str | None = None
    before: str | None = None         # last year's target (or funds) as written
    after: str | None = None          # this year's
    file: str | None = None           # this year's file, sheet and cell (None for a dropped project)
    sheet: str | None = None
    cell: str | None = None
    previous: str = ""                # where last year's table is: file!sheet!cell

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "unit": self.unit, "project_code": self.project_code,
                "project_name": self.project_name, "indicator": self.indicator, "level1": self.level1,
                "level2": self.level2, "before": self.before, "after": self.after, "file": self.file,
                "sheet": self.sheet, "cell": self.cell, "previous": self.previous}


@dataclass
class Consolidation:
    """Everything a summary needs: results, sources, problems, departments and outputs."""

    inbox: str
    results: list[ExtractResult]
    sources: list[SourceFile]
    problems: list[Problem]
    departments: list[str]
    outputs: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # those of ``outputs`` left as they were (same content)
    targets: list[ExtractResult] = field(default_factory=list)  # approved target tables given apart (--targets)
    stale: list[str] = field(default_factory=list)  # books in the output folder of units this run has not
    cleaned: bool = False                           # … and whether they were removed (--clean)
    started: str = ""                               # when the run began (ISO, to the second)
    roster: str | None = None                       # the roster of expected units (--roster, or found)
    roster_rows: dict[tuple[str | None, str], str] = field(default_factory=dict)  # its (sheet, cell) -> unit
    submissions: list[UnitSubmission] = field(default_factory=list)  # the 报送情况, one per unit
    previous: str | None = None                     # last year's inbox or summary (--previous)
    changes: list[TargetChange] = field(default_factory=list)        # the 同比
    absent_below: list[UnitSubmission] = field(default_factory=list)  # lower levels' 未报送 units, under them

    @property
    def counts(self) -> dict[str, int]:
        return severity_counts(self.problems)

    @property
    def nothing_read(self) -> bool:
        """True when no file of the inbox gave a table (empty, or nothing readable)."""
        return not any(r.readable and r.tables for r in self.results)

    @property
    def table_count(self) -> int:
        return sum(len(r.tables) for r in self.results)

    @property
    def indicator_count(self) -> int:
        return sum(len(t.indicators) for r in self.results for t in r.tables)

    @property
    def exit_code(self) -> int:
        if self.nothing_read:
            return 2
        return 1 if self.counts["error"] else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "inbox": self.inbox,
            "started": self.started,
            "files": len(self.sources),
            "files_failed": sum(s.status is ReadStatus.FAILED for s in self.sources),
            "files_skipped": sum(s.status is ReadStatus.SKIPPED for s in self.sources),
            "files_rolled_up": sum(s.status is ReadStatus.ROLLED_UP for s in self.sources),
            "tables": self.table_count,
            "indicators": self.indicator_count,
            "departments": self.departments,
            "problems": self.counts,
            "outputs": self.outputs,
            "unchanged": self.unchanged,
            "stale": self.stale,
            "stale_removed": self.cleaned,
            "roster": self.roster,
            "submissions": [s.to_dict() for s in self.submissions],
            "previous": self.previous,
            "changes": [c.to_dict() for c in self.changes],
        }
