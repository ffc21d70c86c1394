# Shared set-up of the daemon benchmarks: a private redis-server, a namespace, N configured
# ports with veths, the daemon; the storm and what it cost; and cleanup. Sourced by storm.sh,
# metrics.sh, outage.sh, replay.sh and warm.sh. KIND says how setup_ports runs the daemon:
#   ours   (the default) ours: --db-config, log lines on stderr
#   cpp    a portsyncd that reads its database config at the fixed path
#          /var/run/redis/sonic-db/database_config.json (the C++ portsyncd of sonic-swss): in a
#          private mount namespace in which a tmpfs on /run holds the bench's config there
#   floor  bench/floor.c: STATE_DB writes only; no CONFIG_DB copy to wait for
# Every kind finds CONFIG_DB LOGGER|portsyncd LOGLEVEL NOTICE LOGOUTPUT STDERR: the C++ daemon's
# log lines go to $D/daemon.log as ours do.
D=$(mktemp -d /tmp/psd-bench.XXXXXX)
NS=psdbench$$
SOCK=$D/redis.sock
R() { db=$1; shift; redis-cli -s "$SOCK" -n "$db" "$@"; }
cleanup() {
	set +e # a daemon that dies of SIGTERM (the C++ one) must not end the cleanup
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
spawn_redis() { # without waiting for it to answer; keyspace events published as SONiC's are
	redis-server --port 0 --unixsocket "$SOCK" --save '' --logfile "$D/redis.log" --dir "$D" \
		--notify-keyspace-events AKE "$@" >/dev/null &
	REDIS_PID=$!
}
start_redis() {
	spawn_redis "$@"
	wait_for 5 redis_up
}
# config_commands PORTS: CONFIG_DB's port entries, one command a line (SELECT 4 first).
config_commands() {
	echo "SELECT 4"
	echo "HSET LOGGER|portsyncd LOGLEVEL NOTICE LOGOUTPUT STDERR"
	for i in $(seq 0 $(($1 - 1))); do
		echo "HSET PORT|Ethernet$i admin_status up lanes $i mtu 9100 speed 100000"
	done
}
# launch DAEMON [DAEMON ARG...]: the daemon of KIND in the namespace; PID is its pid (ip netns
# exec, unshare and sh all exec: nothing forks).
launch() {
	local daemon=$1
	shift
	case ${KIND:-ours} in
	ours) ip netns exec "$NS" "$daemon" --db-config "$D/db.json" --log-output stderr "$@" \
		2>"$D/daemon.log" & ;;
	cpp) ip netns exec "$NS" unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/redis/sonic-db &&
		: > /run/redis/sonic-db/database_config.json &&
		mount --bind "$1" /run/redis/sonic-db/database_config.json || exit 1
		shift; exec "$@"' sh "$D/db.json" "$daemon" "$@" > "$D/daemon.log" 2>&1 & ;;
	floor) ip netns exec "$NS" "$daemon" "$SOCK" "$@" > "$D/daemon.log" 2>&1 & ;;
	*) echo "bench: no such kind of daemon: $KIND" >&2; exit 2 ;;
	esac
	PID=$!
}
# setup_ports DAEMON PORTS [DAEMON ARG...]: redis, CONFIG_DB, daemon, consumed APPL_DB, veths
# (admin up, peers down), every port written.
setup_ports() {
	local daemon=$1 ports=$2
	shift 2
	[ -n "${REDIS_PID:-}" ] || start_redis --appendonly no
	cat > "$D/db.json" <<JSON
{"INSTANCES": {"redis": {"hostname": "127.0.0.1", "port": 6379, "unix_socket_path": "$SOCK"}},
 "DATABASES": {"APPL_DB": {"id": 0, "separator": ":", "instance": "redis"},
               "CONFIG_DB": {"id": 4, "separator": "|", "instance": "redis"},
               "STATE_DB": {"id": 6, "separator": "|", "instance": "redis"}}}
JSON
	config_commands "$ports" > "$D/config.cmds"
	R 4 < "$D/config.cmds" >/dev/null
	ip netns add "$NS"
	launch "$daemon" "$@"
	config_done() { [ "$(R 0 EXISTS _PORT_TABLE:PortConfigDone)" = 1 ]; }
	[ "${KIND:-ours}" = floor ] || wait_for 10 config_done
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
# storm_batch PORTS ROUNDS FILE: every peer up then down, ROUNDS times, then every even peer up
# (a final state no earlier point of the storm shows), for one `ip -batch`.
storm_batch() {
	for r in $(seq 1 "$2"); do
		for i in $(seq 0 $(($1 - 1))); do echo "link set p$i up"; done
		for i in $(seq 0 $(($1 - 1))); do echo "link set p$i down"; done
	done > "$3"
	for i in $(seq 0 2 $(($1 - 1))); do echo "link set p$i up"; done >> "$3"
}
# carrier_changes: the sum of the Ethernet ports' carrier_changes counters in the namespace
carrier_changes() {
	ip netns exec "$NS" sh -c 'cat /sys/class/net/Ethernet*/carrier_changes' |
		awk '{t += $1} END {printf "%.0f\n", t}'
}
# run_storm KS_LATENCY NL_RECORD PORTS ROUNDS: the storm of storm_batch, watched by ks-latency
# storm (convergence; the daemon's CPU ns and wake-ups over the active window, from just
# before the storm to its last STATE_DB write) and by an independent listener in the namespace
# (NL_RECORD: the link messages). Prints ks-latency's line with changes= (the oper changes the
# kernel made: the carrier_changes deltas of the ports) and link_messages= appended.
# Called in a command substitution, which neither inherits set -e nor hands REC to cleanup: the
# listener is stopped, and a failure returned, here.
run_storm() {
	local out before after ok=true
	storm_batch "$3" "$4" "$D/storm.batch"
	ip netns exec "$NS" "$2" - > "$D/record.out" &
	REC=$!
	recorder_ready() { grep -q ready "$D/record.out"; }
	wait_for 5 recorder_ready
	before=$(carrier_changes) || ok=false
	$ok && { out=$("$1" storm "$SOCK" "$NS" "$D/storm.batch" "$3" "$PID") || ok=false; }
	$ok && { after=$(carrier_changes) || ok=false; }
	kill -INT "$REC"
	wait "$REC" || true
	REC=
	$ok || return 1
	echo "$out changes=$((after - before)) link_messages=$(awk '/^datagrams/ {print $4}' "$D/record.out")"
}
# proc_sample: the daemon's CPU ns (schedstat, first field) and wake-ups (voluntary context
# switches), each summed over its threads, then the time in ns; the sums printed in full (mawk
# prints a sum past 2^31 as 2.24312e+09, which the callers' arithmetic refuses)
proc_sample() {
	local t
	for t in /proc/"$PID"/task/*; do
		echo "$(cut -d ' ' -f 1 "$t/schedstat") $(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status")"
	done | awk -v now="$(date +%s%N)" '{c += $1; w += $2} END {printf "%.0f %.0f %s\n", c, w, now}'
}
