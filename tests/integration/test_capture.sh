# Capture and replay: --record writes what the daemon receives as a pcap file that tcpdump
# reads as LINKTYPE_NETLINK; --replay feeds it to a daemon against a fresh redis-server, with no
# netdev involved, and STATE_DB ends the same, port by port.

it_c01_record_replay_round_trip() {
	local n=8
	record_storm "$n" "$T/flaps.pcap"
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
	expect_refusal 1 "not a pcap or pcapng file" --db-config "$T/database_config.json" --replay "$T/bad.pcap"
	# a capture of another link type (Ethernet), named with the offset of its link type
	printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000' \
		> "$T/ether.pcap"
	expect_refusal 1 "capture $T/ether.pcap: offset 20: link type 1, expected NETLINK (253)" \
		--db-config "$T/database_config.json" --replay "$T/ether.pcap"
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

# The standard tools on what --record wrote during a veth storm: tshark decodes the rtnetlink
# link messages (names and operstates of every port, two or more per port), and the same capture
# converted to pcapng by editcap replays into a fresh Redis with the same STATE_DB as the live
# run.
it_c04_tshark_decodes_and_pcapng_replays() {
	local n=8 names links
	command -v tshark >/dev/null && command -v editcap >/dev/null ||
		fail "tshark and editcap are not installed (ci/install-deps.sh)"
	record_storm "$n" "$T/storm.pcap"
	tshark -r "$T/storm.pcap" -Y 'netlink-route.ifla_ifname matches "^Ethernet"' \
		-T fields -e netlink.hatype -e netlink-route.ifla_ifname \
		-e netlink-route.ifla_operstate > "$T/tshark.out" 2> "$T/tshark.err" ||
		{ cat "$T/tshark.err" >&2; fail "tshark cannot read the capture"; }
	names=$(cut -f2 "$T/tshark.out" | sort -u | paste -sd' ')
	expect_eq "$names" "$(seq 0 $((n - 1)) | sed 's/^/Ethernet/' | sort | paste -sd' ')" \
		"port names tshark decoded"
	links=$(wc -l < "$T/tshark.out")
	# the kernel's link watch folds quick carrier flaps, so the count varies with the load
	[ "$links" -ge $((n * 2)) ] || fail "tshark decoded only $links link messages"
	grep -qv "^824	" "$T/tshark.out" && fail "a packet without the netlink cooked header"
	note "tshark: $links rtnetlink link messages for $n ports"
	editcap -F pcapng "$T/storm.pcap" "$T/storm.pcapng" || fail "editcap -F pcapng failed"
	[ "$(head -c 4 "$T/storm.pcapng" | od -An -tx1 | tr -d ' ')" = 0a0d0d0a ] ||
		fail "editcap did not write pcapng"
	kill_redis
	start_redis
	config_ports "$n"
	start_daemon --replay "$T/storm.pcapng"
	wait_until "the replay to end" grep -q "capture ended" "$T/daemon.log"
	same_state() { consume && [ "$(state_truth)" = "$(cat "$T/live.state")" ]; }
	wait_until "STATE_DB of the pcapng replay equal to the live run's" same_state
	stop_daemon
}

# A capture shaped as tcpdump writes it on an nlmon interface (microsecond pcap, no port id or
# dump flag, requests of other programs, acknowledgements, another netlink family between the
# kernel's datagrams; tools/pcap-as-nlmon.py, as this kernel may have no nlmon) replays to the
# live run's STATE_DB, in pcap, in pcapng and as tcpdump writes it again.
it_c05_nlmon_shaped_capture_replays() {
	local n=8 f
	config_ports "$n"
	start_daemon --record "$T/storm.pcap"
	add_ports "$n"
	storm_batch "$n" 3 "$T/storm.batch"
	nsip -batch "$T/storm.batch" || fail "the storm batch failed"
	wait_converged consume
	state_truth > "$T/live.state"
	stop_daemon
	python3 "$here/../../tools/pcap-as-nlmon.py" "$T/storm.pcap" "$T/nlmon.pcap" ||
		fail "cannot rewrite the capture"
	editcap -F pcapng "$T/nlmon.pcap" "$T/nlmon.pcapng" || fail "editcap -F pcapng failed"
	# and as tcpdump itself writes a capture (libpcap's writer: pcap, microsecond stamps)
	tcpdump -r "$T/nlmon.pcapng" -w "$T/nlmon-tcpdump.pcap" 2> "$T/tcpdump.err" ||
		fail "tcpdump cannot rewrite the capture: $(cat "$T/tcpdump.err")"
	[ "$(head -c 4 "$T/nlmon-tcpdump.pcap" | od -An -tx1 | tr -d ' ')" = d4c3b2a1 ] ||
		fail "tcpdump did not write a microsecond pcap"
	for f in nlmon.pcap nlmon.pcapng nlmon-tcpdump.pcap; do
		kill_redis
		start_redis
		config_ports "$n"
		start_daemon --replay "$T/$f"
		wait_until "the replay of $f to end" grep -q "capture ended" "$T/daemon.log"
		same_state() { consume && [ "$(state_truth)" = "$(cat "$T/live.state")" ]; }
		wait_until "STATE_DB of the $f replay equal to the live run's" same_state
		! grep -q "malformed\|may be lost" "$T/daemon.log" ||
			{ grep "malformed\|may be lost" "$T/daemon.log" >&2; fail "$f: requests or other families were fed"; }
		stop_daemon
	done
}

# One driver: a capture replayed through the daemon (--replay-lockstep, each datagram once Redis
# has answered) and through the simulator's world (fixtures/field/capture-trace.fixture) gives the
# same commands, database by database, byte for byte. Across databases the order is the order in
# which redis-server reads three sockets, so it is not compared; the LOGGER polls are timer-driven
# (once a second, in the daemon's real time) and are left out of both; the producer script's SHA1
# is Redis's own, the simulator's model names it by a constant. MONITOR also shows each
# connection's SELECT (the adapter's, not the core's) and the commands the script runs inside
# Redis ("lua" clients): neither is a command the daemon sent.
it_c06_replay_commands_equal_the_simulator() {
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
	# PORT_LINK_STATS (docs/metrics.md) is the daemon's link analytics, on by default, and the
	# alerts (docs/alerts.md: the silence poll, the sweep, the entries) follow the wall clock;
	# the simulator's fixture world runs without either, so they are left out of the comparison
	normalise() { grep -v '^4 "HGET" "LOGGER|portsyncd"' | grep -v '^6 "HSET" "PORT_LINK_STATS|' |
		grep -v '^4 "HGETALL" "PORTSYNCD_ALERT_SILENCE|portsyncd"' |
		grep -v '^6 "[A-Z]*" "PORTSYNCD_ALERT|' | sed -E 's/"[0-9a-f]{40}"/"SHA"/g'; }
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

# A capture recorded through an overrun replays to the live run's STATE_DB: the loss is recorded
# with its cause and the end of the stale backlog as a mark (lib/pcap.h), and replayed as the
# events they were, so the replayed backlog is discarded as the live one was.
# record_overrun: the overrun scenario of it_k02 recorded; live.state is STATE_DB at the end.
record_overrun() {
	overrun_through_stop --record "$T/overrun.pcap"
	state_truth > "$T/live.state"
	stop_daemon
	kill_redis
	rm -f "$T"/*.rdb "$T"/*.aof
	start_redis
	config_ports 256
}

replay_overrun() {
	record_overrun
	start_daemon --replay "$T/overrun.pcap" --redump-interval-ms 100 "$@"
	wait_until "the replay to end" grep -q "capture ended" "$T/daemon.log"
	local i
	for i in $(seq 1 50); do
		consume
		[ "$(state_truth)" = "$(cat "$T/live.state")" ] && break
		sleep 0.1
	done
	if [ "$(state_truth)" != "$(cat "$T/live.state")" ]; then
		state_truth > "$T/replay.state"
		diff "$T/live.state" "$T/replay.state" | head -n 5 >&2
		grep -E "overrun|NLMSG_OVERRUN|discarded|re-dump|resync" "$T/daemon.log" | head >&2
		fail "the replay's STATE_DB differs from the live run's"
	fi
	stop_daemon
}

it_c07_replay_of_an_overrun_full_speed() {
	replay_overrun
}

it_c08_replay_of_an_overrun_recorded_time() {
	replay_overrun --replay-recorded-time
}

it_c09_replay_of_an_overrun_lockstep() {
	replay_overrun --replay-lockstep
}
