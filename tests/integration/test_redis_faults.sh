# Every way a real redis-server refuses, forgets or stalls, and what the daemon does about it;
# and the daemon's own edges: database_config.json, signals, shutdown with writes pending,
# renames away from port names.

# The four database_config.json cases: a FIFO (must not block), a file over the size cap, a
# directory, two databases with one id, a newline separator.
it_f01_database_config_files() {
	mkfifo "$T/fifo.json"
	expect_refusal 1 "fifo.json: is not a regular file" --db-config "$T/fifo.json"
	head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' > "$T/huge.json"
	expect_refusal 1 "huge.json: 1048577 bytes, larger than the 1048576 bytes allowed" \
		--db-config "$T/huge.json"
	mkdir "$T/dir.json"
	expect_refusal 1 "dir.json: is a directory, not a file" --db-config "$T/dir.json"
	sed 's/"id": 6/"id": 4/' "$T/database_config.json" > "$T/dup.json"
	expect_refusal 1 "DATABASES.CONFIG_DB and DATABASES.STATE_DB have the same id 4 on instance redis" \
		--db-config "$T/dup.json"
	sed 's/"separator": ":"/"separator": "\\n"/' "$T/database_config.json" > "$T/nl.json"
	expect_refusal 1 "DATABASES.APPL_DB.separator must be a string of 1 to 3 printable ASCII" \
		--db-config "$T/nl.json"
}

# A database id the server does not have: exit 1 at start-up, naming it.
it_f02_database_id_out_of_range() {
	sed 's/"id": 6/"id": 99/' "$T/database_config.json" > "$T/range.json"
	expect_refusal 1 "Redis refused SELECT 99 for STATE_DB: ERR DB index is out of range" \
		--db-config "$T/range.json"
}

# Redis restarted with every client slot taken: SELECT is refused; the daemon says so with
# Redis's own error, reconnects with its backoff, and once slots are free STATE_DB is exact.
it_f03_maxclients_refusal() {
	config_ports 4
	start_daemon --reconnect-min-ms 1000 --reconnect-max-ms 1000
	consume
	add_ports 4
	wait_converged
	rcli 0 SAVE >/dev/null
	kill_redis
	# the new server is full before the daemon can reach it: started on another path, its
	# client slots taken, then moved where the daemon looks. Five slots: once the holders go,
	# the daemon's four connections (one per database, one subscription) and the test's own.
	local sock=$SOCK holders="" i
	SOCK=$T/full.sock
	start_redis --maxclients 5 --dbfilename dump.rdb
	for i in 1 2 3 4 5; do
		redis-cli -s "$SOCK" SUBSCRIBE hold > "$T/holder$i" 2>&1 &
		holders="$holders $!"
		wait_until "holder $i subscribed" grep -q hold "$T/holder$i"
	done
	mv "$SOCK" "$sock"
	SOCK=$sock
	nsip link set Ethernet1 down
	nsip link set Ethernet2 mtu 9000
	wait_until "refusal logged" grep -q "max number of clients reached" "$T/daemon.log"
	sleep 1
	daemon_alive || fail "the daemon exited"
	kill $holders
	wait $holders 2>/dev/null
	wait_until "reconnected" grep -q "Redis: recovered" "$T/daemon.log"
	wait_converged consume
	stop_daemon
}

# CONFIG_DB PORT|x keys of every other type: each named with Redis's WRONGTYPE, skipped, and
# start-up completes with the ports that are hashes.
it_f04_wrongtype_ports() {
	config_ports 2
	rcli 4 SET "PORT|Ethernet10" x >/dev/null
	rcli 4 RPUSH "PORT|Ethernet11" x >/dev/null
	rcli 4 SADD "PORT|Ethernet12" x >/dev/null
	rcli 4 ZADD "PORT|Ethernet13" 1 x >/dev/null
	rcli 4 XADD "PORT|Ethernet14" '*' f v >/dev/null
	start_daemon
	wait_until "PortConfigDone" key_exists 0 "_PORT_TABLE:PortConfigDone"
	expect_eq "$(rcli 0 HGET _PORT_TABLE:PortConfigDone count)" 2 "PortConfigDone count"
	local i
	for i in 10 11 12 13 14; do
		grep -q "CONFIG_DB PORT|Ethernet$i: Redis answered 'WRONGTYPE Operation against a key holding the wrong kind of value'; port not copied" "$T/daemon.log" ||
			fail "PORT|Ethernet$i not named"
	done
	consume
	add_ports 2
	wait_converged
	wait_until "PortInitDone" key_exists 0 "_PORT_TABLE:PortInitDone"
	stop_daemon
}

