# The metrics listener against misbehaving clients (tools/http-clients.py, inside the test's
# namespace): idle connections held, slowloris clients, pipelined requests, clients that never
# read. In each, /health and /metrics are answered during the fault and right after it, a link
# change made during the fault reaches STATE_DB (nothing on the link -> STATE_DB path waits on
# the listener), the fault is counted in the portsyncd_http_* families and logged once, not a
# line per connection. And the daemon maps no TLS or crypto library of libmicrohttpd's.
# The curl timeouts below are hang guards, not speed targets: the listener as it was never
# answered again after 17 idle connections.

HTTP_CLIENTS=$(realpath "$here/../../tools/http-clients.py")

# http_clients MODE ARG...: the tool inside the namespace, against the daemon's port
http_clients() {
	local mode=$1
	shift
	ip netns exec "$NS" python3 "$HTTP_CLIENTS" "$mode" "$METRICS_PORT" "$@"
}

# answered_during PID: while PID runs, /health and /metrics answer; twice at least.
answered_during() {
	local n=0
	while kill -0 "$1" 2>/dev/null; do
		health_is 200 ok || fail "no /health answer during the fault (try $n): $(health_body)"
		scrape > /dev/null || fail "no /metrics answer during the fault (try $n)"
		n=$((n + 1))
		sleep 1
	done
	[ $n -ge 2 ] || fail "the fault ended before two tries"
	note "$n times /health and /metrics answered during the fault"
}

# link_change_during PID: Ethernet0 admin up while PID runs, seen in STATE_DB.
link_change_during() {
	kill -0 "$1" 2>/dev/null || fail "the fault ended before the link change"
	nsip link set Ethernet0 up
	wait_state Ethernet0 "down up 1500"
	kill -0 "$1" 2>/dev/null || fail "the fault ended before the link change reached STATE_DB"
}

# fault ESTABLISHED MODE ARG...: the clients of MODE run in the background (their output in
# $T/fault.out); once ESTABLISHED connections are up, a link change made meanwhile must reach
# STATE_DB, and /health and /metrics must answer every second, until the clients end.
fault() {
	local want=$1 pid
	shift
	http_clients "$@" > "$T/fault.out" 2>&1 &
	pid=$!
	wait_until "$1 clients connected" established "$want"
	link_change_during "$pid"
	answered_during "$pid"
	wait "$pid" || fail "$1 clients failed: $(cat "$T/fault.out")"
}

# logged_once TEXT: the daemon logged TEXT once (a repeated condition: a line a minute).
logged_once() {
	local n
	n=$(grep -c -- "$1" "$T/daemon.log")
	[ "$n" = 1 ] || fail "'$1' logged $n times, expected once: $(grep -- "$1" "$T/daemon.log" | head -3)"
}

# metric_at_least NAME MIN: the sample is MIN or more
metric_at_least() {
	local v
	v=$(metric "$1")
	[ -n "$v" ] && [ "$v" -ge "$2" ] || fail "$1 = '$v', expected at least $2"
}

# established ESTABLISHED: the test's clients connected to the daemon's port, as they see it
established() {
	[ "$(ip netns exec "$NS" ss -Htn state established "( dport = :$METRICS_PORT )" | wc -l)" -ge "$1" ]
}

# 40 idle connections held for 15 s. They wait in the kernel (TCP_DEFER_ACCEPT) until the
# idle timeout's worth of seconds, then reach the listener, more than one address may keep
# (PSD_HTTP_PER_ADDRESS_MAX, 32): the oldest give way. /health is answered throughout and after.
it_http_idle_connections() {
	one_port_daemon
	fault 40 hold 40 15
	grep -q "^held 40: " "$T/fault.out" || fail "holder: $(cat "$T/fault.out")"
	health_is 200 ok || fail "no /health answer after the idle connections: $(health_body)"
	metric_at_least 'portsyncd_http_connections_accepted_total' 40
	metric_at_least 'portsyncd_http_connections_evicted_total{state="idle"}' 8
	metric_at_least 'portsyncd_http_timeouts_total{kind="idle"}' 1
	logged_once "http: connection evicted to make room"
	promtool_check
	stop_daemon
}

# 300 slowloris clients, a byte every 2 s, for 15 s: the header timeout and eviction keep room;
# scrapes are answered during and right after.
it_http_slowloris() {
	one_port_daemon
	fault 64 slowloris 300 15 2
	grep -q "^held 300: " "$T/fault.out" || fail "slowloris: $(cat "$T/fault.out")"
	scrape > /dev/null || fail "no /metrics answer right after the slowloris clients"
	health_is 200 ok || fail "no /health answer right after the slowloris clients"
	metric_at_least portsyncd_http_connections_accepted_total 300
	local evicted timeouts
	evicted=$(metric 'portsyncd_http_connections_closed_total{cause="evicted"}')
	timeouts=$(metric 'portsyncd_http_connections_closed_total{cause="timeout"}')
	[ $((evicted + timeouts)) -ge 268 ] ||
		fail "slow requests closed: $evicted evicted, $timeouts timed out, expected 268 at least"
	logged_once "http: connection evicted to make room"
	promtool_check
	stop_daemon
}

