# Warm restart against the real daemon, a real redis-server and 256 veths: while the daemon is
# stopped, 10 ports are deleted (netdev and CONFIG_DB entry), 10 flap and end changed, 10 flap and
# end as they were, and 5 change their MTU; the warm start must end with STATE_DB exact, the 10
# gone, WARM_RESTART_TABLE|portsyncd state through initialized, restored, replayed, reconciled, and
# not one write for an unchanged port (MONITOR). Again with Redis killed in the middle of the
# restore, and with CONFIG_DB WARM_RESTART|swss portsyncd_timer holding the reconciliation.
# STATUS= says where the warm restart is.

WARM_PORTS=256

# warm_setup: a cold daemon with 256 ports converged, warm restart enabled, the daemon stopped,
# the changes made while it is down.
warm_setup() {
	config_ports $WARM_PORTS
	start_daemon
	consume
	add_ports $WARM_PORTS
	wait_converged consume
	wait_until "PortInitDone" key_exists 0 "PORT_TABLE:PortInitDone"
	rcli 6 HSET "WARM_RESTART_ENABLE_TABLE|swss" enable true >/dev/null
	stop_daemon
	local i
	{
		for i in $(seq 0 9); do echo "link del Ethernet$i"; done
		for i in $(seq 10 19); do echo "link set p$i up"; done            # flapped: now up
		for i in $(seq 20 29); do echo "link set p$i up"; echo "link set p$i down"; done # back
		for i in $(seq 30 34); do echo "link set Ethernet$i mtu 9000"; done
	} > "$T/down.batch"
	nsip -batch "$T/down.batch" || fail "the changes made while the daemon is down failed"
	for i in $(seq 0 9); do echo "DEL PORT|Ethernet$i"; done | rcli 4 >/dev/null
	# carrier changes reach operstate through the kernel's linkwatch, up to a second later: the
	# daemon starts once the kernel has settled, so that what it dumps is the final state
	for i in $(seq 10 19); do wait_until "Ethernet$i oper up" oper_is "Ethernet$i" up; done
	for i in $(seq 20 29); do wait_until "Ethernet$i oper down" oper_is "Ethernet$i" down; done
	rcli 6 CONFIG SET notify-keyspace-events KEA >/dev/null
}

config_done_count_is() {
	[ "$(rcli 0 HGET _PORT_TABLE:PortConfigDone count)" = "$1" ]
}

# hset_events_are N: the keyspace watch has seen exactly N hset events
hset_events_are() {
	[ "$(grep -c '^hset$' "$T/keyspace.log")" = "$1" ]
}

oper_is() { # oper_is PORT up|down: the kernel's operstate (down: lowerlayerdown and the like)
	local o
	o=$(ip netns exec "$NS" cat "/sys/class/net/$1/operstate")
	case $2 in up) [ "$o" = up ] ;; *) [ "$o" != up ] && [ "$o" != unknown ] ;; esac
}

# The ports whose netdev did not change while the daemon was down.
unchanged_ports() {
	seq 20 29
	seq 35 $((WARM_PORTS - 1))
}

start_keyspace_watch() {
	redis-cli -s "$SOCK" PSUBSCRIBE '__keyspace@6__:WARM_RESTART_TABLE|portsyncd' \
		> "$T/keyspace.log" 2>&1 &
	KS_PID=$!
	wait_until "keyspace subscriber attached" grep -q psubscribe "$T/keyspace.log"
}

