# Integration test library: a private redis-server on a unix socket, a network namespace with
# veth netdevs, and the real daemon binary. Every helper fails the current test with a reason;
# nothing is skipped. Waits poll until a condition holds, with a generous bound that is a hang
# guard, not a speed target.

R_TIMEOUT=${R_TIMEOUT:-15}   # seconds a wait may take before the test fails

fail() {
	echo "    FAIL: $*" >&2
	exit 1
}

note() {
	echo "    $*"
}

# --- environment --------------------------------------------------------------------------

setup_env() {
	T=$(mktemp -d /tmp/psd-it.XXXXXX)
	NS="psdit$$_$TEST_SEQ"
	SOCK="$T/redis.sock"
	start_redis
	cat > "$T/database_config.json" <<JSON
{
  "INSTANCES": {"redis": {"hostname": "127.0.0.1", "port": 6379, "unix_socket_path": "$SOCK"}},
  "DATABASES": {
    "APPL_DB": {"id": 0, "separator": ":", "instance": "redis"},
    "CONFIG_DB": {"id": 4, "separator": "|", "instance": "redis"},
    "STATE_DB": {"id": 6, "separator": "|", "instance": "redis"}
  },
  "VERSION": "1.0"
}
JSON
	ip netns add "$NS" || fail "cannot create network namespace $NS"
	ip -n "$NS" link set lo up
}

# start_redis [ARG...]: redis-server on $SOCK as our own child (so it is reaped), publishing
# keyspace events as SONiC's redis.conf has it (notify-keyspace-events AKE).
start_redis() {
	redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --save '' \
		--appendonly no --logfile "$T/redis.log" --dir "$T" --notify-keyspace-events AKE \
		"$@" >/dev/null &
	REDIS_PID=$!
	wait_until "redis-server answers" rcli 0 PING
}

kill_redis() {
	kill -KILL "$REDIS_PID"
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
}

teardown_env() {
	[ -n "${LOG_READER_PID:-}" ] && kill -CONT "$LOG_READER_PID" 2>/dev/null # a stopped reader
	[ -n "${DAEMON_PID:-}" ] && kill -KILL "$DAEMON_PID" 2>/dev/null
	[ -n "${MONITOR_PID:-}" ] && kill "$MONITOR_PID" 2>/dev/null
	[ -n "${SUB_PID:-}" ] && kill "$SUB_PID" 2>/dev/null
	[ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	for n in ${ASIC_NS_MADE:-}; do ip netns del "$n" 2>/dev/null; done # multi-ASIC tests
	jobs -p | xargs -r kill 2>/dev/null # anything else the test left running
	wait 2>/dev/null
	rm -rf "$T"
}

# --- redis --------------------------------------------------------------------------------

rcli() {
	local db=$1
	shift
	redis-cli -s "$SOCK" -n "$db" "$@"
}

# Sorted "field=value" lines of a hash.
hash_of() {
	rcli "$1" HGETALL "$2" | paste -d= - - | sort
}

# expect_hash DB KEY "f1=v1" "f2=v2" ...: the hash holds exactly these pairs.
expect_hash() {
	local db=$1 key=$2
	shift 2
	local want got
	want=$(printf '%s\n' "$@" | sort)
	got=$(hash_of "$db" "$key")
	[ "$got" = "$want" ] || fail "$key in db $db is {$(echo $got)}, expected {$(echo $want)}"
}

# expect_keys DB PATTERN [KEY...]: KEYS PATTERN is exactly these keys.
expect_keys() {
	local db=$1 pattern=$2
	shift 2
	local want got
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort | tr '\n' ' ')
	got=$(rcli "$db" KEYS "$pattern" | sed '/^$/d' | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "KEYS $pattern in db $db: {$got}, expected {$want}"
}

# expect_refusal STATUS TEXT ARG...: the daemon run with ARG... exits with STATUS and its stderr
# holds TEXT. It runs in the test's namespace, so its metrics port and instance lock are the
# test's own whatever else runs on the machine.
expect_refusal() {
	local want=$1 text=$2 status
	shift 2
	ip netns exec "$NS" "$PSD_BIN" "$@" 2>"$T/err"
	status=$?
	[ "$status" = "$want" ] || fail "portsyncd $*: exit status $status, expected $want"
	grep -qF -- "$text" "$T/err" || fail "portsyncd $*: no '$text' in: $(cat "$T/err")"
}

expect_absent() {
	[ "$(rcli "$1" EXISTS "$2")" = 0 ] || fail "$2 in db $1 exists: {$(echo $(hash_of "$1" "$2"))}"
}

expect_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: got '$1', expected '$2'"
}

