#!/bin/sh
# Sets everything up on a fresh machine and runs every test suite: lint, unit tests (plain and
# ASan+UBSan) and the integration suite against real Redis and real netdevs.
set -eu
cd "$(dirname "$0")/.."
ci/install-deps.sh
make -j2 all CI=1
make test CI=1
