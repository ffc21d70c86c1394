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
TEST_SEQ=0
for t in "${tests[@]}"; do
	TEST_SEQ=$((TEST_SEQ + 1))
	start=$(date +%s%N)
	(
		trap teardown_env EXIT
		setup_env
		"$t"
	)
	status=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	if [ $status -eq 0 ]; then
		passed=$((passed + 1))
		printf 'ok   %-46s %4d.%03ds\n' "$t" $((ms / 1000)) $((ms % 1000))
	else
		failed=$((failed + 1))
		failed_names+=("$t")
		printf 'FAIL %-46s %4d.%03ds\n' "$t" $((ms / 1000)) $((ms % 1000))
	fi
done
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "integration: $passed passed, $failed failed"
[ $failed -eq 0 ]
