# Multi-ASIC: network namespaces named as SONiC names them (asic0, asic1), each with its own
# redis-server and database_config.json under one database_global.json, one daemon per ASIC
# started with -n. asic0's daemon starts in the host namespace and enters asic0 for its netlink
# sockets; asic1's is started inside asic1 already (as systemd's NetworkNamespacePath= does).
# The namespaces are created only if they do not exist, and deleted at teardown.

# asic_db N: the database_config.json of ASIC N, its redis-server on its own socket.
asic_db() {
	local d="$T/redis$1/sonic-db"
	mkdir -p "$d"
	redis-server --port 0 --unixsocket "$T/redis$1/redis.sock" --unixsocketperm 700 --save '' \
		--appendonly no --logfile "$T/redis$1/redis.log" --dir "$T/redis$1" >/dev/null &
	wait_until "redis-server of asic$1 answers" redis-cli -s "$T/redis$1/redis.sock" PING
	sed "s|$SOCK|$T/redis$1/redis.sock|" "$T/database_config.json" > "$d/database_config.json"
}

# global_config NAME:N...: $T/redis/sonic-db/database_global.json, SONiC's layout: the default
# instance, then one include per namespace, relative to the global file.
global_config() {
	local e
	mkdir -p "$T/redis/sonic-db"
	cp "$T/database_config.json" "$T/redis/sonic-db/database_config.json"
	{
		echo '{"INCLUDES": [{"include": "database_config.json"}'
		for e in "$@"; do
			printf ', {"namespace": "%s", "include": "../../redis%s/sonic-db/database_config.json"}' \
				"${e%%:*}" "${e##*:}"
		done
		echo '], "VERSION": "1.0"}'
	} > "$T/redis/sonic-db/database_global.json"
	GLOBAL="$T/redis/sonic-db/database_global.json"
}

asic_netns() { # asic_netns NAME: a new namespace; fails if it exists (another run, or a switch)
	[ ! -e "/var/run/netns/$1" ] ||
		fail "network namespace $1 already exists (another run?): not touching it"
	ip netns add "$1" || fail "cannot create network namespace $1"
	ASIC_NS_MADE="${ASIC_NS_MADE:-} $1"
	ip -n "$1" link set lo up
}

# in_asic N CMD...: the lib's helpers (nsip, rcli, kernel_truth, state_truth) on ASIC N.
in_asic() {
	local NS="asic$1" SOCK="$T/redis$1/redis.sock"
	shift
	"$@"
}

asic_converged() {
	in_asic "$1" consume && in_asic "$1" converged
}

it_m01_two_asics_each_its_own_ports() {
	local i a
	asic_netns asic0
	asic_netns asic1
	asic_db 0
	asic_db 1
	global_config asic0:0 asic1:1
	for a in 0 1; do
		for i in 0 1 2 3; do
			in_asic $a rcli 4 HSET "PORT|Ethernet$((a * 4 + i))" admin_status up lanes $i \
				mtu 9100 speed 100000 >/dev/null
		done
		"$NOTIFY_LISTEN" "$T/notify$a.sock" > "$T/notify$a.log" 2>&1 &
		wait_until "listener $a bound" test -S "$T/notify$a.sock"
	done
	NOTIFY_SOCKET="$T/notify0.sock" ASAN_OPTIONS=detect_leaks=1 "$PSD_BIN" -n asic0 \
		--db-global-config "$GLOBAL" --log-output stderr --log-level INFO > "$T/asic0.log" 2>&1 &
	local pid0=$!
	NOTIFY_SOCKET="$T/notify1.sock" ASAN_OPTIONS=detect_leaks=1 ip netns exec asic1 \
		"$PSD_BIN" --namespace asic1 --db-global-config "$GLOBAL" --log-output stderr \
		--log-level INFO > "$T/asic1.log" 2>&1 &
	local pid1=$!
	for a in 0 1; do
		wait_until "asic$a's daemon listening" grep -q "Listen to link messages" "$T/asic$a.log"
		for i in 0 1 2 3; do
			echo "link add Ethernet$((a * 4 + i)) type veth peer name p$i"
			echo "link set Ethernet$((a * 4 + i)) up"
		done > "$T/create$a.batch"
		for r in 1 2 3; do
			for i in 0 1 2 3; do echo "link set p$i up"; done
			for i in 0 1 2 3; do echo "link set p$i down"; done
		done > "$T/flap$a.batch"
		echo "link set p$a up" >> "$T/flap$a.batch"
	done
	both_asics() { # both_asics NAME: ip -batch NAME0 in asic0 and NAME1 in asic1, at once
		ip -n asic0 -batch "$T/${1}0.batch" &
		local b0=$!
		ip -n asic1 -batch "$T/${1}1.batch" || fail "ip -batch $1 in asic1 failed"
		wait $b0 || fail "ip -batch $1 in asic0 failed"
	}
	both_asics create
	both_asics flap
	# the last flap left p0 up in asic0 and p1 up in asic1 (the kernel's link watch may take a
	# moment to say so)
	port_up() { in_asic "$1" consume && in_asic "$1" state_is "$2" "up up 1500"; }
	wait_until "asic0 Ethernet0 up in asic0's STATE_DB" port_up 0 Ethernet0
	wait_until "asic1 Ethernet5 up in asic1's STATE_DB" port_up 1 Ethernet5
	for a in 0 1; do
		wait_until "asic$a's STATE_DB equal to asic$a's netdevs" asic_converged $a
		in_asic $a expect_keys 6 'PORT_TABLE|*' "PORT_TABLE|Ethernet$((a * 4))" \
			"PORT_TABLE|Ethernet$((a * 4 + 1))" "PORT_TABLE|Ethernet$((a * 4 + 2))" \
			"PORT_TABLE|Ethernet$((a * 4 + 3))"
		init_done() { in_asic "$1" consume && in_asic "$1" key_exists 0 PORT_TABLE:PortInitDone; }
		wait_until "asic$a's PortInitDone" init_done $a
		grep -q "^portsyncd@asic$a *NOTICE: namespace asic$a: netdevs from /var/run/netns/asic$a" \
			"$T/asic$a.log" || { cat "$T/asic$a.log" >&2; fail "asic$a's log names no namespace"; }
		grep -q "^STATUS=asic$a: running" "$T/notify$a.log" ||
			{ cat "$T/notify$a.log" >&2; fail "asic$a's STATUS= names no namespace"; }
	done
	note "asic0: $(in_asic 0 state_truth | paste -sd,)"
	note "asic1: $(in_asic 1 state_truth | paste -sd,)"
	kill -TERM $pid0 $pid1
	wait $pid0 || fail "asic0's daemon exited with $?"
	wait $pid1 || fail "asic1's daemon exited with $?"
	! grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$T"/asic*.log ||
		{ cat "$T"/asic*.log >&2; fail "sanitizer report"; }
}

