# The kernel as the simulator models it, shown on Linux itself, and the daemon through a real
# overrun. A netlink receive queue that overflows keeps what it holds, loses what arrives, reports
# ENOBUFS once before that backlog, and stays congested (losing every new message silently) until
# it has been read empty (sim/kernel.h).

NL_BACKLOG=$(realpath "$here/../../build/nl-backlog")

# backlog_cmd CMD: one command to the nl-backlog probe, waiting for its "done".
backlog_cmd() {
	BACKLOG_DONE=$(grep -c '^done$' "$T/backlog.out")
	echo "$1" >&7
	wait_until "nl-backlog: $1" backlog_answered
}

backlog_answered() {
	[ "$(grep -c '^done$' "$T/backlog.out")" -gt "$BACKLOG_DONE" ]
}

# start_backlog BYTES: the nl-backlog probe in the namespace, commands on fd 7.
start_backlog() {
	mkfifo "$T/backlog.in"
	ip netns exec "$NS" "$NL_BACKLOG" "$1" < "$T/backlog.in" > "$T/backlog.out" &
	exec 7> "$T/backlog.in"
	wait_until "nl-backlog ready" grep -q ready "$T/backlog.out"
}

# messages_since MARK: the probe's lines after the line MARK (a line count), names and fields.
messages_since() {
	tail -n +$(($1 + 1)) "$T/backlog.out" | grep -v '^done$'
}

