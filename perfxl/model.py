"""The records perfxl passes around: problems, indicators, tables and extraction results.

All are frozen dataclasses with a ``to_dict`` giving the JSON form of the extract contract
(``shared/docs/extract-contract.md``), plus a ``cells`` map that keeps the A1 source of every
parsed value so a finding can always point at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
SEVERITY_LABEL: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}
SEVERITY_FILL: dict[str, str] = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}  # cell colours


@dataclass(frozen=True)
class Problem:
    """One finding: what is wrong, where (file, sheet, cell) and how to fix it (Chinese)."""

    severity: Severity
    code: str
    message: str
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "code": self.code,
            "message": self.message,
        }

    def sort_key(self) -> tuple[Any, ...]:
        from .a1 import a1_sort_key

        return (self.file or "", self.sheet or "", a1_sort_key(self.cell), self.code)


def severity_counts(problems: Iterable[Problem]) -> dict[str, int]:
    """How many problems of each severity (every severity present, zero or not)."""
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for p in problems:
        counts[p.severity] += 1
    return counts


@dataclass(frozen=True)
class Indicator:
    """One 三级指标 row of an indicator block."""

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
    cells: dict[str, str] = field(default_factory=dict, compare=False)

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
            "cell": self.cell,
            "cells": dict(self.cells),
        }


@dataclass(frozen=True)
class Table:
    """One 预算项目绩效表 (kind "project") or 部门整体支出绩效指标 table (kind "department")."""

    kind: Literal["project", "department"]
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
    cells: dict[str, str] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "sheet": self.sheet,
            "anchor": self.anchor,
            "department": self.department,
            "project_code": self.project_code,
            "project_name": self.project_name,
            "template": self.template,
            "purpose": self.purpose,
            "amount": self.amount,
            "spend_plan": dict(self.spend_plan),
            "goals": list(self.goals),
            "indicators": [i.to_dict() for i in self.indicators],
            "cells": dict(self.cells),
        }


@dataclass(frozen=True)
class ExtractResult:
    """Everything read from one workbook: its tables and the problems met while reading."""

    source: str
    tables: tuple[Table, ...]
    problems: tuple[Problem, ...]

    @property
    def readable(self) -> bool:
        return not any(p.code == "unreadable" for p in self.problems)

    @property
    def exit_code(self) -> int:
        if not self.readable:
            return 2
        return 1 if any(p.severity == "error" for p in self.problems) else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "tables": [t.to_dict() for t in self.tables],
            "problems": [p.to_dict() for p in self.problems],
        }
