#!/bin/bash
# Simulator figures at 100K ports (make bench): simulated events per second on a clean load
# (start-up, then flap storms over every port) and under the fault swarm, medians of three;
# callgrind instructions per event, from the difference of two storm counts so start-up
# cancels out; and max RSS after 10x more events, to show memory follows ports, not events.
set -eu -o pipefail
cd "$(dirname "$0")/.."
SIM=build/psd-sim
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
field() { sed -n "s|.* \([0-9]*\) $1.*|\1|p"; } # the number before a label in the ok line

# a failing psd-sim stops this script (no figure is printed from a failed run)
sim() { "$SIM" "$@" > "$tmp/out" || { tail -n 4 "$tmp/out" >&2; exit 1; }; tail -n 1 "$tmp/out"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rate() { for i in 1 2 3; do sim "$@" | field "simulated events/s" || exit 1; done | median; }
r=$(rate --seed 1 --ports 100000 --steps 0 --storm 5 --faults none)
echo "bench: simulator, 100K ports, start-up + 5 storms, no faults (median of 3): $r simulated events/s"
r=$(rate --seed 1 --ports 100000 --steps 20000)
echo "bench: simulator, 100K ports, fault swarm, 20000 steps (median of 3): $r simulated events/s"

ir() { # ir STORMS: instructions, then events
	valgrind --tool=callgrind --callgrind-out-file=/dev/null $SIM --seed 1 --ports 100000 \
		--steps 0 --storm "$1" --faults none > "$2" 2> "$2.err" || { tail -n 4 "$2" >&2; exit 1; }
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$2.err"
	field "events (" < "$2"
}
a=$(ir 1 "$tmp/a")
b=$(ir 3 "$tmp/b")
set -- $a $b
echo "bench: simulator instructions per event (callgrind, 100K ports, 3 - 1 storms): $(( ($3 - $1) / ($4 - $2) ))"

rss() { sim --seed 1 --ports 100000 --steps "$1" --faults none | field "KiB"; }
a=$(rss 20000)
b=$(rss 200000)
echo "bench: simulator max RSS at 100K ports: $a KiB after 20000 steps, $b KiB after 200000 steps"