# warm_check_end [SEQ]: STATE_DB exact, the deleted ports' entries gone, the state sequence on the wire
# and in keyspace notifications, PortConfigDone's count corrected, and no write for the ports
# STATE_DB already had right.
warm_check_end() {
	local want=${1:-initialized restored replayed reconciled}
	wait_until "state reconciled" warm_state_is reconciled
	wait_converged
	local i
	for i in $(seq 0 9); do expect_absent 6 "PORT_TABLE|Ethernet$i"; done
	for i in $(seq 10 19); do wait_state "Ethernet$i" "up up 1500"; done
	for i in $(seq 30 34); do wait_state "Ethernet$i" "down up 9000"; done
	local seq
	seq=$(grep '"HSET" "WARM_RESTART_TABLE|portsyncd" "state"' "$T/monitor.log" |
		sed 's/.*"state" "\([a-z]*\)".*/\1/' | uniq | tr '\n' ' ')
	expect_eq "$seq" "$want " "state sequence on the wire"
	# the 10 deleted left CONFIG_DB too: PortConfigDone counts the 246 left, and PortInitDone
	wait_until "PortConfigDone rewritten" config_done_count_is $((WARM_PORTS - 10))
	wait_until "PortInitDone written again" grep -q '"G" "PortInitDone"' "$T/monitor.log"
	barrier # every write of the warm start has been made, and no more comes
	# every state write is a keyspace event (restore_count's HSET is one more)
	local writes
	writes=$(grep -c '"HSET" "WARM_RESTART_TABLE|portsyncd"' "$T/monitor.log")
	wait_until "a keyspace event for each of the $writes writes" hset_events_are "$writes"
	# MONITOR: not one STATE_DB write for a port that did not change
	unchanged_ports | sed 's/.*/"PORT_TABLE|Ethernet&"/' > "$T/unchanged.keys"
	grep -E '"(HSET|HDEL|DEL)" "PORT_TABLE\|Ethernet' "$T/monitor.log" |
		grep -oF -f "$T/unchanged.keys" > "$T/churn" || true
	[ ! -s "$T/churn" ] || fail "writes for unchanged ports: $(sort -u "$T/churn" | head -n 5 | tr '\n' ' ')"
	local changed
	changed=$(grep -cE '"HSET" "PORT_TABLE\|Ethernet(1[0-9]|3[0-4])"' "$T/monitor.log")
	[ "$changed" -ge 15 ] || fail "only $changed writes for the 15 changed ports"
	grep -q "warm restart: reconciled" "$T/daemon.log" || fail "no 'reconciled' in the log"
}

it_w01_warm_restart_reconciles_256() {
	warm_setup
	start_monitor
	start_keyspace_watch
	"$NOTIFY_LISTEN" "$T/notify.sock" > "$T/notify.log" 2>&1 &
	wait_until "notify listener bound" test -S "$T/notify.sock"
	NOTIFY_SOCKET="$T/notify.sock" start_daemon
	warm_check_end
	wait_until "STATUS= with the warm restart reconciled" \
		grep -q "^STATUS=running (warm); .*; warm restart reconciled$" "$T/notify.log"
	expect_eq "$(rcli 6 HGET "WARM_RESTART_TABLE|portsyncd" restore_count)" 1 "restore_count"
	stop_daemon
}

# Redis is killed (kill -9) while the restore's reads are refused (ACL: no HGETALL), and starts
# again from its append-only file: the restore runs again on the new server and ends exact.
it_w02_warm_restart_redis_killed_mid_restore() {
	kill_redis
	start_redis --appendonly yes --appendfsync always
	warm_setup
	rcli 0 ACL SETUSER default -hgetall >/dev/null
	start_daemon
	wait_until "the restore refused" grep -q "warm restart: Redis refused the read" "$T/daemon.log"
	expect_eq "$(redis-cli -s "$SOCK" -n 6 HGET "WARM_RESTART_TABLE|portsyncd" state)" \
		initialized "state during the restore"
	wait_state Ethernet10 "down up 1500" # nothing applied before the restore is complete
	kill -STOP "$DAEMON_PID" # it reconnects only once both watchers are on the new server
	kill_redis
	start_redis --appendonly yes --appendfsync always # ACLs are not in the file: allowed again
	rcli 6 CONFIG SET notify-keyspace-events KEA >/dev/null # nor is this setting
	start_monitor
	start_keyspace_watch
	kill -CONT "$DAEMON_PID"
	# on the new server: initialized written again, then the rest of the path
	warm_check_end
	grep -q "warm restart: STATE_DB holds 256 port entries" "$T/daemon.log" ||
		fail "the restore did not read the restarted server's 256 entries"
	stop_daemon
}

# portsyncd_timer 2: the end of initial update (replayed) holds the deletions until it is over.
it_w03_warm_restart_portsyncd_timer() {
	warm_setup
	rcli 4 HSET "WARM_RESTART|swss" portsyncd_timer 2 >/dev/null
	start_monitor
	start_keyspace_watch
	start_daemon
	wait_until "state replayed" warm_state_is replayed
	key_exists 6 "PORT_TABLE|Ethernet0" || warm_state_is reconciled ||
		fail "Ethernet0's entry deleted before the hold was over"
	wait_state Ethernet30 "down up 9000" # changes are not held, only deletions
	warm_check_end
	grep -q "holding 2000 ms (portsyncd_timer) before reconciling" "$T/daemon.log" ||
		fail "the hold was not logged"
	stop_daemon
}
