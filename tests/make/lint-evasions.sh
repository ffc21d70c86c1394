#!/bin/sh
# make lint must fail on each way past a word grep: a header included without a space, calls the
# old grep did not list (fwrite, syscall, strdup, raise), a name pasted together by a macro; on a
# module that calls another module, spelt plainly, pasted by a macro or through a static inline
# function of the other module's header; on a module or a leaf that calls the view, and a leaf
# that calls a module; on an include arrow up or sideways (a leaf or a module reading another's
# state through its header, a module including engine_view.h or engine_state.h); on an object without debug
# information; and on each way past the size limits (a function of 81 lines, its brace on the
# signature's line or in a header, a file of 901 lines, a .gen.c without its .rl, an allowlist
# entry without a reason or no longer needed).
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
	$LINT_CC ${extra_cflags:-} -c -o "$2.o" "$2.c" 2> "$tmp/$1.cc" && return 0
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

# layers: each reference against core/layers is caught from the objects, however it is spelt.
# layer_plant NAME EXPECTED WHAT: NAME.c (stdin), compiled as core code, stands in for the real
# NAME.o; lint-layers must fail with a line "lint-layers: <the object>EXPECTED...".
layer_plant() {
	mkdir -p "$tmp/$1"
	compile "$1" "$tmp/$1/$1" || return
	rest=$(printf '%s\n' $objects | grep -v "/$1\.o$")
	# shellcheck disable=SC2086
	tools/lint-layers.sh core/layers $rest "$tmp/$1/$1.o" > "$tmp/$1.out" 2>&1
	status=$?
	if [ $status -eq 1 ] && grep -qF "lint-layers: $tmp/$1/$1.o$2" "$tmp/$1.out"; then
		passed=$((passed + 1))
		echo "lint-evasions: $3 caught"
	else
		failed=$((failed + 1))
		echo "lint-evasions: FAILED: $3 not caught (exit $status, expected '$2'):" >&2
		cat "$tmp/$1.out" >&2
	fi
}
# sideways NAME SYMBOL: module NAME's call of SYMBOL
sideways() {
	layer_plant "$1" " (module) calls $2 " "sideways call from $1: $2"
}
sideways startup psd_links_sweep <<'C'
#include "links.h"
void psd_planted(struct psd_ctx *c, struct psd_links *lk);
void psd_planted(struct psd_ctx *c, struct psd_links *lk) { psd_links_sweep(c, lk, 0, false); }
C
sideways resync psd_links_rewrite_all <<'C'
#include "links.h"
#define CALL(m, f) psd_##m##_##f
void psd_planted(struct psd_ctx *c, struct psd_links *lk);
void psd_planted(struct psd_ctx *c, struct psd_links *lk) { CALL(links, rewrite_all)(c, lk); }
C
sideways links psd_recovery_verifying <<'C'
#include "recovery.h"
bool psd_planted(const struct psd_ctx *c, const struct psd_recovery *rec);
bool psd_planted(const struct psd_ctx *c, const struct psd_recovery *rec)
{
	return psd_recovery_verifying(c, rec);
}
C
# a static inline function of another module's header: no undefined symbol, only the debug
# information says whose it is
sideways startup psd_alert_held <<'C'
#include "alerts.h"
const char *psd_planted(const struct psd_alert *x);
const char *psd_planted(const struct psd_alert *x) { return psd_alert_held(x); }
C
# a module may not call the view (only the engine does)
sideways warm psd_view_status <<'C'
#include "view.h"
size_t psd_planted(const struct psd_view *v, char *buf, size_t size);
size_t psd_planted(const struct psd_view *v, char *buf, size_t size)
{
	return psd_view_status(v, buf, size);
}
C
# an include arrow up or sideways: a leaf or a module reading another's state through its header
# (no call at all). upward_include NAME LAYER HEADER
upward_include() {
	layer_plant "$1" " ($2) includes core/$3 " "include of core/$3 from $1 ($2)"
}
upward_include port_stats leaf links.h <<'C'
#include "links.h"
unsigned psd_planted(const struct psd_links *lk);
unsigned psd_planted(const struct psd_links *lk) { return lk->parked; }
C
upward_include warm module engine_view.h <<'C'
#include "engine_view.h"
unsigned psd_planted(const struct psd_core *c);
unsigned psd_planted(const struct psd_core *c) { return c->inflight; }
C
upward_include links module engine_state.h <<'C'
#include "engine_state.h"
unsigned psd_planted(const struct psd_core *c);
unsigned psd_planted(const struct psd_core *c) { return c->lazy; }
C
upward_include recovery module startup.h <<'C'
#include "startup.h"
int psd_planted(const struct psd_startup *su);
int psd_planted(const struct psd_startup *su) { return (int)su->phase; }
C

