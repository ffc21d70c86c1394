#!/bin/bash
# Simulator figures at 100K ports (make bench): simulated events per second on a clean load
# (start-up, then flap storms over every port) and under the fault swarm, medians of three;
# callgrind instructions per event, from the difference of two storm counts so start-up
# cancels out; and max RSS after 10x more events, to show memory follows ports, not events.
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
