#!/bin/bash
# Time to converge after a Redis outage: PORTS ports written, Redis killed, every port's
# carrier changed while it is down, Redis back after DOWN seconds (or once the kernel has
# reported every change, if that takes longer: kernel_ms), either
#  kept:  with its data (AOF, appendfsync always), or
#  empty: without persistence; the bench loads CONFIG_DB again as soon as Redis answers (as a
#         switch would from config_db.json) and consumes APPL_DB as orchagent would.
# The figure is the time from Redis answering PING again until STATE_DB shows every port's new
# state, polled every 2 ms (tools/ks-latency converge). DAEMON_ARGS go to the daemon.
# Usage: outage.sh DAEMON KS_LATENCY [PORTS] [DOWN] [kept|empty] [DAEMON_ARGS...]
set -eu -o pipefail
DAEMON=$(realpath "$1")
KSLAT=$(realpath "$2")
PORTS=${3:-1000}
DOWN=${4:-2}
MODE=${5:-kept}
shift $(($# < 5 ? $# : 5))
. "$(dirname "$0")/lib.sh"

case $MODE in
kept) persist=(--appendonly yes --appendfsync always) ;;
empty) persist=(--appendonly no) ;;
*) echo "outage: kept or empty, not $MODE" >&2; exit 2 ;;
esac
start_redis "${persist[@]}"
setup_ports "$DAEMON" "$PORTS" "$@"
{ kill -KILL "$REDIS_PID" && wait "$REDIS_PID"; } 2>/dev/null || true
REDIS_PID=
[ "$MODE" = kept ] || rm -f "$D"/*.rdb
for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i up"; done > "$D/up.batch"
t0=$(date +%s%N)
ip -n "$NS" -batch "$D/up.batch" # every port dirty while Redis is down
# The kernel reports a carrier change from its linkwatch work (operstate, then the link
# message), which the rtnl_lock of a busy machine can hold back for seconds: Redis comes back
# only once every port's operstate is up, so that the figure is the daemon's.
kernel_done() { [ "$(ip -n "$NS" -o link show | grep -c '^[0-9]*: Ethernet[0-9]*@.* state UP ')" = "$PORTS" ]; }
wait_for 60 kernel_done
kernel_ms=$((($(date +%s%N) - t0) / 1000000))
rest=$(awk -v d="$DOWN" -v k="$kernel_ms" 'BEGIN {printf "%d", d * 1000 - k}')
[ "$rest" -le 0 ] || sleep "$(awk -v ms="$rest" 'BEGIN {printf "%.3f", ms / 1000}')"
spawn_redis "${persist[@]}"
if [ "$MODE" = kept ]; then
	out=$("$KSLAT" converge "$SOCK" "$PORTS")
else
	out=$("$KSLAT" converge "$SOCK" "$PORTS" --load "$D/config.cmds" --consume)
fi
kill -0 "$PID" || { echo "outage: the daemon exited" >&2; exit 1; }
echo "outage: mode=$MODE ports=$PORTS down_s=$DOWN" \
	"converged_ms=$(echo "$out" | sed -n 's/.* converged_us=\([0-9]*\).*/\1/p' | awk '{printf "%d", $1 / 1000}')" \
	"kernel_ms=$kernel_ms load_ms=$(echo "$out" | sed -n 's/.* load_us=\([0-9]*\).*/\1/p' | awk '{printf "%d", $1 / 1000}')" \
	"args=${*:-none}"
