/*
 * The latency histograms' buckets and their counting (histogram.h): a leaf the modules that
 * measure (observe.c), the alert history and the view that renders (metrics.c) share. The bounds ascend; a value
 * above the last goes to the +Inf bucket.
 */
#include "histogram.h"

const uint64_t psd_hist_bounds_ns[PSD_HIST_BUCKETS] = {
	10000,      20000,      30000,      40000,      50000,      75000,     100000,
	150000,     200000,     300000,     400000,     500000,     750000,    1000000,
	2500000,    5000000,    10000000,   25000000,   50000000,   100000000, 250000000,
	500000000,  1000000000, 2500000000, 5000000000, 10000000000,
};

void psd_histogram_observe(struct psd_histogram *h, uint64_t ns)
{
	uint32_t i = 0;
	while (i < PSD_HIST_BUCKETS && ns > psd_hist_bounds_ns[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_ns += ns;
}
