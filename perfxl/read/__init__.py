"""Reading: workbook files to sheet grids — bounded zip reads, facts from the sheet XML, size
limits, legacy .xls, and the inbox scan that decides which files are read at all."""
