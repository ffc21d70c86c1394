#!/bin/sh
# Runs every fuzz target under libFuzzer and under AFL++ for SECONDS each, two jobs at a time,
# then prints executions per second, coverage and crashes per run (from libFuzzer's final stats
# and AFL++'s fuzzer_stats). Logs in build/fuzz/logs/. Usage: fuzz-campaign.sh [SECONDS]
cd "$(dirname "$0")/.." || exit 1
SECONDS_EACH=${1:-600}
TARGETS="netlink roundtrip core settings dbconfig"
mkdir -p build/fuzz/logs
for t in $TARGETS; do make -s build/fuzz/libfuzzer-$t build/fuzz/afl-$t || exit 1; done
run() { # run ENGINE TARGET
	if [ "$1" = libfuzzer ]; then
		make -s fuzz TARGET=$2 SECONDS=$SECONDS_EACH > build/fuzz/logs/libfuzzer-$2.log 2>&1
	else
		rm -rf build/fuzz/afl-out-$2
		AFL_NO_AFFINITY=1 make -s fuzz-afl TARGET=$2 SECONDS=$SECONDS_EACH \
			> build/fuzz/logs/afl-$2.log 2>&1
	fi
}
for t in $TARGETS; do
	run libfuzzer $t &
	run afl $t &
	wait
done
for t in $TARGETS; do
	l=build/fuzz/logs/libfuzzer-$t.log
	printf 'libfuzzer %-10s runs %s, exec/s %s, %s, crashes %s\n' $t \
		"$(sed -n 's/^stat::number_of_executed_units: *//p' $l)" \
		"$(sed -n 's/^stat::average_exec_per_sec: *//p' $l)" \
		"$(grep -o 'cov: [0-9]* ft: [0-9]*' $l | tail -n 1)" \
		"$(ls build/fuzz/crash-$t-* 2>/dev/null | wc -l)"
	s=build/fuzz/afl-out-$t/default/fuzzer_stats
	printf 'afl++     %-10s runs %s, exec/s %s, edges %s of %s, crashes %s\n' $t \
		"$(sed -n 's/^execs_done *: //p' $s)" "$(sed -n 's/^execs_per_sec *: //p' $s)" \
		"$(sed -n 's/^edges_found *: //p' $s)" "$(sed -n 's/^total_edges *: //p' $s)" \
		"$(sed -n 's/^saved_crashes *: //p' $s)"
done
