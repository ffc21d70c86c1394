/*
 * The alert module's texts of numbers (a part of the alert module, alert_parts.h): a value kept
 * in thousandths, or any fixed-point number, in decimal without trailing zeros, and a rule's
 * threshold (one value, or low..high), as the transition line and the STATE_DB entry write them.
 * No state.
 */
#include "alert_parts.h"
#include "text.h"

/* v / 10^digits in decimal, without trailing zeros: 1500 (3) -> 1.5. */
void psd_alert_text_fixed(struct psd_text *t, int64_t v, unsigned digits)
{
	uint64_t scale = 1, mag;
	char frac[24];
	for (unsigned i = 0; i < digits; i++)
		scale *= 10;
	if (v < 0)
		psd_text_str(t, "-");
	mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	psd_text_u64(t, mag / scale);
	if (mag % scale == 0)
		return;
	size_t n = psd_u64_to_dec(scale + mag % scale, frac); /* "1" and the digits */
	while (frac[n - 1] == '0')
		n--;
	frac[0] = '.';
	psd_text_mem(t, frac, n);
}

void psd_alert_text_threshold(struct psd_text *t, const struct psd_alert_rule *r)
{
	if (r->condition == PSD_COND_INSIDE || r->condition == PSD_COND_OUTSIDE) {
		psd_alert_text_fixed(t, r->low, 3);
		psd_text_str(t, "..");
		psd_alert_text_fixed(t, r->high, 3);
		return;
	}
	psd_alert_text_fixed(t, r->threshold, 3);
}
