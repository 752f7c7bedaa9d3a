"""The mark perfxl leaves in every workbook it writes — a custom document property naming what the
workbook is — so that its own summaries, annotated copies and blank templates are never read back
as a unit's submission."""

from __future__ import annotations

PROPERTY = "perfxl-output"
SUMMARY = "summary"      # a unit's or every unit's summary book
ANNOTATED = "annotated"  # a copy written by check --annotate
TEMPLATE = "template"    # a form to fill in: read once it holds something
ANNOTATION_SHEET = "问题清单"  # the sheet an annotated copy holds in front of the staff's sheets
SCOPE_PROPERTY = "perfxl-scope"  # on a summary: "all" for the 全部单位 book, which a higher level reads as a roll-up
ALL_SCOPE = "all"
