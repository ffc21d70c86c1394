# Runs a fixture (docs/fixtures.md) against the real daemon, a real redis-server and veth netdevs
# in the test's namespace, where its events can be made real. Sourced by test_fixtures.sh.
#
# The kernel chooses ifindexes: a fixture's ifindex only tells whether a NEW names the netdev
# already there or a new one (then deleted and created again). Flags become `ip link` changes:
# U is the netdev's admin state, R its carrier (the veth peer up). A master is a bridge named
# br<master>. Dumps, KERNEL_NOW and AF_BRIDGE messages come from the kernel by themselves.
# Expectations are waited for (R_TIMEOUT); command counts and orders are read from MONITOR. An
# expectation that something is absent (EXPECT_ABSENT, EXPECT_NO_DOWN, an EXPECT_COUNT's "no
# more") holds only after a barrier (lib.sh): the daemon has handled every event before it.
#
# fixture_realizable FILE: prints why not and fails when a step cannot be made real.
# fixture_run_real FILE MODE (field|compat): fails with file:line, expected and actual.

fixture_realizable() {
	local why
	why=$(awk '
		/^[ \t]*(#|$)/ { next }
		/^sim:/ { next }
		{ sub(/^(field|compat):[ \t]*/, "") }
		$1 == "OVERRUN" { print "OVERRUN: the kernel cannot be made to drop given messages"; exit }
		$1 == "REDIS_DOWN" { print "REDIS_DOWN: covered by the resilience tests"; exit }
		$1 == "PCAP" { print "PCAP: a capture is replayed with --replay (test_capture.sh)"; exit }
		/kind=team/ { print "kind=team: this kernel has no team driver"; exit }
		($1 == "NEW" || $1 == "KERNEL0") && $4 ~ /L/ && $4 !~ /R/ {
			print "IFF_LOWER_UP without IFF_RUNNING (dormant) cannot be made with a veth"; exit }
		($1 == "NEW" || $1 == "DEL" || $1 == "KERNEL0") && length($2) > 13 {
			print "the name " $2 " leaves no room for a veth peer name"; exit }
	' "$1")
	[ -z "$why" ] || { echo "$why"; return 1; }
}

# --- netdevs ------------------------------------------------------------------------------

declare -A FX_IFINDEX FX_PEER
FX_NEXT_PEER=0

fx_peer_of() { # sets FX_PEER[$1] (no subshell: the map must keep it)
	if [ -z "${FX_PEER[$1]:-}" ]; then
		FX_PEER[$1]="fxp$FX_NEXT_PEER"
		FX_NEXT_PEER=$((FX_NEXT_PEER + 1))
	fi
}

# fx_link NAME IFINDEX FLAGS [MTU] [master=N ...]: make the netdev look like the message says.
fx_link() {
	local name=$1 ifindex=$2 flags=$3 mtu=9100 master="" opt peer
	shift 3
	for opt in "$@"; do
		case $opt in
		master=*) master=${opt#master=} ;;
		fam=AF_BRIDGE) return 0 ;; # the bridge says it by itself
		kind=* | "") ;;
		*) mtu=$opt ;;
		esac
	done
	[ "$name" = lo ] && return 0
	local other
	for other in "${!FX_IFINDEX[@]}"; do # a known ifindex under a new name: a rename
		[ "$other" != "$name" ] && [ "${FX_IFINDEX[$other]}" = "$ifindex" ] || continue
		nsip link set "$other" down
		nsip link set "$other" name "$name" || fail "cannot rename $other to $name"
		FX_IFINDEX[$name]=$ifindex
		FX_PEER[$name]=${FX_PEER[$other]}
		unset "FX_IFINDEX[$other]" "FX_PEER[$other]"
	done
	fx_peer_of "$name"
	peer=${FX_PEER[$name]}
	if [ -n "${FX_IFINDEX[$name]:-}" ] && [ "${FX_IFINDEX[$name]}" != "$ifindex" ]; then
		nsip link del "$name" 2>/dev/null # the same name with a new ifindex: created again
		unset "FX_IFINDEX[$name]"
	fi
	if [ -z "${FX_IFINDEX[$name]:-}" ]; then
		nsip link add "$name" type veth peer name "$peer" || fail "cannot create $name"
		FX_IFINDEX[$name]=$ifindex
	fi
	nsip link set "$name" mtu "$mtu" || fail "cannot set the MTU of $name to $mtu"
	if [ -n "$master" ] && [ "$master" != 0 ]; then
		nsip link show "br$master" >/dev/null 2>&1 || nsip link add "br$master" type bridge
		nsip link set "br$master" up
		nsip link set "$name" master "br$master"
	elif [ "$master" = 0 ]; then
		nsip link set "$name" nomaster
	fi
	case $flags in *R*) nsip link set "$peer" up ;; *) nsip link set "$peer" down ;; esac
	case $flags in *U*) nsip link set "$name" up ;; *) nsip link set "$name" down ;; esac
}

