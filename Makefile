# Each target installs what it needs, so a fresh machine needs only Python 3.11, Node and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_YES := 1
export PIPENV_NOSPIN := 1
export PIPENV_IGNORE_VIRTUALENVS := 1
export PIPENV_VERBOSITY := -1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
# The cdktf CLI runs `terraform version` and prints its warnings as [ERROR] lines; terraform warns
# when TF_CLI_CONFIG_FILE names a file that does not exist. Then the project's empty one is used.
ifneq ($(TF_CLI_CONFIG_FILE),)
ifeq ($(wildcard $(TF_CLI_CONFIG_FILE)),)
export TF_CLI_CONFIG_FILE := $(CURDIR)/terraform.tfrc
endif
endif

PYTHON ?= python3
VENV_PY := .venv/bin/python

.PHONY: help install synth cdktf-synth demo test bench clean

help:
	@echo "make demo   synthesize the example, deploy it to the local emulator and check it"
	@echo "make test   run the test suite"
	@echo "make synth  write cdktf.out/stacks/{dev,prod}/cdk.tf.json"
	@echo "make cdktf-synth  the same through the npm cdktf CLI (npx cdktf synth)"
	@echo "make bench  servingstack against the raw provider bindings, N = 1 to 1000 endpoints"

.venv/.installed: Pipfile.lock pyproject.toml
	$(PYTHON) -m pipenv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check pipenv
	$(PYTHON) -m pipenv sync --dev
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: .venv/.installed

synth: install
	$(VENV_PY) main.py
	@echo "synthesized: $$(ls -d cdktf.out/stacks/*/cdk.tf.json | tr '\n' ' ')"

# CDKTF_SYNTH_FLAGS, e.g. "--output /tmp/out", are passed on to `cdktf synth`.
cdktf-synth: install node_modules/.installed
	npx cdktf synth $(CDKTF_SYNTH_FLAGS)

demo: install
	$(VENV_PY) -m servingstack.demo

test: install node_modules/.installed
	$(VENV_PY) -m pytest

# The synth benchmark's table (README, "Performance"); the emulator and checker benchmarks
# run with `.venv/bin/python bench/emulator_bench.py` and `bench/check_bench.py`.
bench: install
	$(VENV_PY) bench/synth.py

clean:
	rm -rf cdktf.out .venv node_modules
