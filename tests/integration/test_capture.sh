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
	expect_refusal 1 "not a pcap or pcapng file" --db-config "$T/database_config.json" --replay "$T/bad.pcap"
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
