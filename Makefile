# mlopt: `make demo` and `make test` work on a fresh machine (they install what
# is missing first). The build lives in build/; the CLI is build/bin/mlopt.

PYTHON ?= python3
BUILD  ?= build
LLVM_BIN := /usr/lib/llvm-19/bin
GENERATOR := $(if $(shell command -v ninja),Ninja,Unix Makefiles)

.PHONY: all deps build test test-unit test-lit test-python demo docs bench gpu-bundle clean

all: build

deps:
	@PYTHON=$(PYTHON) scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	@mkdir -p $(BUILD) && cmake -S . -B $(BUILD) -G "$(GENERATOR)" -Wno-dev \
	  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
	  -DPython_EXECUTABLE=$$(command -v $(PYTHON)) > $(BUILD)/configure.log 2>&1 \
	  || { cat $(BUILD)/configure.log; rm -f $(BUILD)/CMakeCache.txt; exit 1; }

build: deps $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -- $(if $(filter Ninja,$(GENERATOR)),--quiet,-s)
	@$(PYTHON) scripts/install-pth.py $(abspath $(BUILD))/python

test-unit: build
	@$(BUILD)/bin/mlopt-unittests --gtest_brief=1

test-lit: build
	@$(PYTHON) -c "import sys, lit.main; sys.argv[0] = 'lit'; lit.main.main()" -sv $(BUILD)/test

test-python: build
	@MLOPT_BUILD_DIR=$(abspath $(BUILD)) MLOPT_CACHE_DIR=$(abspath $(BUILD))/test/cache \
	  $(PYTHON) -m pytest -q test/python

# Every suite; pytest goes last so its summary line closes the run.
test: build
	@echo "== GoogleTest"; $(MAKE) --no-print-directory test-unit
	@echo "== lit";        $(MAKE) --no-print-directory test-lit
	@echo "== pytest";     $(MAKE) --no-print-directory test-python

# The CPU benchmarks (docs/performance.md); PyTorch columns when torch imports.
bench: build
	@$(PYTHON) bench/run.py

# The headline example: a model-like function through the mlopt-simplify
# pipeline, then compiled for this CPU and run on random inputs.
demo: build
	@echo "== examples/mlp.mlir, as written:"; cat examples/mlp.mlir
	@echo; echo "== after: $(BUILD)/bin/mlopt examples/mlp.mlir --mlopt-simplify"
	@$(BUILD)/bin/mlopt examples/mlp.mlir --mlopt-simplify
	@echo "== compiled and run: $(BUILD)/bin/mlopt-run examples/mlp.mlir (batch 64, random inputs)"
	@$(BUILD)/bin/mlopt-run examples/mlp.mlir --input=random:64x256 --input=random:256x512 \
	  --input=random:512 --input=random:512x10 --input=random:10 --iterations=100

# The GPU check's bundle (docs/gpu.md): libmlopt.so, libMLIR/libLLVM and the
# libraries they need, the unit tests, in .gpu/mlopt-gpu.tar.xz; on the GPU
# machine, tools/gpu-check/gpu-check builds mlopt._C against it and runs the
# CUDA tests and bench/gpu.py.
gpu-bundle: build
	@cmake --build $(BUILD) --target mlopt-shared -- $(if $(filter Ninja,$(GENERATOR)),--quiet,-s)
	@tools/gpu-check/bundle.sh $(BUILD)

# Refreshes the op reference from the ODS definitions.
docs: build
	@cp $(BUILD)/docs/Dialects/MloptOps.md docs/ops.md && echo "docs/ops.md updated"

clean:
	rm -rf $(BUILD)
