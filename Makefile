# The two commands: `make demo` and `make test` (each installs what is missing and builds first).
BUILD ?= build
JOBS ?= 2
PY ?= /usr/bin/python3

.PHONY: deps build-deps build demo test bench format asan fuzz clean

deps:
	@bash scripts/install-deps.sh

build-deps:
	@bash scripts/install-deps.sh build

$(BUILD)/CMakeCache.txt: | build-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# The demo needs only the binary (and not the test oracles' Python packages).
demo: build-deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS) --target ascent
	$(BUILD)/ascent train

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 900

bench: build
	bash bench/run_bench.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASCENT_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

# Every fuzz harness for FUZZ_SECONDS (default 600), two at a time, in build-fuzz/ (clang++,
# libFuzzer, ASan + UBSan); findings and a summary in build-fuzz/campaign/ (docs/RELIABILITY.md).
FUZZ_SECONDS ?= 600
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) bash fuzz/run_fuzz.sh campaign build-fuzz

clean:
	rm -rf $(BUILD) build-asan build-fuzz
