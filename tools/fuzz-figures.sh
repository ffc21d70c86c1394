#!/bin/sh
# The figures of the last fuzz campaign (tools/fuzz-campaign.sh), from its logs in
# build/fuzz/logs: a Markdown section for docs/fuzzing.md. With --write it replaces the section
# between the fuzz-figures markers in docs/fuzzing.md; otherwise it prints it.
# Usage: fuzz-figures.sh [--write]
cd "$(dirname "$0")/.." || exit 1
L=build/fuzz/logs
if [ ! -f $L/campaign ]; then
	echo "fuzz-figures: no campaign in $L (run tools/fuzz-campaign.sh SECONDS)" >&2
	exit 1
fi
. $L/campaign
num() { # thousands separators: 1234567 -> 1,234,567
	printf '%s' "${1:-?}" | sed ':a; s/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
afl=false
case $engines in *afl*) afl=true ;; esac

section() {
	echo "<!-- fuzz-figures: written by tools/fuzz-figures.sh from the logs of tools/fuzz-campaign.sh; do not edit -->"
	echo "## Campaign of $date"
	echo
	if $afl; then
		echo "\`tools/fuzz-campaign.sh $seconds --write\`: every target $seconds s under libFuzzer and $seconds s"
		echo "under AFL++, both with ASan+UBSan, the two engines side by side on this 2-core machine."
	else
		echo "\`tools/fuzz-campaign.sh $seconds --write\`: every target $seconds s under libFuzzer with ASan+UBSan,"
		echo "one at a time (AFL++ was not installed: its columns are empty)."
	fi
	echo "Coverage counts our instrumented code only (jansson and libinih are shared libraries, not"
	echo "instrumented). Crashes: files the engine saved as crashing inputs."
	if [ -n "${load_start:-}" ]; then
		echo "The machine's load average (1 min) was $load_start at the start and $load_end at the end;"
		echo "above 2, other work shared its cores and every rate here is lower for it."
	fi
	echo
	echo "| target | libFuzzer runs | exec/s | cov / ft | crashes | AFL++ runs | exec/s | edges | crashes |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for t in $targets; do
		l=$L/libfuzzer-$t.log
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' $l)
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' $l)
		cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' $l | tail -n 1 | awk '{print $2, $4}')
		crashes=$(ls build/fuzz/crash-$t-* 2>/dev/null | wc -l)
		if [ -z "$runs" ] || [ -z "$rate" ] || [ -z "$cov" ]; then
			echo "fuzz-figures: $l holds no final stats: $(tail -n 1 $l)" >&2
			missing=true
		fi
		row="| $t | $(num "$runs") | $(num "$rate") | $(num "${cov% *}") / $(num "${cov#* }") | $crashes"
		s=build/fuzz/afl-out-$t/default/fuzzer_stats
		if $afl && [ ! -f "$s" ]; then
			echo "fuzz-figures: $s is missing: the AFL++ run of $t failed" >&2
			missing=true
		fi
		if $afl && [ -f "$s" ]; then
			row="$row | $(num "$(sed -n 's/^execs_done *: //p' $s)")"
			row="$row | $(num "$(sed -n 's/^execs_per_sec *: \([0-9]*\).*/\1/p' $s)")"
			row="$row | $(num "$(sed -n 's/^edges_found *: //p' $s)") of $(num "$(sed -n 's/^total_edges *: //p' $s)")"
			row="$row | $(sed -n 's/^saved_crashes *: //p' $s) |"
		else
			row="$row | | | | |"
		fi
		echo "$row"
	done
	speed=$(cat $L/speed-netlink-*.log 2>/dev/null | sed -n 's/^stat::average_exec_per_sec: *//p' | median)
	if [ -z "$speed" ]; then
		echo "fuzz-figures: no throughput in $L/speed-netlink-*.log" >&2
		missing=true
	fi
	echo
	echo "Throughput of the datagram harness without sanitizers (\`build/fuzz/speed-netlink\`, the figure"
	echo "\`make bench\` prints), one core, median of three 10-second runs: $(num "$speed") executions per second."
	echo "<!-- fuzz-figures end -->"
}

missing=false
if [ "${1:-}" != --write ]; then
	section
	! $missing
	exit
fi
doc=docs/fuzzing.md
if ! grep -q '^<!-- fuzz-figures: ' $doc || ! grep -q '^<!-- fuzz-figures end -->' $doc; then
	echo "fuzz-figures: $doc has no fuzz-figures markers" >&2
	exit 1
fi
section > $L/section.md
if $missing; then
	echo "fuzz-figures: FAILED: a run left no figures; $doc not written" >&2
	exit 1
fi
awk -v f=$L/section.md '
	/^<!-- fuzz-figures: / { while ((getline line < f) > 0) print line; skip = 1; next }
	/^<!-- fuzz-figures end -->/ { skip = 0; next }
	!skip' $doc > $L/doc.md && mv $L/doc.md $doc
echo "fuzz-figures: $doc updated from the campaign of $date ($seconds s per target)"
