# Contract scenarios D1-D11 and V1-V7 (reference: sonic-portsyncd-contract.md §5), each with
# a real redis-server, veth netdevs in a namespace, and the daemon binary.

SHA_RE='[0-9a-f]\{40\}'

# D1 cold config copy: staging hashes, key set, PortConfigDone, one G per key, restore_count.
it_d01_cold_config_copy() {
	config_port Ethernet0 0,1,2,3 index 1
	config_port Ethernet4 4,5,6,7 index 2
	start_monitor
	start_subscriber
	start_daemon
	wait_until "PortConfigDone" key_exists 0 "_PORT_TABLE:PortConfigDone"
	expect_hash 0 "_PORT_TABLE:Ethernet0" admin_status=up alias=Ethernet0 lanes=0,1,2,3 \
		mtu=9100 speed=100000 index=1
	expect_hash 0 "_PORT_TABLE:Ethernet4" admin_status=up alias=Ethernet4 lanes=4,5,6,7 \
		mtu=9100 speed=100000 index=2
	expect_hash 0 "_PORT_TABLE:PortConfigDone" count=2
	expect_eq "$(rcli 0 SMEMBERS PORT_TABLE_KEY_SET | sort | tr '\n' ' ')" \
		"Ethernet0 Ethernet4 PortConfigDone " "PORT_TABLE_KEY_SET"
	publishes_are() { [ "$(publishes)" = "$1" ]; }
	wait_until "3 publishes" publishes_are 3
	expect_hash 6 "WARM_RESTART_TABLE|portsyncd" restore_count=0 state=disabled
	expect_hash 4 "LOGGER|portsyncd" LOGLEVEL=NOTICE LOGOUTPUT=SYSLOG
	# the wire: the producer script with the upstream KEYS/ARGV layout
	grep -q "\"EVALSHA\" \"$SHA_RE\" \"3\" \"PORT_TABLE_CHANNEL@0\" \"PORT_TABLE_KEY_SET\" \"_PORT_TABLE:PortConfigDone\" \"G\" \"PortConfigDone\" \"count\" \"2\"" "$T/monitor.log" ||
		fail "no exact EVALSHA for PortConfigDone on the wire"
	grep -q "\"EVALSHA\" \"$SHA_RE\" \"8\" \"PORT_TABLE_CHANNEL@0\" \"PORT_TABLE_KEY_SET\"\( \"_PORT_TABLE:Ethernet0\"\)\{6\} \"G\" \"Ethernet0\"" "$T/monitor.log" ||
		fail "no exact EVALSHA for Ethernet0 on the wire"
	# order on the wire: restore_count before KEYS, port sets before PortConfigDone
	local rc keys e4 done
	rc=$(grep -n '"HSET" "WARM_RESTART_TABLE|portsyncd" "restore_count"' "$T/monitor.log" |
		cut -d: -f1)
	keys=$(grep -n '"KEYS" "PORT|\*"' "$T/monitor.log" | cut -d: -f1)
	e4=$(grep -n '"G" "Ethernet4"' "$T/monitor.log" | cut -d: -f1)
	done=$(grep -n '"G" "PortConfigDone"' "$T/monitor.log" | cut -d: -f1)
	[ "$rc" -lt "$keys" ] && [ "$keys" -lt "$e4" ] && [ "$e4" -lt "$done" ] ||
		fail "start-up order on the wire: restore_count $rc, KEYS $keys, set $e4, PortConfigDone $done"
	stop_daemon
}

# D2 / V1 empty config: PortConfigDone count 0, PortInitDone lanes 0, and the daemon stays up.
it_d02_empty_config() {
	start_daemon
	wait_until "PortInitDone" key_exists 0 "_PORT_TABLE:PortInitDone"
	expect_hash 0 "_PORT_TABLE:PortConfigDone" count=0
	expect_hash 0 "_PORT_TABLE:PortInitDone" lanes=0
	grep -q "ConfigDB does not have port information" "$T/daemon.log" || fail "no notice"
	barrier # it handles a later link message: still running
	daemon_alive || fail "daemon exited on an empty config"
	stop_daemon
}

