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
D=$(mktemp -d /tmp/psd-storm.XXXXXX)
NS=psdstorm$$
SOCK=$D/redis.sock
R() { db=$1; shift; redis-cli -s "$SOCK" -n "$db" "$@"; }
cleanup() {
	[ -n "${PID:-}" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "${REC:-}" ] && kill "$REC" 2>/dev/null
	kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	sleep 0.2
	rm -rf "$D"
}
trap cleanup EXIT
wait_for() { # wait_for SECONDS CMD...
	local end=$(($(date +%s) + $1)); shift
	until "$@"; do [ "$(date +%s)" -lt $end ] || { echo "storm: timed out: $*" >&2; exit 1; }; sleep 0.1; done
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
split_ticks() { awk '{print "user", $14, "system", $15}' "/proc/$PID/stat"; }

redis-server --port 0 --unixsocket "$SOCK" --save '' --appendonly no \
	--logfile "$D/redis.log" --dir "$D" >/dev/null &
REDIS_PID=$!
redis_up() { R 0 PING >/dev/null 2>&1; }
wait_for 5 redis_up
cat > "$D/db.json" <<JSON
{"INSTANCES": {"redis": {"unix_socket_path": "$SOCK"}},
 "DATABASES": {"APPL_DB": {"id": 0, "separator": ":", "instance": "redis"},
               "CONFIG_DB": {"id": 4, "separator": "|", "instance": "redis"},
               "STATE_DB": {"id": 6, "separator": "|", "instance": "redis"}}}
JSON
for i in $(seq 0 $((PORTS - 1))); do
	echo "HSET PORT|Ethernet$i admin_status up lanes $i mtu 9100 speed 100000"
done | R 4 >/dev/null
ip netns add "$NS"
ip netns exec "$NS" "$DAEMON" --db-config "$D/db.json" --log-output stderr 2>"$D/daemon.log" &
PID=$!
config_done() { [ "$(R 0 EXISTS _PORT_TABLE:PortConfigDone)" = 1 ]; }
wait_for 10 config_done
R 0 EVAL "local ks = redis.call('SPOP', KEYS[1], ARGV[1]) for _, k in ipairs(ks) do local fv = redis.call('HGETALL', '_PORT_TABLE:' .. k) for i = 1, #fv, 2 do redis.call('HSET', 'PORT_TABLE:' .. k, fv[i], fv[i+1]) end redis.call('DEL', '_PORT_TABLE:' .. k) end return #ks" 1 PORT_TABLE_KEY_SET 100000 >/dev/null
for i in $(seq 0 $((PORTS - 1))); do
	echo "link add Ethernet$i type veth peer name p$i"
	echo "link set Ethernet$i up"
done > "$D/create.batch"
ip -n "$NS" -batch "$D/create.batch"
all_written() { [ "$(R 6 EVAL "return #redis.call('KEYS', 'PORT_TABLE|*')" 0)" = "$PORTS" ]; }
wait_for 60 all_written
sleep 0.5
for r in $(seq 1 "$ROUNDS"); do
	for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i up"; done
	for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i down"; done
done > "$D/storm.batch"
for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i up"; done >> "$D/storm.batch"

ip netns exec "$NS" "$RECORD" - > "$D/record.out" &
REC=$!
wait_for 5 grep -q ready "$D/record.out"
before=$(cpu_ticks)
[ -n "${STORM_TRACE:-}" ] && { $STORM_TRACE -p "$PID" > "$D/trace.out" 2>&1 & TRACER=$!; sleep 1; }
ip -n "$NS" -batch "$D/storm.batch"
all_up() {
	[ "$(R 6 EVAL "local n = 0 for _, k in ipairs(redis.call('KEYS', 'PORT_TABLE|*')) do if redis.call('HGET', k, 'netdev_oper_status') == 'up' then n = n + 1 end end return n" 0)" = "$PORTS" ]
}
wait_for 120 all_up
sleep 1 # let the last echoes drain
after=$(cpu_ticks)
[ -n "${TRACER:-}" ] && { kill -INT "$TRACER"; wait "$TRACER" || true; head -n 40 "$D/trace.out" >&2; }
[ -n "${STORM_SPLIT:-}" ] && split_ticks >&2
[ -n "${STORM_SMAPS:-}" ] && awk '/^[0-9a-f]+-/ {name = $6} /^Rss:/ {rss[name] += $2} END {for (n in rss) if (rss[n] > 0) printf "%6d KiB %s\n", rss[n], n}' "/proc/$PID/smaps" | sort -rn | head -n 14 >&2
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