it_k01_linux_overrun_keeps_the_oldest_and_stays_congested() {
	local i
	for i in $(seq 0 63); do echo "link add Ethernet$i type veth peer name p$i"; done > "$T/add.batch"
	nsip -batch "$T/add.batch" || fail "cannot create veths"
	start_backlog 8192
	for i in $(seq 0 63); do echo "link set Ethernet$i mtu $((2000 + i))"; done > "$T/mtu.batch"
	nsip -batch "$T/mtu.batch" || fail "cannot change MTUs"
	backlog_cmd "read 2"
	expect_eq "$(sed -n 2p "$T/backlog.out")" "ENOBUFS" "first read after the overflow"
	expect_eq "$(sed -n 3p "$T/backlog.out" | cut -d" " -f1-4)" "NEW Ethernet0 mtu 2000" "the oldest change is kept"
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

# The field's overrun (lib.sh overrun_through_stop), alone and with a storm during the re-dump.
it_k02_overrun_backlog_never_overrides_the_redump() {
	overrun_through_stop
	note "$(grep -m1 "datagrams queued before the overrun discarded" "$T/daemon.log" | sed 's/.*netlink: //')"
	stop_daemon
}

it_k03_overrun_with_a_storm_during_the_redump() {
	STORM_DURING_REDUMP=yes overrun_through_stop
	stop_daemon
}

# Renames, bridges and deletes as the kernel sends them (sim/kernel.c copies these sequences).
it_k04_linux_link_message_sequences() {
	local mark br
	nsip link add Ethernet0 type veth peer name p0 || fail "cannot create a veth"
	nsip link add Ethernet1 type veth peer name p1 || fail "cannot create a veth"
	nsip link add br0 type bridge || fail "cannot create a bridge"
	br=$(ifindex_of br0)
	start_backlog 1048576
	# a netdev that is up is renamed as it is: one NEWLINK under the new name
	nsip link set Ethernet0 up
	backlog_cmd drain
	mark=$(wc -l < "$T/backlog.out")
	nsip link set Ethernet0 name Ethernet0x || fail "Linux refused to rename a netdev that is up"
	backlog_cmd drain
	expect_eq "$(messages_since "$mark" | cut -d' ' -f1,2,5,6)" "NEW Ethernet0x family 0" "the rename"
	# enslaved: AF_UNSPEC NEWLINKs with the master, then the bridge's AF_BRIDGE NEWLINK
	mark=$(wc -l < "$T/backlog.out")
	nsip link set Ethernet1 master br0
	backlog_cmd drain
	messages_since "$mark" | grep -q "^NEW Ethernet1 .* family 0 master $br" || fail "no AF_UNSPEC NEWLINK with the master"
	messages_since "$mark" | grep -q "^NEW Ethernet1 .* family 7 master $br" || fail "no AF_BRIDGE NEWLINK"
	# deleted while enslaved: it leaves the bridge (AF_BRIDGE DELLINK), then goes without a master
	mark=$(wc -l < "$T/backlog.out")
	nsip link del Ethernet1
	backlog_cmd drain
	expect_eq "$(messages_since "$mark" | grep '^DEL Ethernet1' | cut -d' ' -f1,2,5-8)" \
		"$(printf 'DEL Ethernet1 family 7 master %s\nDEL Ethernet1 family 0 master 0' "$br")" \
		"the DELLINKs of an enslaved netdev"
	exec 7>&-
}

# A dump that links change under is flagged on the first message built after the change, not
# on NLMSG_DONE; a dump datagram larger than the read buffer is cut (MSG_TRUNC) and lost whole,
# and the dump goes on with the next one.
it_k05_linux_interrupted_and_truncated_dumps() {
	local i mark
	for i in $(seq 0 299); do echo "link add Ethernet$i type veth peer name p$i"; done > "$T/add.batch"
	nsip -batch "$T/add.batch" || fail "cannot create veths"
	start_backlog 16777216
	backlog_cmd dump
	backlog_cmd "read 2"
	nsip link add Ethernet900 type veth peer name p900
	backlog_cmd drain
	expect_eq "$(grep -c ' intr$' "$T/backlog.out")" 1 "messages flagged NLM_F_DUMP_INTR"
	grep -q '^NEW .* multi intr$' "$T/backlog.out" || fail "the flag is not on a link message"
	expect_eq "$(grep '^DONE' "$T/backlog.out")" "DONE" "NLMSG_DONE"
	mark=$(wc -l < "$T/backlog.out")
	backlog_cmd dump
	backlog_cmd "small 1"
	backlog_cmd drain
	expect_eq "$(messages_since "$mark" | head -n 1)" "TRUNC" "a datagram larger than the buffer"
	messages_since "$mark" | grep -q '^NEW .* multi$' || fail "the dump did not go on after MSG_TRUNC"
	messages_since "$mark" | grep -q '^DONE$' || fail "the dump did not end after MSG_TRUNC"
	exec 7>&-
}

# big_netdev NAME: a netdev whose RTM_NEWLINK is larger than 32 KiB (400 alternative names of
# 124 bytes; Linux 6.x takes them), as any root process in the namespace can make one.
big_netdev() {
	nsip link add "$1" type veth peer name "p$1" || fail "cannot create $1"
	local i
	for i in $(seq 1 400); do
		echo "link property add dev $1 altname $1a$(printf '%03d' "$i")$(head -c 116 /dev/zero | tr '\0' x)"
	done > "$T/alt.batch"
	nsip -batch "$T/alt.batch" || fail "Linux refused the altnames"
}

# A netdev with a link message larger than a dump datagram's default size (not even a port)
# before the ports: Linux 6.x ends an RTM_GETLINK dump that has no IFLA_EXT_MASK there, with
# NLMSG_DONE and error 0, and a 32 KiB read buffer cuts its messages. The daemon (re)started over
# running ports must still publish every port (it asks with IFLA_EXT_MASK, reads 256 KiB).
it_k06_large_link_message_at_start() {
	config_ports 8
	big_netdev eth9
	start_daemon
	consume
	add_ports 8
	wait_converged consume
	stop_daemon
	# STATE_DB left by the first run must not pass for the second's: every port changes meanwhile
	local i
	for i in $(seq 0 7); do echo "link set Ethernet$i mtu 9000"; done > "$T/mtu.batch"
	nsip -batch "$T/mtu.batch" || fail "cannot change the MTUs"
	start_daemon
	CONVERGE_TIMEOUT=10 wait_converged consume
	stop_daemon
}

# The same netdev, then an overrun: the re-dump's sweep must not delete ports that exist.
it_k07_large_link_message_then_overrun() {
	config_ports 8
	big_netdev eth9
	start_daemon --nl-rcvbuf-bytes 4096 --redump-interval-ms 100
	consume
	add_ports 8
	wait_converged consume
	storm_batch 8 3 "$T/storm.batch"
	kill -STOP "$DAEMON_PID"
	nsip -batch "$T/storm.batch"
	kill -CONT "$DAEMON_PID"
	wait_until "overrun noticed" grep -q "receive buffer overrun (ENOBUFS)" "$T/daemon.log"
	wait_until "the re-dump done, its sweep made" metric_is portsyncd_netlink_resync_pending 0
	barrier # the sweep's deletes, if any, have been executed
	grep "resync found gone" "$T/daemon.log" | head -n 3 >&2
	CONVERGE_TIMEOUT=10 wait_converged
	stop_daemon
}
