#!/bin/bash
# Daemon CPU per netlink message over a flap storm: PORTS veth ports in a namespace, every
# peer flapped ROUNDS times with ip -batch; CPU time from /proc/<pid>/stat (user + system),
# messages counted by an independent listener (tools/nl-record) in the same namespace.
# Usage: storm.sh DAEMON NL_RECORD [PORTS] [ROUNDS]
set -eu
DAEMON=$(realpath "$1")
RECORD=$(realpath "$2")
PORTS=${3:-512}
ROUNDS=${4:-10}
. "$(dirname "$0")/lib.sh"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }

setup_ports "$DAEMON" "$PORTS"
sleep 0.5
for r in $(seq 1 "$ROUNDS"); do
	for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i up"; done
	for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i down"; done
done > "$D/storm.batch"
for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i up"; done >> "$D/storm.batch"
ip netns exec "$NS" "$RECORD" - > "$D/record.out" &
REC=$!
recorder_ready() { grep -q ready "$D/record.out"; }
wait_for 5 recorder_ready
before=$(cpu_ticks)
ip -n "$NS" -batch "$D/storm.batch"
all_up() { [ "$(count_oper_up)" = "$PORTS" ]; }
wait_for 120 all_up
sleep 1 # let the last echoes drain
after=$(cpu_ticks)
kill -INT "$REC"
wait "$REC" || true
REC=
links=$(awk '/^datagrams/ {print $4}' "$D/record.out")
hz=$(getconf CLK_TCK)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$PID/status")
awk -v t=$((after - before)) -v hz="$hz" -v n="$links" -v p="$PORTS" -v rss="$rss" -v hwm="$hwm" 'BEGIN {
	printf "daemon: %d ports, %d link messages, %.2f s CPU: %.2f us CPU/message; RSS %d KiB (peak %d KiB)\n",
		p, n, t / hz, t / hz * 1e6 / n, rss, hwm }'
