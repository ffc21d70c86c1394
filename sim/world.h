/*
 * A deterministic world around the real core: the in-memory Redis model executes every command
 * as it is sent (or later: hold), replies are delivered in order, connections drop and come back
 * on request, netlink datagrams are built with nl_build, and every action is recorded (the DB
 * command trace, link-down requests, notifications, logs). Each reply is judged as the daemon's
 * adapter (lib/redis_conn.c) judges it: one of a type its command cannot have, or one with no
 * command pending, drops the connection (PSD_DOWN_PROTOCOL). The unit tests, the fuzzers and the
 * simulator drive the core through it. A world's own failures (a refused event, a full trace)
 * abort: they are bugs in the caller or the core.
 */
#ifndef PSD_WORLD_H
#define PSD_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "driver.h"
#include "nl_build.h"
#include "psd/core.h"
#include "redis_model.h"
#include "world_watch.h"

#define PSD_WORLD_APPL 0u   /* Redis database numbers in SONiC's layout */
#define PSD_WORLD_CONFIG 4u
#define PSD_WORLD_STATE 6u
#define PSD_WORLD_TRACE_MAX 4096 /* commands remembered in the trace */
#define PSD_WORLD_HELD_MAX 4096  /* commands held in flight */

struct psd_world_cmd {
	uint32_t db;
	uint64_t tag;
	uint32_t expect;
	uint32_t argc;
	char **argv;
	size_t *len;
};

struct psd_world_reply {
	struct psd_reply r;
	uint32_t expect; /* the reply types its command may have (an error always may) */
	void *copy; /* the reply's string, or its elements then their text, in one block (or NULL) */
};

/* What a simulation adds to the world; every member may be NULL. */
struct psd_world_hooks {
	void *ctx;
	/* Redis is about to execute a command: false answers it with an OOM error instead */
	bool (*command)(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
			const size_t *len);
	/* the core sent a command (it executes now, or later when replies are held) */
	void (*sent)(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
		     const size_t *len);
	void (*link_down)(void *ctx, int32_t ifindex); /* the core cleared IFF_UP */
	/* the netdevs that exist, for PSD_ACT_LIST_IFACES (else the ifaces added by hand) */
	size_t (*list_ifaces)(void *ctx, const struct psd_iface **ret);
	/* how late the loop fires a timer armed with this slack (else: on time) */
	uint64_t (*timer_late)(void *ctx, uint64_t accuracy_ns);
	/* Redis is about to execute a command: an error text answers it instead (NULL: execute);
	 * asked before `command` */
	const char *(*refuse)(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
			      const size_t *len);
	/* Redis is about to execute a command: true answers it, unexecuted, with a reply of a type
	 * it cannot have (a hostile server); asked after `refuse` */
	bool (*wrong_reply)(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
			    const size_t *len);
	/* the core's timer fired and what it caused has settled */
	void (*timer)(void *ctx);
};

struct psd_world {
	struct psd_model m;
	struct psd_core *core;
	struct psd_driver driver; /* the daemon's driver, with the world as its executor */
	void *mem;
	struct psd_config cfg;
	struct psd_limits lim;
	uint64_t now;
	bool hold;
	struct psd_world_cmd held[PSD_WORLD_HELD_MAX];
	size_t held_count;
	struct psd_world_reply *replies; /* a ring of reply_cap (a power of two) slots */
	size_t reply_head;
	size_t reply_count;
	size_t reply_cap;
	char *trace[PSD_WORLD_TRACE_MAX];
	size_t trace_count;
	uint64_t trace_dropped;
	uint64_t trace_hash;   /* chained hash of every command sent, kept or not */
	char recent[16][160];  /* the last commands, a ring */
	uint64_t recent_total;
	int32_t downs[64];
	size_t down_count;
	char notify[16][160];
	size_t notify_count;
	uint32_t dump_seq;
	bool listening;
	bool exited;
	int exit_status;
	struct psd_iface ifaces[16];
	size_t iface_count;
	char logs[256][256];
	size_t log_count;
	unsigned connects[3]; /* PSD_ACT_DB_CONNECT requests per database */
	unsigned watches[3];  /* PSD_ACT_WATCH requests per database */
	bool connect_pending[3]; /* asked to connect, not yet answered up or down */
	bool down[3];            /* the connection is closed (until PSD_EV_DB_UP) */
	uint64_t protocol_drops; /* connections dropped for a reply that broke the protocol */
	uint32_t check_every;    /* psd_core_check() every this many drains (0 and 1: every one) */
	uint64_t drains;
	unsigned watchdogs;
	uint64_t timer_due_ns;      /* the core's next deadline, as the driver armed it */
	uint64_t timer_accuracy_ns; /* and the slack it allowed */
	uint64_t events;         /* events pushed into the core */
	bool echo;               /* print every command and log line to stderr as it happens */
	FILE *command_log;       /* every command sent, as MONITOR prints it (NULL: none) */
	struct psd_world_hooks hooks;
	struct psd_world_subs subs; /* keyspace subscriptions (world_watch.c) */
};