fx_del() {
	case " $* " in *" fam=AF_BRIDGE "*) return 0 ;; esac # the bridge says it by itself
	nsip link del "$1" 2>/dev/null
	unset "FX_IFINDEX[$1]"
}

# --- databases ----------------------------------------------------------------------------

# fx_db NAME WHERE: sets FX_DB to the number of database NAME. Not in a subshell, where `fail`
# would only leave the subshell and the step would go on with no database.
fx_db() {
	case $1 in
	CONFIG_DB) FX_DB=4 ;;
	APPL_DB) FX_DB=0 ;;
	STATE_DB) FX_DB=6 ;;
	*) fx_fail "$2: unknown database $1" ;;
	esac
}

# "{a: b, c: "d e"}" -> lines "a" "b" "c" "d e"
fx_fields() {
	echo "$1" | sed 's/^[^{]*{//; s/}[ \t]*$//' | awk -v RS=',' '{
		i = index($0, ":"); if (i == 0) next
		k = substr($0, 1, i - 1); v = substr($0, i + 1)
		gsub(/^[ \t\n]+|[ \t\n]+$/, "", k); gsub(/^[ \t\n]+|[ \t\n]+$/, "", v)
		gsub(/^"|"$/, "", k); gsub(/^"|"$/, "", v)
		print k; print v }'
}

