#!/bin/sh
# The figures of one `make bench` (bench/run.sh keeps what it printed in build/bench/output.txt)
# as the docs' generated blocks, each naming the commit, the date and the machine's load: every
# figure line for docs/testing.md, the alert lines as docs/alerts.md's cost table. With --write
# it replaces the blocks between the bench-figures markers of both files; otherwise it prints
# them. An output without its first and last lines (a run that failed or was cut short), or an
# alert figure missing, writes nothing. A run of some parts only (BENCH_PARTS, named on its first
# line) writes testing.md's block, and alerts.md's table only when the alerts part ran. The figures of the last `make soak` (bench/soak.sh keeps
# them in build/soak/output.txt) become testing.md's soak block, when that run reached its
# verdict; without one the block is left as it is.
# Usage: bench-figures.sh [--write] [OUTPUT [SOAK_OUTPUT]]
cd "$(dirname "$0")/.." || exit 1
write=false
[ "${1:-}" != --write ] || { write=true; shift; }
OUT=${1:-build/bench/output.txt}
SOAK=${2:-build/soak/output.txt}
fail() { echo "bench-figures: $*" >&2; exit 1; }
[ -f "$OUT" ] || fail "no $OUT (run make bench)"
head -n 1 "$OUT" | grep -q '^bench: commit ' || fail "$OUT does not start with the commit line"
tail -n 1 "$OUT" | grep -q '^bench: done' || fail "$OUT does not end with 'bench: done': the run did not finish"
run=$(head -n 1 "$OUT" | sed 's/^bench: commit //; s/, parts: .*$//')
parts=$(head -n 1 "$OUT" | sed -n 's/.*, parts: \(.*\)$/\1/p')
alerts_ran() { case " ${parts:-all} " in *" all "* | *" alerts "*) return 0 ;; esac; return 1; }
end=$(tail -n 1 "$OUT" | sed -n 's/.*load average \(.*\) at the end/\1/p')
cpp=$(grep -m 1 '^bench: side by side: ' "$OUT" | sed -n 's/.* C++=\([^ ]*\) .*/\1/p')
marker() { echo "<!-- bench-figures $1: written by tools/bench-figures.sh from the output of make bench; do not edit -->"; }
# the run, in words: commit, date, cores, load
about() {
	only=
	[ "${parts:-all}" = all ] || only="BENCH_PARTS='$parts' "
	echo "The figures \`${cpp:+CPP_PORTSYNCD=$cpp }${only}make bench\` printed on commit $run and $end" \
		"at the end$( [ -n "$cpp" ] || echo ', without the C++ portsyncd'). With a load average" \
		"above the count of cores, other work shared the machine and every figure is worse for" \
		"it; ratios taken in the same run hold better." | fmt -w 100
}

testing_block() {
	marker testing
	about
	echo
	echo '```'
	grep '^bench: ' "$OUT" | sed '1d;$d'
	echo '```'
	echo '<!-- bench-figures end -->'
}

alerts_block() {
	cpu=$(grep -m 1 '^bench: CPU per port change .* no alert rules' "$OUT")
	sim=$(grep -m 1 '^bench: alerts at 100K ports' "$OUT")
	[ -n "$cpu" ] && [ -n "$sim" ] || fail "$OUT has no alert figures"
	field() { printf '%s\n' "$1" | sed -n "s/$2/\\1/p"; }
	storm=$(field "$cpu" '.*made), \([0-9]*-port flap storm x [0-9]*\) .*')
	none=$(field "$cpu" '.*no alert rules \([0-9]*\) ns;.*')
	many=$(field "$cpu" '.*per-port rules \([0-9]* ns: ratio [0-9.]* (goal <= 1.10: [a-zA-Z]*)\).*')
	core=$(field "$sim" '.*(evaluation included) \([0-9.]*\) ms against.*')
	core_none=$(field "$sim" '.* ms against \([0-9.]*\) ms$')
	rss=$(field "$sim" '.*RSS \([0-9]*\) KiB with.*')
	rss_none=$(field "$sim" '.*against \([0-9]*\) KiB without.*')
	delta=$(field "$sim" '.*without (\(+[0-9]*\) KiB).*')
	for v in "$storm" "$none" "$many" "$core" "$core_none" "$rss" "$rss_none" "$delta"; do
		[ -n "$v" ] || fail "an alert figure is missing from: $cpu / $sim"
	done
	marker alerts
	about
	echo
	echo '| figure | value |'
	echo '|---|---|'
	echo "| CPU per port change, $storm, no rules (the shipped ones disabled) | $none ns |"
	echo "| the same with 1,000 per-port rules (\`port_oper_changes\` above 16 … 1015 in 60 s; the lowest hold for every port, the alert pool fills) | $many |"
	echo "| a second of the core at 100K ports, a tenth of them flapping (simulator world), no rules / 1,000 per-port rules | $core_none ms / $core ms |"
	echo "| RSS of that process (core, in-memory Redis and world), no rules / 1,000 per-port rules | $rss_none KiB / $rss KiB ($delta KiB) |"
	echo '<!-- bench-figures end -->'
}

# the soak's lines, when the run reached its verdict (passed or a figure beyond its tolerance)
soak_block() {
	[ -f "$SOAK" ] && head -n 1 "$SOAK" | grep -q '^soak: commit ' &&
		grep -q '^soak: start (' "$SOAK" || return 1
	srun=$(head -n 1 "$SOAK" | sed 's/^soak: commit //')
	echo "<!-- bench-figures soak: written by tools/bench-figures.sh from the output of make soak; do not edit -->"
	echo "The figures \`make soak\` printed on commit $srun. With a load average above the count of" \
		"cores, other work shared the machine." | fmt -w 100
	echo
	echo '```'
	grep '^soak: ' "$SOAK" | sed "1d; s|$(pwd)/||g" # the daemon's path from the checkout
	echo '```'
	echo '<!-- bench-figures end -->'
}

# replace DOC NAME FILE: the block of NAME in DOC becomes FILE's lines
replace() {
	grep -q "^<!-- bench-figures $2: " "$1" || fail "$1 has no bench-figures $2 marker"
	awk -v name="$2" -v f="$3" '
		index($0, "<!-- bench-figures " name ": ") == 1 { while ((getline l < f) > 0) print l; skip = 1; next }
		skip && /^<!-- bench-figures end -->/ { skip = 0; next }
		!skip' "$1" > "$1.new" && mv "$1.new" "$1"
}

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
testing_block > "$T/testing" || exit 1
! alerts_ran || alerts_block > "$T/alerts" || exit 1
soak=true
soak_block > "$T/soak" || soak=false
if ! $write; then
	cat "$T/testing"
	! alerts_ran || cat "$T/alerts"
	! $soak || cat "$T/soak"
	exit 0
fi
replace docs/testing.md testing "$T/testing" || exit 1
echo "bench-figures: docs/testing.md written from $OUT (commit $run)"
if alerts_ran; then
	replace docs/alerts.md alerts "$T/alerts" || exit 1
	echo "bench-figures: docs/alerts.md written from $OUT"
else
	echo "bench-figures: the run's parts ($parts) leave out the alerts: docs/alerts.md left as it is"
fi
if $soak; then
	replace docs/testing.md soak "$T/soak" || exit 1
	echo "bench-figures: docs/testing.md's soak figures written from $SOAK"
else
	echo "bench-figures: no finished soak in $SOAK: its figures left as they are"
fi
