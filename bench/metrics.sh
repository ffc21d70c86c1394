#!/bin/bash
# Metrics figures (make bench, needs root):
#  - the daemon's own latency histogram (link message received -> Redis acknowledged its STATE_DB
#    write), read from /metrics: p50 and p99 after a PORTS-port flap storm, and over idle flaps
#    (one port at a time, each handled alone);
#  - CPU per port change over the storm (schedstat ns over the active window, from just before
#    the storm to the daemon's last STATE_DB write, divided by the oper changes the kernel made;
#    bench/lib.sh run_storm) with metrics on (endpoint scraped every second) as a ratio to
#    metrics off (--metrics=false --link-stats=false), and with link analytics on too, the three
#    in turn, medians of 3;
#  - time to render /metrics with 100K ports, the core's size and RSS (build/bench_metrics).
# Usage: metrics.sh DAEMON NL_RECORD KS_LATENCY [PORTS] [ROUNDS]
#        metrics.sh --cpu on|metrics|off DAEMON NL_RECORD KS_LATENCY PORTS ROUNDS [DAEMON ARG...]
#                                  (one CPU run: ns per port change; the arguments go to the daemon)
set -eu
cd "$(dirname "$0")/.."
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
PORT=9808

# quantile Q BEFORE AFTER: the Q quantile in us of portsyncd_link_ack_latency_seconds between two
# scrapes, interpolated within its bucket as Prometheus's histogram_quantile() does
quantile() {
	awk -v q="$1" '
	FNR == NR && /^portsyncd_link_ack_latency_seconds_bucket/ { b[le($0)] = $2; next }
	/^portsyncd_link_ack_latency_seconds_bucket/ { l = le($0); d[++n] = $2 - b[l]; bound[n] = l }
	function le(s) { sub(/.*le="/, "", s); sub(/".*/, "", s); return s }
	END {
		total = d[n]
		if (total == 0) { print "none"; exit }
		rank = q * total; lo = 0; prev = 0
		for (i = 1; i <= n; i++) {
			if (d[i] >= rank) {
				if (bound[i] == "+Inf") { printf ">%.0f", lo * 1e6; exit }
				printf "%.0f", (lo + (bound[i] - lo) * (rank - prev) / (d[i] - prev)) * 1e6
				exit
			}
			lo = bound[i]; prev = d[i]
		}
	}' "$2" "$3"
}
observations() { # the writes observed between two scrapes
	awk '/^portsyncd_link_ack_latency_seconds_count/ {v[FILENAME] = $2; f[++n] = FILENAME}
		END {print v[f[2]] - v[f[1]]}' "$1" "$2"
}
# latency QUANTILE GOAL_US S0 S1: the quantile between two scrapes and its goal, met or MISSED
latency() {
	local q
	q=$(quantile "$1" "$3" "$4")
	case $q in
	none) echo "bench: FAILED: ack latency: no write observed between two scrapes" >&2; exit 1 ;;
	'>'*) echo "$q us (goal <= $2: MISSED)" ;;
	*) echo "$q us (goal <= $2: $(awk -v v="$q" -v g="$2" 'BEGIN {print (v <= g ? "met" : "MISSED")}'))" ;;
	esac
}

if [ "${1:-}" = --cpu ]; then
	mode=$2
	DAEMON=$(realpath "$3")
	RECORD=$(realpath "$4")
	KSLAT=$(realpath "$5")
	PORTS=$6
	ROUNDS=$7
	shift 7
	. bench/lib.sh
	if [ "$mode" = on ] || [ "$mode" = metrics ]; then
		# metrics: the endpoint scraped, without link analytics (their log lines and writes)
		if [ "$mode" = on ]; then setup_ports "$DAEMON" "$PORTS"
		else setup_ports "$DAEMON" "$PORTS" --link-stats=false; fi
		ip -n "$NS" link set lo up # bench/lib.sh leaves it down: no scrape otherwise
		(while sleep 1; do ip netns exec "$NS" curl -sf "http://127.0.0.1:$PORT/metrics" \
			> /dev/null || true; done) &
		SCRAPER=$!
		trap 'kill $SCRAPER 2>/dev/null; cleanup' EXIT
	else
		setup_ports "$DAEMON" "$PORTS" --metrics=false --link-stats=false "$@"
	fi
	sleep 0.5
	storm=$(run_storm "$KSLAT" "$RECORD" "$PORTS" "$ROUNDS")
	cpu=$(sed -n 's/.* cpu_ns=\([0-9]*\).*/\1/p' <<<"$storm")
	changes=$(sed -n 's/.* changes=\([0-9]*\).*/\1/p' <<<"$storm")
	awk -v c="$cpu" -v n="$changes" 'BEGIN { if (c != "" && n > 0) printf "%.0f\n", c / n }'
	exit 0
