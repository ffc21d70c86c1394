#!/bin/sh
# tools/lint-graph.py must find a circle wherever one is planted, and none where there is none:
# a tree of small files (a source and its header each) is built with dependency files, as the
# project builds its own, in a temporary folder, once for each case:
#   calls     a.c calls b.c's function, b.c calls a.c's;
#   include   a.c includes b.h (no call), b.c calls a.c's function;
#   through   a.c includes c.h, a header alone that includes b.h; b.c calls a.c's function;
#   straight  a.c calls b.c, b.c calls c.c: no circle (the lint must pass).
# Usage: CC=... graph-circles.sh
set -u
CC=${CC:-cc}
LINT=$(cd "$(dirname "$0")/../.." && pwd)/tools/lint-graph.py
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# plant NAME EXPECT (fail: a circle must be found; pass: none): the files come on stdin as
# "=== FILE" lines followed by the file's text
plant() {
	dir=$tmp/$1
	mkdir -p "$dir"
	awk -v d="$dir" '/^=== / {f = d "/" $2; next} {print > f}'
	for c in "$dir"/*.c; do
		(cd "$dir" && $CC -Wno-missing-prototypes -MMD -MP -c "$(basename "$c")" \
			-o "$(basename "$c" .c).o") || { echo "graph-circles: $1: does not build" >&2; exit 2; }
	done
	out=$(cd "$dir" && "$LINT" ./*.o 2>&1)
	rc=$?
	if { [ "$2" = fail ] && [ $rc -eq 1 ] && echo "$out" | grep -q 'circle 1: '; } ||
		{ [ "$2" = pass ] && [ $rc -eq 0 ]; }; then
		echo "graph-circles: $1: $(echo "$out" | tail -n 1 | sed 's/^lint-graph: //'), as it must"
		passed=$((passed + 1))
	else
		echo "graph-circles: $1: FAILED (exit $rc, expected to $2):" >&2
		echo "$out" >&2
		failed=$((failed + 1))
	fi
}

plant calls fail <<'EOF'
=== a.h
int a_fn(int);
=== a.c
#include "a.h"
#include "b.h"
int a_fn(int x) { return x > 0 ? b_fn(x - 1) : 0; }
=== b.h
int b_fn(int);
=== b.c
#include "a.h"
#include "b.h"
int b_fn(int x) { return a_fn(x); }
EOF

plant include fail <<'EOF'
=== a.h
int a_fn(int);
=== a.c
#include "a.h"
#include "b.h"
int a_fn(int x) { return x + B_ONE; }
=== b.h
#define B_ONE 1
int b_fn(int);
=== b.c
#include "a.h"
#include "b.h"
int b_fn(int x) { return a_fn(x); }
EOF

plant through fail <<'EOF'
=== a.h
int a_fn(int);
=== a.c
#include "a.h"
#include "c.h"
int a_fn(int x) { return x + B_ONE; }
=== c.h
#include "b.h"
=== b.h
#define B_ONE 1
int b_fn(int);
=== b.c
#include "a.h"
#include "b.h"
int b_fn(int x) { return a_fn(x); }
EOF

plant straight pass <<'EOF'
=== a.c
#include "b.h"
int a_fn(int x);
int a_fn(int x) { return b_fn(x); }
=== b.h
int b_fn(int);
=== b.c
#include "b.h"
#include "c.h"
int b_fn(int x) { return c_fn(x); }
=== c.h
int c_fn(int);
=== c.c
#include "c.h"
int c_fn(int x) { return x; }
EOF

echo "graph-circles: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
