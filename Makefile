# portsyncd in C. `make` builds the daemon; `make test` runs every suite; `make lint` checks the
# core's purity and the generated sources; `make bench` prints the benchmark figures.
CC ?= cc
WERROR ?= $(if $(CI),-Werror,)
OPT ?= -O2
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wvla -Wformat=2 -Wno-unused-parameter $(WERROR)
CFLAGS ?= $(OPT) -g
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Icore/include -Icore -Ilib
PKGS := libnl-3.0 hiredis libsystemd jansson inih libmicrohttpd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

RAGEL_SRC := $(wildcard core/*.rl)
GEN_SRC := $(RAGEL_SRC:.rl=.gen.c)
CORE_SRC := $(filter-out $(GEN_SRC),$(wildcard core/*.c)) $(GEN_SRC)
LIB_SRC := $(wildcard lib/*.c)
SIM_SRC := $(LIB_SRC) sim/nl_build.c sim/redis_model.c sim/world.c
ADAPTER_SRC := $(wildcard adapters/*.c) $(LIB_SRC)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/%)
UNIT_ASAN_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/%)

.PHONY: all test unit unit-asan integration lint ragel check-generated bench fsm-docs clean demo fuzz fuzz-afl fuzz-replay chaos chaos-short stress stress-short fixtures FORCE

all: build/portsyncd build/asan/portsyncd

build build/asan:
	mkdir -p $@

# Generated sources are committed; `make ragel` regenerates them (ragel 6.10, -T0, no #line).
ragel: $(RAGEL_SRC)
	for f in $(RAGEL_SRC); do tools/ragel-gen.sh $$f $${f%.rl}.gen.c || exit 1; done

check-generated:
	tools/check-generated.sh $(RAGEL_SRC)

fsm-docs:
	for f in $(RAGEL_SRC); do tools/ragel-dot.sh $$f || exit 1; done

build/portsyncd: $(CORE_SRC) $(ADAPTER_SRC) $(wildcard core/*.h core/include/psd/*.h adapters/*.h lib/*.h) | build
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -o $@ $(CORE_SRC) $(ADAPTER_SRC) $(PKG_LIBS)

build/asan/portsyncd: $(CORE_SRC) $(ADAPTER_SRC) $(wildcard core/*.h core/include/psd/*.h adapters/*.h lib/*.h) | build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) $(PKG_CFLAGS) -o $@ $(CORE_SRC) $(ADAPTER_SRC) $(PKG_LIBS)

build/test_%: tests/unit/test_%.c tests/unit/unit.h $(CORE_SRC) $(SIM_SRC) $(wildcard core/*.h core/include/psd/*.h sim/*.h lib/*.h) | build
	$(CC) $(ALL_CFLAGS) -Isim -o $@ $< $(CORE_SRC) $(SIM_SRC) -lcmocka

build/asan/test_%: tests/unit/test_%.c tests/unit/unit.h $(CORE_SRC) $(SIM_SRC) $(wildcard core/*.h core/include/psd/*.h sim/*.h lib/*.h) | build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -Isim -o $@ $< $(CORE_SRC) $(SIM_SRC) -lcmocka

build/bench_core: bench/bench_core.c $(CORE_SRC) $(SIM_SRC) | build
	$(CC) $(ALL_CFLAGS) -O2 -Isim -o $@ $< $(CORE_SRC) $(SIM_SRC)

build/bench_metrics: bench/bench_metrics.c $(CORE_SRC) $(SIM_SRC) | build
	$(CC) $(ALL_CFLAGS) -O2 -Isim -o $@ $< $(CORE_SRC) $(SIM_SRC)

build/nl-record build/nl-inject build/notify-listen build/nl-backlog: build/%: tools/%.c | build
	$(CC) $(ALL_CFLAGS) -o $@ $<

unit: $(UNIT_BIN)
	tools/run-units.sh $(UNIT_BIN)

unit-asan: $(UNIT_ASAN_BIN)
	tools/run-units.sh $(UNIT_ASAN_BIN)

integration: build/portsyncd build/asan/portsyncd build/nl-inject build/notify-listen build/nl-backlog
	tests/integration/run.sh build/asan/portsyncd

test: lint unit unit-asan fuzz-replay fixtures chaos-short stress-short integration

# every field bug of fixtures/field, replayed in the simulator (docs/fixtures.md)
fixtures: build/psd-sim
	tests/fixtures/run.sh

# 100K-port simulator loads and the real daemon over 1,000 veths; `make stress` is the full size
stress-short: build/psd-sim build/portsyncd build/nl-inject build/notify-listen
	tests/stress/run.sh quick

stress: build/psd-sim build/portsyncd build/nl-inject build/notify-listen
	tests/stress/run.sh full

lint:
	tools/lint-core.sh
	tools/check-generated.sh $(RAGEL_SRC)

bench: build/bench_core build/bench_metrics build/portsyncd build/nl-record build/fuzz/speed-netlink build/psd-sim
	bench/run.sh

demo: build/portsyncd
	tools/demo.sh

clean:
	rm -rf build

# Fuzzing: one harness per target (fuzz/fuzz_<target>.c), built three ways. The replay build
# runs the corpus and every past crash inside `make test`.
FUZZ_TARGETS := netlink roundtrip core settings dbconfig fixture
FUZZ_SRC := $(CORE_SRC) $(SIM_SRC) adapters/settings.c adapters/dbconfig.c adapters/log.c \
	adapters/pcap.c sim/fixture.c
# each target links only what it exercises: fewer instrumented edges, faster runs
FUZZ_SRC_netlink := $(CORE_SRC)
FUZZ_SRC_roundtrip := $(CORE_SRC) sim/nl_build.c
FUZZ_SRC_core := $(CORE_SRC) $(SIM_SRC)
FUZZ_SRC_settings := $(CORE_SRC) adapters/settings.c adapters/log.c
FUZZ_SRC_dbconfig := $(CORE_SRC) adapters/dbconfig.c adapters/log.c
FUZZ_SRC_fixture := $(CORE_SRC) $(SIM_SRC) sim/fixture.c adapters/pcap.c adapters/log.c
FUZZ_INC := -Isim -Iadapters -Ifuzz -Ilib $(shell pkg-config --cflags libsystemd)
FUZZ_LIBS := -linih -ljansson
FUZZ_DICT_netlink := -dict=fuzz/netlink.dict
FUZZ_DICT_roundtrip := -dict=fuzz/netlink.dict
SECONDS ?= 60

build/fuzz:
	mkdir -p $@

build/fuzz/replay-%: fuzz/fuzz_%.c fuzz/replay_main.c fuzz/fuzz.h $(FUZZ_SRC) | build/fuzz
	$(CC) $(ALL_CFLAGS) $(SAN) $(FUZZ_INC) -o $@ $< fuzz/replay_main.c $(FUZZ_SRC_$*) $(FUZZ_LIBS)

build/fuzz/libfuzzer-%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_SRC) | build/fuzz
	clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Icore/include \
		-Icore $(FUZZ_INC) -o $@ $< $(FUZZ_SRC_$*) $(FUZZ_LIBS)

# throughput build for make bench: libFuzzer without sanitizers
build/fuzz/speed-%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_SRC) | build/fuzz
	clang -std=c17 -D_GNU_SOURCE -g -O2 -fsanitize=fuzzer -Icore/include -Icore $(FUZZ_INC) \
		-o $@ $< $(FUZZ_SRC_$*) $(FUZZ_LIBS)

build/fuzz/afl-%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_SRC) | build/fuzz
	AFL_USE_ASAN=1 AFL_USE_UBSAN=1 afl-clang-fast -std=c17 -D_GNU_SOURCE -g -O1 \
		-fsanitize=fuzzer -Icore/include -Icore $(FUZZ_INC) -o $@ $< $(FUZZ_SRC_$*) $(FUZZ_LIBS)

fuzz-replay: $(FUZZ_TARGETS:%=build/fuzz/replay-%)
	tools/fuzz-replay.sh $(FUZZ_TARGETS)

# make fuzz TARGET=netlink SECONDS=600: libFuzzer; new inputs land in build/fuzz/corpus-TARGET
fuzz: build/fuzz/libfuzzer-$(TARGET)
	mkdir -p build/fuzz/corpus-$(TARGET)
	build/fuzz/libfuzzer-$(TARGET) -max_total_time=$(SECONDS) -print_final_stats=1 \
		-artifact_prefix=build/fuzz/crash-$(TARGET)- $(FUZZ_DICT_$(TARGET)) \
		build/fuzz/corpus-$(TARGET) fuzz/corpus/$(TARGET)

# make fuzz-afl TARGET=netlink SECONDS=600: AFL++ with its libFuzzer driver
fuzz-afl: build/fuzz/afl-$(TARGET)
	AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
		afl-fuzz -V $(SECONDS) -i fuzz/corpus/$(TARGET) -o build/fuzz/afl-out-$(TARGET) \
		$(subst -dict=,-x ,$(FUZZ_DICT_$(TARGET))) -- build/fuzz/afl-$(TARGET)

# The simulator: build/psd-sim --seed S [--ports N] [--steps M] [--canary drop-loss]
build/psd-sim: sim/sim_main.c sim/kernel.c sim/fixture.c adapters/pcap.c adapters/log.c $(CORE_SRC) $(SIM_SRC) $(wildcard core/*.h core/include/psd/*.h sim/*.h lib/*.h) build/commit | build
	$(CC) $(ALL_CFLAGS) -Isim -DPSD_COMMIT='"$(shell cat build/commit)"' -Iadapters $(PKG_CFLAGS) -o $@ sim/sim_main.c sim/kernel.c sim/fixture.c adapters/pcap.c adapters/log.c $(CORE_SRC) $(SIM_SRC)

# The commit a failing simulation names; rewritten only when HEAD moves.
build/commit: FORCE | build
	@c=$$(git rev-parse HEAD 2>/dev/null || echo unknown); [ "$$(cat $@ 2>/dev/null)" = "$$c" ] || echo "$$c" > $@
FORCE:

SEEDS ?= 10000
chaos-short: build/psd-sim
	tests/chaos/run.sh 300 600

# make chaos SEEDS=10000: the long sweep
chaos: build/psd-sim
	tests/chaos/run.sh $(SEEDS) 2000
