# miyapo-ops — the two commands that matter: `make run` and `make test`.
# Python 3.12+ everywhere (AWS no longer creates python3.11 Lambda functions). The first suitable
# interpreter on PATH wins; override with `make PY=/path/to/python3.13`.
PY ?= $(shell sh scripts/find_python.sh)
VENV := .venv
BIN := $(VENV)/bin
export AWS_PORT ?= 4566
export APP_PORT ?= 8000

.PHONY: run test test-unit test-integration test-e2e test-infra lint bench venv venv-infra clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@if [ -z "$(PY)" ]; then echo "miyapo-ops needs Python 3.12 or newer (python3.12 / python3.13 on PATH)."; \
	  echo "Install it (e.g. 'apt-get install python3.12-venv', 'brew install python@3.13' or 'pyenv install 3.13')."; exit 1; fi
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12+ is required, found " + sys.version)'
	@# A venv made by an older Python (before the move to 3.12) is rebuilt, never reused.
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then rm -rf $(VENV); fi
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade 'pip<26.3'  # chalice 1.34 declares pip<26.3
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $@

# Infra tools (CDK, cdk-nag, cfn-lint) live in their own venv with the runtime requirements, so they
# never change a pin in .venv (the CDK, jsii and cfn-lint bring their own constraints).
INFRA_VENV := .venv-infra
INFRA_BIN := $(INFRA_VENV)/bin

$(INFRA_BIN)/.installed: requirements.txt requirements-infra.txt
	@if [ -z "$(PY)" ]; then echo "miyapo-ops needs Python 3.12 or newer (python3.12 / python3.13 on PATH)."; exit 1; fi
	@if [ -x $(INFRA_BIN)/python ] && ! $(INFRA_BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then rm -rf $(INFRA_VENV); fi
	$(PY) -m venv $(INFRA_VENV)
	$(INFRA_BIN)/python -m pip install -q --upgrade 'pip<26.3'  # chalice 1.34 declares pip<26.3
	$(INFRA_BIN)/python -m pip install -q -r requirements.txt -r requirements-infra.txt
	@touch $@

venv-infra: $(INFRA_BIN)/.installed

venv: $(BIN)/.installed

## The local stack: local AWS (moto) on 127.0.0.1:$(AWS_PORT), the app on 127.0.0.1:$(APP_PORT).
## Seed (scripts/seed.py): default a small quick demo; SEED=year a realistic FY2025 year (~1,500 stores,
## ten months of usage and approved rounds, ~12,000 inquiries, the sessions; SEED_YEAR_STORES=N scales it);
## SEED=0 nothing.
run: venv
	$(BIN)/python -m scripts.local_stack

## Plan a realistic season of consultation sessions (46 in the 39 areas, May 2025 - Feb 2026) on the
## running local stack (`make run` first); idempotent.
.PHONY: seed-sessions
seed-sessions: venv
	$(BIN)/python -m scripts.seed_sessions --base http://127.0.0.1:$(APP_PORT)

## Seed the realistic FY2025 year into the running local stack (`make run` first); idempotent.
.PHONY: seed-year
seed-year: venv
	$(BIN)/python -m scripts.seed_year

## Everything: lint, unit, integration, end-to-end (incl. browser), infrastructure synth + cfn-lint.
test: venv lint
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-infra

lint: venv
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy

test-unit: venv
	$(BIN)/python -m pytest tests/unit

test-integration: venv
	$(BIN)/python -m pytest tests/integration

test-e2e: venv
	$(BIN)/python -m pytest tests/e2e

## Synth (with cdk-nag), strict cfn-lint, template invariants and tests/infra, in .venv-infra.
test-infra: venv-infra
	$(INFRA_BIN)/python -m scripts.check_infra

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(INFRA_VENV) .local cdk.out chalice.out infra/cdk.out infra/chalice.out
