"""Fuzzing: hypothesis mutates valid workbooks (cells removed or retyped, merged ranges shifted
or overlapping, labels altered, sheets reordered, bytes flipped inside the zip) and ``extract``,
``check`` and ``consolidate`` must answer with problems, never a traceback or a hang.

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
from perfxl.review.checking import check
from perfxl.tables.extraction import extract
from tests.fixtures.samples import build_workbook

from .conftest import load_specs

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


MUTATORS = {"remove": _remove_cells, "retype": _retype_cells, "merges": _merges, "labels": _labels}


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
        data = _zip(parts)
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
