# Keyspace subscriptions against a real redis-server publishing keyspace events as SONiC's does
# (notify-keyspace-events AKE): a link change costs one round trip (MONITOR shows no EXISTS), a
# port removed from APPL_DB gets no more writes, a subscription connection killed over and over
# mid-storm loses nothing (each subscribe reads APPL_DB in full), a CONFIG_DB written again after
# an empty restart is copied once its ports are written, and a Redis that publishes nothing is
# said once and served by a look-up per change. Metrics come from test_metrics.sh's helpers.

# count_monitor PATTERN: lines of MONITOR's log holding PATTERN
count_monitor() {
	grep -c -- "$1" "$T/monitor.log" || true
}

# A change of an APPL_DB port, watched: HSET only.
it_s01_one_round_trip_per_change() {
	config_ports 8
	start_daemon
	consume
	add_ports 8
	wait_converged consume
	wait_until "APPL_DB watched" metric_is 'portsyncd_redis_keyspace_watched{db="APPL_DB"}' 1
	wait_until "APPL_DB read" metric_is portsyncd_appl_reads_total 1
	start_monitor
	local i
	for i in 0 1 2 3; do nsip link set "p$i" up; done
	wait_converged
	[ "$(count_monitor '"EXISTS"')" = 0 ] || fail "looked up: $(grep EXISTS "$T/monitor.log")"
	[ "$(count_monitor '"HSET" "PORT_TABLE|Ethernet')" -ge 4 ] || fail "no writes seen"
	[ "$(metric portsyncd_appl_known_writes_total)" -ge 4 ] || fail "not counted as known"
	stop_daemon
}

# A port removed from APPL_DB while the daemon runs gets no more STATE_DB writes; once orchagent
# writes it again, its latest state is written without waiting for a timer.
it_s02_removed_from_appl_db() {
	config_ports 4
	start_daemon
	consume
	add_ports 4
	wait_converged consume
	wait_until "APPL_DB read" metric_is portsyncd_appl_reads_total 1
	rcli 0 DEL PORT_TABLE:Ethernet2 >/dev/null
	start_monitor
	nsip link set p2 up
	nsip link set Ethernet2 mtu 9000
	sync_on Ethernet1 9000 "down up" # a later change handled: the earlier ones were
	[ "$(count_monitor '"PORT_TABLE|Ethernet2"')" = 0 ] ||
		fail "Ethernet2 written after its removal: $(grep Ethernet2 "$T/monitor.log")"
	wait_state Ethernet2 "down up 1500"
	rcli 0 HSET PORT_TABLE:Ethernet2 admin_status up lanes 2 >/dev/null
	wait_state Ethernet2 "up up 9000"
	stop_daemon
}

# The subscription connection killed over and over during a storm (CLIENT KILL TYPE pubsub), and
# APPL_DB changed right after each kill: every subscribe reads APPL_DB in full, so whatever the
# notifications lost with their connection, STATE_DB ends exact and a port gone from APPL_DB is
# not written.
it_s03_subscription_killed_mid_storm() {
	config_ports 32
	start_daemon --reconnect-min-ms 20 --reconnect-max-ms 50
	consume
	add_ports 32
	wait_converged consume
	storm_batch 32 3 "$T/storm.batch"
	nsip -batch "$T/storm.batch" &
	local storm=$! i
	for i in 1 2 3 4 5; do
		rcli 0 CLIENT KILL TYPE pubsub >/dev/null
		rcli 0 HSET PORT_TABLE:Ethernet$i speed 40000 >/dev/null
		sleep 0.1
	done
	rcli 0 CLIENT KILL TYPE pubsub >/dev/null
	rcli 0 DEL PORT_TABLE:Ethernet31 >/dev/null
	wait $storm
	wait_until "subscription lost" grep -q "keyspace subscription of APPL_DB lost" "$T/daemon.log"
	wait_until "watched again" metric_is 'portsyncd_redis_keyspace_watched{db="APPL_DB"}' 1
	[ "$(metric portsyncd_redis_keyspace_losses_total)" -ge 6 ] || fail "kills not counted"
	[ "$(metric portsyncd_appl_reads_total)" -ge 2 ] || fail "APPL_DB not read again"
	nsip link set p31 up # APPL_DB no longer has it: not written
	sync_on Ethernet0 9000 "up up" # an even port: up after the storm
	expect_hash 6 "PORT_TABLE|Ethernet31" state=ok netdev_oper_status=down admin_status=up mtu=1500
	rcli 0 HSET PORT_TABLE:Ethernet31 admin_status up lanes 31 >/dev/null
	wait_converged
	stop_daemon
}

# Redis back empty, its CONFIG_DB written later (a config reload): copied again once the ports
# are written, not at the next poll; the time it took is printed.
it_s04_config_reloaded_after_empty_restart() {
	config_ports 8
	start_daemon --reconnect-min-ms 20 --reconnect-max-ms 50
	consume
	add_ports 8
	wait_converged consume
	kill_redis
	start_redis
	wait_until "waiting for CONFIG_DB" grep -q "CONFIG_DB has none of the 8 configured ports" \
		"$T/daemon.log"
	wait_until "CONFIG_DB watched again" metric_is 'portsyncd_redis_keyspace_watched{db="CONFIG_DB"}' 1
	local start end
	start=$(date +%s%N)
	config_ports 8
	wait_until "PortConfigDone written again" key_exists 0 _PORT_TABLE:PortConfigDone
	end=$(date +%s%N)
	note "CONFIG_DB reloaded: PortConfigDone $(((end - start) / 1000000)) ms after the reload began"
	wait_converged consume
	stop_daemon
}

# A Redis that publishes no keyspace events: said once, every change looked up, nothing lost.
it_s05_no_keyspace_events() {
	kill_redis
	start_redis --notify-keyspace-events ""
	config_ports 4
	start_daemon
	consume
	add_ports 4
	wait_converged consume
	wait_until "said" grep -q "keyspace notifications of APPL_DB off" "$T/daemon.log"
	metric_is 'portsyncd_redis_keyspace_watched{db="APPL_DB"}' 0 || fail "APPL_DB taken as watched"
	start_monitor
	nsip link set p1 up
	wait_state Ethernet1 "up up 1500"
	[ "$(count_monitor '"EXISTS" "PORT_TABLE:Ethernet1"')" = 1 ] || fail "no look-up"
	stop_daemon
}
