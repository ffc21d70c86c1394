/* What APPL_DB holds of each port, from its keyspace subscription (links_appl.c): the links
 * module's entry points for it, which only the engine calls. */
#ifndef PSD_LINKS_APPL_H
#define PSD_LINKS_APPL_H

#include "links_state.h"

/* APPL_DB's keyspace subscription turned watched (a full read of PORT_TABLE follows, then a
 * link change of a port known there is written at once) or not (what was known is dropped: a
 * look-up per link change, the re-check timer for ports APPL_DB lacks). */
void psd_links_appl_watched(struct psd_ctx *c, struct psd_links *lk, bool watched);
/* APPL_DB said PORT_TABLE<sep>name changed: what was known of it is dropped, and a port parked
 * for want of it is looked up now. */
void psd_links_appl_notified(struct psd_ctx *c, struct psd_links *lk, const struct psd_str *name);
/* The full read of PORT_TABLE, when due (asked before the port commands it
 * decides); its reply. */
bool psd_links_appl_pull(struct psd_ctx *c, struct psd_links *lk, struct psd_action *ret);
void psd_links_appl_reply(struct psd_ctx *c, struct psd_links *lk, const struct psd_reply *r);

#endif
