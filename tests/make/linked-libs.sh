#!/bin/sh
# Nothing loaded that is not used: no binary maps libpcap (captures are read and written by
# lib/pcap.c and lib/pcap_read.c) or D-Bus (which libpcap would pull in), as ldd lists what the
# dynamic loader maps, indirect libraries included. Usage: linked-libs.sh BINARY...
set -u
passed=0
failed=0
for bin in "$@"; do
	if ! libs=$(ldd "$bin" 2>&1); then
		echo "linked-libs: FAILED: $bin: ldd: $libs" >&2
		failed=$((failed + 1))
		continue
	fi
	bad=$(printf '%s\n' "$libs" | grep -E 'libpcap|libdbus' | awk '{print $1}' | paste -sd' ')
	if [ -n "$bad" ]; then
		echo "linked-libs: FAILED: $bin maps $bad" >&2
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
done
echo "linked-libs: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
