#!/bin/bash
# make soak (needs root; not part of make test): the real daemon for MINUTES minutes on PORTS
# veth ports in a namespace that keep flapping, /metrics scraped every second, Redis restarted
# (with its data: append-only file) every RESTART_S seconds. Each minute it prints the daemon's
# RSS, open descriptors, CPU (schedstat ns a second, summed over its threads), log lines, the oper
# changes the kernel made (the ports' carrier_changes) and the scrapes that failed. It compares a
# window of minutes at the start with one at the end (each as long as the restart period, so
# each holds one Redis restart; medians) and fails when, at the end:
#   - RSS (the last minute's) is more than 10% (and more than 1024 KiB) above the start window's;
#   - open descriptors are more than 2 above the start window's (a scrape or a reconnection in
#     flight at the sample);
#   - CPU per oper change is more than 1.5 times the start window's plus 20 us (the machine's
#     other work makes it noisy);
#   - log lines per 1,000 oper changes are more than 1.2 times the start window's plus 5.
# CPU and log lines are judged per oper change, as the flapping's pace follows the machine's
# load; a second and a minute of each are printed too;
# or when the daemon died, a scrape in 20 failed, or STATE_DB does not hold the kernel's final
# state once the flapping stops.
# Every FLAP_S seconds the next FLAP_N peers go up, and FLAP_S seconds later down again: about
# FLAP_N oper changes every FLAP_S seconds, over every port in turn.
# What it prints is kept in build/soak/output.txt (tools/bench-figures.sh writes testing.md's
# soak figures from it).
# Usage: soak.sh DAEMON [MINUTES [PORTS]]   (SOAK_MINUTES, default 10; 500 ports)
#        environment: SOAK_RESTART_S (180), SOAK_FLAP_N (50), SOAK_FLAP_S (1)
set -eu -o pipefail
trap 'echo "soak: FAILED: $0 line $LINENO: $BASH_COMMAND" >&2' ERR
TOP=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$TOP/build/soak"
exec > >(tee "$TOP/build/soak/output.txt") 2>&1
load() { cut -d ' ' -f 1-3 /proc/loadavg; }
echo "soak: commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$TOP" \
	diff --quiet HEAD 2>/dev/null || echo ' with uncommitted changes'), $(date -u '+%Y-%m-%d %H:%M UTC')," \
	"$(nproc) cores, load average $(load) at the start"
