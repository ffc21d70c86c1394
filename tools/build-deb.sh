#!/bin/sh
# Builds the Debian package from a copy of the tree (committed and new files, not build/), so
# the working tree's build stays as it is: build/deb/portsyncd_*.deb. Then lintian, which must
# report no error.
set -eu
cd "$(dirname "$0")/.."
rm -rf build/deb
mkdir -p build/deb/src
git ls-files -z --cached --others --exclude-standard | xargs -0 cp -P --parents -t build/deb/src
cd build/deb/src
DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b > ../build.log 2>&1 ||
	{ tail -n 30 ../build.log >&2; echo "deb: dpkg-buildpackage failed" >&2; exit 1; }
cd ..
ls -l portsyncd_*.deb
status=0
lintian --fail-on error --info portsyncd_*.changes > lintian.log 2>&1 || status=$?
cat lintian.log
echo "lintian: $(grep -c '^E:' lintian.log) errors, $(grep -c '^W:' lintian.log) warnings"
exit $status
