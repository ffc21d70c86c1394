/*
 * The health verdict in systemd's STATUS=: "STATUS=health: <verdict>[: <why>]", checked every
 * PSD_HEALTH_CHECK_USEC and sent when it changes; a new verdict is also logged. It runs whether
 * or not the metrics endpoint serves; the verdict comes from the owner's callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "adapters.h"
#include "psd/lit.h"

#define PSD_HEALTH_CHECK_USEC 1000000ull /* health line re-evaluated for STATUS= */

struct psd_health_status {
	sd_event_source *timer;
	enum psd_health (*health)(void *ctx, char *why, size_t size);
	void *ctx;
	char status[PSD_HEALTH_REASON_MAX + 64];
	enum psd_health verdict; /* the last one sent */
};

/* STATUS=health: <verdict>[: <why>], sent when it changes; a new verdict is also logged. */
static int on_health(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct psd_health_status *h = userdata;
	char why[PSD_HEALTH_REASON_MAX], line[sizeof(h->status)];
	enum psd_health v = h->health(h->ctx, why, sizeof(why));

	snprintf(line, sizeof(line), "STATUS=health: %s%s%s", psd_health_name(v),
		 why[0] != '\0' ? ": " : "", why);
	if (strcmp(line, h->status) != 0) {
		sd_notify(0, line);
		if (v != h->verdict)
			psd_log(v == PSD_HEALTH_FAILING ? PSD_LOG_ERROR :
				v == PSD_HEALTH_DEGRADED ? PSD_LOG_WARN : PSD_LOG_NOTICE,
				"%s", line + PSD_LIT_LEN("STATUS="));
		h->verdict = v;
		snprintf(h->status, sizeof(h->status), "%s", line);
	}
	psd_checked(sd_event_source_set_time(s, usec + PSD_HEALTH_CHECK_USEC), "health: re-arm");
	return 0;
}

struct psd_health_status *psd_health_status_open(sd_event *loop,
						 enum psd_health (*health)(void *ctx, char *why,
									   size_t size),
						 void *ctx, char *err, size_t err_size)
{
	struct psd_health_status *h = calloc(1, sizeof(*h));
	struct timespec ts;

	if (h == NULL) {
		psd_errorf(err, err_size, "health: out of memory");
		return NULL;
	}
	h->health = health;
	h->ctx = ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now_usec = (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
	if (sd_event_add_time(loop, &h->timer, CLOCK_MONOTONIC, now_usec + PSD_HEALTH_CHECK_USEC,
			      PSD_HEALTH_CHECK_USEC / 10, on_health, h) < 0 ||
	    sd_event_source_set_enabled(h->timer, SD_EVENT_ON) < 0) {
		psd_errorf(err, err_size, "metrics: cannot add the health timer");
		return psd_health_status_close(h);
	}
	return h;
}

struct psd_health_status *psd_health_status_close(struct psd_health_status *h)
{
	if (h == NULL)
		return NULL;
	h->timer = sd_event_source_disable_unref(h->timer);
	free(h);
	return NULL;
}
