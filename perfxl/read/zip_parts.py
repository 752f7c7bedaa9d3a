"""The parts of an .xlsx read from bytes already in memory: the central directory parsed in one
pass, one zlib call per part (several times cheaper than ``zipfile``), and bounded whatever the
zip headers claim: a part may not inflate beyond a limit, nor all parts read together beyond a
budget (decompression bombs). Members are known by their real names (the Unicode-path extra
field wins, as in the zip readers), found case-insensitively; two members of one name make the
package damaged. ``stored_zip`` writes the fresh package python-calamine is given."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import NamedTuple

_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"


class PartTooLarge(Exception):
    """A part inflates beyond the limit."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__(name)
        self.name = name
        self.limit = limit


class TotalTooLarge(Exception):
    """The parts read from one package inflate beyond the budget together."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class Entry(NamedTuple):
    """What the central directory says about one part."""

    offset: int
    method: int
    flags: int
    packed: int
    size: int
    crc: int


class Package:
    """The central directory of a zip held in memory, and bounded reads of its parts."""

    def __init__(self, data: bytes, limit: int, total: int | None = None) -> None:
        """Raises zipfile.BadZipFile (or ValueError/OSError) when ``data`` is no readable zip
        or names one member twice."""
        self._data = data
        self.limit = limit
        self.total_limit = total
        self.entries = _central_directory(data)
        self._folded: dict[str, str] = {}
        for name in self.entries:
            key = _fold(name)
            if key in self._folded:
                raise zipfile.BadZipFile(f"member {name!r} twice")
            self._folded[key] = name
        self.largest = 0  # the largest part inflated so far
        self.inflated = 0  # all parts inflated so far

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def find(self, name: str) -> str | None:
        """The member named ``name`` as OPC names parts: case-insensitively, ``\\`` as ``/``."""
        return self._folded.get(_fold(name))

    def names(self) -> list[str]:
        return list(self.entries)

    def packed(self, name: str) -> tuple[int, bytes]:
        """The part as stored: (compression method, bytes). Equal packed parts hold equal
        content, so they serve as a cache key without inflating anything."""
        entry = self.entries[name]
        off = entry.offset
        header = self._data[off:off + 30]
        if len(header) < 30 or header[:4] != _LOCAL:
            raise zipfile.BadZipFile(f"bad local header for {name}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = off + 30 + name_len + extra_len
        return entry.method, self._data[start:start + entry.packed]

    def read(self, name: str) -> bytes:
        """The inflated part; KeyError when absent, PartTooLarge past the limit,
        zipfile.BadZipFile when damaged."""
        entry = self.entries[name]
        if entry.size > self.limit:
            raise PartTooLarge(name, self.limit)
        if entry.flags & 0x1:
            raise zipfile.BadZipFile(f"{name} is encrypted")
        _, raw = self.packed(name)
        if entry.method == zipfile.ZIP_STORED:
            out = raw
        elif entry.method == zipfile.ZIP_DEFLATED:
            try:
                out = zlib.decompressobj(-15).decompress(raw, self.limit + 1)
            except zlib.error as exc:
                raise zipfile.BadZipFile(f"{name}: {exc}") from exc
        else:
            raise zipfile.BadZipFile(f"{name}: unsupported compression {entry.method}")
        if len(out) > self.limit:
            raise PartTooLarge(name, self.limit)
        if zlib.crc32(out) != entry.crc:
            raise zipfile.BadZipFile(f"{name}: CRC mismatch")
        self.largest = max(self.largest, len(out))
        self.inflated += len(out)
        if self.total_limit is not None and self.inflated > self.total_limit:
            raise TotalTooLarge(self.total_limit)
        return out


def stored_zip(parts: list[tuple[str, bytes]]) -> bytes:
    """An uncompressed zip of ``parts`` (name, bytes), written directly: a handful of struct
    calls per part instead of zipfile's machinery, nothing inflated or deflated again."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, data in parts:
        raw = name.encode("utf-8")
        crc, size = zlib.crc32(data), len(data)
        head = struct.pack("<4sHHHHHIIIHH", _LOCAL, 20, 0x800, 0, 0, 0x21, crc, size, size, len(raw), 0)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", _CENTRAL, 20, 20, 0x800, 0, 0, 0x21, crc, size,
                                   size, len(raw), 0, 0, 0, 0, 0, offset) + raw)
        out += (head, raw, data)
        offset += len(head) + len(raw) + size
    directory = b"".join(central)
    end = struct.pack("<4sHHHHIIH", _EOCD, 0, 0, len(parts), len(parts), len(directory), offset, 0)
    return b"".join(out) + directory + end


def _fold(name: str) -> str:
    return name.replace("\\", "/").lstrip("/").casefold()


def _unicode_name(raw: bytes, extra: bytes, fallback: str) -> str:
    """The name in an Info-ZIP Unicode Path extra field (0x7075) when it is there and still
    belongs to the raw name (its CRC matches), else ``fallback``."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4:pos + 4 + size]
        if kind == 0x7075 and len(body) >= 5 and body[0] == 1 \
                and struct.unpack_from("<I", body, 1)[0] == zlib.crc32(raw):
            return body[5:].decode("utf-8", "replace")
        pos += 4 + size
    return fallback


def _central_directory(data: bytes) -> dict[str, Entry]:
    """Name -> Entry. The common layout (no zip64, no archive comment) is parsed directly;
    anything else goes through ``zipfile``, which knows every variant."""
    end = len(data) - 22
    if end < 0 or data[end:end + 4] != _EOCD:
        return _by_zipfile(data)
    count, size, start = struct.unpack_from("<HII", data, end + 10)
    if count == 0xFFFF or start == 0xFFFFFFFF or start + size > end:
        return _by_zipfile(data)
    entries: dict[str, Entry] = {}
    seen = 0
    pos = start
    for _ in range(count):
        if data[pos:pos + 4] != _CENTRAL:
            raise zipfile.BadZipFile("bad central directory")
        (flags, method, crc, packed, size_, name_len, extra_len, comment_len,
         offset) = struct.unpack_from("<HH4xIIIHHH8xI", data, pos + 8)
        raw_name = data[pos + 46:pos + 46 + name_len]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        if extra_len:
            name = _unicode_name(raw_name, data[pos + 46 + name_len:pos + 46 + name_len + extra_len], name)
        if 0xFFFFFFFF in (packed, size_, offset):
            return _by_zipfile(data)
        entries[name] = Entry(offset, method, flags, packed, size_, crc)
        seen += 1
        pos += 46 + name_len + extra_len + comment_len
    if seen != len(entries):
        raise zipfile.BadZipFile("a member named twice")
    return entries


def _by_zipfile(data: bytes) -> dict[str, Entry]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    entries: dict[str, Entry] = {}
    for i in infos:
        raw = i.orig_filename.encode("utf-8" if i.flag_bits & 0x800 else "cp437", "replace")
        name = _unicode_name(raw, i.extra, i.orig_filename)
        entries[name] = Entry(i.header_offset, i.compress_type, i.flag_bits, i.compress_size,
                              i.file_size, i.CRC)
    if len(entries) != len(infos):
        raise zipfile.BadZipFile("a member named twice")
    return entries
