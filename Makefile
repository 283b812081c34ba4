# miyapo-ops — the two commands that matter: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export AWS_PORT ?= 4566
export APP_PORT ?= 8000

.PHONY: run test test-unit test-integration test-e2e test-infra lint bench venv clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python 3.11+ is required")'
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $@

$(BIN)/.installed-infra: $(BIN)/.installed requirements-infra.txt
	$(BIN)/python -m pip install -q -r requirements-infra.txt
	@touch $@

venv: $(BIN)/.installed

## The local stack: local AWS (moto) on 127.0.0.1:$(AWS_PORT), the app on 127.0.0.1:$(APP_PORT).
run: venv
	$(BIN)/python -m scripts.local_stack

## Everything: lint, unit, integration, end-to-end (incl. browser), infrastructure synth + cfn-lint.
test: venv lint
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-infra

lint: venv
	$(BIN)/python -m ruff check .

test-unit: venv
	$(BIN)/python -m pytest tests/unit

test-integration: venv
	$(BIN)/python -m pytest tests/integration

test-e2e: venv
	$(BIN)/python -m pytest tests/e2e

test-infra: $(BIN)/.installed-infra
	$(BIN)/python -m scripts.check_infra

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .local cdk.out chalice.out infra/cdk.out