config_port() { # config_port NAME LANES [field value ...]
	local name=$1 lanes=$2
	shift 2
	rcli 4 HSET "PORT|$name" admin_status up alias "$name" lanes "$lanes" mtu 9100 \
		speed 100000 "$@" >/dev/null
}

# orchagent's ConsumerStateTable pop: PORT_TABLE_KEY_SET into PORT_TABLE:<k>.
POP_LUA="local out = {} local ks = redis.call('SPOP', KEYS[1], ARGV[1]) for _, k in ipairs(ks) do if redis.call('SREM', KEYS[3], k) == 1 then redis.call('DEL', KEYS[2] .. k) end local fv = redis.call('HGETALL', ARGV[2] .. KEYS[2] .. k) for i = 1, #fv, 2 do redis.call('HSET', KEYS[2] .. k, fv[i], fv[i+1]) end redis.call('DEL', ARGV[2] .. KEYS[2] .. k) table.insert(out, k) end return out"
consume() {
	rcli 0 EVAL "$POP_LUA" 3 PORT_TABLE_KEY_SET PORT_TABLE: PORT_TABLE_DEL_SET 100000 _ >/dev/null
}

start_monitor() {
	redis-cli -s "$SOCK" MONITOR > "$T/monitor.log" 2>&1 &
	MONITOR_PID=$!
	wait_until "MONITOR attached" grep -q OK "$T/monitor.log"
}

start_subscriber() {
	redis-cli -s "$SOCK" SUBSCRIBE "PORT_TABLE_CHANNEL@0" > "$T/sub.log" 2>&1 &
	SUB_PID=$!
	wait_until "subscriber attached" grep -q "PORT_TABLE_CHANNEL@0" "$T/sub.log"
}

# Messages received on PORT_TABLE_CHANNEL@0 (each is "message", channel, payload).
publishes() {
	grep -c '^G$' "$T/sub.log"
}

# --- netdevs ------------------------------------------------------------------------------

nsip() {
	ip -n "$NS" "$@"
}

add_port() { # add_port NAME: a veth named NAME with its peer p-NAME (peer down)
	nsip link add "$1" type veth peer name "p$1" || fail "cannot create veth $1"
}

ifindex_of() {
	nsip -o link show "$1" | cut -d: -f1
}

is_up() {
	nsip -o link show "$1" | grep -q '<[^>]*\bUP\b'
}

# --- daemon -------------------------------------------------------------------------------

start_daemon() {
	: > "$T/daemon.log"
	# shellcheck disable=SC2086
	ip netns exec "$NS" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		"$PSD_BIN" --db-config "$T/database_config.json" \
		${DAEMON_LOG_FLAGS:---log-output stderr --log-level INFO} "$@" >> "$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_until "daemon listening" grep -q "Listen to link messages" "$T/daemon.log"
}

daemon_alive() {
	kill -0 "$DAEMON_PID" 2>/dev/null
}

stop_daemon() {
	kill -TERM "$DAEMON_PID" 2>/dev/null || fail "daemon is not running"
	wait "$DAEMON_PID"
	local status=$?
	DAEMON_PID=
	[ $status -eq 0 ] || { tail -n 20 "$T/daemon.log" >&2; fail "daemon exited with $status"; }
	no_sanitizer_report
}

