# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
# Each creates .venv/ when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# checkov pins packaging<24 and boto3==1.35.49 (pulumi needs packaging>=26): its own venv.
VENV_CHECKOV ?= .venv-checkov
CHECKOV := $(VENV_CHECKOV)/bin/checkov

.PHONY: install test check demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(CHECKOV): requirements-checkov.txt
	$(PYTHON) -m venv $(VENV_CHECKOV)
	$(VENV_CHECKOV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_CHECKOV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $(CHECKOV)

install: $(STAMP) $(CHECKOV)

test: $(STAMP) $(CHECKOV)
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/luxguard check . --stack local

demo: check

bench: $(STAMP)
	$(BIN)/python bench/bench_check.py

clean:
	rm -rf $(VENV) $(VENV_CHECKOV) .pytest_cache
