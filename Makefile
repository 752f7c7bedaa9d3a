# Set-up and everyday commands. `make run` and `make test` build .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
INBOX ?= workbooks/inbox

.PHONY: run test lint docs bench profile fuzz hostile inbox templates clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/perfxl consolidate $(INBOX) -o workbooks/out || test $$? -eq 1

# PYTEST_ARGS='-m "not soffice"' leaves out the LibreOffice round trips on a machine without it
test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

docs: $(VENV)/.installed
	$(PY) -c "from perfxl.problems import reference_markdown; open('docs/rules.md', 'w', encoding='utf-8').write(reference_markdown())"

inbox: $(VENV)/.installed
	$(PY) tools/build_inbox.py

templates: $(VENV)/.installed
	$(VENV)/bin/perfxl template --kind project -o workbooks/templates/预算项目绩效表.xlsx
	$(VENV)/bin/perfxl template --kind department -o workbooks/templates/部门整体支出绩效指标.xlsx

# the benchmark measures perfxl as a user installs it (`pip install perfxl`, no test tools: pandera
# imports hypothesis and Dask when it finds them), in a venv of its own
BENCH_VENV ?= .venv-bench
$(BENCH_VENV)/.installed: pyproject.toml
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e . "xlwt>=1.3" "py-spy>=0.3"  # the corpus's .xls files; benchmarks/profile.py
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/run.py $(BENCH_ARGS)

profile: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/profile.py $(PROFILE_ARGS)

fuzz: $(VENV)/.installed
	PERFXL_FUZZ=long $(PY) -m pytest -q tests/test_fuzz.py

hostile: $(VENV)/.installed
	$(PY) tools/hostile_inbox.py /tmp/恶意收件箱
	$(VENV)/bin/perfxl consolidate /tmp/恶意收件箱 -o /tmp/恶意汇总 || test $$? -eq 1

clean:
	rm -rf $(VENV) $(BENCH_VENV) workbooks/out .pytest_cache .hypothesis
