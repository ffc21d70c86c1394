/*
 * Fault injection: what each fault does to the world (faults.h). The schedule (fault_schedule.c)
 * decides when; these functions change the kernel model, the Redis model and the daemon, count
 * the hit, and tell the oracle what the world lost (psd_sim_oracle_redis_restart, _daemon_restart)
 * so that its checkers start again from what remains.
 *
 * Invariant: a fault leaves the world in a state a real switch can be in (the daemon restarts
 * only once Redis answers and has its config, as systemd restarts it), so what the oracle then
 * reports is the daemon's failure, not the world's.
 */
#include <stdio.h>

#include "commands.h"
#include "oracle.h"
#include "sim.h"

/* Error replies a real Redis gives, with its own words; the `refuse` fault draws one. */
static const char *const redis_errors[] = {
	"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
	"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
	"to disk.",
	"TRYAGAIN Multiple keys request during rehashing of slot",
	"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
	"NOREPLICAS Not enough good replicas to write.",
	"READONLY You can't write against a read only replica.",
	"ERR max number of clients reached",
};

/* The daemon stalls through a burst of changes that overflows its receive queue: the kernel
 * keeps the oldest, loses the rest, and reports ENOBUFS at the daemon's next read. */
void psd_sim_overrun(struct psd_sim *s)
{
	uint32_t burst = s->k.capacity - s->k.qlen + 1 + psd_sim_below(s, s->k.capacity);
	for (uint32_t i = 0; i < burst; i++)
		psd_sim_kernel_change(s);
	s->f.hits[PSD_FAULT_OVERRUN]++;
}

/* Redis restarted without persistence; CONFIG_DB loaded again at once, or a while later. */
static void redis_wipe(struct psd_sim *s, unsigned kind)
{
	/* late only under a running daemon: a config reload restarts swss, and so the daemon,
	 * after it has written CONFIG_DB, never while a daemon starts */
	bool late = kind < s->f.rate[PSD_FAULT_EMPTY_LATE] && s->w->listening;
	psd_model_restart(&s->w->m, NULL);
	if (late) /* a config reload writes CONFIG_DB a while after the restart */
		s->f.config_late = 1 + psd_sim_below(s, 40);
	else
		psd_sim_config_ports(s);
	psd_sim_oracle_redis_restart(s, true); /* what Redis held is gone: everything written again */
	s->f.sai_pending = true; /* SONiC restarts syncd with Redis: host interfaces again */
	s->f.hits[late ? PSD_FAULT_EMPTY_LATE : PSD_FAULT_WIPE]++;
}

void psd_sim_redis_fault(struct psd_sim *s, bool wipe)
{
	if (!s->f.redis_up) {
		if (s->f.maxclients_left > 0)
			return; /* still refusing connections: step() answers the attempts */
		uint64_t back = s->w->now;
		psd_world_redis_up(s->w);
		s->f.redis_up = true;
		psd_check_reconnected(s, back);
		return;
	}
	psd_world_redis_down(s->w);
	for (int db = 0; db < 3; db++) /* the subscriptions' connection goes with the others */
		psd_world_watch_down(s->w, (enum psd_db)db);
	s->f.redis_up = false;
	s->f.hits[PSD_FAULT_OUTAGE]++;
	unsigned kind = psd_sim_below(s, 10);
	if (wipe) {
		redis_wipe(s, kind);
	} else if (s->f.has_snapshot && kind < s->f.rate[PSD_FAULT_STALE]) {
		/* kill -9 and a restart from the last SAVE: older than what the core wrote since */
		psd_model_restart(&s->w->m, &s->f.snapshot);
		psd_sim_oracle_redis_restart(s, true); /* older data: every port written again */
		s->f.has_snapshot = false;
		s->f.hits[PSD_FAULT_STALE]++;
	}
	if (psd_sim_below(s, 10) < s->f.rate[PSD_FAULT_MAXCLIENTS]) { /* back, but every slot is taken */
		s->f.maxclients_left = 1 + psd_sim_below(s, 20);
		s->f.hits[PSD_FAULT_MAXCLIENTS]++;
	}
}

/* Redis restarts with its data and answers LOADING while it reads its AOF. */
void psd_sim_loading_fault(struct psd_sim *s)
{
	if (!s->f.redis_up || s->f.loading_left > 0)
		return;
	psd_world_redis_down(s->w);
	for (int db = 0; db < 3; db++)
		psd_world_watch_down(s->w, (enum psd_db)db);
	s->w->m.run_id++;
	s->w->m.loading = true;
	psd_sim_oracle_redis_restart(s, false); /* a restarted server: every port written again */
	s->f.loading_left = 1 + psd_sim_below(s, 30);
	s->f.hits[PSD_FAULT_LOADING]++;
	s->f.redis_up = false;
	psd_sim_redis_fault(s, false); /* the connections come back at once: LOADING is a reply */
}

