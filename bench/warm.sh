#!/bin/bash
# Warm restart of the real daemon over PORTS real veths (make bench): the daemon is stopped, 1% of
# the netdevs are deleted (and leave CONFIG_DB), 2% get a new carrier and 0.5% a new MTU, and the
# daemon starts again, warm. Figures: the time from the daemon's launch to STATE_DB's
# WARM_RESTART_TABLE|portsyncd state = reconciled (polled every 2 ms; and the daemon's own count
# from its start event, in its log), and the STATE_DB port writes MONITOR saw for the ports that
# did not change, per such port. STATE_DB must equal the kernel at the end.
# Usage: warm.sh DAEMON [PORTS]
set -eu -o pipefail
DAEMON=$(realpath "$1")
PORTS=${2:-1000}
. "$(dirname "$0")/lib.sh"

setup_ports "$DAEMON" "$PORTS"
R 6 HSET "WARM_RESTART_ENABLE_TABLE|swss" enable true >/dev/null
kill -TERM "$PID" && wait "$PID" || { echo "warm: the daemon did not stop cleanly" >&2; exit 1; }
PID=
: > "$D/changed"
for i in $(seq 0 $((PORTS - 1))); do
	case $((i % 200)) in
	0 | 100) echo "link del Ethernet$i"; echo "$i" >> "$D/changed"
		R 4 DEL "PORT|Ethernet$i" >/dev/null ;;
	1 | 2 | 101 | 102) echo "link set p$i up"; echo "$i" >> "$D/changed" ;;
	3) echo "link set Ethernet$i mtu 9000"; echo "$i" >> "$D/changed" ;;
	esac
done > "$D/down.batch"
ip -n "$NS" -batch "$D/down.batch"
# carrier changes reach operstate through linkwatch: the daemon starts on a settled kernel
carriers=$(grep -c 'set p' "$D/down.batch")
settled() { [ "$(ip -n "$NS" -o link show | grep -c '^[0-9]*: Ethernet[0-9]*@.* state UP ')" = "$carriers" ]; }
wait_for 30 settled
redis-cli -s "$SOCK" MONITOR > "$D/monitor.log" &
MON=$!
sleep 0.2
reconciled() { [ "$(R 6 HGET "WARM_RESTART_TABLE|portsyncd" state)" = reconciled ]; }
t0=$(date +%s%N)
ip netns exec "$NS" "$DAEMON" --db-config "$D/db.json" --log-output stderr 2>"$D/daemon.log" &
PID=$!
until reconciled; do
	[ $(($(date +%s%N) - t0)) -lt 30000000000 ] || { echo "warm: not reconciled in 30 s" >&2; exit 1; }
	sleep 0.002
done
t1=$(date +%s%N)
sleep 0.3 # MONITOR catches up; a write after reconciled would show too
kill "$MON"
# STATE_DB equals the kernel: every port left, with its state
kernel=$(ip netns exec "$NS" sh -c 'for d in /sys/class/net/Ethernet*; do
	o=$(cat "$d/operstate"); f=$(cat "$d/flags"); m=$(cat "$d/mtu")
	case $o in up|unknown) r=up ;; *) r=down ;; esac
	echo "${d##*/} $r $(( f & 1 )) $m"; done' | awk '{ print $1, $2, ($3 ? "up" : "down"), $4 }' | sort)
state=$(R 6 EVAL "local out = {} for _, k in ipairs(redis.call('KEYS', 'PORT_TABLE|Ethernet*')) do local v = redis.call('HMGET', k, 'netdev_oper_status', 'admin_status', 'mtu') table.insert(out, string.sub(k, 12) .. ' ' .. tostring(v[1]) .. ' ' .. tostring(v[2]) .. ' ' .. tostring(v[3])) end return out" 0 | sort)
[ "$kernel" = "$state" ] || { echo "warm: STATE_DB differs from the kernel" >&2; diff <(echo "$kernel") <(echo "$state") | head >&2; exit 1; }
changed=$(wc -l < "$D/changed")
unchanged=$((PORTS - changed))
writes=$(grep -E '"(HSET|HDEL|DEL)" "PORT_TABLE\|Ethernet[0-9]+"' "$D/monitor.log" |
	sed 's/.*"PORT_TABLE|Ethernet\([0-9]*\)".*/\1/' | grep -vxF -f "$D/changed" | wc -l) || true
own=$(sed -n 's/.*warm restart: reconciled \([0-9]*\) ms after start.*/\1/p' "$D/daemon.log")
echo "warm: ports=$PORTS changed=$changed reconciled_ms=$(( (t1 - t0) / 1000000 ))" \
	"daemon_ms=${own:-none} unchanged=$unchanged unchanged_writes=$writes" \
	"writes_per_unchanged=$(awk -v w="$writes" -v u="$unchanged" 'BEGIN {printf "%.4f", w / u}')"
