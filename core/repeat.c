/* A repeated condition's log (see repeat.h). */
#include "repeat.h"

#include "psd/limits.h"
#include "psd_assert.h"

enum psd_repeat_say psd_repeat_note(struct psd_repeat *r, uint64_t now_ns)
{
	r->count++;
	if (!r->active) {
		r->active = true;
		r->since_ns = now_ns;
		r->logged = r->count;
		r->next_line_ns = now_ns + PSD_LOG_REPEAT_NS;
		return PSD_REPEAT_FIRST;
	}
	if (now_ns < r->next_line_ns)
		return PSD_REPEAT_QUIET;
	r->next_line_ns = now_ns + PSD_LOG_REPEAT_NS;
	return PSD_REPEAT_SUMMARY;
}

uint64_t psd_repeat_untold(struct psd_repeat *r)
{
	PSD_ASSERT(r->logged <= r->count);
	uint64_t n = r->count - r->logged;
	r->logged = r->count;
	return n;
}

uint64_t psd_repeat_end(struct psd_repeat *r)
{
	uint64_t total = r->count;
	*r = (struct psd_repeat){0};
	return total;
}
