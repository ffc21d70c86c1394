# The kernel as the simulator models it, shown on Linux itself, and the daemon through a real
# overrun. A netlink receive queue that overflows keeps what it holds, loses what arrives, reports
# ENOBUFS once before that backlog, and stays congested (losing every new message silently) until
# it has been read empty (sim/kernel.h).

NL_BACKLOG=$(realpath "$here/../../build/nl-backlog")

# backlog_cmd CMD: one command to the nl-backlog probe, waiting for its "done".
backlog_cmd() {
	local before
	before=$(grep -c '^done$' "$T/backlog.out")
	echo "$1" >&7
	wait_until "nl-backlog: $1" test "$(grep -c '^done$' "$T/backlog.out")" -gt "$before"
}

it_k01_linux_overrun_keeps_the_oldest_and_stays_congested() {
	local i
	for i in $(seq 0 63); do echo "link add Ethernet$i type veth peer name p$i"; done > "$T/add.batch"
	nsip -batch "$T/add.batch" || fail "cannot create veths"
	mkfifo "$T/backlog.in"
	ip netns exec "$NS" "$NL_BACKLOG" 8192 < "$T/backlog.in" > "$T/backlog.out" &
	exec 7> "$T/backlog.in"
	wait_until "nl-backlog ready" grep -q ready "$T/backlog.out"
	for i in $(seq 0 63); do echo "link set Ethernet$i mtu $((2000 + i))"; done > "$T/mtu.batch"
	nsip -batch "$T/mtu.batch" || fail "cannot change MTUs"
	backlog_cmd "read 2"
	expect_eq "$(sed -n 2p "$T/backlog.out")" "ENOBUFS" "first read after the overflow"
	expect_eq "$(sed -n 3p "$T/backlog.out")" "NEW Ethernet0 mtu 2000" "the oldest change is kept"
	nsip link set Ethernet1 mtu 3001 # still congested: lost, silently
	backlog_cmd drain
	local last kept
	last=$(grep '^NEW' "$T/backlog.out" | tail -n 1)
	kept=$(grep -c '^NEW Ethernet' "$T/backlog.out")
	note "kept $kept of 64 changes; the last one read: $last"
	[ "$kept" -ge 2 ] && [ "$kept" -lt 64 ] || fail "expected a backlog of the oldest changes, got $kept"
	expect_eq "$(grep -c ENOBUFS "$T/backlog.out")" 1 "ENOBUFS reports"
	grep -q "mtu 2063" "$T/backlog.out" && fail "the newest change was kept, not lost"
	grep -q "mtu 3001" "$T/backlog.out" && fail "a change while congested was delivered"
	# the queue was read empty: the socket takes messages again
	nsip link set Ethernet2 mtu 3002
	backlog_cmd drain
	grep -q "NEW Ethernet2 mtu 3002" "$T/backlog.out" || fail "no message after the queue was read empty"
	exec 7>&-
}

# overrun_scenario SECOND_STORM: 256 ports, a 256 KiB receive buffer, the daemon stopped through
# three storms and one delete, then resumed (and, with SECOND_STORM, a storm during the re-dump).
overrun_scenario() {
	config_ports 256
	start_daemon --nl-rcvbuf-bytes 262144 --redump-interval-ms 100
	consume
	add_ports 256
	wait_converged
	storm_batch 256 3 "$T/storm.batch"
	kill -STOP "$DAEMON_PID"
	nsip -batch "$T/storm.batch"
	nsip link del Ethernet7
	kill -CONT "$DAEMON_PID"
	if [ "$1" = yes ]; then
		storm_batch 256 1 "$T/storm2.batch"
		nsip -force -batch "$T/storm2.batch" # Ethernet7 and its peer are gone
	fi
	wait_until "overrun noticed" grep -q "receive buffer overrun (ENOBUFS)" "$T/daemon.log"
	wait_until "backlog discarded" grep -q "datagrams queued before the overrun discarded" "$T/daemon.log"
	wait_converged
	expect_absent 6 "PORT_TABLE|Ethernet7"
	note "$(grep -m1 "datagrams queued before the overrun discarded" "$T/daemon.log" | sed 's/.*netlink: //')"
	stop_daemon
}

it_k02_overrun_backlog_never_overrides_the_redump() {
	overrun_scenario no
}

it_k03_overrun_with_a_storm_during_the_redump() {
	overrun_scenario yes
}
