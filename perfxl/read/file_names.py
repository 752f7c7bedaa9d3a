"""File names as a clerk can read them. On Linux a name that is not valid UTF-8 (a folder
unzipped from a Windows machine, in GBK) reaches Python with lone surrogates; written as is it
would break every UTF-8 output. Such runs are decoded as GB18030, the usual culprit."""

from __future__ import annotations

import functools
import os
import re

# A run of undecodable bytes with what GBK bytes decode to by accident around them: ASCII (GBK
# trail bytes can be ASCII), two-byte UTF-8 sequences (U+0080-U+07FF, e.g. "ļ" from 文件) and
# three-byte ones outside the Chinese blocks (Hangul "굥" from 标单); Chinese text itself is left
_ACCIDENTAL = "\x20-\x7e\u0080-\u07ff\u0800-\u2fff\ua000-\ud7ff\ue000-\uf8ff"


@functools.cache
def _run() -> re.Pattern[str]:
    # compiled on first use: its wide classes take 4 ms, and most runs never meet such a name
    return re.compile(f"[\udc80-\udcff{_ACCIDENTAL}]*[\udc80-\udcff][\udc80-\udcff{_ACCIDENTAL}]*")


_LONE = re.compile("[\udc80-\udcff]")


def printable(text: str) -> str:
    """``text`` with every undecodable file-name run turned into readable characters."""
    if not _LONE.search(text):  # the common case, checked in one linear scan
        return text
    return _run().sub(_decode, text)


def _decode(match: re.Match[str]) -> str:
    raw = match.group(0).encode("utf-8", "surrogateescape")
    return raw.decode("gb18030", "replace")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def shown_name(text: str) -> str:
    """A file name or path as the summaries show it: readable (``printable``) and with every
    control character written out (``\\x0d``). Unlike a cell's text a name never means a line
    break, and a carriage return shown as one would make a name look like two."""
    return _CONTROL.sub(written_out, printable(text))


def written_out(match: re.Match[str]) -> str:
    """The character ``match`` found, written out as Python writes it: ``\\x1b``, ``\\u2028``."""
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def safe_file_name(name: str, room: int = 60, empty: str = "未命名") -> str:
    """``name`` as any file system (and terminal) holds it: characters a file name cannot have
    and control characters made "_", blanks and dots cut from its ends, at most ``room`` characters
    (60 keep a name within the 255 bytes file systems allow, in UTF-8 too)."""
    return _UNSAFE.sub("_", name).strip(" .")[:room].rstrip(" .") or empty


def shown_base(path: str) -> str:
    """The last part of ``path`` as the summaries show it (``shown_name``)."""
    return shown_name(os.path.basename(path))
