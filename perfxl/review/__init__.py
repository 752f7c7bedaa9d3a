"""Review: tables to findings — the office's rules data, pandas frames, pandera schemas, the
review rules, and ``check`` over any set of workbooks."""
