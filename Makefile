# portsyncd in C. `make` builds the daemon; `make test` runs every suite; `make lint` checks the
# core's purity and the generated sources; `make bench` prints the benchmark figures.
CC ?= cc
WERROR ?= $(if $(CI),-Werror,)
OPT ?= -O2
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wvla -Wformat=2 -Wno-unused-parameter $(WERROR)
CFLAGS ?= $(OPT) -g
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Icore/include -Icore -Ilib
PKGS := libnl-3.0 hiredis libsystemd jansson inih
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lpcap
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

RAGEL_SRC := $(wildcard core/*.rl)
GEN_SRC := $(RAGEL_SRC:.rl=.gen.c)
CORE_SRC := $(filter-out $(GEN_SRC),$(wildcard core/*.c)) $(GEN_SRC)
SIM_SRC := sim/nl_build.c sim/redis_model.c sim/world.c
ADAPTER_SRC := $(wildcard adapters/*.c) lib/log.c lib/pcap.c
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

build/test_%: tests/unit/test_%.c tests/unit/unit.h $(CORE_SRC) $(SIM_SRC) $(wildcard core/*.h core/include/psd/*.h sim/*.h) | build
	$(CC) $(ALL_CFLAGS) -Isim -o $@ $< $(CORE_SRC) $(SIM_SRC) -lcmocka

build/asan/test_%: tests/unit/test_%.c tests/unit/unit.h $(CORE_SRC) $(SIM_SRC) $(wildcard core/*.h core/include/psd/*.h sim/*.h) | build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -Isim -o $@ $< $(CORE_SRC) $(SIM_SRC) -lcmocka

build/bench_core: bench/bench_core.c $(CORE_SRC) $(SIM_SRC) | build
	$(CC) $(ALL_CFLAGS) -O2 -Isim -o $@ $< $(CORE_SRC) $(SIM_SRC)

build/nl-record build/nl-inject build/notify-listen: build/%: tools/%.c | build
	$(CC) $(ALL_CFLAGS) -o $@ $<

unit: $(UNIT_BIN)
	tools/run-units.sh $(UNIT_BIN)

unit-asan: $(UNIT_ASAN_BIN)
	tools/run-units.sh $(UNIT_ASAN_BIN)

integration: build/portsyncd build/asan/portsyncd build/nl-inject build/notify-listen
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

bench: build/bench_core build/portsyncd build/nl-record build/fuzz/speed-netlink build/psd-sim
	bench/run.sh

demo: build/portsyncd
	tools/demo.sh

clean:
	rm -rf build

# Fuzzing: one harness per target (fuzz/fuzz_<target>.c), built three ways. The replay build
# runs the corpus and every past crash inside `make test`.
FUZZ_TARGETS := netlink roundtrip core settings dbconfig fixture
FUZZ_SRC := $(CORE_SRC) $(SIM_SRC) adapters/settings.c adapters/dbconfig.c lib/log.c \
	lib/pcap.c sim/fixture.c
# each target links only what it exercises: fewer instrumented edges, faster runs
FUZZ_SRC_netlink := $(CORE_SRC)
FUZZ_SRC_roundtrip := $(CORE_SRC) sim/nl_build.c
FUZZ_SRC_core := $(CORE_SRC) $(SIM_SRC)
FUZZ_SRC_settings := $(CORE_SRC) adapters/settings.c lib/log.c
FUZZ_SRC_dbconfig := $(CORE_SRC) adapters/dbconfig.c lib/log.c
FUZZ_SRC_fixture := $(CORE_SRC) $(SIM_SRC) sim/fixture.c lib/pcap.c lib/log.c
FUZZ_INC := -Isim -Ilib -Iadapters -Ifuzz $(shell pkg-config --cflags libsystemd)
FUZZ_LIBS := -linih -ljansson -lpcap
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
build/psd-sim: sim/sim_main.c sim/kernel.c sim/fixture.c lib/pcap.c lib/log.c $(CORE_SRC) $(SIM_SRC) $(wildcard core/*.h core/include/psd/*.h sim/*.h lib/*.h) build/commit | build
	$(CC) $(ALL_CFLAGS) -Isim -DPSD_COMMIT='"$(shell cat build/commit)"' -o $@ sim/sim_main.c sim/kernel.c sim/fixture.c lib/pcap.c lib/log.c $(CORE_SRC) $(SIM_SRC) -lpcap

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

# --- Installation and the Debian package ------------------------------------------------------
# make install [DESTDIR=...] [prefix=/usr]: the daemon, its units, the man page, the docs and a
# commented sample settings file. The units name $(bindir)/portsyncd.
prefix ?= /usr/local
bindir ?= $(prefix)/bin
mandir ?= $(prefix)/share/man
docdir ?= $(prefix)/share/doc/portsyncd
unitdir ?= $(if $(filter /usr,$(prefix)),/lib/systemd/system,$(prefix)/lib/systemd/system)
INSTALL ?= install
DOC_FILES := README.md docs/architecture.md docs/compatibility.md docs/configuration.md \
	docs/operations.md docs/fixtures.md docs/fuzzing.md

.PHONY: install uninstall man-lint deb deb-test

install: build/portsyncd
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man8 $(DESTDIR)$(unitdir) \
		$(DESTDIR)$(docdir)/examples
	$(INSTALL) -m 0755 build/portsyncd $(DESTDIR)$(bindir)/portsyncd
	$(INSTALL) -m 0644 man/portsyncd.8 $(DESTDIR)$(mandir)/man8/portsyncd.8
	for u in portsyncd.service portsyncd@.service; do \
		sed 's|/usr/bin/portsyncd|$(bindir)/portsyncd|' adapters/systemd/$$u > $(DESTDIR)$(unitdir)/$$u && \
		chmod 0644 $(DESTDIR)$(unitdir)/$$u || exit 1; done
	$(INSTALL) -m 0644 $(DOC_FILES) $(DESTDIR)$(docdir)/
	$(INSTALL) -m 0644 etc/portsyncd.conf $(DESTDIR)$(docdir)/examples/portsyncd.conf

uninstall:
	rm -f $(DESTDIR)$(bindir)/portsyncd $(DESTDIR)$(mandir)/man8/portsyncd.8 \
		$(DESTDIR)$(unitdir)/portsyncd.service $(DESTDIR)$(unitdir)/portsyncd@.service
	rm -rf $(DESTDIR)$(docdir)

# the man page is lint-clean and names every option, settings key, signal and variable
man-lint: build/portsyncd
	tools/check-man.sh build/portsyncd

# dpkg-buildpackage -us -uc -b on a copy of the tree: build/deb/portsyncd_*.deb, then lintian
deb:
	tools/build-deb.sh

# the package built, installed with dpkg -i, run (portsyncd -V, the demo), removed and purged
deb-test: deb
	tools/deb-test.sh

# --- Continuous fuzzing ---------------------------------------------------------------------------
# A coverage build of each target (libFuzzer with clang's source-based coverage): the corpus run
# through it with -runs=0 gives llvm-cov its profile.
build/fuzz/cov-%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_SRC) | build/fuzz
	clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer -fprofile-instr-generate \
		-fcoverage-mapping -Icore/include -Icore $(FUZZ_INC) -o $@ $< $(FUZZ_SRC_$*) $(FUZZ_LIBS)

.PHONY: fuzz-targets fuzz-build fuzz-continuous fuzz-round-ci
fuzz-targets:
	@echo $(FUZZ_TARGETS)

# every target under every engine: the replay driver, libFuzzer, AFL++ and the coverage build
fuzz-build: $(foreach t,$(FUZZ_TARGETS),build/fuzz/replay-$(t) build/fuzz/libfuzzer-$(t) \
	build/fuzz/afl-$(t) build/fuzz/cov-$(t))

# make fuzz-continuous [ROUNDS=0] [SECONDS=300]: rounds of every target under both engines,
# corpora merged into fuzz/corpus/, new crashes into fuzz/repro/, coverage per target
ROUNDS ?= 1
fuzz-continuous: fuzz-build
	tools/fuzz-continuous.sh --rounds $(ROUNDS) --seconds $(SECONDS)

# CI: one short round into copies of the corpora and crashes (the tree stays clean)
FUZZ_CI_SECONDS ?= 3
fuzz-round-ci: fuzz-build
	tools/fuzz-continuous.sh --rounds 1 --seconds $(FUZZ_CI_SECONDS) \
		--corpus build/fuzz/ci/corpus --repro build/fuzz/ci/repro --work build/fuzz/ci/work
