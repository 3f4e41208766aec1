# The two commands a newcomer runs: `make demo` and `make test`. Each installs missing Debian packages
# (scripts/setup.sh), configures and builds first.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

FUZZ_BUILD ?= build-fuzz
FUZZ_RUNS ?= 150000
CRASH_ROUNDS ?= 500

.PHONY: all setup build test test-asan test-tsan test-long demo bench clean

all: build

setup:
	@scripts/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

# CMAKE_FLAGS given to a configured tree configure it again, so that they are not silently ignored.
build: setup $(BUILD)/CMakeCache.txt
	$(if $(CMAKE_FLAGS),cmake -S . -B $(BUILD) $(CMAKE_FLAGS))
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer, each file compiled on its own.
test-asan: setup
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEVLITE_SANITIZE=ON -DEVLITE_UNITY_BUILD=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -E "installed evlite package"

# The same tests under ThreadSanitizer: appends, group commit, subscriptions and projection workers share
# the store across threads.
test-tsan: setup
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVLITE_TSAN=ON $(CMAKE_FLAGS)
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	ctest --test-dir $(TSAN_BUILD) --output-on-failure -j $(JOBS) -E "installed evlite package"

# Tests that take over a minute: the crash test with many more kills, and the libFuzzer target (built with
# clang, which setup does not install: without it the fuzzer is skipped with a note). The fuzzer writes
# what it finds into its corpus directory, so each run starts again from the checked-in corpus.
test-long: build
	EVLITE_CRASH_ROUNDS=$(CRASH_ROUNDS) $(BUILD)/tests/evlite_reliability_tests -tc="a writer killed*"
	@if command -v clang++ >/dev/null 2>&1; then \
	  cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DEVLITE_FUZZ=ON -DEVLITE_BUILD_TESTS=OFF -DEVLITE_SANITIZE=ON && \
	  cmake --build $(FUZZ_BUILD) -j $(JOBS) --target evlite_fuzz && \
	  rm -rf $(FUZZ_BUILD)/corpus && mkdir -p $(FUZZ_BUILD)/corpus && cp tests/fuzz/corpus/* $(FUZZ_BUILD)/corpus/ && \
	  $(FUZZ_BUILD)/tests/fuzz/evlite_fuzz -seed=1 -runs=$(FUZZ_RUNS) -max_len=4096 $(FUZZ_BUILD)/corpus; \
	else echo "test-long: clang++ not installed; the libFuzzer target is skipped"; fi

demo: build
	$(BUILD)/samples/shop --db shop.db

bench: build
	cmake --build $(BUILD) -j $(JOBS) --target evlite-bench
	$(BUILD)/bench/evlite-bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
