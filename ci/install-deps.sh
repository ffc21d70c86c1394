#!/bin/sh
# Installs everything the build, the tests and the demo need on a fresh Debian 12 machine.
set -eu
packages="build-essential pkg-config ragel clang libnl-3-dev libhiredis-dev
	libjansson-dev libinih-dev libcmocka-dev redis-server redis-tools tcpdump iproute2 valgrind
	tshark debhelper lintian mandoc afl++ llvm curl prometheus
	prometheus-alertmanager python3"
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
	# prometheus and prometheus-alertmanager are here for the tests (promtool checks a scrape
	# and the printed rules; the fleet tests start both servers themselves, on loopback inside
	# their namespace): their services must not start, so invoke-rc.d is told no while they
	# install
	own_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
command -v promtool >/dev/null || { echo "install-deps: promtool missing after installing prometheus" >&2; exit 1; }
command -v prometheus-alertmanager >/dev/null ||
	{ echo "install-deps: prometheus-alertmanager missing after installing it" >&2; exit 1; }
# servers are not wanted on a build machine, whoever started them
for unit in prometheus prometheus-alertmanager; do
	if command -v systemctl >/dev/null && systemctl is-enabled "$unit" >/dev/null 2>&1; then
		systemctl disable --now "$unit" >/dev/null 2>&1 || true
	fi
done