# The daemon's log holds no ASan, LSan or UBSan report (a test that stops the daemon itself
# calls this after its wait).
no_sanitizer_report() {
	! grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$T/daemon.log" ||
		{ cat "$T/daemon.log" >&2; fail "sanitizer report"; }
}

# wait_until DESCRIPTION CMD...: polls CMD every 50 ms.
wait_until() {
	local what=$1
	shift
	local deadline=$(($(date +%s) + R_TIMEOUT))
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge $deadline ]; then
			[ -f "${T:-/nonexistent}/daemon.log" ] && tail -n 15 "$T/daemon.log" >&2
			fail "timed out waiting for: $what"
		fi
		sleep 0.05
	done
}

# port_up_daemon NAME [DAEMON_ARG...]: NAME configured, its veth created and admin up (its peer
# down), consumed, under a running daemon.
port_up_daemon() {
	local name=$1
	shift
	config_port "$name" 0
	start_daemon "$@"
	add_port "$name"
	nsip link set "$name" up
	consume
	wait_state "$name" "down up 1500"
}

# flap_peer PORT N [SECONDS]: N carrier changes of PORT (its veth peer up, down, up...), SECONDS
# apart (default 0.2)
flap_peer() {
	local i
	for i in $(seq 1 "$2"); do
		if [ $((i % 2)) = 1 ]; then nsip link set "p$1" up; else nsip link set "p$1" down; fi
		sleep "${3:-0.2}"
	done
}

state_is() { # state_is PORT "oper admin mtu": STATE_DB holds our four fields with these values
	local got
	got=$(rcli 6 HMGET "PORT_TABLE|$1" state netdev_oper_status admin_status mtu | tr '\n' ' ')
	[ "$got" = "ok $2 " ]
}

wait_state() {
	wait_until "STATE_DB PORT_TABLE|$1 = $2 (now: $(rcli 6 HMGET "PORT_TABLE|$1" state netdev_oper_status admin_status mtu | tr '\n' ' '))" state_is "$1" "$2"
}

warm_state_is() { # warm_state_is STATE: WARM_RESTART_TABLE|portsyncd's state
	[ "$(rcli 6 HGET "WARM_RESTART_TABLE|portsyncd" state)" = "$1" ]
}

key_exists() {
	[ "$(rcli "$1" EXISTS "$2")" = 1 ]
}

key_absent() {
	[ "$(rcli "$1" EXISTS "$2")" = 0 ]
}

# --- barriers -------------------------------------------------------------------------------
# An absence (no entry, nothing brought down, a command sent once and no more) holds only once the
# daemon has handled everything that could break it: a fixed sleep proves nothing, a slow daemon
# passes it for free. Every absence a test asserts follows `barrier`.
#
# barrier: a sentinel netdev ($BARRIER_NETDEV, a sub-interface name: PortConfigDone's count, link
# statistics and alerts take no sub-interface in; its messages are netlink datagrams read, which
# PortInitDone also waits for) is created with its APPL_DB entry in place, and the daemon must
# write its STATE_DB entry; then it is deleted, and the daemon must delete the
# entry. The daemon reads link messages in order and sends each database's commands in order on
# one connection: once the sentinel's entry has come and gone, every link message before it has
# been handled and every command those caused has been executed. Nothing is left behind.
# With a MONITOR running (start_monitor), it also waits until MONITOR has shown the sentinel's
# delete: every command executed before it is in $T/monitor.log too.
# barrier timers: before that, the time of every timer of the daemon due within a second of the
# call passes (an APPL_DB re-check is due at most PSD_APPL_RECHECK_NS, 1 s, after the last; a
# timer's slack is PSD_TIMER_ACCURACY_NS, a microsecond): a wait for the clock, not for the
# daemon, whose loop the sentinel then proves to have run past that time.
BARRIER_NETDEV=Ethernet.fence

