#!/bin/sh
# A watchable demo: CONFIG_DB with four ports, a private redis-server, a namespace of veth
# netdevs, the daemon, an orchagent-like consumer, and a few flaps. Cleans up after itself.
# PORTSYNCD=/usr/bin/portsyncd runs an installed daemon; DEMO_PAUSE=0 runs it without pauses.
set -u
cd "$(dirname "$0")/.."
PORTSYNCD=${PORTSYNCD:-build/portsyncd} # the daemon to run: an installed one too
[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespaces)" >&2; exit 1; }
D=$(mktemp -d /tmp/psd-demo.XXXXXX)
NS=psd-demo$$
SOCK=$D/redis.sock
R() { db=$1; shift; redis-cli -s "$SOCK" -n "$db" "$@"; }
cleanup() {
	[ -n "${PID:-}" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	sleep 0.2
	rm -rf "$D"
}
trap cleanup EXIT INT TERM
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; sleep "${DEMO_PAUSE:-1}"; }
show() {
	echo "-- APPL_DB PORT_TABLE (consumed by the orchagent stand-in):"
	for k in $(R 0 KEYS 'PORT_TABLE:*' | sort); do echo "   $k {$(R 0 HGETALL "$k" | paste -sd' ')}"; done
	echo "-- STATE_DB PORT_TABLE:"
	for k in $(R 6 KEYS 'PORT_TABLE|*' | sort); do echo "   $k {$(R 6 HGETALL "$k" | paste -sd' ')}"; done
}
POP="local ks = redis.call('SPOP', KEYS[1], ARGV[1]) for _, k in ipairs(ks) do local fv = redis.call('HGETALL', ARGV[2] .. KEYS[2] .. k) for i = 1, #fv, 2 do redis.call('HSET', KEYS[2] .. k, fv[i], fv[i+1]) end redis.call('DEL', ARGV[2] .. KEYS[2] .. k) end return #ks"
consume() { R 0 EVAL "$POP" 3 PORT_TABLE_KEY_SET PORT_TABLE: PORT_TABLE_DEL_SET 100000 _ >/dev/null; }

step "private redis-server on $SOCK"
redis-server --port 0 --unixsocket "$SOCK" --save '' --appendonly no \
	--logfile "$D/redis.log" --dir "$D" >/dev/null &
REDIS_PID=$!
sleep 0.3
cat > "$D/database_config.json" <<JSON
{"INSTANCES": {"redis": {"hostname": "127.0.0.1", "port": 6379, "unix_socket_path": "$SOCK"}},
 "DATABASES": {"APPL_DB": {"id": 0, "separator": ":", "instance": "redis"},
               "CONFIG_DB": {"id": 4, "separator": "|", "instance": "redis"},
               "STATE_DB": {"id": 6, "separator": "|", "instance": "redis"}}, "VERSION": "1.0"}
JSON
for i in 0 4 8 12; do
	R 4 HSET "PORT|Ethernet$i" admin_status up alias "etp$((i / 4 + 1))" lanes "$i,$((i + 1)),$((i + 2)),$((i + 3))" mtu 9100 speed 100000 >/dev/null
done
echo "CONFIG_DB: $(R 4 KEYS 'PORT|*' | sort | paste -sd' ')"

step "start portsyncd (cold start) in namespace $NS"
ip netns add "$NS"
ip netns exec "$NS" "$PORTSYNCD" --db-config "$D/database_config.json" --log-output stdout &
PID=$!
sleep 1
echo "APPL_DB producer keys: $(R 0 SMEMBERS PORT_TABLE_KEY_SET | sort | paste -sd' ')"
consume

step "create veth netdevs Ethernet0..12 (peers down)"
for i in 0 4 8 12; do ip -n "$NS" link add "Ethernet$i" type veth peer name "peer$i"; done
sleep 1; consume; show

step "admin up every port, carrier up on Ethernet0 and Ethernet4"
for i in 0 4 8 12; do ip -n "$NS" link set "Ethernet$i" up; done
ip -n "$NS" link set peer0 up; ip -n "$NS" link set peer4 up
sleep 1; show

step "flap Ethernet4 twice, MTU 9100 on Ethernet8"
for n in 1 2; do ip -n "$NS" link set peer4 down; sleep 0.3; ip -n "$NS" link set peer4 up; sleep 0.3; done
ip -n "$NS" link set Ethernet8 mtu 9100
sleep 1; show

step "delete Ethernet12"
ip -n "$NS" link del Ethernet12
sleep 1; show

step "stop (SIGTERM)"
