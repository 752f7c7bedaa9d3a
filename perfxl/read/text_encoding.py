"""Decoding the text exports units send (CSV, HTML tables, SpreadsheetML): a byte-order mark
first, then the charset the file declares, then strict UTF-8, then a charset detector limited to
the encodings Chinese systems write (GBK / GB18030, Big5) so short Chinese text is never taken
for Korean or Latin-1."""

from __future__ import annotations

import codecs

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# GB2312 and GBK labels are widened to GB18030, a superset: pages labelled gb2312 hold GBK characters
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "euc_cn": "gb18030", "hz": "gb18030", "ascii": "utf-8"}
_DETECTED = ["gb18030", "big5"]


def bom_encoding(data: bytes) -> str | None:
    """The codec a byte-order mark names, else None."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def codec_name(label: str) -> str | None:
    """The Python codec for a charset label as files write it ("GBK", "utf8", "x-gbk"), else None."""
    try:
        name = codecs.lookup(label.strip().strip("\"'").removeprefix("x-")).name
    except (LookupError, ValueError):
        return None
    return _WIDER.get(name.replace("-", "_"), name)


def decode(data: bytes, declared: str | None = None) -> str:
    """The text of ``data``; UnicodeError when it is not text in any encoding tried."""
    bom = bom_encoding(data)
    if bom is not None:
        return data.decode(bom)
    tried = [n for n in (codec_name(declared) if declared else None, "utf-8") if n]
    for name in dict.fromkeys(tried):
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    import charset_normalizer  # only for text files without a BOM: tens of ms to import

    best = charset_normalizer.from_bytes(data, cp_isolation=_DETECTED).best()
    if best is None:
        raise UnicodeError("no encoding fits")
    return str(best)
