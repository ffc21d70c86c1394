#!/bin/sh
# Installs everything the build, the tests and the demo need on a fresh Debian 12 machine.
set -eu
packages="build-essential pkg-config ragel clang libnl-3-dev libhiredis-dev
	libsystemd-dev libjansson-dev libinih-dev libcmocka-dev libpcap-dev redis-server redis-tools tcpdump iproute2 valgrind
	tshark debhelper lintian mandoc afl++ llvm"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# tshark: no question, and no setuid dumpcap
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
