# Field bugs where the C++ daemon is wrong and we are not (field-bugs.md), against the real
# daemon, and the compatibility mode that reproduces the C++ behaviour.

# FB-14: a NEWLINK before orchagent consumed the port is not dropped for good.
it_fb14_newlink_before_consume() {
	config_port Ethernet12 12
	start_daemon
	add_port Ethernet12
	wait_until "look-up miss" grep -q "Cannot find Ethernet12 in port table" "$T/daemon.log"
	barrier
	expect_absent 6 "PORT_TABLE|Ethernet12"
	consume # no further netlink message for Ethernet12
	wait_state Ethernet12 "down down 1500"
	wait_until "PortInitDone" key_exists 0 "_PORT_TABLE:PortInitDone"
	stop_daemon
}

it_fb14_compat_drops() {
	config_port Ethernet12 12
	start_daemon --compat
	add_port Ethernet12
	wait_until "look-up miss" grep -q "Cannot find Ethernet12 in port table" "$T/daemon.log"
	consume
	barrier timers # a look-up again, by a re-check timer or otherwise, would have written it
	expect_absent 6 "PORT_TABLE|Ethernet12"
	stop_daemon
}

# FB-25: renaming a port's netdev removes the entry of the old name.
it_fb25_rename() {
	config_port Ethernet8 8
	start_daemon
	consume
	add_port Ethernet8
	nsip link set Ethernet8 up
	wait_state Ethernet8 "down up 1500"
	nsip link set Ethernet8 down
	nsip link set Ethernet8 name Ethernet8x
	wait_until "old name deleted" key_absent 6 "PORT_TABLE|Ethernet8"
	nsip link set Ethernet8x up
	barrier
	expect_keys 6 'PORT_TABLE|*'
	stop_daemon
}

# FB-04 / FB-05: a netdev that exists at start for a port APPL_DB already knows is published,
# not brought down; --compat brings it down and ignores it, as the C++ daemon does.
it_fb04_preexisting_known_port() {
	config_port Ethernet24 24
	config_port Ethernet28 28
	rcli 0 HSET "PORT_TABLE:Ethernet24" admin_status up lanes 24 >/dev/null
	rcli 0 HSET "PORT_TABLE:Ethernet28" admin_status up lanes 28 >/dev/null
	add_port Ethernet24
	nsip link set Ethernet24 up
	start_daemon
	wait_state Ethernet24 "down up 1500"
	is_up Ethernet24 || fail "Ethernet24 was brought down"
	add_port Ethernet28
	wait_state Ethernet28 "down down 1500"
	wait_until "PortInitDone" key_exists 0 "_PORT_TABLE:PortInitDone"
	expect_keys 6 'PORT_TABLE|*' "PORT_TABLE|Ethernet24" "PORT_TABLE|Ethernet28"
	stop_daemon
}

it_fb04_compat_brings_down() {
	config_port Ethernet24 24
	rcli 0 HSET "PORT_TABLE:Ethernet24" admin_status up lanes 24 >/dev/null
	add_port Ethernet24
	nsip link set Ethernet24 up
	start_daemon --compat
	wait_until "Ethernet24 brought down" sh -c "! ip -n $NS -o link show Ethernet24 | grep -q '<[^>]*[,<]UP[,>]'"
	nsip link set Ethernet24 up
	barrier
	expect_keys 6 'PORT_TABLE|*'
	stop_daemon
}

# FB-05: portsyncd restarted alone (cold) while orchagent keeps running: the config and markers
# are written again, PortInitDone follows the first netlink read, no link is touched, and later
# changes are tracked.
it_fb05_restart_alone() {
	config_port Ethernet0 0
	config_port Ethernet4 4
	start_daemon
	consume
	add_port Ethernet0
	add_port Ethernet4
	nsip link set Ethernet0 up
	nsip link set Ethernet4 up
	nsip link set pEthernet0 up
	nsip link set pEthernet4 up
	wait_state Ethernet4 "up up 1500"
	wait_until "PortInitDone" key_exists 0 "_PORT_TABLE:PortInitDone"
	consume
	stop_daemon
	start_daemon
	wait_until "PortInitDone again" key_exists 0 "_PORT_TABLE:PortInitDone"
	expect_hash 0 "_PORT_TABLE:PortConfigDone" count=2
	expect_hash 0 "_PORT_TABLE:Ethernet0" admin_status=up alias=Ethernet0 lanes=0 mtu=9100 \
		speed=100000
	is_up Ethernet0 && is_up Ethernet4 || fail "a link was brought down"
	nsip link set pEthernet4 down
	wait_state Ethernet4 "down up 1500"
	expect_hash 6 "PORT_TABLE|Ethernet0" state=ok netdev_oper_status=up admin_status=up mtu=1500
	stop_daemon
}
