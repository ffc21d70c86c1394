/*
 * The log output on the daemon's loop (lib/log.h). While records wait for the output, an io
 * source watches its descriptor for writability, or, while syslog is unreachable (or the
 * descriptor is one epoll cannot watch), a timer tries again after PSD_LOG_RETRY_NS; each wake-up
 * writes what the output takes. With nothing queued it watches nothing: an idle daemon sleeps.
 * Invariant: the io source, when there is one, watches the descriptor the log names now (the
 * log tells before it closes one).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "adapters.h"

struct psd_log_watch {
	sd_event *loop;
	sd_event_source *io; /* NULL: none */
	int io_fd;
	sd_event_source *retry;
};

static int on_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	psd_log_flush();
	return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	psd_log_flush();
	return 0;
}

/* What the log waits for now, watched; nothing it does not. No logging here: it would call
 * back into this function. */
static void changed(void *ctx)
{
	struct psd_log_watch *w = ctx;
	int fd;
	enum psd_log_wait what = psd_log_waiting(&fd);
	bool retry = what == PSD_LOG_WAIT_RETRY;

	if (w->io != NULL && (what != PSD_LOG_WAIT_WRITABLE || fd != w->io_fd))
		w->io = sd_event_source_disable_unref(w->io);
	if (what == PSD_LOG_WAIT_WRITABLE && w->io == NULL) {
		if (sd_event_add_io(w->loop, &w->io, fd, EPOLLOUT, on_writable, w) >= 0)
			w->io_fd = fd;
		else
			retry = true; /* epoll refuses it (it cannot fill up): try again later */
	}
	int enabled = SD_EVENT_OFF;
	sd_event_source_get_enabled(w->retry, &enabled);
	if (!retry) {
		sd_event_source_set_enabled(w->retry, SD_EVENT_OFF);
	} else if (enabled == SD_EVENT_OFF) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t now_usec = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
		sd_event_source_set_time(w->retry, now_usec + PSD_LOG_RETRY_NS / 1000u);
		sd_event_source_set_enabled(w->retry, SD_EVENT_ONESHOT);
	}
}

struct psd_log_watch *psd_log_watch_open(sd_event *loop, char *err, size_t size)
{
	struct psd_log_watch *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		psd_errorf(err, size, "log output: out of memory");
		return NULL;
	}
	w->loop = loop;
	w->io_fd = -1;
	int r = sd_event_add_time(loop, &w->retry, CLOCK_MONOTONIC, UINT64_MAX,
				  PSD_LOG_RETRY_NS / 1000u / 10, on_retry, w);
	if (r < 0 || (r = sd_event_source_set_enabled(w->retry, SD_EVENT_OFF)) < 0) {
		psd_errorf(err, size, "log output: cannot set up its retry timer: %s", strerror(-r));
		return psd_log_watch_close(w);
	}
	psd_log_watch(changed, w);
	return w;
}

struct psd_log_watch *psd_log_watch_close(struct psd_log_watch *w)
{
	if (w == NULL)
		return NULL;
	psd_log_watch(NULL, NULL);
	psd_log_drain(PSD_LOG_DRAIN_MS);
	w->io = sd_event_source_disable_unref(w->io);
	w->retry = sd_event_source_disable_unref(w->retry);
	free(w);
	return NULL;
}
