# Vigie: developer and CI entry points. GNU make; `make` alone lists the targets.
#
# Kafka and Redis are the project's own local services (services/local.py: Kafka 3.9.1 KRaft
# from Maven jars + Java, Debian's redis-server); no Docker needed. Set KAFKA_BOOTSTRAP_SERVERS
# and/or REDIS_URL to use servers of your own instead: they are then only checked, never started.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# services/local.py needs only the standard library to stop or inspect services, so `down`
# and `status` also work before `make install`.
SERVICES = $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PY)) services/local.py
SERVICE ?= all
LINT_PATHS := streams schemas agents sinks tests benchmarks services console

# CI=true (set by .ci/run) turns skipped service-dependent tests into failures: pass it on.
ifdef CI
export CI
endif

.PHONY: help install chromium warm-start services-up services-down services-status topics run test bench lint clean-run replay-picture

help: ## List the targets
	@echo "Usage: make <target> [PY=python3.11] [SERVICE=kafka|redis|all]"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(INSTALLED) ## Create .venv and install Vigie with its dev tools (re-runs when pyproject.toml changes)

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Vigie needs Python >= 3.11; $(PY) is $$($(PY) -V 2>&1). Use make PY=python3.11"; exit 1; }
	$(PY) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[dev]'
	@$(MAKE) --no-print-directory chromium
	@touch $@

# The console's browser test drives Debian's chromium through Playwright (never a downloaded
# browser); installed with apt-get when missing and running as root, like redis-server.
chromium: ## Install Debian's chromium for the console's browser test (apt-get, root only)
	@command -v chromium >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; \
	else \
		echo "chromium is missing (apt-get install -y chromium): the browser test skips, and fails under CI=true"; \
	fi

warm-start: install ## Build the email model's warm start once (cached in .run/cache, keyed by its inputs)
	$(BIN)/python -c "from agents.emails.model import make_email_triage_model; make_email_triage_model()"

services-up: install ## Start the local Kafka broker and Redis (idempotent; SERVICE=kafka|redis, or kafka-secure|redis-secure: SASL_SSL, TLS+ACL)
	$(SERVICES) up $(SERVICE)

services-down: ## Stop the local services this project started (SERVICE=kafka|redis|kafka-secure|redis-secure)
	$(SERVICES) down $(SERVICE)

services-status: ## Show the local services: state, pid, address
	$(SERVICES) status $(SERVICE)

topics: install services-up ## Create Vigie's Kafka topics
	$(BIN)/vigie topics create

run: install warm-start services-up topics ## Start the worker and the adviser console on simulated traffic; print alerts
	$(BIN)/vigie demo

test: install chromium warm-start services-up ## Lint, check the Avro schemas, then run the whole test suite
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/vigie schemas check
	$(BIN)/pytest

bench: install warm-start services-up ## Run the benchmarks
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/email_triage.py
	$(BIN)/python benchmarks/proposals.py

fuzz: install warm-start services-up ## Fuzz a worker: 10,000 bad messages per input topic mixed with valid ones
	$(BIN)/python benchmarks/fuzz.py $(FUZZ_ARGS)

soak: install warm-start services-up ## 1,000,000 simulated events through one worker at 400/s (about 45 min): RSS, lag, latency, snapshots, then a replay
	$(BIN)/python benchmarks/soak.py $(SOAK_ARGS)

REPORT_HTML ?= replay-report/replay-report.html
REPORT_PNG ?= docs/replay-report.png
replay-picture: ## Render a replay's HTML page to a PNG (REPORT_HTML=..., REPORT_PNG=...; needs chromium)
	@command -v chromium >/dev/null || { echo "needs chromium: apt-get install -y chromium"; exit 1; }
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
		--window-size=1150,$${REPORT_HEIGHT:-2300} --screenshot=$(abspath $(REPORT_PNG)) \
		file://$(abspath $(REPORT_HTML)) 2>/dev/null
	@echo "wrote $(REPORT_PNG)"

lint: install ## ruff check + ruff format --check
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

clean-run: services-down ## Stop the local services and delete their data (.run/)
	rm -rf .run
