"""Chinese for the messages click itself prints (usage lines, headings, usage errors).

click looks every message up through ``gettext``; it is handed a translating lookup here, so a
clerk who mistypes an option reads Chinese too. Messages not listed stay as click wrote them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import click
import click._textwrap
import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types
import click.utils

_TEXT: dict[str, str] = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本说明并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "Error: {message}": "错误：{message}",
    "Aborted!": "已中止。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing command.": "缺少命令。",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such command {name!r}.": "没有这个命令：{name!r}。",
    "No such option {name!r}.": "没有这个选项：{name!r}。",
    "Option {name!r} does not take a value.": "选项 {name!r} 后面不能跟值。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Try '{command} {option}' for help.": "运行“{command} {option}”查看说明和示例。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 之内。",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
}
_PLURAL: dict[str, str] = {
    "{value!r} is not one of {choices}.": "{value!r} 不是可选值（{choices}）之一。",
    "{value!r} is not {choice}.": "{value!r} 只能是 {choice}。",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 后面需要 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Did you mean {possibility}?": "你是不是想用 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（你是不是想用其中之一：{possibilities}？）",
}


def _gettext(message: str) -> str:
    return _TEXT.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    chosen = singular if n == 1 else plural
    return _PLURAL.get(chosen, chosen)


_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])|(?<=[。，、；：？！）」』》】〕”’])\s+")
_TOKEN = re.compile(r"\s+|[\x00-\x7f]+?(?=\s|[^\x00-\x7f]|$)|.", re.S)


_NO_LINE_START = frozenset("。，、；：？！）」』》】〕”’…%])")
_NO_LINE_END = frozenset("（「『《【〔“‘[(")
_BREAK_AFTER = frozenset("。，、；：？！）")  # a line rather ends after these than inside a term
_LOOK_BACK = 12  # columns at least (a third of the line at most): how far back a line may end early to end
# after punctuation rather than inside a term


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: two for a wide (Chinese) character, one otherwise."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in click.unstyle(text))


class ChineseTextWrapper(click._textwrap.TextWrapper):
    """click's wrapper, measuring display width and breaking between Chinese characters or
    between words, never inside an ASCII word ("part_mb=64" stays whole)."""

    def wrap(self, text: str) -> list[str]:
        text = _CJK_GAP.sub("", text)  # a source line break inside Chinese text is no space
        lines: list[str] = []
        indent, line, used = self.initial_indent, "", 0
        for token in _TOKEN.findall(text):
            width = display_width(token)
            if token.isspace():
                if line:
                    line, used = line + " ", used + 1
                continue
            # closing punctuation never begins a line (Chinese typesetting): it stays on the one before
            if line and used + width > self.width - display_width(indent) and token not in _NO_LINE_START:
                cut = _break_at(line, self.width - display_width(indent))
                carried = line[cut:]
                lines.append(indent + line[:cut].rstrip())
                indent, line, used = self.subsequent_indent, carried, display_width(carried)
            line, used = line + token, used + width
        if line:
            lines.append(indent + line.rstrip())
        return lines


def _break_at(line: str, width: int = 0) -> int:
    """Where a full line ends: after the last punctuation mark near its end if there is one (so
    that a term is not split), else before an opening bracket that would end it, else at its end."""
    tail = 0
    for i in range(len(line) - 1, 0, -1):
        tail += display_width(line[i])
        if tail > max(_LOOK_BACK, width // 3):
            break
        if line[i - 1] in _BREAK_AFTER and line[i] not in _NO_LINE_START:
            return i
    return len(line) - 1 if line[-1] in _NO_LINE_END else len(line)


_HINT_STOP = re.compile(r"'\.(?=\s|$)")
_QUOTED = re.compile(r"'([^'\n]+)'")


def _missing_message(original: Any) -> Any:
    """click ends "缺少参数 '文件'" with an English full stop of its own: a Chinese one instead."""
    def format_message(self: click.exceptions.MissingParameter) -> str:
        text: str = original(self)
        return _QUOTED.sub(lambda m: f"“{m.group(1).replace('...', '…')}”", _HINT_STOP.sub("'。", text, count=1))
    return format_message


def install() -> None:
    """Make click's modules look their messages up here, and name click's number types."""
    missing = click.exceptions.MissingParameter
    if not getattr(missing.format_message, "perfxl", False):
        missing.format_message = _missing_message(missing.format_message)  # type: ignore[method-assign]
        missing.format_message.perfxl = True  # type: ignore[attr-defined]
    click._textwrap.TextWrapper = ChineseTextWrapper  # type: ignore[misc]
    click.formatting.term_len = display_width  # type: ignore[attr-defined,assignment]
    click.types.IntParamType.name = "整数"
    click.types.IntRange.name = "整数"
    click.types.FloatParamType.name = "数字"
    click.types.FloatRange.name = "数字"
    for module in (click.core, click.exceptions, click.formatting, click.types, click.parser,
                   click.decorators, click.termui, click.utils):
        if hasattr(module, "_"):
            module._ = _gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext  # type: ignore[attr-defined]
