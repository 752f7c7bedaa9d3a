"""A byte-level XML tokenizer that reads tags the way python-calamine's parser (quick-xml) does:
a tag ends at the first ``>`` outside quotes, comments, CDATA and processing instructions are
skipped, names keep their prefix (the local name is what follows the first colon), and
attributes are split exactly as calamine splits them (key up to ``=``, either quote, raw bytes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

_SKIP = re.compile(rb"<!--(?!-?>).*?-->|<!\[CDATA\[.*?\]\]>|<\?(?!>).*?\?>", re.S)
# possessive (*+): a long run inside a tag is matched once, never backtracked over
_TAG = re.compile(rb"""<(/?)((?:[^>"']++|"[^"]*+"|'[^']*+')*+)>""")
_BLANKS = re.compile(rb"[ \t\r\n]*+")
_WS = b" \t\r\n"


class Irregular(Exception):
    """The XML cannot be read the way python-calamine would read it (unclosed tag, a DOCTYPE,
    a malformed attribute); the part is refused rather than guessed at."""


class Tag(NamedTuple):
    """One tag: its name and local name, whether it closes (``</x>``) or is empty (``<x/>``),
    the raw attribute bytes, and where it starts and ends in the data."""

    name: bytes
    local: bytes
    closing: bool
    empty: bool
    attrs: bytes
    start: int
    end: int


def local_name(name: bytes) -> bytes:
    colon = name.find(b":")
    return name if colon == -1 else name[colon + 1:]


def tags(data: bytes, pos: int = 0) -> Iterator[Tag]:
    """Every tag from ``pos`` on; text between tags is passed over. Raises Irregular where
    quick-xml would fail or read differently from a plain tokenizer (a DOCTYPE, an unclosed tag)."""
    find = data.find
    while True:
        lt = find(b"<", pos)
        if lt == -1:
            return
        nxt = data[lt + 1:lt + 2]
        if nxt in (b"!", b"?"):
            skipped = _SKIP.match(data, lt)
            if skipped is None:
                raise Irregular("DOCTYPE 或未闭合的注释")
            pos = skipped.end()
            continue
        m = _TAG.match(data, lt)
        if m is None:
            raise Irregular("未闭合的标签")
        pos = m.end()
        body = m.group(2)
        if m.group(1):
            name = body.rstrip(_WS)
            yield Tag(name, local_name(name), True, False, b"", lt, pos)
            continue
        empty = body.endswith(b"/")
        if empty:
            body = body[:-1]
        cut = len(body)
        for ch in _WS:
            i = body.find(bytes((ch,)))
            if i != -1 and i < cut:
                cut = i
        name = body[:cut]
        yield Tag(name, local_name(name), False, empty, body[cut:], lt, pos)


def attributes(raw: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) pairs split as calamine splits them: the key is everything up to ``=``
    (trailing blanks trimmed), the value the raw bytes between either kind of quote.
    Raises Irregular for a key without ``=`` or an unquoted value (calamine fails on those)."""
    pos, size = 0, len(raw)
    while True:
        pos = _skip_blanks(raw, pos)
        if pos >= size:
            return
        eq = raw.find(b"=", pos)
        if eq == -1:
            raise Irregular("属性缺少等号")
        key = raw[pos:eq].rstrip(_WS)
        pos = _skip_blanks(raw, eq + 1)
        quote = raw[pos:pos + 1]
        if quote not in (b'"', b"'"):
            raise Irregular("属性值没有引号")
        close = raw.find(quote, pos + 1)
        if close == -1:
            close = size
        yield key, raw[pos + 1:close]
        pos = close + 1


def _skip_blanks(raw: bytes, pos: int) -> int:
    """Past the blanks at ``pos`` (at C speed: a tag may hold megabytes of them)."""
    match = _BLANKS.match(raw, pos)
    return match.end() if match is not None else pos
