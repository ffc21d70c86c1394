/*
 * The parts of the links module and what they share: links_appl.c (what APPL_DB holds, kept)
 * calls links.c (the ports' machines), both call links_known.c (what is known of one port), and
 * nothing calls back up. No other object includes this header (core/layers: parts links ...).
 */
#ifndef PSD_LINKS_PARTS_H
#define PSD_LINKS_PARTS_H

#include "links_state.h"
#include "port_fsm.h"
#include "port_table.h"

struct psd_ctx;

/* links.c: one symbol into a port's machine, and the work it returns done. */
void psd_links_step(struct psd_ctx *c, struct psd_links *lk, uint32_t idx, enum psd_port_sym sym);
/* links.c: the re-check timer, if a parked port or a refused PortInitDone needs it. */
void psd_links_arm_recheck(struct psd_ctx *c, struct psd_links *lk);

/* links_known.c: the symbol of a port's new link, or of its newer state once a write is
 * acknowledged (ack), by what APPL_DB is known to hold of it. */
enum psd_port_sym psd_links_new_sym(const struct psd_ctx *c, const struct psd_links *lk,
				    const struct psd_port *p, bool ack);
/* links_known.c: a port's look-up goes out, or its answer came (what APPL_DB holds, unless a
 * notification since says it may have changed again). */
void psd_links_appl_asked(struct psd_links *lk, struct psd_port *p);
void psd_links_appl_answered(const struct psd_links *lk, struct psd_port *p, bool there);
/* links_known.c: a parked port waits for the re-check timer (not for a notification). */
bool psd_links_on_timer(const struct psd_links *lk, const struct psd_port *p);

#endif
