# Bad input gets a clear error and loses nothing: each case asserts the message and that the
# daemon kept running (or, for configuration errors, refused to start and said why).

# A datagram from a local process, not from the kernel, claiming a port is up.
it_b01_datagram_not_from_kernel() {
	config_port Ethernet0 0
	start_daemon
	consume
	add_port Ethernet0
	wait_state Ethernet0 "down down 1500"
	local ports
	ports=$(ip netns exec "$NS" awk '$2 == 0 && $4 != "00000000" { print $3 }' /proc/net/netlink)
	[ -n "$ports" ] || fail "no netlink socket joined to a group in the namespace"
	for p in $ports; do ip netns exec "$NS" "$NL_INJECT" "$p" Ethernet0; done
	wait_until "foreign datagram reported" grep -q "datagram not from the kernel ignored" "$T/daemon.log"
	barrier
	state_is Ethernet0 "down down 1500" || # the datagram claims up, up and 9100
		fail "STATE_DB took the foreign datagram: $(hash_of 6 "PORT_TABLE|Ethernet0" | tr '\n' ' ')"
	daemon_alive || fail "the daemon exited"
	stop_daemon
}

# An interface name outside the grammar (non-ASCII), reported with its bytes escaped.
it_b02_odd_interface_name() {
	config_port Ethernet0 0
	start_daemon
	consume
	nsip link add "$(printf 'Ethernet\303\251')" type veth peer name podd
	wait_until "odd name reported" grep -qF "invalid interface name 'Ethernet\\xc3\\xa9' ignored" "$T/daemon.log"
	add_port Ethernet0
	wait_state Ethernet0 "down down 1500"
	barrier
	expect_keys 6 'PORT_TABLE|*' "PORT_TABLE|Ethernet0"
	stop_daemon
}

# CONFIG_DB values: huge, empty, binary, too many fields.
it_b03_odd_config_db_values() {
	config_port Ethernet0 0
	rcli 4 HSET "PORT|Ethernet4" lanes 4 description "$(head -c 20000 /dev/zero | tr '\0' x)" >/dev/null
	printf 'HSET "PORT|Ethernet8" lanes 8 empty "" blob "\\x00\\xff\\x01"\n' | rcli 4 >/dev/null
	local i
	for i in $(seq 1 70); do echo "HSET PORT|Ethernet12 f$i v$i"; done | rcli 4 >/dev/null
	start_daemon
	wait_until "PortConfigDone" key_exists 0 "_PORT_TABLE:PortConfigDone"
	expect_hash 0 "_PORT_TABLE:PortConfigDone" count=2
	grep -q "is larger than PSD_PORT_CONFIG_BYTES_MAX" "$T/daemon.log" || fail "no message for the huge value"
	grep -q "has more fields than PSD_PORT_FIELDS_MAX" "$T/daemon.log" || fail "no message for 70 fields"
	expect_absent 0 "_PORT_TABLE:Ethernet4"
	expect_absent 0 "_PORT_TABLE:Ethernet12"
	expect_eq "$(rcli 0 HGET _PORT_TABLE:Ethernet8 empty)" "" "empty value"
	expect_eq "$(rcli 0 HGET _PORT_TABLE:Ethernet8 blob | od -An -tx1 | tr -d ' \n')" "00ff010a" "binary value"
	consume
	add_port Ethernet0
	add_port Ethernet8
	wait_until "PortInitDone without the refused ports" key_exists 0 "_PORT_TABLE:PortInitDone"
	stop_daemon
}

# A corrupt restore_count on a warm start: an error naming the value, and a cold start.
it_b04_corrupt_restore_count() {
	rcli 6 HSET "WARM_RESTART_ENABLE_TABLE|swss" enable true >/dev/null
	rcli 6 HSET "WARM_RESTART_TABLE|portsyncd" restore_count "12abc" >/dev/null
	start_daemon
	grep -q "restore_count '12abc' is not a count, fall back to cold start" "$T/daemon.log" ||
		fail "no message for the corrupt restore_count"
	expect_hash 6 "WARM_RESTART_TABLE|portsyncd" restore_count=0 state=disabled
	wait_until "PortConfigDone" key_exists 0 "_PORT_TABLE:PortConfigDone"
	stop_daemon
}

# A malformed database_config.json: exit 1, naming file and line or field.
it_b05_malformed_database_config() {
	printf '{"INSTANCES": {\n  "redis": \n}' > "$T/broken.json"
	expect_refusal 1 "broken.json: line 3" --db-config "$T/broken.json"
	sed 's/"id": 6/"id": "six"/' "$T/database_config.json" > "$T/typed.json"
	expect_refusal 1 "DATABASES.STATE_DB.id must be an integer" --db-config "$T/typed.json"
}

# A bad settings file: refuse to start naming file, line, key and allowed values; on SIGHUP,
# keep the old settings and say why; a good file on SIGHUP applies, but for the settings read only
# at start, each of which it names as ignored.
it_b06_settings_file() {
	printf '[daemon]\nports_max = 64\n[log]\nlevel = LOUD\n' > "$T/bad.conf"
	expect_refusal 1 "bad.conf:4: level 'LOUD': expected EMERG, ALERT, CRIT, ERROR, WARN, NOTICE, INFO or DEBUG" \
		-c "$T/bad.conf" --db-config "$T/database_config.json"
	PORTSYNCD_DAEMON_PORTS_MAX=0 expect_refusal 1 "PORTSYNCD_DAEMON_PORTS_MAX: ports_max '0'" \
		--db-config "$T/database_config.json"
	printf '[log]\nlevel = INFO\noutput = stderr\n' > "$T/good.conf"
	config_port Ethernet0 0
	DAEMON_LOG_FLAGS=" " start_daemon -c "$T/good.conf"
	consume
	add_port Ethernet0
	wait_until "INFO lines" grep -q "Publish Ethernet0" "$T/daemon.log"
	printf '[log]\nlevel = LOUD\n' > "$T/good.conf"
	kill -HUP "$DAEMON_PID"
	wait_until "reload refused" grep -q "SIGHUP: keeping the current configuration: .*good.conf:2: level 'LOUD'" "$T/daemon.log"
	printf '[daemon]\nports_max = 64\n[log]\nlevel = WARN\noutput = stderr\n' > "$T/good.conf"
	kill -HUP "$DAEMON_PID"
	wait_until "reloaded" grep -q "configuration reloaded" "$T/daemon.log"
	grep -q "SIGHUP: ignored ports_max 4096 -> 64: it takes effect at the next start" \
		"$T/daemon.log" || fail "the ignored boot-only change is not logged"
	local before
	before=$(grep -c "Publish Ethernet0" "$T/daemon.log")
	nsip link set Ethernet0 mtu 9000
	wait_state Ethernet0 "down down 9000"
	expect_eq "$(grep -c "Publish Ethernet0" "$T/daemon.log")" "$before" "INFO lines after WARN"
	stop_daemon
}
