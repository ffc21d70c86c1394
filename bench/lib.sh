# Shared set-up of the daemon benchmarks: a private redis-server, a namespace, N configured
# ports with veths, the daemon; and cleanup. Sourced by storm.sh and outage.sh.
D=$(mktemp -d /tmp/psd-bench.XXXXXX)
NS=psdbench$$
SOCK=$D/redis.sock
R() { db=$1; shift; redis-cli -s "$SOCK" -n "$db" "$@"; }
cleanup() {
	[ -n "${PID:-}" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "${REC:-}" ] && kill "$REC" 2>/dev/null
	[ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	sleep 0.2
	[ -z "${BENCH_KEEP:-}" ] || cp "$D"/*.log "$BENCH_KEEP"/ # BENCH_KEEP=DIR: the logs, kept
	rm -rf "$D"
}
trap cleanup EXIT
wait_for() { # wait_for SECONDS CMD...
	local end=$(($(date +%s) + $1)); shift
	until "$@"; do [ "$(date +%s)" -lt $end ] || { echo "bench: timed out: $*" >&2; exit 1; }; sleep 0.02; done
}
redis_up() { R 0 PING >/dev/null 2>&1; }
spawn_redis() { # without waiting for it to answer
	redis-server --port 0 --unixsocket "$SOCK" --save '' --logfile "$D/redis.log" --dir "$D" \
		"$@" >/dev/null &
	REDIS_PID=$!
}
start_redis() {
	spawn_redis "$@"
	wait_for 5 redis_up
}
# config_commands PORTS: CONFIG_DB's port entries, one command a line (SELECT 4 first).
config_commands() {
	echo "SELECT 4"
	for i in $(seq 0 $(($1 - 1))); do
		echo "HSET PORT|Ethernet$i admin_status up lanes $i mtu 9100 speed 100000"
	done
}
# setup_ports DAEMON PORTS [DAEMON ARG...]: redis, CONFIG_DB, daemon, consumed APPL_DB, veths
# (admin up, peers down), every port written.
setup_ports() {
	local daemon=$1 ports=$2
	shift 2
	[ -n "${REDIS_PID:-}" ] || start_redis --appendonly no
	cat > "$D/db.json" <<JSON
{"INSTANCES": {"redis": {"unix_socket_path": "$SOCK"}},
 "DATABASES": {"APPL_DB": {"id": 0, "separator": ":", "instance": "redis"},
               "CONFIG_DB": {"id": 4, "separator": "|", "instance": "redis"},
               "STATE_DB": {"id": 6, "separator": "|", "instance": "redis"}}}
JSON
	config_commands "$ports" > "$D/config.cmds"
	R 4 < "$D/config.cmds" >/dev/null
	ip netns add "$NS"
	ip netns exec "$NS" "$daemon" --db-config "$D/db.json" --log-output stderr "$@" 2>"$D/daemon.log" &
	PID=$!
	config_done() { [ "$(R 0 EXISTS _PORT_TABLE:PortConfigDone)" = 1 ]; }
	wait_for 10 config_done
	R 0 EVAL "local ks = redis.call('SPOP', KEYS[1], ARGV[1]) for _, k in ipairs(ks) do local fv = redis.call('HGETALL', '_PORT_TABLE:' .. k) for i = 1, #fv, 2 do redis.call('HSET', 'PORT_TABLE:' .. k, fv[i], fv[i+1]) end redis.call('DEL', '_PORT_TABLE:' .. k) end return #ks" 1 PORT_TABLE_KEY_SET 1000000 >/dev/null
	for i in $(seq 0 $((ports - 1))); do
		echo "link add Ethernet$i type veth peer name p$i"
		echo "link set Ethernet$i up"
	done > "$D/create.batch"
	ip -n "$NS" -batch "$D/create.batch"
	all_written() { [ "$(R 6 EVAL "return #redis.call('KEYS', 'PORT_TABLE|*')" 0)" = "$ports" ]; }
	wait_for 120 all_written
}
# count_oper_up: ports whose STATE_DB netdev_oper_status is up.
count_oper_up() {
	R 6 EVAL "local n = 0 for _, k in ipairs(redis.call('KEYS', 'PORT_TABLE|*')) do if redis.call('HGET', k, 'netdev_oper_status') == 'up' then n = n + 1 end end return n" 0
}
