"""Template families drawn cell by cell (``tests/fixtures/families.py``) against tables written by hand.

Each family is written twice, as .xlsx (xlsxwriter or openpyxl) and as .xls (xlwt); ``perfxl.extract``
must give back the tables in ``tests/golden/families/<family>.json`` on every v2 contract key
(docs/extract-contract.md section 8, with the ground-truth decisions of tests/real/README.md), and
report no ``error`` for these well-formed forms. Keys starting with ``_`` in the golden files are notes;
the ``cells`` map perfxl adds and the ``problems`` list are not compared here.

``test_expected_cells_hold_their_names`` checks the golden files against the drawings themselves (every
三级指标 name sits at its ``cell``, anchors and field cells point at what they claim), so a failure of
the extraction test is the reader's, not a miscounted address.
"""

from __future__ import annotations

import json
import math
import traceback
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlrd
from openpyxl.utils.cell import coordinate_to_tuple

import perfxl
from tests.fixtures.engines import write_grids
from tests.fixtures.families import FAMILIES

GOLDEN = Path(__file__).parent / "golden" / "families"

TABLE_KEYS = ("kind", "stage", "sheet", "anchor", "title", "year", "department", "supervisor", "implementer",
              "project_code", "project_name", "template", "purpose", "amount", "funds", "spend_plan", "goals",
              "long_term_goals", "goals_achieved", "fields", "indicators")
INDICATOR_KEYS = ("level1", "level2", "level3", "description", "operator", "value", "unit", "target_text",
                  "basis", "weight", "level1_weight", "actual", "actual_value", "score", "deviation", "extra",
                  "cell")

CASES = [pytest.param(name, engine, ext, id=f"{name}{ext}")
         for name, (_, xlsx_engine) in FAMILIES.items()
         for engine, ext in ((xlsx_engine, ".xlsx"), ("xlwt", ".xls"))]


def _expected(name: str) -> list[dict[str, Any]]:
    doc = json.loads((GOLDEN / f"{name}.json").read_text("utf-8"))
    return [{k: v for k, v in t.items() if not k.startswith("_")} for t in doc["tables"]]


def _draw(folder: Path, name: str, engine: str, ext: str) -> Path:
    builder, _ = FAMILIES[name]
    path = folder / f"{name}{ext}"
    write_grids(path, builder(), engine)
    return path


def _extract(path: Path) -> dict[str, Any]:
    try:
        return perfxl.extract(path).to_dict()
    except Exception:  # a crash of the reader is a failed expectation, reported with its traceback
        pytest.fail(f"perfxl.extract({path.name}) raised:\n{traceback.format_exc()}")


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _differences(expected: Any, actual: Any, where: str) -> list[str]:
    """Every place where ``actual`` differs from ``expected``; numbers compare to 1e-9."""
    if _is_number(expected) and _is_number(actual):
        return [] if math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9) else \
            [f"{where}: expected {expected!r}, got {actual!r}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        if list(expected) != list(actual) and set(expected) != set(actual):
            out.append(f"{where}: keys expected {list(expected)}, got {list(actual)}")
        for key in expected:
            if key in actual:
                out += _differences(expected[key], actual[key], f"{where}[{key!r}]")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: expected {len(expected)} items {expected!r}, got {len(actual)} {actual!r}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for d in _differences(e, a, f"{where}[{i}]")]
    if type(expected) is not type(actual) or expected != actual:
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return []


def _table_name(table: dict[str, Any]) -> str:
    return f"{table.get('anchor')} {table.get('project_name') or table.get('department') or ''}".strip()


