"""pandera schemas of the projects, indicators and spend-plan frames.

Each frame is validated once, lazily, over every file checked together; every failure becomes a
``Problem`` at the cell that holds the failing value. Check names are the problem codes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from .config import Rules
from .model import Problem

A1 = r"^[A-Z]{1,3}[0-9]+$"

# (column, pandera check) -> (problem code, message); {value} is the failing value
_BUILTIN: dict[tuple[str, str], tuple[str, str]] = {
    ("project_code", "not_nullable"): ("project-code-missing", "项目编码为空；请填写项目编码"),
    ("project_name", "not_nullable"): ("project-name-missing", "项目名称为空；请填写项目名称"),
}
_MESSAGES: dict[str, str] = {
    "project-code-pattern": "项目编码“{value}”不符合编码格式（如 105-0901-YBN-DPPC）；请按财政下达的编码填写",
    "amount-negative": "年度资金总额 {value} 为负数；请填写不小于 0 的金额（万元）",
    "spend-plan-out-of-range": "资金支出计划 {value} 不在 0–100 之间；累计进度请填 0 到 100 的百分数",
    "percent-out-of-range": "指标值 {value}% 不在 0–100 之间；百分比指标请填 0 到 100 的数",
}
_OPERATOR_MESSAGE = "符号“{value}”不在本单位允许的符号之内；请改为 {choices} 之一"
_CELL_OF = {"project_code": "project_code", "project_name": "project_name", "amount": "amount",
            "operator": "operator", "value": "value"}


class _Located(pa.DataFrameModel):
    """The columns every frame row carries to point back at its source."""

    file: Series[str]
    sheet: Series[str]
    cell: Series[str] = pa.Field(str_matches=A1)


def project_model(rules: Rules) -> type[pa.DataFrameModel]:
    """Schema of the projects frame (project tables only), with the office's code pattern."""
    pattern = rules.code_pattern

    class ProjectFrame(_Located):
        project_code: Series[str] = pa.Field(nullable=False)
        project_name: Series[str] = pa.Field(nullable=False)
        amount: Series[float] = pa.Field(nullable=True)

        @pa.check("project_code", name="project-code-pattern")
        def _code(cls, s: Series[str]) -> Series[bool]:
            return s.isna() | s.astype(str).str.fullmatch(pattern)

        @pa.check("amount", name="amount-negative")
        def _amount(cls, s: Series[float]) -> Series[bool]:
            return s.isna() | (s >= 0)

    return ProjectFrame


def indicator_model(rules: Rules) -> type[pa.DataFrameModel]:
    """Schema of the indicators frame, with the office's list of 符号."""
    allowed = sorted(rules.operator_codes)

    class IndicatorFrame(_Located):
        level3: Series[str]
        operator: Series[str] = pa.Field(nullable=True)
        value: Series[float] = pa.Field(nullable=True)

        @pa.check("operator", name="operator-unknown")
        def _operator(cls, s: Series[str]) -> Series[bool]:
            return s.isna() | s.isin(allowed)

        @pa.dataframe_check(name="percent-out-of-range")
        def _percent(cls, df: pd.DataFrame) -> Series[bool]:
            return ~((df["unit"] == "%") & ~df["value"].between(0, 100) & df["value"].notna())

    return IndicatorFrame


class SpendPlanFrame(pa.DataFrameModel):
    """Schema of the spend-plan frame: cumulative per cent at each checkpoint."""

    cell: Series[str] = pa.Field(str_matches=A1)
    value: Series[float] = pa.Field(nullable=True)

    @pa.check("value", name="spend-plan-out-of-range")
    def _range(cls, s: Series[float]) -> Series[bool]:
        return s.isna() | s.between(0, 100)


def validate(model: type[pa.DataFrameModel], frame: pd.DataFrame,
             rules: Rules | None = None) -> list[Problem]:
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
    for case in cases.itertuples(index=False):
        column, check, index = str(case.column), str(case.check), case.index
        if index is None or pd.isna(index) or int(index) not in frame.index:
            continue
        row = frame.loc[int(index)]
        if (column, check) in _BUILTIN:
            code, message = _BUILTIN[(column, check)]
        elif check == "operator-unknown":
            code, message = check, _OPERATOR_MESSAGE.format(value=case.failure_case, choices=choices)
        elif check in _MESSAGES:
            code, message = check, _MESSAGES[check].format(value=case.failure_case)
        else:
            code, message = "schema", f"“{column}”列的值“{case.failure_case}”不符合要求（{check}）"
        cells = row.get("cells") if isinstance(row.get("cells"), dict) else {}
        field = "value" if code == "percent-out-of-range" else _CELL_OF.get(column, "")
        cell = cells.get(field) or row["cell"]
        key = (row["file"], row["sheet"], cell, code)
        if key in seen:
            continue
        seen.add(key)
        out.append(Problem("error", code, message, row["file"], row["sheet"], cell))
    return out
