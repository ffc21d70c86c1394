#!/bin/sh
# The core's layers, checked from the compiled objects, so no spelling, macro or header can hide
# a call. core/layers gives each object a layer:
#   dispatcher  engine.c: calls anything in the core
#   view        metrics and health (above the modules): calls modules (their accessors), leaves
#               and the view; nothing but the dispatcher calls it
#   module      owns state: calls leaves and the other objects of the same module only
#   leaf        calls leaves only
# A module made of several objects is a `parts` line: `parts MODULE OBJECT...`; its objects call
# each other freely. Headers without an object of their own (work.h, ctx.h ...) are listed too.
# Three kinds of reference are checked against the same rule:
#   - a symbol an object leaves undefined (nm -u) that another core object defines;
#   - a function of a core header (a static inline one) compiled into an object, inlined or not:
#     read from the debug information (the objects are built with -g), it is a call into the
#     object (or header-only entry) the header is named after (NAME.h: NAME, or NAME.gen);
#   - a core header the object's source includes, directly or through another header (its
#     dependency file, OBJECT.d beside it): no include arrow runs up or sideways.
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

# the names table: NAME LAYER GROUP for every name core/layers lists (a part's layer is module,
# its group its module; any other name is its own group)
awk '!/^#/ && NF > 1 {
	if ($1 == "parts") {
		for (i = 3; i <= NF; i++) { group[$i] = $2; if (!($i in layer)) layer[$i] = "module" }
		next
	}
	for (i = 2; i <= NF; i++) layer[$i] = $1
}
END { for (n in layer) print n, layer[n], (n in group ? group[n] : n) }' "$layers" > "$tmp/names"

