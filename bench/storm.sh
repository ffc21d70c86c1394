#!/bin/bash
# One run of one daemon on PORTS veth ports in a namespace (bench/side.sh runs them side by side):
#  1. idle: once start-up has settled (2 s after every port was written), the daemon's wake-ups
#     (voluntary context switches) and CPU time (schedstat ns), summed over its threads, over
#     IDLE_S seconds in which nothing happens;
#  2. idle latency (unless CHANGES is 0): CHANGES single changes (a peer up, then down, 20 ms
#     apart), each timed from before the fork of `ip link set` to the keyspace notification of
#     the port's STATE_DB write (tools/ks-latency idle); the floor is the `ip` command itself;
#     split into the kernel's part (until a listener in the namespace has the link message) and
#     the daemon's (from that message to the notification);
#  3. a storm: every peer up then down, ROUNDS times, then every even peer up, in one
#     `ip -batch`; converged = the last STATE_DB write of the final state, timed from `ip -batch`
#     returning and from its start, and from the kernel's last link message of a port seen by
#     a listener in the namespace (tools/ks-latency storm);
#  4. in the same storm, the daemon's CPU ns and wake-ups over the active window (from just
#     before the storm to its last STATE_DB write, bench/lib.sh run_storm), divided by the oper
#     changes the kernel made (the ports' carrier_changes deltas) and by the link messages an
#     independent listener in the namespace saw (tools/nl-record: peers included);
#  5. after it: RSS, its anonymous part (/proc/PID/smaps_rollup Anonymous: the pages no file
#     backs, whoever else maps them) and its peak; the shared objects mapped (/proc/PID/maps),
#     the TLS, crypto and D-Bus ones named.
# KIND is ours, cpp or floor (bench/lib.sh). Prints one line of key=value figures.
# Usage: storm.sh KIND DAEMON NL_RECORD KS_LATENCY [PORTS] [ROUNDS] [CHANGES] [IDLE_S]
set -eu -o pipefail
KIND=$1
DAEMON=$(realpath "$2")
RECORD=$(realpath "$3")
KSLAT=$(realpath "$4")
PORTS=${5:-512}
ROUNDS=${6:-10}
CHANGES=${7:-200}
IDLE_S=${8:-20}
. "$(dirname "$0")/lib.sh"
kv() { sed -n "s/.* $1=\([-0-9.]*\).*/\1/p"; }
per() { awk -v a="$1" -v b="$2" -v s="${3:-1}" 'BEGIN {if (b > 0) printf "%.3f", a * s / b}'; }
SECURITY_LIBS='lib(ssl|crypto|gnutls|nettle|hogweed|gmp|p11-kit|tasn1|gcrypt|gpg-error|sodium|dbus|krb5|k5crypto|gssapi)'

setup_ports "$DAEMON" "$PORTS"
sleep 2
read -r c0 w0 t0 <<<"$(proc_sample)"
sleep "$IDLE_S"
read -r c1 w1 t1 <<<"$(proc_sample)"
idle_s=$(awk -v t=$((t1 - t0)) 'BEGIN {printf "%.3f", t / 1e9}')

idle=
if [ "$CHANGES" -gt 0 ]; then
	idle_ports=$((PORTS < 100 ? PORTS : 100))
	idle=$("$KSLAT" idle "$SOCK" "$NS" "$CHANGES" "$idle_ports" 20)
fi
storm=$(run_storm "$KSLAT" "$RECORD" "$PORTS" "$ROUNDS")
cpu=$(echo "$storm" | kv cpu_ns)
woke=$(echo "$storm" | kv wakeups)
changes=$(echo "$storm" | kv changes)
msgs=$(echo "$storm" | kv link_messages)
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/status"; }
rollup() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/smaps_rollup"; }
libs=$(awk '$6 ~ /\.so/ {n = split($6, p, "/"); print p[n]}' "/proc/$PID/maps" | sort -u)
named=$(grep -E "^$SECURITY_LIBS" <<<"$libs" | paste -sd , -) || true
echo "storm: kind=$KIND ports=$PORTS rounds=$ROUNDS changes=$changes messages=$msgs" \
	"cpu_ns=$cpu ns_per_change=$(per "$cpu" "$changes") ns_per_message=$(per "$cpu" "$msgs")" \
	"wakeups=$woke wakeups_per_message=$(per "$woke" "$msgs")" \
	"window_us=$(echo "$storm" | kv window_us)" \
	"idle_s=$idle_s idle_wakeups_per_s=$(per $((w1 - w0)) "$idle_s")" \
	"idle_ns_per_s=$(per $((c1 - c0)) "$idle_s")" \
	"rss_kib=$(status VmRSS) hwm_kib=$(status VmHWM) anon_kib=$(rollup Anonymous)" \
	"libs=$(wc -l <<<"$libs") security_libs=${named:-none} libs_list=$(paste -sd , - <<<"$libs")" \
	"writes=$(echo "$storm" | kv writes) ip_us=$(echo "$storm" | kv ip_us)" \
	"converged_after_ip_us=$(echo "$storm" | kv converged_after_ip_us)" \
	"converged_after_start_us=$(echo "$storm" | kv converged_after_start_us)" \
	"last_kernel_after_ip_us=$(echo "$storm" | kv last_kernel_after_ip_us)" \
	"converged_after_kernel_us=$(echo "$storm" | kv converged_after_kernel_us)" \
	"last_write_after_ip_us=$(echo "$storm" | kv last_write_after_ip_us)" \
	"listener_overruns=$(echo "$storm" | kv overruns) kernel_pokes=$(echo "$storm" | kv kernel_pokes)" \
	"idle_changes=$CHANGES idle_writes=$(echo "$idle" | kv writes)" \
	"idle_unseen=$(echo "$idle" | kv unseen) rt=$(echo "$storm" | sed -n 's/.*rt=\([01]\).*/\1/p')" \
	"$(echo "$idle" | grep -o '\(latency\|ip_cmd\|after_ip\|kernel\|daemon\)_[a-z0-9]*_us=[-0-9]*' | tr '\n' ' ')"
