# The daemon seen from the fleet: Debian's Prometheus (2.42) and Alertmanager (0.25), started by
# the test on loopback inside its namespace, scrape the daemon every second and evaluate the rules
# it prints (--print-prometheus-rules) with the inhibitions it prints
# (--print-alertmanager-inhibit-rules); Alertmanager delivers to tools/alert-webhook.py. A port
# flapped 12 times: Prometheus's alert and the webhook's delivery name the port, and fire and
# resolve within one evaluation interval plus `for` of the daemon's own alert. A port flapping
# while Redis is unreachable is inhibited in both.

FLEET_PROM=9090
FLEET_AM=9093
FLEET_HOOK=9099

fleet_get() { # fleet_get PORT PATH: a GET inside the namespace
	ip netns exec "$NS" curl -sf --max-time 5 "http://127.0.0.1:$1$2"
}

# fleet_query PROMQL: the result of an instant query, as JSON
fleet_query() {
	ip netns exec "$NS" curl -sf --max-time 5 -G "http://127.0.0.1:$FLEET_PROM/api/v1/query" \
		--data-urlencode "query=$1"
}

fleet_results() { # fleet_results PROMQL: how many series the query returns
	fleet_query "$1" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]["result"]))'
}

fleet_has() { # fleet_has PROMQL: the query returns a series
	[ "$(fleet_results "$1")" -gt 0 ]
}

# Prometheus's alerts named $1 in state $2 (firing, pending) with port=$3: how many
prom_alerts() {
	fleet_get "$FLEET_PROM" /api/v1/alerts | python3 -c '
import json, sys
alerts = json.load(sys.stdin)["data"]["alerts"]
print(sum(1 for a in alerts if a["labels"].get("alertname") == sys.argv[1] and
          a["state"] == sys.argv[2] and a["labels"].get("port", "") == sys.argv[3]))' "$1" "$2" "$3"
}

prom_firing() { # prom_firing RULE PORT
	[ "$(prom_alerts "$1" firing "$2")" -gt 0 ]
}

# Alertmanager's alerts named $1 for port $2 in state $3 (active, suppressed): how many
am_alerts() {
	fleet_get "$FLEET_AM" /api/v2/alerts | python3 -c '
import json, sys
print(sum(1 for a in json.load(sys.stdin) if a["labels"].get("alertname") == sys.argv[1] and
          a["labels"].get("port", "") == sys.argv[2] and a["status"]["state"] == sys.argv[3]))' \
		"$1" "$2" "$3"
}

# hook_at STATUS RULE PORT: when the webhook first received a notification of RULE for PORT with
# STATUS (Unix time); fails when it has not
hook_at() {
	[ -s "$T/hook.log" ] || return 1
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    if line.startswith("bad:"):
        continue
    doc = json.loads(line)
    for a in doc["alerts"]:
        if (a["status"] == sys.argv[2] and a["labels"].get("alertname") == sys.argv[3] and
                a["labels"].get("port", "") == sys.argv[4]):
            print("%.3f" % doc["received_at"])
            sys.exit(0)
sys.exit(1)' "$T/hook.log" "$1" "$2" "$3"
}

hook_got() { # hook_got STATUS RULE PORT: the webhook received such a notification
	hook_at "$@" >/dev/null
}

# within WHAT A B LIMIT: B is at most LIMIT seconds after A (or before it), else the test fails
within() {
	awk -v a="$2" -v b="$3" -v l="$4" 'BEGIN { d = b - a; exit !(d <= l && d >= -l) }' ||
		fail "$1: $2 and $3 are more than $4 s apart"
}

daemon_firing() { # daemon_firing RULE SUBJECT HELD
	scrape | grep -q "^portsyncd_alert_state{rule=\"$1\",subject=\"$2\",state=\"firing\",.*held=\"$3\"} 1$"
}

