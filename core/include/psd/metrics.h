/*
 * Read-only views of the core for operators: the Prometheus text exposition (format 0.0.4) of
 * its counters, and the health verdict behind /health and systemd's STATUS= (psd/health.h). Pure: the text goes
 * into the caller's buffer, time is handed in. docs/metrics.md lists every family.
 */
#ifndef PSD_METRICS_H
#define PSD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "psd/core.h"
#include "psd/health.h"


struct psd_metrics_info {
	const char *version;        /* portsyncd_build_info{version} */
	uint64_t start_time_unix_ns; /* the process's start, wall clock */
	uint64_t now_ns;            /* monotonic, as handed to the core */
	uint64_t log_output_dropped; /* log records the adapter's output queue dropped */
};

/* Renders the exposition into buf, NUL-terminated. Returns its length, or size when it did not
 * fit: the caller renders again into a larger buffer. */
size_t psd_metrics_render(const struct psd_core *c, const struct psd_metrics_info *info, char *buf,
			  size_t size);

#endif
