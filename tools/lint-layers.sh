#!/bin/sh
# No module of the core calls another: checked from the compiled objects' symbol tables, so no
# spelling, macro or header can hide a call. core/layers lists each object as the dispatcher, a
# module or a leaf; a symbol an object leaves undefined (nm -u) and another core object defines
# must be defined by a leaf, unless the caller is the dispatcher. Every core object must be listed.
# Usage: lint-layers.sh LAYERS_FILE CORE_OBJECT...
set -u
if [ $# -lt 2 ]; then
	echo "lint-layers: usage: lint-layers.sh LAYERS_FILE CORE_OBJECT..." >&2
	exit 2
fi
layers=$1
shift
[ -f "$layers" ] || { echo "lint-layers: $layers: missing" >&2; exit 2; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# layer_of NAME: the layer core/layers gives NAME, or nothing
layer_of() {
	awk -v n="$1" '!/^#/ { for (i = 2; i <= NF; i++) if ($i == n) print $1 }' "$layers"
}

status=0
: > "$tmp/owners" # symbol object layer
for o in "$@"; do
	name=$(basename "$o" .o)
	layer=$(layer_of "$name")
	case $layer in
	dispatcher | module | leaf) ;;
	*)
		echo "lint-layers: $o: not in $layers (list it as the dispatcher, a module or a leaf)" >&2
		status=1
		continue
		;;
	esac
	nm --defined-only "$o" | awk -v o="$name" -v l="$layer" \
		'NF == 3 && $2 ~ /^[A-Z]$/ { print $3, o, l }' >> "$tmp/owners"
done
sort -k1,1 -o "$tmp/owners" "$tmp/owners"
calls=0
for o in "$@"; do
	name=$(basename "$o" .o)
	layer=$(layer_of "$name")
	[ -n "$layer" ] || continue
	nm -u "$o" | awk '{ print $NF }' | sort -u > "$tmp/undefined"
	join "$tmp/undefined" "$tmp/owners" > "$tmp/calls"
	while read -r sym owner owner_layer; do
		calls=$((calls + 1))
		[ "$owner" = "$name" ] && continue
		[ "$owner_layer" = leaf ] && continue
		[ "$layer" = dispatcher ] && continue
		echo "lint-layers: $o ($layer) calls $sym of $owner.o ($owner_layer): only" \
			"engine.c calls a module; a module records what it wants done (its wants)" >&2
		status=1
	done < "$tmp/calls"
done
if [ $status -ne 0 ]; then
	echo "lint-layers: FAILED: a module calls another module or the dispatcher" >&2
	exit 1
fi
echo "lint-layers: $# core objects, $calls calls between them: modules call only leaves"
