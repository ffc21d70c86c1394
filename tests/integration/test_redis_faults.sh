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
	start_redis --maxclients 4 # the daemon needs three, the checks one
	local holders="" i
	for i in 1 2 3 4; do
		redis-cli -s "$SOCK" SUBSCRIBE hold >/dev/null 2>&1 &
		holders="$holders $!"
	done
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