barrier() {
	local deletes=0
	[ -z "${DAEMON_PID:-}" ] || daemon_alive || fail "barrier: the daemon is not running"
	[ "${1:-}" != timers ] || sleep 1.1
	[ -z "${MONITOR_PID:-}" ] || deletes=$(sentinel_deletes_monitored)
	rcli 0 HSET "PORT_TABLE:$BARRIER_NETDEV" admin_status up >/dev/null
	nsip link add "$BARRIER_NETDEV" type veth peer name "p$BARRIER_NETDEV" ||
		fail "barrier: cannot create $BARRIER_NETDEV"
	wait_until "barrier: the daemon writes the entry of $BARRIER_NETDEV" \
		key_exists 6 "PORT_TABLE|$BARRIER_NETDEV"
	nsip link del "$BARRIER_NETDEV"
	wait_until "barrier: the daemon deletes the entry of $BARRIER_NETDEV" \
		key_absent 6 "PORT_TABLE|$BARRIER_NETDEV"
	rcli 0 DEL "PORT_TABLE:$BARRIER_NETDEV" >/dev/null
	[ -z "${MONITOR_PID:-}" ] ||
		wait_until "barrier: MONITOR shows the delete" sentinel_deletes_monitored_above "$deletes"
}

sentinel_deletes_monitored() {
	grep -cF "\"DEL\" \"PORT_TABLE|$BARRIER_NETDEV\"" "$T/monitor.log"
}

sentinel_deletes_monitored_above() {
	[ "$(sentinel_deletes_monitored)" -gt "$1" ]
}

barrier_timers() {
	sleep 1.1
}

# --- metrics --------------------------------------------------------------------------------

METRICS_PORT=9808 # the default (settings.h PSD_METRICS_PORT_DEFAULT)

scrape() { # scrape [PATH]: the body of GET PATH (default /metrics) from the daemon
	ip netns exec "$NS" curl -sf --max-time 5 "http://127.0.0.1:$METRICS_PORT${1:-/metrics}"
}

# metric NAME_WITH_LABELS: its value in a fresh scrape ('' when absent)
metric() {
	scrape | awk -v k="$1" '$1 == k { print $2 }'
}

metric_is() { # metric_is NAME VALUE
	[ "$(metric "$1")" = "$2" ]
}

# one_port_daemon ARG...: a configured, present, consumed Ethernet0, admin down, under a daemon
# started with ARG... and serving its metrics.
one_port_daemon() {
	config_port Ethernet0 0
	start_daemon "$@"
	wait_until "metrics served" scrape
	add_port Ethernet0
	consume
	wait_state Ethernet0 "down down 1500"
}

# --- convergence ----------------------------------------------------------------------------

# "EthernetN oper admin mtu" for every Ethernet* netdev, from the kernel: admin is IFF_UP in
# flags, oper is IFF_RUNNING, which the kernel derives from operstate (up or unknown).
kernel_truth() {
	ip netns exec "$NS" sh -c 'for d in /sys/class/net/Ethernet*; do
		[ -e "$d" ] || continue
		f=$(cat "$d/flags"); m=$(cat "$d/mtu"); o=$(cat "$d/operstate")
		case $o in up|unknown) r=1 ;; *) r=0 ;; esac
		echo "${d##*/} $r $(( f & 1 )) $m"
	done' | awk '{ printf "%s %s %s %s\n", $1, ($2 ? "up" : "down"), ($3 ? "up" : "down"), $4 }' | sort
}

# The same lines from STATE_DB.
state_truth() {
	rcli 6 EVAL "local out = {} for _, k in ipairs(redis.call('KEYS', 'PORT_TABLE|Ethernet*')) do local v = redis.call('HMGET', k, 'netdev_oper_status', 'admin_status', 'mtu') table.insert(out, string.sub(k, 12) .. ' ' .. tostring(v[1]) .. ' ' .. tostring(v[2]) .. ' ' .. tostring(v[3])) end return out" 0 | sort
}