it_m02_unknown_namespace() {
	asic_db 0
	global_config asic0:0
	expect_refusal 1 "unknown namespace 'asic7': not in $GLOBAL (namespaces: asic0)" \
		-n asic7 --db-global-config "$GLOBAL"
}

it_m03_namespace_include_missing() {
	asic_db 0
	global_config asic0:0 asic3:3
	expect_refusal 1 "namespace asic3: $T/redis/sonic-db/../../redis3/sonic-db/database_config.json (INCLUDES[2].include of $GLOBAL): No such file or directory" \
		-n asic3 --db-global-config "$GLOBAL"
}

it_m04_namespace_netns_missing() {
	local name="psdit-none$$"
	[ ! -e "/var/run/netns/$name" ] || fail "network namespace $name exists"
	asic_db 0
	global_config "$name:0"
	expect_refusal 1 "network namespace $name: /var/run/netns/$name: No such file or directory" \
		-n "$name" --db-global-config "$GLOBAL"
}

it_m05_namespace_name_refused() {
	expect_refusal 2 "--namespace '../etc': expected a name of 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'" \
		-n ../etc
	PORTSYNCD_DAEMON_NAMESPACE="asic 0" expect_refusal 1 \
		"environment PORTSYNCD_DAEMON_NAMESPACE: namespace 'asic 0': expected a name"
}

# --check-config -n NAME resolves the namespace as the daemon does (one function for both): the
# namespace's database config is the one checked, and a broken database_global.json, a broken
# namespace config or a missing network namespace is refused by both with the same message.
it_m06_check_config_follows_the_namespace() {
	local name="psdit-chk$$" daemon_err
	asic_netns "$name"
	asic_db 0
	global_config "$name:0"
	# the default database config is not read with -n: a missing one changes nothing
	check_ok -n "$name" --db-global-config "$GLOBAL" --db-config "$T/none.json"
	grep -qF "namespace $name through $GLOBAL, database config $T/redis/sonic-db/../../redis0/sonic-db/database_config.json" \
		"$T/out" || fail "--check-config names another database config: $(cat "$T/out")"
	# same_refusal TEXT: the daemon and --check-config refuse with the same message, from TEXT
	# to the end of its line
	same_refusal() {
		expect_refusal 1 "$1" -n "$name" --db-global-config "$GLOBAL"
		daemon_err=$(sed -n "s|.*\($1.*\)|\1|p" "$T/err")
		check_bad "$1" -n "$name" --db-global-config "$GLOBAL"
		[ "$(sed -n "s|.*\($1.*\)|\1|p" "$T/out")" = "$daemon_err" ] ||
			fail "--check-config says '$(cat "$T/out")', the daemon '$daemon_err'"
	}
	printf '{"INSTANCES": ' > "$T/redis0/sonic-db/database_config.json"
	same_refusal "$T/redis/sonic-db/../../redis0/sonic-db/database_config.json: line 1"
	asic_db 0
	printf '{"INCLUDES": [{"namespace": "%s", ' "$name" > "$GLOBAL"
	same_refusal "$GLOBAL: line 1"
	echo '{"INCLUDES": {"namespace": "x"}, "VERSION": "1.0"}' > "$GLOBAL"
	same_refusal "$GLOBAL: INCLUDES must be an array"
	global_config "$name:0"
	ip netns del "$name" || fail "cannot delete network namespace $name"
	same_refusal "network namespace $name: /var/run/netns/$name: No such file or directory"
}
