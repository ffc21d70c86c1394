#!/bin/sh
# Replays every fuzz target's corpus and past crashes; one closing line for all.
# Usage: fuzz-replay.sh TARGET...
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
for t in "$@"; do
	mkdir -p "fuzz/repro/$t"
	out=$(build/fuzz/replay-$t "fuzz/corpus/$t" "fuzz/repro/$t" 2>&1)
	status=$?
	echo "$out" | tail -n 5
	p=$(echo "$out" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$out" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-1}))
	[ $status -eq 0 ] || [ "${f:-1}" -gt 0 ] || failed=$((failed + 1))
done
echo "fuzz-replay: $passed passed, $failed failed"
[ $failed -eq 0 ]
