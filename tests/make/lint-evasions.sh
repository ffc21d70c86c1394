#!/bin/sh
# make lint must fail on each way past a word grep: a header included without a space, calls the
# old grep did not list (fwrite, syscall, strdup, raise), a name pasted together by a macro; and
# on a module that calls another module, spelt plainly or pasted by a macro.
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

# compile NAME PATH: compiles PATH.c (read from stdin) into PATH.o as core code; false (and the
# failure counted) when it does not compile.
compile() {
	cat > "$2.c"
	# shellcheck disable=SC2086
	$LINT_CC -c -o "$2.o" "$2.c" 2> "$tmp/$1.cc" && return 0
	failed=$((failed + 1))
	echo "lint-evasions: FAILED: $1 does not compile:" >&2
	cat "$tmp/$1.cc" >&2
	return 1
}

# plant NAME EXPECTED: compiles $tmp/NAME.c (read from stdin) and expects the lint to fail
# with a line naming EXPECTED.
plant() {
	compile "$1" "$tmp/$1" || return
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

# layers: a module that calls another module, however the call is spelt, is caught from the
# objects' symbol tables. sideways NAME SYMBOL: NAME.o stands in for the real module's object.
sideways() {
	mkdir -p "$tmp/$1"
	compile "$1" "$tmp/$1/$1" || return
	rest=$(printf '%s\n' $objects | grep -v "/$1\.o$")
	# shellcheck disable=SC2086
	tools/lint-layers.sh core/layers $rest "$tmp/$1/$1.o" > "$tmp/$1.out" 2>&1
	status=$?
	if [ $status -eq 1 ] && grep -q "^lint-layers: $tmp/$1/$1.o (module) calls $2 " "$tmp/$1.out"; then
		passed=$((passed + 1))
		echo "lint-evasions: sideways call from $1 caught: $2"
	else
		failed=$((failed + 1))
		echo "lint-evasions: FAILED: $1's call of $2 not caught (exit $status):" >&2
		cat "$tmp/$1.out" >&2
	fi
}
sideways startup psd_links_sweep <<'C'
#include "engine.h"
void psd_planted(struct psd_core *c);
void psd_planted(struct psd_core *c) { psd_links_sweep(c, 0, false); }
C
sideways resync psd_links_rewrite_all <<'C'
#include "engine.h"
#define CALL(m, f) psd_##m##_##f
void psd_planted(struct psd_core *c);
void psd_planted(struct psd_core *c) { CALL(links, rewrite_all)(c); }
C
sideways links psd_recovery_verifying <<'C'
#include "engine.h"
bool psd_planted(const struct psd_core *c);
bool psd_planted(const struct psd_core *c) { return psd_recovery_verifying(c); }
C

# and the real core alone passes
# shellcheck disable=SC2086
if tools/lint-layers.sh core/layers $objects > "$tmp/layers.out" 2>&1; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "lint-evasions: FAILED: the core's layers do not pass:" >&2
	cat "$tmp/layers.out" >&2
fi
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
