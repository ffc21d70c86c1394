#!/bin/bash
# make bench: prints every benchmark figure, each the median of three runs, and keeps what it
# printed in build/bench/output.txt (tools/bench-figures.sh writes the docs' figures from it).
#  - core messages/s on recorded kernel datagrams (bench_core, wall clock)
#  - core instructions per message (callgrind; the difference of two run lengths, so start-up
#    cost cancels out), and with link analytics on, with a per-port series for every port and
#    for one (the per-port series' cost per link message; their render: bench/metrics.sh)
#  - the simulator at 100K ports: events/s, instructions per event, RSS (bench/sim.sh)
#  - memory following the port count: the daemon's anonymous memory and RSS at 512 and 2,048
#    ports, the simulator's events/s and peak RSS at 100K ports, seed 99 (bench/memory.sh)
#  - the daemon side by side with the floor (bench/floor.c) and, when CPP_PORTSYNCD names it,
#    the C++ portsyncd, at 512 and 2,048 ports (bench/side.sh, needs root): CPU per port change
#    and wake-ups per link message over a storm's active window, storm convergence, idle
#    wake-ups and CPU, memory, libraries mapped, idle link change -> STATE_DB latency
#  - replay throughput of a recorded storm into redis-server, against redis-benchmark (needs root)
#  - convergence after a 2 s Redis outage, Redis back with its data or empty (bench/outage.sh)
#  - metrics (bench/metrics.sh) and alerts (bench/alerts.sh): CPU per port change as ratios,
#    RSS at 100K ports, /metrics at 1,024 ports with per-port series (time and instructions), an
#    idle core's alert evaluations, port_flapping's precision and recall
#  - a warm restart over 1,000 veths changed while the daemon is down: time to reconciled, writes
#    per unchanged port (bench/warm.sh); at 100K ports in the simulator (bench/sim.sh)
# A bench that fails or prints no figure fails make bench: every pipeline fails with any of its
# commands, and every figure must be a number.
# BENCH_PARTS (all unless told) names the parts to run, of: core sim memory fuzz side replay outage
# warm metrics alerts; e.g. BENCH_PARTS=side make bench runs the side-by-side bench alone (for a busy
# machine, on which the whole bench runs long). The first line names the parts that ran.
set -euo pipefail
trap 'echo "bench: FAILED: $0 line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
mkdir -p build/bench
exec > >(tee build/bench/output.txt)
load() { cut -d ' ' -f 1-3 /proc/loadavg; }
PARTS=${BENCH_PARTS:-all}
part() { [ "$PARTS" = all ] || [[ " $PARTS " == *" $1 "* ]]; }
echo "bench: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD \
	2>/dev/null || echo ' with uncommitted changes'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc)" \
	"cores, load average $(load) at the start, parts: $PARTS"
