#!/bin/sh
# Regenerates every Ragel source into a temporary file and fails if the committed .gen.c differs.
set -eu
if ! command -v ragel >/dev/null 2>&1; then
	echo "check-generated: FAILED: ragel is not installed (apt-get install ragel)" >&2
	exit 1
fi
status=0
for src in "$@"; do
	tmp=$(mktemp)
	"$(dirname "$0")/ragel-gen.sh" "$src" "$tmp"
	if ! cmp -s "$tmp" "${src%.rl}.gen.c"; then
		echo "check-generated: ${src%.rl}.gen.c is stale; run make ragel" >&2
		diff -u "${src%.rl}.gen.c" "$tmp" | head -n 20 >&2 || true
		status=1
	fi
	rm -f "$tmp"
done
[ $status -eq 0 ] && echo "check-generated: $# generated sources match their .rl"
exit $status
