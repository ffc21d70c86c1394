#!/bin/bash
# Simulator figures at 100K ports (make bench): simulated events per second on a clean load
# (start-up, then flap storms over every port) and under the fault swarm, medians of three;
# callgrind instructions per event, from the difference of two storm counts so start-up
# cancels out; max RSS after 10x more events, to show memory follows ports, not events; and a
# warm restart at 100K ports (psd-sim --warm-bench): wall-clock time from the new core's start to
# `reconciled`, and STATE_DB writes per unchanged port, medians of three.
# A failed run or a missing figure fails the bench (pipefail, and every figure must be a number).
set -euo pipefail
trap 'echo "bench: FAILED: $0 line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
SIM=build/psd-sim
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
field() { sed -n "s|.* \([0-9]*\) $1.*|\1|p"; } # the number before a label in the ok line
number() { # number WHAT VALUE: VALUE, or the bench fails naming WHAT
	[[ $2 =~ ^[0-9]+$ ]] || { echo "bench: FAILED: $1: no figure ('$2')" >&2; exit 1; }
	echo "$2"
}

run_rate() { # one run's simulated events/s
	number "psd-sim $*" "$($SIM "$@" | tail -n 1 | field "simulated events/s")"
}
rate() { for i in 1 2 3; do run_rate "$@" || exit 1; done | median; }
clean=$(number "simulator, clean load" "$(rate --seed 1 --ports 100000 --steps 0 --storm 5 \
	--faults none)")
echo "bench: simulator, 100K ports, start-up + 5 storms, no faults (median of 3): $clean simulated events/s"
swarm=$(number "simulator, fault swarm" "$(rate --seed 1 --ports 100000 --steps 20000)")
echo "bench: simulator, 100K ports, fault swarm, 20000 steps (median of 3): $swarm simulated events/s"

ir() { # ir STORMS FILE: instructions, then events
	valgrind --tool=callgrind --callgrind-out-file=/dev/null $SIM --seed 1 --ports 100000 \
		--steps 0 --storm "$1" --faults none > "$2" 2> "$2.err"
	number "callgrind, $1 storms" "$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$2.err")"
	number "events, $1 storms" "$(field "events (" < "$2")"
}
tmp=$(mktemp -d)
a=$(ir 1 "$tmp/a")
b=$(ir 3 "$tmp/b")
rm -rf "$tmp"
set -- $a $b
echo "bench: simulator instructions per event (callgrind, 100K ports, 3 - 1 storms): $(( ($3 - $1) / ($4 - $2) ))"

rss() { number "max RSS, $1 steps" "$($SIM --seed 1 --ports 100000 --steps "$1" --faults none |
	tail -n 1 | field "KiB")"; }
small=$(rss 20000)
large=$(rss 200000)
echo "bench: simulator max RSS at 100K ports: $small KiB after 20000 steps, $large KiB after 200000 steps"

runs=$(for seed in 1 2 3; do
	$SIM --seed "$seed" --ports 100000 --steps 0 --faults none --warm-bench |
		grep '^psd-sim: warm restart: ' || exit 1
done)
wms=$(number "simulator warm restart, ms" "$(echo "$runs" |
	sed -n 's/.* reconciled in \([0-9]*\)\.[0-9] ms wall clock.*/\1/p' | median)")
wpu=$(echo "$runs" | sed -n 's/.*: \([0-9.]*\) writes per unchanged port.*/\1/p' | median)
[[ $wpu =~ ^[0-9]+\.[0-9]+$ ]] || { echo "bench: FAILED: simulator warm restart: no writes figure" >&2; exit 1; }
goal() { awk -v v="$1" -v g="$2" 'BEGIN {print (v <= g ? "met" : "MISSED")}'; }
echo "bench: simulator warm restart, 100K ports, 2500 changed while down (median of 3 seeds):" \
	"reconciled $wms ms wall clock after the new core's start; goal <= 2000 ms: $(goal "$wms" 2000);" \
	"$wpu STATE_DB writes per unchanged port; goal 0: $(goal "$wpu" 0)"
