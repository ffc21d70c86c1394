# Alerts against the real daemon and redis-server: a flapping veth fires the shipped flap rule
# (STATE_DB entry, log line, metric) and resolves it; a CONFIG_DB silence holds its actions and
# expires by itself; the printed Prometheus rules pass promtool's check and a rules test replaying
# the same flap series; each bad rule file is refused with its message (at start and by
# --check-config); SIGHUP with a bad file keeps the rules in force.

FLAP_KEY='PORTSYNCD_ALERT|port_flapping|Ethernet0'
SILENCES='PORTSYNCD_ALERT_SILENCE|portsyncd'

# alert_series RULE SUBJECT STATE HELD: the daemon exports the alert in that state
alert_series() {
	scrape | grep -qxF "portsyncd_alert_state{rule=\"$1\",subject=\"$2\",state=\"$3\",severity=\"warning\",held=\"$4\"} 1"
}

no_alert_series() { # no_alert_series RULE SUBJECT: no series of the alert at all
	local out
	out=$(scrape) || return 1
	! printf '%s\n' "$out" | grep -qF "portsyncd_alert_state{rule=\"$1\",subject=\"$2\","
}

logged() {
	grep -qF -- "$1" "$T/daemon.log"
}

# flap PORT N: N oper changes of PORT (its veth peer goes down and up), PORT admin up
flap() {
	local i
	nsip link set "$1" up
	for i in $(seq 1 "$2"); do
		if [ $((i % 2)) = 1 ]; then nsip link set "p$1" up; else nsip link set "p$1" down; fi
		sleep 0.2
	done
}

# The shipped rule port_flapping (more than 4 changes in 30 s, for 5 s, keep_firing_for 20 s):
# pending, firing with its STATE_DB entry, log line and metric; resolved once the flaps left the
# window and keep_firing_for ran out, the entry and the series gone.
it_alerts_flap_fires_and_resolves() {
	one_port_daemon
	flap Ethernet0 6
	wait_until "port_flapping pending or firing" logged \
		"alert rule=port_flapping subject=Ethernet0 state=inactive->pending severity=warning"
	wait_until "STATE_DB $FLAP_KEY" key_exists 6 "$FLAP_KEY"
	logged "alert rule=port_flapping subject=Ethernet0 state=pending->firing severity=warning" ||
		fail "no firing log line: $(grep 'alert rule' "$T/daemon.log")"
	local value since
	value=$(rcli 6 HGET "$FLAP_KEY" value)
	since=$(rcli 6 HGET "$FLAP_KEY" since)
	[ "$value" -ge 5 ] && [ "$value" -le 6 ] || fail "value $value, expected 5 or 6 changes"
	[ $(( $(date +%s) - since )) -le 10 ] || fail "since $since is not the firing time"
	expect_hash 6 "$FLAP_KEY" rule=port_flapping subject=Ethernet0 state=firing \
		severity=warning since="$since" value="$value" threshold=4 \
		"summary=The port's link changed more than 4 times in 30 s"
	wait_until "firing series" alert_series port_flapping Ethernet0 firing no
	R_TIMEOUT=70 wait_until "port_flapping resolved" key_absent 6 "$FLAP_KEY"
	logged "alert rule=port_flapping subject=Ethernet0 state=firing->resolved severity=warning" ||
		fail "no resolved log line: $(grep 'alert rule' "$T/daemon.log")"
	wait_until "no series once inactive" no_alert_series port_flapping Ethernet0
	daemon_alive || fail "daemon died"
}

