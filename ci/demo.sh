#!/bin/sh
# Sets everything up on a fresh machine and runs the daemon on a demo: a private redis-server,
# a network namespace of veth ports, a few link flaps, and the resulting APPL_DB and STATE_DB.
set -eu
cd "$(dirname "$0")/.."
ci/install-deps.sh
make -j2 build/portsyncd
exec tools/demo.sh
