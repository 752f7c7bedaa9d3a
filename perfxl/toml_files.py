"""Reading the office's TOML files (rules, labels) with errors a clerk can act on: the line and
column of a syntax error, and what is usually wrong there, in Chinese."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .errors import PerfxlError, os_reason

_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)")
_HINTS = (
    ("Expected ']'", "方括号没有闭合（如 [thresholds]）"),
    ("Invalid value", "值的写法不对：文字要加引号（如 \"八十\"），数字不加引号（如 80）"),
    ("Cannot overwrite", "同一个键写了两次"),
    ("Cannot declare", "同一个表（[...]）写了两次"),
    ("Unterminated", "引号没有闭合"),
    ("Unclosed", "括号或引号没有闭合"),
    ("Expected '=' after a key", "键后面缺少“=”"),
)


def load_toml(path: Path, what: str, error: type[PerfxlError]) -> dict[str, Any]:
    """The TOML file at ``path`` as a dict; ``error`` (with a Chinese message naming ``what``,
    the line and the column) when it is missing, unreadable or malformed."""
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise error(f"{what}不存在：{path}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} 不是 UTF-8 编码的文字文件；请用记事本等另存为 UTF-8") from exc
    except OSError as exc:
        raise error(f"{what}无法读取：{path}（{os_reason(exc)}）") from exc
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = _WHERE.search(message)
        place = f"第 {where.group(1)} 行第 {where.group(2)} 列" if where else "某处"
        hint = next((zh for en, zh in _HINTS if message.startswith(en)), "不符合 TOML 格式")
        raise error(f"{what} {path} {place}写法有误：{hint}") from exc


_HEADER = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
_KEY = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=""")


def where(path: Path, section: str, key: str | None = None) -> str:
    """ "第 N 行" of ``key`` in ``[section]`` of the TOML file at ``path`` (of the section's header
    without a key), or "" when it cannot be found (the file is read again: errors are rare)."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    current = ""
    for n, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            current = header.group(1).replace('"', "").replace(" ", "")
            if (current == section and key is None) or current == f"{section}.{key}":
                return f"第 {n} 行"
            continue
        found = _KEY.match(line)
        if found and current == section and key is not None and next(g for g in found.groups() if g is not None) == key:
            return f"第 {n} 行"
    return ""
