# A Redis that says what was never asked, or asks for a password, or goes away: the daemon drops
# the connection and says why, once, never takes a wrong-typed reply as an acknowledgement, never
# aborts, and once the fault ends every link change made during it is in STATE_DB.
# tools/redis-proxy.py stands between the daemon and redis-server where a test needs a liar.

PROXY=$(realpath "$here/../../tools/redis-proxy.py")

# start_proxy: the daemon's database config names the proxy's socket; the proxy relays to $SOCK,
# injecting its stray replies into STATE_DB's connection (database 6).
start_proxy() {
	python3 "$PROXY" "$T/proxy.sock" "$SOCK" 6 > "$T/proxy.log" 2>&1 &
	PROXY_PID=$!
	wait_until "proxy ready" grep -q ready "$T/proxy.log"
	sed "s|$SOCK|$T/proxy.sock|" "$T/database_config.json" > "$T/proxied.json"
}

# The daemon through the proxy, N ports converged.
proxied_daemon() {
	config_ports "$1"
	start_proxy
	start_daemon --db-config "$T/proxied.json" --reconnect-min-ms 50 --reconnect-max-ms 200
	consume
	add_ports "$1"
	wait_converged consume
}

# A reply nobody asked for: the connection is dropped naming it, the daemon goes on, every port
# is written again, and a change made meanwhile is in STATE_DB.
it_e01_stray_reply() {
	proxied_daemon 4
	kill -USR1 "$PROXY_PID"
	nsip link set p1 up # its write's reply comes after the stray one
	wait_until "stray reply injected" grep -q "injected a stray reply" "$T/proxy.log"
	wait_until "violation logged" grep -q "broke the protocol, connection dropped" "$T/daemon.log"
	grep -q "reply with no command pending (+OK)\|a reply its command cannot have" "$T/daemon.log" ||
		fail "the log does not say what the server sent"
	wait_until "recovered" grep -q "Redis: recovered" "$T/daemon.log"
	grep -q "rewriting every port" "$T/daemon.log" || fail "no rewrite after the violation"
	wait_converged consume
	daemon_alive || fail "the daemon died"
	stop_daemon
}

# A proxy that answers every command with an integer (and forwards nothing) while Redis is
# restarted: SELECT answered :1 is no connection, so nothing is written into the void; once it
# tells the truth again, the daemon connects, rewrites, and the changes made meanwhile are there.
it_e02_integer_replies() {
	proxied_daemon 4
	kill -USR2 "$PROXY_PID" # lying from now on
	kill_redis
	start_redis
	nsip link set p0 up
	nsip link set Ethernet2 mtu 9000
	wait_until "lies told" grep -q "lied to" "$T/proxy.log"
	wait_until "violation logged" grep -q "SELECT [0-9]* for [A-Z_]* answered with :1" "$T/daemon.log"
	sleep 1
	daemon_alive || fail "the daemon died"
	kill -USR2 "$PROXY_PID" # the truth again
	config_ports 4 # a Redis that came back empty gets its CONFIG_DB again
	wait_until "recovered" grep -q "Redis: recovered" "$T/daemon.log"
	wait_converged consume
	stop_daemon
}

# A Redis that asks for a password at start-up: exit 1 naming the database (SONiC's has none).
it_e03_noauth_at_start() {
	kill_redis
	start_redis --requirepass secret
	config_ports 1 2>/dev/null || true
	expect_refusal 1 "asks for a password" --db-config "$T/database_config.json"
	grep -q "NOAUTH" "$T/err" || fail "Redis's own error is not quoted: $(cat "$T/err")"
	grep -q "CONFIG_DB\|APPL_DB\|STATE_DB" "$T/err" || fail "no database named: $(cat "$T/err")"
}

# A Redis restarted with a password while the daemon runs: said once (then once a minute), the
# daemon keeps trying, and when the password goes the changes made meanwhile reach STATE_DB.
it_e04_noauth_while_running() {
	config_ports 4
	start_daemon --reconnect-min-ms 50 --reconnect-max-ms 100
	consume
	add_ports 4
	wait_converged consume
	rcli 0 SAVE >/dev/null
	kill_redis
	start_redis --requirepass secret --dbfilename dump.rdb
	nsip link set p3 up
	wait_until "password logged" grep -q "asks for a password" "$T/daemon.log"
	sleep 2 # about 20 more attempts per database
	local said
	said=$(grep -c "asks for a password" "$T/daemon.log")
	[ "$said" -le 3 ] || fail "the password was asked $said times in the log (once per database)"
	daemon_alive || fail "the daemon exited"
	redis-cli -s "$SOCK" -a secret --no-auth-warning CONFIG SET requirepass "" >/dev/null
	wait_until "recovered" grep -q "Redis: recovered" "$T/daemon.log"
	wait_converged consume
	stop_daemon
}

# Redis away for 20 s: a handful of lines, not hundreds; a change made meanwhile is written.
it_e05_outage_20s_log_lines() {
	config_ports 4
	start_daemon
	consume
	add_ports 4
	wait_converged consume
	rcli 0 SAVE >/dev/null
	local before
	before=$(wc -l < "$T/daemon.log")
	kill_redis
	nsip link set p2 up
	sleep 20
	start_redis --dbfilename dump.rdb
	wait_until "recovered" grep -q "Redis: recovered" "$T/daemon.log"
	wait_converged consume
	local lines
	lines=$(($(wc -l < "$T/daemon.log") - before))
	tail -n "$lines" "$T/daemon.log" | grep -v "nlmsg type:\|Publish\|link port=" > "$T/outage.log"
	lines=$(wc -l < "$T/outage.log")
	[ "$lines" -le 40 ] || { cat "$T/outage.log" >&2; fail "$lines lines for a 20 s outage"; }
	note "$lines lines for a 20 s outage"
	stop_daemon
}
