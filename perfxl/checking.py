"""``check``: extract every workbook given, validate the frames with the pandera schemas once,
run the review rules, and report every finding sorted by file, sheet and cell."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .config import Rules, load_rules
from .extraction import extract
from .inbox import scan_inbox
from .limits import DEFAULT_LIMITS, Limits
from .model import ExtractResult, Problem, severity_counts


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found: the results per file and every problem, in report order."""

    results: tuple[ExtractResult, ...]
    problems: tuple[Problem, ...]

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


def check(paths: Iterable[str | os.PathLike[str]] | str, rules: Rules | str | None = None,
          results: Iterable[ExtractResult] | None = None,
          limits: Limits = DEFAULT_LIMITS,
          per_file: list[list[Problem]] | None = None) -> CheckResult:
    """Check the workbooks at ``paths`` (files and folders) against the schemas and review rules.

    ``rules`` is a Rules object or the path of a rules file (default: the shipped rules.toml).
    ``results`` lets a caller that already extracted the files skip reading them again, and
    ``per_file`` (one list per result) the per-file rule findings it already made.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    ruleset = rules if isinstance(rules, Rules) else load_rules(rules)
    skipped: list[Problem] = []
    if results is None:
        scan = scan_inbox(paths)
        results = [extract(p, limits=limits) for p in scan.found]
        skipped = scan.skipped
    results = tuple(results)
    problems = [p for r in results for p in r.problems] + skipped
    problems += findings(results, ruleset, per_file)
    problems.sort(key=Problem.sort_key)
    return CheckResult(results, tuple(problems))


def findings(results: tuple[ExtractResult, ...], rules: Rules,
             per_file: list[list[Problem]] | None = None) -> list[Problem]:
    """Schema failures and rule findings (not the reading problems) for ``results``."""
    from .frames import indicators_frame, projects_frame, spend_plan_frame
    from .rules import run_rules
    from .schema import SpendPlanFrame, indicator_model, project_model, validate

    projects = projects_frame(results)
    out = validate(project_model(rules), projects[projects["kind"] == "project"])
    out += validate(indicator_model(rules), indicators_frame(results), rules)
    out += validate(SpendPlanFrame, spend_plan_frame(results))
    out += run_rules(results, rules, per_file)
    return out


def warm_up(rules: Rules) -> None:
    """Import pandas and pandera and run the schemas once on a one-row table, so that the
    imports they make lazily on first use happen now (while workers read files) and not
    in the middle of a run."""
    from .model import Indicator, Table

    indicator = Indicator("产出指标", "数量指标", "样例", None, ">=", 1.0, "个", None, None, "C3",
                          {"value": "E3"})
    table = Table("project", "S", "A1", project_code="000-0000-AAA-0000", project_name="样例",
                  spend_plan={"12月底": 100.0}, goals=("目标",), indicators=(indicator,),
                  cells={"project_code": "B1"})
    findings((ExtractResult("样例.xlsx", (table,), ()),), rules)
