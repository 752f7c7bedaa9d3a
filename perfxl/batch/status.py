"""The 报送情况 between runs: ``consolidate`` leaves ``.perfxl-status.json`` in its output folder
(every unit's submission row and the inbox's files as its scan saw them: names, sizes, times);
``status`` reads it back without opening a workbook and says whether the inbox has changed since.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..model import Consolidation, UnitSubmission
from ..read.inbox import InboxScan, scan_inbox, transient
from ..read.limits import DEFAULT_LIMITS, Limits
from ..review.ruleset import RuleSet
from ..tables.vocabulary import DEFAULT_LABELS, Vocabulary
from ..write.atomic import atomic_target
from .units import relative_path

STATUS_FILE = ".perfxl-status.json"
_FORMAT = 1

Fingerprint = dict[str, list[int]]  # relative path -> [size, modification time in ns]


def fingerprint(root: Path, scan: InboxScan, roster: str | None = None) -> Fingerprint:
    """What a scan saw, file by file (what it found and what it passed over), and the roster;
    not the lock and temporary files that come and go while staff work (``watch`` ignores them
    too): a workbook opened in Excel does not make the 报送情况 out of date."""
    paths = [*scan.found, *(Path(p.file) for p in scan.skipped if p.file and not transient(os.path.basename(p.file)))]
    if roster is not None:
        paths.append(Path(roster))
    out: Fingerprint = {}
    for path in map(os.fspath, paths):
        try:
            st = os.stat(path)
        except OSError:
            continue
        out[relative_path(path, root).replace(os.sep, "/")] = [st.st_size, st.st_mtime_ns]
    return out


def rerun_options(*, department: str | None, rules: RuleSet, labels: Vocabulary, limits: Limits,
                  targets: str | os.PathLike[str] | None, roster: str | os.PathLike[str] | None,
                  previous: str | os.PathLike[str] | None) -> list[str]:
    """The ``consolidate`` options that make a run what it was, for ``status`` to repeat: every
    file option as an absolute path (a roster found in the inbox is found again, so not listed)."""
    out: list[str] = []
    for flag, value in (("--roster", roster), ("--previous", previous), ("--targets", targets),
                        ("--rules", rules.source or None),
                        ("--labels", None if Path(labels.source) == DEFAULT_LABELS else labels.source)):
        if value is not None:
            out += [flag, os.path.abspath(value)]
    if department is not None:
        out += ["--department", department]
    for f in fields(Limits):
        if getattr(limits, f.name) != getattr(DEFAULT_LIMITS, f.name):
            out += ["--limit", f"{f.name}={getattr(limits, f.name)}"]
    return out


def shell_words(words: list[str]) -> str:
    """``words`` as a command line to copy: a word with a space or a shell character quoted."""
    return " ".join(shlex.quote(w) if not w or any(c in _SPECIAL for c in w) else w for w in words)


_SPECIAL = set(" \t\n'\"$`\\|&;<>()*?[]#~!{}")


def write_status(run: Consolidation, out_dir: Path, files: Fingerprint, options: list[str] | None = None) -> Path:
    """``out_dir/.perfxl-status.json`` for ``run``, with the ``options`` it was run with (``rerun_options``),
    written atomically."""
    data = {"format": _FORMAT, "inbox": os.path.abspath(run.inbox),
            "consolidated": dt.datetime.now().isoformat(timespec="seconds"), "roster": run.roster,
            "options": options or [], "files": files, "submissions": [s.to_dict() for s in run.submissions]}
    target = out_dir / STATUS_FILE
    with atomic_target(target) as staged:
        staged.write_text(json.dumps(data, indent=1), "utf-8")  # ASCII: a GBK file name stays as it is
    return target


@dataclass(frozen=True)
class Status:
    """The 报送情况 of the last consolidation, and what has changed in the inbox since."""

    inbox: str
    out_dir: str
    consolidated: str
    roster: str | None
    submissions: list[UnitSubmission]
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)  # those of the last run, besides the inbox and -o

    @property
    def rerun(self) -> str:
        """The command that repeats the last run, options and all."""
        return shell_words(["perfxl", "consolidate", self.inbox, "-o", self.out_dir, *self.options])

    @property
    def current(self) -> bool:
        """True when the inbox holds the same files (names, sizes, times) as when it was consolidated."""
        return not (self.added or self.changed or self.removed)

    @property
    def exit_code(self) -> int:
        return 0 if self.current else 1

    def to_dict(self) -> dict[str, Any]:
        return {"inbox": self.inbox, "out_dir": self.out_dir, "consolidated": self.consolidated,
                "roster": self.roster, "current": self.current, "added": self.added, "changed": self.changed,
                "removed": self.removed, "options": self.options, "rerun": self.rerun,
                "submissions": [s.to_dict() for s in self.submissions]}


def status(inbox: str | os.PathLike[str] = "workbooks/inbox",
           out_dir: str | os.PathLike[str] = "workbooks/out") -> Status:
    """The 报送情况 that ``consolidate`` last wrote to ``out_dir`` for ``inbox``, and the files
    added, changed or removed since. Reads no workbook. OutputError when there is none yet, or it
    is another inbox's."""
    root, folder = Path(inbox), Path(out_dir)
    if not root.is_dir():
        raise OutputError(f"收件箱文件夹不存在：{root}；请确认路径")
    path = folder / STATUS_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise OutputError(f"输出文件夹 {folder} 中还没有汇总结果；"
                          f"请先运行 perfxl consolidate {root} -o {folder}") from None
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path} 无法读取或已损坏；请重新运行 perfxl consolidate {root} -o {folder}") from exc
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise OutputError(f"{path} 是另一版本的 perfxl 写的；请重新运行 perfxl consolidate {root} -o {folder}")
    if os.path.abspath(root) != data["inbox"]:
        raise OutputError(f"输出文件夹 {folder} 中的汇总来自另一个收件箱（{data['inbox']}）；"
                          f"请指定那次汇总的输出文件夹（-o），或运行 perfxl consolidate {root} -o 新的文件夹")
    before: Fingerprint = data["files"]
    now = fingerprint(root, scan_inbox([root]), data.get("roster"))
    return Status(os.fspath(root), os.fspath(folder), data["consolidated"], data.get("roster"),
                  [UnitSubmission.from_dict(s) for s in data["submissions"]],
                  sorted(set(now) - set(before)), sorted(k for k in now if k in before and now[k] != before[k]),
                  sorted(set(before) - set(now)), [str(o) for o in data.get("options", [])])
