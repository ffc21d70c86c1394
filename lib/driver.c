/* The one driver of the core (see driver.h). */
#include "driver.h"

#include "psd_assert.h"

void psd_driver_init(struct psd_driver *d, struct psd_core *core, const struct psd_driver_ops *ops,
		     void *ctx)
{
	*d = (struct psd_driver){.core = core, .ops = ops, .ctx = ctx};
}

static void push_now(struct psd_driver *d, const struct psd_event *ev)
{
	d->events++;
	if (psd_core_push(d->core, d->ops->now(d->ctx), ev) < 0) {
		d->refused++;
		d->ops->log(d->ctx, PSD_LOG_ERROR, "driver: the core refused an event (a bug)");
	}
}


static void carry_out(struct psd_driver *d, const struct psd_action *a)
{
	const struct psd_driver_ops *o = d->ops;
	switch (a->type) {
	case PSD_ACT_DB_COMMAND:
		o->command(d->ctx, a->u.cmd.db, a->u.cmd.tag, a->u.cmd.expect, a->u.cmd.argc,
			   a->u.cmd.argv, a->u.cmd.argv_len);
		return;
	case PSD_ACT_LOG:
		o->log(d->ctx, a->u.log.level, a->u.log.text);
		return;
	case PSD_ACT_LOG_CONFIG:
		o->log_config(d->ctx, a->u.log_config.level, a->u.log_config.output);
		return;
	case PSD_ACT_NL_DUMP:
		if (o->nl_dump(d->ctx, a->u.dump.seq) < 0) { /* the core asks again after its interval */
			struct psd_event ev = {.type = PSD_EV_NL_LOSS};
			ev.u.loss = PSD_LOSS_DUMP_INTR;
			push_now(d, &ev);
		}
		return;
	case PSD_ACT_NL_LISTEN:
		o->nl_listen(d->ctx);
		return;
	case PSD_ACT_LIST_IFACES: {
		struct psd_event ev = {.type = PSD_EV_IFACES};
		ev.u.ifaces.count = o->list_ifaces(d->ctx, &ev.u.ifaces.ifaces);
		push_now(d, &ev);
		return;
	}
	case PSD_ACT_LINK_DOWN:
		o->link_down(d->ctx, a->u.link_down.ifindex, a->u.link_down.name);
		return;
	case PSD_ACT_NOTIFY:
		o->notify(d->ctx, a->u.notify.text);
		return;
	case PSD_ACT_EXIT:
		o->exit(d->ctx, a->u.exit.status, a->u.exit.reason);
		return;
	case PSD_ACT_WATCH: {
		struct psd_event ev = {.type = PSD_EV_WATCH_DOWN};
		if (o->watch(d->ctx, a->u.watch.db, a->u.watch.db_id, a->u.watch.count,
			     a->u.watch.patterns, a->u.watch.len, ev.u.down.detail,
			     sizeof(ev.u.down.detail)) < 0) {
			ev.u.down.db = a->u.watch.db;
			ev.u.down.cause = PSD_DOWN_CONNECT;
			push_now(d, &ev);
		}
		return;
	}
	case PSD_ACT_DB_CONNECT: {
		struct psd_event ev = {.type = PSD_EV_DB_DOWN};
		if (o->db_connect(d->ctx, a->u.db, ev.u.down.detail, sizeof(ev.u.down.detail)) < 0) {
			ev.u.down.db = a->u.db;
			ev.u.down.cause = PSD_DOWN_CONNECT;
			push_now(d, &ev);
		}
		return;
	}
	}
	PSD_ASSERT(false); /* an action type this driver does not know */
}

void psd_driver_push(struct psd_driver *d, const struct psd_event *ev)
{
	if (d->draining) {
		/* pushed from inside an action: no payload may be borrowed across it */
		PSD_ASSERT(ev->type == PSD_EV_DB_DOWN || ev->type == PSD_EV_DB_UP ||
			   ev->type == PSD_EV_WATCH_DOWN ||
			   ev->type == PSD_EV_NL_LOSS || ev->type == PSD_EV_TIMER ||
			   ev->type == PSD_EV_SHUTDOWN);
		PSD_ASSERT(d->pending_count < PSD_DRIVER_PENDING_MAX);
		d->pending[d->pending_count++] = *ev;
		return;
	}
	d->draining = true;
	push_now(d, ev);
	struct psd_action a;
	while (psd_core_pull(d->core, &a)) {
		d->actions++;
		carry_out(d, &a);
		for (uint32_t i = 0; i < d->pending_count; i++)
			push_now(d, &d->pending[i]);
		d->pending_count = 0;
	}
	d->draining = false;
	d->ops->arm_timer(d->ctx, psd_core_next_deadline(d->core), PSD_TIMER_ACCURACY_NS);
	if (d->ops->replies_wanted != NULL)
		d->ops->replies_wanted(d->ctx, psd_core_replies_wanted(d->core));
}

static void sink_push(void *ctx, const struct psd_event *ev)
{
	psd_driver_push(ctx, ev);
}

struct psd_sink psd_driver_sink(struct psd_driver *d)
{
	return (struct psd_sink){sink_push, d};
}

void psd_driver_collect(struct psd_driver *d)
{
	if (!d->draining && d->ops->collect != NULL)
		d->ops->collect(d->ctx);
}

bool psd_driver_busy(const struct psd_driver *d)
{
	return psd_core_inflight(d->core) > 0;
}
