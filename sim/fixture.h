/*
 * Fixtures: a field bug as a replayable scenario (docs/fixtures.md). A fixture is text, one step
 * per line: database contents and netdevs before the start, then netlink events and faults in
 * delivery order, with expectations placed where they must hold. Lines prefixed `field:` or
 * `compat:` belong to that mode only; a `sim:` prefix (before those) marks a line that holds in
 * the deterministic world only, such as an exact message count, which real runs skip.
 *
 * psd_fixture_parse() checks the whole text first (every error names its line and what is
 * wrong) and never aborts on bad input; psd_fixture_run() then drives the real core through the
 * deterministic world and reports every expectation that failed, as expected-versus-actual.
 *
 * Limits: PSD_FIXTURE_LINE_MAX bytes per line, PSD_FIXTURE_STEPS_MAX steps,
 * PSD_FIXTURE_FIELDS_MAX fields per hash, PSD_FIXTURE_DUMP_MAX links per dump.
 */
#ifndef PSD_SIM_FIXTURE_H
#define PSD_SIM_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PSD_FIXTURE_LINE_MAX 1024u
#define PSD_FIXTURE_STEPS_MAX 4096u
#define PSD_FIXTURE_FIELDS_MAX 32u
#define PSD_FIXTURE_DUMP_MAX 256u
/* A replayed dump answer waits for the core to ask for a dump: at most this many timer firings */
#define PSD_FIXTURE_DUMP_WAIT_TICKS 64u
#define PSD_FIXTURE_TEXT_MAX 64u /* a name, key, value or expected text */
#define PSD_FIXTURE_MTU_MAX (1u << 24)
#define PSD_FIXTURE_NAME_MAX 256u /* a fixture's path as messages name it (longer ones are cut) */

struct psd_fixture;

/* NULL with *why set (file:line: what) when the text is not a valid fixture. */
struct psd_fixture *psd_fixture_parse(const char *name, const char *text, size_t len,
				      char *why, size_t why_size);
/* Whether the fixture has lines for compat mode (then it is run in both modes). */
bool psd_fixture_has_compat(const struct psd_fixture *f);
/* Runs it in one mode; the failed expectations are written to out. Returns how many failed. */
/* commands: NULL, or where every command sent is written as MONITOR prints it */
unsigned psd_fixture_run(const struct psd_fixture *f, bool compat, FILE *out, FILE *commands);
void psd_fixture_free(struct psd_fixture *f);

#endif