/* Redis stops answering (SIGSTOP, a swap storm) for longer than the core's stall limit. */
void psd_sim_stall_fault(struct psd_sim *s)
{
	if (s->w->hold)
		return;
	s->w->hold = true;
	psd_world_advance(s->w, PSD_SIM_STALL_NS);
	psd_world_release(s->w);
	s->f.hits[PSD_FAULT_STALL]++;
}

/* CONFIG_DB PORT|Ethernet<ports> and LOGGER|portsyncd of other types, or gone again. */
void psd_sim_wrongtype_fault(struct psd_sim *s)
{
	char key[32];
	snprintf(key, sizeof(key), "PORT|Ethernet%u", s->nports);
	if (psd_model_exists(&s->w->m, PSD_WORLD_CONFIG, key)) {
		psd_model_del_matching(&s->w->m, PSD_WORLD_CONFIG, key);
		psd_model_del_matching(&s->w->m, PSD_WORLD_CONFIG, "LOGGER|portsyncd");
		return;
	}
	psd_model_put_other(&s->w->m, PSD_WORLD_CONFIG, key);
	psd_model_put_other(&s->w->m, PSD_WORLD_CONFIG, "LOGGER|portsyncd");
	s->f.hits[PSD_FAULT_WRONGTYPE]++;
}

/* Replies are held, then released in order. */
void psd_sim_slow_fault(struct psd_sim *s)
{
	if (s->w->hold) {
		psd_world_release(s->w);
		return;
	}
	s->w->hold = true;
	s->f.hits[PSD_FAULT_SLOW]++;
}

/* Redis refuses every write (OOM), or stops refusing. */
void psd_sim_oom_fault(struct psd_sim *s)
{
	s->f.refuse_writes = !s->f.refuse_writes;
	s->f.hits[PSD_FAULT_OOM] += s->f.refuse_writes;
}

/* Redis refuses every command with one of its real errors, or stops refusing. */
void psd_sim_refuse_fault(struct psd_sim *s)
{
	s->f.refuse_error = s->f.refuse_error != NULL ? NULL :
		redis_errors[psd_sim_below(s, sizeof(redis_errors) / sizeof(redis_errors[0]))];
	s->f.hits[PSD_FAULT_REFUSE] += s->f.refuse_error != NULL;
}

void psd_sim_forget_snapshot(struct psd_sim *s)
{
	if (s->f.has_snapshot)
		psd_model_free(&s->f.snapshot);
	s->f.has_snapshot = false;
}

void psd_sim_daemon_restart(struct psd_sim *s, enum psd_sim_fault kind)
{
	static const char *const warm_key = "WARM_RESTART_ENABLE_TABLE|swss";
	if (!s->f.redis_up || s->w->hold || s->f.config_late > 0)
		return; /* systemd starts the daemon again once Redis answers (and has its config) */
	s->f.hits[kind]++;
	if (kind == PSD_FAULT_RESTART_WARM)
		psd_model_hset(&s->w->m, PSD_WORLD_STATE, warm_key, "enable", "true");
	if (kind == PSD_FAULT_RESTART_SWSS) { /* swss.sh: FLUSHDB APPL_DB, STATE_DB PORT_TABLE* gone */
		psd_sim_forget_snapshot(s); /* a Redis restart goes back at most to this swss's start */
		psd_model_del_matching(&s->w->m, PSD_WORLD_APPL, "");
		psd_model_del_matching(&s->w->m, PSD_WORLD_STATE, "PORT_TABLE|");
		s->f.sai_pending = true;
	}
	/* a warm restart: while the daemon is down, deletes, adds, renames, flaps, MTUs */
	if (kind == PSD_FAULT_RESTART_WARM)
		for (uint32_t n = psd_sim_below(s, 2 * s->nports + 1); n > 0; n--)
			psd_sim_kernel_change(s);
	psd_kernel_drop_queue(&s->k); /* the old sockets are closed */
	psd_sim_oracle_daemon_restart(s);
	psd_world_restart(s->w);
	if (kind != PSD_FAULT_RESTART_WARM)
		return;
	psd_model_del_matching(&s->w->m, PSD_WORLD_STATE, warm_key);
	/* inside the restore window: the first dump interrupted, Redis down, or both */
	s->f.warm_dump_fault = psd_sim_below(s, 3) == 0;
	if (psd_sim_below(s, 3) == 0)
		psd_sim_redis_fault(s, false);
}

/* SAI creates the host interfaces again after a cold swss start, new ifindexes, once orchagent
 * has consumed the new PortConfigDone. */
