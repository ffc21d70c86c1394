#!/bin/sh
# The man page is lint-clean and documents every option the daemon accepts and every key of
# the sample settings file. Usage: check-man.sh PORTSYNCD
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${1:-build/portsyncd}
page=man/portsyncd.8
failed=0
mandoc -T lint "$page" || failed=1
for flag in $("$bin" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	esc=$(echo "$flag" | sed 's/-/\\\\-/g')
	grep -q -- "$esc" "$page" || { echo "man page: no $flag" >&2; failed=1; }
done
for key in $(grep -o '^;[a-z_]* =' etc/portsyncd.conf | tr -d ';= '); do
	grep -q "	$key	" "$page" || { echo "man page: no settings key $key" >&2; failed=1; }
done
for sig in SIGTERM SIGINT SIGHUP NOTIFY_SOCKET WATCHDOG_USEC; do
	grep -q "$sig" "$page" || { echo "man page: no $sig" >&2; failed=1; }
done
if [ $failed -eq 0 ]; then echo "man: 1 passed, 0 failed"; else echo "man: 0 passed, 1 failed"; fi
exit $failed
