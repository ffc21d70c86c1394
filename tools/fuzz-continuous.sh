#!/bin/bash
# Continuous fuzzing, the way OSS-Fuzz and ClusterFuzzLite run it, for a lab machine (and one
# short round in CI). Each round takes every target in turn and:
#  1. fuzzes it under libFuzzer and AFL++ at once (the machine's two cores), SECONDS each, both
#     with ASan and UBSan, starting from the corpus;
#  2. merges what both found into the corpus (libFuzzer -merge=1: an input is added only if it
#     reaches a feature the corpus does not; the corpus's own files are kept);
#  3. turns every crash into a minimised reproducer (libFuzzer -minimize_crash=1) under the past
#     crashes, NAME beside NAME.cmd, the command that replays it; a crash already there is not
#     new; a crash the replay build does not reproduce is reported and kept aside;
#  4. runs the corpus through a coverage build and prints llvm-cov's line, region and function
#     coverage, against the round before (kept in WORK/coverage.tsv): a drop is printed as DROP.
# Exit status: 0; 1 if a build failed or a new crash was found (a systemd timer shows the unit
# failed). The last line: "fuzz-continuous: N passed, N failed", one per target and round.
#
# Usage: fuzz-continuous.sh [--rounds N] [--seconds S] [--targets "a b"] [--corpus DIR]
#                           [--repro DIR] [--work DIR]
#   --rounds 0 runs until stopped. --corpus and --repro default to fuzz/corpus and fuzz/repro;
#   other directories start as copies of those (CI fuzzes copies, the tree stays clean).
set -u
cd "$(dirname "$0")/.." || exit 1

rounds=1
seconds=300
targets=""
corpus=fuzz/corpus
repro=fuzz/repro
work=build/fuzz/continuous
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--targets) targets=$2; shift 2 ;;
	--corpus) corpus=$2; shift 2 ;;
	--repro) repro=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	*) echo "usage: fuzz-continuous.sh [--rounds N] [--seconds S] [--targets LIST] [--corpus DIR] [--repro DIR] [--work DIR]" >&2
	   exit 2 ;;
	esac
done
[ -n "$targets" ] || targets=$(make -s fuzz-targets)
mkdir -p "$work"
for d in corpus repro; do
	dir=${!d}
	src=fuzz/$d
	if [ "$dir" != "$src" ] && [ ! -d "$dir" ]; then
		mkdir -p "$dir" && cp -r "$src"/. "$dir"/
	fi
done
history=$work/coverage.tsv
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_SHUFFLE_QUEUE=1 AFL_QUIET=1
export ASAN_OPTIONS=abort_on_error=1:symbolize=0 UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1
passed=0
failed=0

dict_of() { # the libFuzzer dictionary flag of a target, if it has one
	case $1 in
	netlink | roundtrip) echo "-dict=fuzz/netlink.dict" ;;
	http) echo "-dict=fuzz/http.dict" ;;
	esac
}

build() {
	make -s -j2 build/fuzz/replay-"$1" build/fuzz/libfuzzer-"$1" build/fuzz/afl-"$1" \
		build/fuzz/cov-"$1" > "$2/build.log" 2>&1
}

# crash TARGET FILE ENGINE: a minimised reproducer under $repro/TARGET, unless it is known.
# Prints "new", "known" or "flaky".
crash() {
	local t=$1 file=$2 engine=$3 w=$work/$t min name
	if build/fuzz/replay-"$t" "$file" > "$w/repro.log" 2>&1; then
		mkdir -p "$w/flaky"
		cp "$file" "$w/flaky/"
		echo flaky
		return
	fi
	min=$w/min
	rm -f "$min"
	build/fuzz/libfuzzer-"$t" -minimize_crash=1 -max_total_time=$((seconds < 30 ? 10 : 30)) \
		-exact_artifact_path="$min" "$file" > "$w/minimize.log" 2>&1
	[ -s "$min" ] && ! build/fuzz/replay-"$t" "$min" > /dev/null 2>&1 || cp "$file" "$min"
	name=crash-$(sha1sum < "$min" | cut -c1-16)
	mkdir -p "$repro/$t"
	if [ -e "$repro/$t/$name" ]; then
		echo known
		return
	fi
	cp "$min" "$repro/$t/$name"
	{
		echo "# found by $engine on $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null)"
		echo "# $(grep -m1 -E 'ERROR: |check failed|runtime error' "$w/repro.log")"
		echo "make build/fuzz/replay-$t && build/fuzz/replay-$t $repro/$t/$name"
		echo "# under the debugger, or with the libFuzzer build:"
		echo "make build/fuzz/libfuzzer-$t && build/fuzz/libfuzzer-$t $repro/$t/$name"
	} > "$repro/$t/$name.cmd"
	echo new
}

