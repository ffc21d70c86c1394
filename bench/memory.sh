#!/bin/bash
# Memory follows the port count (make bench): the daemon's anonymous memory and RSS
# (/proc/PID/smaps_rollup) once N configured veth ports are written, at 512 and 2,048 ports, each
# the median of RUNS runs (needs root: a namespace); and the simulator's events/s and peak RSS at
# 100K ports (psd-sim --seed 99, /usr/bin/time's maximum resident set size), medians of RUNS.
# Usage: memory.sh [DAEMON] [RUNS]. A missing figure fails the bench.
set -euo pipefail
trap 'echo "bench: FAILED: $0 line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
DAEMON=${1:-build/portsyncd}
RUNS=${2:-3}
SIM=build/psd-sim
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
number() { # number WHAT VALUE: VALUE, or the bench fails naming WHAT
	[[ $2 =~ ^[0-9]+$ ]] || { echo "bench: FAILED: $1: no figure ('$2')" >&2; exit 1; }
	echo "$2"
}
goal() { awk -v v="$1" -v g="$2" 'BEGIN {print (v <= g ? "met" : "MISSED")}'; }

daemon_run() { # daemon_run PORTS: "anon rss" in KiB, one run in a subshell of its own
	(
		. bench/lib.sh
		setup_ports "$DAEMON" "$1"
		sleep 0.5 # the acknowledgements and link stats of the last writes
		awk '/^Anonymous:/ {a = $2} /^Rss:/ {r = $2} END {print a, r}' \
			"/proc/$PID/smaps_rollup"
	)
}

if [ "$(id -u)" = 0 ]; then
	for ports in 512 2048; do
		runs=$(for i in $(seq "$RUNS"); do daemon_run "$ports" || exit 1; done)
		anon=$(number "daemon anonymous, $ports ports" "$(awk '{print $1}' <<<"$runs" | median)")
		rss=$(number "daemon RSS, $ports ports" "$(awk '{print $2}' <<<"$runs" | median)")
		goals=
		[ "$ports" != 512 ] ||
			goals="; goal anonymous <= 1024 KiB: $(goal "$anon" 1024), RSS <= 5120 KiB: $(goal "$rss" 5120)"
		echo "bench: daemon memory at $ports ports (median of $RUNS): anonymous $anon KiB," \
			"RSS $rss KiB$goals"
	done
else
	echo "bench: daemon memory: skipped (needs root for a network namespace)" >&2
fi

sim_run() { # "events/s peak_kib" of one run
	local out
	out=$( { /usr/bin/time -f 'peak %M' $SIM --seed 99 --ports 100000 | tail -n 1; } 2>&1)
	echo "$(sed -n 's/.* \([0-9]*\) simulated events\/s.*/\1/p' <<<"$out")" \
		"$(sed -n 's/^peak \([0-9]*\)$/\1/p' <<<"$out")"
}
runs=$(for i in $(seq "$RUNS"); do sim_run || exit 1; done)
rate=$(number "simulator events/s" "$(awk '{print $1}' <<<"$runs" | median)")
peak=$(number "simulator peak RSS" "$(awk '{print $2}' <<<"$runs" | median)")
echo "bench: simulator at 100K ports, seed 99 (median of $RUNS): $rate simulated events/s," \
	"peak RSS $peak KiB; goal >= 2000000 events/s: $(awk -v v="$rate" 'BEGIN {print (v >= 2000000 ? "met" : "MISSED")}'), <= 163840 KiB: $(goal "$peak" 163840)"
