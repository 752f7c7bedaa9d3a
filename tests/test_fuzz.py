"""Fuzzing: hypothesis mutates valid workbooks (cells removed or retyped, merged ranges shifted
or overlapping, labels altered, sheets reordered, bytes flipped inside the zip; cell references
rewritten in every form calamine reads, far cells among them; the zip's member names cased,
moved, doubled or renamed through the Unicode-path field) and ``extract``, ``check`` and
``consolidate`` must answer with problems, never a traceback, a hang or an abort; and the extent
perfxl computes for a sheet is never smaller than what python-calamine then reads.

A bounded number of cases runs with the suite; ``make fuzz`` (PERFXL_FUZZ=long) runs many more.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfxl.batch.consolidation import consolidate
from perfxl.read.cell_extent import sheet_extent
from perfxl.review.checking import check
from perfxl.tables.extraction import extract
from tests.fixtures.samples import build_workbook

from .conftest import load_specs
from .test_native_reader import raw_zip

LONG = os.environ.get("PERFXL_FUZZ") == "long"
EXAMPLES = 3000 if LONG else 60
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])
CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@lru_cache(maxsize=1)
def _bases() -> dict[str, bytes]:
    """Valid workbooks to start from: three layouts of xlsx and a legacy xls."""
    import tempfile

    specs = load_specs()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for layout, ext, picked in (("per-sheet", "xlsx", specs[:3]), ("variants", "xlsx", specs[3:5]),
                                    ("seed", "xlsx", specs[:2]), ("xls", "xls", specs[5:7])):
            path = Path(tmp) / f"{layout}.{ext}"
            build_workbook(path, picked, layout)
            out[layout] = path.read_bytes()
    return out


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _remove_cells(xml: bytes, draw: Any) -> bytes:
    cells = list(re.finditer(rb"<c [^>]*?(?:/>|>.*?</c>)", xml, re.S))
    for m in sorted(draw(st.lists(st.sampled_from(cells), max_size=8)) if cells else [],
                    key=lambda m: -m.start()):
        xml = xml[:m.start()] + xml[m.end():]
    return xml


def _retype_cells(xml: bytes, draw: Any) -> bytes:
    kinds = [b' t="n"', b' t="s"', b' t="b"', b' t="e"', b' t="str"', b' t="inlineStr"', b""]
    values = [b"<v>1e309</v>", b"<v>-0</v>", b"<v>99999999</v>", b"<v>abc</v>", b"<v></v>",
              b"<f>1/0</f>", b"<v>0.8</v>", b"<is><t>\xe4\xb8\x80\xe7\xba\xa7\xe6\x8c\x87\xe6\xa0\x87</t></is>"]
    cells = list(re.finditer(rb'<c (r="[A-Z]+\d+")[^>]*?(?:/>|>.*?</c>)', xml, re.S))
    for m in sorted(draw(st.lists(st.sampled_from(cells), max_size=8)) if cells else [],
                    key=lambda m: -m.start()):
        new = b"<c " + m.group(1) + draw(st.sampled_from(kinds)) + b">" + draw(st.sampled_from(values)) + b"</c>"
        xml = xml[:m.start()] + new + xml[m.end():]
    return xml


def _merges(xml: bytes, draw: Any) -> bytes:
    refs = draw(st.lists(st.sampled_from(
        [b"A1:C3", b"B2:B2", b"C3:A1", b"A1:XFD1048576", b"A5:J5", b"B4:C40", b"ZZ9:A1",
         b"A:A", b"1:1", b"", b"garbage", b"A0:B0", b"A1:B2 C3:D4"]), max_size=6))
    extra = b"".join(b'<mergeCell ref="' + r + b'"/>' for r in refs)
    shifted = re.sub(rb'ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"',
                     lambda m: b'ref="%s%d:%s%d"' % (m.group(1), int(m.group(2)) + draw(st.integers(-3, 3)),
                                                      m.group(3), int(m.group(4)) + draw(st.integers(-3, 3))),
                     xml) if draw(st.booleans()) else xml
    if b"</mergeCells>" in shifted:
        return shifted.replace(b"</mergeCells>", extra + b"</mergeCells>")
    return shifted.replace(b"</sheetData>", b"</sheetData><mergeCells>" + extra + b"</mergeCells>")


def _labels(xml: bytes, draw: Any) -> bytes:
    swaps = [("一级指标", "一 级指标"), ("三级指标", "三级"), ("项目编码", "项目编號"), ("指标值", ""),
             ("符号", "符號"), ("绩效目标", "目标"), ("资金支出计划", "计划"), ("二级指标", "一级指标"),
             ("项目名称", "项目编码"), ("单位", "单位：" * 50)]
    for old, new in draw(st.lists(st.sampled_from(swaps), max_size=4)):
        xml = xml.replace(old.encode(), new.encode(), draw(st.integers(1, 3)))
    return xml


def _reorder(xml: bytes, draw: Any) -> bytes:
    sheets = re.findall(rb"<sheet [^>]*/>", xml)
    if len(sheets) < 2:
        return xml
    order = draw(st.permutations(sheets))
    body = b"".join(order)
    return re.sub(rb"(<sheet [^>]*/>)+", body, xml, count=1)


def _reference_forms(xml: bytes, draw: Any) -> bytes:
    """Cell references rewritten as calamine still reads them (quotes, case, blanks, no r,
    a prefix), some of them sent far out."""
    def one(m: re.Match[bytes]) -> bytes:
        ref = m.group(1)
        if draw(st.integers(0, 9)) == 0:
            ref = draw(st.sampled_from([b"XFD1048576", b"A1048576", b"ZZ99999", b"AAAAAAA1", b"A4294967297"]))
        form = draw(st.sampled_from(["keep", "single", "lower", "blanks", "none", "prefix"]))
        if form == "single":
            return b"<c r='" + ref + b"'"
        if form == "lower":
            return b'<c r="' + ref.lower() + b'"'
        if form == "blanks":
            return b'<c  r = "' + ref + b'" '
        if form == "none":
            return b"<c"
        if form == "prefix":
            return b'<c x:r="' + ref + b'"'
        return m.group(0)
    return re.sub(rb'<c r="([A-Z]+\d+)"', one, xml, count=draw(st.integers(1, 40)))


MUTATORS = {"remove": _remove_cells, "retype": _retype_cells, "merges": _merges, "labels": _labels,
            "references": _reference_forms}


def _unicode_path(real: str, shown: bytes, crc_ok: bool) -> bytes:
    import struct
    import zlib

    body = b"\x01" + struct.pack("<I", zlib.crc32(shown) ^ (0 if crc_ok else 1)) + real.encode()
    return struct.pack("<HH", 0x7075, len(body)) + body


def _zip_structure(parts: dict[str, bytes], draw: Any) -> bytes:
    """The parts written byte by byte with their members renamed, moved (the relationships
    following or not), doubled, or named only through a Unicode-path extra field."""
    rows = [(name.encode(), data, b"") for name, data in parts.items()]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(rows) - 1))
        name, data, extra = rows[i]
        kind = draw(st.sampled_from(["upper", "move", "move-rels", "double", "unicode", "unicode-bad"]))
        if kind == "upper":
            rows[i] = (name.upper(), data, extra)
        elif kind in ("move", "move-rels"):
            new = b"xl/elsewhere/" + name.rpartition(b"/")[2].replace(b".xml", b".XML")
            rows[i] = (new, data, extra)
            if kind == "move-rels":
                old = name.removeprefix(b"xl/")
                rows = [(n, d.replace(old, b"/" + new) if n.endswith(b".rels") else d, e) for n, d, e in rows]
        elif kind == "double":
            rows.append((name, draw(st.sampled_from([data, b"<worksheet/>", data[: len(data) // 2]])), b""))
        else:
            rows[i] = (b"xl/junk%d.bin" % i, data, _unicode_path(name.decode(), b"xl/junk%d.bin" % i,
                                                              kind == "unicode"))
    return raw_zip(rows)  # type: ignore[arg-type]


@st.composite
def mutated(draw: Any) -> tuple[str, bytes]:
    layout = draw(st.sampled_from(sorted(_bases())))
    data = _bases()[layout]
    if layout != "xls":
        parts = _parts(data)
        sheets = [n for n in parts if n.startswith("xl/worksheets/")]
        for name in draw(st.lists(st.sampled_from(sheets), min_size=1, max_size=2)):
            for kind in draw(st.lists(st.sampled_from(sorted(MUTATORS)), min_size=1, max_size=3)):
                target = "xl/sharedStrings.xml" if kind == "labels" and "xl/sharedStrings.xml" in parts else name
                parts[target] = MUTATORS[kind](parts[target], draw)
        if draw(st.booleans()):
            parts["xl/workbook.xml"] = _reorder(parts["xl/workbook.xml"], draw)
        data = _zip_structure(parts, draw) if draw(st.integers(0, 3)) == 0 else _zip(parts)
    if draw(st.booleans()):  # bytes flipped anywhere in the file
        raw = bytearray(data)
        for pos in draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=12)):
            raw[pos] ^= draw(st.integers(1, 255))
        data = bytes(raw)
    return ("xls" if layout == "xls" else "xlsx"), data


def _sane(result: Any) -> None:
    json.dumps(result.to_dict(), ensure_ascii=False)
    for p in result.problems:
        assert CODE.match(p.code) and p.message and p.severity in ("error", "warning", "info")


@SETTINGS
@given(case=mutated())
def test_extract_never_crashes(case: tuple[str, bytes], tmp_path_factory: Any) -> None:
    ext, data = case
    path = tmp_path_factory.mktemp("fuzz") / f"变异.{ext}"
    path.write_bytes(data)
    _sane(extract(path))


@settings(SETTINGS, max_examples=max(8, EXAMPLES // 10))
@given(cases=st.lists(mutated(), min_size=2, max_size=4))
def test_check_and_consolidate_never_crash(cases: list[tuple[str, bytes]], tmp_path_factory: Any) -> None:
    box = tmp_path_factory.mktemp("inbox")
    for i, (ext, data) in enumerate(cases):
        (box / f"{i}.{ext}").write_bytes(data)
    result = check([box])
    assert len(result.results) == len(cases)
    for r in result.results:
        _sane(r)
    run = consolidate(box, box.parent / f"{box.name}_out", jobs=1)
    assert len(run.sources) == len(cases)
    assert bool(run.outputs) != run.nothing_read  # books when something was read, none (the earlier kept) when not


_FORMS = st.sampled_from([b'r="%s"', b"r='%s'", b'r = "%s"', b"", b'x:r="%s"', b'r="A1" r="%s"'])


@st.composite
def _sheet(draw: Any) -> bytes:
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        cells = []
        for _ in range(draw(st.integers(0, 5))):
            ref = draw(st.from_regex(rb"\A[A-Ga-g]{1,2}[1-9][0-9]?\Z"))
            attr = draw(_FORMS)
            attr = attr % ref if b"%" in attr else attr
            body = draw(st.sampled_from([b"", b"<v>1</v>", b"<is><t>a</t></is>", b"<f>1</f><v>2</v>", None]))
            pre = draw(st.sampled_from([b"", b"x:"]))
            cells.append(b"<%sc %s/>" % (pre, attr) if body is None else b"<%sc %s>%s</%sc>" % (pre, attr, body, pre))
        row_r = draw(st.sampled_from([b"", b' r="%d"' % draw(st.integers(1, 30))]))
        rows.append(b"<row%s>%s</row>" % (row_r, b"".join(cells)) + draw(st.sampled_from([b"", b"<!-- > -->", b"\n"])))
    return b"".join(rows)


@settings(SETTINGS, max_examples=EXAMPLES * 2)
@given(rows=_sheet())
def test_the_extent_is_never_smaller_than_what_calamine_reads(rows: bytes) -> None:
    import io

    import python_calamine as pc

    from .test_native_reader import members, sheet_xml

    xml = sheet_xml(rows.decode(), ' xmlns:x="x"')
    extent = sheet_extent(xml)
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(raw_zip(members({"表": xml}))))
        grid = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # calamine fails on it: nothing was allocated
        return
    assert extent.irregular is None  # what calamine reads, perfxl can measure
    assert len(grid) <= extent.rows and max(map(len, grid), default=0) <= extent.cols


@st.composite
def _padded_sheet(draw: Any) -> bytes:
    """A sheet of ``_sheet`` with long runs of blanks put between tags, after a tag's name and
    after an attribute's value (at least one run long enough for perfxl to drop them)."""
    xml = draw(_sheet())
    blank = draw(st.sampled_from([b" ", b"\n", b" \t\r\n"]))
    out, pos = [], 0
    for m in re.finditer(rb">(?=<)|<[\w:]+(?=\s)|\"(?=\s)", xml):
        if draw(st.booleans()):
            out += [xml[pos:m.end()], blank * draw(st.integers(64, 200))]
            pos = m.end()
    return b"".join(out) + xml[pos:] + b"<!---->" + b" " * 70_000


@settings(SETTINGS, max_examples=EXAMPLES)
@given(rows=_padded_sheet())
def test_blanks_dropped_from_a_sheet_change_nothing_calamine_reads(rows: bytes) -> None:
    import io

    import python_calamine as pc

    from perfxl.read.sheet_xml import squeezed

    from .test_native_reader import members, sheet_xml

    def grid(xml: bytes) -> Any:
        try:
            book = pc.CalamineWorkbook.from_filelike(io.BytesIO(raw_zip(members({"表": xml}))))
            return book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine fails on it: it must fail the same way squeezed
            return type(exc).__name__

    xml = sheet_xml(rows.decode(), ' xmlns:x="x"')
    lean = squeezed(xml)
    assert len(lean) < len(xml) - 60_000
    assert grid(lean) == grid(xml)
