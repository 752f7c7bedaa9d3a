"""``check``: extract every workbook given, validate the frames with the pandera schemas once,
run the review rules, apply the office's severity overrides, and report every finding sorted by
file, sheet and cell."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import UnreadableWorkbook
from ..model import CheckResult, ExtractResult, Problem
from ..read.inbox import root_of, scan_inbox
from ..read.isolation import read_isolated
from ..read.limits import DEFAULT_LIMITS, Limits
from ..read.workbook import read_bytes
from ..tables.extraction import extract, extract_sheets
from ..tables.own_summaries import is_summary, summary_tables
from ..tables.vocabulary import Vocabulary, resolve_vocabulary
from .approved_targets import compare_with_approved
from .ruleset import RuleSet, resolve_ruleset
from .table_rules import run_rules


def check(paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
          rules: RuleSet | str | os.PathLike[str] | None = None,
          limits: Limits = DEFAULT_LIMITS,
          labels: Vocabulary | str | os.PathLike[str] | None = None,
          targets: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] | None = None) -> CheckResult:
    """Check the workbooks at ``paths`` (files and folders) against the schemas and review rules.

    ``rules`` is a RuleSet or the path of a rules file (default: the shipped rules.toml);
    ``labels`` a Vocabulary or a labels file extending the shipped one; ``targets`` the year's
    approved target tables (files or folders) that self-evaluations are held against, besides
    the target tables among ``paths``.
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    ruleset = resolve_ruleset(rules)
    vocab = resolve_vocabulary(labels)
    scan = scan_inbox(paths)
    results = tuple(extract(p, limits=limits, labels=vocab, root=root_of(p, paths)) for p in scan.found)
    approved = read_targets(targets, limits, vocab)
    checked = check_results(results, ruleset, skipped=scan.skipped, targets=approved)
    return replace(checked, paths=tuple(os.fspath(p) for p in paths))


def read_targets(targets: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] | None, limits: Limits,
                 vocab: Vocabulary) -> tuple[ExtractResult, ...]:
    """The approved target tables at ``targets`` (files or folders), read once."""
    if targets is None:
        return ()
    targets = [targets] if isinstance(targets, (str, os.PathLike)) else list(targets)
    out: list[ExtractResult] = []
    listed: set[tuple[str | None, str | None, str | None]] = set()  # projects already read from a summary
    for path in scan_inbox(targets).found:
        result, from_summary = _approved_tables(path, limits, vocab, root_of(path, targets))
        if from_summary:  # a unit's book and the 全部单位 book list the same projects
            keep = [t for t in result.tables if (t.project_code, t.project_name, t.department) not in listed]
            listed |= {(t.project_code, t.project_name, t.department) for t in keep}
            result = replace(result, tables=tuple(keep))
        out.append(result)
    return tuple(out)


def _approved_tables(path: Path, limits: Limits, vocab: Vocabulary, root: str | None) -> tuple[ExtractResult, bool]:
    """The target tables of one file — a submission, or a summary perfxl wrote for them — and
    whether it was a summary."""
    try:
        sheets = read_isolated(os.fspath(path), read_bytes(os.fspath(path), limits, root), limits)
    except UnreadableWorkbook:
        return extract(path, limits=limits, labels=vocab, root=root), False  # says why, as a problem
    if is_summary(sheets):
        return summary_tables(path, sheets), True
    return extract_sheets(os.fspath(path), sheets, vocab), False


def check_results(results: Sequence[ExtractResult], rules: RuleSet,
                  per_file: list[list[Problem]] | None = None,
                  skipped: Sequence[Problem] = (), targets: Sequence[ExtractResult] = (),
                  validated: Sequence[bool] | None = None) -> CheckResult:
    """The check of workbooks already extracted. ``per_file`` (one list per result): the
    per-file findings already made, by the workers that read the files (and, where
    ``validated[n]``, the schema failures of result ``n``, found while the others were read);
    ``skipped``: what the inbox scan passed over."""
    results = tuple(results)
    problems = [p for r in results for p in r.problems] + list(skipped)
    # tables from a lower level's summary were checked there: their findings came with them
    fresh = [n for n, r in enumerate(results) if not any(t.parent for t in r.tables)]
    problems += findings(tuple(results[n] for n in fresh), rules, [per_file[n] for n in fresh] if per_file else None,
                         everything=results, validated=[validated[n] for n in fresh] if validated else None)
    kept = set(fresh)
    rolled = tuple(r for n, r in enumerate(results) if n not in kept)
    problems += compare_with_approved([results[n] for n in fresh], [*targets, *rolled])
    problems = rules.adjusted(problems)
    problems.sort(key=Problem.sort_key)
    return CheckResult(results, tuple(problems))


def findings(results: tuple[ExtractResult, ...], rules: RuleSet,
             per_file: list[list[Problem]] | None = None,
             everything: Sequence[ExtractResult] | None = None,
             validated: Sequence[bool] | None = None) -> list[Problem]:
    """Schema failures and rule findings (not the reading problems) for ``results``; project
    codes are compared across ``everything`` (default: ``results``). The results marked
    ``validated`` have their schema failures in ``per_file`` already."""
    todo = results if validated is None else tuple(r for r, done in zip(results, validated, strict=True) if not done)
    return schema_findings(todo, rules) + run_rules(results, rules, per_file, everything)


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
