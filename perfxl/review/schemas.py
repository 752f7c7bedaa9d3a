"""pandera schemas of the projects, indicators and spend-plan frames.

Each frame is validated once, lazily, over every file checked together; every failure becomes a
``Problem`` at the cell that holds the failing value. Check names are the problem codes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

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


class _Located(pa.DataFrameModel):
    """The columns every frame row carries to point back at its source."""

    file: Series[str]
    sheet: Series[str]
    cell: Series[str] = pa.Field(str_matches=A1)


def project_model(rules: RuleSet) -> type[pa.DataFrameModel]:
    """Schema of the projects frame (project tables only), with the office's code pattern."""
    pattern = rules.code_pattern

    class ProjectFrame(_Located):
        project_code: Series[str] = pa.Field(nullable=False)
        project_name: Series[str] = pa.Field(nullable=False)
        amount: Series[float] = pa.Field(nullable=True)

        @pa.check("project_code", name="project-code-pattern")
        def _code(cls, s: Series[str]) -> pd.Series[bool]:
            return s.isna() | s.astype(str).str.fullmatch(pattern)

        @pa.check("amount", name="amount-negative")
        def _amount(cls, s: Series[float]) -> pd.Series[bool]:
            return s.isna() | (s >= 0)

    return ProjectFrame


def indicator_model(rules: RuleSet) -> type[pa.DataFrameModel]:
    """Schema of the indicators frame, with the office's list of 符号."""
    allowed = sorted(rules.operator_codes)

    class IndicatorFrame(_Located):
        level3: Series[str]
        operator: Series[str] = pa.Field(nullable=True)
        value: Series[float] = pa.Field(nullable=True)

        @pa.check("operator", name="operator-not-allowed")
        def _operator(cls, s: Series[str]) -> pd.Series[bool]:
            return s.isna() | s.isin(allowed)

        @pa.dataframe_check(name="percent-out-of-range")
        def _percent(cls, df: pd.DataFrame) -> pd.Series[bool]:
            return ~((df["unit"] == "%") & ~df["value"].between(0, 100) & df["value"].notna())

    return IndicatorFrame


class SpendPlanFrame(pa.DataFrameModel):
    """Schema of the spend-plan frame: cumulative per cent at each checkpoint."""

    cell: Series[str] = pa.Field(str_matches=A1)
    value: Series[float] = pa.Field(nullable=True)

    @pa.check("value", name="spend-plan-out-of-range")
    def _range(cls, s: Series[float]) -> pd.Series[bool]:
        return s.isna() | s.between(0, 100)


def validate(model: type[pa.DataFrameModel], frame: pd.DataFrame,
             rules: RuleSet | None = None) -> list[Problem]:
    """Every failure of ``frame`` against ``model`` as a Problem at its source cell."""
    if frame.empty:
        return []
    try:
        model.validate(frame, lazy=True)
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
