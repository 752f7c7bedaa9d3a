"""The projects and indicators frames: one row per table / indicator, each with its cell."""

from __future__ import annotations

from perfxl import extract
from perfxl.review.frames import INDICATOR_COLUMNS, PROJECT_COLUMNS, indicators_frame, projects_frame

from .conftest import ROOT


def test_frames_from_the_sample_inbox() -> None:
    results = [extract(p) for p in sorted((ROOT / "workbooks" / "inbox").rglob("*.xls*"))]
    projects = projects_frame(results)
    indicators = indicators_frame(results)
    assert list(projects.columns) == PROJECT_COLUMNS and len(projects) == 12
    assert list(indicators.columns) == INDICATOR_COLUMNS and len(indicators) == 49
    assert indicators["cell"].str.match(r"^[A-Z]+\d+$").all()
    assert indicators["value"].dtype == "float64"
    assert set(projects["kind"]) == {"project", "department"}
    assert projects["indicator_count"].sum() == len(indicators)
