# Never lose a port state: Redis outages during a storm, a forced netlink overrun, SIGTERM
# during a storm. Each ends with STATE_DB equal to the kernel's state for every port.

OUTAGE_PORTS=256

# outage DOWN_SECONDS data|empty: Redis is killed during a flap storm and comes back after
# DOWN_SECONDS, with its data (AOF) or empty (APPL_DB and STATE_DB lost; CONFIG_DB loaded again,
# as after a reboot from config_db.json).
outage() {
	local down=$1 mode=$2
	config_ports $OUTAGE_PORTS
	rcli 0 SAVE >/dev/null
	mv "$T/dump.rdb" "$T/config.rdb" # CONFIG_DB only: what an empty restart loads
	if [ "$mode" = data ]; then
		rcli 0 CONFIG SET appendfsync always >/dev/null
		rcli 0 CONFIG SET appendonly yes >/dev/null
		wait_until "AOF on" sh -c "redis-cli -s $SOCK INFO persistence | grep -q 'aof_rewrite_in_progress:0' && redis-cli -s $SOCK INFO persistence | grep -q 'aof_enabled:1'"
	fi
	start_daemon --reconnect-max-ms 1000
	consume
	add_ports $OUTAGE_PORTS
	wait_converged
	storm_batch $OUTAGE_PORTS 3 "$T/storm.batch"
	nsip -force -batch "$T/storm.batch" 2>/dev/null & # -force: Ethernet5 goes mid-storm
	local storm=$!
	sleep 0.1
	kill_redis
	nsip link del Ethernet5 # a port deleted while Redis is down
	wait $storm
	sleep "$down"
	if [ "$mode" = data ]; then
		start_redis --appendonly yes --appendfsync always
	else
		start_redis --dbfilename config.rdb
	fi
	wait_until "reconnected" grep -q "Redis: recovered" "$T/daemon.log"
	wait_converged $([ "$mode" = empty ] && echo consume)
	daemon_alive || fail "the daemon exited"
	expect_absent 6 "PORT_TABLE|Ethernet5"
	expect_eq "$(rcli 0 HGET PORT_TABLE:PortConfigDone count)" $OUTAGE_PORTS "PortConfigDone count"
	expect_eq "$(rcli 0 EXISTS PORT_TABLE:Ethernet7)" 1 "APPL_DB port entry"
	if [ "$mode" = empty ]; then
		grep -q "STATE_DB was emptied" "$T/daemon.log" || fail "no rewrite logged"
		init_done_any() { key_exists 0 PORT_TABLE:PortInitDone || key_exists 0 _PORT_TABLE:PortInitDone; }
		wait_until "PortInitDone again" init_done_any
		wait_until "restore_count and state written again" test \
			"$(rcli 6 HMGET "WARM_RESTART_TABLE|portsyncd" restore_count state | tr '\n' ' ')" = \
			"0 disabled "
		expect_hash 6 "WARM_RESTART_TABLE|portsyncd" restore_count=0 state=disabled
	else
		grep -q "STATE_DB's server restarted (new run_id)" "$T/daemon.log" ||
			fail "no verification logged"
	fi
	stop_daemon
}

it_r01_outage_100ms_with_data() { outage 0.1 data; }
it_r02_outage_2s_with_data() { outage 2 data; }
it_r03_outage_20s_with_data() { outage 20 data; }
it_r04_outage_100ms_empty() { outage 0.1 empty; }
it_r05_outage_2s_empty() { outage 2 empty; }
it_r06_outage_20s_empty() { outage 20 empty; }

