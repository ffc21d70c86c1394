#!/bin/sh
# The core's layers, checked from the compiled objects, so no spelling, macro or header can hide
# a call. core/layers gives each object a layer:
#   dispatcher  engine.c: calls anything in the core
#   view        metrics and health (above the modules): calls modules (their accessors), leaves
#               and the view; nothing but the dispatcher calls it
#   module      owns state: calls leaves and the other objects of the same module only
#   leaf        calls leaves only
# A module made of several objects is a `parts` line: `parts MODULE OBJECT...`; its objects call
# each other freely. Headers without an object of their own (work.h, ctx.h ...) are listed too,
# as leaves. Two kinds of call are seen:
#   - a symbol an object leaves undefined (nm -u) that another core object defines;
#   - a function of a core header (a static inline one) compiled into an object, inlined or not:
#     read from the debug information (the objects are built with -g), it is a call into the
#     object (or header-only entry) the header is named after.
# Every core object must be listed. Usage: lint-layers.sh LAYERS_FILE CORE_OBJECT...
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
	awk -v n="$1" '!/^#/ { for (i = 2; i <= NF; i++) if ($i == n) print $1 == "parts" ? "module" : $1 }' \
		"$layers" | head -n 1
}

# group_of NAME: the module NAME is a part of, or NAME itself
group_of() {
	awk -v n="$1" 'BEGIN { g = n } $1 == "parts" { for (i = 3; i <= NF; i++) if ($i == n) g = $2 }
		END { print g }' "$layers"
}

# allowed CALLER_LAYER CALLER_GROUP OWNER_LAYER OWNER_GROUP: true when the layers permit the call
allowed() {
	[ "$2" = "$4" ] && return 0
	case $1:$3 in
	dispatcher:*) return 0 ;;
	view:view | view:module | view:leaf) return 0 ;;
	module:leaf | leaf:leaf) return 0 ;;
	esac
	return 1
}

# inline_calls OBJECT: "function header" for each function of a core header compiled into OBJECT
# (its debug information: DW_TAG_subprogram entries that are not mere declarations, with the file
# they were declared in, from the line table's file names)
inline_calls() {
	{ readelf --debug-dump=line "$1"; echo "@@info"; readelf --debug-dump=info "$1"; } \
		2>/dev/null | awk '
	function val(line,   i) {
		i = index(line, "): ")
		if (i > 0)
			return substr(line, i + 3)
		sub(/^[^:]*: */, "", line)
		return line
	}
	function flush() {
		if (sub_ && name != "" && df != "" && !decl)
			print name, file[df]
		sub_ = 0
	}
	/^@@info/ { info = 1; next }
	!info && /The Directory Table/ { mode = "dir"; next }
	!info && /The File Name Table/ { mode = "file"; next }
	!info && /^ *$/ { mode = ""; next }
	!info && mode == "dir" && $1 ~ /^[0-9]+$/ { dir[$1] = val($0); next }
	!info && mode == "file" && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {
		file[$1] = dir[$2] "/" val($0)
		next
	}
	info && /DW_TAG_/ { flush(); sub_ = /DW_TAG_subprogram/; name = ""; df = ""; decl = 0; next }
	info && sub_ && /DW_AT_name/ { name = val($0) }
	info && sub_ && /DW_AT_decl_file/ { df = val($0) + 0 }
	info && sub_ && /DW_AT_declaration/ { decl = 1 }
	END { flush() }' |
		awk '$2 ~ /(^|\/)core\/[^\/]*\.h$/ { n = split($2, p, "/"); print $1, p[n] }' | sort -u
}

status=0
: > "$tmp/owners" # symbol object layer group
for o in "$@"; do
	name=$(basename "$o" .o)
	layer=$(layer_of "$name")
	case $layer in
	dispatcher | view | module | leaf) ;;
	*)
		echo "lint-layers: $o: not in $layers (list it as the dispatcher, the view, a module" \
			"or a leaf)" >&2
		status=1
		continue
		;;
	esac
	if ! readelf --sections "$o" 2>/dev/null | grep -q '\.debug_info'; then
		echo "lint-layers: $o: no debug information (built without -g): the calls through" \
			"inline functions cannot be seen" >&2
		status=1
	fi
	group=$(group_of "$name")
	nm --defined-only "$o" | awk -v o="$name" -v l="$layer" -v g="$group" \
		'NF == 3 && $2 ~ /^[A-Z]$/ { print $3, o, l, g }' >> "$tmp/owners"
done
sort -k1,1 -o "$tmp/owners" "$tmp/owners"

why() {
	case $1 in
	view) echo "only engine.c calls the view" ;;
	dispatcher) echo "nothing calls the engine but the public API's users" ;;
	*) echo "only engine.c calls a module; a module records what it wants done (its wants)" ;;
	esac
}

calls=0
inlines=0
for o in "$@"; do
	name=$(basename "$o" .o)
	layer=$(layer_of "$name")
	[ -n "$layer" ] || continue
	group=$(group_of "$name")
	nm -u "$o" | awk '{ print $NF }' | sort -u > "$tmp/undefined"
	join "$tmp/undefined" "$tmp/owners" > "$tmp/calls"
	while read -r sym owner owner_layer owner_group; do
		calls=$((calls + 1))
		[ "$owner" = "$name" ] && continue
		allowed "$layer" "$group" "$owner_layer" "$owner_group" && continue
		echo "lint-layers: $o ($layer) calls $sym of $owner.o ($owner_layer): $(why "$owner_layer")" >&2
		status=1
	done < "$tmp/calls"
	inline_calls "$o" > "$tmp/inline"
	while read -r sym header; do
		inlines=$((inlines + 1))
		hname=${header%.h}
		owner=$hname
		owner_layer=$(layer_of "$owner")
		if [ -z "$owner_layer" ]; then
			owner=$hname.gen
			owner_layer=$(layer_of "$owner")
		fi
		if [ -z "$owner_layer" ]; then
			echo "lint-layers: $o: core/$header (whose $sym it compiles) is not in $layers:" \
				"list it under its layer (a header-only leaf, or the object it belongs to)" >&2
			status=1
			continue
		fi
		owner_group=$(group_of "$owner")
		[ "$owner" = "$name" ] && continue
		allowed "$layer" "$group" "$owner_layer" "$owner_group" && continue
		echo "lint-layers: $o ($layer) calls $sym of $owner ($owner_layer), inline from" \
			"core/$header: $(why "$owner_layer")" >&2
		status=1
	done < "$tmp/inline"
done
if [ $status -ne 0 ]; then
	echo "lint-layers: FAILED: a call against the layers of $layers" >&2
	exit 1
fi
echo "lint-layers: $# core objects, $calls calls between them and $inlines header functions" \
	"compiled into them: each within the layers"
