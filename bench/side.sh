#!/bin/bash
# The daemon side by side (make bench, needs root): ours (build/portsyncd), the C++ portsyncd of
# sonic-swss when CPP_PORTSYNCD names it (built outside this project: docs/testing.md), and the
# floor (build/floor: the least a daemon does per link message), each run by bench/storm.sh on
# the same storm, in turn (ours, C++, floor, ours, C++, floor, ...) RUNS times at SMALL ports,
# then at LARGE ports; idle latency at SMALL ports only; idle over IDLE_S seconds. Every figure is
# the median of its runs; ratios are of medians of the same runs. Goals are printed met or MISSED
# (those that need the C++ daemon are not judged without it); a figure a run did not produce
# fails the bench, naming it.
# Usage: side.sh [RUNS [SMALL LARGE [IDLE_S]]]   (3 runs, 512 and 2048 ports, 20 s)
set -euo pipefail
trap 'echo "bench: FAILED: $0 line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SMALL=${2:-512}
LARGE=${3:-2048}
IDLE_S=${4:-20}
ROUNDS=3
KINDS="ours floor"
[ -z "${CPP_PORTSYNCD:-}" ] || KINDS="ours cpp floor"
binary() { case $1 in ours) echo build/portsyncd ;; cpp) echo "$CPP_PORTSYNCD" ;; floor) echo build/floor ;; esac; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
vals() { # vals KIND KEY: that figure of every run of KIND at $P ports, one a line
	awk -v kind="kind=$1" -v key="$2=" '$2 == kind { for (i = 3; i <= NF; i++)
		if (index($i, key) == 1) print substr($i, length(key) + 1) }' <<<"${out[$P]}"
}
med() { # med KIND KEY: the median, or the bench fails naming the figure
	local v
	v=$(vals "$1" "$2" | median)
	[[ $v =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || { echo "bench: FAILED: $2 of $1 at $P ports: no figure ('$v')" >&2; exit 1; }
	echo "$v"
}
calc() { awk "BEGIN {printf \"$1\", $2}"; }
goal() { awk -v v="$1" -v g="$2" 'BEGIN {print (v <= g ? "met" : "MISSED")}'; }
has_cpp() { [ -n "${CPP_PORTSYNCD:-}" ]; }
name() { case $1 in ours) echo ours ;; cpp) echo C++ ;; floor) echo floor ;; esac; }
each() { # each KEY FORMAT: "ours X, C++ Y, floor Z" with each kind's median in FORMAT
	local k s=''
	for k in $KINDS; do s="$s${s:+, }$(name "$k") $(calc "$2" "$(med "$k" "$1")")"; done
	echo "$s"
}
ratio() { # ratio A B: A / B; n/a where either is 0 or less (the floor's idle figures, a storm
	# converged before ip -batch returned)
	awk -v a="$1" -v b="$2" 'BEGIN {if (a <= 0 || b <= 0) print "n/a"; else printf "%.2f\n", a / b}'
}
ratios() { # ratios KEY: ours/C++, ours/floor and C++/floor of the medians of KEY
	local o f
	o=$(med ours "$1") f=$(med floor "$1")
	if has_cpp; then
		local c
		c=$(med cpp "$1")
		echo "ours/C++ $(ratio "$o" "$c"), ours/floor $(ratio "$o" "$f"), C++/floor $(ratio "$c" "$f")"
	else
		echo "ours/floor $(ratio "$o" "$f")"
	fi
}
declare -A out

run_all() { # run_all PORTS CHANGES: RUNS runs of every kind in turn, into out[PORTS]
	local k
	for _ in $(seq 1 "$RUNS"); do
		for k in $KINDS; do
			bench/storm.sh "$k" "$(binary "$k")" build/nl-record build/ks-latency "$1" "$ROUNDS" \
				"$2" "$IDLE_S" || exit 1
		done
	done
}