# D3 NEWLINK mapping: IFF_RUNNING, IFF_UP and MTU reach STATE_DB; foreign fields survive.
it_d03_newlink_mapping() {
	config_port Ethernet0 0
	start_daemon
	consume
	rcli 6 HSET "PORT_TABLE|Ethernet0" speed 100000 >/dev/null
	add_port Ethernet0
	wait_state Ethernet0 "down down 1500"
	nsip link set Ethernet0 up
	wait_state Ethernet0 "down up 1500"
	nsip link set pEthernet0 up
	wait_state Ethernet0 "up up 1500"
	nsip link set pEthernet0 down
	wait_state Ethernet0 "down up 1500"
	nsip link set Ethernet0 mtu 9100
	wait_state Ethernet0 "down up 9100"
	expect_hash 6 "PORT_TABLE|Ethernet0" state=ok netdev_oper_status=down admin_status=up \
		mtu=9100 speed=100000
	expect_keys 6 'PORT_TABLE|*' "PORT_TABLE|Ethernet0"
	stop_daemon
}

# D4 old interface (cold): brought down, ignored until deleted and re-created.
it_d04_old_interface() {
	config_port Ethernet0 0
	rcli 0 HSET "PORT_TABLE:Ethernet0" lanes 0 >/dev/null # consumed, without admin_status
	add_port Ethernet0
	nsip link set Ethernet0 up
	start_daemon
	wait_until "Ethernet0 brought down" sh -c "! ip -n $NS -o link show Ethernet0 | grep -q '<[^>]*[,<]UP[,>]'"
	nsip link set Ethernet0 up
	nsip link set pEthernet0 up
	barrier
	expect_absent 6 "PORT_TABLE|Ethernet0"
	grep -q "Ignoring message for old interface Ethernet0" "$T/daemon.log" || fail "not ignored"
	nsip link del Ethernet0
	add_port Ethernet0
	wait_state Ethernet0 "down down 1500"
	expect_hash 6 "PORT_TABLE|Ethernet0" state=ok netdev_oper_status=down admin_status=down mtu=1500
	expect_keys 6 'PORT_TABLE|*' "PORT_TABLE|Ethernet0"
	stop_daemon
}

# D5 dpu: nothing brought down; the pre-existing netdev's messages are processed.
it_d05_dpu() {
	config_port Ethernet0 0
	rcli 4 HSET "DEVICE_METADATA|localhost" switch_type dpu >/dev/null
	rcli 0 HSET "PORT_TABLE:Ethernet0" lanes 0 >/dev/null
	add_port Ethernet0
	nsip link set Ethernet0 up
	start_daemon
	wait_state Ethernet0 "down up 1500"
	is_up Ethernet0 || fail "Ethernet0 was brought down on a DPU"
	expect_hash 6 "PORT_TABLE|Ethernet0" state=ok netdev_oper_status=down admin_status=up mtu=1500
	stop_daemon
}

# D6 warm: restore_count + 1, no APPL_DB port writes, STATE_DB refreshed from the dump.
it_d06_warm_start() {
	config_port Ethernet0 0
	rcli 0 HSET "PORT_TABLE:Ethernet0" admin_status up lanes 0 >/dev/null
	rcli 0 HSET "PORT_TABLE:PortConfigDone" count 1 >/dev/null # left by the cold start before
	rcli 6 HSET "WARM_RESTART_ENABLE_TABLE|swss" enable true >/dev/null
	rcli 6 HSET "WARM_RESTART_TABLE|portsyncd" restore_count 5 >/dev/null
	add_port Ethernet0
	nsip link set Ethernet0 up
	start_daemon
	wait_state Ethernet0 "down up 1500"
	wait_until "PortInitDone" key_exists 0 "_PORT_TABLE:PortInitDone"
	wait_until "warm restart reconciled" warm_state_is reconciled
	expect_hash 6 "WARM_RESTART_TABLE|portsyncd" restore_count=6 state=reconciled
	expect_keys 0 '*' "PORT_TABLE:Ethernet0" "PORT_TABLE:PortConfigDone" "_PORT_TABLE:PortInitDone" \
		"PORT_TABLE_KEY_SET"
	expect_hash 0 "_PORT_TABLE:PortInitDone" lanes=0
	expect_hash 6 "PORT_TABLE|Ethernet0" state=ok netdev_oper_status=down admin_status=up mtu=1500
	is_up Ethernet0 || fail "warm start brought Ethernet0 down"
	stop_daemon
}

it_d06b_warm_enabled_without_restore_count() {
	rcli 6 HSET "WARM_RESTART_ENABLE_TABLE|system" enable true >/dev/null
	start_daemon
	wait_until "PortConfigDone" key_exists 0 "_PORT_TABLE:PortConfigDone"
	expect_hash 6 "WARM_RESTART_TABLE|portsyncd" restore_count=0 state=disabled
	stop_daemon
}

