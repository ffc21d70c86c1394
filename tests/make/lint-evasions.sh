#!/bin/sh
# make lint must fail on each way past a word grep: a header included without a space, calls the
# old grep did not list (fwrite, syscall, strdup, raise), a name pasted together by a macro.
# Each is planted alone in a file compiled as core code beside the real core objects; the lint
# must fail and name the symbol (or the header). LINT_CC is the core's compile command.
# Usage: LINT_CC="cc ... -MMD -MP -Icore/include -Icore" lint-evasions.sh CORE_OBJECT...
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${LINT_CC:?LINT_CC: the command that compiles core objects}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# plant NAME EXPECTED: compiles $tmp/NAME.c (read from stdin) and expects the lint to fail
# with a line naming EXPECTED.
plant() {
	cat > "$tmp/$1.c"
	# shellcheck disable=SC2086
	if ! $LINT_CC -c -o "$tmp/$1.o" "$tmp/$1.c" 2> "$tmp/$1.cc"; then
		failed=$((failed + 1))
		echo "lint-evasions: FAILED: $1 does not compile:" >&2
		cat "$tmp/$1.cc" >&2
		return
	fi
	# shellcheck disable=SC2086
	tools/lint-core.sh $objects "$tmp/$1.o" > "$tmp/$1.out" 2>&1
	status=$?
	if [ $status -eq 1 ] && grep -q "^lint: $tmp/$1.o $2" "$tmp/$1.out"; then
		passed=$((passed + 1))
		echo "lint-evasions: $1 caught: $(grep -m1 "^lint: $tmp/$1.o $2" "$tmp/$1.out" |
			sed "s|$tmp/||")"
	else
		failed=$((failed + 1))
		echo "lint-evasions: FAILED: $1 not caught (lint exit $status, expected 1 and '$2'):" >&2
		cat "$tmp/$1.out" >&2
	fi
}

objects="$*"

plant no_space_include "includes, in $tmp/no_space_include.c:1:#include<stdio.h>" <<'C'
#include<stdio.h>
int psd_planted(const char *s);
int psd_planted(const char *s) { return (int)fwrite(s, 1, 1, stdout); }
C
plant fwrite "uses fwrite" <<'C'
#include <stddef.h>
struct _IO_FILE;
extern size_t fwrite(const void *p, size_t size, size_t n, struct _IO_FILE *f);
int psd_planted(const char *s, struct _IO_FILE *f);
int psd_planted(const char *s, struct _IO_FILE *f) { return (int)fwrite(s, 1, 1, f); }
C
plant syscall "uses syscall" <<'C'
extern long syscall(long number, ...);
long psd_planted(void);
long psd_planted(void) { return syscall(39); }
C
plant strdup "uses strdup" <<'C'
#include <string.h>
char *psd_planted(const char *s);
char *psd_planted(const char *s) { return strdup(s); }
C
plant raise "uses raise" <<'C'
extern int raise(int sig);
int psd_planted(void);
int psd_planted(void) { return raise(6); }
C
plant pasted_write "uses write" <<'C'
#include <stddef.h>
#define W(fd, p, n) wr##ite(fd, p, n)
extern long write(int fd, const void *p, size_t n);
long psd_planted(const char *s);
long psd_planted(const char *s) { return W(1, s, 1); }
C

# and the real core alone passes
# shellcheck disable=SC2086
if tools/lint-core.sh $objects > "$tmp/clean.out" 2>&1; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "lint-evasions: FAILED: the core itself does not pass:" >&2
	cat "$tmp/clean.out" >&2
fi
echo "lint-evasions: $passed passed, $failed failed"
[ $failed -eq 0 ]
