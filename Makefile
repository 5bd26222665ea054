# The front door. `make` builds Release binaries into build/; `make run` and `make test`
# first install any missing Debian packages (tools/install-deps.sh).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
# Tests ctest runs at once (each integration test case is its own ctest test).
TEST_JOBS  ?= $(shell nproc)
CTEST_RUN   = ctest -j $(TEST_JOBS) --output-on-failure --timeout 1500
CONF       ?= conf/pykv.conf
FUZZ_SECONDS ?= 180

.PHONY: all build deps run test unit asan fuzz bench bench-http bench-cli bench-replication format clean

all: build

deps:
	@tools/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: deps build
	$(BUILD)/pykv-server $(CONF)

test: deps build
	cd $(BUILD) && $(CTEST_RUN)

unit: build
	cd $(BUILD) && $(CTEST_RUN) -R unit_

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPYKV_SANITIZE=ON

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 PYKV_TEST_SANITIZED=1 \
	  $(CTEST_RUN)

$(FUZZ_BUILD)/build.ninja:
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DPYKV_FUZZ=ON -DPYKV_TESTS=OFF

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	mkdir -p $(FUZZ_BUILD)/corpus-resp $(FUZZ_BUILD)/corpus-reply $(FUZZ_BUILD)/corpus-http
	$(FUZZ_BUILD)/fuzz_resp_parser -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus-resp tests/fuzz/corpus/resp
	$(FUZZ_BUILD)/fuzz_reply_parser -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus-reply tests/fuzz/corpus/reply
	$(FUZZ_BUILD)/fuzz_http_request -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus-http tests/fuzz/corpus/http

bench: deps build
	tools/bench-vs-redis.sh

# The HTTP API against nginx (the one-core ceiling) and FastAPI + uvicorn (the original
# design's stack): tools/bench-http.sh --help lists its knobs (QUICK=1 for a smoke run).
bench-http: deps build
	tools/bench-http.sh

# pykv-cli bench against redis-benchmark (Redis) and wrk (the /kv API): it must never be
# the bottleneck. tools/bench-cli.sh --help lists its knobs (QUICK=1 for a smoke run).
bench-cli: deps build
	tools/bench-cli.sh

# A replica's cost to its primary, replica lag and full-sync time, PyKV vs Redis in one run.
# tools/bench-replication.sh --help lists its knobs (QUICK=1 for a smoke run).
bench-replication: deps build
	tools/bench-replication.sh

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