# The daemon with Ethernet0 configured, present and consumed; Alertmanager, the webhook and
# Prometheus (scraping every second, evaluating every second) on loopback in the namespace.
fleet_start() {
	local tool
	for tool in prometheus prometheus-alertmanager python3; do
		command -v $tool >/dev/null || fail "$tool is not installed (ci/install-deps.sh)"
	done
	port_up_daemon Ethernet0
	"$PSD_BIN" --print-prometheus-rules > "$T/rules.yml" || fail "--print-prometheus-rules"
	"$PSD_BIN" --print-alertmanager-inhibit-rules > "$T/inhibit.yml" ||
		fail "--print-alertmanager-inhibit-rules"
	cat > "$T/alertmanager.yml" <<EOF
route:
  receiver: hook
  group_by: [alertname, port]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$FLEET_HOOK/
        send_resolved: true
EOF
	cat "$T/inhibit.yml" >> "$T/alertmanager.yml"
	cat > "$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: ['127.0.0.1:$FLEET_AM']}]
scrape_configs:
  - job_name: portsyncd
    static_configs: [{targets: ['127.0.0.1:$METRICS_PORT']}]
EOF
	ip netns exec "$NS" python3 "$here/../../tools/alert-webhook.py" 127.0.0.1 "$FLEET_HOOK" \
		"$T/hook.log" > "$T/hook.out" 2>&1 &
	ip netns exec "$NS" prometheus-alertmanager --config.file="$T/alertmanager.yml" \
		--storage.path="$T/am" --web.listen-address=127.0.0.1:$FLEET_AM \
		--cluster.listen-address= > "$T/am.log" 2>&1 &
	ip netns exec "$NS" prometheus --config.file="$T/prometheus.yml" \
		--storage.tsdb.path="$T/prom" --web.listen-address=127.0.0.1:$FLEET_PROM \
		> "$T/prom.log" 2>&1 &
	R_TIMEOUT=60 wait_until "Alertmanager ready" fleet_get $FLEET_AM /-/ready
	R_TIMEOUT=60 wait_until "Prometheus ready" fleet_get $FLEET_PROM /-/ready
	R_TIMEOUT=60 wait_until "the daemon scraped (up == 1)" fleet_has 'up{job="portsyncd"} == 1'
	local rules
	rules=$(fleet_get $FLEET_PROM /api/v1/rules | python3 -c '
import json, sys
print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
	expect_eq "$rules" 6 "rules Prometheus loaded"
	fleet_has 'portsyncd_port_carrier_changes_total{port="Ethernet0"}' ||
		fail "no per-port series of Ethernet0 in Prometheus"
	# the rule's window needs the series' value 30 s ago
	R_TIMEOUT=60 wait_until "30 s of Ethernet0's series" \
		fleet_has 'portsyncd_port_carrier_changes_total{port="Ethernet0"} offset 31s'
}

# prom_fired_span PORT: when Prometheus's port_flapping of PORT fired and resolved (Unix time):
# the first sample of its ALERTS series in state firing, and the evaluation after its last
prom_fired_span() {
	fleet_query "ALERTS{alertname=\"port_flapping\",alertstate=\"firing\",port=\"$1\"}[10m]" |
		python3 -c '
import json, sys
values = json.load(sys.stdin)["data"]["result"][0]["values"]
print("%.3f %.3f" % (values[0][0], values[-1][0] + 1))'
}

prom_quiet() { # prom_quiet RULE PORT: Prometheus has no such alert firing
	! prom_firing "$1" "$2"
}

# A port flapped 12 times: the daemon's alert, Prometheus's and the webhook's delivery, each with
# the port. When each fired and resolved: the daemon's firing second (its entry's `since`) and the
# moment its entry went (polled every 50 ms), Prometheus's from its ALERTS series (evaluation
# times), the webhook's from when it received Alertmanager's deliveries. Prometheus's agree with
# the daemon's within one evaluation interval plus `for` (1 s + 5 s), the webhook's within that
# plus Alertmanager's group_wait or group_interval (1 s). The delays after the daemon's are noted.
it_fleet_flap_alert_names_the_port() {
	fleet_start
	local key='PORTSYNCD_ALERT|port_flapping|Ethernet0' d_fire d_res p_fire p_res h_fire h_res
	flap_peer Ethernet0 12
	R_TIMEOUT=60 wait_until "the daemon's alert fires" key_exists 6 "$key"
	d_fire=$(rcli 6 HGET "$key" since)
	R_TIMEOUT=90 wait_until "the daemon's alert resolves" key_absent 6 "$key"
	d_res=$(date +%s.%N)
	R_TIMEOUT=60 wait_until "Prometheus's alert resolves" prom_quiet port_flapping Ethernet0
	read -r p_fire p_res < <(prom_fired_span Ethernet0) || fail "Prometheus's alert never fired"
	wait_until "the webhook's firing delivery names the port" hook_got firing port_flapping Ethernet0
	R_TIMEOUT=30 wait_until "the webhook's resolved delivery" hook_got resolved port_flapping Ethernet0
	h_fire=$(hook_at firing port_flapping Ethernet0)
	h_res=$(hook_at resolved port_flapping Ethernet0)
	local delays='BEGIN { printf "after the daemon: Prometheus fired %+.1f s, resolved %+.1f s; " \
		"the webhook heard it firing %+.1f s, resolved %+.1f s", pf - df, pr - dr, hf - df, hr - dr }'
	note "$(awk -v df="$d_fire" -v dr="$d_res" -v pf="$p_fire" -v pr="$p_res" -v hf="$h_fire" \
		-v hr="$h_res" "$delays")"
	within "firing (daemon, Prometheus)" "$d_fire" "$p_fire" 6
	within "resolving (daemon, Prometheus)" "$d_res" "$p_res" 6
	within "firing (daemon, webhook)" "$d_fire" "$h_fire" 7
	within "resolving (daemon, webhook)" "$d_res" "$h_res" 7
	grep -q '"summary": "The port'"'"'s link changed more than 4 times in 30 s"' "$T/hook.log" ||
		fail "the delivery lacks the rule's summary: $(head -c 600 "$T/hook.log")"
	! grep -q '^bad:' "$T/hook.log" || fail "the webhook got what is not JSON"
	daemon_alive || fail "daemon died"
}

# Redis unreachable, then a port flaps: the daemon holds its port alert (inhibited), Alertmanager
# suppresses Prometheus's by the printed inhibit rule, and the webhook hears nothing of it.
it_fleet_flap_inhibited_while_redis_unreachable() {
	fleet_start
	kill_redis
	R_TIMEOUT=40 wait_until "Prometheus's redis_unreachable fires" prom_firing redis_unreachable ""
	wait_until "the daemon's redis_unreachable fires" daemon_firing redis_unreachable daemon no
	flap_peer Ethernet0 12
	R_TIMEOUT=30 wait_until "the daemon's port alert fires, inhibited" \
		daemon_firing port_flapping Ethernet0 inhibited
	R_TIMEOUT=30 wait_until "Prometheus's port alert fires" prom_firing port_flapping Ethernet0
	R_TIMEOUT=30 wait_until "Alertmanager has the port alert, suppressed" am_suppressed
	sleep 3 # group_wait and group_interval are 1 s: a delivery would have been made by now
	hook_got firing port_flapping Ethernet0 && fail "the webhook was told of an inhibited alert"
	hook_got firing redis_unreachable "" || fail "the webhook did not hear of redis_unreachable"
	[ "$(am_alerts port_flapping Ethernet0 active)" = 0 ] || fail "the port alert is active"
	daemon_alive || fail "daemon died"
}

am_suppressed() {
	[ "$(am_alerts port_flapping Ethernet0 suppressed)" -gt 0 ]
}