fi

usage="usage: metrics.sh DAEMON NL_RECORD KS_LATENCY [PORTS] [ROUNDS]"
DAEMON=$(realpath "${1:?$usage}")
RECORD=$(realpath "${2:?$usage}")
KSLAT=$(realpath "${3:?$usage}")
PORTS=${4:-512}
ROUNDS=${5:-20}

# latency: one daemon, a storm, then idle flaps
(
	. bench/lib.sh
	scrape() { ip netns exec "$NS" curl -sf "http://127.0.0.1:$PORT/metrics" > "$1"; }
	setup_ports "$DAEMON" "$PORTS"
	ip -n "$NS" link set lo up
	sleep 0.5
	scrape "$D/s0"
	run_storm "$KSLAT" "$RECORD" "$PORTS" "$ROUNDS" > /dev/null
	scrape "$D/s1"
	p50=$(latency 0.5 50 "$D/s0" "$D/s1")
	p99=$(latency 0.99 400 "$D/s0" "$D/s1")
	echo "bench: ack latency, message received -> Redis acknowledged, $PORTS-port storm x $ROUNDS ($(observations "$D/s0" "$D/s1") writes): p50 $p50, p99 $p99"
	for i in $(seq 1 200); do
		ip -n "$NS" link set "p$((i % PORTS))" down
		sleep 0.01
		ip -n "$NS" link set "p$((i % PORTS))" up
		sleep 0.01
	done
	sleep 0.5
	scrape "$D/s2"
	p50=$(latency 0.5 50 "$D/s1" "$D/s2")
	p99=$(latency 0.99 400 "$D/s1" "$D/s2")
	echo "bench: ack latency on idle flaps ($(observations "$D/s1" "$D/s2") writes): p50 $p50, p99 $p99"
)

on=""
metrics=""
off=""
cpu() { # cpu MODE: one run's ns per port change, or the bench fails naming it
	local v
	v=$(bench/metrics.sh --cpu "$1" "$DAEMON" "$RECORD" "$KSLAT" "$PORTS" "$ROUNDS")
	[[ $v =~ ^[0-9]+$ ]] || { echo "bench: FAILED: CPU per port change, metrics $1: no figure ('$v')" >&2; exit 1; }
	echo "$v"
}
for i in 1 2 3; do
	off="$off $(cpu off)"
	metrics="$metrics $(cpu metrics)"
	on="$on $(cpu on)"
done
med() { echo "$1" | tr ' ' '\n' | sed '/^$/d' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
m_off=$(med "$off")
m_metrics=$(med "$metrics")
m_on=$(med "$on")
r=$(ratio "$m_metrics" "$m_off")
echo "bench: CPU per port change (schedstat ns over the active window / the oper changes the kernel made), $PORTS-port storm x $ROUNDS (median of 3): metrics off $m_off ns; metrics on (scraped every second) $m_metrics ns: ratio $r (goal <= 1.05: $(awk -v r="$r" 'BEGIN {print (r <= 1.05 ? "met" : "MISSED")}')); with link analytics too (a log line and a coalesced PORT_LINK_STATS write per change) $m_on ns: ratio $(ratio "$m_on" "$m_off") (runs off:$off, metrics:$metrics, analytics:$on)"

build/bench_metrics 100000 101 | sed 's/^bench_metrics:/bench: \/metrics render (goal <= 5 ms):/'
# 1,024 ports: every one with its per-port series (port_series_max's default)
build/bench_metrics 1024 101 | sed 's/^bench_metrics:/bench: \/metrics render, per-port series (goal <= 5 ms):/'
if command -v valgrind >/dev/null; then
	renders() { # instructions of N renders at 1,024 ports (callgrind, the render alone)
		valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect=psd_metrics_render \
			build/bench_metrics 1024 "$1" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
	}
	r11=$(renders 11)
	r21=$(renders 21)
	echo "bench: /metrics render at 1,024 ports with per-port series: $(( (r21 - r11) / 10 )) instructions per render (callgrind, 21 - 11 renders)"
fi
