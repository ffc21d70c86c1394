/* The daemon's event loop (see loop.h for what a turn is and the invariants). */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PSD_LOOP_EVENTS 32               /* epoll events taken per turn */
#define PSD_LOOP_BATCH (2 * PSD_LOOP_EVENTS) /* what one turn dispatches: descriptors, timers */
#define PSD_LOOP_SIGNALS 65              /* signal numbers 1..64 */
#define PSD_LOOP_EARLY_NS 2000000ull     /* a timer this close is not armed later (arm_timerfd) */

struct psd_loop_ready {
	struct psd_loop_source *s; /* NULL: changed or removed since it was found ready */
	uint32_t revents;
};

struct psd_loop {
	int epoll_fd;
	struct psd_loop_source timer_io; /* the timerfd: its readiness is the timers' */
	uint64_t timer_armed_ns;         /* what the timerfd is armed for; UINT64_MAX: nothing */
	struct psd_loop_source signal_io;
	sigset_t signals;
	void (*signal_fn[PSD_LOOP_SIGNALS])(void *ctx, const struct signalfd_siginfo *si);
	void *signal_ctx[PSD_LOOP_SIGNALS];
	struct psd_loop_source *timers;
	struct psd_loop_source *defers;
	struct psd_loop_ready ready[PSD_LOOP_BATCH];
	uint32_t ready_count;
	uint64_t now_ns;
	bool exiting;
	int status;
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* What was found ready for s this turn is forgotten. */
static void unready(struct psd_loop_source *s)
{
	struct psd_loop *l = s->loop;
	for (uint32_t i = 0; l != NULL && i < l->ready_count; i++)
		if (l->ready[i].s == s)
			l->ready[i].s = NULL;
}

static void source_init(struct psd_loop *l, struct psd_loop_source *s, enum psd_loop_kind kind,
			int priority, void (*fn)(void *ctx, uint32_t revents), void *ctx)
{
	*s = (struct psd_loop_source){.loop = l, .kind = kind, .priority = priority, .fn = fn,
				      .ctx = ctx, .fd = -1, .deadline_ns = UINT64_MAX};
}

static void list_remove(struct psd_loop_source **head, struct psd_loop_source *s)
{
	for (struct psd_loop_source **p = head; *p != NULL; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			return;
		}
}

void psd_loop_io(struct psd_loop *l, struct psd_loop_source *s, int fd, int priority,
		 void (*fn)(void *ctx, uint32_t revents), void *ctx)
{
	source_init(l, s, PSD_LOOP_IO, priority, fn, ctx);
	s->fd = fd;
}

int psd_loop_io_events(struct psd_loop_source *s, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = s};
	int op = events == 0 ? EPOLL_CTL_DEL : s->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (s->loop == NULL)
		return -EBADF;
	if (events == s->events)
		return 0;
	unready(s);
	if (epoll_ctl(s->loop->epoll_fd, op, s->fd, &ev) < 0)
		return -errno;
	s->events = events;
	return 0;
}

void psd_loop_timer(struct psd_loop *l, struct psd_loop_source *s, int priority,
		    void (*fn)(void *ctx, uint32_t revents), void *ctx)
{
	source_init(l, s, PSD_LOOP_TIMER, priority, fn, ctx);
	s->next = l->timers;
	l->timers = s;
}

void psd_loop_timer_at(struct psd_loop_source *s, uint64_t deadline_ns)
{
	if (deadline_ns == s->deadline_ns)
		return;
	unready(s);
	s->deadline_ns = deadline_ns;
}

void psd_loop_defer(struct psd_loop *l, struct psd_loop_source *s,
		    void (*fn)(void *ctx, uint32_t revents), void *ctx)
{
	source_init(l, s, PSD_LOOP_DEFER, PSD_LOOP_PRIORITY_NORMAL, fn, ctx);
	s->next = l->defers;
	l->defers = s;
}

void psd_loop_defer_set(struct psd_loop_source *s, enum psd_loop_defer when)
{
	s->defer = when;
}

