# Metrics, health and link analytics against the real daemon: /metrics scraped with curl inside
# the namespace and checked by promtool (Debian's prometheus package); counters compared with the
# link messages the test caused; /health through a Redis outage; PORT_LINK_STATS through flaps.

health_body() {
	ip netns exec "$NS" curl -s --max-time 5 "http://127.0.0.1:$METRICS_PORT/health"
}

# health_is CODE STATUS: GET /health answers CODE with {"status":"STATUS",...}
health_is() {
	local out
	out=$(ip netns exec "$NS" curl -s --max-time 5 -w ' %{http_code}' \
		"http://127.0.0.1:$METRICS_PORT/health")
	case $out in *"\"status\":\"$2\""*" $1") return 0 ;; esac
	return 1
}

promtool_check() {
	command -v promtool >/dev/null || fail "promtool is not installed (ci/install-deps.sh)"
	scrape > "$T/scrape.txt" || fail "no scrape"
	promtool check metrics < "$T/scrape.txt" > "$T/promtool.out" 2>&1 ||
		fail "promtool check metrics: $(cat "$T/promtool.out")"
	# promtool only warns on lint problems (exit 0): there must be none
	[ ! -s "$T/promtool.out" ] || fail "promtool: $(cat "$T/promtool.out")"
}

