# Thin wrapper over meson/ninja and the scripts; see docs/testing.md.
#   make run     build (debugoptimized) and run the demo on http://127.0.0.1:8080
#   make test    every suite, normal, ASan and TSan builds (scripts/test.sh); ends "N passed, N failed"
#   make bench   release build, pocketstate vs nginx with wrk (bench/run.sh), then the other
#                bench/*.sh scripts; all write bench/results.md
#   make fuzz    libFuzzer targets with clang, each run FUZZ_SECONDS (scripts/fuzz.sh);
#                FUZZ_TARGETS="json router" to run only some
#   make clean   remove the build directories (never ./data)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
DATA ?= ./data
LISTEN ?= 127.0.0.1:8080

.PHONY: all build run test bench fuzz clean

all: build

build:
	scripts/deps.sh run
	[ -f build/build.ninja ] || meson setup build
	ninja -C build

run: build
	./build/pocketstate demo --data $(DATA) --listen $(LISTEN)

test:
	scripts/deps.sh test
	scripts/test.sh

# bench/run.sh (pocketstate vs nginx), then every other bench/*.sh (tlog, PostgreSQL, ...):
# each adds its section to bench/results.md; one that fails is reported, the others still run.
bench:
	scripts/deps.sh bench
	@rc=0; for s in bench/run.sh $$(ls bench/*.sh | grep -v '^bench/run.sh$$'); do \
	  echo "== $$s"; $$s || { echo "bench: $$s failed"; rc=1; }; done; exit $$rc

fuzz:
	scripts/deps.sh test
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_TARGETS)

clean:
	rm -rf build build-asan build-tsan build-fuzz build-bench build-pgbench
