"""The pandera validation of results: ``schema_findings`` here, or in a validator process forked
before the files are read (``SchemaValidator``), so that importing pandas and pandera (half a
second, most of a one-file ``check``) goes on beside the reading and the rules instead of after
them. Where there is no fork, or the validator is lost, the validation runs here, alike."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from types import TracebackType

from ..model import ExtractResult, Problem
from ..read.isolation import Worker, WorkerGone
from ..read.workers import in_worker
from .ruleset import RuleSet

Validate = Callable[[Sequence[ExtractResult], RuleSet], list[Problem]]  # results -> their schema failures


def schema_findings(results: Sequence[ExtractResult], rules: RuleSet) -> list[Problem]:
    """Every failure of ``results``' frames against the pandera schemas, validated together (a
    failure concerns one row, so each file's are the same validated alone or with others)."""
    if not any(r.tables for r in results):
        return []  # nor are pandas and pandera imported
    from .frames import indicators_frame, projects_frame, spend_plan_frame  # pandas: lazily
    from .schemas import indicator_schema, project_schema, spend_plan_schema, validate  # pandera: lazily

    projects = projects_frame(results)
    # a form without a 项目编码 field cannot be faulted for an empty one
    coded = projects["cells"].map(lambda cells: "project_code" in cells).astype(bool)
    out = validate(project_schema(rules.code_pattern), projects[(projects["kind"] == "project") & coded])
    out += validate(indicator_schema(tuple(sorted(rules.operator_codes))), indicators_frame(results), rules)
    out += validate(spend_plan_schema(), spend_plan_frame(results))
    return out


def _prepare() -> None:
    """In the validator, first thing: import what validating needs."""
    from .frames import projects_frame  # noqa: F401  # pandas
    from .schemas import validate  # noqa: F401  # pandera


class SchemaValidator:
    """``schema_findings`` of one batch of results, in a validator process forked on entering the
    block: ``with SchemaValidator() as validate: … validate(results, rules)``."""

    def __init__(self) -> None:
        self._worker: Worker | None = None

    def __enter__(self) -> SchemaValidator:
        if hasattr(os, "fork") and not in_worker():
            try:
                self._worker = Worker(None)
                self._worker.send(_prepare, ())
            except OSError:  # no process to be had: validated here
                self._worker = None
        return self

    def __call__(self, results: Sequence[ExtractResult], rules: RuleSet) -> list[Problem]:
        worker, self._worker = self._worker, None  # one batch a validator
        if worker is None or not any(r.tables for r in results):
            if worker is not None:
                worker.stop()
            return schema_findings(results, rules)
        try:
            worker.receive(None)
            worker.send(schema_findings, (tuple(results), rules))
            found: list[Problem] = worker.receive(None)
            return found
        except (WorkerGone, BrokenPipeError, OSError):  # the validator was lost: validated here
            return schema_findings(results, rules)
        finally:
            worker.stop()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
