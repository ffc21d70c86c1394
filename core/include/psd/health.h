/*
 * The daemon's health, as /health, systemd's STATUS= and portsyncd_health say it: the verdict
 * and its reason, decided in one place (core/view.c) from the core's state at a time handed in.
 */
#ifndef PSD_HEALTH_H
#define PSD_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "psd/core.h"

enum psd_health {
	PSD_HEALTH_OK,
	PSD_HEALTH_DEGRADED, /* a database unreachable, a netlink re-dump pending, starting */
	PSD_HEALTH_FAILING,  /* a database unreachable past its limit, or Redis stalled */
	_PSD_HEALTH_MAX,
};

const char *psd_health_name(enum psd_health h);
/* The verdict at now_ns, and why ("" when ok) in why (NUL-terminated, truncated to size). */
enum psd_health psd_core_health(const struct psd_core *c, uint64_t now_ns, char *why,
				size_t size);

#endif