# coverage TARGET: "lines regions functions" (percentages) of the corpus through cov-TARGET.
coverage() {
	local t=$1 w=$work/$1
	rm -f "$w"/cov-*.profraw
	LLVM_PROFILE_FILE="$w/cov-%p.profraw" build/fuzz/cov-"$t" -runs=0 "$corpus/$t" \
		> "$w/cov-run.log" 2>&1
	llvm-profdata merge -sparse "$w"/cov-*.profraw -o "$w/cov.profdata" 2> "$w/cov.err" &&
		llvm-cov report build/fuzz/cov-"$t" -instr-profile="$w/cov.profdata" 2>> "$w/cov.err" |
		awk '/^TOTAL/ { print $10, $4, $7 }'
}

round_target() { # round_target ROUND TARGET
	local r=$1 t=$2 w=$work/$2 before after lf_pid afl_status lf_execs afl_execs new=0 \
		known=0 flaky=0 f verdict cov prev drop=""
	rm -rf "$w" && mkdir -p "$w/new" "$w/crashes" "$w/merge-tmp"
	if ! build "$t" "$w"; then
		tail -n 20 "$w/build.log"
		echo "round $r $t: FAILED: the build"
		return 1
	fi
	mkdir -p "$corpus/$t"
	[ -n "$(ls -A "$corpus/$t")" ] || printf '\n' > "$corpus/$t/empty"
	before=$(ls "$corpus/$t" | wc -l)
	# shellcheck disable=SC2046
	build/fuzz/libfuzzer-"$t" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$w/crashes/libfuzzer-" $(dict_of "$t") "$w/new" "$corpus/$t" \
		> "$w/libfuzzer.log" 2>&1 &
	lf_pid=$!
	# shellcheck disable=SC2046
	timeout -k 10 $((seconds + 60)) afl-fuzz -V "$seconds" -i "$corpus/$t" -o "$w/afl" \
		$(dict_of "$t" | sed 's/^-dict=/-x /') -- build/fuzz/afl-"$t" > "$w/afl.log" 2>&1
	afl_status=$?
	wait $lf_pid
	if [ ! -f "$w/afl/default/fuzzer_stats" ]; then
		tail -n 15 "$w/afl.log"
		echo "round $r $t: FAILED: AFL++ did not run (status $afl_status)"
		return 1
	fi
	lf_execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/libfuzzer.log")
	[ -n "$lf_execs" ] || { tail -n 15 "$w/libfuzzer.log"; echo "round $r $t: FAILED: libFuzzer did not run"; return 1; }
	afl_execs=$(sed -n 's/^execs_done *: //p' "$w/afl/default/fuzzer_stats")
	for f in "$w"/crashes/libfuzzer-* "$w"/afl/default/crashes/id:*; do
		[ -f "$f" ] || continue
		case $f in */afl/*) verdict=$(crash "$t" "$f" AFL++) ;; *) verdict=$(crash "$t" "$f" libFuzzer) ;; esac
		case $verdict in new) new=$((new + 1)) ;; known) known=$((known + 1)) ;; *) flaky=$((flaky + 1)) ;; esac
	done
	# merge: the corpus first, so its files stay and only inputs with new features are added
	build/fuzz/libfuzzer-"$t" -merge=1 -merge_control_file="$w/merge.ctl" "$corpus/$t" \
		"$w/new" "$w/afl/default/queue" > "$w/merge.log" 2>&1 ||
		{ tail -n 15 "$w/merge.log"; echo "round $r $t: FAILED: the merge"; return 1; }
	after=$(ls "$corpus/$t" | wc -l)
	cov=$(coverage "$t")
	[ -n "$cov" ] || { cat "$w/cov.err" "$w/cov-run.log" | tail -n 15; echo "round $r $t: FAILED: no coverage"; return 1; }
	set -- $cov
	prev=$(awk -v t="$t" '$2 == t { l = $3 } END { print l }' "$history" 2>/dev/null)
	if [ -n "$prev" ] && awk -v a="${1%\%}" -v b="${prev%\%}" 'BEGIN { exit !(a < b) }'; then
		drop=" DROP from $prev"
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$t" "$1" "$2" "$3" >> "$history"
	printf 'round %s %-9s libFuzzer %s runs, AFL++ %s runs; corpus %d -> %d; crashes: %d new, %d known, %d not reproduced; coverage: lines %s, regions %s, functions %s%s\n' \
		"$r" "$t" "$lf_execs" "$afl_execs" "$before" "$after" "$new" "$known" "$flaky" \
		"$1" "$2" "$3" "${drop:- (was ${prev:-none})}"
	if [ $new -gt 0 ]; then
		echo "round $r $t: NEW CRASH: see $repro/$t/*.cmd"
		return 1
	fi
	return 0
}

r=0
while [ "$rounds" = 0 ] || [ $r -lt "$rounds" ]; do
	r=$((r + 1))
	for t in $targets; do
		if round_target $r "$t"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
done
echo "fuzz-continuous: $passed passed, $failed failed"
[ $failed -eq 0 ]
