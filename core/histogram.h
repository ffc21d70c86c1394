/* The latency histograms' buckets (struct psd_histogram, psd/core.h): histogram.c. */
#ifndef PSD_HISTOGRAM_H
#define PSD_HISTOGRAM_H

#include <stdint.h>

#include "psd/core.h"

/* Upper bounds of the latency histogram buckets, in ns (10 us .. 10 s); +Inf follows. */
extern const uint64_t psd_hist_bounds_ns[PSD_HIST_BUCKETS];
void psd_histogram_observe(struct psd_histogram *h, uint64_t ns);

#endif