# check: reads "OBJECT KIND WHAT OWNER" lines (KIND call, inline or include; OWNER a listed
# name, or a header's file name for inline and include) and prints a line for each reference the
# layers forbid, or whose owner is not listed; exits 1 when it printed one
check() {
	awk -v list="$layers" '
	function allowed(l, g, ol, og) {
		if (g == og || l == "dispatcher")
			return 1
		if (l == "view")
			return ol == "view" || ol == "module" || ol == "leaf"
		return ol == "leaf"
	}
	function why(ol) {
		if (ol == "view")
			return "only engine.c calls the view"
		if (ol == "dispatcher")
			return "nothing in the core calls the engine"
		return "only engine.c calls a module; a module records what it wants done (its wants)"
	}
	NR == FNR { L[$1] = $2; G[$1] = $3; next }
	{
		o = $1
		name = o
		sub(/.*\//, "", name)
		sub(/\.o$/, "", name)
		$0 = substr($0, length(o) + 2)
		owner = $3
		if ($1 != "call") {
			h = owner
			sub(/\.h$/, "", h)
			owner = (h in L) ? h : ((h ".gen") in L) ? h ".gen" : ""
		}
		if (owner == "") {
			print "lint-layers: " o ": core/" $3 " (" ($1 == "include" ? "included" : \
				"whose " $2 " it compiles") ") is not in " list ": list it under its layer"
			bad = 1
			next
		}
		if (owner == name || allowed(L[name], G[name], L[owner], G[owner]))
			next
		bad = 1
		if ($1 == "call")
			print "lint-layers: " o " (" L[name] ") calls " $2 " of " owner ".o (" L[owner] \
				"): " why(L[owner])
		else if ($1 == "inline")
			print "lint-layers: " o " (" L[name] ") calls " $2 " of " owner " (" L[owner] \
				"), inline from core/" $3 ": " why(L[owner])
		else
			print "lint-layers: " o " (" L[name] ") includes core/" $3 " of " owner " (" \
				L[owner] "): an include arrow runs up or sideways"
	}
	END { exit bad }' "$tmp/names" - >&2
}

# inline_calls OBJECT...: "OBJECT inline FUNCTION HEADER" for each function of a core header
# compiled into an object (its debug information: DW_TAG_subprogram entries that are not mere
# declarations, with the file they were declared in, from the line table's file names)
inline_calls() {
	readelf --debug-dump=info --debug-dump=line "$@" 2>/dev/null | awk '
	function val(line,   i) {
		i = index(line, "): ")
		if (i > 0)
			return substr(line, i + 3)
		sub(/^[^:]*: */, "", line)
		return line
	}
	function flush() {
		if (sub_ && name != "" && df != "" && !decl)
			fn[++n] = obj SUBSEP name SUBSEP df
		sub_ = 0
	}
	/^File: / { flush(); obj = $2; mode = ""; next }
	/^Contents of the .debug_info/ { flush(); info = 1; next }
	/^Raw dump of debug contents of section .debug_line/ { flush(); info = 0; next }
	!info && /The Directory Table/ { mode = "dir"; next }
	!info && /The File Name Table/ { mode = "file"; next }
	!info && /^ *$/ { mode = ""; next }
	!info && mode == "dir" && $1 ~ /^[0-9]+$/ { dir[obj, $1] = val($0); next }
	!info && mode == "file" && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {
		file[obj, $1] = dir[obj, $2] "/" val($0)
		next
	}
	info && /DW_TAG_/ { flush(); sub_ = /DW_TAG_subprogram/; name = ""; df = ""; decl = 0; next }
	info && sub_ && /DW_AT_name/ { name = val($0) }
	info && sub_ && /DW_AT_decl_file/ { df = val($0) + 0 }
	info && sub_ && /DW_AT_declaration/ { decl = 1 }
	END {
		flush()
		for (i = 1; i <= n; i++) {
			split(fn[i], f, SUBSEP)
			path = file[f[1], f[3]]
			if (path ~ /(^|\/)core\/[^\/]*\.h$/) {
				k = split(path, p, "/")
				print f[1], "inline", f[2], p[k]
			}
		}
	}' | sort -u
}

# included OBJECT...: "OBJECT include - HEADER" for each core header (core/NAME.h, not the public
# core/include/psd/) an object's source includes, from its dependency file (OBJECT.d)
included() {
	for o in "$@"; do
		echo "${o%.o}.d"
	done | xargs awk '
	FNR == 1 { o = FILENAME; sub(/\.d$/, ".o", o) }
	/^[^ \t]*:/ && FNR > 1 { next } # the empty rules -MP adds
	{
		for (i = 1; i <= NF; i++)
			if ($i ~ /(^|\/)core\/[^\/]*\.h$/) {
				k = split($i, p, "/")
				print o, "include", "-", p[k]
			}
	}' | sort -u
}

status=0
for o in "$@"; do
	name=$(basename "$o" .o)
	if ! grep -q "^$name " "$tmp/names"; then
		echo "lint-layers: $o: not in $layers (list it as the dispatcher, the view, a module" \
			"or a leaf)" >&2
		status=1
	fi
	if [ ! -f "${o%.o}.d" ]; then
		echo "lint-layers: $o: no dependency file ${o%.o}.d (built without -MMD): its" \
			"includes cannot be seen" >&2
		status=1
	fi
done
readelf --sections "$@" 2>/dev/null | awk '/^File: / { if (o != "" && !d) print o; o = $2; d = 0 }
	/\.debug_info/ { d = 1 } END { if (o != "" && !d) print o }' > "$tmp/nodebug"
while read -r o; do
	echo "lint-layers: $o: no debug information (built without -g): the calls through inline" \
		"functions cannot be seen" >&2
	status=1
done < "$tmp/nodebug"
[ $status -eq 0 ] || { echo "lint-layers: FAILED" >&2; exit 1; }

# "OBJECT call SYMBOL OWNER" for each symbol an object leaves undefined that another defines
nm -A "$@" | awk '
	{ split($1, p, ":"); o = p[1]; n = o; sub(/.*\//, "", n); sub(/\.o$/, "", n) }
	NF == 3 && $2 ~ /^[A-Z]$/ && $2 != "U" { owner[$3] = n; next }
	$(NF - 1) == "U" { want[++k] = o SUBSEP $NF }
	END {
		for (i = 1; i <= k; i++) {
			split(want[i], w, SUBSEP)
			if (w[2] in owner)
				print w[1], "call", w[2], owner[w[2]]
		}
	}' | sort -u > "$tmp/refs"
inline_calls "$@" >> "$tmp/refs"
included "$@" >> "$tmp/refs"
check < "$tmp/refs" || status=1
if [ $status -ne 0 ]; then
	echo "lint-layers: FAILED: a reference against the layers of $layers" >&2
	exit 1
fi
echo "lint-layers: $# core objects: $(grep -c ' call ' "$tmp/refs") calls between them," \
	"$(grep -c ' inline ' "$tmp/refs") header functions compiled into them and" \
	"$(grep -c ' include ' "$tmp/refs") core headers included, each within the layers"
