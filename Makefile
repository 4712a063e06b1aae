# Two commands: `make run` (set up, then start the app) and `make test` (set up, then run every test).
# Both are idempotent: the venv is built once and re-installed only when a requirements file changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
REPLICAS ?= 2

CHROMIUM := /usr/bin/chromium
HAPROXY := /usr/sbin/haproxy
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run serve test quick durations lint format bench warm pins clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# A stamp per requirements file: pip runs only when that file is newer than its last install.
$(VENV)/.stamp-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.stamp-run
	$(BIN)/streamlit run app.py --server.port $(PORT)

# A workshop: REPLICAS app processes behind HAProxy on PORT, a visitor kept on one replica by a
# cookie (deploy/serve.py; Ctrl-C stops them all). See "Serve a workshop" in the README.
serve: $(VENV)/.stamp-run $(HAPROXY)
	$(BIN)/python deploy/serve.py --replicas $(REPLICAS) --port $(PORT)

# Train the shared default model once and keep it and its averaged shift curve on disk
# (~/.cache/cnnviz), so the first visitor of the Inside page waits about a second instead of
# ~15 s (training) or ~1 s more (the curve). Handy before a talk.
warm: $(VENV)/.stamp-run
	$(BIN)/python -c "from cnnviz.lessons.inside import warm; print(warm())"

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.stamp-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The real-browser tests drive Debian's Chromium (Playwright's own browser download does not
# work offline); install it once if it is missing.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core

# The load balancer of `make serve` (and of tests/test_serve.py): Debian's HAProxy.
$(HAPROXY):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq haproxy

# A file's tests run in one worker (they share its server or model); the files go out longest
# first, in the order tests/conftest.py gives them (not xdist's own, by number of tests).
PYTEST := $(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder

test: $(VENV)/.stamp-dev $(CHROMIUM) $(HAPROXY) lint
	$(PYTEST)

# The tests that take under ~3 s each: no browser, no training worker, no default model.
quick: $(VENV)/.stamp-dev
	$(PYTEST) -m "not slow"

# Every test, then each file's seconds into tests/durations.json (the order of `make test`).
durations: $(VENV)/.stamp-dev $(CHROMIUM) $(HAPROXY)
	$(PYTEST) --junitxml=artifacts/junit.xml
	$(BIN)/python tests/durations.py artifacts/junit.xml

# requirements.txt and requirements-dev.txt hold exact versions (what Community Cloud and CI
# install), resolved from the *.in files for Linux, macOS and Windows, Python 3.11 and up.
# This refreshes them to the newest releases the *.in files allow, then runs every test.
PIN := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --upgrade \
	--custom-compile-command "make pins"
pins: $(VENV)/.stamp-dev
	$(PIN) requirements.in -o requirements.txt
	$(PIN) requirements-dev.in --constraint requirements.txt -o requirements-dev.txt
	$(MAKE) test

bench: $(VENV)/.stamp-dev
	$(BIN)/python bench/bench_conv2d.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
