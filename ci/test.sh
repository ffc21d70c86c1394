#!/bin/sh
# Sets everything up on a fresh machine and runs every test suite: lint, unit tests (plain and
# ASan+UBSan) and the integration suite against real Redis and real netdevs; then the man page,
# the Debian package and a round of continuous fuzzing.
set -eu
cd "$(dirname "$0")/.."
ci/install-deps.sh
make -j2 all CI=1
make test CI=1
# shipping: the man page, the Debian package built, checked, installed, run and removed
make man-lint CI=1
make deb-test CI=1
# fuzzing: every target built for libFuzzer and AFL++, one short round of the continuous
# fuzzing command (corpora merged, coverage per target)
make -j2 fuzz-round-ci CI=1
