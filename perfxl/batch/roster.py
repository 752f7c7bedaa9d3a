"""The office's roster of expected units (报送名单) and who has submitted: the roster read from a
workbook or CSV (its header row found by the labels of rules.toml ``[roster]``), each unit of a
run matched to it (exactly; loosely — spaces, full/half-width brackets — or by a 简称 or 单位编码
the roster lists, which is reported, never silent; several candidates are reported, not guessed),
and one ``UnitSubmission`` per unit: 未报送 / 有错误 / 已报送 / 全部通过, its latest file, counts."""

from __future__ import annotations

import csv
import fnmatch
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..a1 import to_a1
from ..errors import RosterFileError, UnreadableWorkbook
from ..model import (
    UNASSIGNED,
    Consolidation,
    Problem,
    ReadStatus,
    Severity,
    SourceFile,
    SubmissionState,
    Table,
    UnitSubmission,
)
from ..problems import problem
from ..read.inbox import InboxScan
from ..read.limits import DEFAULT_LIMITS, Limits
from ..review.approved_targets import name_key
from ..review.ruleset import RuleSet
from ..tables.normalize import clean_text, fold, parse_number
from ..tables.vocabulary import key_of

ROSTER_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv")
_SPLIT = re.compile(r"[、,，;；/|\n]+")
_REMARK = re.compile(r"\([^)]*\)$")
_SPACE = re.compile(r"\s+")
_BRACKETED = re.compile(r"\([^()]*\)")  # a remark in brackets, as in 某局(本级)
_OPENING = str.maketrans({"【": "(", "〔": "(", "[": "(", "〖": "(", "】": ")", "〕": ")", "]": ")", "〗": ")"})


@dataclass(frozen=True)
class RosterUnit:
    """One expected unit: its name (and where it is written), code, other names and projects."""

    name: str
    sheet: str | None
    cell: str
    code: str | None = None
    aliases: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()   # the expected projects' names or codes, when listed
    expected: int | None = None      # how many projects are expected


@dataclass(frozen=True)
class Roster:
    """A roster as read: its file, its units in order, and what is wrong with it (duplicates)."""

    path: str
    units: tuple[RosterUnit, ...]
    problems: tuple[Problem, ...] = ()


def is_roster_name(name: str, rules: RuleSet) -> bool:
    """True for a file name the office's roster goes by (报送名单.xlsx, 单位名单2024.csv …)."""
    lower = name.lower()
    return (lower.endswith(ROSTER_EXTENSIONS) and not name.startswith(("~$", "."))
            and any(fnmatch.fnmatch(lower, pattern.lower()) for pattern in rules.roster.get("files", ())))


def find_roster(root: Path, rules: RuleSet) -> Path | None:
    """The roster in the inbox's top folder, found by name; RosterFileError when there are several."""
    try:
        found = sorted(p for p in root.iterdir() if p.is_file() and not p.is_symlink()
                       and is_roster_name(p.name, rules))
    except OSError:
        return None
    if len(found) > 1:
        raise RosterFileError(f"收件箱 {root} 中有多份报送名单：{'、'.join(p.name for p in found)}；"
                              "请只保留一份，或用 --roster 指定要用的那一份")
    return found[0] if found else None


def without_roster(scan: InboxScan, root: Path, rules: RuleSet) -> InboxScan:
    """The scan without the roster files of the inbox's top folder (they are no submissions)."""
    def roster(path: str | os.PathLike[str] | None) -> bool:
        return path is not None and Path(path).parent == root and is_roster_name(Path(path).name, rules)

    return InboxScan([p for p in scan.found if not roster(p)], [p for p in scan.skipped if not roster(p.file)])


def read_roster(path: str | os.PathLike[str], rules: RuleSet, limits: Limits = DEFAULT_LIMITS) -> Roster:
    """The roster at ``path`` (.xlsx/.xlsm/.xls/.csv); RosterFileError when it cannot be used."""
    source = Path(path)
    if not source.is_file():
        raise RosterFileError(f"报送名单不存在：{source}；请确认路径")
    form: tuple[str | None, str, str] | None = None
    for sheet, rows in _grids(source, limits):
        label = _form_label(rows, rules)
        if label is not None:  # a performance form: its 单位 and 单位名称 cells are no roster's column
            form = form or (sheet, *label)
            continue
        header = _header(rows, rules)
        if header is not None:
            return _units(os.path.abspath(source), sheet, rows, *header)
    if form is not None:
        sheet, cell, text = form
        where = f"工作表“{sheet}”的 {cell}" if sheet else cell
        raise RosterFileError(f"{source} 是一份绩效表（{where} 是“{text}”），不是报送名单；报送名单是每行一个单位的表，"
                              "第一行写“单位名称”（可再加 单位编码、简称、应报项目），请确认 --roster 指定的文件")
    labels = "、".join(rules.roster.get("name", ()))
    raise RosterFileError(f"报送名单 {source} 中没有找到单位名称一列（表头认得：{labels}）；"
                          "请在第一行写上“单位名称”，下面每行一个单位")