void psd_loop_remove(struct psd_loop_source *s)
{
	if (s->loop == NULL)
		return;
	if (s->kind == PSD_LOOP_IO)
		psd_loop_io_events(s, 0);
	else if (s->kind == PSD_LOOP_TIMER)
		list_remove(&s->loop->timers, s);
	else
		list_remove(&s->loop->defers, s);
	unready(s);
	s->loop = NULL;
}

/* --- signals --------------------------------------------------------------------------------- */

static void on_signals(void *ctx, uint32_t revents)
{
	struct psd_loop *l = ctx;
	struct signalfd_siginfo si;
	while (!l->exiting && read(l->signal_io.fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo < PSD_LOOP_SIGNALS && l->signal_fn[si.ssi_signo] != NULL)
			l->signal_fn[si.ssi_signo](l->signal_ctx[si.ssi_signo], &si);
}

int psd_loop_signal(struct psd_loop *l, int signo,
		    void (*fn)(void *ctx, const struct signalfd_siginfo *si), void *ctx)
{
	if (signo <= 0 || signo >= PSD_LOOP_SIGNALS)
		return -EINVAL;
	sigaddset(&l->signals, signo);
	if (signalfd(l->signal_io.fd, &l->signals, SFD_NONBLOCK | SFD_CLOEXEC) < 0)
		return -errno;
	l->signal_fn[signo] = fn;
	l->signal_ctx[signo] = ctx;
	return psd_loop_io_events(&l->signal_io, EPOLLIN);
}

/* --- the loop -------------------------------------------------------------------------------- */

struct psd_loop *psd_loop_new(void)
{
	struct psd_loop *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	sigemptyset(&l->signals);
	l->timer_armed_ns = UINT64_MAX;
	l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	psd_loop_io(l, &l->timer_io, timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC),
		    PSD_LOOP_PRIORITY_NORMAL, NULL, l);
	psd_loop_io(l, &l->signal_io, signalfd(-1, &l->signals, SFD_NONBLOCK | SFD_CLOEXEC),
		    PSD_LOOP_PRIORITY_NORMAL, on_signals, l);
	if (l->epoll_fd < 0 || l->timer_io.fd < 0 || l->signal_io.fd < 0 ||
	    psd_loop_io_events(&l->timer_io, EPOLLIN) < 0)
		return psd_loop_free(l);
	return l;
}

struct psd_loop *psd_loop_free(struct psd_loop *l)
{
	if (l == NULL)
		return NULL;
	if (l->timer_io.fd >= 0)
		close(l->timer_io.fd);
	if (l->signal_io.fd >= 0)
		close(l->signal_io.fd);
	if (l->epoll_fd >= 0)
		close(l->epoll_fd);
	free(l);
	return NULL;
}

uint64_t psd_loop_now(const struct psd_loop *l)
{
	return l->now_ns;
}

void psd_loop_exit(struct psd_loop *l, int status)
{
	l->exiting = true;
	l->status = status;
}

/* The timerfd armed for the earliest deadline of the timers that are on, or disarmed; left
 * armed for an earlier one that is at most PSD_LOOP_EARLY_NS away (it goes off, finds nothing
 * due, and is armed then for what is): a storm moves a deadline a little later at each turn
 * (the core's lazy acknowledgements), and each setting of the timer costs a system call and
 * the kernel's reprogramming of its clock. */
