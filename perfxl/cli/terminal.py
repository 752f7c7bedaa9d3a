"""What reaches the terminal: staff text shown, never obeyed, on any console.

A cell may hold terminal control sequences (``\\x1b]0;…\\x07`` retitles the window, others move
the cursor or rewrite what was printed); every control character but line breaks and tabs is
shown escaped (``\\x1b``). A console that cannot encode a character (✓ on a GBK console) shows
it as an escape instead of ending the command with an error.
"""

from __future__ import annotations

import io
import re
import sys

from ..read.file_names import written_out

# C0 but tab and newline, DEL, C1 (\x9b alone starts a sequence on some terminals), and the
# line and paragraph separators that some terminals treat as line breaks
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def shown(text: str) -> str:
    """``text`` with every control character written out as ``\\xNN`` (``\\uNNNN``)."""
    return _CONTROL.sub(written_out, text)


def shown_json(text: str) -> str:
    """JSON text with the control characters json.dumps leaves raw (DEL, C1) escaped the JSON
    way, so it still parses to the same strings."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def never_unencodable() -> None:
    """Make stdout and stderr write what their encoding lacks as backslash escapes."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="backslashreplace")