FIXTURE=fixtures/netlink/veth-flaps.bin
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
number() { # number WHAT VALUE: VALUE, or the bench fails naming WHAT
	[[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "bench: FAILED: $1: no figure ('$2')" >&2; exit 1; }
	echo "$2"
}

if part core; then
rates=$(for i in 1 2 3; do build/bench_core "$FIXTURE" || exit 1; done | tee /dev/stderr |
	sed -n 's/.*: \([0-9]*\) messages\/s.*/\1/p')
rate=$(number "core throughput" "$(echo "$rates" | median)")
echo "bench: core throughput (median of 3): $rate messages/s"

if command -v valgrind >/dev/null; then
	ir() { # ir MESSAGES [SERIES]: instructions of a bench_core run
		valgrind --tool=callgrind --callgrind-out-file=/dev/null build/bench_core "$FIXTURE" "$@" 2>&1 |
			sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
	}
	per_message() { # per_message [SERIES]: instructions per message, 40000 - 20000 messages
		local a b
		a=$(number "callgrind, 20000 messages $*" "$(ir 20000 "$@")")
		b=$(number "callgrind, 40000 messages $*" "$(ir 40000 "$@")")
		echo $(( (b - a) / 20000 ))
	}
	echo "bench: core instructions per message (callgrind, 40000 - 20000 messages): $(per_message)"
	all=$(per_message 1024)
	one=$(per_message 1)
	echo "bench: per-port series, core instructions per link message with link analytics (callgrind): a series for every port $all, for one port $one: $((all - one)) per message for the series"
else
	echo "bench: FAILED: valgrind is not installed" >&2
	exit 1
fi
fi

failed=
! part sim || bench/sim.sh || failed="$failed bench/sim.sh" # the daemon figures still come
! part memory || bench/memory.sh build/portsyncd 3 || failed="$failed bench/memory.sh"

if part fuzz; then
fuzz_rates=$(for i in 1 2 3; do
	rm -rf build/fuzz/speed-corpus && mkdir -p build/fuzz/speed-corpus
	build/fuzz/speed-netlink -max_total_time=10 -print_final_stats=1 build/fuzz/speed-corpus \
		fuzz/corpus/netlink 2>&1 | sed -n 's/^stat::average_exec_per_sec: *//p' || exit 1
done)
fuzz_rate=$(number "fuzz exec/s" "$(echo "$fuzz_rates" | median)")
echo "bench: fuzz netlink datagram harness, libFuzzer without sanitizers, one core (median of 3): $fuzz_rate exec/s"
fi

if [ "$(id -u)" = 0 ]; then
	# key KEY: that figure of every run, one a line; med KEY: their median
	key() { sed -n "s/.* $1=\([-0-9.]*\).*/\1/p" <<<"$runs"; }
	med() { key "$1" | median; }
	goal() { awk -v v="$1" -v g="$2" 'BEGIN {print (v <= g ? "met" : "MISSED")}'; }
	! part side || bench/side.sh
	! part replay || bench/replay.sh build/portsyncd 512 40
	for run in "kept" "empty"; do
		part outage || continue
		runs=$(for i in 1 2 3; do
			bench/outage.sh build/portsyncd build/ks-latency 1000 2 $run || exit 1
		done)
		echo "$runs"
		conv=$(number "outage convergence, Redis back $run" "$(med converged_ms)")
		set -- $run
		echo "bench: convergence after a 2 s Redis outage, 1000 ports dirty, Redis back $1" \
			"(daemon options: ${2:-defaults}${3:+ $3}; median of 3): $conv ms after Redis" \
			"answered; goal <= 300 ms: $(goal "$conv" 300); Redis stayed down until the kernel had" \
			"reported every carrier change, $(med kernel_ms) ms after ip -batch started"
	done
	if part warm; then
	runs=$(for i in 1 2 3; do bench/warm.sh build/portsyncd 1000 || exit 1; done)
	echo "$runs"
	wms=$(number "warm restart, reconciled ms" "$(med reconciled_ms)")
	wpu=$(number "warm restart, writes per unchanged port" "$(med writes_per_unchanged)")
	echo "bench: warm restart, 1000 veths, $(key changed | head -n 1) changed while the daemon was" \
		"down (median of 3): reconciled $wms ms after the daemon's launch (its own count from" \
		"start-up: $(med daemon_ms) ms); goal <= 200 ms: $(goal "$wms" 200); $wpu STATE_DB writes" \
		"per unchanged port ($(med unchanged_writes) for $(key unchanged | head -n 1)); goal 0:" \
		"$(goal "$wpu" 0)"
	fi
else
	echo "bench: FAILED: the daemon benchmarks need root (network namespaces)" >&2
	exit 1
fi
! part metrics || bench/metrics.sh build/portsyncd build/nl-record build/ks-latency 512 20
! part alerts || bench/alerts.sh build/portsyncd build/nl-record build/ks-latency 512 20
[ -z "$failed" ] || { echo "bench: FAILED:$failed" >&2; exit 1; }
echo "bench: done, load average $(load) at the end"