def _grids(source: Path, limits: Limits) -> list[tuple[str | None, list[list[Any]]]]:
    # imported here, not above: a rerun that finds nothing changed reads no workbook, nor the roster
    from ..read.isolation import read_isolated
    from ..read.workbook import read_bytes

    if source.suffix.lower() == ".csv":
        try:
            data = read_bytes(str(source), limits)  # a link is not followed, the size limit holds
        except UnreadableWorkbook as exc:
            raise RosterFileError(f"报送名单无法读取：{source}（{exc.reason}）") from exc
        for encoding in ("utf-8-sig", "gb18030"):  # Excel on a Chinese Windows saves CSV as GBK
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise RosterFileError(f"报送名单 {source} 的编码无法识别；请另存为 UTF-8 的 CSV 或 .xlsx")
        return [(None, [list(row) for row in csv.reader(io.StringIO(text))])]
    try:
        # in a worker, as every workbook: a hostile roster must not take the run with it
        return [(s.name, s.rows) for s in read_isolated(os.fspath(source), None, limits)]
    except UnreadableWorkbook as exc:  # ReaderFailed too: the worker died or overran
        raise RosterFileError(f"报送名单 {source} 无法读取：{exc.reason}") from exc


def _label(value: Any, rules: RuleSet) -> str | None:
    """The roster column a header cell names (name, code, aliases, projects), or None."""
    text = clean_text(value)
    if text is None:
        return None
    key = key_of(text)
    for role in ("name", "code", "aliases", "projects"):
        words = {key_of(w) for w in rules.roster.get(role, ())}
        if key in words or _REMARK.sub("", key) in words:
            return role
    return None


def _form_label(rows: list[list[Any]], rules: RuleSet) -> tuple[str, str] | None:
    """The first cell (A1, text) holding a label only a performance form has (一级指标 …), if any."""
    words = {key_of(w) for w in rules.roster.get("form_labels", ())}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            text = clean_text(value) if isinstance(value, str) else None
            if text is not None and key_of(text) in words:
                return to_a1(r, c), text
    return None


def _header(rows: list[list[Any]], rules: RuleSet) -> tuple[int, dict[str, int]] | None:
    """The header row (within the first 30) and the column of each role it names."""
    for r, row in enumerate(rows[:30]):
        roles: dict[str, int] = {}
        for c, value in enumerate(row):
            role = _label(value, rules)
            if role is not None and role not in roles:
                roles[role] = c
        if "name" in roles:
            return r, roles
    return None


def _units(path: str, sheet: str | None, rows: list[list[Any]], top: int, cols: dict[str, int]) -> Roster:
    def cell(row: list[Any], role: str) -> str | None:
        c = cols.get(role)
        return clean_text(row[c]) if c is not None and c < len(row) else None

    units: list[RosterUnit] = []
    problems: list[Problem] = []
    first: dict[str, RosterUnit] = {}
    for r in range(top + 1, len(rows)):
        row = rows[r]
        name = cell(row, "name")
        if name is None or name in ("合计", "总计", "小计"):
            continue
        where = to_a1(r, cols["name"])
        projects_text = cell(row, "projects")
        number = parse_number(projects_text) if projects_text else None
        projects = () if projects_text is None or number is not None else tuple(_split(projects_text))
        unit = RosterUnit(name, sheet, where, cell(row, "code"), tuple(_split(cell(row, "aliases") or "")),
                          projects, int(number) if number is not None else (len(projects) or None))
        earlier = first.get(loose_key(name))
        if earlier is not None:
            problems.append(problem("roster-duplicate", file=path, sheet=sheet, cell=where, name=name,
                                    other=earlier.cell))
            continue
        first[loose_key(name)] = unit
        units.append(unit)
    return Roster(path, tuple(units), tuple(problems))


def _split(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]


def loose_key(name: str) -> str:
    """A unit name as compared loosely: no whitespace, full-width forms and every kind of bracket
    folded (“某局（本级）”, “某局 (本级)” and “某局【本级】” are alike)."""
    return _SPACE.sub("", fold(name)).translate(_OPENING)


