"""The label vocabulary (``labels.toml``): every way a form writes a header label, an indicator
column, a title, a footer, a stamp placeholder or an unfilled hint row, loaded once as a
``Vocabulary``. An office extends it with ``--labels FILE`` (its entries are added to the
shipped ones); a new variant is a line there, never code.

Labels are compared as keys: whitespace, a leading ``*`` or numbering (``1.``, ``2、``),
a trailing colon removed, full-width forms folded; failing that, a bracketed remark after the
label (``项目资金（万元）``, ``预算执行情况(10分)``) is dropped too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..errors import LabelsFileError
from ..toml_files import load_toml, where
from .normalize import WHITESPACE, fold

DEFAULT_LABELS = Path(__file__).with_name("labels.toml")
SECTIONS = ("header", "columns", "titles", "marks")

_SPACE = re.compile(r"\s+")
_NUMBERING = re.compile(r"^\d{1,2}[.、．](?=\D)")  # "2.项目实施内容"; "（一）绩效目标" is a heading, not a label
_REMARK = re.compile(r"(?<=.)\([^)]*\)")  # a remark after the label, not "(一)" before it


def key_of(text: str) -> str:
    """A label as a comparison key (see the module docstring)."""
    key = _SPACE.sub("", fold(text)).lstrip("*").rstrip(":")
    return _NUMBERING.sub("", key)


@dataclass(frozen=True)
class Vocabulary:
    """Label variants by section and name, as keys, with the look-ups the reader needs."""

    sections: dict[str, dict[str, tuple[str, ...]]]
    source: str = str(DEFAULT_LABELS)
    _cache: dict[tuple[str, str], str | None] = field(default_factory=dict, compare=False, repr=False)
    _has_cache: dict[tuple[str, str, str], bool] = field(default_factory=dict, compare=False, repr=False)
    _pair_cache: dict[str, tuple[str | None, str | None]] = field(default_factory=dict, compare=False, repr=False)

    def header(self, text: str) -> str | None:
        """The header field a label names (project_name, funds_line …), or None."""
        return self._lookup("header", text)

    def column(self, text: str) -> str | None:
        """The indicator-column role a header cell names (level3, target, weight …), or None."""
        return self._lookup("columns", text)

    def classify(self, text: str) -> tuple[str | None, str | None]:
        """(header field, column role) of a cell, in one cached look-up (the scan's hot path)."""
        found = self._pair_cache.get(text)
        if found is None:
            found = (self.header(text), self.column(text))
            if len(self._pair_cache) > 65536:
                self._pair_cache.clear()
            self._pair_cache[text] = found
        return found

    def has(self, section: str, name: str, text: str) -> bool:
        """True when ``text`` is one of the words of ``section.name`` (compared as keys)."""
        found = self._has_cache.get((section, name, text))
        if found is None:
            key = key_of(text)
            words = self._words(section, name)
            found = key in words or _REMARK.sub("", key) in words
            if len(self._has_cache) > 65536:
                self._has_cache.clear()
            self._has_cache[(section, name, text)] = found
        return found

    def mentions(self, section: str, name: str, text: str) -> bool:
        """True when ``text`` contains one of the words of ``section.name``."""
        folded = fold(text)
        return any(word in folded for word in self.sections.get(section, {}).get(name, ()))

    @cached_property
    def first_chars(self) -> frozenset[str]:
        """What a label may start with as written: a cell starting with anything else is none."""
        chars = {w[0] for names in self.sections.values() for words in names.values() for w in words if w}
        return frozenset(chars | set(WHITESPACE) | set("*0123456789") | {chr(c) for c in range(0xFF01, 0xFF5F)})

    def _lookup(self, section: str, text: str) -> str | None:
        if (section, text) in self._cache:
            return self._cache[(section, text)]
        key = key_of(text)
        index = self._index(section)
        found = index.get(key)
        if found is None and key:
            bare = _REMARK.sub("", key)
            found = index.get(bare)
            if found is None and bare.startswith("其中"):
                found = index.get(bare[2:].lstrip(":"))
            if found is None and section == "header" and bare.startswith("资金支出计划"):
                found = "spend_plan"
        if len(self._cache) > 65536:
            self._cache.clear()
        self._cache[(section, text)] = found
        return found

    def _index(self, section: str) -> dict[str, str]:
        return self._indexes[section]

    @cached_property
    def _indexes(self) -> dict[str, dict[str, str]]:
        return {section: {key_of(w): name for name, words in names.items() for w in words}
                for section, names in self.sections.items()}

    def _words(self, section: str, name: str) -> frozenset[str]:
        return self._word_sets.get((section, name), frozenset())

    @cached_property
    def _word_sets(self) -> dict[tuple[str, str], frozenset[str]]:
        return {(section, name): frozenset(key_of(w) for w in words)
                for section, names in self.sections.items() for name, words in names.items()}


def _parse(path: Path) -> dict[str, dict[str, tuple[str, ...]]]:
    data = load_toml(path, "标签词表文件", LabelsFileError)
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for section, names in data.items():
        if section not in SECTIONS or not isinstance(names, dict):
            raise LabelsFileError(f"标签词表 {path} {where(path, section)}的 [{section}] 不是可用的部分；"
                                  f"可用的有 {'、'.join(SECTIONS)}")
        for name, words in names.items():
            if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
                raise LabelsFileError(f"标签词表 {path} {where(path, section, name)}的 [{section}] {name} "
                                      f"应是一组非空文字，如 [\"项目名称\"]")
            out.setdefault(section, {})[name] = tuple(words)
    return out


def load_vocabulary(path: str | os.PathLike[str] | None = None) -> Vocabulary:
    """The shipped vocabulary, extended by the file at ``path`` when one is given."""
    sections = _parse(DEFAULT_LABELS)
    source = str(DEFAULT_LABELS)
    if path is not None:
        source = os.fspath(path)
        for section, names in _parse(Path(path)).items():
            for name, words in names.items():
                known = sections.setdefault(section, {}).get(name, ())
                sections[section][name] = known + tuple(w for w in words if w not in known)
    _no_word_twice(sections, source)
    return Vocabulary(sections, source)


def _no_word_twice(sections: dict[str, dict[str, tuple[str, ...]]], source: str) -> None:
    for section in ("header", "columns"):
        seen: dict[str, str] = {}
        for name, words in sections.get(section, {}).items():
            for word in words:
                other = seen.setdefault(key_of(word), name)
                if other != name:
                    raise LabelsFileError(f"标签词表 {source} 中“{word}”同时出现在 [{section}] 的 {other} 和 "
                                          f"{name} 里；每种写法只能属于一个类别")


_DEFAULT: list[Vocabulary] = []


def default_vocabulary() -> Vocabulary:
    """The shipped vocabulary, loaded once per process."""
    if not _DEFAULT:
        _DEFAULT.append(load_vocabulary())
    return _DEFAULT[0]


def resolve_vocabulary(labels: Vocabulary | str | os.PathLike[str] | None) -> Vocabulary:
    """The Vocabulary a public entry point was given: itself, the shipped one extended by a file,
    or the shipped one."""
    if isinstance(labels, Vocabulary):
        return labels
    return default_vocabulary() if labels is None else load_vocabulary(labels)