require() { # require KEY...: every kind's median of each KEY, or the bench fails naming it
	local k key
	for k in $KINDS; do for key in "$@"; do med "$k" "$key" >/dev/null; done; done
}
cpp_goal() { # cpp_goal KEY FACTOR: ours <= FACTOR x C++ for the medians of KEY
	if has_cpp; then
		goal "$(med ours "$1")" "$(calc %f "$(med cpp "$1") * $2")"
	else
		echo "not judged (CPP_PORTSYNCD unset)"
	fi
}

report_cpu() { # CPU and wake-ups over the storm's active window; convergence
	require changes ns_per_change messages wakeups_per_message ns_per_message \
		converged_after_ip_us converged_after_kernel_us writes kernel_pokes
	echo "bench: $P ports, CPU per port change (schedstat ns over the active window, from just" \
		"before the storm to the daemon's last STATE_DB write, / the oper changes the kernel made," \
		"$(each changes %d) a run): $(each ns_per_change "%.0f ns"); $(ratios ns_per_change);" \
		"goal ours <= C++/3: $(cpp_goal ns_per_change 1/3)"
	echo "bench: $P ports, wake-ups per link message (voluntary context switches over the same" \
		"window / the link messages a listener in the namespace saw, $(each messages %d) a run):" \
		"$(each wakeups_per_message %.3f); $(ratios wakeups_per_message); CPU per link message:" \
		"$(each ns_per_message "%.0f ns"); goal ours <= 1.0 wake-up per link message:" \
		"$(goal "$(med ours wakeups_per_message)" 1.0)"
	echo "bench: $P ports, storm of $ROUNDS rounds then every even peer up, one ip -batch:" \
		"converged after ip -batch returned: $(each converged_after_ip_us "%.0f us")" \
		"($(ratios converged_after_ip_us));" \
		"after the kernel's last port message: $(each converged_after_kernel_us "%.0f us");" \
		"STATE_DB port writes: $(each writes %d); ports whose stalled link work the bench had" \
		"the kernel run (tools/ks-latency): $(each kernel_pokes %d);" \
		"goal ours <= 30000 us after ip -batch: $(goal "$(med ours converged_after_ip_us)" 30000)"
}

report_idle() { # wake-ups and CPU a second with nothing happening
	require idle_wakeups_per_s idle_ns_per_s
	echo "bench: $P ports, idle ($IDLE_S s once start-up has settled): wake-ups a second:" \
		"$(each idle_wakeups_per_s %.2f) ($(ratios idle_wakeups_per_s)); CPU a second:" \
		"$(each idle_ns_per_s "%.0f ns") ($(ratios idle_ns_per_s));" \
		"goal ours <= 0.5 wake-ups and <= 50000 ns a second:" \
		"$(goal "$(med ours idle_wakeups_per_s)" 0.5), $(goal "$(med ours idle_ns_per_s)" 50000)"
}

report_memory() { # memory after the storm, and the shared objects mapped
	require rss_kib anon_kib hwm_kib libs
	local goals='' k s=''
	[ "$P" != "$SMALL" ] || goals="; goal ours RSS <= C++ RSS: $(cpp_goal rss_kib 1)"
	[ "$P" != "$SMALL" ] || goals="$goals; goal ours anonymous <= 1024 KiB: $(goal "$(med ours anon_kib)" 1024)"
	echo "bench: $P ports, memory after the storm: RSS $(each rss_kib "%d KiB")" \
		"($(ratios rss_kib)); anonymous (smaps_rollup Anonymous) $(each anon_kib "%d KiB")" \
		"($(ratios anon_kib)); peak $(each hwm_kib "%d KiB")$goals"
	for k in $KINDS; do
		s="$s${s:+; }$(name "$k") $(med "$k" libs) ($(vals "$k" security_libs | sort -u | paste -sd ' ' -))"
	done
	echo "bench: $P ports, shared objects mapped (TLS, crypto and D-Bus ones named): $s;" \
		"goal none in ours: $( [ "$(vals ours security_libs | sort -u)" = none ] && echo met || echo MISSED)"
}

