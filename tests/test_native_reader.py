"""python-calamine gets only what perfxl checked (issue 17 points 2 and 8): a far cell in any
reference form, a sheet part wherever the relationships put it, a member renamed by the zip's
Unicode-path field, duplicate members, parts that inflate too far alone or together, too many
sheets, too many cells without ``r``, a lying shared-strings count. Each of these once aborted
the whole process inside calamine; the workbooks are built here from raw bytes."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from perfxl.errors import UnreadableWorkbook
from perfxl.read.canonical_package import canonical_package
from perfxl.read.cell_extent import sheet_extent
from perfxl.read.limits import Limits
from perfxl.read.sheet import Sheet
from perfxl.read.workbook import read_workbook
from perfxl.tables.extraction import extract

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
TEXT = '<row r="1"><c r="A1" t="inlineStr"><is><t>一级指标</t></is></c></row>'


def raw_zip(members: list[tuple[str | bytes, bytes, bytes]]) -> bytes:
    """A zip written byte by byte: (raw name, data, central-directory extra field), deflated."""
    out, central, offset = b"", b"", 0
    for name, data, extra in members:
        raw = name.encode("utf-8") if isinstance(name, str) else name
        packed = zlib.compress(data)[2:-4]
        crc = zlib.crc32(data)
        head = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, 8, 0, 0x21, crc, len(packed),
                           len(data), len(raw), 0)
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0x800, 8, 0, 0x21, crc,
                               len(packed), len(data), len(raw), len(extra), 0, 0, 0, 0, offset) + raw + extra
        out += head + raw + packed
        offset += len(head) + len(raw) + len(packed)
    count = len(members)
    return out + central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), offset, 0)


def sheet_xml(rows: str, ns: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"{ns}>'
            f"<sheetData>{rows}</sheetData></worksheet>").encode()


def members(sheets: dict[str, bytes], targets: dict[str, str] | None = None, book: str = "xl/workbook.xml",
            extra: dict[str, bytes] | None = None) -> list[tuple[str | bytes, bytes, bytes]]:
    """The parts of a workbook whose sheets (name -> XML) sit at ``targets`` (name -> the
    relationship's Target; by default worksheets/sheetN.xml beside the workbook)."""
    targets = targets or {}
    rels, entries, parts = [], [], []
    folder = book.rpartition("/")[0]
    for i, (name, xml) in enumerate(sheets.items(), 1):
        target = targets.get(name, f"worksheets/sheet{i}.xml")
        rels.append(f'<Relationship Id="rId{i}" Type="{DOC}/worksheet" Target="{target}"/>')
        entries.append(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>')
        member = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
        parts.append((member.replace("%20", " "), xml))
    wb = f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets>{"".join(entries)}</sheets></workbook>'
    base = [
        ("[Content_Types].xml", b"<Types/>"),
        ("_rels/.rels", f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" '
                        f'Target="{book}"/></Relationships>'.encode()),
        (book, wb.encode()),
        (f"{folder}/_rels/{book.rpartition('/')[2]}.rels",
         f'<Relationships xmlns="{RELS}">{"".join(rels)}</Relationships>'.encode()),
    ]
    extra = extra or {}
    return [(n, d, extra.get(n, b"")) for n, d in base + parts]


def write(tmp_path: Path, parts: list[tuple[str | bytes, bytes, bytes]], name: str = "book.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(raw_zip(parts))
    return path


def notes(sheet: Sheet) -> list[str]:
    return [p.code for p in sheet.notes]


# ---------------------------------------------------------------------------- reference forms

FAR = {
    "single-quotes": "<row><c r='XFD1048576'><v>1</v></c></row>",
    "lower-case": '<row><c r="xfd1048576"><v>1</v></c></row>',
    "blanks-around-equals": '<row><c  r = "XFD1048576"  ><v>1</v></c></row>',
    "newline-before-r": '<row><c\nr="XFD1048576"><v>1</v></c></row>',
    "prefixed": '<x:row><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>',
    "second-r-wins": '<row><c r="A2" r="XFD1048576"><v>1</v></c></row>',
    "slash-in-attribute": '<row><c r="XFD1048576" note="/>"><v>1</v></c></row>',
    "cells-without-r": '<row r="1048576">' + "<c/>" * 16383 + "<c><v>1</v></c></row>",
    "rows-without-r": '<row r="1048575"/><row><c r="XFD1"/><c><v>1</v></c></row>',
    "hidden-in-a-comment-end": '<!-- a > b --><row><c r="XFD1048576"><v>1</v></c></row>',
}


@pytest.mark.parametrize("form", sorted(FAR))
def test_a_far_cell_is_refused_in_every_reference_form(tmp_path: Path, form: str) -> None:
    far = sheet_xml(TEXT + FAR[form], ' xmlns:x="' + MAIN + '"')
    path = write(tmp_path, members({"远": far, "正常": sheet_xml(TEXT)}))
    sheets = read_workbook(path)
    assert [s.name for s in sheets] == ["远", "正常"]
    assert notes(sheets[0]) == ["sheet-too-large"] and sheets[0].rows == []
    assert sheets[1].value(0, 0) == "一级指标"


def test_the_extent_counts_cells_without_r_as_calamine_places_them() -> None:
    # b2, then the next cell (no r) one to the right in the same row; a row without r is the next
    xml = sheet_xml("<row><c r='b2'><v>1</v></c><c><v>2</v></c></row><row/><row><c/><c><v>3</v></c></row>")
    extent = sheet_extent(xml)
    assert (extent.rows, extent.cols, extent.cells) == (3, 3, 3)


def test_cells_without_r_or_at_one_place_count_against_the_cell_limit(tmp_path: Path) -> None:
    in_a_row = sheet_xml("<row>" + "<c><v>1</v></c>" * 3000 + "</row>")
    one_place = sheet_xml("<row>" + '<c r="A1"><v>1</v></c>' * 3000 + "</row>")
    path = write(tmp_path, members({"一行": in_a_row, "一处": one_place, "正常": sheet_xml(TEXT)}))
    sheets = read_workbook(path, limits=Limits(cells=1000))
    assert [notes(s) for s in sheets] == [["sheet-too-large"], ["sheet-too-large"], []]
    assert "3,000" in sheets[1].notes[0].message


def test_a_sheet_with_more_cell_tags_than_the_limit_is_refused_without_walking_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """4 million cells without r took 46 s to walk before being refused: past the cell limit the
    tags alone (counted at C speed) refuse a sheet."""
    import perfxl.read.cell_extent as cell_extent

    def walked(data: bytes) -> None:
        raise AssertionError("the tokenizer walked a sheet already too large")

    monkeypatch.setattr(cell_extent, "_tokenized_extent", walked)
    many = sheet_xml("<row>" + "<c><v>1</v></c>" * 3000 + "</row>")
    sheet, = read_workbook(write(tmp_path, members({"多": many})), limits=Limits(cells=1000))
    assert notes(sheet) == ["sheet-too-large"]


def test_a_reference_calamine_cannot_read_refuses_only_that_sheet(tmp_path: Path) -> None:
    broken = sheet_xml('<row><c r=" A1"><v>1</v></c></row>')
    path = write(tmp_path, members({"坏": broken, "正常": sheet_xml(TEXT)}))
    sheets = read_workbook(path)
    assert notes(sheets[0]) == ["sheet-unreadable"] and "另存" in sheets[0].notes[0].message
    assert sheets[1].value(0, 0) == "一级指标"


def test_a_sheet_of_whitespace_is_read_as_empty(tmp_path: Path) -> None:
    blank = sheet_xml(" \n" * 1_000_000)
    sheets = read_workbook(write(tmp_path, members({"空白": blank, "正常": sheet_xml(TEXT)})))
    assert [notes(s) for s in sheets] == [[], []] and sheets[0].rows == []


BLANKS = {
    "between-tags": lambda n: sheet_xml(TEXT + " " * n),
    "lines": lambda n: sheet_xml(TEXT + " \n\t" * (n // 3)),
    "before-sheetData": lambda n: sheet_xml(TEXT).replace(b"<sheetData>", b"\r\n" * (n // 2) + b"<sheetData>"),
    "between-rows": lambda n: sheet_xml(TEXT + " " * n + '<row r="2"><c r="B2"><v>2</v></c></row>'),
    "inside-tags": lambda n: sheet_xml(TEXT.replace("<c r=", "<c" + " " * n + "r=").replace(
        ' t="', "\n" * n + ' t="').replace("><is>", " " * n + "><is>")),
}


@pytest.mark.parametrize("where", sorted(BLANKS))
def test_whitespace_between_tags_is_not_handed_to_calamine(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """50 sheets of whitespace took 12 s, every scan and calamine itself walking each blank:
    a long run of blanks between two tags (insignificant there) is dropped once, on reading."""
    import perfxl.read.workbook as workbook

    handed: list[int] = []

    def package(sheets: list[tuple[str, bytes | None]], *rest: object) -> bytes:
        handed.extend(len(xml or b"") for _, xml in sheets)
        return canonical_package(sheets, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(workbook, "canonical_package", package)
    sheets = read_workbook(write(tmp_path, members({f"空{i}": BLANKS[where](1 << 20) for i in range(3)})))
    assert max(handed) < 1000
    assert [s.value(0, 0) for s in sheets] == ["一级指标"] * 3
    if where == "between-rows":
        assert sheets[0].value(1, 1) == 2


def test_text_of_blanks_inside_a_cell_is_kept() -> None:
    from perfxl.read.sheet_xml import squeezed

    cell = '<c r="A1" t="inlineStr"><is><t xml:space="preserve">' + " " * 400 + "</t></is></c>"
    lean = sheet_xml(f"<row>{cell}</row>")
    assert squeezed(sheet_xml(f"<row>{cell}</row>" + " " * 70_000)) == lean
    prefixed = cell.replace('<t ', '<x:t ').replace('</t>', '</x:t >')
    assert squeezed(sheet_xml(f"<row>{prefixed}</row>" + " " * 70_000)) == sheet_xml(f"<row>{prefixed}</row>")


def _python_lines(run: Callable[[], object]) -> int:
    """Lines of perfxl's own Python executed by ``run`` (a measure of work that does not
    depend on how busy the machine is)."""
    count = 0

    def trace(frame: Any, event: str, arg: object) -> Any:
        nonlocal count
        if "perfxl" not in frame.f_code.co_filename:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        run()
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("blank", [" ", "\n"])
def test_blanks_inside_a_tag_cost_no_python_work_per_byte(blank: str) -> None:
    """Blanks inside a cell tag sent the sheet to the tokenizer, which skipped them one byte at a
    time in Python (5 MB took 2 s a sheet)."""
    def sheet(n: int) -> bytes:
        far = f'<row><c{blank * n}r="B2"><v>1</v></c></row>'
        return sheet_xml(TEXT.replace("<c r=", "<c" + blank * n + "r=") + far)

    assert _python_lines(lambda: sheet_extent(sheet(100_000))) == _python_lines(lambda: sheet_extent(sheet(10)))
    assert sheet_extent(sheet(100_000)).rows == 2


# ---------------------------------------------------------------------------- parts by relationships

PLACES = {
    "outside-worksheets": ({"远": "other/data.xml"}, "xl/workbook.xml"),
    "upper-case-XML": ({"远": "worksheets/FAR.XML"}, "xl/workbook.xml"),
    "absolute-target": ({"远": "/xl/elsewhere/s.xml"}, "xl/workbook.xml"),
    "percent-encoded": ({"远": "worksheets/sheet%201.xml"}, "xl/workbook.xml"),
    "workbook-elsewhere": ({}, "book/main.xml"),
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_sheets_are_found_by_the_relationships_wherever_they_sit(tmp_path: Path, place: str) -> None:
    targets, book = PLACES[place]
    far = sheet_xml(TEXT + '<row><c r="XFD1048576"><v>1</v></c></row>')
    path = write(tmp_path, members({"正常": sheet_xml(TEXT), "远": far}, targets, book))
    sheets = read_workbook(path)
    assert [s.name for s in sheets] == ["正常", "远"]
    assert sheets[0].value(0, 0) == "一级指标" and notes(sheets[1]) == ["sheet-too-large"]


def _unicode_path(real: str, shown: bytes) -> bytes:
    body = b"\x01" + struct.pack("<I", zlib.crc32(shown)) + real.encode("utf-8")
    return struct.pack("<HH", 0x7075, len(body)) + body


def test_a_member_renamed_by_the_unicode_path_field_is_checked(tmp_path: Path) -> None:
    far = sheet_xml(TEXT + '<row><c r="XFD1048576"><v>1</v></c></row>')
    parts = members({"远": far})
    hidden = [(b"xl/junk.bin" if n == "xl/worksheets/sheet1.xml" else n, d,
               _unicode_path("xl/worksheets/sheet1.xml", b"xl/junk.bin") if n == "xl/worksheets/sheet1.xml" else e)
              for n, d, e in parts]
    sheets = read_workbook(write(tmp_path, hidden))
    assert notes(sheets[0]) == ["sheet-too-large"]


def test_a_member_named_twice_is_refused_as_built_oddly_not_as_cut_short(tmp_path: Path) -> None:
    far = sheet_xml(TEXT + '<row><c r="XFD1048576"><v>1</v></c></row>')
    parts = members({"表": sheet_xml(TEXT)})
    twice = [*parts, ("xl/worksheets/sheet1.xml", far, b"")]
    result = extract(write(tmp_path, twice))
    message = result.problems[0].message
    assert [p.code for p in result.problems] == ["unreadable"] and "同一个部件出现两次" in message
    assert "未复制完" not in message  # a clerk must not be sent to copy it again
    folded = [*parts, ("XL/Worksheets/Sheet1.xml", far, b"")]
    assert "同一个部件出现两次" in extract(write(tmp_path, folded, "b.xlsx")).problems[0].message


# ---------------------------------------------------------------------------- budgets


def test_the_workbook_part_is_bounded_too(tmp_path: Path) -> None:
    parts = members({"表": sheet_xml(TEXT)})
    padded = [(n, d.replace(b"<sheets>", b" " * (3 << 20) + b"<sheets>") if n == "xl/workbook.xml" else d, e)
              for n, d, e in parts]
    with pytest.raises(UnreadableWorkbook, match="part_mb"):
        read_workbook(write(tmp_path, padded), limits=Limits(part_mb=1))


def test_parts_are_bounded_together(tmp_path: Path) -> None:
    half = sheet_xml(TEXT + " " * 700_000)
    path = write(tmp_path, members({"一": half, "二": half}))
    with pytest.raises(UnreadableWorkbook, match="total_mb=N"):
        read_workbook(path, limits=Limits(total_mb=1))
    assert len(read_workbook(path, limits=Limits(total_mb=2))) == 2


def test_too_many_sheets_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, members({f"表{i}": sheet_xml(TEXT) for i in range(6)}))
    with pytest.raises(UnreadableWorkbook, match=r"6 个工作表.*sheets=N"):
        read_workbook(path, limits=Limits(sheets=5))
    assert len(read_workbook(path, limits=Limits(sheets=6))) == 6


def test_sheets_each_under_the_limit_are_bounded_together(tmp_path: Path) -> None:
    near = sheet_xml(TEXT + '<row r="20"><c r="E20"><v>1</v></c></row>')  # 20 x 5 = 100 cells
    path = write(tmp_path, members({f"表{i}": near for i in range(5)}))
    with pytest.raises(UnreadableWorkbook, match=r"500.*book_cells=N"):
        read_workbook(path, limits=Limits(cells=150, book_cells=300))
    assert len(read_workbook(path, limits=Limits(cells=150, book_cells=500))) == 5


def test_a_lying_shared_strings_count_is_not_passed_on(tmp_path: Path) -> None:
    parts = members({"表": sheet_xml('<row><c r="A1" t="s"><v>0</v></c></row>')})
    rels = f'<Relationship Id="rId9" Type="{DOC}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
    parts = [(n, d.replace(b"</Relationships>", rels.encode()) if n == "xl/_rels/workbook.xml.rels" else d, e)
             for n, d, e in parts]
    sst = f'<sst xmlns="{MAIN}" count="1" uniqueCount="99999999999999"><si><t>一级指标</t></si></sst>'
    parts.append(("xl/sharedStrings.xml", sst.encode(), b""))
    assert read_workbook(write(tmp_path, parts))[0].value(0, 0) == "一级指标"


# ---------------------------------------------------------------------------- .ods

ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
ODS_TEXT = ('<table:table-row><table:table-cell office:value-type="string"><text:p>一级指标</text:p>'
            '</table:table-cell></table:table-row>')


def ods(tables: dict[str, str], manifest: bytes = b"<manifest:manifest/>") -> list[tuple[str | bytes, bytes, bytes]]:
    body = "".join(f'<table:table table:name="{name}">{rows}</table:table>' for name, rows in tables.items())
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS}><office:body>'
               f"<office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>")
    return [("mimetype", ODS_MIME, b""), ("META-INF/manifest.xml", manifest, b""),
            ("content.xml", content.encode(), b""), ("styles.xml", b"<office:document-styles/>", b""),
            ("Pictures/x.png", b"\x89PNG", b"")]


FAR_ODS = ('<table:table-row table:number-rows-repeated="1048576"><table:table-cell office:value-type="float" '
           'office:value="1" table:number-columns-repeated="16384"/></table:table-row>')


def test_an_ods_reaches_calamine_as_only_the_checked_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """calamine expands repeated cells and rows: a 1 KB .ods once asked it for 17 billion cells.
    It gets a fresh package of mimetype, manifest and content.xml, the far table emptied."""
    import zipfile

    import perfxl.read.workbook as workbook

    given: list[bytes] = []
    real = workbook._calamine

    def book(data: bytes) -> Any:
        given.append(data)
        return real(data)

    monkeypatch.setattr(workbook, "_calamine", book)
    sheets = read_workbook(write(tmp_path, ods({"远": FAR_ODS, "正常": ODS_TEXT}), "a.ods"))
    assert [s.name for s in sheets] == ["远", "正常"]
    assert notes(sheets[0]) == ["sheet-too-large"] and sheets[1].value(0, 0) == "一级指标"
    with zipfile.ZipFile(io.BytesIO(given[0])) as zf:
        assert zf.namelist() == ["mimetype", "META-INF/manifest.xml", "content.xml"]
        assert b"number-columns-repeated" not in zf.read("content.xml")


def test_a_far_ods_table_is_refused_in_the_isolated_reader_too(tmp_path: Path) -> None:
    result = extract(write(tmp_path, ods({"远": FAR_ODS, "正常": ODS_TEXT}), "a.ods"))
    assert "sheet-too-large" in [p.code for p in result.problems]
    assert "reader-crashed" not in [p.code for p in result.problems]


def test_ods_budgets_hold(tmp_path: Path) -> None:
    many = write(tmp_path, ods({f"表{i}": ODS_TEXT for i in range(6)}), "many.ods")
    with pytest.raises(UnreadableWorkbook, match=r"6 个工作表.*sheets=N"):
        read_workbook(many, limits=Limits(sheets=5))
    spaces = ('<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="999999999"/>'
              "</text:p></table:table-cell></table:table-row>")
    with pytest.raises(UnreadableWorkbook, match="结构异常"):
        read_workbook(write(tmp_path, ods({"空格": spaces}), "s.ods"))
    locked = ods({"表": ODS_TEXT}, b"<manifest:manifest><manifest:file-entry><manifest:encryption-data/>"
                                   b"</manifest:file-entry></manifest:manifest>")
    with pytest.raises(UnreadableWorkbook, match="密码"):
        read_workbook(write(tmp_path, locked, "l.ods"))


# ---------------------------------------------------------------------------- values that do not fit their type


def test_a_cell_whose_value_does_not_fit_its_type_is_text_at_its_cell_not_a_lost_workbook(tmp_path: Path) -> None:
    """python-calamine refuses the whole workbook for a boolean cell holding "maybe"."""
    odd = ('<row r="2"><c r="B2" t="b"><v>maybe</v></c><c r="C2" t="b"><v>1</v></c>'
           '<x:c r="D2" t="e"><x:v>#OOPS</x:v></x:c><c r="E2"><v>7</v></c></row>')
    path = write(tmp_path, members({"怪": sheet_xml(TEXT + odd, f' xmlns:x="{MAIN}"'), "正常": sheet_xml(TEXT)}))
    sheets = read_workbook(path)
    assert [(p.code, p.sheet, p.cell) for p in sheets[0].notes] == [("cell-value-invalid", "怪", "B2"),
                                                                     ("cell-value-invalid", "怪", "D2")]
    assert "“maybe”不是布尔值" in sheets[0].notes[0].message
    assert (sheets[0].value(1, 1), sheets[0].value(1, 3), sheets[0].value(1, 4)) == ("maybe", "#OOPS", 7)
    assert sheets[0].value(1, 2) is True and sheets[1].value(0, 0) == "一级指标"


@pytest.mark.parametrize(("cell", "fits"), [
    ('<c r="A1" t="b"><v>TRUE</v></c>', True), ('<c r="A1" t="b"><v>是</v></c>', False),
    ('<c r="A1"><v> 1.5e3 </v></c>', True), ('<c r="A1" t="n"><v>十二</v></c>', False),
    ('<c r="A1" t="d"><v>2024-05-01T00:00:00</v></c>', True), ('<c r="A1" t="d"><v>五月</v></c>', False),
    ('<c r="A1" t="e"><v>#N/A</v></c>', True), ('<c r="A1" t="s"><v>abc</v></c>', True),
    ('<c r="A1" s="3"><f>A2</f><v>x</v></c>', False), ('<c r="A1" t="b"/>', True),
])
def test_typed_cells_that_do_not_fit_are_found(cell: str, fits: bool) -> None:
    from perfxl.read.typed_cells import typed_cells_as_text

    xml, found = typed_cells_as_text(cell.encode())
    assert (found == []) is fits
    if not fits:
        assert found[0][0] == "A1" and b't="inlineStr"' in xml and b"<f>" not in xml and xml.count(b"</c>") == 1
