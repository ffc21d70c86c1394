#!/bin/bash
# Time to converge after a Redis outage: PORTS ports written, Redis (with AOF) killed, every
# port's carrier changed while it is down, Redis back after DOWN seconds; the figure is the time
# from Redis answering again until STATE_DB shows every port's new state.
# Usage: outage.sh DAEMON [PORTS] [DOWN]
set -eu
DAEMON=$(realpath "$1")
PORTS=${2:-1000}
DOWN=${3:-2}
. "$(dirname "$0")/lib.sh"

start_redis --appendonly yes --appendfsync always
setup_ports "$DAEMON" "$PORTS"
kill -KILL "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null || true
REDIS_PID=
for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i up"; done > "$D/up.batch"
ip -n "$NS" -batch "$D/up.batch" # every port dirty while Redis is down
sleep "$DOWN"
start_redis --appendonly yes --appendfsync always
back=$(date +%s%N)
all_up() { [ "$(count_oper_up)" = "$PORTS" ]; }
wait_for 120 all_up
done_ns=$(date +%s%N)
kill -0 "$PID" || { echo "outage: the daemon exited" >&2; exit 1; }
echo "outage: $PORTS ports dirty, Redis down ${DOWN} s: converged $(( (done_ns - back) / 1000000 )) ms after Redis came back"
