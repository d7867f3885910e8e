# Each target installs what it needs, so a fresh machine needs only Python 3.11, npm and make.
# ENGINE=cdktf (the default, Pipfile -> .venv) or ENGINE=cdktn (CDK Terrain,
# engines/cdktn/Pipfile -> .venv-cdktn) picks the engine of `make synth|demo|bench|test`;
# a plain `make test` runs the whole suite on cdktf and the engine-facing tests on cdktn.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_YES := 1
export PIPENV_NOSPIN := 1
export PIPENV_IGNORE_VIRTUALENVS := 1
export PIPENV_VERBOSITY := -1
export CHECKPOINT_DISABLE := 1
# The cdktf CLI runs `terraform version` and prints its warnings as [ERROR] lines; terraform warns
# when TF_CLI_CONFIG_FILE names a file that does not exist. Then the project's empty one is used.
ifneq ($(TF_CLI_CONFIG_FILE),)
ifeq ($(wildcard $(TF_CLI_CONFIG_FILE)),)
export TF_CLI_CONFIG_FILE := $(CURDIR)/terraform.tfrc
endif
endif

PYTHON ?= python3
ENGINE ?=
VENV_cdktf := .venv
VENV_cdktn := .venv-cdktn
ifeq ($(ENGINE),)
VENV := $(VENV_cdktf)
else ifneq ($(filter $(ENGINE),cdktf cdktn),)
VENV := $(VENV_$(ENGINE))
export SERVINGSTACK_CDK_ENGINE := $(ENGINE)
else
$(error ENGINE must be cdktf or cdktn, not '$(ENGINE)')
endif
VENV_PY := $(VENV)/bin/python
# The tests that build stacks or drive them end to end, run on CDK Terrain by a plain `make test`.
CDKTN_TESTS := tests/synth tests/unit tests/policy tests/e2e

.PHONY: help install synth cdktf-synth demo demo-plan demo-rollout lint test bench dist docs clean

help:
	@echo "make demo   synthesize the example, deploy it to the local emulator and check it"
	@echo "make demo-plan  plan a change on the local emulator: what changes, what it takes away, what will fail"
	@echo "make demo-rollout  two progressive rollouts on the emulator: one completes, one rolls back by itself"
	@echo "make test   lint, type-check, then run the test suite (on cdktf, and the engine-facing tests on cdktn)"
	@echo "make lint   ruff (lint, format), import-linter (the package's floors) and mypy"
	@echo "make synth  write cdktf.out/stacks/{dev,prod}/cdk.tf.json"
	@echo "make cdktf-synth  the same through the npm cdktf CLI (npx cdktf synth)"
	@echo "make bench  servingstack against the raw provider bindings, N = 1 to 1000 endpoints"
	@echo "make docs   the documentation site (mkdocs.yml, docs/) into site/, every link and anchor checked"
	@echo "make dist   an sdist and a wheel in dist/ (pip install 'dist/servingstack-<version>-py3-none-any.whl[cdktf]')"
	@echo "ENGINE=cdktn (CDK Terrain) or ENGINE=cdktf picks the engine of each of them"

pipenv:
	@$(PYTHON) -m pipenv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check pipenv

.venv/.installed: Pipfile.lock pyproject.toml
	@$(MAKE) --no-print-directory pipenv
	$(PYTHON) -m pipenv sync --dev
	touch $@

# pipenv installs into the virtualenv named by VIRTUAL_ENV when it may use one.
.venv-cdktn/.installed: engines/cdktn/Pipfile.lock pyproject.toml
	@$(MAKE) --no-print-directory pipenv
	$(PYTHON) -m venv .venv-cdktn
	VIRTUAL_ENV=$(CURDIR)/.venv-cdktn PIPENV_IGNORE_VIRTUALENVS=0 PIPENV_PIPFILE=engines/cdktn/Pipfile \
		$(PYTHON) -m pipenv sync --dev
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

synth: install
	$(VENV_PY) main.py
	@echo "synthesized: $$(ls -d cdktf.out/stacks/*/cdk.tf.json | tr '\n' ' ')"

# CDKTF_SYNTH_FLAGS, e.g. "--output /tmp/out", are passed on to `cdktf synth`.
cdktf-synth: install node_modules/.installed
	npx cdktf synth $(CDKTF_SYNTH_FLAGS)

demo: install
	$(VENV_PY) -m servingstack.demo

demo-plan: install
	$(VENV_PY) -m servingstack.demo_plan

demo-rollout: install
	$(VENV_PY) -m servingstack.demo_rollout

# Style, the floors of the package (pyproject.toml [tool.importlinter]) and the types, on the cdktf environment.
lint: .venv/.installed
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-logo
	.venv/bin/mypy

ifeq ($(ENGINE),)
test: lint .venv/.installed .venv-cdktn/.installed node_modules/.installed
	SERVINGSTACK_CDK_ENGINE=cdktf .venv/bin/python -m pytest
	SERVINGSTACK_CDK_ENGINE=cdktn .venv-cdktn/bin/python -m pytest $(CDKTN_TESTS)
else
test: lint install
	$(VENV_PY) -m pytest
endif

# The synth benchmark's table (docs/performance.md); the emulator and checker benchmarks
# run with `.venv/bin/python bench/emulator_bench.py` and `bench/check_bench.py`.
bench: install
	$(VENV_PY) bench/synth.py

# The sdist and the wheel (python -m build, in an isolated environment with setuptools from the index).
# DIST=<dir> writes them elsewhere.
DIST ?= dist
dist: .venv/.installed
	rm -rf $(DIST)
	.venv/bin/python -m build --outdir $(DIST) .
	@ls -1 $(DIST)

# The documentation site, offline and strict (a broken link or anchor fails it); `make test` builds it too.
docs: .venv/.installed
	.venv/bin/mkdocs build --strict --site-dir site

clean:
	rm -rf cdktf.out .venv .venv-cdktn node_modules dist build site