fx_hset() { # fx_hset DB KEY FIELDS
	local -a kv
	mapfile -t kv < <(fx_fields "$3")
	[ ${#kv[@]} -eq 0 ] || rcli "$1" HSET "$2" "${kv[@]}" >/dev/null
}

fx_hash_matches() { # DB KEY FIELDS: every field has its value
	local -a kv
	local i
	mapfile -t kv < <(fx_fields "$3")
	for ((i = 0; i < ${#kv[@]}; i += 2)); do
		[ "$(rcli "$1" HGET "$2" "${kv[i]}")" = "${kv[i + 1]}" ] || return 1
	done
}

fx_hash_diff() { # DB KEY FIELDS: expected versus actual, field by field
	local -a kv
	local i got
	mapfile -t kv < <(fx_fields "$3")
	for ((i = 0; i < ${#kv[@]}; i += 2)); do
		got=$(rcli "$1" HGET "$2" "${kv[i]}")
		[ "$got" = "${kv[i + 1]}" ] ||
			echo "field ${kv[i]}: expected \"${kv[i + 1]}\", got \"$got\""
	done
}

# MONITOR's lines as the simulator traces commands: "6 HSET PORT_TABLE|Ethernet0 state ok ...".
fx_trace() { # the clients' commands only: not those a Lua script makes, nor the barriers'
	grep -v -e ' lua\]' -e "$BARRIER_NETDEV" "$T/monitor.log" | sed -n 's/^[0-9.]* \[\([0-9]*\) [^]]*\] \(.*\)$/\1 \2/p' |
		sed 's/" "/ /g; s/"//g'
}

# --- the run ------------------------------------------------------------------------------

fixture_run_real() {
	local file=$1 mode=$2 line=0 raw step rest db key fields flags compat_flag=""
	[ "$mode" = compat ] && compat_flag=--compat
	start_monitor
	while IFS= read -r raw || [ -n "$raw" ]; do
		line=$((line + 1))
		case $raw in '' | '#'* | [[:space:]]'#'* | sim:*) continue ;; esac
		case $raw in
		field:*) [ "$mode" = field ] || continue; raw=${raw#field:} ;;
		compat:*) [ "$mode" = compat ] || continue; raw=${raw#compat:} ;;
		esac
		raw=$(echo "$raw" | sed 's/^[ \t]*//')
		step=${raw%% *}
		rest=${raw#"$step"}
		rest=${rest# }
		local where="$file:$line"
		case $step in
		CONFIG_DB | APPL_DB | STATE_DB | EXT_WRITE)
			[ "$step" = EXT_WRITE ] && { db=${rest%% *}; rest=${rest#* }; } || db=$step
			key=${rest%% *}
			fx_db "$db" "$where"
			fx_hset "$FX_DB" "$key" "${rest#"$key"}"
			;;
		EXT_DEL)
			fx_db "${rest%% *}" "$where"
			rcli "$FX_DB" DEL "${rest#* }" >/dev/null
			;;
		KERNEL0) fx_link $rest ;;
		START) start_daemon $compat_flag ;;
		DUMP | KERNEL_NOW) ;; # the kernel answers the daemon's dumps itself
		NEW) fx_link $rest ;;
		DEL) fx_del $rest ;;
		CONSUME) consume ;;
		WAIT) sleep "$(awk -v ms="$rest" 'BEGIN {print ms / 1000}')" ;;
		RESTART)
			stop_daemon
			[ "$rest" = warm ] && rcli 6 HSET "WARM_RESTART_ENABLE_TABLE|swss" enable true >/dev/null
			start_daemon $compat_flag
			;;
		EXPECT)
			db=${rest%% *}; rest=${rest#* }; key=${rest%% *}; fields=${rest#"$key"}
			fx_db "$db" "$where"
			fx_expect() { # orchagent keeps consuming while we wait for APPL_DB
				{ [ "$db" != APPL_DB ] || [[ $key == _* ]] || consume; } &&
					fx_hash_matches "$FX_DB" "$key" "$fields"
			}
			if ! wait_for_quietly fx_expect; then
				fx_fail "$where: $db $key: $(fx_hash_diff "$FX_DB" "$key" "$fields" | paste -sd ';')"
			fi
			;;
		EXPECT_ABSENT)
			db=${rest%% *}; key=${rest#* }
			fx_db "$db" "$where"
			fx_absent() { key_absent "$FX_DB" "$key"; }
			wait_for_quietly fx_absent && barrier && fx_absent ||
				fx_fail "$where: expected $db $key to be absent; it exists"
			;;
		EXPECT_DOWN)
			fx_down() { grep -qF "Bring down old interface $rest(" "$T/daemon.log"; }
			wait_for_quietly fx_down || fx_fail "$where: expected $rest brought down; it was not"
			;;
		EXPECT_NO_DOWN)
			barrier
			grep -q "Bring down old interface" "$T/daemon.log" &&
				fx_fail "$where: expected no interface brought down: $(grep "Bring down" "$T/daemon.log" | head -n 1)"
			;;
		EXPECT_COUNT)
			local text count got
			text=$(echo "$rest" | sed 's/^"\(.*\)" [0-9]*$/\1/')
			count=${rest##* }
			fx_count() { [ "$(fx_trace | grep -cF -- "$text")" = "$count" ]; }
			wait_for_quietly fx_count && barrier && fx_count || # and no more after it
				fx_fail "$where: expected $count commands with \"$text\", got $(fx_trace | grep -cF -- "$text")"
			;;
		EXPECT_ORDER)
			local a b ia ib
			a=$(echo "$rest" | sed 's/^"\([^"]*\)" "\([^"]*\)"$/\1/')
			b=$(echo "$rest" | sed 's/^"\([^"]*\)" "\([^"]*\)"$/\2/')
			fx_order() {
				ia=$(fx_trace | grep -nF -- "$a" | head -n 1 | cut -d: -f1)
				ib=$(fx_trace | grep -nF -- "$b" | head -n 1 | cut -d: -f1)
				[ -n "$ia" ] && [ -n "$ib" ] && [ "$ia" -lt "$ib" ]
			}
			wait_for_quietly fx_order ||
				fx_fail "$where: expected a command with \"$a\" (line ${ia:-none}) before one with \"$b\" (line ${ib:-none})"
			;;
		EXPECT_LOG)
			local text=${rest#\"}
			text=${text%\"}
			fx_log() { grep -qF -- "$text" "$T/daemon.log"; }
			wait_for_quietly fx_log || fx_fail "$where: expected a log line with \"$text\"; none"
			;;
		*) fx_fail "$where: unknown step $step" ;;
		esac
	done < "$file"
	stop_daemon
}

fx_fail() { # the daemon's last words, then the failure
	tail -n 15 "$T/daemon.log" >&2
	fail "$@"
}

# wait_for_quietly CMD: like wait_until, without failing (the caller reports the difference).
wait_for_quietly() {
	local deadline=$(($(date +%s) + ${FX_TIMEOUT:-5}))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt $deadline ] || return 1
		sleep 0.05
	done
}
