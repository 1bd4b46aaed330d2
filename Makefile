# inforates — the Makefile is the user interface. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Override for other builds, e.g. `make install TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128` (CUDA 12.8 wheels);
# TORCH_VERSION and TORCHCODEC_VERSION pick other releases (setup.cfg needs torch >= 2.11, torchcodec >= 0.13).
TORCH_VERSION ?= 2.13.0
TORCHCODEC_VERSION ?= 0.13.0
TORCH_INDEX_URL ?=
PIP_TORCH_INDEX := $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL),)

RECIPE ?= recipes/demo/videomae.yaml
ACCELERATE_CONFIG ?=
RUNS ?= outputs/demo/eval
COMPARE_OUT ?= outputs/compare
RECIPES ?=
STUDY ?=
OUT ?= outputs/study
PARALLEL ?= 1
ARGS ?=
PYTEST_ARGS ?=
export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: help install ffmpeg demo test test-slow quality style bench train eval compare study clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP)  ## create .venv with torch, torchcodec, FFmpeg libs and inforates[dev] (no-op when up to date)

$(STAMP): setup.cfg pyproject.toml Makefile
	@$(MAKE) --no-print-directory ffmpeg
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install -q $(PIP_TORCH_INDEX) torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install -q torchcodec==$(TORCHCODEC_VERSION)
	DS_BUILD_OPS=0 $(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)
	@echo "inforates installed in $(VENV) (torch $(TORCH_VERSION), torchcodec $(TORCHCODEC_VERSION))"

ffmpeg:  ## install FFmpeg's shared libraries from the OS packages when missing
	@if ldconfig -p 2>/dev/null | grep -q 'libavcodec\.so'; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "FFmpeg's shared libraries (libavcodec, libavformat, ...) are missing and this is not root."; \
	  echo "Install them, e.g. 'sudo apt-get install -y --no-install-recommends ffmpeg' (Debian/Ubuntu)"; \
	  echo "or 'conda install -c conda-forge \"ffmpeg<8\"', then run make again."; exit 1; \
	fi; \
	if ! command -v apt-get >/dev/null; then echo "No apt-get: install FFmpeg (4-7) with your OS package manager."; exit 1; fi; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null

demo: install  ## the main job: synth -> train 3 tiny models -> evaluate the grid -> compare -> report
	$(BIN)/inforates demo $(ARGS)

test: install  ## fast test suite (pytest -m "not slow", the package's >>> examples too; up to 4 processes)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m "not slow" -q -n auto --maxprocesses 4 --dist worksteal $(PYTEST_ARGS)

test-slow: install  ## the slow tests (multi-process launches, DeepSpeed, reduced demo)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m "slow" -q $(PYTEST_ARGS)

quality: install  ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

style: install  ## ruff autofix + format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install  ## benchmarks: print ratios measured side by side
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

train: install  ## make train RECIPE=recipes/... [ACCELERATE_CONFIG=accelerate_configs/ddp.yaml] [ARGS=...]
	$(if $(ACCELERATE_CONFIG),$(BIN)/accelerate launch --config_file $(ACCELERATE_CONFIG) -m inforates.train,$(BIN)/inforates train) --config $(RECIPE) $(ARGS)

eval: install  ## make eval RECIPE=recipes/... [ACCELERATE_CONFIG=...] [ARGS=...]
	$(if $(ACCELERATE_CONFIG),$(BIN)/accelerate launch --config_file $(ACCELERATE_CONFIG) -m inforates.evaluate,$(BIN)/inforates evaluate) --config $(RECIPE) $(ARGS)

compare: install  ## make compare RUNS="dir1 dir2" COMPARE_OUT=outputs/compare
	$(BIN)/inforates compare --runs $(RUNS) --out $(COMPARE_OUT) $(ARGS)

study: install  ## make study RECIPES="a.yaml b.yaml" (or STUDY=recipes/studies/ucf101.yaml) OUT=outputs/study [PARALLEL=2] [ARGS=...]
	$(BIN)/inforates study $(if $(STUDY),--study $(STUDY),--recipes $(RECIPES)) --out $(OUT) --parallel $(PARALLEL) $(ARGS)

clean:  ## remove caches (never outputs/ or .venv)
	rm -rf .pytest_cache .ruff_cache build *.egg-info