@dataclass(frozen=True)
class Match:
    """How a unit of the run was matched to the roster: the roster unit (index), or several."""

    index: int | None
    how: str = ""                  # "" for an exact match, else what made it match
    choices: tuple[str, ...] = ()  # the roster units it could be, when ambiguous


_TESTS: dict[str, Callable[[RosterUnit, str], bool]] = {  # in this order: the first that matches wins
    "loose": lambda u, key: loose_key(u.name) == key,
    "alias": lambda u, key: key in {loose_key(a) for a in u.aliases},
    "code": lambda u, key: u.code is not None and loose_key(u.code) == key,
    "remark": lambda u, key: bool(bare(key)) and bare(loose_key(u.name)) == bare(key),
}


def bare(key: str) -> str:
    """A loose key without its remarks in brackets."""
    return _BRACKETED.sub("", key)


def match_units(names: Sequence[str], roster: Roster) -> dict[str, Match]:
    """Each unit name of a run matched to the roster: exactly, else loosely (spaces, kinds of
    bracket), else by a listed 简称 or 单位编码, else without the remarks in brackets (某局（本级）);
    none, or several candidates, give no match (index None)."""
    out: dict[str, Match] = {}
    exact = {u.name: i for i, u in enumerate(roster.units)}
    for name in names:
        if name in exact:
            out[name] = Match(exact[name])
            continue
        key = loose_key(name)
        out[name] = Match(None)
        for how, test in _TESTS.items():
            found = [i for i, u in enumerate(roster.units) if test(u, key)]
            if found:
                out[name] = (Match(found[0], how) if len(found) == 1
                             else Match(None, how, tuple(roster.units[i].name for i in found)))
                break
    return out


# how a loose match is worded: in a finding (one roster unit, or several) and in the 报送情况's 说明
_FOUND = {"loose": "与报送名单中的“{listed}”只差空格或括号", "alias": "是报送名单中“{listed}”的简称",
          "code": "是报送名单中“{listed}”的单位编码", "remark": "与报送名单中的“{listed}”只差括号里的说明"}
_SEVERAL = {"loose": "与报送名单中的多个单位只差空格或括号", "alias": "是报送名单中多个单位的简称",
            "code": "是报送名单中多个单位的单位编码", "remark": "与报送名单中的多个单位只差括号里的说明"}
_NOTES = {"loose": "表中写作“{name}”（只差空格或括号）", "alias": "表中写作简称“{name}”",
          "code": "表中写作单位编码“{name}”", "remark": "表中写作“{name}”（只差括号里的说明）"}


def roster_problems(run: Consolidation, roster: Roster) -> list[Problem]:
    """What the roster says about a run: units loosely matched, not on it, matched to several,
    units on it that sent nothing or fewer projects than expected, and the roster's duplicates."""
    matches = match_units(run.departments, roster)
    first_file = _first_files(run)
    out = list(roster.problems)
    shown = os.path.basename(roster.path)
    for name, match in matches.items():
        file = first_file.get(name)
        if match.index is not None and match.how:
            how = _FOUND[match.how].format(listed=roster.units[match.index].name)
            out.append(problem("roster-name-loose", file=file, name=name, how=how))
        elif match.choices:
            out.append(problem("roster-name-ambiguous", file=file, name=name, how=_SEVERAL[match.how],
                               choices="、".join(match.choices)))
        elif match.index is None and name != UNASSIGNED:  # 未指定单位 has its own warning already
            out.append(problem("roster-unit-unknown", file=file, name=name, roster=shown))
    names_of = _names_of(matches, roster)
    by_unit = _ByUnit.of(run)
    for i, unit in enumerate(roster.units):
        names = names_of[i]
        if not any(first_file.get(n) for n in names):
            out.append(problem("roster-unit-missing", file=roster.path, sheet=unit.sheet, cell=unit.cell,
                               name=unit.name))
            continue
        count, missing = _projects(by_unit.projects_of(names), unit)
        if unit.expected is not None and (count < unit.expected or missing):
            listed = f"，缺：{'、'.join(missing)}" if missing else ""
            out.append(problem("roster-projects-missing", file=roster.path, sheet=unit.sheet, cell=unit.cell,
                               name=unit.name, expected=unit.expected, count=count, missing=listed))
    return out


def row_units(run: Consolidation, roster: Roster) -> dict[tuple[str | None, str], str]:
    """The unit each row of the roster stands for in the run, by its (sheet, cell): the name the
    unit sent under (its book), or the roster's name for one that sent nothing."""
    names_of = _names_of(match_units(run.departments, roster), roster)
    return {(u.sheet, u.cell): (names[0] if names else u.name) for u, names in zip(roster.units, names_of, strict=True)}


