/*
 * What APPL_DB is known to hold of one port, as the links module's parts use it (a part of the
 * links module; links_appl.c keeps the knowledge, this file only reads and stamps it): the
 * symbol a port's change gives its machine, a look-up's generation, a look-up's answer kept
 * unless a notification came after it went out. It calls nothing of the module's other parts.
 */
#include "ctx.h"
#include "links_parts.h"
#include "names.h"

/* A port whose APPL_DB entry counts (compat looks every change up, as the C++ daemon does). */
static bool knowable(const struct psd_ctx *c, const struct psd_port *p)
{
	return !c->cfg.compat && p->name_class == PSD_NAME_PORT;
}

enum psd_port_sym psd_links_new_sym(const struct psd_ctx *c, const struct psd_links *lk,
				    const struct psd_port *p, bool ack)
{
	if (!lk->appl_known || !knowable(c, p) || p->appl == PSD_APPL_UNKNOWN)
		return ack ? PSD_PS_ACK_PRESENT : PSD_PS_NEW;
	if (p->appl == PSD_APPL_THERE)
		return ack ? PSD_PS_ACK_KNOWN : PSD_PS_NEW_KNOWN;
	return ack ? PSD_PS_ACK_MISSING : PSD_PS_NEW_MISSING;
}

void psd_links_appl_asked(struct psd_links *lk, struct psd_port *p)
{
	p->lookup_gen = lk->notify_gen;
}

void psd_links_appl_answered(const struct psd_links *lk, struct psd_port *p, bool there)
{
	if (lk->appl_known && p->appl_gen <= p->lookup_gen) /* nothing said of it since */
		p->appl = there ? PSD_APPL_THERE : PSD_APPL_ABSENT;
}

bool psd_links_on_timer(const struct psd_links *lk, const struct psd_port *p)
{
	return p->park_refused || !lk->appl_known;
}