converged() {
	[ "$(kernel_truth)" = "$(state_truth)" ]
}

# wait_converged [consume]: STATE_DB equals the kernel for every port (consuming APPL_DB first,
# as orchagent would, when asked).
wait_converged() {
	local deadline=$(($(date +%s) + ${CONVERGE_TIMEOUT:-60}))
	until { [ "${1:-}" != consume ] || consume; } && converged; do
		if [ "$(date +%s)" -ge $deadline ]; then
			diff <(kernel_truth) <(state_truth) | head -n 10 >&2
			tail -n 20 "$T/daemon.log" >&2
			fail "STATE_DB did not converge to the kernel's state"
		fi
		sleep 0.2
	done
}

# add_ports N: N veths Ethernet0..N-1 (peers p0..), admin up, in one ip -batch.
add_ports() {
	local i
	for i in $(seq 0 $(($1 - 1))); do
		echo "link add Ethernet$i type veth peer name p$i"
		echo "link set Ethernet$i up"
	done > "$T/create.batch"
	nsip -batch "$T/create.batch" || fail "cannot create $1 veths"
}

# storm_batch N ROUNDS FILE: every peer up then down, ROUNDS times, then every even peer up.
storm_batch() {
	local n=$1 rounds=$2 r i
	for r in $(seq 1 "$rounds"); do
		for i in $(seq 0 $((n - 1))); do echo "link set p$i up"; done
		for i in $(seq 0 $((n - 1))); do echo "link set p$i down"; done
	done > "$3"
	for i in $(seq 0 2 $((n - 1))); do echo "link set p$i up"; done >> "$3"
}

config_ports() { # config_ports N: CONFIG_DB PORT|Ethernet0..N-1
	local i
	for i in $(seq 0 $(($1 - 1))); do
		echo "HSET PORT|Ethernet$i admin_status up alias Ethernet$i lanes $i mtu 9100 speed 100000"
	done | rcli 4 >/dev/null
}

# overrun_through_stop [DAEMON_ARG...]: 256 ports and a 256 KiB receive buffer; the daemon is
# stopped (SIGSTOP) through three storms and the delete of Ethernet7, then resumed, and must
# notice the overrun, discard the backlog queued before it, and end with STATE_DB exact.
overrun_through_stop() {
	config_ports 256
	start_daemon --nl-rcvbuf-bytes 262144 --redump-interval-ms 100 "$@"
	consume
	add_ports 256
	wait_converged
	storm_batch 256 3 "$T/storm.batch"
	kill -STOP "$DAEMON_PID"
	nsip -batch "$T/storm.batch"
	nsip link del Ethernet7
	kill -CONT "$DAEMON_PID"
	[ -z "${STORM_DURING_REDUMP:-}" ] || {
		storm_batch 256 1 "$T/storm2.batch"
		nsip -force -batch "$T/storm2.batch" # Ethernet7 and its peer are gone
	}
	wait_until "overrun noticed" grep -q "receive buffer overrun (ENOBUFS)" "$T/daemon.log"
	wait_until "backlog discarded" grep -q "datagrams queued before the overrun discarded" "$T/daemon.log"
	wait_converged
	expect_absent 6 "PORT_TABLE|Ethernet7"
}

# record_storm N FILE: N ports flapped five times by a daemon recording FILE; $T/live.state is
# STATE_DB at the end, the daemon stopped.
record_storm() {
	config_ports "$1"
	start_daemon --record "$2"
	add_ports "$1"
	storm_batch "$1" 5 "$T/storm.batch"
	nsip -batch "$T/storm.batch" || fail "the storm batch failed"
	wait_converged consume
	state_truth > "$T/live.state"
	stop_daemon
}
