# portsyncd in C. `make` builds the daemon; `make test` runs every suite; `make lint` checks the
# core's purity and the generated sources; `make bench` prints the benchmark figures.
CC ?= cc
WERROR ?= $(if $(CI),-Werror,)
OPT ?= -O2
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wvla -Wformat=2 -Wno-unused-parameter $(WERROR)
CFLAGS ?= $(OPT) -g
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Icore/include -Icore
PKGS := libnl-3.0 hiredis libsystemd jansson inih
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

RAGEL_SRC := $(wildcard core/*.rl)
GEN_SRC := $(RAGEL_SRC:.rl=.gen.c)
CORE_SRC := $(filter-out $(GEN_SRC),$(wildcard core/*.c)) $(GEN_SRC)
SIM_SRC := sim/nl_build.c sim/redis_model.c
ADAPTER_SRC := $(wildcard adapters/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/%)
UNIT_ASAN_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/%)

.PHONY: all test unit unit-asan integration lint ragel check-generated bench fsm-docs clean demo

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

build/portsyncd: $(CORE_SRC) $(ADAPTER_SRC) $(wildcard core/*.h core/include/psd/*.h adapters/*.h) | build
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -o $@ $(CORE_SRC) $(ADAPTER_SRC) $(PKG_LIBS)

build/asan/portsyncd: $(CORE_SRC) $(ADAPTER_SRC) $(wildcard core/*.h core/include/psd/*.h adapters/*.h) | build/asan
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

test: lint unit unit-asan integration

lint:
	tools/lint-core.sh
	tools/check-generated.sh $(RAGEL_SRC)

bench: build/bench_core build/portsyncd build/nl-record
	bench/run.sh

demo: build/portsyncd
	tools/demo.sh

clean:
	rm -rf build
