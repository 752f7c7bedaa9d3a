"""Writing: every workbook perfxl writes — summary books and their sheets, the fast row writer,
annotated copies, templates — each written atomically."""
