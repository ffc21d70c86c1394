#!/bin/sh
# The core is pure: no clock, no system calls, no randomness, no stdio, no allocation. Checked on
# what the compiler made of it, not on how the source spells it: every symbol a core object
# leaves undefined (nm -u) must be defined by another core object or be on the allowlist below;
# and no source or header an object was built from (its -MMD dependency file) includes a libc
# header of I/O, time, processes or allocation. Usage: lint-core.sh CORE_OBJECT...
#
# The allowlist, each entry for a reason:
#   memcpy memmove memset memcmp memchr strlen strnlen strcmp strncmp
#           pure functions of their arguments; gcc also emits memcpy and memset for struct copies
#           and initialisers on its own
#   __memcpy_chk __memmove_chk __memset_chk
#           the same three, fortified (-D_FORTIFY_SOURCE=3) where the size is known only at run time
#   __stack_chk_fail
#           the stack protector's (-fstack-protector-strong) report of a smashed canary: it aborts,
#           as a failed assertion would
# PSD_ASSERT traps (__builtin_trap), so no __assert_fail; nothing else is allowed.
set -u
allowed='memcpy memmove memset memcmp memchr strlen strnlen strcmp strncmp __memcpy_chk
__memmove_chk __memset_chk __stack_chk_fail'
headers='stdio|stdlib|time|unistd|signal|fcntl|syslog|pthread|threads|dlfcn|malloc|poll|setjmp|sys/[a-z_/]+'

if [ $# -eq 0 ]; then
	echo "lint: usage: lint-core.sh CORE_OBJECT..." >&2
	exit 2
fi
for o in "$@"; do
	if [ ! -f "$o" ]; then
		echo "lint: $o: missing (make builds it)" >&2
		exit 2
	fi
done
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
# the core's own symbols: whatever any of its objects defines
nm --defined-only "$@" | awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' | sort -u > "$tmp/defined"
printf '%s\n' $allowed | sort -u >> "$tmp/defined"
sort -u -o "$tmp/defined" "$tmp/defined"
status=0
for o in "$@"; do
	nm -u "$o" | awk '{ print $NF }' | sort -u > "$tmp/undefined"
	for s in $(comm -23 "$tmp/undefined" "$tmp/defined"); do
		echo "lint: $o uses $s" >&2
		status=1
	done
	d=${o%.o}.d
	if [ ! -f "$d" ]; then
		echo "lint: $d: missing (objects are built with -MMD)" >&2
		status=1
		continue
	fi
	# the source and every header of ours it includes, from the dependency file's first rule
	files=$(sed -n '1,/[^\\]$/p' "$d" | sed 's/^[^:]*://; s/\\$//' | tr ' ' '\n' | sed '/^$/d')
	for f in $files; do
		grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($headers)\.h>" "$f" |
			while IFS= read -r hit; do
				echo "lint: $o includes, in $f:$hit" >&2
			done
		grep -qE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($headers)\.h>" "$f" && status=1
	done
done
if [ $status -ne 0 ]; then
	echo "lint: FAILED: the core must stay pure (no clock, syscalls, randomness, stdio or allocation)" >&2
	exit 1
fi
echo "lint: $# core objects use only each other and $(printf '%s ' $allowed | wc -w) allowed libc symbols; no forbidden header"