uint32_t psd_world_db_id(const struct psd_world *w, enum psd_db db);
void psd_world_config(struct psd_world *w);
struct psd_world *psd_world_new(void);
void psd_world_trace(struct psd_world *w, uint32_t db, uint32_t argc,
			       const char *const *argv, const size_t *len);
void psd_world_queue_reply(struct psd_world *w, uint64_t tag, const struct psd_reply *src);
void psd_world_exec(struct psd_world *w, uint32_t db, uint64_t tag, uint32_t expect,
		    uint32_t argc, const char *const *argv, const size_t *len);
void psd_world_push(struct psd_world *w, const struct psd_event *ev);
bool psd_world_deliver_one(struct psd_world *w);
void psd_world_settle(struct psd_world *w);
void psd_world_release(struct psd_world *w);
/* Executes the oldest held command named command (its argv[0]) alone, then settles; the others
 * stay held. False when none is held. */
bool psd_world_release_one(struct psd_world *w, const char *command);
void psd_world_db_down(struct psd_world *w, enum psd_db db);
/* The connection of db drops as the adapter drops it: cause and what it saw. */
void psd_world_db_drop(struct psd_world *w, enum psd_db db, enum psd_db_down_cause cause,
		       const char *detail);
/* A reply arrives on db's connection with no command pending: the adapter drops it
 * (PSD_DOWN_PROTOCOL). False when the connection is down or a command is pending on it. */
bool psd_world_stray_reply(struct psd_world *w, enum psd_db db);
/* Answers every pending connect: Redis takes connections. */
void psd_world_accept_connects(struct psd_world *w);
void psd_world_db_up(struct psd_world *w, enum psd_db db);
void psd_world_redis_down(struct psd_world *w);
void psd_world_tick(struct psd_world *w);
void psd_world_redis_up(struct psd_world *w);
void psd_world_refuse_connects(struct psd_world *w);
void psd_world_add_iface(struct psd_world *w, int32_t ifindex, const char *name);
bool psd_world_init_core(struct psd_world *w);
void psd_world_start(struct psd_world *w);
void psd_world_restart(struct psd_world *w);
void psd_world_datagram(struct psd_world *w, const uint8_t *buf, size_t len, bool dump);
void psd_world_link(struct psd_world *w, uint16_t type, const char *name, int32_t ifindex,
			      uint32_t flags, uint32_t mtu, uint32_t master, const char *kind);
void psd_world_new_link(struct psd_world *w, const char *name, int32_t ifindex,
				  uint32_t flags);
/* A NEWLINK that carries the kernel's carrier counts (IFLA_CARRIER_CHANGES, _UP/_DOWN_COUNT). */
void psd_world_carrier_link(struct psd_world *w, const char *name, int32_t ifindex,
			    uint32_t flags, uint32_t changes, uint32_t up, uint32_t down);
void psd_world_del_link(struct psd_world *w, const char *name, int32_t ifindex);
void psd_world_dump_done(struct psd_world *w);
void psd_world_advance(struct psd_world *w, uint64_t ns);
bool psd_world_traced(const struct psd_world *w, const char *line);
size_t psd_world_trace_index(const struct psd_world *w, const char *prefix);
size_t psd_world_trace_count(const struct psd_world *w, const char *prefix);
bool psd_world_logged(const struct psd_world *w, const char *part);
void psd_world_free(struct psd_world *w);
const char *psd_world_state(struct psd_world *w, const char *port);
/* The keyspace subscriptions (world_watch.h), their news handed to the core: the subscription
 * of db confirmed (as asked), or lost with its queued notifications. */
void psd_world_watch_up(struct psd_world *w, enum psd_db db);
void psd_world_watch_down(struct psd_world *w, enum psd_db db);
/* Hands the queued notifications to the core, oldest first (none while subs.hold). */
void psd_world_notes_deliver(struct psd_world *w);

#endif