# nor a leaf (leafward NAME SYMBOL: leaf NAME's call of SYMBOL)
leafward() {
	layer_plant "$1" " (leaf) calls $2 " "upward call from leaf $1: $2"
}
leafward outbox psd_view_health <<'C'
#include "view.h"
int psd_planted(const struct psd_view *v, char *why, size_t size);
int psd_planted(const struct psd_view *v, char *why, size_t size)
{
	return (int)psd_view_health(v, 0, why, size);
}
C
leafward emit psd_startup_phase <<'C'
#include "startup.h"
int psd_planted(const struct psd_startup *su);
int psd_planted(const struct psd_startup *su) { return (int)psd_startup_phase(su); }
C

# an object built without debug information would hide every inline call: refused
extra_cflags=-g0
layer_plant text ": no debug information" "an object without debug information" <<'C'
int psd_planted(int x);
int psd_planted(int x) { return x + 1; }
C
extra_cflags=

# size: each way past the limits is caught (tools/lint-size.sh), on a planted tree
size_case() {
	what=$1
	expected=$2
	dir=$tmp/size-$what
	tools/lint-size.sh "$dir/allow" "$dir/src" > "$tmp/size-$what.out" 2>&1
	status=$?
	if [ $status -eq 1 ] && grep -qF "lint-size: $expected" "$tmp/size-$what.out"; then
		passed=$((passed + 1))
		echo "lint-evasions: size: $what caught: $(grep -m1 -F "lint-size: $expected" \
			"$tmp/size-$what.out" | sed "s|$tmp/||")"
	else
		failed=$((failed + 1))
		echo "lint-evasions: FAILED: size: $what not caught (exit $status, expected" \
			"'$expected'):" >&2
		cat "$tmp/size-$what.out" >&2
	fi
}
# size_tree WHAT: an empty planted tree (src/, an allowlist with its header only)
size_tree() {
	mkdir -p "$tmp/size-$1/src"
	echo "# planted" > "$tmp/size-$1/allow"
}
# body N: a function body of N lines in all (signature and braces included)
body() {
	echo "int psd_planted(int x)"
	echo "{"
	i=3
	while [ $i -lt "$1" ]; do
		echo "	x += $i;"
		i=$((i + 1))
	done
	echo "}"
}
size_tree long_function
body 81 > "$tmp/size-long_function/src/a.c"
size_case long_function "$tmp/size-long_function/src/a.c:psd_planted: 81 lines, over 80"
size_tree brace_on_signature
body 82 | sed -e '1s/$/ {/' -e '2d' > "$tmp/size-brace_on_signature/src/a.c"
size_case brace_on_signature "$tmp/size-brace_on_signature/src/a.c:psd_planted: 81 lines, over 80"
size_tree inline_in_header
{ echo "static inline int psd_planted(int x)"; body 81 | sed 1d; } \
	> "$tmp/size-inline_in_header/src/a.h"
size_case inline_in_header "$tmp/size-inline_in_header/src/a.h:psd_planted: 81 lines, over 80"
size_tree long_file
i=0
while [ $i -lt 901 ]; do
	echo "/* line $i */"
	i=$((i + 1))
done > "$tmp/size-long_file/src/a.c"
size_case long_file "$tmp/size-long_file/src/a.c: 901 lines, over 900"
size_tree gen_without_rl
body 81 > "$tmp/size-gen_without_rl/src/a.gen.c"
size_case gen_without_rl "$tmp/size-gen_without_rl/src/a.gen.c:psd_planted: 81 lines, over 80"
size_tree no_reason
body 81 > "$tmp/size-no_reason/src/a.c"
printf '%s\n' "$tmp/size-no_reason/src/a.c:psd_planted" >> "$tmp/size-no_reason/allow"
size_case no_reason \
	"$tmp/size-no_reason/allow:2: $tmp/size-no_reason/src/a.c:psd_planted: no reason given"
size_tree stale_entry
body 80 > "$tmp/size-stale_entry/src/a.c"
printf '%s\t%s\n' "$tmp/size-stale_entry/src/a.c:psd_planted" "a table" \
	>> "$tmp/size-stale_entry/allow"
size_case stale_entry \
	"$tmp/size-stale_entry/allow: $tmp/size-stale_entry/src/a.c:psd_planted is within its limit"
# an allowlisted table passes, and so does the real tree
size_tree allowed_table
body 81 > "$tmp/size-allowed_table/src/a.c"
printf '%s\t%s\n' "$tmp/size-allowed_table/src/a.c:psd_planted" "a table" \
	>> "$tmp/size-allowed_table/allow"
if tools/lint-size.sh "$tmp/size-allowed_table/allow" "$tmp/size-allowed_table/src" \
	> "$tmp/size-allowed.out" 2>&1 && tools/lint-size.sh tools/size-allowlist core lib \
	> "$tmp/size-real.out" 2>&1; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "lint-evasions: FAILED: an allowed table, or the real core and lib, do not pass:" >&2
	cat "$tmp/size-allowed.out" "$tmp/size-real.out" >&2
fi

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
