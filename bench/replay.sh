#!/bin/bash
# Replay throughput (make bench): a 512-port veth storm recorded with --record, replayed at full
# speed with --replay into a fresh redis-server. Messages per second = the capture's datagrams
# over the time from "Listen to link messages" until STATE_DB holds the storm's final state
# (every port down), both polled every 2 ms; median of 3. Next to it, redis-benchmark's
# pipelined rate (-P 16) for the same HSET on the same unix socket, and the ratio.
# Usage: replay.sh DAEMON [PORTS] [ROUNDS]
set -eu
DAEMON=$(realpath "$1")
PORTS=${2:-512}
ROUNDS=${3:-20}
. "$(dirname "$0")/lib.sh"
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

setup_ports "$DAEMON" "$PORTS" --record "$D/storm.pcap"
for r in $(seq 1 "$ROUNDS"); do
	for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i up"; done
	for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i down"; done
done > "$D/storm.batch"
ip -n "$NS" -batch "$D/storm.batch"
all_down() { [ "$(count_oper_up)" = 0 ]; }
wait_for 120 all_down
kill -TERM "$PID" && wait "$PID" || true
PID=

rates=$(for i in 1 2 3; do
	R 0 FLUSHALL >/dev/null
	for p in $(seq 0 $((PORTS - 1))); do
		echo "HSET PORT|Ethernet$p admin_status up lanes $p mtu 9100 speed 100000"
	done | R 4 >/dev/null
	for p in $(seq 0 $((PORTS - 1))); do echo "HSET PORT_TABLE:Ethernet$p admin_status up"; done |
		R 0 >/dev/null
	R 0 HSET PORT_TABLE:PortConfigDone count "$PORTS" >/dev/null
	"$DAEMON" --db-config "$D/db.json" --log-output stderr --replay "$D/storm.pcap" \
		2>"$D/replay.log" &
	PID=$!
	until grep -q "Listen to link messages" "$D/replay.log"; do sleep 0.002; done
	t0=$(date +%s%N)
	until [ "$(R 6 EVAL "local n = 0 for _, k in ipairs(redis.call('KEYS', 'PORT_TABLE|*')) do if redis.call('HGET', k, 'netdev_oper_status') == 'down' then n = n + 1 end end return n" 0)" = "$PORTS" ] &&
		grep -q "capture ended" "$D/replay.log"; do sleep 0.002; done
	t1=$(date +%s%N)
	kill -TERM "$PID" && wait "$PID" || true
	PID=
	n=$(sed -n 's/.*replay: \([0-9]*\) datagrams fed.*/\1/p' "$D/replay.log")
	sed -n "s/.*\(replay: .*\); capture ended/\1/p" "$D/replay.log" >&2
	echo $((n * 1000000000 / (t1 - t0)))
done)
n=$(sed -n 's/.*replay: \([0-9]*\) datagrams fed.*/\1/p' "$D/replay.log")
rate=$(echo "$rates" | median)
hset=$(redis-benchmark -s "$SOCK" -n 200000 -P 16 -q HSET "PORT_TABLE|Ethernet0" state ok \
	netdev_oper_status up admin_status up mtu 9100 | tr '\r' '\n' |
	sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -n 1)
awk -v r="$rate" -v h="$hset" -v n="$n" 'BEGIN {
	printf "bench: replay of a %d-message capture into redis-server (median of 3): %d messages/s; redis-benchmark HSET -P 16 on the same socket: %d requests/s; ratio %.2f\n",
		n, r, h, r / h }'
