# One target per chore. `make run` and `make test` are the README's quick start.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APP_STAMP := $(VENV)/.installed-app
SCENARIO ?= scenarios/valdoria-rifles-weak-stockpile.yaml
PORT ?= 8501

.PHONY: setup run assess browser postgres test bench lint schemas golden clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[test]'
	touch $(STAMP)

# What the app needs and nothing else (no test tools, no browser driver): `make run` on a new checkout.
$(APP_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e .
	touch $(APP_STAMP)

setup: $(STAMP)

# Open the app (Assess page, a bundled scenario on the form) at http://127.0.0.1:$(PORT). Ctrl+C or
# SIGTERM stops it: make passes the signal to `riskcheck app`, which is the Streamlit server itself.
run: $(APP_STAMP)
	$(BIN)/riskcheck app --port $(PORT)

assess: $(APP_STAMP)
	$(BIN)/riskcheck assess $(SCENARIO)

# The browser test drives Debian's chromium; playwright's own browser download is never used.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; \
	  else \
	    echo "chromium is missing and cannot be installed here: the browser test will be skipped"; \
	  fi; \
	fi

# The history, rule-edit and training tests also run against a throwaway PostgreSQL server
# (tests/databases.py starts it on a Unix socket). Debian's package is installed without the
# cluster it would otherwise create and start on port 5432: the tests make their own.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's postgresql for the database tests"; \
	    mkdir -p /etc/postgresql-common; \
	    grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf || \
	      echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	  else \
	    echo "postgresql is missing and cannot be installed here: the PostgreSQL tests will be skipped"; \
	  fi; \
	fi

# pytest exits 5 when it collects nothing: that is a failure, not a pass.
test: setup browser postgres
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests were collected"; exit 1; fi; exit $$rc

bench: setup
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[test,bench]'
	mkdir -p .benchmarks
	$(BIN)/python -m pytest tests/bench --benchmark-enable --benchmark-only -q --benchmark-json=.benchmarks/latest.json
	$(BIN)/python -m tests.bench.summary

lint: setup
	$(BIN)/ruff check riskcheck tests
	$(BIN)/ruff format --check riskcheck tests

schemas: setup
	for k in rules scenario profile embargoes; do $(BIN)/riskcheck schema $$k -o riskcheck/schemas/$$k.schema.json; done

golden: setup
	$(BIN)/python -m pytest tests/test_golden.py --update-golden

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks
