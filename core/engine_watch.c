/*
 * The engine's side of the keyspace subscriptions (watch.c), a part of the dispatcher: it hands
 * each subscription event to the watch module, each notification to the module it concerns, and
 * tells the modules when a database turns watched or stops being watched:
 *   APPL_DB    links.c knows which ports APPL_DB holds (a full read, then notifications);
 *   CONFIG_DB  startup.c reads LOGGER|portsyncd, alerts.c the silences, on notifications instead
 *              of every second; a re-copy waiting for an emptied CONFIG_DB runs once its ports
 *              are written (PSD_CONFIG_SETTLE_NS after the writes pause, at most
 *              PSD_CONFIG_SETTLE_MAX_NS after the first).
 */
#include <errno.h>

#include "engine_watch.h"
#include "links_appl.h"
#include "startup_logger.h"

/* A CONFIG_DB port written while a re-copy waits for CONFIG_DB to be written again. */
static void config_written(struct psd_core *c)
{
	if (!c->startup.config_awaited || !c->startup.recopy)
		return;
	if (c->config_settle_from_ns == 0)
		c->config_settle_from_ns = c->ctx.now_ns;
	uint64_t due = c->ctx.now_ns + PSD_CONFIG_SETTLE_NS;
	uint64_t cap = c->config_settle_from_ns + PSD_CONFIG_SETTLE_MAX_NS;
	c->refused_retry_ns = due < cap ? due : cap;
}

static void keyspace(struct psd_core *c, const struct psd_event *ev)
{
	struct psd_str name;
	switch (psd_watch_subject(&c->ctx, &c->watch, ev->u.keyspace.db, &ev->u.keyspace.key,
				  &name)) {
	case PSD_WS_APPL_PORT:
		psd_links_appl_notified(&c->ctx, &c->links, &name);
		return;
	case PSD_WS_LOGGER:
		psd_startup_logger_changed(&c->ctx, &c->startup);
		return;
	case PSD_WS_SILENCES:
		psd_alerts_silences_changed(&c->ctx, &c->alerts);
		return;
	case PSD_WS_CONFIG_PORT:
		config_written(c);
		return;
	case PSD_WS_OTHER:
		return;
	}
}

int psd_engine_watch_event(struct psd_core *c, const struct psd_event *ev)
{
	enum psd_db db;
	switch (ev->type) {
	case PSD_EV_WATCH_UP:
		db = ev->u.watch_up.db;
		if ((unsigned)db >= _PSD_DB_MAX || c->watch.db[db].state != PSD_WATCH_ASKED)
			return -EINVAL;
		psd_watch_up(&c->ctx, &c->watch, db, ev->u.watch_up.flags_known,
			     ev->u.watch_up.flags);
		return 0;
	case PSD_EV_WATCH_DOWN:
		db = ev->u.down.db;
		if ((unsigned)db >= _PSD_DB_MAX || (unsigned)ev->u.down.cause >= _PSD_DOWN_MAX)
			return -EINVAL;
		psd_watch_down(&c->ctx, &c->watch, db, ev->u.down.cause, ev->u.down.detail);
		return 0;
	case PSD_EV_KEYSPACE:
		keyspace(c, ev);
		return 0;
	default:
		return -EINVAL;
	}
}

void psd_engine_watch_changes(struct psd_core *c)
{
	uint32_t changed = psd_watch_take_changed(&c->watch);
	if (changed & (1u << PSD_DB_APPL))
		psd_links_appl_watched(&c->ctx, &c->links, psd_watch_active(&c->watch, PSD_DB_APPL));
	if (changed & (1u << PSD_DB_CONFIG)) {
		bool on = psd_watch_active(&c->watch, PSD_DB_CONFIG);
		psd_startup_config_watched(&c->ctx, &c->startup, on);
		psd_alerts_silences_watched(&c->ctx, &c->alerts, on);
	}
}
