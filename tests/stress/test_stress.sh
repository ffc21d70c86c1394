# Real-daemon stress (loaded by tests/integration/run.sh through IT_EXTRA): STRESS_PORTS veth
# ports (at least 1,000) in the test's namespace, configured in CONFIG_DB, created, flapped
# STRESS_ROUNDS times in one ip -batch, with every tenth port deleted and every seventh given a
# new MTU behind the storm; STATE_DB must then equal the kernel exactly, port by port.

it_stress_many_ports() {
	local n=${STRESS_PORTS:-1000} rounds=${STRESS_ROUNDS:-3} i
	[ "$n" -ge 1000 ] || fail "STRESS_PORTS=$n: the stress needs at least 1000 ports"
	config_ports "$n"
	start_daemon --log-level NOTICE
	add_ports "$n"
	CONVERGE_TIMEOUT=120 wait_converged consume
	expect_eq "$(rcli 6 KEYS 'PORT_TABLE|Ethernet*' | wc -l)" "$n" "STATE_DB port entries"
	init_done() { consume && key_exists 0 "PORT_TABLE:PortInitDone"; }
	wait_until "PortInitDone" init_done
	storm_batch "$n" "$rounds" "$T/storm.batch"
	for i in $(seq 0 10 $((n - 1))); do echo "link del Ethernet$i"; done >> "$T/storm.batch"
	for i in $(seq 3 7 $((n - 1))); do
		[ $((i % 10)) -eq 0 ] || echo "link set Ethernet$i mtu $((1500 + i))"
	done >> "$T/storm.batch"
	nsip -batch "$T/storm.batch" || fail "the storm batch failed"
	CONVERGE_TIMEOUT=120 wait_converged consume
	expect_eq "$(rcli 6 KEYS 'PORT_TABLE|Ethernet*' | wc -l)" "$((n - (n + 9) / 10))" \
		"STATE_DB port entries after deletes"
	daemon_alive || fail "the daemon died under the storm"
	stop_daemon
}
