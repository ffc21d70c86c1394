#!/bin/sh
# The shipped binary is hardened: a position-independent executable, full RELRO (a GNU_RELRO
# segment and BIND_NOW), stack canaries (it imports __stack_chk_fail) and fortified libc calls
# (it imports __*_chk functions). Usage: hardening.sh BINARY...
set -u
passed=0
failed=0
check() { # check BINARY WHAT CMD...
	local bin=$1 what=$2
	shift 2
	if "$@" > /dev/null 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "hardening: FAILED: $bin: $what" >&2
	fi
}
for bin in "$@"; do
	readelf -hW "$bin" > /tmp/hardening.$$.h && readelf -dW "$bin" > /tmp/hardening.$$.d &&
		readelf -lW "$bin" > /tmp/hardening.$$.l && nm -D "$bin" > /tmp/hardening.$$.s || {
		echo "hardening: FAILED: $bin: readelf" >&2
		failed=$((failed + 1))
		continue
	}
	before=$failed
	check "$bin" "not PIE (ELF type DYN)" grep -q 'Type:[[:space:]]*DYN' /tmp/hardening.$$.h
	check "$bin" "no PIE flag" grep -q 'FLAGS_1.*PIE' /tmp/hardening.$$.d
	check "$bin" "no GNU_RELRO segment" grep -q GNU_RELRO /tmp/hardening.$$.l
	check "$bin" "not BIND_NOW (partial RELRO)" grep -qE '\(FLAGS\).*BIND_NOW|FLAGS_1.*NOW' /tmp/hardening.$$.d
	check "$bin" "no stack protector" grep -q ' U __stack_chk_fail' /tmp/hardening.$$.s
	check "$bin" "no fortified calls" grep -qE ' U __[a-z]+_chk' /tmp/hardening.$$.s
	[ $failed -eq "$before" ] && echo "hardening: $bin: PIE, full RELRO, stack protector, $(grep -cE ' U __[a-z]+_chk' /tmp/hardening.$$.s) fortified libc functions"
	rm -f /tmp/hardening.$$.*
done
echo "hardening: $passed passed, $failed failed"
[ $failed -eq 0 ]
