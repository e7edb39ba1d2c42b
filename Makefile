# Linli — two commands: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test install install-test lint typecheck migrations-check pytest browser-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install -qq -r requirements.lock
	$(BIN)/pip install -qq --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-dev.lock
	$(BIN)/pip install -qq -r requirements-dev.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

install-test: install $(VENV)/.installed-test browser-deps

# Browser tests drive Debian's Chromium; Chinese fonts so screenshots and PDFs show text
# (WenQuanYi Micro Hei is TrueType, so ReportLab can embed it in the reports' PDFs).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ] || [ ! -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then \
		echo "Installing Debian chromium, fonts-noto-cjk, fonts-noto-color-emoji and fonts-wqy-microhei (embedded in PDFs)…"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji fonts-wqy-microhei >/dev/null; \
	fi

run: install
	$(BIN)/linli up

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy linli benchmarks

migrations-check: install-test
	LINLI_VAR_DIR=$$(mktemp -d) $(BIN)/linli makemigrations --check --dry-run

# The suite runs on SQLite; when DATABASE_URL is set (CI: PostgreSQL) it runs there too,
# and the browser tests run once, on that second database.
pytest: install-test
	@set -e; if [ -n "$$DATABASE_URL" ]; then \
		echo "== pytest on SQLite (browser tests run in the PostgreSQL pass) =="; \
		env -u DATABASE_URL $(BIN)/pytest -n 2 --dist worksteal -m "not browser" -q; \
		echo "== pytest on $${DATABASE_URL%%://*} =="; \
		$(BIN)/pytest -n 2 --dist worksteal -q; \
	else \
		echo "== pytest on SQLite =="; \
		$(BIN)/pytest -n 2 --dist worksteal -q; \
	fi

test: lint typecheck migrations-check pytest

bench: install-test
	$(BIN)/linli bench $(NAME)

clean:
	rm -rf $(VENV) node_modules var/static
