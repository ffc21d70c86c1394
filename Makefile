# portsyncd in C. `make` builds the daemon; `make test` runs every suite; `make lint` checks the
# core's purity and the generated sources; `make bench` prints the benchmark figures.
#
# Every binary links object files; each object is compiled once per build flavour with -MMD -MP,
# so touching a header rebuilds exactly the objects that include it. Each flavour keeps a stamp of
# its flags (build/<flavour>/flags): a change of compiler or flags rebuilds that flavour.
#   build/obj/        the shipped flavour: hardened, what build/portsyncd, psd-sim, the plain unit
#                     tests, the bench and the tools link
#   build/asan/obj/   ASan+UBSan: build/asan/portsyncd, the ASan unit tests, the fuzz replay
#   build/fuzz/obj-libfuzzer/, build/fuzz/obj-speed/   clang libFuzzer, with and without sanitizers
#   build/fuzz/obj-afl/   AFL++ (afl-clang-fast) with ASan+UBSan
CC ?= cc
CLANG ?= clang
OPT ?= -O2
CFLAGS ?= $(OPT) -g
LDFLAGS ?=
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wvla -Wformat=2 -Wno-unused-parameter -Werror
# The shipped flavour: fortified libc calls (glibc 2.36 with gcc 12 takes level 3 as it is:
# __builtin_dynamic_object_size), stack canaries, position-independent, full RELRO.
HARDEN := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
STD := -std=c17 -D_GNU_SOURCE
PKGS := libnl-3.0 hiredis jansson inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
# The core sees only its own headers; everything else also sees lib/, sim/, adapters/ and fuzz/.
CORE_INC := -Icore/include -Icore
OTHER_INC := $(CORE_INC) -Ilib -Isim -Iadapters -Ifuzz $(PKG_CFLAGS)

