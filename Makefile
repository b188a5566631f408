# Akleao Finance — every target says what it does; `make` alone lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
# A recipe that fails removes its target: a next build that wrote BUILD_ID and then failed
# must not pass for a build on the next run.
.DELETE_ON_ERROR:

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BQ_VENV := .venv-bq
BQ_STAMP := $(BQ_VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: help emulators-check setup lint test test-unit test-integration up tick down status logs clean bench eval eval-tickers train-disambiguator eval-real eval-pumps bq-venv tf-source tf-check browser demo token dashboard chaos

help: ## Show this list of targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "Python 3.11 is needed (the functions' runtime; found $$($(PYTHON) --version)): set PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

setup: $(STAMP) ## Create the virtualenv and install pinned dependencies (idempotent)

$(BQ_STAMP): requirements-bq.txt
	@test -x $(BQ_VENV)/bin/python || $(PYTHON) -m venv $(BQ_VENV)
	$(BQ_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-bq.txt
	@touch $@

bq-venv: $(BQ_STAMP) ## Install bqemulator (local BigQuery) into its own virtualenv .venv-bq (idempotent)

$(CHECKOV_STAMP): requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

emulators-check: ## Check for Java and the Pub/Sub and Firestore emulators (the Cloud SDK's), saying what to install when missing
	@$(PYTHON) -m emulators.jars

tf-source: setup ## Stage main.py, functions/, common/, requirements.txt in terraform/.build/source (run before terraform apply)
	$(PY) scripts/build_source.py

tf-check: setup $(CHECKOV_STAMP) ## Terraform, offline: parse every file, fmt, checkov, and tests that code and Terraform agree
	$(PY) -c "from emulators import tfmodel; print(f'parsed {len(tfmodel.load().files)} terraform files')"
	@if command -v terraform >/dev/null; then terraform fmt -check -recursive terraform && echo "terraform fmt: clean"; \
	 else echo "terraform not installed: fmt check skipped"; fi
	$(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --quiet --compact --skip-download
	$(PY) -m pytest -q tests/unit/test_terraform_agreement.py tests/unit/test_terraform_source.py tests/unit/test_terraform_indexes.py tests/unit/test_tfmodel.py

lint: setup ## ruff (lint + format check) and mypy --strict
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

test: emulators-check setup lint frontend-check tf-check $(BQ_STAMP) browser dashboard frontend ## Everything CI runs: lint (Python and frontend), tf-check, then unit, integration and e2e tests (starts its own emulators)
	$(PY) -m pytest tests

test-unit: setup ## Unit tests only (no services)
	$(PY) -m pytest tests/unit

test-integration: emulators-check setup $(BQ_STAMP) dashboard frontend browser ## Integration and end-to-end tests (start their own emulators; the e2e tests drive the web app and the dashboard)
	$(PY) -m pytest tests/integration tests/e2e

# STACK_AUTH=devauth runs without the web app, so without Node: no frontend to build
up: emulators-check setup $(BQ_STAMP) $(if $(filter devauth,$(STACK_AUTH)),,frontend) ## Start the whole local stack in the background (emulators, every function, provisioning, the web app; STACK_AUTH=devauth: no web app)
	$(PY) -m emulators.supervisor up

tick: setup ## Advance the local Reddit's replay clock HOURS (default 1), then publish a tick fetching every subreddit (not only the due ones) and a digest tick to the running stack
	$(PY) -m emulators.drive tick --hours $(or $(HOURS),1)

down: ## Stop the local stack and everything it started
	@test -x $(PY) && $(PY) -m emulators.supervisor down || true

status: ## Show the running local stack (ports, functions, log folder)
	@if test -x $(PY); then $(PY) -m emulators.supervisor status; else echo "no stack running (make up)"; fi

logs: ## Follow the running stack's logs (this run's folder .stack/logs/latest: timestamped JSON lines, emulator output)
	@if ls .stack/logs/latest/*.log >/dev/null 2>&1; then tail -n 20 -F .stack/logs/latest/*.log; else echo "no stack logs yet (make up)"; fi

browser: ## Install Debian's chromium + chromedriver for the web app's and the dashboard's browser tests (idempotent; apt when missing)
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi; \
	sudo=""; if [ "$$(id -u)" != 0 ]; then sudo="sudo"; fi; \
	echo "installing Debian's chromium and chromium-driver (once)"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null

token: setup ## Print an API token for the running stack (the web app's seeded account, or the dev key's) and a curl example; ROLE=admin for admin
	@$(PY) -m emulators.supervisor token $(if $(ROLE),--role $(ROLE),) $(if $(SUB),--sub $(SUB),)

DASHBOARD_STAMP := dashboard/node_modules/.package-lock.json

$(DASHBOARD_STAMP): dashboard/package.json dashboard/package-lock.json
	npm ci --prefix dashboard --no-audit --no-fund --loglevel=error
	@touch $@

dashboard: $(DASHBOARD_STAMP) ## Install the dashboard's chart library (uPlot, pinned in dashboard/package-lock.json) from npm

.PHONY: frontend frontend-check
FRONTEND_DEPS := frontend/node_modules/.package-lock.json
FRONTEND_BUILD := frontend/.next/BUILD_ID
FRONTEND_SRC := $(shell find frontend/app frontend/components frontend/lib -type f 2>/dev/null) \
	frontend/instrumentation.ts frontend/next.config.ts frontend/tsconfig.json
# better-sqlite3 compiles from source (its prebuilt binaries are not on npm): node-gyp gets
# the running node's own headers instead of downloading them.
# Expanded only when npm runs (=, not :=): without node, `make` alone must still print help.
NODE_DIR = $(abspath $(dir $(shell readlink -f $$(command -v node)))/..)

$(FRONTEND_DEPS): frontend/package.json frontend/package-lock.json
	npm_config_nodedir=$(NODE_DIR) npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	@touch $@

$(FRONTEND_BUILD): $(FRONTEND_DEPS) $(FRONTEND_SRC)
	cd frontend && NEXT_TELEMETRY_DISABLED=1 node node_modules/next/dist/bin/next build
	@touch $@

frontend: $(FRONTEND_BUILD) ## The web app (frontend/, Next.js + Better Auth): npm ci from its lockfile, then next build (each only when its inputs changed)

frontend-check: $(FRONTEND_DEPS) ## Type check (tsc --noEmit) and lint (eslint) the web app
	cd frontend && node node_modules/typescript/bin/tsc --noEmit && node node_modules/eslint/bin/eslint.js --max-warnings=0 .

# The alert table is due this many seconds after the demo itself starts (the first run's
# virtualenv and npm installs come before and are not counted; the demo prints its setup time).
DEMO_BUDGET_S ?= 285

demo: emulators-check setup $(BQ_STAMP) dashboard frontend ## The pipeline on the bundled two-week replay in a few minutes, then the web app + API + dashboard until Ctrl-C; CORPUS=dir: your own; LIVE=1: real Reddit
	$(PY) -m demo --web-app yes $(if $(LIVE),--live,--budget $(DEMO_BUDGET_S)) $(if $(CORPUS),--corpus $(CORPUS),) $(DEMO_ARGS)

eval: setup ## Backtest the bundled replay corpus and one generated with another seed; scores to eval/out/ (REFRESH=1: eval/results.json)
	$(PY) -m eval.synthetic data/replay/default --generate-seed $(or $(EVAL_SEED),11) --out $(if $(REFRESH),eval/results.json,eval/out/results.json)

eval-tickers: setup ## Ticker extraction on the real labelled set (held-out split) and the template set vs reticker (AKLEAO_WSB_2022_CSV, AKLEAO_FINANCE_2024_DIR: also the 2022 and 2024 sets); REFRESH=1 rewrites eval/tickers.json
	$(PY) -m eval.tickers_eval $(if $(REFRESH),--refresh,)

train-disambiguator: setup ## Retrain the learned ticker disambiguator on the real set's dev split (scikit-learn, requirements-train.txt); writes eval/tickers/disambiguator.json
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-train.txt
	$(PY) -m eval.tickers.train_disambiguator

eval-real: setup ## Backtest real r/wallstreetbets history (../shared/data) against its labelled events, with account ages, the blind review of its alerts, a slow-burn study, a community-relative length bar study, and pump signals and the fetch cadence's losses in unstripped talk (its December 2020 sample); REFRESH=1 writes eval/results.json
	$(PY) -m eval.real.ages $(if $(REFRESH),--refresh,)
	$(PY) -m eval.real.run $(if $(REFRESH),--refresh,)
	$(PY) -m eval.real.alert_review score $(if $(REFRESH),--refresh,)
	$(PY) -m eval.real.slow_burn $(if $(REFRESH),--refresh,)
	$(PY) -m eval.real.length_bar $(if $(REFRESH),--refresh,)
	$(PY) -m eval.real.signal_shares $(if $(REFRESH),--refresh,)
	$(PY) -m eval.real.cadence $(if $(REFRESH),--refresh,)

eval-pumps: setup ## Pump campaigns injected into five weeks of real Reddit history (../shared/data), backtested; REFRESH=1 writes eval/results.json
	$(PY) -m eval.real.pumps $(if $(REFRESH),--refresh,)
	$(PY) -m eval.real.pumps --seed 1 $(if $(REFRESH),--refresh,)

chaos: emulators-check setup $(BQ_STAMP) ## Fault suite on the real local stack: kills, duplicate ticks, poison, Reddit and Firestore outages, each compared with a clean run (ONLY=a,b: the cases whose name holds one of these)
	$(PY) -m devtools.chaos $(if $(ONLY),--only "$(ONLY)",)

bench: emulators-check setup $(BQ_STAMP) dashboard ## Run every benchmark (bench/*.py) and write bench/results.json
	$(PY) -m bench.run $(ONLY)

clean: down ## Remove the virtualenvs, stack state and caches
	rm -rf $(VENV) .venv-* .stack dashboard/node_modules frontend/node_modules frontend/.next .mypy_cache .ruff_cache .pytest_cache
