# One instance per namespace (adapters/lock.c): a second daemon for the same namespace exits 1
# naming the first, which goes on undisturbed; the lock dies with its holder, so after a SIGKILL a
# new daemon starts; daemons of other namespaces take locks of their own.

# netns_lock NS: the lock file of a daemon without -n in network namespace NS, under $T/run
netns_lock() {
	echo "$T/run/portsyncd-netns-$(ip netns exec "$1" stat -L -c %i /proc/self/ns/net).lock"
}

it_lock_one_instance_per_namespace() {
	local lock first status
	config_port Ethernet0 0
	start_daemon --lock-dir "$T/run"
	first=$DAEMON_PID
	consume
	add_port Ethernet0
	wait_state Ethernet0 "down down 1500"
	lock=$(netns_lock "$NS")
	expect_eq "$(cat "$lock")" "$first" "the lock file's pid"
	# a second daemon for the namespace: refused, naming the first
	ip netns exec "$NS" "$PSD_BIN" --db-config "$T/database_config.json" --lock-dir "$T/run" \
		--metrics=false > "$T/second.log" 2>&1
	status=$?
	expect_eq "$status" 1 "exit status of a second daemon"
	grep -qxF "portsyncd: another portsyncd (pid $first) holds $lock" "$T/second.log" ||
		fail "the second daemon said: $(cat "$T/second.log")"
	# the first is undisturbed: it still follows the links and still holds the lock
	nsip link set Ethernet0 mtu 1400
	wait_state Ethernet0 "down down 1400"
	expect_eq "$(cat "$lock")" "$first" "the lock file's pid after the refusal"
	# a daemon of another network namespace is no second instance (its own Redis, its own lock)
	local other="psdit-lk$$" other_lock
	ip netns add "$other" || fail "cannot create network namespace $other"
	ASIC_NS_MADE="${ASIC_NS_MADE:-} $other"
	mkdir -p "$T/r2"
	redis-server --port 0 --unixsocket "$T/r2/redis.sock" --unixsocketperm 700 --save '' \
		--appendonly no --logfile "$T/r2/redis.log" --dir "$T/r2" >/dev/null &
	wait_until "the second redis-server answers" redis-cli -s "$T/r2/redis.sock" PING
	sed "s|$SOCK|$T/r2/redis.sock|" "$T/database_config.json" > "$T/r2/db.json"
	ip netns exec "$other" "$PSD_BIN" --db-config "$T/r2/db.json" --lock-dir "$T/run" \
		--metrics=false --log-output stderr --log-level INFO > "$T/other.log" 2>&1 &
	local other_pid=$!
	wait_until "the other namespace's daemon listening" grep -q "Listen to link messages" \
		"$T/other.log"
	other_lock=$(netns_lock "$other")
	[ "$other_lock" != "$lock" ] || fail "two namespaces share the lock $lock"
	expect_eq "$(cat "$other_lock")" "$other_pid" "the other namespace's lock file's pid"
	kill -TERM "$other_pid"
	wait "$other_pid" || fail "the other namespace's daemon exited with $?"
	# the first killed outright: the lock goes with it, and a new daemon starts
	kill -KILL "$first"
	wait "$first" 2>/dev/null
	DAEMON_PID=
	start_daemon --lock-dir "$T/run"
	expect_eq "$(cat "$lock")" "$DAEMON_PID" "the lock file's pid after the restart"
	nsip link set Ethernet0 mtu 1300
	wait_state Ethernet0 "down down 1300"
	stop_daemon
}

# With -n NAME the lock is the namespace's name, wherever the daemon runs: one started in the
# host namespace (entering NAME for its sockets) holds it against one started inside NAME.
it_lock_by_namespace_name() {
	local name="psdit-ln$$" pid0 status
	asic_netns "$name"
	asic_db 0
	global_config "$name:0"
	"$PSD_BIN" -n "$name" --db-global-config "$GLOBAL" --lock-dir "$T/run" --metrics=false \
		--log-output stderr --log-level INFO > "$T/first.log" 2>&1 &
	pid0=$!
	wait_until "the first daemon listening" grep -q "Listen to link messages" "$T/first.log"
	expect_eq "$(cat "$T/run/portsyncd@$name.lock")" "$pid0" "the lock file's pid"
	ip netns exec "$name" "$PSD_BIN" -n "$name" --db-global-config "$GLOBAL" \
		--lock-dir "$T/run" --metrics=false > "$T/second.log" 2>&1
	status=$?
	expect_eq "$status" 1 "exit status of a second daemon for $name"
	grep -qxF "portsyncd: another portsyncd (pid $pid0) holds $T/run/portsyncd@$name.lock" \
		"$T/second.log" || fail "the second daemon said: $(cat "$T/second.log")"
	kill -0 "$pid0" || fail "the first daemon is gone"
	kill -TERM "$pid0"
	wait "$pid0" || fail "the first daemon exited with $?"
}

it_lock_directory_refused() {
	printf 'not a directory' > "$T/file"
	expect_refusal 1 "instance lock: $T/file/portsyncd-netns-" --db-config \
		"$T/database_config.json" --lock-dir "$T/file"
	grep -qF ": Not a directory" "$T/err" || fail "$(cat "$T/err")"
}
