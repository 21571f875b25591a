# Batchgate: the two commands are `make run` (the demo) and `make test` (everything CI checks).
# Both install what is missing first; every step is idempotent.

SWIFT        ?= swift
BUILD_FLAGS  ?=
BIN          := .build/debug/batchgate
DEMO_MODEL   := .cache/demo/demo-qwen2.gguf
FIXTURES     := .cache/fixtures/ggml-vocab-qwen2.gguf
DEBIAN_PKGS  := libopenblas-dev pkg-config python3 python3-venv python3-pip ca-certificates curl chromium
VENV         := .venv
OPENAI       := openai==3.63.0
JINJA        := jinja2==3.1.6

.PHONY: run test deps fixtures venv build demo-model format lint config-check clean

## run: build, then serve the demo (a small model and a self-signed certificate made in .cache/demo on first run);
## it prints the URL, the API key and a curl line. Ctrl-C stops it.
run: deps fixtures build
	$(BIN) serve --demo --cache-dir .cache

## test: lint, unit and integration tests (the live ones use the openai package from .venv), shipped configurations
test: deps fixtures venv build demo-model lint
	BATCHGATE_PYTHON=$(CURDIR)/$(VENV)/bin/python $(SWIFT) test $(BUILD_FLAGS) --skip LoadGeneratorTests
	@# The load generator's tests compare measured latencies with the stub's exact timing: run alone, so that the
	@# engine and ring tests do not take the cores they measure on.
	$(SWIFT) test $(BUILD_FLAGS) --filter LoadGeneratorTests
	$(BIN) config check Config/demo.yaml
	$(BIN) config check Config/batchgate.yaml

## deps: Debian packages the build and the tests need (installed only when missing)
deps:
	@scripts/install-deps.sh $(DEBIAN_PKGS)

## venv: the Python environment of the live tests (the official openai client) and of the chat template tests
## (jinja2, the engine of the models' own templates); redone when this Makefile changes the pins
venv: $(VENV)/.installed
$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '$(OPENAI)' '$(JINJA)'
	touch $@

## fixtures: llama.cpp's vocab-only GGUF files and tokenizer cases, in .cache/fixtures
fixtures: $(FIXTURES)
$(FIXTURES):
	scripts/fetch-fixtures.sh

build:
	$(SWIFT) build $(BUILD_FLAGS) --product batchgate

## demo-model: the small random-weight model the demo configuration serves (real qwen2 vocabulary)
demo-model: $(DEMO_MODEL)
$(DEMO_MODEL): $(FIXTURES) | build
	@mkdir -p $(dir $@)
	$(BIN) model create $@ --arch qwen2 --vocab $(FIXTURES) --type q8_0 --seed 1

lint:
	$(SWIFT) format lint --strict --recursive --configuration .swift-format Package.swift Sources Tests

format:
	$(SWIFT) format --in-place --recursive --configuration .swift-format Package.swift Sources Tests

clean:
	rm -rf .build .cache/demo
