#!/bin/sh
# make bench: prints every benchmark figure, each the median of three runs.
#  - core messages/s on recorded kernel datagrams (bench_core, wall clock)
#  - core instructions per message (callgrind; the difference of two run lengths, so start-up
#    cost cancels out)
#  - the simulator at 100K ports: events/s, instructions per event, RSS (bench/sim.sh)
#  - daemon CPU per message and RSS over a 512-port veth flap storm (needs root)
#  - replay throughput of a recorded storm into redis-server, against redis-benchmark (needs root)
set -eu
cd "$(dirname "$0")/.."
FIXTURE=fixtures/netlink/veth-flaps.bin
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

rates=$(for i in 1 2 3; do build/bench_core "$FIXTURE"; done | tee /dev/stderr |
	sed -n 's/.*: \([0-9]*\) messages\/s.*/\1/p')
echo "bench: core throughput (median of 3): $(echo "$rates" | median) messages/s"

if command -v valgrind >/dev/null; then
	ir() {
		valgrind --tool=callgrind --callgrind-out-file=/dev/null build/bench_core "$FIXTURE" "$1" 2>&1 |
			sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
	}
	a=$(ir 20000)
	b=$(ir 40000)
	echo "bench: core instructions per message (callgrind, 40000 - 20000 messages): $(( (b - a) / 20000 ))"
else
	echo "bench: FAILED: valgrind is not installed" >&2
	exit 1
fi

bench/sim.sh

fuzz_rates=$(for i in 1 2 3; do
	rm -rf build/fuzz/speed-corpus && mkdir -p build/fuzz/speed-corpus
	build/fuzz/speed-netlink -max_total_time=10 -print_final_stats=1 build/fuzz/speed-corpus \
		fuzz/corpus/netlink 2>&1 | sed -n 's/^stat::average_exec_per_sec: *//p'
done)
echo "bench: fuzz netlink datagram harness, libFuzzer without sanitizers, one core (median of 3): $(echo "$fuzz_rates" | median) exec/s"

if [ "$(id -u)" = 0 ]; then
	runs=$(for i in 1 2 3; do bench/storm.sh build/portsyncd build/nl-record 512 40; done)
	echo "$runs"
	echo "bench: daemon CPU per message over a 512-port storm (median of 3): $(echo "$runs" |
		sed -n 's/.*CPU: \([0-9.]*\) us.*/\1/p' | median) us; RSS (median): $(echo "$runs" |
		sed -n 's/.*RSS \([0-9]*\) KiB.*/\1/p' | median) KiB"
	bench/replay.sh build/portsyncd 512 40
	runs=$(for i in 1 2 3; do bench/outage.sh build/portsyncd 1000 2; done)
	echo "$runs"
	echo "bench: convergence after a 2 s Redis outage, 1000 ports dirty (median of 3): $(echo "$runs" |
		sed -n 's/.*converged \([0-9]*\) ms.*/\1/p' | median) ms"
else
	echo "bench: FAILED: the daemon benchmarks need root (network namespaces)" >&2
	exit 1
fi
bench/metrics.sh build/portsyncd build/nl-record 512 20
