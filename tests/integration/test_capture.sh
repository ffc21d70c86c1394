# Capture and replay: --record writes what the daemon receives as a pcap file that tcpdump
# reads as LINKTYPE_NETLINK; --replay feeds it to a daemon against a fresh redis-server, with no
# netdev involved, and STATE_DB ends the same, port by port.

it_c01_record_replay_round_trip() {
	local n=8
	config_ports "$n"
	start_daemon --record "$T/flaps.pcap"
	add_ports "$n"
	storm_batch "$n" 5 "$T/storm.batch"
	nsip -batch "$T/storm.batch" || fail "the storm batch failed"
	wait_converged consume
	state_truth > "$T/live.state"
	stop_daemon
	expect_eq "$(wc -l < "$T/live.state")" "$n" "ports in the live run"
	tcpdump -r "$T/flaps.pcap" -c 1 > "$T/tcpdump.out" 2>&1 ||
		{ cat "$T/tcpdump.out" >&2; fail "tcpdump cannot read the capture"; }
	grep -q "NETLINK" "$T/tcpdump.out" || { cat "$T/tcpdump.out" >&2; fail "tcpdump does not see LINKTYPE_NETLINK"; }
	kill_redis
	rm -f "$T"/*.rdb "$T"/*.aof
	start_redis
	config_ports "$n"
	start_daemon --replay "$T/flaps.pcap"
	wait_until "the replay to end" grep -q "capture ended" "$T/daemon.log"
	same_state() { consume && [ "$(state_truth)" = "$(cat "$T/live.state")" ]; }
	wait_until "STATE_DB of the replay equal to the live run's" same_state
	grep -q "replay: [1-9][0-9]* datagrams fed" "$T/daemon.log" || fail "no datagram was replayed"
	stop_daemon
}

it_c02_replay_refuses_a_bad_capture() {
	printf 'not a capture at all, just text' > "$T/bad.pcap"
	expect_refusal 1 "not a pcap file" --db-config "$T/database_config.json" --replay "$T/bad.pcap"
}

it_c03_replay_in_recorded_time() {
	local span ms
	span=$(tcpdump -tt -r "$FIXTURES/captures/veth-flaps-8.pcap" 2>/dev/null |
		awk '/^[0-9]/ { if (!a) a = $1; b = $1 } END {printf "%d", (b - a) * 1000}')
	[ "$span" -gt 100 ] || fail "the capture spans only $span ms"
	config_ports 8
	start_daemon --replay "$FIXTURES/captures/veth-flaps-8.pcap" --replay-recorded-time
	wait_until "the replay to end" grep -q "capture ended" "$T/daemon.log"
	ms=$(sed -n 's/.*replay: [0-9]* datagrams fed from .* in \([0-9]*\) ms.*/\1/p' "$T/daemon.log")
	[ "$ms" -ge "$span" ] || fail "replayed in $ms ms, faster than the $span ms recorded"
	[ "$ms" -lt $((span + 2000)) ] || fail "replayed in $ms ms, the capture spans $span ms"
	stop_daemon
}

# One driver: a capture replayed through the daemon (--replay-lockstep, each datagram once Redis
# has answered) and through the simulator's world (fixtures/field/capture-trace.fixture) gives the
# same commands, database by database, byte for byte. Across databases the order is the order in
# which redis-server reads three sockets, so it is not compared; the LOGGER polls are timer-driven
# (once a second, in the daemon's real time) and are left out of both; the producer script's SHA1
# is Redis's own, the simulator's model names it by a constant. MONITOR also shows each
# connection's SELECT (the adapter's, not the core's) and the commands the script runs inside
# Redis ("lua" clients): neither is a command the daemon sent.
it_c04_replay_commands_equal_the_simulator() {
	local i db
	"$here/../../build/psd-sim" --fixture "$FIXTURES/field/capture-trace.fixture" \
		--commands "$T/sim.raw" > "$T/sim.out" || { cat "$T/sim.out" >&2; fail "the simulator run failed"; }
	rcli 4 HSET "PORT|Ethernet0" admin_status up alias Ethernet0 lanes 0 mtu 9100 speed 100000 >/dev/null
	for i in $(seq 0 7); do rcli 0 HSET "PORT_TABLE:Ethernet$i" admin_status up > /dev/null; done
	rcli 0 HSET PORT_TABLE:PortConfigDone count 8 > /dev/null
	start_monitor
	start_daemon --replay "$FIXTURES/captures/veth-flaps-8.pcap" --replay-lockstep
	wait_until "the replay to end" grep -q "capture ended" "$T/daemon.log"
	wait_until "PortInitDone" grep -q '"_PORT_TABLE:PortInitDone"' "$T/monitor.log"
	stop_daemon
	kill "$MONITOR_PID"
	wait "$MONITOR_PID" 2>/dev/null
	MONITOR_PID=
	# PORT_LINK_STATS (docs/metrics.md) is the daemon's link analytics, on by default; the
	# simulator's world runs with it off, so it is left out of the comparison
	normalise() { grep -v '^4 "HGET" "LOGGER|portsyncd"' | grep -v '^6 "HSET" "PORT_LINK_STATS|' |
		sed -E 's/"[0-9a-f]{40}"/"SHA"/g'; }
	sed -n 's/^[0-9.]* \[\([0-9]*\) unix:[^]]*\] /\1 /p' "$T/monitor.log" | grep -v '^[0-9]* "SELECT"' |
		normalise > "$T/daemon.cmds"
	normalise < "$T/sim.raw" > "$T/sim.cmds"
	for db in 0 4 6; do
		grep "^$db " "$T/daemon.cmds" > "$T/daemon.$db"
		grep "^$db " "$T/sim.cmds" > "$T/sim.$db"
		cmp -s "$T/daemon.$db" "$T/sim.$db" || {
			diff "$T/sim.$db" "$T/daemon.$db" | head -n 20 >&2
			fail "database $db: the daemon's commands differ from the simulator's"
		}
		note "database $db: $(wc -l < "$T/sim.$db") commands alike"
	done
}
