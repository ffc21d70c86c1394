#!/bin/sh
# Small files and small functions: no hand-written C file (.c) over 900 lines, no function (in a
# .c or a .h) over 80 lines, counted from the first line of its signature to its closing brace.
# Generated sources are not hand-written: a .gen.c with its .rl beside it is skipped. A table (or
# anything else) may be longer only by an entry of the allowlist, one a line:
#     PATH<tab>REASON              the file PATH may be over 900 lines
#     PATH:FUNCTION<tab>REASON     the function may be over 80 lines
# An entry needs a reason and must still be needed: an entry without one, or one that no longer
# matches a file or function over the limit, fails too.
# A function is found as the house style writes it: its signature starts at the first column, its
# body ends with a `}` at the first column; its body opens with a `{` at the first column or at
# the end of the signature's last line.
# Usage: lint-size.sh ALLOWLIST DIR...
set -u
if [ $# -lt 2 ]; then
	echo "lint-size: usage: lint-size.sh ALLOWLIST DIR..." >&2
	exit 2
fi
allow=$1
shift
[ -f "$allow" ] || { echo "lint-size: $allow: missing" >&2; exit 2; }
FILE_MAX=900
FUNCTION_MAX=80
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

status=0
# the allowlist: entries without a reason fail
awk -F'\t' -v f="$allow" '!/^#/ && NF > 0 {
	if (NF < 2 || $2 ~ /^[ \t]*$/) {
		print "lint-size: " f ":" NR ": " $1 ": no reason given" > "/dev/stderr"
		bad = 1
	} else
		print $1
	}
	END { exit bad }' "$allow" > "$tmp/allowed" || status=1

find "$@" -type f \( -name '*.c' -o -name '*.h' \) | sort > "$tmp/files"
: > "$tmp/over"
files=0
functions=0
while read -r f; do
	case $f in
	*.gen.c) [ -f "${f%.gen.c}.rl" ] && continue ;;
	esac
	files=$((files + 1))
	case $f in
	*.c)
		n=$(wc -l < "$f")
		[ "$n" -gt $FILE_MAX ] && echo "$f $n" >> "$tmp/over"
		;;
	esac
	awk -v f="$f" -v max=$FUNCTION_MAX '
	/^[A-Za-z_].*\(/ && !/;[ \t]*$/ && !in_body { sig = FNR; name = $0; sub(/\(.*/, "", name);
		n = split(name, w, /[ \t*]+/); name = w[n] }
	/^\{[ \t]*$/ && sig && !in_body { in_body = 1 }
	/^[A-Za-z_].*\)[ \t]*\{[ \t]*$/ && !in_body && !/=/ { in_body = 1 }
	/^\}/ && in_body { count++; if (FNR - sig + 1 > max) print f ":" name, FNR - sig + 1;
		in_body = 0; sig = 0 }
	/^[ \t]*$/ && !in_body { sig = 0 }
	END { print "@count", count + 0 }' "$f" > "$tmp/one"
	functions=$((functions + $(sed -n 's/^@count //p' "$tmp/one")))
	grep -v '^@count' "$tmp/one" >> "$tmp/over"
done < "$tmp/files"

while read -r what n; do
	if grep -qxF "$what" "$tmp/allowed"; then
		echo "$what" >> "$tmp/used"
		continue
	fi
	case $what in
	*:*) echo "lint-size: $what: $n lines, over $FUNCTION_MAX: split it into named pieces" >&2 ;;
	*) echo "lint-size: $what: $n lines, over $FILE_MAX: split it by job" >&2 ;;
	esac
	status=1
done < "$tmp/over"
touch "$tmp/used"
while read -r what; do
	grep -qxF "$what" "$tmp/used" && continue
	echo "lint-size: $allow: $what is within its limit (or gone): remove its entry" >&2
	status=1
done < "$tmp/allowed"
if [ $status -ne 0 ]; then
	echo "lint-size: FAILED" >&2
	exit 1
fi
echo "lint-size: $files files, $functions functions in $*: none over $FILE_MAX lines a file or" \
	"$FUNCTION_MAX a function"