# A silence of port_flapping for Ethernet0 until 20 s from now, written to CONFIG_DB: the alert
# fires (shown held=silenced, logged as held) but has no STATE_DB entry; when the silence expires
# it is logged, the held actions run and the entry appears.
it_alerts_silence_holds_and_expires() {
	one_port_daemon
	local until=$(( $(date +%s) + 20 ))
	rcli 4 HSET "$SILENCES" "port_flapping|Ethernet0" "$until" >/dev/null
	wait_until "silence read" logged "field 'port_flapping|Ethernet0' until '$until': accepted"
	flap Ethernet0 6
	wait_until "firing, silenced" alert_series port_flapping Ethernet0 firing silenced
	barrier # the actions of the firing evaluation have been carried out
	local absent=yes
	key_absent 6 "$FLAP_KEY" || absent=no
	[ "$(date +%s)" -lt "$until" ] || fail "the alert fired after the silence's end: too slow"
	[ $absent = yes ] || fail "a silenced alert has its STATE_DB entry"
	R_TIMEOUT=30 wait_until "silence expired" logged \
		"alert silence rule=port_flapping subject=Ethernet0 until=$until expired"
	wait_until "entry after the silence" key_exists 6 "$FLAP_KEY"
	wait_until "firing series, not held" alert_series port_flapping Ethernet0 firing no
	[ "$(date +%s)" -ge "$until" ] || fail "the entry came before the silence's end"
}

# promtool accepts the printed rules, and its rules test replays per-port series as the daemon
# exports them (portsyncd_port_carrier_changes_total): a port with 5 changes at 36 s fires alone,
# with its port, 5 s later (for) and resolves 20 s after its 30 s window let them go
# (keep_firing_for); one with 4 never fires; a Redis outage fires redis_unreachable after 10 s.
# The printed inhibitions are Alertmanager's configuration as amtool reads it.
it_alerts_promtool_rules() {
	command -v promtool >/dev/null || fail "promtool is not installed (ci/install-deps.sh)"
	"$PSD_BIN" --print-prometheus-rules > "$T/rules.yml" || fail "--print-prometheus-rules failed"
	promtool check rules "$T/rules.yml" > "$T/check.out" 2>&1 ||
		fail "promtool check rules: $(cat "$T/check.out")"
	grep -q "SUCCESS: 6 rules found" "$T/check.out" || fail "promtool: $(cat "$T/check.out")"
	cat > "$T/test.yml" <<EOF
rule_files: [rules.yml]
evaluation_interval: 1s
tests:
  - interval: 1s
    input_series:
      - series: 'portsyncd_port_carrier_changes_total{port="Ethernet0"}'
        values: '0x35 5x90'
      - series: 'portsyncd_port_carrier_changes_total{port="Ethernet4"}'
        values: '0x35 4x90'
      - series: 'portsyncd_redis_up{db="CONFIG_DB"}'
        values: '1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 1'
      - series: 'portsyncd_redis_up{db="STATE_DB"}'
        values: '1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1'
    alert_rule_test:
      - {eval_time: 40s, alertname: port_flapping, exp_alerts: []}
      - eval_time: 41s
        alertname: port_flapping
        exp_alerts:
          - exp_labels: {severity: warning, inhibited_by: redis_unreachable, port: Ethernet0}
            exp_annotations: {summary: "The port's link changed more than 4 times in 30 s"}
      - eval_time: 85s
        alertname: port_flapping
        exp_alerts:
          - exp_labels: {severity: warning, inhibited_by: redis_unreachable, port: Ethernet0}
            exp_annotations: {summary: "The port's link changed more than 4 times in 30 s"}
      - {eval_time: 86s, alertname: port_flapping, exp_alerts: []}
      - {eval_time: 11s, alertname: redis_unreachable, exp_alerts: []}
      - eval_time: 12s
        alertname: redis_unreachable
        exp_alerts:
          - exp_labels: {severity: critical}
            exp_annotations: {summary: "A Redis database has been unreachable for more than 10 s"}
      - {eval_time: 15s, alertname: redis_unreachable, exp_alerts: []}
EOF
	(cd "$T" && promtool test rules test.yml) > "$T/test.out" 2>&1 ||
		fail "promtool test rules: $(cat "$T/test.out")"
	grep -q SUCCESS "$T/test.out" || fail "promtool test rules: $(cat "$T/test.out")"
	command -v amtool >/dev/null || fail "amtool is not installed (prometheus-alertmanager)"
	"$PSD_BIN" --print-alertmanager-inhibit-rules > "$T/inhibit.yml" ||
		fail "--print-alertmanager-inhibit-rules failed"
	printf 'route: {receiver: none}\nreceivers: [{name: none}]\n' | cat - "$T/inhibit.yml" \
		> "$T/am.yml"
	amtool check-config "$T/am.yml" > "$T/amtool.out" 2>&1 ||
		fail "amtool check-config: $(cat "$T/amtool.out")"
	grep -q " - 1 inhibit rules" "$T/amtool.out" || fail "amtool: $(cat "$T/amtool.out")"
}

