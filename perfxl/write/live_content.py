"""What an annotated copy must not carry alive from a staff workbook: formulas that reach out of
the workbook (DDE ``=cmd|'/C calc'!A0``, references into other workbooks ``[1]Sheet1!A1``, and
HYPERLINK, WEBSERVICE, RTD, CALL … calls), links to external workbooks (``xl/externalLinks``),
hyperlinks to anything but a web or mail address (``file://``, ``\\\\host\\share``, local paths),
and defined names or data validations that reach out. Each is replaced by its cached value or
dropped, and reported at its cell."""

from __future__ import annotations

import math
import re
from typing import Any

from openpyxl.worksheet.formula import ArrayFormula

from ..model import Problem
from ..problems import problem
from ..read.sheet import Sheet

_STRING = re.compile(r'"(?:[^"]|"")*"')
_QUOTED_NAME = re.compile(r"'(?:[^']|'')*'")
# "[1]Sheet1!A1", "'[1]Sheet 1'!A1", "'\\host\share\[b.xlsx]S'!A1", "[1]!Name"; never a table's
# structured reference "表1[列]" (a name precedes its bracket) or "[[#This Row],[列]]"
_EXTERNAL = re.compile(r"(?<![\w\]])\[[^\[\]]*\][^\[\]!,()]*!")
_CALLS = re.compile(r"(?<![\w.])(?:_xlfn\.|_xludf\.)?(HYPERLINK|WEBSERVICE|RTD|CALL|REGISTER(?:\.ID)?|EXEC|IMAGE)"
                    r"\s*\(", re.I)
_SAFE_LINK = re.compile(r"(?i)^(https?|mailto):")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def clean_text(text: str) -> str:
    """``text`` as an .xlsx can hold it: a vertical tab or form feed (a line break pasted into an
    .xls) becomes a line break, other control characters are left out."""
    return _CONTROL.sub("", text.replace("\x0b", "\n").replace("\x0c", "\n"))


def reaches_out(formula: str) -> str | None:
    """Why ``formula`` reaches out of the workbook (Chinese, for the finding), or None."""
    bare = _STRING.sub('""', formula)
    if "|" in _QUOTED_NAME.sub("''", bare):
        return "是 DDE 调用（会启动其他程序）"
    if _EXTERNAL.search(bare):
        return "引用了其他工作簿"
    call = _CALLS.search(bare)
    if call:
        return f"调用了 {call.group(1).upper()} 函数（会打开链接或外部程序）"
    return None


def defuse(wb: Any, sheets: dict[str, Sheet], file: str) -> list[Problem]:
    """Make the openpyxl workbook ``wb`` (loaded with its formulas) harmless, in place; ``sheets``
    are the same sheets as perfxl read them, whose values are the formulas' cached results."""
    found: list[Problem] = []
    for link in wb._external_links:
        target = link.file_link.Target if link.file_link is not None else ""
        found.append(problem("annotate-link-removed", file=file, what="指向其他工作簿的外部链接",
                             target=clean_text(str(target or "（未注明）"))))
    wb._external_links = []
    for name in list(wb.defined_names):
        why = reaches_out(str(wb.defined_names[name].attr_text or ""))
        if why:
            del wb.defined_names[name]
            found.append(problem("annotate-name-removed", file=file, name=clean_text(name), why=why))
    for ws in wb.worksheets:
        for name in list(ws.defined_names):
            why = reaches_out(str(ws.defined_names[name].attr_text or ""))
            if why:
                del ws.defined_names[name]
                found.append(problem("annotate-name-removed", file=file, sheet=ws.title, name=clean_text(name),
                                     why=why))
        found += _defuse_sheet(ws, sheets.get(ws.title), file)
    return found


def _defuse_sheet(ws: Any, sheet: Sheet | None, file: str) -> list[Problem]:
    found: list[Problem] = []
    for cell in list(ws._cells.values()):
        value = cell.value
        text = value.text if isinstance(value, ArrayFormula) else value if cell.data_type == "f" else None
        why = reaches_out(str(text)) if text else None
        if why:
            cached = sheet.value(cell.row - 1, cell.column - 1) if sheet is not None else None
            shown = put_value(cell, cached)
            found.append(problem("annotate-formula-removed", file=file, sheet=ws.title, cell=cell.coordinate,
                                 formula=clean_text(str(text))[:120], why=why, value=shown))
        link = cell.hyperlink
        if link is not None and link.target and not _SAFE_LINK.match(link.target):
            cell.hyperlink = None
            found.append(problem("annotate-link-removed", file=file, sheet=ws.title, cell=cell.coordinate,
                                 what="超链接", target=clean_text(str(link.target))))
    kept = []
    for dv in ws.data_validations.dataValidation:
        why = reaches_out(f"{dv.formula1 or ''},{dv.formula2 or ''}")
        if why:
            first = str(dv.sqref).split()[0].split(":")[0]
            found.append(problem("annotate-formula-removed", file=file, sheet=ws.title, cell=first,
                                 formula=clean_text(str(dv.formula1 or dv.formula2))[:120],
                                 why=f"（数据验证）{why}", value="不再验证"))
        else:
            kept.append(dv)
    ws.data_validations.dataValidation = kept
    return found


def put_value(cell: Any, value: Any) -> str:
    """Write a value perfxl read into an openpyxl cell as a plain value (text never becomes a
    formula); returns how it is shown. A NaN or infinity, which no workbook can hold, becomes #NUM!."""
    if value is None or value == "":
        cell.value = None
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        cell.value = "#NUM!"
        cell.data_type = "e"
        return "#NUM!"
    if isinstance(value, str):
        cell.value = clean_text(value)
        cell.data_type = "s"
        return str(cell.value)
    cell.value = value
    return str(value)
