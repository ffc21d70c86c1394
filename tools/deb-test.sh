#!/bin/sh
# The package on this machine: a stand-in for SONiC's swss (owning /usr/bin/portsyncd) is
# installed first; dpkg -i of ours diverts that binary to /usr/bin/portsyncd.swss; the installed
# portsyncd -V and the demo run; removing ours gives swss's binary back; purging leaves nothing.
# Needs root. Usage: deb-test.sh (after tools/build-deb.sh)
set -u
cd "$(dirname "$0")/.."
deb=$(ls build/deb/portsyncd_*.deb 2>/dev/null | head -n 1)
W=$(mktemp -d /tmp/psd-deb.XXXXXX)
passed=0
failed=0
check() { # check WHAT CMD...
	local what=$1
	shift
	if "$@" > "$W/out" 2>&1; then
		passed=$((passed + 1))
		echo "ok   $what"
	else
		failed=$((failed + 1))
		echo "FAIL $what"
		sed 's/^/    /' "$W/out" | tail -n 15
	fi
}
finish() {
	dpkg -P portsyncd > /dev/null 2>&1
	[ "$(dpkg-query -W -f='${Version}' swss 2>/dev/null)" = 0.0-standin ] && dpkg -P swss > /dev/null 2>&1
	rm -rf "$W"
	echo "deb: $passed passed, $failed failed"
	[ $failed -eq 0 ]
	exit $?
}
[ -n "$deb" ] || { echo "deb: no package in build/deb (make deb)" >&2; failed=1; finish; }
[ "$(id -u)" = 0 ] || { echo "deb: needs root (dpkg -i)" >&2; failed=1; finish; }
if dpkg-query -W swss > /dev/null 2>&1 &&
	[ "$(dpkg-query -W -f='${Version}' swss)" != 0.0-standin ]; then
	echo "deb: a real swss package is installed here: not touching it" >&2
	failed=1
	finish
fi

# the stand-in: a package named swss whose /usr/bin/portsyncd prints who it is
mkdir -p "$W/swss/DEBIAN" "$W/swss/usr/bin"
printf '#!/bin/sh\necho "swss portsyncd"\n' > "$W/swss/usr/bin/portsyncd"
chmod 0755 "$W/swss/usr/bin/portsyncd"
printf 'Package: swss\nVersion: 0.0-standin\nArchitecture: all\nMaintainer: test <test@localhost>\nDescription: stand-in for SONiC swss owning /usr/bin/portsyncd\n' \
	> "$W/swss/DEBIAN/control"
check "a stand-in swss owns /usr/bin/portsyncd" sh -c \
	"dpkg-deb --root-owner-group --build '$W/swss' '$W/swss.deb' && dpkg -i '$W/swss.deb' && /usr/bin/portsyncd | grep -qx 'swss portsyncd'"

check "dpkg -i $(basename "$deb")" dpkg -i "$deb"
check "installed portsyncd -V" sh -c '/usr/bin/portsyncd -V | tee /dev/stderr | grep -q "^portsyncd [0-9]"'
check "swss's portsyncd diverted to /usr/bin/portsyncd.swss" sh -c \
	'/usr/bin/portsyncd.swss | grep -qx "swss portsyncd" && dpkg-divert --list /usr/bin/portsyncd | grep -q "by portsyncd"'
check "man page, units, docs and sample config installed" sh -c \
	'for f in /usr/share/man/man8/portsyncd.8.gz /lib/systemd/system/portsyncd.service \
	 /lib/systemd/system/portsyncd@.service /usr/share/doc/portsyncd/operations.md.gz \
	 /usr/share/doc/portsyncd/examples/portsyncd.conf; do test -f $f || { echo missing $f; exit 1; }; done;
	 zcat /usr/share/man/man8/portsyncd.8.gz | mandoc -T lint'
check "the demo against /usr/bin/portsyncd" sh -c \
	"PORTSYNCD=/usr/bin/portsyncd DEMO_PAUSE=0 tools/demo.sh > '$W/demo.log' 2>&1; s=\$?;
	 grep -q 'PORT_TABLE|Ethernet0 {.*netdev_oper_status up' '$W/demo.log' &&
	 grep -q 'PortInitDone' '$W/demo.log' || { cat '$W/demo.log'; exit 1; }; exit \$s"
check "dpkg -r gives swss's portsyncd back" sh -c \
	'dpkg -r portsyncd && /usr/bin/portsyncd | grep -qx "swss portsyncd" &&
	 ! test -e /usr/bin/portsyncd.swss && ! dpkg-divert --list | grep -q portsyncd'
check "dpkg -P leaves nothing of the package" sh -c \
	'dpkg -P portsyncd && ! dpkg-query -W portsyncd 2>/dev/null | grep -q . &&
	 ! test -e /lib/systemd/system/portsyncd.service && ! test -e /usr/share/doc/portsyncd &&
	 ! test -e /usr/share/man/man8/portsyncd.8.gz'
check "the stand-in swss removed" dpkg -P swss
finish