void psd_sim_sai_recreate(struct psd_sim *s)
{
	if (!s->f.sai_pending ||
	    !psd_model_exists(&s->w->m, PSD_WORLD_APPL, "PORT_TABLE:PortConfigDone"))
		return;
	psd_kernel_recreate_all(&s->k);
	s->f.sai_pending = false;
}

static enum psd_dump_fault dump_fault(struct psd_sim *s)
{
	if (s->w->dump_seq == s->k.served_dump_seq || !s->f.on)
		return PSD_DUMP_CLEAN;
	if (s->f.warm_dump_fault) {
		s->f.warm_dump_fault = false;
		s->f.hits[PSD_FAULT_DUMP_INTERRUPTED]++;
		return PSD_DUMP_INTERRUPTED;
	}
	unsigned r = psd_sim_below(s, 1000);
	if (r < s->f.rate[PSD_FAULT_DUMP_TRUNCATED]) {
		s->f.hits[PSD_FAULT_DUMP_TRUNCATED]++;
		return PSD_DUMP_TRUNCATED;
	}
	if (r < s->f.rate[PSD_FAULT_DUMP_TRUNCATED] + s->f.rate[PSD_FAULT_DUMP_INTERRUPTED]) {
		s->f.hits[PSD_FAULT_DUMP_INTERRUPTED]++;
		return PSD_DUMP_INTERRUPTED;
	}
	return PSD_DUMP_CLEAN;
}

void psd_sim_serve_dump(struct psd_sim *s)
{
	psd_kernel_serve_dump(&s->k, s->w, dump_fault(s));
}

/* A hostile Redis: a reply on a connection with no command pending; the adapter drops the
 * connection (PSD_DOWN_PROTOCOL), and the core treats what that server acknowledged as suspect. */
void psd_sim_stray_reply_fault(struct psd_sim *s)
{
	enum psd_db db = (enum psd_db)psd_sim_below(s, 3);
	if (!s->f.redis_up || !psd_world_stray_reply(s->w, db))
		return;
	psd_sim_oracle_protocol_drop(s);
	s->f.hits[PSD_FAULT_STRAY_REPLY]++;
}

/* A hostile Redis: the next command (or the next STATE_DB port command) is answered, unexecuted,
 * with a reply of a type it cannot have; the adapter drops the connection when it reads it. */
void psd_sim_wrong_reply_fault(struct psd_sim *s)
{
	s->f.wrong_reply_state = psd_sim_below(s, 2) == 0;
	s->f.wrong_reply_due = true;
}

bool psd_sim_wrong_reply(struct psd_sim *s, uint32_t db, uint32_t argc, const char *const *argv,
			 const size_t *len)
{
	bool renamed = false;
	uint32_t port = db == PSD_WORLD_STATE && argc > 1 ?
				psd_sim_port_of(s->nports, argv[1], len[1], &renamed) : UINT32_MAX;
	if (!s->f.wrong_reply_due || (s->f.wrong_reply_state && port == UINT32_MAX))
		return false;
	s->f.wrong_reply_due = false;
	s->f.hits[PSD_FAULT_WRONG_REPLY]++;
	psd_sim_oracle_protocol_drop(s);
	psd_check_wrong_reply(s, db, argc, argv, len);
	return true;
}

/* Keyspace notifications misbehave (world_watch.c): held back, then delivered in order (late);
 * one subscription's connection dropped with the notifications queued on it (lost: the core
 * subscribes again and reads what it missed); delivered before the reply of the command whose
 * write they tell (ahead), until the fault ends. */
void psd_sim_notify_fault(struct psd_sim *s, enum psd_sim_fault kind)
{
	struct psd_world_subs *subs = &s->w->subs;
	if (kind == PSD_FAULT_NOTIFY_LATE) {
		subs->hold = !subs->hold;
		if (!subs->hold)
			psd_world_notes_deliver(s->w);
		s->f.hits[kind] += subs->hold;
		return;
	}
	if (kind == PSD_FAULT_NOTIFY_AHEAD) {
		subs->ahead = !subs->ahead;
		s->f.hits[kind] += subs->ahead;
		return;
	}
	enum psd_db db = (enum psd_db)psd_sim_below(s, 3);
	if (!subs->up[db])
		return;
	psd_world_watch_down(s->w, db);
	s->f.hits[kind]++;
}

void psd_sim_watch_clock(struct psd_sim *s)
{
	if (!s->f.watch || !s->f.redis_up)
		return;
	for (int db = 0; db < 3; db++)
		if (s->w->subs.asked[db])
			psd_world_watch_up(s->w, (enum psd_db)db);
	psd_world_settle(s->w);
}
