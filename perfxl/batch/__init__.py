"""Consolidation: the worker pool that reads an inbox, the assignment of tables and problems to
units, and the scheduling of the summary-book writers."""
