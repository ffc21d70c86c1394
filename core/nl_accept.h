/*
 * Acceptance of a link message's attribute sequence (grammar in nl_accept.rl). The walker
 * classifies each attribute into a symbol and pushes it; the machine accepts a message that
 * names the link exactly once and repeats none of the attributes we read, so "first wins" and
 * "last wins" can never disagree.
 */
#ifndef PSD_NL_ACCEPT_H
#define PSD_NL_ACCEPT_H

#include <stdbool.h>

enum psd_attr_sym {
	PSD_ATTR_OTHER = 'o',
	PSD_ATTR_IFNAME = 'n',
	PSD_ATTR_MTU = 'm',
	PSD_ATTR_MASTER = 'M',
	PSD_ATTR_LINKINFO = 'k',
	PSD_ATTR_ADDRESS = 'a',
	PSD_ATTR_CARRIER_CHANGES = 'C', /* the kernel's count of carrier changes */
	PSD_ATTR_CARRIER_UP = 'U',      /* ... of carrier up events */
	PSD_ATTR_CARRIER_DOWN = 'D',    /* ... of carrier down events */
	PSD_ATTR_KIND = 'K', /* inside IFLA_LINKINFO; not part of the outer sequence */
};

struct psd_attr_seq {
	int cs;
};

void psd_attr_seq_init(struct psd_attr_seq *s);
void psd_attr_seq_push(struct psd_attr_seq *s, enum psd_attr_sym sym);
bool psd_attr_seq_accepted(const struct psd_attr_seq *s);

#endif
