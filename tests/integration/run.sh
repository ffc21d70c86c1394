#!/bin/bash
# Integration suite: each test runs in its own subshell with a fresh redis-server, network
# namespace and daemon, and is torn down whatever happens. Usage: run.sh DAEMON [TEST...]
# IT_EXTRA names more test files (space-separated) to load, e.g. the stress suite's.
set -u
here=$(cd "$(dirname "$0")" && pwd)
PSD_BIN=$(realpath "${1:?usage: run.sh DAEMON [TEST...]}")
shift
export PSD_BIN
FIXTURES=$(realpath "$here/../../fixtures")
export FIXTURES
NL_INJECT=$(realpath "$here/../../build/nl-inject")
NOTIFY_LISTEN=$(realpath "$here/../../build/notify-listen")

if [ "$(id -u)" != 0 ]; then
	echo "integration: FAILED: needs root (network namespaces and veth netdevs)" >&2
	echo "integration: 0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$NL_INJECT" ] || [ ! -x "$NOTIFY_LISTEN" ]; then
	echo "integration: FAILED: test tools missing (make build/nl-inject build/notify-listen)" >&2
	echo "integration: 0 passed, 1 failed"
	exit 1
fi
for tool in redis-server redis-cli ip; do
	command -v $tool >/dev/null || {
		echo "integration: FAILED: $tool is not installed" >&2
		echo "integration: 0 passed, 1 failed"
		exit 1
	}
done

. "$here/lib.sh"
for f in "$here"/test_*.sh ${IT_EXTRA:-}; do
	. "$f"
done

tests=("$@")
[ ${#tests[@]} -eq 0 ] && mapfile -t tests < <(declare -F | awk '{print $3}' | grep '^it_' | sort -V)

passed=0
failed=0
failed_names=()
# IT_JOBS tests at once (1 unless told): each has its own redis-server, namespace, daemon and
# directory; the tests matching IT_SERIAL run alone, as they name things beyond their namespace
# (the multi-ASIC tests create asic0, asic1 ...). Each test's output is shown once it has ended,
# in the tests' order.
JOBS=${IT_JOBS:-1}
SERIAL=${IT_SERIAL:-^it_m[0-9]}
OUT=$(mktemp -d /tmp/psd-it-run.XXXXXX)

run_one() { # run_one TEST SEQ: its output in $OUT/SEQ.log, then "status ms" in $OUT/SEQ.res
	local t=$1 start status
	TEST_SEQ=$2
	start=$(date +%s%N)
	(
		trap teardown_env EXIT
		setup_env
		"$t"
	) > "$OUT/$2.log" 2>&1
	status=$?
	echo "$status $((($(date +%s%N) - start) / 1000000))" > "$OUT/$2.tmp"
	mv "$OUT/$2.tmp" "$OUT/$2.res"
}

shown=0
show_ended() { # the tests that have ended, in order, up to the first still running
	local t status ms
	while [ $shown -lt ${#tests[@]} ] && [ -f "$OUT/$((shown + 1)).res" ]; do
		t=${tests[$shown]}
		shown=$((shown + 1))
		read -r status ms < "$OUT/$shown.res"
		cat "$OUT/$shown.log"
		if [ "$status" -eq 0 ]; then
			passed=$((passed + 1))
			printf 'ok   %-46s %4d.%03ds\n' "$t" $((ms / 1000)) $((ms % 1000))
		else
			failed=$((failed + 1))
			failed_names+=("$t")
			printf 'FAIL %-46s %4d.%03ds\n' "$t" $((ms / 1000)) $((ms % 1000))
		fi
	done
}

seq=0
for t in "${tests[@]}"; do
	seq=$((seq + 1))
	if [[ $t =~ $SERIAL ]] || [ "$JOBS" -le 1 ]; then
		wait # alone: after every test started before it
		show_ended
		run_one "$t" $seq
		show_ended
		continue
	fi
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
		show_ended
	done
	run_one "$t" $seq &
done
wait
show_ended
rm -rf "$OUT"
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "integration: $passed passed, $failed failed"
[ $failed -eq 0 ]
