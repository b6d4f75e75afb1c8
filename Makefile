# Commands for a fresh machine (see README):
#   make app     install the core (no extras), then start the workbench on the shipped toy2 dataset
#   make extras  add the scale, detectors and stream extras (Dask, ONNX, isotree, PyOD, river)
#   make test    install everything (Debian g++ and chromium included), then run every test
# Everything installs into .venv/ (uv, from uv.lock) and .tools/ (uv itself).

PYTHON ?= python3
UV_VERSION ?= 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=

export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: app test install extras install-test build-deps system-deps lint format bench lock clean

app: install
	$(VENV)/bin/aad app toy2

test: install-test system-deps
	$(VENV)/bin/ruff check aad app tests benchmarks
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

install: $(UV)
	$(UV) sync --frozen --inexact -p $(PYTHON)

# The optional extras, added to what is installed (--inexact keeps the test extra if it is there).
extras: $(UV) build-deps
	$(UV) sync --frozen --inexact --extra scale --extra detectors --extra stream -p $(PYTHON)

install-test: $(UV) build-deps
	$(UV) sync --frozen --extra test --extra scale --extra detectors --extra stream -p $(PYTHON)

# isotree (the detectors extra) ships a source distribution only: building it needs a C++ compiler.
build-deps:
	@command -v g++ >/dev/null 2>&1 || { \
	  echo "installing Debian g++ to build isotree"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq -o DPkg::Lock::Timeout=300 g++ >/dev/null; }

# Browser tests drive Debian's chromium with Playwright (never `playwright install`).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium >/dev/null; }

lint: install-test
	$(VENV)/bin/ruff check aad app tests benchmarks
	$(VENV)/bin/ruff format --check aad app tests benchmarks

format: install-test
	$(VENV)/bin/ruff format aad app tests benchmarks
	$(VENV)/bin/ruff check --fix aad app tests benchmarks

bench: $(UV) build-deps
	$(UV) sync --frozen --extra test --extra scale --extra detectors --extra stream --extra bench -p $(PYTHON)
	$(VENV)/bin/python benchmarks/run_all.py

lock: $(UV)
	$(UV) lock -p $(PYTHON)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q "uv==$(UV_VERSION)"

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache .hypothesis
