/*
 * The daemon's event loop: epoll, one timerfd armed for the earliest deadline, one signalfd,
 * and callbacks at the end of a loop turn. No library behind it, no thread, no allocation after
 * psd_loop_new().
 *
 * A turn: wait (not at all while a callback is due at the end of the turn), then dispatch what
 * is ready (descriptors as epoll reports them, timers whose deadline has come, signals) in
 * ascending priority (within one, descriptors in the order epoll reported them, timers earliest
 * deadline first); then the end-of-turn callbacks. A source is a struct psd_loop_source its owner embeds and keeps until
 * it removes it.
 *
 * Invariants:
 *  - a source changed or removed during a turn is not dispatched for what was ready before the
 *    change (epoll is level-triggered: what is still ready is reported again at the next turn);
 *  - before every wait, the timerfd is armed for the earliest deadline of the timers that are
 *    on, or for an earlier one at most 2 ms away (it goes off to no timer), and disarmed when
 *    none is on and none is that close; a timer fires at or after its deadline, never before,
 *    and is off when its callback runs (one-shot);
 *  - a descriptor is in epoll exactly while its source watches a non-empty set of events;
 *  - once psd_loop_exit() has been called, nothing more is dispatched and psd_loop_run()
 *    returns the status.
 */
#ifndef PSD_LOOP_H
#define PSD_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/signalfd.h>

/* Priorities: lower runs first within a turn. */
#define PSD_LOOP_PRIORITY_FIRST (-1)  /* before the daemon's own sources */
#define PSD_LOOP_PRIORITY_NORMAL 0
#define PSD_LOOP_PRIORITY_LAST 10     /* after the daemon's own sources */

struct psd_loop;

enum psd_loop_kind { PSD_LOOP_IO, PSD_LOOP_TIMER, PSD_LOOP_DEFER };

/* End-of-turn callbacks: off, at the end of this turn (or of the next, which comes at once)
 * and then off, or at the end of every turn while on (without waking the loop by itself). */
enum psd_loop_defer { PSD_DEFER_OFF, PSD_DEFER_ONCE, PSD_DEFER_EACH_TURN };

struct psd_loop_source {
	struct psd_loop *loop; /* NULL: not added */
	enum psd_loop_kind kind;
	int priority;
	void (*fn)(void *ctx, uint32_t revents); /* revents: epoll's for an io source, else 0 */
	void *ctx;
	int fd;                /* io */
	uint32_t events;       /* io: what epoll watches; 0: not in epoll */
	uint64_t deadline_ns;  /* timer: CLOCK_MONOTONIC; UINT64_MAX: off */
	enum psd_loop_defer defer;
	struct psd_loop_source *next; /* timers and end-of-turn callbacks: the loop's lists */
};

/* NULL when out of memory or descriptors. */
struct psd_loop *psd_loop_new(void);
struct psd_loop *psd_loop_free(struct psd_loop *l);
/* The monotonic time at the start of this turn's dispatch, in ns. */
uint64_t psd_loop_now(const struct psd_loop *l);

/* fd watched for nothing yet (psd_loop_io_events turns it on). */
void psd_loop_io(struct psd_loop *l, struct psd_loop_source *s, int fd, int priority,
		 void (*fn)(void *ctx, uint32_t revents), void *ctx);
/* What epoll watches on the source's fd (EPOLLIN, EPOLLOUT, EPOLLRDHUP...); 0: nothing, the fd
 * leaves epoll. 0, or -errno (epoll refuses a regular file: EPERM). */
int psd_loop_io_events(struct psd_loop_source *s, uint32_t events);
/* A one-shot timer, off. */
void psd_loop_timer(struct psd_loop *l, struct psd_loop_source *s, int priority,
		    void (*fn)(void *ctx, uint32_t revents), void *ctx);
/* Fires at deadline_ns (CLOCK_MONOTONIC; in the past: at the next turn); UINT64_MAX: off. The
 * deadline it has already: nothing changes. */
void psd_loop_timer_at(struct psd_loop_source *s, uint64_t deadline_ns);
/* An end-of-turn callback, off. */
void psd_loop_defer(struct psd_loop *l, struct psd_loop_source *s,
		    void (*fn)(void *ctx, uint32_t revents), void *ctx);
void psd_loop_defer_set(struct psd_loop_source *s, enum psd_loop_defer when);
/* Takes the source out of the loop (nothing when it is not in one). */
void psd_loop_remove(struct psd_loop_source *s);

/* fn for signo, which the caller keeps blocked (sigprocmask) so that only the loop takes it.
 * 0, or -errno. */
int psd_loop_signal(struct psd_loop *l, int signo,
		    void (*fn)(void *ctx, const struct signalfd_siginfo *si), void *ctx);

/* Turns until psd_loop_exit(); its status, or -errno when waiting failed. */
int psd_loop_run(struct psd_loop *l);
void psd_loop_exit(struct psd_loop *l, int status);

#endif
