#!/bin/bash
# Metrics figures (make bench, needs root):
#  - the daemon's own latency histogram (link message received -> Redis acknowledged its STATE_DB
#    write), read from /metrics: p50 and p99 after a PORTS-port flap storm, and over idle flaps
#    (one port at a time, each handled alone);
#  - CPU per link message over the storm with metrics on (endpoint scraped every second) as a
#    ratio to metrics off (--metrics=false --link-stats=false), and with link analytics on too,
#    medians of 3;
#  - time to render /metrics with 100K ports, the core's size and RSS (build/bench_metrics).
# Usage: metrics.sh DAEMON NL_RECORD [PORTS] [ROUNDS]
#        metrics.sh --cpu on|metrics|off DAEMON NL_RECORD PORTS ROUNDS [DAEMON ARG...]
#                                               (one CPU run; the arguments go to the daemon)
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

storm_batch() { # storm_batch PORTS ROUNDS FILE
	for r in $(seq 1 "$2"); do
		for i in $(seq 0 $(($1 - 1))); do echo "link set p$i up"; done
		for i in $(seq 0 $(($1 - 1))); do echo "link set p$i down"; done
	done > "$3"
	for i in $(seq 0 $(($1 - 1))); do echo "link set p$i up"; done >> "$3"
}

if [ "${1:-}" = --cpu ]; then
	mode=$2
	DAEMON=$(realpath "$3")
	RECORD=$(realpath "$4")
	PORTS=$5
	ROUNDS=$6
	shift 6
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
	storm_batch "$PORTS" "$ROUNDS" "$D/storm.batch"
	ip netns exec "$NS" "$RECORD" - > "$D/record.out" &
	REC=$!
	recorder_ready() { grep -q ready "$D/record.out"; }
	wait_for 5 recorder_ready
	cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
	before=$(cpu_ticks)
	ip -n "$NS" -batch "$D/storm.batch"
	all_up() { [ "$(count_oper_up)" = "$PORTS" ]; }
	wait_for 120 all_up
	sleep 1
	after=$(cpu_ticks)
	kill -INT "$REC"
	wait "$REC" || true
	REC=
	links=$(awk '/^datagrams/ {print $4}' "$D/record.out")
	awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$links" \
		'BEGIN { printf "%.3f\n", t / hz * 1e6 / n }'
	exit 0
fi

DAEMON=$(realpath "${1:?usage: metrics.sh DAEMON NL_RECORD [PORTS] [ROUNDS]}")
RECORD=$(realpath "${2:?usage: metrics.sh DAEMON NL_RECORD [PORTS] [ROUNDS]}")
PORTS=${3:-512}
ROUNDS=${4:-20}

# latency: one daemon, a storm, then idle flaps
(
	. bench/lib.sh
	scrape() { ip netns exec "$NS" curl -sf "http://127.0.0.1:$PORT/metrics" > "$1"; }
	setup_ports "$DAEMON" "$PORTS"
	ip -n "$NS" link set lo up
	sleep 0.5
	storm_batch "$PORTS" "$ROUNDS" "$D/storm.batch"
	scrape "$D/s0"
	ip -n "$NS" -batch "$D/storm.batch"
	all_up() { [ "$(count_oper_up)" = "$PORTS" ]; }
	wait_for 120 all_up
	sleep 1
	scrape "$D/s1"
	echo "bench: ack latency, message received -> Redis acknowledged, $PORTS-port storm x $ROUNDS ($(observations "$D/s0" "$D/s1") writes): p50 $(quantile 0.5 "$D/s0" "$D/s1") us, p99 $(quantile 0.99 "$D/s0" "$D/s1") us (goal p50 <= 50, p99 <= 400)"
	for i in $(seq 1 200); do
		ip -n "$NS" link set "p$((i % PORTS))" down
		sleep 0.01
		ip -n "$NS" link set "p$((i % PORTS))" up
		sleep 0.01
	done
	sleep 0.5
	scrape "$D/s2"
	echo "bench: ack latency on idle flaps ($(observations "$D/s1" "$D/s2") writes): p50 $(quantile 0.5 "$D/s1" "$D/s2") us, p99 $(quantile 0.99 "$D/s1" "$D/s2") us (goal p50 <= 50, p99 <= 400)"
)

on=""
metrics=""
off=""
for i in 1 2 3; do
	off="$off $(bench/metrics.sh --cpu off "$DAEMON" "$RECORD" "$PORTS" "$ROUNDS")"
	metrics="$metrics $(bench/metrics.sh --cpu metrics "$DAEMON" "$RECORD" "$PORTS" "$ROUNDS")"
	on="$on $(bench/metrics.sh --cpu on "$DAEMON" "$RECORD" "$PORTS" "$ROUNDS")"
done
med() { echo "$1" | tr ' ' '\n' | sed '/^$/d' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
m_off=$(med "$off")
m_metrics=$(med "$metrics")
m_on=$(med "$on")
echo "bench: CPU per link message, $PORTS-port storm x $ROUNDS (median of 3): metrics off $m_off us; metrics on (scraped every second) $m_metrics us: ratio $(ratio "$m_metrics" "$m_off") (goal <= 1.05); with link analytics too (a log line and a coalesced PORT_LINK_STATS write per change) $m_on us: ratio $(ratio "$m_on" "$m_off") (runs off:$off, metrics:$metrics, analytics:$on)"

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
