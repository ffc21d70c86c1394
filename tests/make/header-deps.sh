#!/bin/sh
# Touching a header rebuilds exactly what includes it: for every header of the project, `make -n`
# with the header taken as just modified (-W, what a touch would do, without touching it) must
# list exactly the objects whose dependency files name the header, and relink exactly the
# binaries linking one of them. Everything must be up to date first.
# Usage: header-deps.sh BINARY...  (MAKE: the make to ask)
set -u
cd "$(dirname "$0")/../.." || exit 1
MAKE=${MAKE:-make}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# compiled OUTPUT: the objects a `make -n` listing compiles; linked: the binaries it links
compiled() { grep -o ' -c -o [^ ]*\.o' "$1" | sed 's/^ -c -o //' | sort -u; }
linked() { grep -v ' -c -o ' "$1" | grep -o ' -o build/[^ ]*' | sed 's/^ -o //' | sort -u; }

$MAKE -n "$@" > "$tmp/before" 2>&1
if [ -n "$(compiled "$tmp/before")$(linked "$tmp/before")" ]; then
	echo "header-deps: FAILED: not up to date before the test; make -n lists:" >&2
	head -n 5 "$tmp/before" >&2
	echo "header-deps: 0 passed, 1 failed"
	exit 1
fi
# every link command, to know which binaries link which objects
$MAKE -n -B "$@" | grep -v ' -c -o ' | grep ' -o build/' > "$tmp/links"

find build -path build/deb -prune -o -name '*.d' -print > "$tmp/dfiles" # not the package's copy
for h in $(git ls-files '*.h'); do
	$MAKE -n -W "$h" "$@" > "$tmp/after" 2>&1
	compiled "$tmp/after" > "$tmp/got"
	linked "$tmp/after" >> "$tmp/got"
	# the objects whose dependency files name it (one grep over them all)
	xargs -r grep -l -F -x -- "$h:" < "$tmp/dfiles" | sed 's/\.d$/.o/' | sort -u > "$tmp/want"
	# a binary relinks when its link command names one of the rebuilt objects
	awk 'NR == FNR { want[$0] = 1; next }
	     { for (i = 1; i <= NF; i++) if ($i in want) break
	       if (i > NF) next
	       for (i = 1; i < NF; i++) if ($i == "-o" && $(i + 1) ~ /^build\//) print $(i + 1) }' \
		"$tmp/want" "$tmp/links" > "$tmp/bins"
	cat "$tmp/bins" >> "$tmp/want"
	sort -u -o "$tmp/want" "$tmp/want"
	sort -u -o "$tmp/got" "$tmp/got"
	if [ ! -s "$tmp/want" ]; then
		echo "header-deps: FAILED: $h: no object includes it (a header nothing uses?)" >&2
		failed=$((failed + 1))
	elif cmp -s "$tmp/want" "$tmp/got"; then
		passed=$((passed + 1))
		echo "header-deps: $h: $(grep -c '\.o$' "$tmp/want") objects, $(grep -vc '\.o$' "$tmp/want") binaries"
	else
		echo "header-deps: FAILED: $h: make -n differs from the dependency files (- expected, + listed):" >&2
		diff -u "$tmp/want" "$tmp/got" | sed '1,3d' >&2
		failed=$((failed + 1))
	fi
done
echo "header-deps: $passed passed, $failed failed"
[ $failed -eq 0 ]
