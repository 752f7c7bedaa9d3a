"""pandas frames at the boundary: one row per table (projects) and one per indicator.

Every row carries ``file``, ``sheet`` and ``cell`` so a validation failure maps back to Excel.
pandas is imported here only, never on the start-up path of the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..model import ExtractResult, Table

if TYPE_CHECKING:
    import pandas as pd

PROJECT_COLUMNS = ["file", "sheet", "cell", "table_id", "kind", "stage", "title", "year", "department",
                   "supervisor", "implementer", "project_code", "project_name", "template", "purpose", "amount",
                   "funds", "spend_plan", "goals", "goal_count", "long_term_goals", "goals_achieved", "fields",
                   "indicator_count", "cells"]
INDICATOR_COLUMNS = ["file", "sheet", "cell", "table_id", "kind", "stage", "department", "project_code",
                     "project_name", "level1", "level2", "level3", "description", "operator",
                     "value", "unit", "target_text", "basis", "weight", "level1_weight", "actual", "actual_value",
                     "score", "deviation", "extra", "cells"]
SPEND_PLAN_COLUMNS = ["file", "sheet", "cell", "table_id", "project_code", "checkpoint", "value"]


def table_id(source: str, table: Table) -> str:
    """A stable identifier of a table: file, sheet and anchor."""
    return f"{source}!{table.sheet}!{table.anchor}"


def project_records(results: Iterable[ExtractResult]) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        for t in result.tables:
            rows.append({
                "file": result.source, "sheet": t.sheet, "cell": t.anchor,
                "table_id": table_id(result.source, t), "kind": t.kind, "stage": t.stage,
                "title": t.title, "year": t.year, "department": t.department, "supervisor": t.supervisor,
                "implementer": t.implementer, "project_code": t.project_code,
                "project_name": t.project_name, "template": t.template, "purpose": t.purpose,
                "amount": t.amount, "funds": {k: dict(v) for k, v in t.funds.items()},
                "spend_plan": dict(t.spend_plan), "goals": list(t.goals), "goal_count": len(t.goals),
                "long_term_goals": list(t.long_term_goals), "goals_achieved": list(t.goals_achieved),
                "fields": dict(t.fields), "indicator_count": len(t.indicators), "cells": dict(t.cells),
            })
    return rows


def indicator_records(results: Iterable[ExtractResult]) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        for t in result.tables:
            tid = table_id(result.source, t)
            for ind in t.indicators:
                rows.append({
                    "file": result.source, "sheet": t.sheet, "cell": ind.cell, "table_id": tid,
                    "kind": t.kind, "stage": t.stage, "department": t.department, "project_code": t.project_code,
                    "project_name": t.project_name, "level1": ind.level1, "level2": ind.level2,
                    "level3": ind.level3, "description": ind.description,
                    "operator": ind.operator, "value": ind.value, "unit": ind.unit,
                    "target_text": ind.target_text, "basis": ind.basis, "weight": ind.weight,
                    "level1_weight": ind.level1_weight, "actual": ind.actual, "actual_value": ind.actual_value,
                    "score": ind.score, "deviation": ind.deviation, "extra": dict(ind.extra),
                    "cells": dict(ind.cells),
                })
    return rows


def spend_plan_records(results: Iterable[ExtractResult]) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        for t in result.tables:
            for name, value in t.spend_plan.items():
                rows.append({
                    "file": result.source, "sheet": t.sheet,
                    "cell": t.cells.get(f"spend_plan.{name}", t.anchor),
                    "table_id": table_id(result.source, t), "project_code": t.project_code,
                    "checkpoint": name, "value": value,
                })
    return rows


def spend_plan_frame(results: Iterable[ExtractResult]) -> pd.DataFrame:
    """One row per 资金支出计划 checkpoint of every table."""
    return _frame(spend_plan_records(results), SPEND_PLAN_COLUMNS, "value")


def projects_frame(results: Iterable[ExtractResult]) -> pd.DataFrame:
    """One row per table found in ``results``."""
    return _frame(project_records(results), PROJECT_COLUMNS, "amount")


def indicators_frame(results: Iterable[ExtractResult]) -> pd.DataFrame:
    """One row per 三级指标 found in ``results``."""
    return _frame(indicator_records(results), INDICATOR_COLUMNS, "value")


def _frame(records: list[dict[str, Any]], columns: list[str], number: str) -> pd.DataFrame:
    """The records as a frame, column ``number`` as float64 (even when all blank or empty)."""
    import pandas as pd

    frame = pd.DataFrame(records, columns=columns)
    frame[number] = frame[number].astype("float64")
    return frame
