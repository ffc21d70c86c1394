#!/bin/bash
# One run of the daemon benchmark on PORTS veth ports in a namespace (make bench):
#  1. idle latency: CHANGES single changes (a peer up, then down, 20 ms apart) by `ip link set`,
#     each timed from before the fork of `ip` to the keyspace notification of the port's
#     STATE_DB write (tools/ks-latency idle); the floor is the `ip` command itself; split into
#     the kernel's part (until a listener in the namespace has the link message) and the
#     daemon's (from that message to the notification);
#  2. a storm: every peer up then down, ROUNDS times, then every even peer up, in one
#     `ip -batch`; converged = the last STATE_DB write of the final state, timed from `ip -batch`
#     returning and from its start, and from the kernel's last link message of a port seen by
#     a listener in the namespace (tools/ks-latency storm);
#  3. in the same storm, the daemon's CPU time in ns (/proc/<pid>/task/*/schedstat, first
#     field, before the storm and 0.3 s after it converged), divided by the port state changes
#     (a port's oper status going up or down: PORTS x 2 x ROUNDS + PORTS/2) and by the netlink
#     link messages an independent listener in the namespace saw (tools/nl-record: peers
#     included); the daemon's wake-ups (voluntary context switches) in the same span; RSS
#     (and its anonymous part) after it.
# Prints one line of key=value figures (bench/run.sh takes medians).
# Usage: storm.sh DAEMON NL_RECORD KS_LATENCY [PORTS] [ROUNDS] [CHANGES]
set -eu -o pipefail
DAEMON=$(realpath "$1")
RECORD=$(realpath "$2")
KSLAT=$(realpath "$3")
PORTS=${4:-512}
ROUNDS=${5:-10}
CHANGES=${6:-200}
. "$(dirname "$0")/lib.sh"
cpu_ns() { cat /proc/"$PID"/task/*/schedstat | awk '{t += $1} END {printf "%d\n", t}'; }
wakeups() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$PID/status"; }
kv() { sed -n "s/.* $1=\([-0-9.]*\).*/\1/p"; }

setup_ports "$DAEMON" "$PORTS"
sleep 0.5
idle_ports=$((PORTS < 100 ? PORTS : 100))
idle=$("$KSLAT" idle "$SOCK" "$NS" "$CHANGES" "$idle_ports" 20)

for r in $(seq 1 "$ROUNDS"); do
	for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i up"; done
	for i in $(seq 0 $((PORTS - 1))); do echo "link set p$i down"; done
done > "$D/storm.batch"
for i in $(seq 0 2 $((PORTS - 1))); do echo "link set p$i up"; done >> "$D/storm.batch"
changes=$((PORTS * 2 * ROUNDS + (PORTS + 1) / 2))
ip netns exec "$NS" "$RECORD" - > "$D/record.out" &
REC=$!
recorder_ready() { grep -q ready "$D/record.out"; }
wait_for 5 recorder_ready
before=$(cpu_ns)
woke=$(wakeups)
storm=$("$KSLAT" storm "$SOCK" "$NS" "$D/storm.batch" "$PORTS")
sleep 0.3 # the echoes of the last changes
after=$(cpu_ns)
woke=$(($(wakeups) - woke))
kill -INT "$REC"
wait "$REC" || true
REC=
msgs=$(awk '/^datagrams/ {print $4}' "$D/record.out")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
anon=$(awk '/^RssAnon/ {print $2}' "/proc/$PID/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$PID/status")
echo "storm: ports=$PORTS rounds=$ROUNDS changes=$changes messages=$msgs" \
	"cpu_ns=$((after - before)) ns_per_change=$(((after - before) / changes))" \
	"ns_per_message=$(((after - before) / msgs)) rss_kib=$rss hwm_kib=$hwm anon_kib=$anon wakeups=$woke" \
	"writes=$(echo "$storm" | kv writes) ip_us=$(echo "$storm" | kv ip_us)" \
	"converged_after_ip_us=$(echo "$storm" | kv converged_after_ip_us)" \
	"converged_after_start_us=$(echo "$storm" | kv converged_after_start_us)" \
	"last_kernel_after_ip_us=$(echo "$storm" | kv last_kernel_after_ip_us)" \
	"converged_after_kernel_us=$(echo "$storm" | kv converged_after_kernel_us)" \
	"listener_overruns=$(echo "$storm" | kv overruns)" \
	"idle_changes=$CHANGES idle_writes=$(echo "$idle" | kv writes)" \
	"idle_unseen=$(echo "$idle" | kv unseen) rt=$(echo "$idle" | sed -n 's/.*rt=\([01]\).*/\1/p')" \
	"$(echo "$idle" | grep -o '\(latency\|floor\|after_ip\|kernel\|daemon\)_[a-z0-9]*_us=[-0-9]*' | tr '\n' ' ')"