# bad_rules TEXT MESSAGE: a rule file with TEXT is refused at start (exit 1, nothing started) and
# by --check-config, both with MESSAGE (file and line included by the caller's MESSAGE).
bad_rules() {
	printf '%b' "$1" > "$T/rules.conf"
	expect_refusal 1 "bad alert rules: $T/rules.conf:$2" --db-config "$T/database_config.json" \
		--alert-rules "$T/rules.conf"
	"$PSD_BIN" --check-config --db-config "$T/database_config.json" \
		--alert-rules "$T/rules.conf" > "$T/out" 2>&1 && fail "--check-config accepted the rules"
	grep -qF -- "$T/rules.conf:$2" "$T/out" || fail "--check-config: $(cat "$T/out")"
}

it_alerts_bad_metric() {
	bad_rules '[alert a]\nmetric = portsyncd_nope\n' \
		"2: [alert a] metric 'portsyncd_nope': expected one of portsyncd_redis_up, "
}

it_alerts_bad_condition() {
	bad_rules '[alert a]\nmetric = portsyncd_writes_pending\ncondition = over\n' \
		"3: [alert a] condition 'over': expected above, below, inside, outside, equals or rate"
}

it_alerts_missing_threshold() {
	bad_rules '[alert a]\nmetric = portsyncd_writes_pending\ncondition = above\n' \
		"1: [alert a] condition above: expected threshold (no low or high)"
}

it_alerts_bad_threshold() {
	bad_rules '[alert a]\nmetric = portsyncd_writes_pending\ncondition = above\nthreshold = 1.2345\n' \
		"4: [alert a] threshold '1.2345': expected a number from -1000000000 to 1000000000 with at most 3 decimals"
}

it_alerts_bad_duration() {
	bad_rules '[alert a]\nmetric = portsyncd_writes_pending\nfor = 10x\n' \
		"3: [alert a] for '10x': expected a duration from 0s to 86400s (PSD_ALERT_FOR_MAX_S), as 0, 10s, 5m, 1h"
}

it_alerts_window_too_long() {
	bad_rules '[alert a]\nmetric = portsyncd_writes_pending\ncondition = rate\nthreshold = 1\nwindow = 11m\n' \
		"5: [alert a] window '11m': expected a duration from 1s to 600s (PSD_ALERT_WINDOW_MAX_S)"
}

it_alerts_per_port_window() {
	bad_rules '\n[alert a]\nmetric = port_oper_changes\nper_port = true\ncondition = above\nthreshold = 3\nwindow = 61s\n' \
		"2: [alert a] window 61s: expected 1s to 60s for port_oper_changes"
}

it_alerts_per_port_mismatch() {
	bad_rules '[alert a]\nmetric = portsyncd_writes_pending\nper_port = true\ncondition = above\nthreshold = 3\n' \
		"1: [alert a] per_port 'true': metric portsyncd_writes_pending is the daemon's"
}

it_alerts_per_port_true_at_zero() {
	bad_rules '[alert a]\nmetric = port_oper_changes\nper_port = true\ncondition = below\nthreshold = 3\nwindow = 10s\n' \
		"1: [alert a] condition below: a per-port condition must be false for a port with no change (0)"
}

it_alerts_unknown_key() {
	bad_rules '[alert a]\nmetric = portsyncd_writes_pending\nwebhook = http://x\n' \
		"3: [alert a] unknown key 'webhook': expected metric, condition, threshold"
}

it_alerts_not_a_rule_section() {
	bad_rules '[rule a]\nmetric = portsyncd_writes_pending\n' \
		"1: [rule a]: not a rule section; expected [alert NAME]"
}

it_alerts_bad_rule_name() {
	bad_rules '[alert Port-Flap]\nmetric = portsyncd_writes_pending\n' \
		"1: [alert Port-Flap]: rule name 'Port-Flap': expected 1 to 31 of a-z, 0-9 and _"
}

