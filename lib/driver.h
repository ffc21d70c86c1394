/*
 * The one driver of the core's pull protocol, shared by the daemon (adapters/main.c), the
 * simulator and the tests (sim/world.c) and the fuzzers: it pushes an event into the core, then
 * pulls every action the core has and hands each to the executor's hooks, in the order pulled.
 *
 * The executor is whatever carries actions out: sockets in the daemon, models in the simulator.
 * Actions that answer at once are answered by the driver itself, so an executor never calls back
 * into it while an action is being carried out:
 *  - list_ifaces returns the netdevs that exist; the driver pushes PSD_EV_IFACES with them;
 *  - nl_dump and db_connect return < 0 when the request failed at once; the driver pushes
 *    PSD_EV_NL_LOSS (PSD_LOSS_DUMP_INTR) or PSD_EV_DB_DOWN for them.
 * Every later answer (a datagram, a reply, a connection's fate, a timer) is an event the executor
 * hands to psd_driver_push() from its own loop: the driver is the sink every adapter pushes into,
 * and no adapter knows who composed it.
 *
 * Replies are taken when the core wants them: after every drain the executor is told whether the
 * core waits on a reply (replies_wanted); while it does not, the executor need not wake for
 * Redis, and takes what has come in whenever it wakes for something else (psd_driver_collect(),
 * which runs its collect hook) before it pushes that.
 *
 * Invariants:
 *  - the drain never nests: an event pushed while an action is carried out (a bug in the
 *    executor, but possible through a library's synchronous callback) waits in a small queue
 *    and is pushed as soon as that action returns; such events carry no borrowed payload;
 *  - after every drain the executor's timer is armed for the core's next deadline, with
 *    PSD_TIMER_ACCURACY_NS of slack at most;
 *  - time handed to the core comes from the executor's clock and never goes backwards.
 */
#ifndef PSD_DRIVER_H
#define PSD_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/core.h"

/* How late a timer may fire after the core's deadline: the loop's slack. */
#define PSD_TIMER_ACCURACY_NS 1000ull
/* Events an executor may push while one action is being carried out. */
#define PSD_DRIVER_PENDING_MAX 8u

struct psd_driver_ops {
	uint64_t (*now)(void *ctx); /* monotonic ns */
	void (*command)(void *ctx, enum psd_db db, uint64_t tag, uint32_t expect, uint32_t argc,
			const char *const *argv, const size_t *argv_len);
	void (*log)(void *ctx, enum psd_log_level level, const char *text);
	void (*log_config)(void *ctx, enum psd_log_level level, enum psd_log_output output);
	int (*nl_dump)(void *ctx, uint32_t seq);
	void (*nl_listen)(void *ctx);
	/* the netdevs that exist now; the list stays valid until the next call */
	size_t (*list_ifaces)(void *ctx, const struct psd_iface **ret);
	void (*link_down)(void *ctx, int32_t ifindex, const char *name);
	void (*notify)(void *ctx, const char *text);
	void (*exit)(void *ctx, int status, const char *reason); /* reason: "" unless fatal */
	/* < 0 when the attempt failed at once, with what was wrong in detail (NUL-terminated) */
	int (*db_connect)(void *ctx, enum psd_db db, char *detail, size_t detail_size);
	/* the core's next deadline (UINT64_MAX: none), to fire within accuracy_ns after it */
	void (*arm_timer)(void *ctx, uint64_t deadline_ns, uint64_t accuracy_ns);
	/* db's keyspace subscription (PSD_ACT_WATCH); < 0 when it failed at once, what failed in
	 * detail */
	int (*watch)(void *ctx, enum psd_db db, uint32_t db_id, uint32_t count,
		     const char *const *patterns, const size_t *len, char *detail,
		     size_t detail_size);
	/* optional: whether the core waits on a reply now (psd_core_replies_wanted) */
	void (*replies_wanted)(void *ctx, bool wanted);
	/* optional: push the replies that have come in (psd_driver_collect) */
	void (*collect)(void *ctx);
};

struct psd_driver {
	struct psd_core *core;
	const struct psd_driver_ops *ops;
	void *ctx;
	bool draining;
	struct psd_event pending[PSD_DRIVER_PENDING_MAX];
	uint32_t pending_count;
	uint64_t events;  /* events pushed into the core */
	uint64_t actions; /* actions carried out */
	uint64_t refused; /* events the core refused (a bug in the caller) */
};

/* Where an adapter's events go: the driver (psd_driver_sink), or a test's or fuzzer's own. */
struct psd_sink {
	void (*push)(void *ctx, const struct psd_event *ev);
	void *ctx;
};

void psd_driver_init(struct psd_driver *d, struct psd_core *core, const struct psd_driver_ops *ops,
		     void *ctx);
/* A sink that pushes into d (psd_driver_push). */
struct psd_sink psd_driver_sink(struct psd_driver *d);
/* Pushes ev into the core at ops->now() and carries out everything the core then wants. */
void psd_driver_push(struct psd_driver *d, const struct psd_event *ev);
/* Takes the replies that have come in (the executor's collect hook), before an event of another
 * kind is pushed; nothing while a drain is running. */
void psd_driver_collect(struct psd_driver *d);
/* True while commands sent are unanswered. */
bool psd_driver_busy(const struct psd_driver *d);

#endif