# D7 master DELLINK: leaving a bridge keeps the entry (no DEL, not even one the NEWLINK that
# follows would undo); deleting the netdev removes it.
it_d07_master_dellink() {
	config_port Ethernet0 0
	start_monitor
	start_daemon
	consume
	add_port Ethernet0
	nsip link add br0 type bridge
	nsip link set Ethernet0 master br0
	wait_state Ethernet0 "down down 1500"
	nsip link set Ethernet0 nomaster
	barrier
	key_exists 6 "PORT_TABLE|Ethernet0" || fail "leaving the bridge deleted the entry"
	! grep -q '"DEL" "PORT_TABLE|Ethernet0"' "$T/monitor.log" ||
		fail "leaving the bridge deleted the entry (written again after)"
	nsip link del Ethernet0
	wait_until "entry deleted" key_absent 6 "PORT_TABLE|Ethernet0"
	expect_keys 6 'PORT_TABLE|*'
	stop_daemon
}

# D8 filters: eth*, Vlan*, Bridge never reach STATE_DB; a sub-interface's DELLINK deletes
# the entry intfmgrd wrote for it. The filter judges names, so veths stand in for VLAN devices
# (this kernel has no 8021q module).
it_d08_filters() {
	config_port Ethernet0 0
	start_daemon
	consume
	add_port Ethernet0
	nsip link add eth1 type veth peer name peth1
	nsip link add Vlan10 type veth peer name pVlan10
	nsip link add Bridge type bridge
	nsip link add Ethernet0.10 type veth peer name pE0.10
	rcli 6 HSET "PORT_TABLE|Ethernet0.10" state ok >/dev/null # intfmgrd's
	barrier
	expect_eq "$(rcli 6 KEYS 'PORT_TABLE|*' | sort | tr '\n' ' ')" \
		"PORT_TABLE|Ethernet0 PORT_TABLE|Ethernet0.10 " "STATE_DB keys"
	expect_hash 6 "PORT_TABLE|Ethernet0.10" state=ok
	nsip link del Ethernet0.10
	wait_until "sub-interface entry deleted" key_absent 6 "PORT_TABLE|Ethernet0.10"
	stop_daemon
}

# D9 PortInitDone: not before every configured port is seen, then exactly once.
it_d09_port_init_done_gating() {
	config_port Ethernet0 0
	config_port Ethernet4 4
	start_monitor
	start_daemon
	consume
	add_port Ethernet0
	wait_state Ethernet0 "down down 1500"
	barrier
	expect_absent 0 "_PORT_TABLE:PortInitDone"
	add_port Ethernet4
	wait_until "PortInitDone" key_exists 0 "_PORT_TABLE:PortInitDone"
	expect_hash 0 "_PORT_TABLE:PortInitDone" lanes=0
	nsip link set Ethernet4 up
	nsip link del Ethernet0
	add_port Ethernet0
	barrier
	expect_eq "$(grep -c '"G" "PortInitDone"' "$T/monitor.log")" 1 "PortInitDone writes"
	expect_keys 6 'PORT_TABLE|*' "PORT_TABLE|Ethernet0" "PORT_TABLE|Ethernet4"
	expect_hash 6 "PORT_TABLE|Ethernet4" state=ok netdev_oper_status=down admin_status=up mtu=1500
	stop_daemon
}

# D10 command line: -h prints usage and exits 0; a bad option exits 2; -V prints the version.
it_d10_command_line() {
	local out status
	out=$("$PSD_BIN" -h)
	status=$?
	expect_eq "$status" 0 "exit status of -h"
	echo "$out" | grep -q "^Usage: portsyncd" || fail "no usage text"
	expect_refusal 2 "unrecognized option" --no-such-option
	expect_refusal 2 "expected a whole number from 1 to" --ports-max 0
	"$PSD_BIN" -V | grep -q "^portsyncd [0-9]" || fail "no version"
}

# D11 start-up failures: exit 1 with a message naming what is missing.
it_d11_startup_failures() {
	expect_refusal 1 "missing.json" --db-config "$T/missing.json"
	sed "s|$SOCK|$T/nobody.sock|" "$T/database_config.json" > "$T/bad.json"
	expect_refusal 1 "nobody.sock" --db-config "$T/bad.json"
	echo '{"DATABASES": {}}' > "$T/empty.json"
	expect_refusal 1 "DATABASES.CONFIG_DB is missing" --db-config "$T/empty.json"
}