def _table_differences(i: int, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    label = f"table {i} ({_table_name(expected)})"
    out = [f"{label}: key {key!r} missing" for key in TABLE_KEYS if key not in actual]
    for key in TABLE_KEYS:
        if key == "indicators" or key not in actual:
            continue
        out += _differences(expected[key], actual[key], f"{label}.{key}")
    got = actual.get("indicators") or []
    want = expected["indicators"]
    if len(got) != len(want):
        out.append(f"{label}.indicators: expected {len(want)} {[w['level3'] for w in want]}, "
                   f"got {len(got)} {[g.get('level3') for g in got]}")
    for j, (w, g) in enumerate(zip(want, got, strict=False)):
        where = f"{label}.indicators[{j}] ({w['level3']} {w['cell']})"
        out += [f"{where}: key {key!r} missing" for key in INDICATOR_KEYS if key not in g]
        for key in INDICATOR_KEYS:
            if key in g:
                out += _differences(w[key], g[key], f"{where}.{key}")
    return out


@pytest.mark.parametrize(("name", "engine", "ext"), CASES)
def test_extract_matches_hand_written(tmp_path: Path, name: str, engine: str, ext: str) -> None:
    want = _expected(name)
    got = _extract(_draw(tmp_path, name, engine, ext))["tables"]
    problems = []
    if len(got) != len(want):
        problems.append(f"expected {len(want)} tables {[_table_name(t) for t in want]}, "
                        f"got {len(got)} {[_table_name(t) for t in got]}")
    for i, (w, g) in enumerate(zip(want, got, strict=False)):
        problems += _table_differences(i, w, g)
    assert not problems, f"{name}{ext} ({engine}): {len(problems)} differences\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(("name", "engine", "ext"), CASES)
def test_no_errors_reported(tmp_path: Path, name: str, engine: str, ext: str) -> None:
    problems = _extract(_draw(tmp_path, name, engine, ext))["problems"]
    errors = [f"{p['sheet']}!{p['cell']} {p['code']}: {p['message']}" for p in problems
              if p["severity"] == "error"]
    assert not errors, f"{name}{ext} ({engine}): errors on a well-formed form\n  " + "\n  ".join(errors)


class _Book:
    """Cell text of a written workbook by sheet name and A1 address, through openpyxl or xlrd."""

    def __init__(self, path: Path) -> None:
        self.xls = path.suffix == ".xls"
        self.book: Any = (xlrd.open_workbook(str(path), formatting_info=True) if self.xls
                          else openpyxl.load_workbook(path))

    def sheet_names(self) -> list[str]:
        return list(self.book.sheet_names() if self.xls else self.book.sheetnames)

    def value(self, sheet: str, ref: str) -> Any:
        row, col = coordinate_to_tuple(ref)
        if self.xls:
            ws = self.book.sheet_by_name(sheet)
            if row > ws.nrows or col > ws.ncols:
                return None
            value = ws.cell_value(row - 1, col - 1)
            return None if value == "" else value
        return self.book[sheet].cell(row=row, column=col).value


def _bare(text: Any) -> str:
    return "".join(str(text).split()).lstrip("*")


@pytest.mark.parametrize(("name", "engine", "ext"), CASES)
def test_expected_cells_hold_their_names(tmp_path: Path, name: str, engine: str, ext: str) -> None:
    book = _Book(_draw(tmp_path, name, engine, ext))
    wrong = []
    for i, table in enumerate(_expected(name)):
        sheet = table["sheet"]
        if sheet not in book.sheet_names():
            wrong.append(f"table {i}: no sheet {sheet!r} in {book.sheet_names()}")
            continue
        anchor = book.value(sheet, table["anchor"])
        if anchor is None or not (anchor == table["project_name"] or "名称" in _bare(anchor)):
            wrong.append(f"table {i}: anchor {table['anchor']} holds {anchor!r}, not a name label or the name")
        for ind in table["indicators"]:
            got = book.value(sheet, ind["cell"])
            if got != ind["level3"]:
                wrong.append(f"table {i}: {ind['cell']} holds {got!r}, expected 三级指标 {ind['level3']!r}")
        for label, field in table["fields"].items():
            value = field["value"]
            want = next(iter(value[0])) if isinstance(value, list) else value
            got = book.value(sheet, field["cell"])
            if want is not None and got != want:
                wrong.append(f"table {i}: field {label!r} cell {field['cell']} holds {got!r}, expected {want!r}")
    assert not wrong, f"{name}{ext}:\n  " + "\n  ".join(wrong)
