# Each target creates .venv and installs what it needs, so a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-all bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[plot]'
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

demo: $(VENV)/.runtime
	$(BIN)/lawfit demo

# The report's tests open it in Debian's headless Chromium (driven by Playwright, which never fetches a browser).
$(VENV)/.chromium: | $(BIN)/python
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	touch $@

# Two workers: CI has 2 cores, and each worker's JAX takes ~2.5 GB. The compile caches live in
# $XDG_CACHE_HOME/lawfit-tests (~/.cache/lawfit-tests), or $LAWFIT_CACHE_DIR if set (conftest.py), so a second run is
# warm. Workers steal queued tests from each other (--dist worksteal), so a long test near the end of one worker's
# share does not leave the other idle. `make test` leaves out the tests marked slow (minutes of real work);
# `make test-all` runs them too.
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist worksteal

test: $(VENV)/.dev $(VENV)/.chromium
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(PYTEST) -m "not slow"

test-all: $(VENV)/.dev $(VENV)/.chromium
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(PYTEST)

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/bench_fit.py
	$(BIN)/python benchmarks/bench_bootstrap.py
	$(BIN)/python benchmarks/bench_curves.py
	$(BIN)/python benchmarks/bench_forecast.py
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_hparams.py
	$(BIN)/python benchmarks/bench_coverage.py
	$(BIN)/python benchmarks/bench_observational.py
	$(BIN)/python benchmarks/bench_cli.py

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py

clean:
	rm -rf $(VENV) .pytest_cache build src/*.egg-info