it_alerts_unknown_inhibitor() {
	bad_rules '[alert a]\nmetric = portsyncd_writes_pending\ncondition = above\nthreshold = 3\ninhibited_by = nope\n' \
		"5: [alert a] inhibited_by 'nope': expected a rule in force that is not per port"
}

it_alerts_inhibition_cycle() {
	bad_rules '[alert a]\nmetric = portsyncd_writes_pending\ncondition = above\nthreshold = 3\ninhibited_by = b\n[alert b]\nmetric = portsyncd_redis_up\ncondition = below\nthreshold = 1\ninhibited_by = a\n' \
		"5: [alert a] inhibited_by: a cycle a -> b -> a: its alerts would hold each other for ever"
}

it_alerts_bad_summary() {
	bad_rules '[alert a]\nmetric = portsyncd_writes_pending\nsummary = say "hi"\n' \
		"3: [alert a] summary: expected at most 127 printable ASCII characters without '\"' or '\\'"
}

it_alerts_too_many_rules() {
	local i
	for i in $(seq 1 1019); do
		printf '[alert r%d]\nmetric = portsyncd_writes_pending\ncondition = above\nthreshold = %d\n' "$i" "$i"
	done > "$T/many.conf"
	expect_refusal 1 "bad alert rules: $T/many.conf:4073: [alert r1019]: more than 1024 rules (PSD_ALERT_RULES_MAX), the shipped ones included" \
		--db-config "$T/database_config.json" --alert-rules "$T/many.conf"
}

# SIGHUP: a bad file keeps the rules in force (said in the log, the count unchanged, the file's
# own rule still fires, a warning by default); a good one replaces them.
it_alerts_sighup_bad_file_keeps_rules() {
	cat > "$T/rules.conf" <<EOF
[alert quick_flap]
metric = port_oper_changes
per_port = true
condition = above
threshold = 1
window = 10s
summary = two changes in 10 s
EOF
	one_port_daemon --alert-rules "$T/rules.conf"
	scrape | grep -qx 'portsyncd_alert_rules 7' || fail "7 rules expected at start"
	printf '[alert quick_flap]\nmetric = port_oper_changes\nwindow = 10\n' > "$T/rules.conf"
	kill -HUP "$DAEMON_PID"
	wait_until "bad file reported" logged \
		"SIGHUP: keeping the current alert rules (7): $T/rules.conf:3: [alert quick_flap] window '10': expected a duration"
	scrape | grep -qx 'portsyncd_alert_rules 7' || fail "the rules changed"
	flap Ethernet0 3
	wait_until "quick_flap fires" key_exists 6 'PORTSYNCD_ALERT|quick_flap|Ethernet0'
	expect_eq "$(rcli 6 HGET 'PORTSYNCD_ALERT|quick_flap|Ethernet0' severity)" warning \
		"the default severity"
	: > "$T/rules.conf"
	kill -HUP "$DAEMON_PID"
	wait_until "good file taken" logged "SIGHUP: 6 alert rules in force"
	wait_until "6 rules" metric_is portsyncd_alert_rules 6
	wait_until "the removed rule's entry removed" key_absent 6 'PORTSYNCD_ALERT|quick_flap|Ethernet0'
	daemon_alive || fail "daemon died"
}

# docs/alerts.md shows the shipped rules as the daemon prints them.
it_alerts_docs_match() {
	local doc="$FIXTURES/../docs/alerts.md"
	awk '/^## The rules for Prometheus/ {in_section = 1} in_section && /^```yaml$/ {on = 1; next}
		on && /^```$/ {exit} on {print}' "$doc" > "$T/doc.yml"
	[ -s "$T/doc.yml" ] || fail "no yaml block in $doc"
	"$PSD_BIN" --print-prometheus-rules > "$T/printed.yml" || fail "--print-prometheus-rules failed"
	diff -u "$T/doc.yml" "$T/printed.yml" > "$T/diff" || fail "docs/alerts.md differs: $(cat "$T/diff")"
}
