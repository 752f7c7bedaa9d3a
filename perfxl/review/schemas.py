"""pandera schemas of the projects, indicators and spend-plan frames.

Each frame is validated lazily over many files at once; every failure becomes a ``Problem`` at
the cell that holds the failing value. Check names are the problem codes. The schemas are
``DataFrameSchema`` objects rather than class-based models: a model resolves its annotations
through ``pandera.typing``, which imports every dataframe library installed beside pandas (Dask
among them, with the ``dask`` extra), about half a second on each run.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd
import pandera.pandas as pa

from ..model import Problem
from ..problems import REGISTRY, problem
from .ruleset import RuleSet

A1 = r"^[A-Z]{1,3}[0-9]+$"

# (column, pandera built-in check) -> problem code; the other checks are named by their code
_BUILTIN: dict[tuple[str, str], str] = {
    ("project_code", "not_nullable"): "project-code-missing",
    ("project_name", "not_nullable"): "project-name-missing",
}
_CELL_OF = {"project_code": "project_code", "project_name": "project_name", "amount": "amount",
            "operator": "operator", "value": "value"}


def _located() -> dict[str, pa.Column]:
    """The columns every frame row carries to point back at its source."""
    return {"file": pa.Column(str), "sheet": pa.Column(str), "cell": pa.Column(str, pa.Check.str_matches(A1))}


@lru_cache(maxsize=8)
def project_schema(pattern: str) -> pa.DataFrameSchema:
    """Schema of the projects frame (project tables only), with the office's code pattern."""
    return pa.DataFrameSchema({
        **_located(),
        "project_code": pa.Column(str, pa.Check(lambda s: s.isna() | s.astype(str).str.fullmatch(pattern),
                                                name="project-code-pattern"), nullable=False),
        "project_name": pa.Column(str, nullable=False),
        "amount": pa.Column(float, pa.Check(lambda s: s.isna() | (s >= 0), name="amount-negative"), nullable=True),
    })


@lru_cache(maxsize=8)
def indicator_schema(allowed: tuple[str, ...]) -> pa.DataFrameSchema:
    """Schema of the indicators frame, with the office's list of 符号."""
    return pa.DataFrameSchema({
        **_located(),
        "level3": pa.Column(str),
        "operator": pa.Column(str, pa.Check(lambda s: s.isna() | s.isin(allowed), name="operator-not-allowed"),
                              nullable=True),
        "value": pa.Column(float, nullable=True),
    }, checks=[pa.Check(lambda df: ~((df["unit"] == "%") & ~df["value"].between(0, 100) & df["value"].notna()),
                        name="percent-out-of-range")])


@lru_cache(maxsize=1)
def spend_plan_schema() -> pa.DataFrameSchema:
    """Schema of the spend-plan frame: cumulative per cent at each checkpoint."""
    return pa.DataFrameSchema({
        "cell": pa.Column(str, pa.Check.str_matches(A1)),
        "value": pa.Column(float, pa.Check(lambda s: s.isna() | s.between(0, 100), name="spend-plan-out-of-range"),
                           nullable=True),
    })


def validate(schema: pa.DataFrameSchema, frame: pd.DataFrame, rules: RuleSet | None = None) -> list[Problem]:
    """Every failure of ``frame`` against ``schema`` as a Problem at its source cell."""
    if frame.empty:
        return []
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        choices = "、".join(rules.operators) if rules else "≥、>、=、<、≤、文字描述"
        return _problems(err.failure_cases, frame, choices)
    return []


def _problems(cases: pd.DataFrame, frame: pd.DataFrame, choices: str) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    for case in cases.to_dict("records"):
        column, check, index = str(case["column"]), str(case["check"]), case["index"]
        if index is None or pd.isna(index) or int(index) not in frame.index:
            continue
        row = {str(k): v for k, v in frame.loc[int(index)].to_dict().items()}
        code = _BUILTIN.get((column, check)) or (check if check in REGISTRY else "schema")
        cells: dict[str, str] = row["cells"] if isinstance(row.get("cells"), dict) else {}
        field = "value" if code == "percent-out-of-range" else _CELL_OF.get(column, "")
        cell = cells.get(field) or row["cell"]
        key = (row["file"], row["sheet"], cell, code)
        if key in seen:
            continue
        seen.add(key)
        # a check of the whole frame reports every column of the row: the value is the row's
        value = row.get("value") if code == "percent-out-of-range" else case["failure_case"]
        out.append(problem(code, file=row["file"], sheet=row["sheet"], cell=cell, value=value,
                           choices=choices, column=column, check=check))
    return out
