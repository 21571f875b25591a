# Batchgate: the two commands are `make run` (the demo) and `make test` (everything CI checks).
# Both install what is missing first; every step is idempotent.

SWIFT        ?= swift
BUILD_FLAGS  ?=
BIN          := .build/debug/batchgate
DEMO_MODEL   := .cache/demo/demo-qwen2.gguf
FIXTURES     := .cache/fixtures/ggml-vocab-qwen2.gguf
DEBIAN_PKGS  := libopenblas-dev pkg-config python3 python3-venv python3-pip ca-certificates chromium

.PHONY: run test deps fixtures build demo-model format lint config-check clean

## run: build, prepare the demo model and configuration, and generate from it (the gateway issue makes this serve it)
run: deps fixtures build demo-model
	$(BIN) config check Config/demo.yaml
	$(BIN) model inspect $(DEMO_MODEL)
	$(BIN) generate $(DEMO_MODEL) --prompt "Batchgate is" --max-tokens 16

## test: lint, unit and integration tests, and the shipped configurations
test: deps fixtures build demo-model lint
	$(SWIFT) test $(BUILD_FLAGS) --skip LoadGeneratorTests
	@# The load generator's tests compare measured latencies with the stub's exact timing: run alone, so that the
	@# engine and ring tests do not take the cores they measure on.
	$(SWIFT) test $(BUILD_FLAGS) --filter LoadGeneratorTests
	$(BIN) config check Config/demo.yaml
	$(BIN) config check Config/batchgate.yaml

## deps: Debian packages the build and the tests need (installed only when missing)
deps:
	@scripts/install-deps.sh $(DEBIAN_PKGS)

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
