#!/bin/sh
# Runs every fuzz target under libFuzzer, and under AFL++ when afl-clang-fast is installed, for
# SECONDS each (the two engines side by side, one target at a time), then the datagram harness
# without sanitizers three times 10 s for its throughput; then tools/fuzz-figures.sh prints the
# figures (and, with --write, puts them in docs/fuzzing.md). Logs in build/fuzz/logs/.
# Usage: fuzz-campaign.sh [SECONDS] [--write]
cd "$(dirname "$0")/.." || exit 1
SECONDS_EACH=${1:-600}
TARGETS="netlink roundtrip core settings dbconfig fixture"
engines=libfuzzer
command -v afl-clang-fast >/dev/null 2>&1 && engines="libfuzzer afl"
rm -rf build/fuzz/logs build/fuzz/crash-*
mkdir -p build/fuzz/logs
for t in $TARGETS; do
	make -s build/fuzz/libfuzzer-$t build/fuzz/speed-netlink || exit 1
	case $engines in *afl*) make -s build/fuzz/afl-$t || exit 1 ;; esac
done
run() { # run ENGINE TARGET
	if [ "$1" = libfuzzer ]; then
		rm -rf build/fuzz/corpus-$2
		make -s fuzz TARGET=$2 SECONDS=$SECONDS_EACH > build/fuzz/logs/libfuzzer-$2.log 2>&1
	else
		rm -rf build/fuzz/afl-out-$2
		AFL_NO_AFFINITY=1 make -s fuzz-afl TARGET=$2 SECONDS=$SECONDS_EACH \
			> build/fuzz/logs/afl-$2.log 2>&1
	fi
}
started=$(date -u +%Y-%m-%d)
load_start=$(cut -d' ' -f1 /proc/loadavg) # the machine may be shared: its load is reported too
for t in $TARGETS; do
	for e in $engines; do run $e $t & done
	wait
done
for i in 1 2 3; do
	rm -rf build/fuzz/speed-corpus && mkdir -p build/fuzz/speed-corpus
	build/fuzz/speed-netlink -max_total_time=10 -print_final_stats=1 build/fuzz/speed-corpus \
		fuzz/corpus/netlink > build/fuzz/logs/speed-netlink-$i.log 2>&1
done
printf 'date=%s\nseconds=%s\nengines="%s"\ntargets="%s"\nload_start=%s\nload_end=%s\n' \
	"$started" "$SECONDS_EACH" "$engines" "$TARGETS" "$load_start" \
	"$(cut -d' ' -f1 /proc/loadavg)" > build/fuzz/logs/campaign
[ $# -gt 0 ] && shift
exec tools/fuzz-figures.sh "$@"