# Redis restarted from an AOF made slow to load (key-load-delay; clients served every KiB
# loaded, as a large AOF's are every 2 MiB): while it loads, the daemon waits (Redis's LOADING in the
# log), and once loaded finds its data kept: no re-copy (Redis counts no HGETALL, no EVALSHA).
it_f05_loading_aof_is_a_wait() {
	kill_redis
	start_redis --enable-debug-command yes
	config_ports 4
	rcli 0 CONFIG SET appendonly yes >/dev/null
	wait_until "AOF on" sh -c "redis-cli -s $SOCK INFO persistence | grep -q 'aof_rewrite_in_progress:0' && redis-cli -s $SOCK INFO persistence | grep -q 'aof_enabled:1'"
	start_daemon --reconnect-min-ms 50 --reconnect-max-ms 100
	consume
	add_ports 4
	wait_converged
	# a few seconds of loading: large values in a database nobody reads
	rcli 9 DEBUG POPULATE 20000 >/dev/null # loaded at 100 us a key: 2 s of LOADING
	rcli 0 BGREWRITEAOF >/dev/null
	wait_until "AOF rewritten" sh -c "redis-cli -s $SOCK INFO persistence | grep -q 'aof_rewrite_in_progress:0'"
	kill_redis
	nsip link set Ethernet1 down
	redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --save '' --appendonly yes \
		--key-load-delay 100 --loading-process-events-interval-bytes 1024 \
		--logfile "$T/redis.log" --dir "$T" >/dev/null &
	REDIS_PID=$!
	wait_until "socket" test -S "$SOCK"
	wait_until "LOADING seen" grep -q "Redis refused the check of what it kept with 'LOADING" "$T/daemon.log"
	wait_until "recovered" grep -q "Redis: recovered" "$T/daemon.log"
	grep -q "STATE_DB's server restarted (new run_id), .*; APPL_DB kept its data" "$T/daemon.log" ||
		fail "taken for empty, or the restart missed: $(grep recovered "$T/daemon.log")"
	wait_converged
	barrier # a copy, had the daemon started one, has been made
	# commands since the restart (MONITOR cannot attach while Redis loads; these counters can):
	# a copy writes each port through the producer script (EVALSHA); HGETALL is no proof, the
	# alert silences are read with it every second (docs/alerts.md)
	! rcli 0 INFO commandstats | grep -q 'cmdstat_evalsha' ||
		fail "CONFIG_DB copied again: $(rcli 0 INFO commandstats | grep cmdstat_)"
	stop_daemon
}

# SIGTERM with Redis stopped: the flush bound is kept, then exit status 3 with the count of
# port states lost and the first few named.
it_f06_sigterm_with_redis_stopped() {
	config_ports 8
	start_daemon
	consume
	add_ports 8
	wait_converged
	kill -STOP "$REDIS_PID"
	local i status start
	for i in 0 1 2 3 4 5; do nsip link set "Ethernet$i" mtu 9000; done
	sleep 0.2
	start=$(date +%s%N)
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	status=$?
	local ms=$((($(date +%s%N) - start) / 1000000))
	DAEMON_PID=
	kill -CONT "$REDIS_PID"
	expect_eq "$status" 3 "exit status after SIGTERM with writes lost"
	[ $ms -lt 3000 ] || fail "took $ms ms to stop (bound: 2 s)"
	grep -q "stopping with writes still pending: 6 port states not written to Redis (Ethernet[0-5], Ethernet[0-5], Ethernet[0-5], Ethernet[0-5], ...)" "$T/daemon.log" ||
		fail "no count of lost writes: $(grep stopping "$T/daemon.log")"
}

# A SIGHUP as soon as main() has blocked it (before main() runs, only a mask inherited from
# whoever started the daemon can), while start-up is under way, and SIGUSR1, SIGUSR2, SIGALRM later: the daemon lives.
it_f07_early_sighup_and_sigusr1() {
	config_port Ethernet0 0
	: > "$T/daemon.log"
	ip netns exec "$NS" "$PSD_BIN" --db-config "$T/database_config.json" --log-output stderr \
		--log-level INFO >> "$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	# as soon as main() has blocked it: before the handler exists, while start-up runs
	sighup_blocked() { [ $((0x$(sed -n 's/^SigBlk:\t//p' "/proc/$DAEMON_PID/status") & 1)) = 1 ]; }
	wait_until "signals blocked" sighup_blocked
	kill -HUP "$DAEMON_PID"
	wait_until "daemon listening" grep -q "Listen to link messages" "$T/daemon.log"
	local s
	for s in USR1 USR2 ALRM HUP; do
		kill -$s "$DAEMON_PID"
		barrier # the daemon has been through its loop since the signal
		daemon_alive || fail "SIG$s killed the daemon"
	done
	grep -q "signal USR1 from pid [0-9]* ignored" "$T/daemon.log" || fail "SIGUSR1 not logged"
	stop_daemon
}

