# No log output blocks the daemon (lib/log.c, adapters/log_watch.c): its stderr is a pipe whose
# reader is stopped (SIGSTOP) while a flap storm makes thousands of log lines; the daemon goes on
# following the links into STATE_DB and answering /health, drops what its queue cannot hold, and
# once the reader resumes says how many records it dropped, as its metrics do.

# log_lines_lost: records the drop summaries of daemon.log name, summed
log_lines_dropped() {
	sed -n 's/.*did not keep up: \([0-9]*\) log records dropped.*/\1/p' "$T/daemon.log" |
		awk '{ n += $1 } END { print n + 0 }'
}

it_log_reader_stopped() {
	local n=64 before lines dropped metric ms
	mkfifo "$T/log.fifo" || fail "cannot make a FIFO"
	cat "$T/log.fifo" > "$T/daemon.log" &
	LOG_READER_PID=$!
	config_ports "$n"
	ip netns exec "$NS" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$PSD_BIN" \
		--db-config "$T/database_config.json" --log-output stderr --log-level INFO \
		> "$T/log.fifo" 2>&1 &
	DAEMON_PID=$!
	wait_until "daemon listening" grep -q "Listen to link messages" "$T/daemon.log"
	add_ports "$n"
	wait_converged consume
	before=$(wc -l < "$T/daemon.log")
	kill -STOP "$LOG_READER_PID"
	# every peer up and down 30 times: far more lines than the pipe and the queue hold
	storm_batch "$n" 30 "$T/storm.batch"
	nsip -batch "$T/storm.batch" || fail "the storm batch failed"
	wait_converged
	ms=$(date +%s%N)
	nsip link set Ethernet0 mtu 1400
	wait_state Ethernet0 "up up 1400"
	note "STATE_DB followed a link change in $((($(date +%s%N) - ms) / 1000000)) ms, the reader stopped"
	ip netns exec "$NS" curl -s --max-time 5 "http://127.0.0.1:9808/health" > "$T/health" ||
		fail "/health did not answer while the log reader was stopped"
	grep -q '"status"' "$T/health" || fail "/health said: $(cat "$T/health")"
	metric=$(ip netns exec "$NS" curl -sf --max-time 5 "http://127.0.0.1:9808/metrics" |
		sed -n 's/^portsyncd_log_output_dropped_total \([0-9]*\)$/\1/p')
	[ "${metric:-0}" -gt 0 ] || fail "portsyncd_log_output_dropped_total is '${metric}'"
	kill -CONT "$LOG_READER_PID"
	wait_until "the drop summary" grep -q "did not keep up: [0-9]* log records dropped" \
		"$T/daemon.log"
	dropped=$(log_lines_dropped)
	lines=$(($(wc -l < "$T/daemon.log") - before))
	note "$lines lines written after the stop, $dropped dropped (metrics: $metric at the stop)"
	[ $((lines + dropped)) -ge 3000 ] ||
		fail "only $lines lines and $dropped dropped: the storm made fewer than 3000 records"
	[ "$dropped" -ge "$metric" ] || fail "the summary says $dropped dropped, metrics $metric"
	# every line whole: the queue writes records, never pieces of them
	! grep -vqE '^ *(EMERG|ALERT|CRIT|ERROR|WARN|NOTICE|INFO|DEBUG): ' "$T/daemon.log" ||
		fail "a line cut: $(grep -vE '^ *(EMERG|ALERT|CRIT|ERROR|WARN|NOTICE|INFO|DEBUG): ' "$T/daemon.log" | head -n 3)"
	nsip link set Ethernet1 mtu 1300
	wait_state Ethernet1 "down up 1300"
	stop_daemon
}
