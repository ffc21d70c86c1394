#!/bin/sh
# Nothing loaded that is not used, as ldd lists what the dynamic loader maps, indirect libraries
# included: no binary maps libpcap (captures are read and written by lib/pcap.c and
# lib/pcap_read.c) or D-Bus (which libpcap would pull in); none maps libsystemd (the daemon's
# loop is lib/loop.c, its notifications lib/notify.c) or what it brings along: crypto (libgcrypt,
# libgpg-error, GnuTLS, Nettle, GMP, p11-kit), compression (lz4, zstd, xz) and libcap.
# Usage: linked-libs.sh BINARY...
set -u
forbidden='lib(pcap|dbus|systemd|gcrypt|gpg-error|gnutls|nettle|hogweed|gmp|p11-kit|lz4|zstd|lzma|cap)\.so'
passed=0
failed=0
for bin in "$@"; do
	if ! libs=$(ldd "$bin" 2>&1); then
		echo "linked-libs: FAILED: $bin: ldd: $libs" >&2
		failed=$((failed + 1))
		continue
	fi
	bad=$(printf '%s\n' "$libs" | grep -E "$forbidden" | awk '{print $1}' | paste -sd' ')
	if [ -n "$bad" ]; then
		echo "linked-libs: FAILED: $bin maps $bad" >&2
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
done
echo "linked-libs: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
