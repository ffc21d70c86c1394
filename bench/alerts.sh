#!/bin/bash
# Alert figures (make bench, needs root):
#  - CPU per port change over the flap storm of bench/metrics.sh (PORTS veths flapped ROUNDS
#    times, metrics and link analytics off; schedstat ns over the active window, from just before
#    the storm to the daemon's last STATE_DB write, divided by the oper changes the kernel made)
#    with 1,000 per-port rules (port_oper_changes above 16 .. 1015 in 60 s: the lowest hold for
#    every port, a few thousand alerts fire and are written) as a ratio to no rules at all (the
#    shipped ones disabled), the two in turn, medians of 3 (an evaluation's alert writes after
#    the storm extend the window while they follow each other within 1.2 s);
#  - the core in the simulator's world at 100K ports, a tenth of them flapping: evaluation time
#    per second and RSS with 1,000 per-port rules (the alert pool full) against none;
#  - a minute of an idle core at 2,048 ports with a per-port rule: alert evaluations (goal 0);
#  - port_flapping's precision and recall against the kernel model's truth over 10,000 seeds
#    with overruns and restarts (build/flap-accuracy; goal 100% for the clear ports).
# Usage: alerts.sh DAEMON NL_RECORD KS_LATENCY [PORTS] [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
usage="usage: alerts.sh DAEMON NL_RECORD KS_LATENCY [PORTS] [ROUNDS]"
DAEMON=$(realpath "${1:?$usage}")
RECORD=$(realpath "${2:?$usage}")
KSLAT=$(realpath "${3:?$usage}")
PORTS=${4:-512}
ROUNDS=${5:-20}
D=$(mktemp -d /tmp/psd-alerts-bench.XXXXXX)
trap 'rm -rf "$D"' EXIT
for r in redis_unreachable port_flapping netlink_messages_lost write_backlog_growing \
	redumps_repeating latency_p99_slo; do
	printf '[alert %s]\nenabled = false\n' "$r"
done > "$D/none.conf"
cp "$D/none.conf" "$D/many.conf"
for i in $(seq 16 1015); do
	printf '[alert flap_%d]\nmetric = port_oper_changes\nper_port = true\ncondition = above\nthreshold = %d\nwindow = 60s\n' "$i" "$i"
done >> "$D/many.conf"
"$DAEMON" --check-config --db-config /dev/null --alert-rules "$D/many.conf" 2>&1 |
	grep -q "bad alert rules" && { echo "bench: FAILED: the rule file is refused" >&2; exit 1; }
cpu() { # cpu RULES: one run's ns per port change, or the bench fails naming it
	local v
	v=$(bench/metrics.sh --cpu off "$DAEMON" "$RECORD" "$KSLAT" "$PORTS" "$ROUNDS" --alert-rules "$1")
	[[ $v =~ ^[0-9]+$ ]] || { echo "bench: FAILED: CPU per port change with $1: no figure ('$v')" >&2; exit 1; }
	echo "$v"
}
none=""
many=""
for i in 1 2 3; do
	none="$none $(cpu "$D/none.conf")"
	many="$many $(cpu "$D/many.conf")"
done
med() { echo "$1" | tr ' ' '\n' | sed '/^$/d' | median; }
m_none=$(med "$none")
m_many=$(med "$many")
ratio=$(awk -v a="$m_many" -v b="$m_none" 'BEGIN { printf "%.3f", a / b }')
goal=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.10 ? "met" : "MISSED") }')
echo "bench: CPU per port change (schedstat ns over the active window / the oper changes the" \
	"kernel made), $PORTS-port flap storm x $ROUNDS (median of 3): no alert rules" \
	"$m_none ns; 1,000 per-port rules $m_many ns: ratio $ratio (goal <= 1.10: $goal)" \
	"(runs none:$none, 1000 rules:$many)"
# no fixed tick: an idle core with the shipped flap rule over 2,048 ports evaluates nothing
build/bench_metrics 2048 3 1 | grep 'idle minute' | sed 's/^bench_metrics: alerts:/bench: alerts, 2,048 ports,/'
build/flap-accuracy 10000
base=$(build/bench_metrics 100000 3 0)
with=$(build/bench_metrics 100000 3 1000)
echo "$base"
echo "$with"
rss() { sed -n 's/.*RSS \([0-9]*\) KiB.*/\1/p' <<<"$1"; }
ms() { sed -n 's/.*evaluation \([0-9.]*\) ms per second.*/\1/p' <<<"$1"; }
echo "bench: alerts at 100K ports, a tenth flapping (simulator world): RSS $(rss "$with") KiB with" \
	"1,000 per-port rules against $(rss "$base") KiB without (+$(( $(rss "$with") - $(rss "$base") )) KiB);" \
	"a second of the core (evaluation included) $(ms "$with") ms against $(ms "$base") ms"
