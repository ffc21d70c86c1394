/*
 * A repeated condition's log (a leaf): the first occurrence is logged in full by its owner; the
 * later ones are counted, and a summary with their count is due once PSD_LOG_REPEAT_NS has passed
 * since the last line, at the next occurrence (a condition that stops happening needs no timer:
 * its end is logged with the total). Used for connection attempts that keep failing, refusals,
 * and the like: a Redis away for an hour makes a handful of lines, not thousands.
 *
 * Invariants: summarised <= count; next_line_ns is set while active.
 */
#ifndef PSD_REPEAT_H
#define PSD_REPEAT_H

#include <stdbool.h>
#include <stdint.h>

struct psd_repeat {
	bool active;           /* occurring since since_ns */
	uint64_t since_ns;
	uint64_t count;        /* occurrences since since_ns */
	uint64_t logged;       /* occurrences told, in full or in a summary */
	uint64_t next_line_ns; /* no summary before this */
};

enum psd_repeat_say {
	PSD_REPEAT_FIRST,   /* log it in full */
	PSD_REPEAT_SUMMARY, /* log a summary: psd_repeat_untold() occurrences since the last line */
	PSD_REPEAT_QUIET,   /* counted only */
};

/* One occurrence at now: what to say of it. */
enum psd_repeat_say psd_repeat_note(struct psd_repeat *r, uint64_t now_ns);
/* Occurrences not yet told; telling them (a summary) marks them told. */
uint64_t psd_repeat_untold(struct psd_repeat *r);
/* The condition ended: its total count (0 when it never occurred), and it is reset. */
uint64_t psd_repeat_end(struct psd_repeat *r);

#endif