# V2 swss ready: 32 ports; orchagent's consumer sees PortConfigDone and PortInitDone.
it_v02_swss_ready_32_ports() {
	local i
	for i in $(seq 0 31); do config_port "Ethernet$((i * 4))" "$((i * 4))"; done
	start_daemon
	wait_until "PortConfigDone" key_exists 0 "_PORT_TABLE:PortConfigDone"
	consume
	for i in $(seq 0 31); do add_port "Ethernet$((i * 4))"; done
	wait_until "PortInitDone" key_exists 0 "_PORT_TABLE:PortInitDone"
	consume
	local keys
	keys=$(rcli 0 KEYS 'PORT_TABLE:*' | sort)
	echo "$keys" | grep -qx "PORT_TABLE:PortInitDone" || fail "no PORT_TABLE:PortInitDone"
	echo "$keys" | grep -qx "PORT_TABLE:PortConfigDone" || fail "no PORT_TABLE:PortConfigDone"
	expect_eq "$(echo "$keys" | wc -l)" 34 "PORT_TABLE keys (32 ports + 2 markers)"
	expect_eq "$(rcli 6 KEYS 'PORT_TABLE|*' | wc -l)" 32 "STATE_DB port entries"
	stop_daemon
}

# V3 warm restart of the process (found by `pkill -x portsyncd`): restore_count + 1,
# STATE_DB entries kept, flaps still tracked.
it_v03_warm_restart() {
	config_port Ethernet16 16
	start_daemon
	consume
	add_port Ethernet16
	nsip link set Ethernet16 up
	nsip link set pEthernet16 up
	wait_state Ethernet16 "up up 1500"
	rcli 6 HSET "PORT_TABLE|Ethernet16" host_tx_ready true >/dev/null
	rcli 6 HSET "WARM_RESTART_ENABLE_TABLE|swss" enable true >/dev/null
	pgrep -x portsyncd | grep -qx "$DAEMON_PID" || fail "the process is not named portsyncd"
	stop_daemon
	start_daemon
	wait_until "warm restart reconciled" warm_state_is reconciled
	expect_hash 6 "WARM_RESTART_TABLE|portsyncd" restore_count=1 state=reconciled
	nsip link set pEthernet16 down
	wait_state Ethernet16 "down up 1500"
	expect_eq "$(rcli 6 HGET "PORT_TABLE|Ethernet16" host_tx_ready)" true "host_tx_ready"
	stop_daemon
}

# V5 a port with a master (bridge here; no team driver in this kernel) still updates STATE_DB,
# and nothing is ever written for a PortChannel.
it_v05_member_with_master() {
	config_port Ethernet0 0
	start_daemon
	consume
	add_port Ethernet0
	nsip link add PortChannel111 type bridge
	nsip link set Ethernet0 master PortChannel111
	nsip link set Ethernet0 up
	nsip link set pEthernet0 up
	nsip link set PortChannel111 up
	wait_state Ethernet0 "up up 1500"
	barrier
	expect_absent 0 "PORT_TABLE:PortChannel111"
	expect_absent 0 "_PORT_TABLE:PortChannel111"
	expect_keys 6 'PORT_TABLE|*' "PORT_TABLE|Ethernet0"
	stop_daemon
}

# V7 breakout: a cold start pushes the new port set; APPL_DB was not flushed.
it_v07_breakout() {
	config_port Ethernet0 0,1,2,3
	start_daemon
	consume
	add_port Ethernet0
	wait_state Ethernet0 "down down 1500"
	wait_until "PortInitDone" key_exists 0 "_PORT_TABLE:PortInitDone"
	stop_daemon
	consume
	rcli 4 DEL "PORT|Ethernet0" >/dev/null
	local i
	for i in 0 1 2 3; do config_port "Ethernet$i" "$i"; done
	start_daemon
	wait_until "PortConfigDone" key_exists 0 "_PORT_TABLE:PortConfigDone"
	expect_hash 0 "_PORT_TABLE:PortConfigDone" count=4
	for i in 0 1 2 3; do
		expect_eq "$(rcli 0 HGET "_PORT_TABLE:Ethernet$i" lanes)" "$i" "Ethernet$i lanes"
	done
	consume
	for i in 1 2 3; do add_port "Ethernet$i"; done
	for i in 1 2 3; do wait_state "Ethernet$i" "down down 1500"; done
	wait_until "PortInitDone" key_exists 0 "_PORT_TABLE:PortInitDone"
	stop_daemon
}
