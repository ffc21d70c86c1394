# Exact link counts from the kernel's carrier counters (IFLA_CARRIER_CHANGES), against veths: a
# daemon paused with a 4 KiB receive buffer while 8 ports flap 10 times each loses messages (the
# loss counter says so) and still counts every port's changes as the kernel does, and fires the
# flap alert for each; a daemon restarted in the middle of flapping counts neither the kernel's
# history nor what it counted before.

carrier_changes() { # carrier_changes PORT: the kernel's count
	ip netns exec "$NS" cat "/sys/class/net/$1/carrier_changes"
}

link_stat() { # link_stat PORT FIELD
	rcli 6 HGET "PORT_LINK_STATS|$1" "$2"
}

link_stat_is() { # link_stat_is PORT FIELD VALUE
	[ "$(link_stat "$1" "$2")" = "$3" ]
}

it_counts_exact_through_overrun() {
	local i n=8
	config_ports $n
	start_daemon --nl-rcvbuf-bytes 4096 --redump-interval-ms 100
	consume
	add_ports $n
	wait_converged consume
	declare -a before stats
	for i in $(seq 0 $((n - 1))); do
		wait_until "PORT_LINK_STATS|Ethernet$i" key_exists 6 "PORT_LINK_STATS|Ethernet$i"
		before[$i]=$(carrier_changes Ethernet$i)
		stats[$i]=$(link_stat Ethernet$i oper_changes)
	done
	for i in $(seq 0 $((n - 1))); do
		for k in 1 2 3 4 5; do echo "link set p$i up"; echo "link set p$i down"; done
	done > "$T/flaps.batch"
	kill -STOP "$DAEMON_PID"
	nsip -batch "$T/flaps.batch" || fail "the flap batch failed"
	kill -CONT "$DAEMON_PID"
	wait_until "overrun noticed" grep -q "receive buffer overrun (ENOBUFS)" "$T/daemon.log"
	local lost
	lost=$(metric 'portsyncd_netlink_losses_total{cause="enobufs"}')
	[ "${lost:-0}" -ge 1 ] || fail "no loss counted: $lost"
	for i in $(seq 0 $((n - 1))); do
		local delta=$(($(carrier_changes Ethernet$i) - before[i]))
		expect_eq "$delta" 10 "the kernel's carrier changes of Ethernet$i"
		wait_until "PORT_LINK_STATS|Ethernet$i oper_changes = ${stats[$i]} + $delta (now: $(link_stat Ethernet$i oper_changes))" \
			link_stat_is Ethernet$i oper_changes $((stats[i] + delta))
		link_stat_is Ethernet$i counted_by kernel || fail "Ethernet$i not counted by the kernel"
	done
	for i in $(seq 0 $((n - 1))); do
		wait_until "the flap alert of Ethernet$i" key_exists 6 "PORTSYNCD_ALERT|port_flapping|Ethernet$i"
	done
	daemon_alive || fail "daemon died"
}

counted_at_least() {
	[ "$(link_stat Ethernet0 oper_changes)" -ge "$1" ]
}

it_counts_restart_mid_flap() {
	port_up_daemon Ethernet0
	wait_until "first sight" link_stat_is Ethernet0 oper_changes 0
	local k0
	# flapping goes on while the daemon stops and starts again
	flap_peer Ethernet0 16 0.25 &
	local flapper=$!
	wait_until "the first daemon counting" counted_at_least 2
	stop_daemon
	wait "$flapper"
	k0=$(carrier_changes Ethernet0)
	[ "$k0" -ge 16 ] || fail "the kernel counted $k0 changes"
	start_daemon
	wait_until "the restarted daemon's first sight: its baseline, no history" \
		link_stat_is Ethernet0 oper_changes 0
	flap_peer Ethernet0 6
	local delta=$(($(carrier_changes Ethernet0) - k0))
	expect_eq "$delta" 6 "the kernel's changes since the restart"
	wait_until "PORT_LINK_STATS counts the 6 (now: $(link_stat Ethernet0 oper_changes))" \
		link_stat_is Ethernet0 oper_changes 6
	expect_eq "$(metric portsyncd_link_oper_changes_total)" 6 "oper changes metric"
	expect_eq "$(metric 'portsyncd_port_carrier_changes_total{port="Ethernet0"}')" \
		"$(carrier_changes Ethernet0)" "the per-port series (the kernel's count)"
	stop_daemon
}
