/*
 * Grammar of a link message's attribute sequence, over the symbols of nl_accept.h.
 * Exactly one IFLA_IFNAME; at most one of each other attribute the core reads; anything else
 * ('o') any number of times, in any order. The machine runs one symbol at a time and keeps its
 * state in struct psd_attr_seq, so it needs no buffer. Since 'o' is a self-loop in every state,
 * the walker does not feed it (most attributes of a kernel message are ones we do not read).
 */
#include "nl_accept.h"

/* Ragel emits tables that a small machine may not use. */
#pragma GCC diagnostic ignored "-Wunused-const-variable"

%%{
	machine psd_attr_accept;
	alphtype unsigned char;

	ifname = 'n';
	mtu = 'm';
	master = 'M';
	linkinfo = 'k';
	address = 'a';
	carrier_changes = 'C';
	carrier_up = 'U';
	carrier_down = 'D';
	other = 'o';
	sym = ifname | mtu | master | linkinfo | address | carrier_changes | carrier_up |
	      carrier_down | other;

	one_ifname = (sym - ifname)* ifname (sym - ifname)*;
	at_most_one_mtu = (sym - mtu)* (mtu (sym - mtu)*)?;
	at_most_one_master = (sym - master)* (master (sym - master)*)?;
	at_most_one_linkinfo = (sym - linkinfo)* (linkinfo (sym - linkinfo)*)?;
	at_most_one_address = (sym - address)* (address (sym - address)*)?;
	at_most_one_changes = (sym - carrier_changes)* (carrier_changes (sym - carrier_changes)*)?;
	at_most_one_up = (sym - carrier_up)* (carrier_up (sym - carrier_up)*)?;
	at_most_one_down = (sym - carrier_down)* (carrier_down (sym - carrier_down)*)?;

	main := one_ifname & at_most_one_mtu & at_most_one_master
		& at_most_one_linkinfo & at_most_one_address & at_most_one_changes
		& at_most_one_up & at_most_one_down;
}%%

%% write data noerror noentry;

void psd_attr_seq_init(struct psd_attr_seq *s)
{
	int cs;
	%% write init;
	s->cs = cs;
}

void psd_attr_seq_push(struct psd_attr_seq *s, enum psd_attr_sym sym)
{
	const unsigned char sym_byte = (unsigned char)sym;
	const unsigned char *p = &sym_byte;
	const unsigned char *pe = p + 1;
	int cs = s->cs;
	%% write exec;
	s->cs = cs;
}

bool psd_attr_seq_accepted(const struct psd_attr_seq *s)
{
	return s->cs >= psd_attr_accept_first_final;
}
