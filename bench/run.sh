#!/bin/bash
# make bench: prints every benchmark figure, each the median of three runs.
#  - core messages/s on recorded kernel datagrams (bench_core, wall clock)
#  - core instructions per message (callgrind; the difference of two run lengths, so start-up
#    cost cancels out), and with link analytics on, with a per-port series for every port and
#    for one (the per-port series' cost per link message; their render: bench/metrics.sh)
#  - the simulator at 100K ports: events/s, instructions per event, RSS (bench/sim.sh)
#  - memory following the port count: the daemon's anonymous memory and RSS at 512 and 2,048
#    ports, the simulator's events/s and peak RSS at 100K ports, seed 99 (bench/memory.sh)
#  - idle link change -> STATE_DB latency, 512-port storm convergence, daemon CPU per port state
#    change and per netlink message, RSS, all in one run of bench/storm.sh (needs root)
#  - replay throughput of a recorded storm into redis-server, against redis-benchmark (needs root)
#  - convergence after a 2 s Redis outage, Redis back with its data or empty (bench/outage.sh)
#  - metrics (bench/metrics.sh) and alerts (bench/alerts.sh): CPU per link message as ratios,
#    RSS at 100K ports, /metrics at 1,024 ports with per-port series (time and instructions), an
#    idle core's alert evaluations, port_flapping's precision and recall
#  - a warm restart over 1,000 veths changed while the daemon is down: time to reconciled, writes
#    per unchanged port (bench/warm.sh); at 100K ports in the simulator (bench/sim.sh)
# A bench that fails or prints no figure fails make bench: every pipeline fails with any of its
# commands, and every figure must be a number.
set -euo pipefail
trap 'echo "bench: FAILED: $0 line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
FIXTURE=fixtures/netlink/veth-flaps.bin
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
number() { # number WHAT VALUE: VALUE, or the bench fails naming WHAT
	[[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "bench: FAILED: $1: no figure ('$2')" >&2; exit 1; }
	echo "$2"
}

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

failed=
bench/sim.sh || failed="$failed bench/sim.sh" # the daemon figures still come
bench/memory.sh build/portsyncd 3 || failed="$failed bench/memory.sh"

fuzz_rates=$(for i in 1 2 3; do
	rm -rf build/fuzz/speed-corpus && mkdir -p build/fuzz/speed-corpus
	build/fuzz/speed-netlink -max_total_time=10 -print_final_stats=1 build/fuzz/speed-corpus \
		fuzz/corpus/netlink 2>&1 | sed -n 's/^stat::average_exec_per_sec: *//p' || exit 1
done)
fuzz_rate=$(number "fuzz exec/s" "$(echo "$fuzz_rates" | median)")
echo "bench: fuzz netlink datagram harness, libFuzzer without sanitizers, one core (median of 3): $fuzz_rate exec/s"

if [ "$(id -u)" = 0 ]; then
	# key KEY: that figure of every run, one a line; med KEY: their median
	key() { sed -n "s/.* $1=\([-0-9.]*\).*/\1/p" <<<"$runs"; }
	med() { key "$1" | median; }
	ms() { awk -v v="$1" 'BEGIN {printf "%.2f", v / 1000}'; }
	goal() { awk -v v="$1" -v g="$2" 'BEGIN {print (v <= g ? "met" : "MISSED")}'; }
	runs=$(for i in 1 2 3; do
		bench/storm.sh build/portsyncd build/nl-record build/ks-latency 512 10 200 || exit 1
	done)
	echo "$runs"
	lat=$(med latency_p99_us) floor=$(med floor_p99_us)
	echo "bench: idle link change -> STATE_DB write, $(key idle_changes | head -n 1) changes a run (median of 3 runs):" \
		"p50 $(ms "$(med latency_p50_us)") ms, p99 $(ms "$lat") ms, max $(ms "$(med latency_max_us)") ms;" \
		"floor (the ip command alone) p50 $(ms "$(med floor_p50_us)") ms, p99 $(ms "$floor") ms;" \
		"goal p99 <= floor p99 + 1 ms: $(goal "$lat" $((floor + 1000)))"
	dp99=$(med daemon_p99_us)
	echo "bench: the same changes split (median of 3 runs): kernel (ip forked -> link message in the" \
		"namespace) p50 $(ms "$(med kernel_p50_us)") ms, p99 $(ms "$(med kernel_p99_us)") ms;" \
		"daemon (link message -> STATE_DB notification) p50 $(ms "$(med daemon_p50_us)") ms," \
		"p99 $(ms "$dp99") ms, max $(ms "$(med daemon_max_us)") ms; daemon p99 <= 1 ms: $(goal "$dp99" 1000)"
	conv=$(med converged_after_ip_us)
	echo "bench: 512-port storm, 10 rounds then every even peer up, one ip -batch (median of 3):" \
		"ip -batch $(ms "$(med ip_us)") ms; converged $(ms "$conv") ms after it returned" \
		"($(ms "$(med converged_after_start_us)") ms after its start); goal <= 30 ms: $(goal "$conv" 30000);" \
		"the kernel's last port message came $(ms "$(med last_kernel_after_ip_us)") ms after ip -batch" \
		"returned, the daemon converged $(ms "$(med converged_after_kernel_us)") ms after it"
	per_change=$(med ns_per_change)
	echo "bench: daemon CPU over the same storm, schedstat ns (median of 3):" \
		"$per_change ns per port state change ($(key changes | head -n 1) changes);" \
		"$(med ns_per_message) ns per netlink message ($(med messages) messages seen in the namespace);" \
		"$(med wakeups) wake-ups, $(med writes) STATE_DB writes; goal <= 2000 ns per change: $(goal "$per_change" 2000)"
	rss=$(med rss_kib)
	echo "bench: daemon RSS at 512 ports (median of 3): $rss KiB (anonymous $(med anon_kib) KiB," \
		"peak $(med hwm_kib) KiB); goal <= 3072 KiB: $(goal "$rss" 3072)"
	bench/replay.sh build/portsyncd 512 40
	for run in "kept" "empty"; do
		runs=$(for i in 1 2 3; do
			bench/outage.sh build/portsyncd build/ks-latency 1000 2 $run || exit 1
		done)
		echo "$runs"
		conv=$(med converged_ms)
		set -- $run
		echo "bench: convergence after a 2 s Redis outage, 1000 ports dirty, Redis back $1" \
			"(daemon options: ${2:-defaults}${3:+ $3}; median of 3): $conv ms after Redis" \
			"answered; goal <= 300 ms: $(goal "$conv" 300); Redis stayed down until the kernel had" \
			"reported every carrier change, $(med kernel_ms) ms after ip -batch started"
	done
	runs=$(for i in 1 2 3; do bench/warm.sh build/portsyncd 1000 || exit 1; done)
	echo "$runs"
	wms=$(med reconciled_ms) wpu=$(med writes_per_unchanged)
	echo "bench: warm restart, 1000 veths, $(key changed | head -n 1) changed while the daemon was" \
		"down (median of 3): reconciled $wms ms after the daemon's launch (its own count from" \
		"start-up: $(med daemon_ms) ms); goal <= 200 ms: $(goal "$wms" 200); $wpu STATE_DB writes" \
		"per unchanged port ($(med unchanged_writes) for $(key unchanged | head -n 1)); goal 0:" \
		"$(goal "$wpu" 0)"
else
	echo "bench: FAILED: the daemon benchmarks need root (network namespaces)" >&2
	exit 1
fi
bench/metrics.sh build/portsyncd build/nl-record 512 20
bench/alerts.sh build/portsyncd build/nl-record 512 20
[ -z "$failed" ] || { echo "bench: FAILED:$failed" >&2; exit 1; }