def _names_of(matches: dict[str, Match], roster: Roster) -> list[list[str]]:
    names: list[list[str]] = [[] for _ in roster.units]
    for name, match in matches.items():
        if match.index is not None:
            names[match.index].append(name)
    return names


def _first_files(run: Consolidation) -> dict[str, str]:
    """The first file each unit sent (not counting files passed over)."""
    out: dict[str, str] = {}
    for source in run.sources:
        if source.status is not ReadStatus.SKIPPED:
            out.setdefault(source.unit, source.path)
    return out


def _projects(tables: Sequence[Table], unit: RosterUnit | None) -> tuple[int, tuple[str, ...]]:
    """How many projects ``tables`` (the project tables of a row's units) are, and which of the
    roster's listed ones are missing."""
    sent: set[str] = set()
    keys: set[str] = set()
    for table in tables:
        sent.add(name_key(table.project_code) or name_key(table.project_name) or table.anchor)
        keys |= {name_key(table.project_code), name_key(table.project_name)}
    missing = tuple(p for p in (unit.projects if unit else ()) if name_key(p) not in keys)
    return len(sent), missing


@dataclass
class _ByUnit:
    """The files (not passed over) and project tables of a run, unit by unit: each row of the
    报送情况 looks at its own, not at the whole run."""

    files: dict[str, list[SourceFile]]
    projects: dict[str, list[Table]]

    @classmethod
    def of(cls, run: Consolidation) -> _ByUnit:
        files: dict[str, list[SourceFile]] = {}
        projects: dict[str, list[Table]] = {}
        for source in run.sources:
            if source.status is not ReadStatus.SKIPPED:
                files.setdefault(source.unit, []).append(source)
        for result in run.results:
            for table in result.tables:
                if table.kind == "project":
                    projects.setdefault(table.unit, []).append(table)
        return cls(files, projects)

    def files_of(self, names: Sequence[str]) -> list[SourceFile]:
        return [s for n in dict.fromkeys(names) for s in self.files.get(n, [])]

    def projects_of(self, names: Sequence[str]) -> list[Table]:
        return [t for n in dict.fromkeys(names) for t in self.projects.get(n, [])]


def submissions(run: Consolidation, roster: Roster | None, problem_units: Sequence[str]) -> list[UnitSubmission]:
    """The 报送情况: the roster's units in its order, then the units not on it (every unit of the
    run when there is no roster). ``problem_units[i]`` is the unit of ``run.problems[i]``."""
    counts: dict[str, list[int]] = {}
    for p, unit in zip(run.problems, problem_units, strict=True):
        tally = counts.setdefault(unit, [0, 0])
        if p.severity is Severity.ERROR:
            tally[0] += 1
        elif p.severity is Severity.WARNING:
            tally[1] += 1
    out: list[UnitSubmission] = []
    by_unit = _ByUnit.of(run)
    matches = match_units(run.departments, roster) if roster else {}
    if roster:
        for listed, names in zip(roster.units, _names_of(matches, roster), strict=True):
            notes = [_NOTES[matches[n].how].format(name=n) for n in names if matches[n].how]
            out.append(_row(by_unit, listed.name, names, counts, listed, notes))
    for name in run.departments:
        match = matches.get(name)
        if match is not None and match.index is not None:
            continue
        notes = []
        if match is not None:
            notes.append(f"对应到名单中的多个单位：{'、'.join(match.choices)}，未作对应" if match.choices
                         else "不在报送名单中")
        out.append(_row(by_unit, name, [name], counts, None, notes))
    return out


def _row(by_unit: _ByUnit, shown: str, names: Sequence[str], counts: dict[str, list[int]],
         unit: RosterUnit | None, notes: list[str]) -> UnitSubmission:
    files = by_unit.files_of(names)
    errors = sum(counts.get(n, [0, 0])[0] for n in names)
    warnings = sum(counts.get(n, [0, 0])[1] for n in names)
    projects, missing = _projects(by_unit.projects_of(names), unit)
    if files and unit is not None and unit.expected is not None and projects < unit.expected:
        notes = [*notes, f"应报 {unit.expected} 个，已报 {projects} 个"]
    if missing:
        notes = [*notes, f"缺：{'、'.join(missing)}"]
    state: SubmissionState = ("未报送" if not files else "有错误" if errors else "已报送" if warnings else "全部通过")
    return UnitSubmission(shown, state, unit is not None, unit.code if unit else None, tuple(names), len(files),
                          max((s.modified for s in files if s.modified), default=""), projects,
                          unit.expected if unit else None, missing, errors, warnings, "；".join(notes))
