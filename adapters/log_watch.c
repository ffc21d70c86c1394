/*
 * The log output on the daemon's loop (lib/log.h). While records wait for the output, an io
 * source watches its descriptor for writability, or, while syslog is unreachable (or the
 * descriptor is one epoll cannot watch), a timer tries again after PSD_LOG_RETRY_NS; each wake-up
 * writes what the output takes. Records that came in a turn, with the output taking them, are
 * written at its end (an end-of-turn callback): a turn's lines in one write. With nothing queued
 * it watches nothing: an idle daemon sleeps.
 * Invariant: the io source, when there is one, watches the descriptor the log names now (the
 * log tells before it closes one).
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include "adapters.h"

struct psd_log_watch {
	struct psd_loop *loop;
	struct psd_loop_source io; /* in the loop (io.loop set) while it watches io.fd */
	struct psd_loop_source retry;
	struct psd_loop_source turn; /* at the end of the turn in which records came */
};

static void on_ready(void *ctx, uint32_t revents)
{
	psd_log_flush();
}

/* What the log waits for now, watched; nothing it does not. No logging here: it would call
 * back into this function. */
static void changed(void *ctx)
{
	struct psd_log_watch *w = ctx;
	int fd;
	enum psd_log_wait what = psd_log_waiting(&fd);
	bool retry = what == PSD_LOG_WAIT_RETRY;

	if (what == PSD_LOG_WAIT_TURN)
		psd_loop_defer_set(&w->turn, PSD_DEFER_ONCE);

	if (w->io.loop != NULL && (what != PSD_LOG_WAIT_WRITABLE || fd != w->io.fd))
		psd_loop_remove(&w->io);
	if (what == PSD_LOG_WAIT_WRITABLE && w->io.loop == NULL) {
		psd_loop_io(w->loop, &w->io, fd, PSD_LOOP_PRIORITY_NORMAL, on_ready, w);
		if (psd_loop_io_events(&w->io, EPOLLOUT) < 0) {
			psd_loop_remove(&w->io);
			retry = true; /* epoll refuses it (it cannot fill up): try again later */
		}
	}
	if (!retry) {
		psd_loop_timer_at(&w->retry, UINT64_MAX);
	} else if (w->retry.deadline_ns == UINT64_MAX) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t now_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		psd_loop_timer_at(&w->retry, now_ns + PSD_LOG_RETRY_NS);
	}
}

struct psd_log_watch *psd_log_watch_open(struct psd_loop *loop, char *err, size_t size)
{
	struct psd_log_watch *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		psd_errorf(err, size, "log output: out of memory");
		return NULL;
	}
	w->loop = loop;
	psd_loop_timer(loop, &w->retry, PSD_LOOP_PRIORITY_NORMAL, on_ready, w);
	psd_loop_defer(loop, &w->turn, on_ready, w);
	psd_log_watch(changed, w);
	return w;
}

struct psd_log_watch *psd_log_watch_close(struct psd_log_watch *w)
{
	if (w == NULL)
		return NULL;
	psd_log_watch(NULL, NULL);
	psd_log_drain(PSD_LOG_DRAIN_MS);
	psd_loop_remove(&w->io);
	psd_loop_remove(&w->retry);
	psd_loop_remove(&w->turn);
	free(w);
	return NULL;
}
