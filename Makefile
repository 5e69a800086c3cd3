# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
# `make check` gates the reference stack; `make bench` prints the benchmark figures.
# Each creates .venv/ when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# checkov pins packaging<24 and boto3==1.35.49 (pulumi needs packaging>=26): its own venv.
VENV_CHECKOV ?= .venv-checkov
CHECKOV := $(VENV_CHECKOV)/bin/checkov

.PHONY: install test check demo bench clean chromium

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

# Debian's chromium for the HTML report's browser tests (tests/test_reports.py): installed when we are
# root with apt-get, otherwise a warning (never a failure; those tests then skip and say why).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing Debian's chromium with apt-get, for the report's browser tests (tests/test_reports.py)" >&2; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "warning: could not install chromium; the browser report tests will skip" >&2; \
	  else \
	    echo "warning: chromium not found (sudo apt-get install chromium); the browser report tests will skip" >&2; \
	  fi; }

install: $(STAMP) $(CHECKOV) chromium

# In parallel on every core (pytest-xdist); one file's tests stay on one worker (they share fixtures
# such as a moto server). TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= auto
test: $(STAMP) $(CHECKOV) chromium
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

check: $(STAMP)
	$(BIN)/luxguard check . --stack local

demo: $(STAMP)
	$(BIN)/luxguard demo --output-dir luxguard-demo

bench: $(STAMP) $(CHECKOV)
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_scan.py --sizes 100
	$(BIN)/python bench/bench_checkov.py
	$(BIN)/python bench/bench_iac.py

clean:
	rm -rf $(VENV) $(VENV_CHECKOV) .pytest_cache