# The exposition is valid; every counter and gauge family is described; the link messages the
# test caused are counted exactly, and the latency histograms count the writes.
it_metrics_scrape() {
	config_port Ethernet0 0
	config_port Ethernet4 1
	start_daemon
	wait_until "metrics served" scrape
	add_port Ethernet0
	add_port Ethernet4
	consume
	wait_state Ethernet0 "down down 1500"
	wait_state Ethernet4 "down down 1500"
	promtool_check
	for f in portsyncd_build_info portsyncd_netlink_messages_total \
		portsyncd_redis_commands_total portsyncd_redis_unreachable_seconds_total \
		portsyncd_link_ack_latency_seconds portsyncd_redis_write_rtt_seconds \
		portsyncd_ports_present portsyncd_warm_restart_state portsyncd_start_time_seconds; do
		grep -q "^# TYPE $f " "$T/scrape.txt" || fail "no family $f"
	done
	grep -q '^portsyncd_build_info{version="[0-9.]*"} 1$' "$T/scrape.txt" || fail "no build_info"
	local before newlinks writes
	before=$(metric 'portsyncd_netlink_messages_total{type="newlink"}')
	writes=$(metric 'portsyncd_link_ack_latency_seconds_count')
	# ten admin changes of Ethernet0: each one RTM_NEWLINK of Ethernet0 (and none of others)
	for i in 1 2 3 4 5; do
		nsip link set Ethernet0 up
		nsip link set Ethernet0 down
	done
	# then one MTU change, counted too: its write shows that the ten before it were handled
	nsip link set Ethernet0 mtu 9000
	wait_state Ethernet0 "down down 9000"
	newlinks=$(( $(metric 'portsyncd_netlink_messages_total{type="newlink"}') - before ))
	# the veth's own messages: 10 admin changes and one MTU change, each a NEWLINK
	expect_eq "$newlinks" 11 "NEWLINKs counted for 11 link changes"
	local applied
	applied=$(metric 'portsyncd_netlink_message_outcomes_total{outcome="applied"}')
	[ "$applied" -ge 13 ] || fail "applied link messages: $applied, expected at least 13"
	local acked=$(( $(metric 'portsyncd_link_ack_latency_seconds_count') - writes ))
	[ "$acked" -ge 1 ] && [ "$acked" -le 11 ] ||
		fail "ack latency observations for 11 coalescible changes: $acked"
	metric_is 'portsyncd_ports_present' 2 || fail "ports_present: $(metric portsyncd_ports_present)"
	metric_is 'portsyncd_ports_configured' 2 || fail "ports_configured"
	metric_is 'portsyncd_redis_up{db="STATE_DB"}' 1 || fail "STATE_DB not up"
	metric_is 'portsyncd_warm_restart_state{state="disabled"}' 1 || fail "warm state"
	expect_eq "$(metric 'portsyncd_link_ack_latency_seconds_bucket{le="+Inf"}')" \
		"$(metric portsyncd_link_ack_latency_seconds_count)" "+Inf bucket = count"
	health_is 200 ok || fail "health: $(health_body)"
	# unknown paths and methods
	[ "$(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' \
		"http://127.0.0.1:$METRICS_PORT/nope")" = 404 ] || fail "no 404"
	[ "$(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' -X POST \
		"http://127.0.0.1:$METRICS_PORT/metrics")" = 405 ] || fail "no 405"
	stop_daemon
}

# /health: 200 ok, degraded while Redis is away, 503 failing past the limit, 200 ok once back;
# the unreachable seconds and the reconnect are counted.
it_metrics_health_outage() {
	config_port Ethernet0 0
	NOTIFY_SOCKET="$T/notify.sock"
	"$NOTIFY_LISTEN" "$T/notify.sock" > "$T/notify.log" 2>&1 &
	wait_until "listener bound" test -S "$T/notify.sock"
	NOTIFY_SOCKET="$T/notify.sock" start_daemon --health-failing-ms 1500
	add_port Ethernet0
	consume
	wait_state Ethernet0 "down down 1500"
	wait_until "health ok" health_is 200 ok
	kill_redis
	wait_until "health degraded" health_is 200 degraded
	wait_until "health failing" health_is 503 failing
	health_body | grep -q 'unreachable for [0-9]* ms (past the limit)' ||
		fail "no reason: $(health_body)"
	metric_is 'portsyncd_redis_up{db="STATE_DB"}' 0 || fail "STATE_DB still up"
	metric_is 'portsyncd_health{status="failing"}' 1 || fail "health gauge"
	wait_until "STATUS= says failing" grep -q "^STATUS=health: failing" "$T/notify.log"
	start_redis
	config_port Ethernet0 0
	wait_until "health ok again" health_is 200 ok
	local down
	down=$(metric 'portsyncd_redis_unreachable_seconds_total{db="STATE_DB"}')
	awk -v d="$down" 'BEGIN { exit !(d >= 1.5 && d < 30) }' ||
		fail "STATE_DB unreachable seconds: $down"
	[ "$(metric 'portsyncd_redis_reconnects_total{db="STATE_DB"}')" -ge 1 ] || fail "no reconnect"
	wait_until "STATUS= says ok" grep -q "^STATUS=health: ok" "$T/notify.log"
	stop_daemon
}

# PORT_LINK_STATS follows a flapping veth exactly: oper changes counted, last up and last down at
# the times of the last changes, flaps in the window; one log line per transition.
it_metrics_link_stats() {
	config_port Ethernet0 0
	start_daemon
	add_port Ethernet0
	nsip link set Ethernet0 up
	consume
	wait_state Ethernet0 "down up 1500"
	local t0 t1
	t0=$(date +%s)
	for i in 1 2 3 4; do
		nsip link set pEthernet0 up
		wait_state Ethernet0 "up up 1500"
		nsip link set pEthernet0 down
		wait_state Ethernet0 "down up 1500"
	done
	nsip link set pEthernet0 up
	wait_state Ethernet0 "up up 1500"
	t1=$(date +%s)
	stats_are() {
		[ "$(rcli 6 HMGET 'PORT_LINK_STATS|Ethernet0' oper_changes oper_status \
			flaps_in_window window_seconds | tr '\n' ' ')" = "9 up 9 60 " ]
	}
	wait_until "PORT_LINK_STATS|Ethernet0 = 9 changes (now: $(rcli 6 HGETALL 'PORT_LINK_STATS|Ethernet0' | tr '\n' ' '))" stats_are
	local up down since
	up=$(rcli 6 HGET 'PORT_LINK_STATS|Ethernet0' last_up)
	down=$(rcli 6 HGET 'PORT_LINK_STATS|Ethernet0' last_down)
	since=$(rcli 6 HGET 'PORT_LINK_STATS|Ethernet0' since)
	expect_eq "$since" "$up" "since (the last change was up)"
	awk -v u="$up" -v d="$down" -v a="$t0" -v b="$t1" \
		'BEGIN { exit !(u + 0 >= a && u + 0 <= b + 1 && d + 0 >= a && d + 0 <= u + 0) }' ||
		fail "last_up $up, last_down $down not within [$t0, $t1]"
	[ "$(grep -c 'link port=Ethernet0 oper=' "$T/daemon.log")" = 10 ] ||
		fail "transition log lines: $(grep 'link port=' "$T/daemon.log")"
	grep -q 'link port=Ethernet0 oper=down->up admin=up cause=event changes=9' "$T/daemon.log" ||
		fail "no log line for the last change"
	metric_is portsyncd_link_oper_changes_total 9 || fail "oper changes metric"
	metric_is portsyncd_ports_flapping 1 || fail "flapping ports: $(metric portsyncd_ports_flapping)"
	# PORT_TABLE keeps its contract: our four fields and nothing else
	expect_hash 6 'PORT_TABLE|Ethernet0' state=ok netdev_oper_status=up admin_status=up mtu=1500
	stop_daemon
}

# --compat keeps the C++ daemon's commands: no PORT_LINK_STATS.
it_metrics_link_stats_compat() {
	config_port Ethernet0 0
	start_daemon --compat
	consume # compat drops a port not yet in APPL_DB for good (FB-14)
	add_port Ethernet0
	nsip link set Ethernet0 up
	wait_state Ethernet0 "down up 1500"
	nsip link set pEthernet0 up
	wait_state Ethernet0 "up up 1500"
	barrier
	expect_keys 6 'PORT_LINK_STATS*'
	stop_daemon
}

# Bad listen settings are refused with their message; metrics off serves nothing.
it_metrics_bad_listen() {
	expect_refusal 1 "metrics address '0.0.0.0' is not loopback" \
		--db-config "$T/database_config.json" --metrics-address 0.0.0.0
	expect_refusal 2 "--metrics-address 'localhost': expected an IPv4 or IPv6 address" \
		--db-config "$T/database_config.json" --metrics-address localhost
	expect_refusal 2 "--metrics-port '70000': expected a whole number from 1 to 65535" \
		--db-config "$T/database_config.json" --metrics-port 70000
	printf '[metrics]\naddress = 10.1.2.3\n' > "$T/remote.conf"
	expect_refusal 1 "not loopback" -c "$T/remote.conf" --db-config "$T/database_config.json"
	# the port taken: the daemon says so and exits
	ip netns exec "$NS" python3 -c 'import socket,time
s = socket.socket(); s.bind(("127.0.0.1", 9808)); s.listen(); time.sleep(30)' &
	local holder=$!
	port_taken() { ip netns exec "$NS" ss -Hltn "sport = :$METRICS_PORT" | grep -q .; }
	wait_until "port $METRICS_PORT taken" port_taken
	ip netns exec "$NS" "$PSD_BIN" --db-config "$T/database_config.json" 2>"$T/err"
	expect_eq "$?" 1 "exit status with the port taken"
	grep -q "metrics: cannot listen on 127.0.0.1 port 9808" "$T/err" || fail "$(cat "$T/err")"
	kill "$holder"
	start_daemon --metrics=false
	! scrape >/dev/null 2>&1 || fail "metrics served with --metrics=false"
	stop_daemon
}

# Every metric the Grafana dashboard queries is exported by a live daemon.
it_metrics_dashboard() {
	local dash="$here/../../docs/grafana/portsyncd.json" name missing=""
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dash" ||
		fail "the dashboard is not JSON"
	config_port Ethernet0 0
	start_daemon
	add_port Ethernet0
	consume
	wait_state Ethernet0 "down down 1500"
	scrape > "$T/scrape.txt" || fail "no scrape"
	local names
	names=$(grep -o 'portsyncd_[a-z0-9_]*' "$dash" | sort -u)
	[ "$(echo "$names" | wc -l)" -ge 20 ] || fail "few metric names in the dashboard: $names"
	for name in $names; do
		grep -q "^$name[{ ]" "$T/scrape.txt" || missing="$missing $name"
	done
	[ -z "$missing" ] || fail "the dashboard queries metrics the daemon does not export:$missing"
	note "$(echo "$names" | wc -l) metric names queried, all exported"
	stop_daemon
}