# Sources: adding or moving a file is a one-line change here.
RAGEL_SRC := $(wildcard core/*.rl)
GEN_SRC := $(RAGEL_SRC:.rl=.gen.c)
CORE_SRC := $(filter-out $(GEN_SRC),$(wildcard core/*.c)) $(GEN_SRC)
DRIVER_SRC := lib/driver.c
PCAP_SRC := lib/pcap.c lib/pcap_read.c
LOG_SRC := lib/log.c lib/log_sink.c
LIB_SRC := $(LOG_SRC) $(PCAP_SRC)
# The metrics listener's decisions: pure, like the core (make lint), with the core's text builder
HTTP_SRC := lib/http_request.c lib/http_response.c lib/http_listener.c lib/http_metrics.c
HTTP_PURE_OBJ = $(call obj,$(REL),$(HTTP_SRC) core/text.c)
SIM_SRC := $(DRIVER_SRC) sim/nl_build.c sim/redis_model.c sim/redis_store.c sim/world.c sim/world_watch.c sim/alert_watch.c
# psd-sim: the command line, the assembly, the PRNG, the workload, the faults, the oracle and its
# checkers, the scenarios (sim/sim.h lists them by job)
SIM_MAIN_SRC := sim/sim_main.c sim/assembly.c sim/prng.c sim/workload.c sim/fault_schedule.c \
	sim/fault_inject.c sim/oracle.c sim/violation.c sim/report.c sim/check_writes.c \
	sim/check_warm.c sim/check_step.c sim/check_liveness.c sim/check_replies.c sim/heal.c \
	sim/scenario_swarm.c sim/scenario_warm_bench.c sim/scenario_alerts.c sim/scenario_soak.c \
	sim/kernel.c sim/fixture.c adapters/alert_rules.c $(LIB_SRC)
REDIS_CONN_SRC := lib/redis_conn.c
# the daemon's event loop and systemd's notifications: no libsystemd
LOOP_SRC := lib/loop.c lib/notify.c
ADAPTER_SRC := $(wildcard adapters/*.c) $(DRIVER_SRC) $(LIB_SRC) $(REDIS_CONN_SRC) $(HTTP_SRC) \
	$(LOOP_SRC)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
BENCH_SRC := bench/bench_core.c
TOOLS := nl-record nl-inject notify-listen nl-backlog
FUZZ_TARGETS := netlink roundtrip core settings dbconfig fixture alert_rules capture redis http
# each target links only what it exercises: fewer instrumented edges, faster runs
FUZZ_SRC_netlink := $(CORE_SRC)
FUZZ_SRC_roundtrip := $(CORE_SRC) sim/nl_build.c
FUZZ_SRC_core := $(CORE_SRC) $(SIM_SRC)
FUZZ_SRC_settings := $(CORE_SRC) adapters/settings.c $(LOG_SRC)
FUZZ_SRC_dbconfig := $(CORE_SRC) adapters/dbconfig.c $(LOG_SRC)
FUZZ_SRC_alert_rules := $(CORE_SRC) adapters/alert_rules.c $(LOG_SRC)
FUZZ_SRC_fixture := $(CORE_SRC) $(SIM_SRC) sim/fixture.c $(PCAP_SRC) $(LOG_SRC)
FUZZ_SRC_capture := $(CORE_SRC) $(PCAP_SRC) $(LOG_SRC)
FUZZ_SRC_redis := $(CORE_SRC) $(DRIVER_SRC) $(REDIS_CONN_SRC) sim/redis_model.c sim/redis_store.c \
	sim/nl_build.c
FUZZ_SRC_http := $(HTTP_SRC) core/text.c
FUZZ_LIBS := -linih -ljansson -lhiredis

# The commands of each flavour, and where its objects go.
REL_CC := $(CC) $(STD) $(WARN) $(CFLAGS) $(HARDEN)
ASAN_CC := $(CC) $(STD) $(WARN) $(CFLAGS) $(SAN)
LIBFUZZER_CC := $(CLANG) $(STD) $(WARN) -g -O1 -fsanitize=fuzzer-no-link,address,undefined
SPEED_CC := $(CLANG) $(STD) $(WARN) -g -O2 -fsanitize=fuzzer-no-link
AFL_CC := AFL_QUIET=1 AFL_USE_ASAN=1 AFL_USE_UBSAN=1 afl-clang-fast $(STD) $(WARN) -g -O1
REL := build/obj
ASAN := build/asan/obj
LIBFUZZER := build/fuzz/obj-libfuzzer
SPEED := build/fuzz/obj-speed
AFL := build/fuzz/obj-afl
obj = $(patsubst %.c,$(1)/%.o,$(2))
inc = $(if $(filter core/%,$(1)),$(CORE_INC),$(OTHER_INC))

# A flavour's stamp is rewritten, at parse time, only when its command changes; the commit a
# failing simulation names likewise only when HEAD moves. Neither has a recipe, so `make -n`
# lists only what is really out of date.
stamp = $(shell mkdir -p $(dir $(1)) && { [ "$$(cat $(1) 2>/dev/null)" = '$(2)' ] || \
	printf '%s\n' '$(2)' > $(1); })
$(call stamp,$(REL)/flags,$(REL_CC) $(HARDEN_LD) $(LDFLAGS) $(OTHER_INC))
$(call stamp,$(ASAN)/flags,$(ASAN_CC) $(LDFLAGS) $(OTHER_INC))
$(call stamp,$(LIBFUZZER)/flags,$(LIBFUZZER_CC) $(OTHER_INC))
$(call stamp,$(SPEED)/flags,$(SPEED_CC) $(OTHER_INC))
$(call stamp,$(AFL)/flags,$(AFL_CC) $(OTHER_INC))
$(call stamp,build/commit,$(shell git rev-parse HEAD 2>/dev/null || echo unknown))

UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/%)
UNIT_ASAN_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/%)
TOOL_BIN := $(TOOLS:%=build/%)
FUZZ_REPLAY_BIN := $(FUZZ_TARGETS:%=build/fuzz/replay-%)
FUZZ_LIBFUZZER_BIN := $(FUZZ_TARGETS:%=build/fuzz/libfuzzer-%)
FUZZ_SPEED_BIN := $(FUZZ_TARGETS:%=build/fuzz/speed-%)
FUZZ_AFL_BIN := $(FUZZ_TARGETS:%=build/fuzz/afl-%)
# everything `make test` compiles: every binary
BINS := build/portsyncd build/asan/portsyncd build/psd-sim build/asan/psd-sim build/bench_core \
	build/bench_metrics build/flap-accuracy build/floor \
	$(TOOL_BIN) build/ks-latency \
	$(UNIT_BIN) $(UNIT_ASAN_BIN) $(FUZZ_REPLAY_BIN) $(FUZZ_LIBFUZZER_BIN) $(FUZZ_SPEED_BIN) \
	$(FUZZ_AFL_BIN)
CORE_OBJ := $(call obj,$(REL),$(CORE_SRC))

.PHONY: all bins test unit unit-asan integration lint lint-test deps-test harden-test libs-test \
	ragel check-generated bench bench-figures soak sim-soak fsm-docs clean demo fuzz fuzz-afl \
	fuzz-replay chaos chaos-short stress stress-short fixtures
.SECONDEXPANSION:
# objects are never intermediate files to delete
.SECONDARY:

all: build/portsyncd build/asan/portsyncd

bins: $(BINS)

# --- objects ---------------------------------------------------------------------------------

$(REL)/%.o: %.c $(REL)/flags
	@mkdir -p $(@D)
	$(REL_CC) -MMD -MP $(call inc,$<) -c -o $@ $<

$(ASAN)/%.o: %.c $(ASAN)/flags
	@mkdir -p $(@D)
	$(ASAN_CC) -MMD -MP $(call inc,$<) -c -o $@ $<

$(LIBFUZZER)/%.o: %.c $(LIBFUZZER)/flags
	@mkdir -p $(@D)
	$(LIBFUZZER_CC) -MMD -MP $(call inc,$<) -c -o $@ $<

$(SPEED)/%.o: %.c $(SPEED)/flags
	@mkdir -p $(@D)
	$(SPEED_CC) -MMD -MP $(call inc,$<) -c -o $@ $<

$(AFL)/%.o: %.c $(AFL)/flags
	@mkdir -p $(@D)
	$(AFL_CC) -MMD -MP $(call inc,$<) -c -o $@ $<

# psd-sim names the commit it was built from in every reproducer.
$(REL)/sim/sim_main.o: build/commit
$(REL)/sim/sim_main.o: REL_CC += -DPSD_COMMIT='"$(shell cat build/commit)"'

# (not build/deb: the package is built from a copy of the tree there)
-include $(shell find build -path build/deb -prune -o -name '*.d' -print 2>/dev/null)

# --- binaries --------------------------------------------------------------------------------

build/portsyncd: $(call obj,$(REL),$(CORE_SRC) $(ADAPTER_SRC))
	$(REL_CC) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/portsyncd: $(call obj,$(ASAN),$(CORE_SRC) $(ADAPTER_SRC))
	$(ASAN_CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# A unit test of an adapter or of lib/ links it too: UNIT_SRC_<test> and UNIT_LIBS_<test>.
UNIT_SRC_alert_rules := adapters/alert_rules.c $(LOG_SRC)
UNIT_LIBS_alert_rules := -linih
UNIT_SRC_pcap := $(PCAP_SRC) $(LOG_SRC)
UNIT_SRC_log := $(LOG_SRC)
UNIT_SRC_redis_conn := $(REDIS_CONN_SRC)
UNIT_LIBS_redis_conn := -lhiredis
UNIT_SRC_loop := $(LOOP_SRC)

build/test_%: $(REL)/tests/unit/test_%.o $(call obj,$(REL),$(CORE_SRC) $(SIM_SRC)) \
		$$(call obj,$(REL),$$(UNIT_SRC_$$*))
	$(REL_CC) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ -lcmocka $(UNIT_LIBS_$*)

build/asan/test_%: $(ASAN)/tests/unit/test_%.o $(call obj,$(ASAN),$(CORE_SRC) $(SIM_SRC)) \
		$$(call obj,$(ASAN),$$(UNIT_SRC_$$*))
	$(ASAN_CC) $(LDFLAGS) -o $@ $^ -lcmocka $(UNIT_LIBS_$*)

# the listener's tests link the listener, not the core (the shorter stem wins over test_%)
build/test_http_%: $(REL)/tests/unit/test_http_%.o $(HTTP_PURE_OBJ)
	$(REL_CC) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ -lcmocka

build/asan/test_http_%: $(ASAN)/tests/unit/test_http_%.o $(call obj,$(ASAN),$(HTTP_SRC) core/text.c)
	$(ASAN_CC) $(LDFLAGS) -o $@ $^ -lcmocka

build/bench_core: $(call obj,$(REL),$(BENCH_SRC) $(CORE_SRC) $(SIM_SRC))
	$(REL_CC) $(HARDEN_LD) $(LDFLAGS) -o $@ $^

$(TOOL_BIN): build/%: $(REL)/tools/%.o
	$(REL_CC) $(HARDEN_LD) $(LDFLAGS) -o $@ $^

# the latency benchmark's client: keyspace notifications through hiredis
build/ks-latency: $(REL)/tools/ks-latency.o
	$(REL_CC) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# the bench's floor: the least a daemon does per link message (libc only)
build/floor: $(REL)/bench/floor.o
	$(REL_CC) $(HARDEN_LD) $(LDFLAGS) -o $@ $^

# The simulator: build/psd-sim --seed S [--ports N] [--steps M] [--canary drop-loss|early-fire]
# [--alerts]
build/psd-sim: $(call obj,$(REL),$(SIM_MAIN_SRC) $(CORE_SRC) $(SIM_SRC))
	$(REL_CC) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ -linih

# the simulator under ASan+UBSan: its model's memory is checked as the core's is
build/asan/psd-sim: $(call obj,$(ASAN),$(SIM_MAIN_SRC) $(CORE_SRC) $(SIM_SRC))
	$(ASAN_CC) $(LDFLAGS) -o $@ $^ -linih

# Fuzzing: one harness per target (fuzz/fuzz_<target>.c), built three ways. The replay build
# runs the corpus and every past crash inside `make test`; `make test` compiles the libFuzzer
# and AFL++ builds too, so a harness that no longer builds fails CI.
build/fuzz/replay-%: $$(call obj,$(ASAN),fuzz/fuzz_$$*.c fuzz/replay_main.c $$(FUZZ_SRC_$$*))
	$(ASAN_CC) $(LDFLAGS) -o $@ $^ $(FUZZ_LIBS)

build/fuzz/libfuzzer-%: $$(call obj,$(LIBFUZZER),fuzz/fuzz_$$*.c $$(FUZZ_SRC_$$*))
	$(LIBFUZZER_CC) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

# throughput build for make bench: libFuzzer without sanitizers
build/fuzz/speed-%: $$(call obj,$(SPEED),fuzz/fuzz_$$*.c $$(FUZZ_SRC_$$*))
	$(SPEED_CC) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

# AFL++ with its libFuzzer driver (-fsanitize=fuzzer at the link)
build/fuzz/afl-%: $$(call obj,$(AFL),fuzz/fuzz_$$*.c $$(FUZZ_SRC_$$*))
	$(AFL_CC) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

# --- generated sources -----------------------------------------------------------------------

# Generated sources are committed; `make ragel` regenerates them (ragel 6.10, -T0, no #line).
ragel: $(RAGEL_SRC)
	for f in $(RAGEL_SRC); do tools/ragel-gen.sh $$f $${f%.rl}.gen.c || exit 1; done

check-generated:
	tools/check-generated.sh $(RAGEL_SRC)

fsm-docs:
	for f in $(RAGEL_SRC); do tools/ragel-dot.sh $$f || exit 1; done

# --- checks and suites -----------------------------------------------------------------------

# The directories held to the size limits (tools/lint-size.sh: files of 900 lines, functions of
# 80, tools/size-allowlist for the exceptions).
SIZE_DIRS := core lib adapters sim fuzz bench tools tests/unit

# The core's compiled objects call nothing outside the core but an allowlist; no module calls
# another (core/layers); the generated sources match their .rl; files and functions are small.
# The metrics listener's decisions (HTTP_SRC) are held to the same purity, with the core's text
# builder.
# the daemon's and the simulator's objects: no circle between their files (tools/lint-graph.py)
GRAPH_OBJ := $(call obj,$(REL),$(sort $(CORE_SRC) $(ADAPTER_SRC) $(SIM_MAIN_SRC) $(SIM_SRC)))

lint: $(CORE_OBJ) $(HTTP_PURE_OBJ) $(GRAPH_OBJ)
	tools/lint-core.sh $(CORE_OBJ)
	tools/lint-core.sh $(HTTP_PURE_OBJ)
	tools/lint-layers.sh core/layers $(CORE_OBJ)
	tools/lint-graph.py $(GRAPH_OBJ)
	tools/check-generated.sh $(RAGEL_SRC)
	tools/lint-size.sh tools/size-allowlist $(SIZE_DIRS)

# The lint fails on each known way around it, planted one at a time beside the real core.
lint-test: $(CORE_OBJ)
	LINT_CC="$(REL_CC) -MMD -MP $(CORE_INC)" tests/make/lint-evasions.sh $(CORE_OBJ)
	CC="$(REL_CC)" tests/make/graph-circles.sh

# Touching a header rebuilds exactly the objects whose dependency files name it.
deps-test: bins
	MAKE="$(MAKE)" tests/make/header-deps.sh $(BINS)

# The shipped binary is PIE with full RELRO, stack canaries and fortified calls.
harden-test: build/portsyncd
	tests/make/hardening.sh build/portsyncd

# alert accuracy against the kernel model's truth (the shipped rules, parsed as the daemon does)
build/flap-accuracy: $(call obj,$(REL),bench/flap_accuracy.c sim/kernel.c sim/prng.c adapters/alert_rules.c $(LOG_SRC) $(CORE_SRC) $(SIM_SRC))
	$(REL_CC) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ -linih

# No binary maps libpcap, D-Bus, libsystemd or the crypto and compression libraries it brings:
# the daemon (both builds), the simulator, every fuzz replay.
libs-test: build/portsyncd build/asan/portsyncd build/psd-sim $(FUZZ_REPLAY_BIN)
	tests/make/linked-libs.sh $^

build/bench_metrics: $(call obj,$(REL),bench/bench_metrics.c $(CORE_SRC) $(SIM_SRC))
	$(REL_CC) $(HARDEN_LD) $(LDFLAGS) -o $@ $^

unit: $(UNIT_BIN)
	tools/run-units.sh $(UNIT_BIN)

unit-asan: $(UNIT_ASAN_BIN)
	tools/run-units.sh $(UNIT_ASAN_BIN)

# IT_JOBS tests at once (tests/integration/run.sh): most of a test's time is waiting
IT_JOBS ?= 2
integration: build/portsyncd build/asan/portsyncd build/psd-sim $(TOOL_BIN)
	IT_JOBS=$(IT_JOBS) tests/integration/run.sh build/asan/portsyncd

test: bins
	$(MAKE) lint lint-test deps-test harden-test libs-test unit unit-asan fuzz-replay fixtures \
		chaos-short \
		stress-short integration

# every field bug of fixtures/field, replayed in the simulator (docs/fixtures.md)
fixtures: build/psd-sim
	tests/fixtures/run.sh

# 100K-port simulator loads and the real daemon over 1,000 veths; `make stress` is the full size
stress-short: build/psd-sim build/portsyncd build/nl-inject build/notify-listen
	tests/stress/run.sh quick

stress: build/psd-sim build/portsyncd build/nl-inject build/notify-listen
	tests/stress/run.sh full

# CPP_PORTSYNCD=PATH make bench: the C++ portsyncd side by side (docs/testing.md)
bench: build/bench_core build/bench_metrics build/flap-accuracy build/portsyncd build/nl-record \
	build/ks-latency build/floor build/fuzz/speed-netlink build/psd-sim
	bench/run.sh

# SOAK_MINUTES=N make soak (root; not part of make test): the daemon on 500 flapping veths, scraped
# every second, Redis restarted every 3 minutes; fails when RSS, descriptors, CPU or log lines
# grow beyond their tolerance (docs/testing.md)
SOAK_MINUTES ?= 10
soak: build/portsyncd
	bench/soak.sh build/portsyncd $(SOAK_MINUTES)

# the docs' figure blocks, from the output of the last make bench (build/bench/output.txt)
bench-figures:
	tools/bench-figures.sh --write

demo: build/portsyncd
	tools/demo.sh

clean:
	rm -rf build

FUZZ_DICT_netlink := -dict=fuzz/netlink.dict
FUZZ_DICT_roundtrip := -dict=fuzz/netlink.dict
FUZZ_DICT_http := -dict=fuzz/http.dict
SECONDS ?= 60

fuzz-replay: $(FUZZ_REPLAY_BIN)
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

SEEDS ?= 10000
chaos-short: build/psd-sim build/asan/psd-sim
	tests/chaos/run.sh 300 600
	SIM=build/asan/psd-sim tests/chaos/run.sh 40 600

# make chaos SEEDS=10000: the long sweep
chaos: build/psd-sim
	tests/chaos/run.sh $(SEEDS) 2000

# make sim-soak [DAYS=30] [SOAK_SEED=1]: one seed's swarm over DAYS days of virtual time, every
# fault kind, every invariant (docs/simulator.md, the soak); not in make test
DAYS ?= 30
SOAK_SEED ?= 1
sim-soak: build/psd-sim
	build/psd-sim --seed $(SOAK_SEED) --virtual-days $(DAYS) --ports 16 --steps 1000

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
	docs/operations.md docs/fixtures.md docs/fuzzing.md docs/alerts.md

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
build/fuzz/cov-%: fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) $(LIBFUZZER)/flags
	@mkdir -p $(@D)
	$(CLANG) $(STD) -g -O1 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
		$(OTHER_INC) -o $@ $< $(FUZZ_SRC_$*) $(FUZZ_LIBS)

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