report_latency() { # idle link change -> STATE_DB write, against the ip command alone
	require idle_changes latency_p50_us latency_p99_us latency_max_us ip_cmd_p99_us \
		daemon_p50_us daemon_p99_us
	local k s='' d='' o=''
	for k in $KINDS; do
		s="$s${s:+; }$(name "$k") p50 $(med "$k" latency_p50_us) us, p99 $(med "$k" latency_p99_us) us,"
		s="$s max $(med "$k" latency_max_us) us (the ip command alone: p99 $(med "$k" ip_cmd_p99_us) us)"
		d="$d${d:+; }$(name "$k") p50 $(med "$k" daemon_p50_us) us, p99 $(med "$k" daemon_p99_us) us"
		d="$d ($(vals "$k" idle_unseen | paste -sd / -) changes unseen)"
	done
	for k in $KINDS; do # each p99 over the ip command's of the same runs
		o="$o${o:+, }$(name "$k") $(ratio "$(med "$k" latency_p99_us)" "$(med "$k" ip_cmd_p99_us)")"
	done
	echo "bench: $P ports, idle link change -> STATE_DB write, $(med ours idle_changes) changes a" \
		"run: $s; p50 $(ratios latency_p50_us); p99 $(ratios latency_p99_us); p99 over the ip" \
		"command's p99: $o; goal ours p99 <= ip p99 + 1000 us: $(goal "$(med ours latency_p99_us)" \
		"$(calc %d "$(med ours ip_cmd_p99_us) + 1000")")"
	echo "bench: $P ports, the same changes' daemon part (the link message in the namespace ->" \
		"the STATE_DB notification; a change whose message the listener missed is left out): $d;" \
		"p50 $(ratios daemon_p50_us); p99 $(ratios daemon_p99_us)"
}

report_scaling() { # LARGE ports against SMALL
	local a b ia ib
	P=$SMALL require ns_per_change idle_ns_per_s
	P=$LARGE require ns_per_change idle_ns_per_s
	a=$(P=$SMALL med ours ns_per_change) b=$(P=$LARGE med ours ns_per_change)
	ia=$(P=$SMALL med ours idle_ns_per_s) ib=$(P=$LARGE med ours idle_ns_per_s)
	echo "bench: $LARGE ports against $SMALL: ours CPU per port change $(calc %.0f "$b") ns against" \
		"$(calc %.0f "$a") ns: ratio $(calc %.3f "$b / $a"); goal within 10%: $(awk -v a="$a" -v b="$b" \
		'BEGIN {print (b >= 0.9 * a && b <= 1.1 * a ? "met" : "MISSED")}'); ours idle CPU" \
		"$(calc %.0f "$ib") ns against $(calc %.0f "$ia") ns a second; goal independent of the" \
		"port count (within 10% or" \
		"5000 ns a second): $(awk -v a="$ia" -v b="$ib" 'BEGIN {d = b - a; if (d < 0) d = -d
		l = a / 10; if (l < 5000) l = 5000; print (d <= l ? "met" : "MISSED")}')"
	# the kernel's own cost per change grows with the namespace's netdevs: the floor shows it
	local fa fb
	fa=$(P=$SMALL med floor ns_per_change) fb=$(P=$LARGE med floor ns_per_change)
	echo "bench: $LARGE ports against $SMALL, against the floor: floor CPU per port change" \
		"$(calc %.0f "$fb") ns against $(calc %.0f "$fa") ns: ratio $(calc %.3f "$fb / $fa");" \
		"ours/floor $(calc %.2f "$b / $fb") against $(calc %.2f "$a / $fa"): ratio" \
		"$(calc %.3f "($b / $fb) / ($a / $fa)")"
}

echo "bench: side by side: $(for k in $KINDS; do printf '%s=%s ' "$(name "$k")" "$(binary "$k")"; done)$RUNS" \
	"runs each, in turn; every figure below is the median of its runs"
for P in "$SMALL" "$LARGE"; do
	changes=200
	[ "$P" = "$SMALL" ] || changes=0 # latency at SMALL ports only
	out[$P]=$(run_all "$P" "$changes")
	echo "${out[$P]}"
	report_cpu
	report_idle
	report_memory
	[ "$changes" = 0 ] || report_latency
done
report_scaling
