"""The parts of an .xlsx read from bytes already in memory: the central directory parsed in one
pass, one zlib call per part (several times cheaper than ``zipfile``), and bounded whatever the
zip headers claim: a part may not inflate beyond a limit (decompression bombs)."""

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

    def __init__(self, data: bytes, limit: int) -> None:
        """Raises zipfile.BadZipFile (or ValueError/OSError) when ``data`` is no readable zip."""
        self._data = data
        self.limit = limit
        self.entries = _central_directory(data)
        self.largest = 0  # the largest part inflated so far

    def __contains__(self, name: str) -> bool:
        return name in self.entries

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
        return out


    def repack(self, replaced: dict[str, bytes]) -> bytes:
        """A new, uncompressed zip of the XML parts, some of them replaced (binary parts such as
        macros and images are left out: nothing downstream needs them)."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
            for name in self.entries:
                if name in replaced:
                    zf.writestr(name, replaced[name])
                elif name.endswith((".xml", ".rels")):
                    zf.writestr(name, self.read(name))
        return out.getvalue()


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
    pos = start
    for _ in range(count):
        if data[pos:pos + 4] != _CENTRAL:
            raise zipfile.BadZipFile("bad central directory")
        (flags, method, crc, packed, size_, name_len, extra_len, comment_len,
         offset) = struct.unpack_from("<HH4xIIIHHH8xI", data, pos + 8)
        raw_name = data[pos + 46:pos + 46 + name_len]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        if 0xFFFFFFFF in (packed, size_, offset):
            return _by_zipfile(data)
        entries[name] = Entry(offset, method, flags, packed, size_, crc)
        pos += 46 + name_len + extra_len + comment_len
    return entries


def _by_zipfile(data: bytes) -> dict[str, Entry]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: Entry(i.header_offset, i.compress_type, i.flag_bits,
                                  i.compress_size, i.file_size, i.CRC) for i in zf.infolist()}
