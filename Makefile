# One target per chore. `make run` and `make test` are the README's quick start.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCENARIO ?= scenarios/valdoria-rifles-weak-stockpile.yaml

.PHONY: setup run test bench lint schemas golden clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/riskcheck assess $(SCENARIO)

# pytest exits 5 when it collects nothing: that is a failure, not a pass.
test: setup
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests were collected"; exit 1; fi; exit $$rc

bench: setup
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
