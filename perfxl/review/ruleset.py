"""The office's rules data (``rules.toml``, or a copy passed with ``--rules``): categories,
synonyms, operators, units, thresholds, words and severity overrides, as one ``RuleSet``.

One source of truth for ``check`` and for the template dropdowns.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ..errors import RulesFileError
from ..model import Problem, Severity
from ..problems import REGISTRY
from ..tables.normalize import normalize_operator
from ..toml_files import load_toml, where

DEFAULT_RULES = Path(__file__).with_name("rules.toml")


@lru_cache(maxsize=4096)
def base_name(name: str | None) -> str:
    """A category name without spaces and without its trailing 指标, for comparison."""
    if not name:
        return ""
    key = re.sub(r"\s+", "", name)
    return key[:-2] if key.endswith("指标") and len(key) > 2 else key


@dataclass(frozen=True)
class QualitativeTier:
    """A qualitative indicator whose 实际完成值 says one of ``words`` earns at most ``share`` of its 分值."""

    name: str
    share: float
    words: tuple[str, ...]


@dataclass(frozen=True)
class Scoring:
    """How a self-evaluation is scored: default weights, tolerances, grade bands, qualitative tiers."""

    weights: dict[str, float] = field(default_factory=lambda: {"产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0})
    execution_weight: float = 10.0
    score_tolerance: float = 0.01
    rate_tolerance: float = 0.5
    grades: tuple[tuple[str, float], ...] = (("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", 0.0))
    tiers: tuple[QualitativeTier, ...] = ()

    def grade(self, total: float) -> str:
        """The grade of a total (the highest band whose lowest total it reaches)."""
        for name, lowest in sorted(self.grades, key=lambda g: -g[1]):
            if total >= lowest - self.score_tolerance:
                return name
        return self.grades[-1][0]

    def tier(self, text: str) -> QualitativeTier | None:
        """The tier whose words a 实际完成值 contains, or None when it says none of them."""
        return next((t for t in self.tiers if any(w in text for w in t.words)), None)


def _scoring(data: dict[str, Any]) -> Scoring:
    base = Scoring()
    tiers = tuple(QualitativeTier(str(name), float(spec["share"]), tuple(str(w) for w in spec["words"]))
                  for name, spec in data.get("qualitative", {}).items())
    return Scoring(
        weights={str(k): float(v) for k, v in data.get("weights", base.weights).items()},
        execution_weight=float(data.get("execution_weight", base.execution_weight)),
        score_tolerance=float(data.get("score_tolerance", base.score_tolerance)),
        rate_tolerance=float(data.get("rate_tolerance", base.rate_tolerance)),
        grades=tuple((str(k), float(v)) for k, v in data.get("grades", dict(base.grades)).items()),
        tiers=tiers,
    )


@dataclass(frozen=True)
class RuleSet:
    """Parsed rules data with the look-ups the checks need."""

    code_pattern: str
    categories: dict[str, list[str]]
    synonyms: dict[str, str]
    roles: dict[str, Any]
    satisfaction_min: float
    qualitative_share_max: float
    unit_max_length: int
    vague_words: list[str]
    money_units: list[str]
    severity: dict[str, str]
    accepted: dict[str, list[str]] = field(default_factory=dict)  # more 二级 allowed under a 一级
    batch_folders: tuple[str, ...] = ()  # inbox sub-folders that group by batch or date, not by unit
    scoring: Scoring = field(default_factory=lambda: Scoring())
    operators: tuple[str, ...] = ("≥", ">", "=", "<", "≤", "文字描述")
    units: tuple[str, ...] = ()
    source: str = ""  # the rules file it was read from; "" for the shipped one
    roster: dict[str, tuple[str, ...]] = field(default_factory=dict)  # roster file names and header labels

    def adjusted(self, problems: Iterable[Problem]) -> list[Problem]:
        """``problems`` with the office's ``[severity]`` overrides applied."""
        if not self.severity:
            return list(problems)
        return [replace(p, severity=Severity(self.severity[p.code])) if p.code in self.severity else p
                for p in problems]

    def level1(self, name: str | None) -> str | None:
        """The canonical 一级指标 for a name as written (synonyms applied), or None. A name cut
        short in the form ("产") stands for the one category it begins."""
        key = base_name(name)
        found = self._level1_index.get(key)
        if found is None and key:
            starts = {canon for alias, canon in self._level1_index.items() if alias.startswith(key)}
            found = starts.pop() if len(starts) == 1 else None
        return found

    def level2_ok(self, level1: str, level2: str | None) -> bool:
        return base_name(level2) in self._level2_sets.get(level1, frozenset())

    @cached_property
    def _level1_index(self) -> dict[str, str]:
        index = {base_name(alias): canon for alias, canon in self.synonyms.items()}
        index.update({base_name(canon): canon for canon in self.categories})
        return index

    @cached_property
    def _level2_sets(self) -> dict[str, frozenset[str]]:
        return {canon: frozenset(base_name(x) for x in [*subs, *self.accepted.get(canon, [])])
                for canon, subs in self.categories.items()}

    def is_batch_folder(self, name: str) -> bool:
        """True for an inbox sub-folder that groups files by batch or date (第一批, 2023, 3月)."""
        return any(re.fullmatch(p, name.strip()) for p in self.batch_folders)

    @property
    def operator_codes(self) -> frozenset[str]:
        """The normalised 符号 (``>=``, ``text`` …) that the office accepts."""
        return frozenset(code for op in self.operators if (code := normalize_operator(op)))

    def operator_display(self, code: str | None) -> str | None:
        """How a normalised 符号 is written in a template: the office's own spelling of it."""
        return next((op for op in self.operators if normalize_operator(op) == code), code)

    def is_role(self, role: str, name: str | None) -> bool:
        return base_name(name) in self._roles.get(role, frozenset())

    @cached_property
    def _roles(self) -> dict[str, frozenset[str]]:
        return {role: frozenset(base_name(n) for n in (names if isinstance(names, list) else [names]))
                for role, names in self.roles.items()}


# the sections of a rules file and the keys each may hold (None: any key, e.g. a 一级指标's name)
_SECTIONS: dict[str, frozenset[str] | None] = {
    "project": frozenset({"code_pattern"}), "categories": None, "accepted": None, "synonyms": None,
    "operators": frozenset({"choices"}), "template": frozenset({"units"}),
    "roles": frozenset({"output", "benefit", "satisfaction", "satisfaction_level2", "quantity", "cost_level2"}),
    "units": frozenset({"batch_folders"}), "severity": None,
    "roster": frozenset({"files", "name", "code", "aliases", "projects", "form_labels"}),
    "thresholds": frozenset({"satisfaction_min", "qualitative_share_max", "unit_max_length"}),
    "words": frozenset({"vague", "money_units"}),
    "scoring": frozenset({"weights", "execution_weight", "score_tolerance", "rate_tolerance", "grades", "qualitative"}),
}
_NUMBERS = {"thresholds": ("satisfaction_min", "qualitative_share_max", "unit_max_length"),
            "scoring": ("execution_weight", "score_tolerance", "rate_tolerance")}


def _known_keys(data: dict[str, Any], source: Path) -> None:
    """Every section and key known, every threshold a number: a misspelt key is reported, never
    silently ignored."""
    for section, value in data.items():
        if section not in _SECTIONS:
            raise RulesFileError(f"规则文件 {source} {where(source, section)}的 [{section}] 不是可用的部分；"
                                 f"可用的有 {'、'.join(_SECTIONS)}")
        keys = _SECTIONS[section]
        if keys is not None and isinstance(value, dict):
            unknown = sorted(set(value) - keys)
            if unknown:
                raise RulesFileError(f"规则文件 {source} {where(source, section, unknown[0])}的 [{section}] 中的 "
                                     f"{'、'.join(unknown)} 不认识；可用的有 {'、'.join(sorted(keys))}")
    for section, names in _NUMBERS.items():
        for key in names:
            value = data.get(section, {}).get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise RulesFileError(f"规则文件 {source} {where(source, section, key)}的 [{section}] {key} "
                                     f"应是数字（不加引号），不能是“{value}”")