# Pipelined requests in one write, answered in order on the one connection.
it_http_pipelined() {
	one_port_daemon
	nsip link set Ethernet0 up
	http_clients pipeline /health /nope /metrics /health > "$T/pipe.out" 2>&1 ||
		fail "pipeline: $(cat "$T/pipe.out")"
	wait_state Ethernet0 "down up 1500"
	[ "$(cut -d' ' -f1,2 "$T/pipe.out" | tr '\n' '|')" = \
		"200 application/json|404 text/plain;|200 text/plain;|200 application/json|" ] ||
		fail "answers: $(cat "$T/pipe.out")"
	grep -q '^200 text/plain; version=0.0.4; charset=utf-8 [0-9]*$' "$T/pipe.out" ||
		fail "no exposition among the answers: $(cat "$T/pipe.out")"
	http_clients pipeline /metrics /metrics /metrics > "$T/pipe.out" 2>&1 ||
		fail "pipeline: $(cat "$T/pipe.out")"
	[ "$(grep -c '^200 text/plain; version=0.0.4' "$T/pipe.out")" = 3 ] ||
		fail "three scrapes: $(cat "$T/pipe.out")"
	metric_at_least 'portsyncd_http_requests_total{endpoint="metrics",code="200"}' 4
	metric_at_least 'portsyncd_http_requests_total{endpoint="other",code="404"}' 1
	stop_daemon
}

# 20 clients that never read a /metrics response larger than the socket buffers (4 KiB in the
# namespace): each closed at the write timeout (10 s), the daemon answering the others meanwhile.
it_http_never_read() {
	ip netns exec "$NS" sysctl -qw net.ipv4.tcp_wmem="4096 4096 4096" \
		net.ipv4.tcp_rmem="4096 4096 4096" || fail "cannot shrink the namespace's TCP buffers"
	one_port_daemon
	local size
	size=$(scrape | wc -c)
	[ "$size" -gt 12288 ] || fail "the exposition is $size bytes: too small to fill the buffers"
	fault 20 noread 20 14
	[ "$(grep -c '^closed by the server after [0-9]* bytes$' "$T/fault.out")" = 20 ] ||
		fail "non-readers: $(sort "$T/fault.out" | uniq -c)"
	awk -v size="$size" '$6 >= size { exit 1 }' "$T/fault.out" ||
		fail "a non-reader read it all: $(sort "$T/fault.out" | uniq -c)"
	metric_is 'portsyncd_http_timeouts_total{kind="write"}' 20 ||
		fail "write timeouts: $(metric 'portsyncd_http_timeouts_total{kind="write"}')"
	metric_is portsyncd_http_output_held_bytes 0 || fail "bodies still held"
	logged_once "http: response not taken in time"
	health_is 200 ok || fail "no /health answer after the non-readers"
	stop_daemon
}

# The daemon at its file descriptor limit (prlimit): connections over it are taken on the spare
# descriptor and closed, counted and logged once; the listener goes on accepting, and answers
# as soon as descriptors are free again.
it_http_out_of_fds() {
	one_port_daemon
	local fds
	fds=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
	prlimit --pid "$DAEMON_PID" --nofile=$((fds + 3)):$((fds + 3)) ||
		fail "cannot lower the daemon's descriptor limit"
	http_clients slowloris 10 6 1 > "$T/fault.out" 2>&1 &
	local slow=$!
	wait_until "connections refused for want of descriptors" \
		grep -q "http: connection refused: from a client (the process is out of file descriptors)" \
		"$T/daemon.log"
	link_change_during "$slow"
	wait "$slow" || fail "the slow clients failed: $(cat "$T/fault.out")"
	wait_until "/health answered again" health_is 200 ok
	metric_at_least 'portsyncd_http_connections_refused_total{reason="fds"}' 1
	logged_once "the process is out of file descriptors"
	stop_daemon
}

# No library of TLS or its crypto is linked or mapped (libmicrohttpd brought GnuTLS, nettle,
# hogweed, GMP, p11-kit, libtasn1, libidn2 and libunistring).
it_http_no_tls_libraries() {
	local forbidden='gnutls|nettle|hogweed|gmp|p11-kit|tasn1|idn2|unistring|microhttpd' bin
	for bin in "$PSD_BIN" "$here/../../build/portsyncd"; do
		[ -x "$bin" ] || fail "$bin is not built"
		ldd "$bin" > "$T/ldd.out" || fail "ldd $bin failed"
		note "$(basename "$(dirname "$bin")")/$(basename "$bin") links: $(awk '$1 ~ /\.so/ { print $1 }' "$T/ldd.out" | tr '\n' ' ')"
		! grep -Ei "$forbidden" "$T/ldd.out" ||
			fail "$bin links: $(grep -Ei "$forbidden" "$T/ldd.out" | awk '{ print $1 }' | tr '\n' ' ')"
	done
	one_port_daemon
	scrape > /dev/null || fail "no scrape"
	awk '$6 ~ /\.so/ { print $6 }' "/proc/$DAEMON_PID/maps" | sort -u > "$T/maps.out"
	[ -s "$T/maps.out" ] || fail "no library in /proc/$DAEMON_PID/maps"
	note "mapped: $(xargs -n1 basename < "$T/maps.out" | tr '\n' ' ')"
	! grep -Ei "$forbidden" "$T/maps.out" ||
		fail "the daemon maps: $(grep -Ei "$forbidden" "$T/maps.out" | tr '\n' ' ')"
	stop_daemon
}