DAEMON=$(realpath "$1")
MINUTES=${2:-${SOAK_MINUTES:-10}}
PORTS=${3:-500}
RESTART_S=${SOAK_RESTART_S:-180}
FLAP_N=${SOAK_FLAP_N:-50}
FLAP_S=${SOAK_FLAP_S:-1}
METRICS_PORT=9808
[ "$MINUTES" -ge 2 ] || { echo "soak: at least 2 minutes" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"
# the window compared: the restart period in minutes, at most half of the run
WIN=$(( (RESTART_S + 59) / 60 ))
[ "$WIN" -le $((MINUTES / 2)) ] || WIN=$((MINUTES / 2))

start_redis --appendonly yes --appendfsync everysec
setup_ports "$DAEMON" "$PORTS" --metrics-port "$METRICS_PORT"
ip -n "$NS" link set lo up # bench/lib.sh leaves it down: no scrape otherwise
echo "soak: $DAEMON, $PORTS ports, $MINUTES minutes: $FLAP_N peers up or down every $FLAP_S s," \
	"/metrics every second, Redis restarted every $RESTART_S s; start and end windows of $WIN min"

restart_redis() {
	kill -TERM "$REDIS_PID"
	wait "$REDIS_PID" || true
	spawn_redis --appendonly yes --appendfsync everysec
	wait_for 10 redis_up
}
flap() { # flap FIRST STATE: FLAP_N peers from FIRST set STATE
	local i
	for i in $(seq "$1" $(($1 + FLAP_N - 1))); do echo "link set p$((i % PORTS)) $2"; done > "$D/flap.batch"
	ip -n "$NS" -batch "$D/flap.batch"
}
fds() { find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/status"; }
alive() { kill -0 "$PID" 2>/dev/null || { echo "soak: FAILED: the daemon died ($(tail -n 3 "$D/daemon.log"))" >&2; exit 1; }; }

next_second() { sleep "$(printf '0.%09d' $((999999999 - 10#$(date +%N))))"; }
# the scraper: one GET /metrics a second, on its own, each answer's outcome a line
(while :; do
	if ip netns exec "$NS" curl -sf -m 2 -o /dev/null "http://127.0.0.1:$METRICS_PORT/metrics"; then
		echo ok
	else
		echo failed
	fi
	next_second
done) >> "$D/scrapes" 2>/dev/null &
SCRAPER=$!
soak_cleanup() { kill "$SCRAPER" 2>/dev/null || true; cleanup; }
trap soak_cleanup EXIT
trap 'exit 143' TERM INT # the cleanup runs when the soak is stopped too
scraped() { grep -c "^$1" "$D/scrapes" || true; }

read -r c0 _ t0 <<<"$(proc_sample)"
l0=$(wc -l < "$D/daemon.log")
k0=$(carrier_changes)
start=$(date +%s)
next_restart=$((start + RESTART_S / 2))
next_flap=$start
first=0 state=up restarts=0 s0=0 f0=0
: > "$D/minutes"
for minute in $(seq 1 "$MINUTES"); do
	end=$((start + minute * 60))
	while [ "$(date +%s)" -lt "$end" ]; do
		now=$(date +%s)
		if [ "$now" -ge "$next_flap" ]; then
			flap "$first" "$state"
			if [ "$state" = up ]; then state=down; else state=up first=$(((first + FLAP_N) % PORTS)); fi
			next_flap=$((now + FLAP_S))
		fi
		if [ "$now" -ge "$next_restart" ]; then
			restart_redis
			restarts=$((restarts + 1))
			next_restart=$((now + RESTART_S))
		fi
		next_second
	done
	alive
	read -r c1 _ t1 <<<"$(proc_sample)"
	l1=$(wc -l < "$D/daemon.log")
	rss=$(status VmRSS) fd=$(fds)
	cpu=$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN {printf "%.0f", c / (t / 1e9)}')
	lines=$((l1 - l0))
	k1=$(carrier_changes)
	changes=$((k1 - k0))
	per_change=$(awk -v c=$((c1 - c0)) -v n="$changes" 'BEGIN {printf "%.0f", (n > 0 ? c / n : 0)}')
	lines_k=$(awk -v l="$lines" -v n="$changes" 'BEGIN {printf "%.1f", (n > 0 ? l * 1000 / n : 0)}')
	echo "$minute $rss $fd $cpu $lines $changes $per_change $lines_k" >> "$D/minutes"
	s1=$(scraped ok) f1=$(scraped failed)
	echo "soak: minute $minute: rss_kib=$rss fds=$fd cpu_ns_per_s=$cpu log_lines=$lines" \
		"oper_changes=$changes cpu_ns_per_change=$per_change log_lines_per_1000_changes=$lines_k" \
		"scrapes=$((s1 + f1 - s0 - f0)) scrapes_failed=$((f1 - f0)) redis_restarts=$restarts"
	c0=$c1 t0=$t1 l0=$l1 s0=$s1 f0=$f1 k0=$k1
done

# the flapping stops: every peer down, and STATE_DB must say so of every port
for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i down"; done > "$D/flap.batch"
ip -n "$NS" -batch "$D/flap.batch"
none_up() { [ "$(count_oper_up)" = 0 ]; }
converged=yes
wait_for_quiet() { local i; for i in $(seq 1 600); do none_up && return 0; sleep 0.1; done; return 1; }
wait_for_quiet || converged=no
alive

# window FIRST LAST COLUMN: the median of COLUMN over minutes FIRST..LAST
window() { awk -v a="$1" -v b="$2" -v c="$3" '$1 >= a && $1 <= b {print $c}' "$D/minutes" | sort -n |
	awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
last_rss() { awk 'END {print $2}' "$D/minutes"; }
e0=$((MINUTES - WIN + 1))
s_rss=$(window 1 "$WIN" 2) e_rss=$(last_rss)
s_fd=$(window 1 "$WIN" 3) e_fd=$(window "$e0" "$MINUTES" 3)
s_cpu=$(window 1 "$WIN" 4) e_cpu=$(window "$e0" "$MINUTES" 4)
s_lines=$(window 1 "$WIN" 5) e_lines=$(window "$e0" "$MINUTES" 5)
s_pc=$(window 1 "$WIN" 7) e_pc=$(window "$e0" "$MINUTES" 7)
s_lk=$(window 1 "$WIN" 8) e_lk=$(window "$e0" "$MINUTES" 8)
verdict() { awk "BEGIN {print ($1) ? \"ok\" : \"GREW\"}"; }
v_rss=$(verdict "$e_rss <= $s_rss * 1.10 || $e_rss <= $s_rss + 1024")
v_fd=$(verdict "$e_fd <= $s_fd + 2")
v_cpu=$(verdict "$e_pc <= $s_pc * 1.5 + 20000")
v_lines=$(verdict "$e_lk <= $s_lk * 1.2 + 5")
kill "$SCRAPER" 2>/dev/null || true
failed=$(scraped failed) scrapes=$(($(scraped ok) + failed))
v_scrapes=$(verdict "$failed * 20 <= $scrapes")
echo "soak: start (minutes 1-$WIN, medians) -> end (minutes $e0-$MINUTES; RSS of the last):" \
	"RSS $s_rss -> $e_rss KiB ($v_rss: within 10% or 1024 KiB);" \
	"descriptors $s_fd -> $e_fd ($v_fd: at most 2 more);" \
	"CPU $s_cpu -> $e_cpu ns a second, $s_pc -> $e_pc ns per oper change ($v_cpu: within 1.5" \
	"times + 20000 ns); log lines $s_lines -> $e_lines a minute, $s_lk -> $e_lk per 1000 oper" \
	"changes ($v_lines: within 1.2 times + 5)"
echo "soak: $restarts Redis restarts, $scrapes scrapes, $failed failed ($v_scrapes: at most 1 in 20);" \
	"STATE_DB holds every port down after the flapping stops: $converged"
for v in "$v_rss" "$v_fd" "$v_cpu" "$v_lines" "$v_scrapes"; do
	[ "$v" = ok ] || { echo "soak: FAILED: a figure grew beyond its tolerance" >&2; exit 1; }
done
[ "$converged" = yes ] || { echo "soak: FAILED: STATE_DB does not hold the final state" >&2; exit 1; }
echo "soak: passed, load average $(load) at the end"