# A port's netdev renamed to names that are not ports': its STATE_DB entry goes at the rename
# and stays gone after the netdev is deleted.
it_f08_rename_to_non_port_name() {
	config_ports 3
	start_daemon
	consume
	add_ports 3
	wait_converged
	local i=0 name
	for name in foo eth1 Vlan5; do
		nsip link set "Ethernet$i" down
		nsip link set "Ethernet$i" name "$name"
		wait_until "Ethernet$i retired" key_absent 6 "PORT_TABLE|Ethernet$i"
		nsip link del "$name"
		i=$((i + 1))
	done
	wait_converged
	expect_keys 6 'PORT_TABLE|Ethernet*'
	stop_daemon
}

# Redis stopped (SIGSTOP) for 6 s with a 2 s stall limit (redis_stall_ms; default 5 s): the
# stall is logged within the limit, shown in STATUS=, and its end logged; STATE_DB converges.
it_f09_redis_stall() {
	"$NOTIFY_LISTEN" "$T/notify.sock" > "$T/notify.log" 2>&1 &
	local listener=$!
	wait_until "listener bound" test -S "$T/notify.sock"
	config_ports 2
	NOTIFY_SOCKET="$T/notify.sock" start_daemon --redis-stall-ms 2000
	consume
	add_ports 2
	wait_converged
	kill -STOP "$REDIS_PID"
	local start ms
	start=$(date +%s%N)
	nsip link set Ethernet1 mtu 9000
	wait_until "stall logged" grep -q "Redis: stalled, no reply for" "$T/daemon.log"
	ms=$((($(date +%s%N) - start) / 1000000))
	[ $ms -lt 3500 ] || fail "stall logged after $ms ms (limit 2000 ms)"
	wait_until "STATUS says stalled" grep -q "Redis stalled, not answering" "$T/notify.log"
	sleep $((6 - ms / 1000))
	kill -CONT "$REDIS_PID"
	wait_until "stall end logged" grep -q "Redis: stall over after [0-9]* ms: Redis answers again" "$T/daemon.log"
	wait_converged
	wait_until "STATUS says up" sh -c "tail -n 1 '$T/notify.log' | grep -q 'Redis up'"
	stop_daemon
	kill "$listener"
	wait "$listener" 2>/dev/null || true
}

# SAVE, then links change, then kill -9 and a restart from the older RDB: the new run_id tells,
# every port is written again, and STATE_DB is exact within the bound.
it_f10_restart_onto_stale_rdb() {
	config_ports 4
	start_daemon --reconnect-max-ms 200
	consume
	add_ports 4
	wait_converged
	rcli 0 SAVE >/dev/null
	nsip link set Ethernet1 down
	nsip link set Ethernet2 mtu 9000
	nsip link del Ethernet3
	wait_converged
	kill_redis
	start_redis
	wait_until "recovered" grep -q "STATE_DB's server restarted (new run_id)" "$T/daemon.log"
	CONVERGE_TIMEOUT=5 wait_converged
	expect_absent 6 "PORT_TABLE|Ethernet3"
	stop_daemon
}

# Redis restarts empty and CONFIG_DB is loaded 2 s later (a config reload): no PortConfigDone
# for the empty CONFIG_DB; once the ports arrive they are copied, announced and written.
it_f11_empty_restart_config_later() {
	config_ports 4
	start_daemon --reconnect-max-ms 200
	consume
	add_ports 4
	wait_converged
	kill_redis
	rm -f "$T/dump.rdb"
	start_redis
	wait_until "waiting for CONFIG_DB" grep -q "CONFIG_DB has none of the 4 configured ports" "$T/daemon.log"
	barrier timers # a PortConfigDone for the empty CONFIG_DB, and a look at it again, are done
	key_absent 0 "_PORT_TABLE:PortConfigDone" || fail "PortConfigDone for an empty CONFIG_DB"
	config_ports 4
	wait_until "PortConfigDone" key_exists 0 "_PORT_TABLE:PortConfigDone"
	expect_eq "$(rcli 0 HGET _PORT_TABLE:PortConfigDone count)" 4 "PortConfigDone count"
	CONVERGE_TIMEOUT=10 wait_converged consume
	stop_daemon
}

# 100K configured ports with the default settings (ports_max 4096): no partial copy and no
# PortConfigDone; one line with the count, and exit 1.
it_f12_100k_ports_default_ports_max() {
	seq 0 99999 | awk '{ print "HSET PORT|Ethernet" $1 " lanes " $1 }' | rcli 4 >/dev/null
	expect_refusal 1 "CONFIG_DB has 100000 ports; the port table holds 4096 (ports_max): raise ports_max" \
		--db-config "$T/database_config.json" --log-output stderr
	expect_eq "$(grep -c "port table\|ports_max" "$T/err")" 1 "lines about the port table"
	key_absent 0 "_PORT_TABLE:PortConfigDone" || fail "PortConfigDone announced"
	expect_eq "$(rcli 0 DBSIZE)" 0 "APPL_DB keys"
}