def _check_severity(severity: dict[str, str], source: Path) -> None:
    """Every [severity] line names a code of perfxl's, one an office may change, and a level."""
    def listed(codes: list[str]) -> str:
        return "、".join(f"{code}（{where(source, 'severity', code) or '位置不明'}）" for code in codes)

    bad = sorted(code for code, level in severity.items() if level not in {str(s) for s in Severity})
    if bad:
        raise RulesFileError(f"规则文件 {source} 的 [severity] 中，{listed(bad)} 的级别只能填 error、warning 或 info，"
                             f"不能是“{'、'.join(severity[c] for c in bad)}”")
    unknown = sorted(code for code in severity if code not in REGISTRY)
    if unknown:
        raise RulesFileError(f"规则文件 {source} 的 [severity] 中的 {listed(unknown)} 不是 perfxl 的问题代码；"
                             "可用的代码见 docs/rules.md")
    fixed = sorted(code for code in severity if not REGISTRY[code].adjustable)
    if fixed:
        raise RulesFileError(f"规则文件 {source} 的 [severity] 中的 {listed(fixed)} 的级别不能修改")


def _roster(data: dict[str, Any], source: Path) -> dict[str, tuple[str, ...]]:
    """The [roster] section; a rules file written before it had one (or before its form_labels) takes
    the shipped section (its form_labels)."""
    section = data.get("roster")
    if source != DEFAULT_RULES and (section is None or "form_labels" not in section):
        shipped = load_toml(DEFAULT_RULES, "规则文件", RulesFileError)["roster"]
        section = shipped if section is None else {**section, "form_labels": shipped["form_labels"]}
    return {str(k): tuple(str(x) for x in v) for k, v in (section or {}).items()}


def resolve_ruleset(rules: RuleSet | str | os.PathLike[str] | None) -> RuleSet:
    """The RuleSet a public entry point was given: itself, the file at a path, or the default."""
    return rules if isinstance(rules, RuleSet) else load_ruleset(rules)


def load_ruleset(path: str | os.PathLike[str] | None = None) -> RuleSet:
    """Rules from ``path`` (default: the shipped rules.toml); RulesFileError when unusable."""
    source = Path(path) if path is not None else DEFAULT_RULES
    data = load_toml(source, "规则文件", RulesFileError)
    _known_keys(data, source)
    try:
        thresholds = data.get("thresholds", {})
        words = data.get("words", {})
        rules = RuleSet(
            code_pattern=str(data["project"]["code_pattern"]),
            categories={str(k): [str(x) for x in v] for k, v in data["categories"].items()},
            synonyms={str(k): str(v) for k, v in data.get("synonyms", {}).items()},
            roles=dict(data["roles"]),
            satisfaction_min=float(thresholds.get("satisfaction_min", 80)),
            qualitative_share_max=float(thresholds.get("qualitative_share_max", 0.5)),
            unit_max_length=int(thresholds.get("unit_max_length", 6)),
            vague_words=[str(w) for w in words.get("vague", [])],
            money_units=[str(w) for w in words.get("money_units", ["元", "万元"])],
            severity={str(k): str(v) for k, v in data.get("severity", {}).items()},
            accepted={str(k): [str(x) for x in v] for k, v in data.get("accepted", {}).items()},
            batch_folders=tuple(str(x) for x in data.get("units", {}).get("batch_folders", [])),
            scoring=_scoring(data.get("scoring", {})),
            operators=tuple(str(x) for x in data.get("operators", {}).get("choices", RuleSet.operators)),
            units=tuple(str(x) for x in data.get("template", {}).get("units", [])),
            source=os.path.abspath(source) if path is not None else "",
            roster=_roster(data, source),
        )
        re.compile(rules.code_pattern)
        for pattern in rules.batch_folders:
            re.compile(pattern)
    except KeyError as exc:
        raise RulesFileError(f"规则文件 {source} 缺少必填的 {exc}；请对照 perfxl/review/rules.toml 补上") from exc
    except re.error as exc:
        raise RulesFileError(f"规则文件 {source} 中的正则表达式写法有误（{exc.pattern!r}）；请改正") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise RulesFileError(f"规则文件 {source} 中有值的类型不对（{exc}）；数字不加引号，列表用 [...]") from exc
    _check_severity(rules.severity, source)
    unknown = [op for op in rules.operators if normalize_operator(op) is None]
    if unknown or not rules.operators:
        raise RulesFileError(f"规则文件 {source} {where(source, 'operators', 'choices')}的 [operators] choices 中有"
                             f"无法识别的符号：{'、'.join(unknown) or '（空）'}；请使用 ≥ > = < ≤ 文字描述 等写法")
    return rules