# A forced overrun: a 4 KiB receive buffer, the daemon stopped while a storm fills it and a
# port is deleted; it must notice, re-dump and converge, the deleted port included.
it_r07_forced_overrun() {
	config_ports 64
	start_daemon --nl-rcvbuf-bytes 4096 --redump-interval-ms 100
	consume
	add_ports 64
	wait_converged
	storm_batch 64 2 "$T/storm.batch"
	kill -STOP "$DAEMON_PID"
	nsip -batch "$T/storm.batch"
	nsip link del Ethernet9
	kill -CONT "$DAEMON_PID"
	wait_until "overrun noticed" grep -q "receive buffer overrun (ENOBUFS)" "$T/daemon.log"
	wait_until "re-dump" grep -q "re-dumping every link" "$T/daemon.log"
	wait_converged
	expect_absent 6 "PORT_TABLE|Ethernet9"
	grep -q "resync found gone: Ethernet9" "$T/daemon.log" ||
		grep -q "Delete Ethernet9" "$T/daemon.log" || fail "Ethernet9 was not deleted"
	stop_daemon
}

# SIGTERM during a storm: exit 0 within the flush bound; every entry written is whole.
it_r08_sigterm_during_storm() {
	config_ports 128
	start_daemon
	consume
	add_ports 128
	wait_converged
	storm_batch 128 5 "$T/storm.batch"
	nsip -batch "$T/storm.batch" &
	local storm=$! start status
	sleep 0.1
	start=$(date +%s%N)
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	status=$?
	local ms=$((($(date +%s%N) - start) / 1000000))
	DAEMON_PID=
	wait $storm
	expect_eq "$status" 0 "exit status after SIGTERM"
	no_sanitizer_report
	[ $ms -lt 4000 ] || fail "took $ms ms to stop (bound: 2 s flush + start-up of nothing)"
	grep -q "stopping: flushing pending writes" "$T/daemon.log" || fail "no stopping notice"
	local partial
	partial=$(rcli 6 EVAL "local n = 0 for _, k in ipairs(redis.call('KEYS', 'PORT_TABLE|Ethernet*')) do if redis.call('HLEN', k) ~= 4 then n = n + 1 end end return n" 0)
	expect_eq "$partial" 0 "STATE_DB entries without all four fields"
}

# systemd: READY=1 after start-up, STATUS= lines, WATCHDOG=1 at half of WATCHDOG_USEC,
# STOPPING=1 on SIGTERM.
it_r09_systemd_notify() {
	"$NOTIFY_LISTEN" "$T/notify.sock" > "$T/notify.log" 2>&1 &
	local listener=$!
	wait_until "listener bound" test -S "$T/notify.sock"
	config_port Ethernet0 0
	NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=400000 start_daemon
	wait_until "READY=1" grep -qx "READY=1" "$T/notify.log"
	grep -q "^STATUS=running (cold); ports 1, configured 1, awaited 1" "$T/notify.log" ||
		fail "no STATUS line: $(cat "$T/notify.log")"
	pings_at_least() { [ "$(grep -cx WATCHDOG=1 "$T/notify.log")" -ge "$1" ]; }
	wait_until "three watchdog pings" pings_at_least 3
	kill_redis
	wait_until "STATUS says Redis is down" grep -q "Redis down, reconnecting" "$T/notify.log"
	stop_daemon
	kill "$listener"
	wait "$listener" 2>/dev/null
	grep -qx "STOPPING=1" "$T/notify.log" || fail "no STOPPING=1"
}

# Idle, the daemon sleeps: with the alert rules removed (their evaluation ticks every second) and
# no watchdog, five quiet seconds after convergence cost at most one wake-up (the health line is
# sent when health changes, not checked on a timer).
it_r10_idle_sleeps() {
	local rules="$T/no-alerts.conf" v0 v1
	"$PSD_BIN" --print-prometheus-rules |
		sed -n 's/^ *- alert: \(.*\)/[alert \1]\nenabled = false/p' > "$rules"
	config_ports 2
	start_daemon --alert-rules "$rules"
	consume
	add_ports 2
	wait_converged
	sleep 2
	v0=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$DAEMON_PID/status")
	sleep 5
	v1=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$DAEMON_PID/status")
	[ $((v1 - v0)) -le 1 ] || fail "woke $((v1 - v0)) times in 5 idle seconds"
	stop_daemon
}
