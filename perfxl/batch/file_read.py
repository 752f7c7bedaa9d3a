"""One file as a run read it: what extract found, the file's facts and its per-file findings (the
unit the read cache keeps, apart from the readers that make it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import ExtractResult, Problem

STILL_CHANGING = "文件在读取时仍在变化（可能还在复制或保存中），本次未使用；请等文件复制完成后重新运行"


@dataclass(frozen=True)
class FileRead:
    """One file as read: what extract found, the file's facts and the per-file rule findings."""

    result: ExtractResult
    size: int = 0
    sha256: str = ""
    modified: str = ""
    findings: list[Problem] = field(default_factory=list)
    schema: list[Problem] | None = None  # the schema failures, once validated (None: not yet)