static int arm_timerfd(struct psd_loop *l)
{
	uint64_t next = UINT64_MAX;
	for (struct psd_loop_source *t = l->timers; t != NULL; t = t->next)
		next = t->deadline_ns < next ? t->deadline_ns : next;
	if (next == l->timer_armed_ns ||
	    (next > l->timer_armed_ns && l->timer_armed_ns <= l->now_ns + PSD_LOOP_EARLY_NS))
		return 0;
	struct itimerspec its = {0}; /* all zero: disarmed */
	if (next != UINT64_MAX) {
		uint64_t at = next > 0 ? next : 1; /* a zero it_value would disarm it */
		its.it_value.tv_sec = (time_t)(at / 1000000000u);
		its.it_value.tv_nsec = (long)(at % 1000000000u);
	}
	if (timerfd_settime(l->timer_io.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -errno;
	l->timer_armed_ns = next;
	return 0;
}

static void add_ready(struct psd_loop *l, struct psd_loop_source *s, uint32_t revents)
{
	uint32_t i = l->ready_count++;
	/* insertion by priority, after those of the same priority */
	while (i > 0 && l->ready[i - 1].s->priority > s->priority) {
		l->ready[i] = l->ready[i - 1];
		i--;
	}
	l->ready[i] = (struct psd_loop_ready){s, revents};
}

/* The timerfd went off: every timer whose deadline has come is ready, earliest first (those past
 * the batch's room at the next turn, the timerfd armed again for them). */
static void timers_due(struct psd_loop *l)
{
	struct psd_loop_source *due[PSD_LOOP_BATCH];
	uint32_t n = 0;
	uint64_t expirations;
	if (read(l->timer_io.fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	l->timer_armed_ns = UINT64_MAX; /* spent: armed again before the next wait */
	for (struct psd_loop_source *t = l->timers; t != NULL; t = t->next) {
		if (t->deadline_ns > l->now_ns || n == PSD_LOOP_BATCH - l->ready_count)
			continue;
		uint32_t i = n++;
		for (; i > 0 && due[i - 1]->deadline_ns > t->deadline_ns; i--)
			due[i] = due[i - 1];
		due[i] = t;
	}
	for (uint32_t i = 0; i < n; i++)
		add_ready(l, due[i], 0);
}

static bool defer_due(const struct psd_loop *l)
{
	for (const struct psd_loop_source *s = l->defers; s != NULL; s = s->next)
		if (s->defer == PSD_DEFER_ONCE)
			return true;
	return false;
}

/* The end of a turn: each callback that is on, the one-shot ones turned off first. A callback
 * may turn others on or off; each runs at most once per turn. */
static void end_of_turn(struct psd_loop *l)
{
	struct psd_loop_source *due[PSD_LOOP_BATCH];
	uint32_t n = 0;
	for (struct psd_loop_source *s = l->defers; s != NULL && n < PSD_LOOP_BATCH; s = s->next)
		if (s->defer != PSD_DEFER_OFF)
			due[n++] = s;
	for (uint32_t i = 0; i < n && !l->exiting; i++) {
		struct psd_loop_source *s = due[i];
		if (s->loop == NULL || s->defer == PSD_DEFER_OFF)
			continue; /* removed or turned off by an earlier one */
		if (s->defer == PSD_DEFER_ONCE)
			s->defer = PSD_DEFER_OFF;
		s->fn(s->ctx, 0);
	}
}

static int turn(struct psd_loop *l)
{
	struct epoll_event ev[PSD_LOOP_EVENTS];
	int r = arm_timerfd(l);
	if (r < 0)
		return r;
	int n = epoll_wait(l->epoll_fd, ev, PSD_LOOP_EVENTS, defer_due(l) ? 0 : -1);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->now_ns = monotonic_ns();
	l->ready_count = 0;
	for (int i = 0; i < n; i++) {
		struct psd_loop_source *s = ev[i].data.ptr;
		if (s == &l->timer_io)
			timers_due(l);
		else if (l->ready_count < PSD_LOOP_BATCH)
			add_ready(l, s, ev[i].events);
	}
	for (uint32_t i = 0; i < l->ready_count && !l->exiting; i++) {
		struct psd_loop_source *s = l->ready[i].s;
		if (s == NULL)
			continue;
		l->ready[i].s = NULL;
		if (s->kind == PSD_LOOP_TIMER)
			s->deadline_ns = UINT64_MAX; /* one-shot: off before its callback */
		s->fn(s->ctx, l->ready[i].revents);
	}
	l->ready_count = 0;
	end_of_turn(l);
	return 0;
}

int psd_loop_run(struct psd_loop *l)
{
	while (!l->exiting) {
		int r = turn(l);
		if (r < 0)
			return r;
	}
	return l->status;
}
