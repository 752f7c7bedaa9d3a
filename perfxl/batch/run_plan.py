"""What a consolidation was asked to do, settled before anything is read: the files found, the
settings and the options (what the entry hands the run that reads)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..model import Problem
from ..read.limits import Limits
from ..review.ruleset import RuleSet
from ..tables.vocabulary import Vocabulary
from .roster import Roster
from .status import Fingerprint


@dataclass(frozen=True)
class RunPlan:
    root: Path                                  # the inbox
    out_dir: Path
    paths: list[str]                            # the files to read, in order
    skipped: list[Problem]                      # the files passed over, each with its reason
    rules: RuleSet
    vocab: Vocabulary
    limits: Limits
    jobs: int | None
    department: str | None                      # the unit of files that name none (--department)
    targets: str | os.PathLike[str] | None      # the approved target tables (--targets)
    previous: str | os.PathLike[str] | None     # last year's inbox or summary (--previous)
    roster: Roster | None                       # the expected units, read
    write: bool
    clean: bool
    scheduler: str | None                       # a Dask scheduler's address (--scheduler)
    started: str                                # when the run began (ISO, to the second)
    files: Fingerprint                          # the inbox as ``status`` compares it
    options: list[str]                          # the options to give a rerun (for ``status``)
