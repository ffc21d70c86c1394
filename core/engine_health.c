/*
 * The engine's part that says health (a dispatcher object, core/layers): after every event the
 * causes health is made of (view.c) are compared with those said last; when they changed, the
 * health line (STATUS=health: <verdict>[: <why>]) is queued and a new verdict logged. Nothing
 * here polls: the engine's deadline includes when the causes next change with time alone.
 *
 * Invariant: health_queued is true exactly while a TODO_NOTIFY_HEALTH waits in the outbox.
 */
#include "engine_health.h"
#include "outbox.h"
#include "view.h"
#include "work.h"

/* "health: <verdict>[: <why>]" now into buf; the verdict. */
enum psd_health psd_engine_health_line(const struct psd_view *v, uint64_t now_ns, char *buf,
				       size_t size)
{
	char why[PSD_HEALTH_REASON_MAX];
	enum psd_health h = psd_view_health(v, now_ns, why, sizeof(why));
	struct psd_text t;

	psd_text_init(&t, buf, size);
	psd_text_str(&t, "health: ");
	psd_text_str(&t, psd_health_name(h));
	psd_text_str(&t, why[0] != '\0' ? ": " : "");
	psd_text_str(&t, why);
	return h;
}

/* The health line (STATUS=health: ...) is due when what health is made of has changed; a new
 * verdict is logged too. */
void psd_engine_health_watch(struct psd_core *c, const struct psd_view *v)
{
	uint32_t causes = psd_view_health_causes(v, c->ctx.now_ns);
	char line[PSD_HEALTH_REASON_MAX + 32];

	if (causes == c->health_said)
		return;
	c->health_said = causes;
	if (!c->health_queued)
		psd_todo(&c->ctx, TODO_NOTIFY_HEALTH);
	c->health_queued = true;
	enum psd_health h = psd_engine_health_line(v, c->ctx.now_ns, line, sizeof(line));
	if (h == c->verdict_said)
		return;
	c->verdict_said = h;
	psd_log_line(&c->ctx, h == PSD_HEALTH_FAILING ? PSD_LOG_ERROR :
			      h == PSD_HEALTH_DEGRADED ? PSD_LOG_WARN : PSD_LOG_NOTICE, line, "");
}
