/*
 * Checker: a hostile Redis's replies.
 *
 *  - no-wrong-ack: a reply of a type its command cannot have acknowledges nothing. The world
 *    answers a STATE_DB port command that way without executing it and, as the daemon's adapter
 *    does, drops the connection when the reply is read (PSD_DOWN_PROTOCOL); the same daemon must
 *    send a command for that key again (the command in flight requeued, every port written again
 *    after a server that broke the protocol), and the port then converges with the others.
 *    Checked once the world has healed: a key still unsent names the port the core took as
 *    written.
 */
#include <string.h>

#include "checks.h"
#include "commands.h"
#include "sim.h"

/* The slot of a STATE_DB port key, or SIZE_MAX for any other command. */
static size_t slot(const struct psd_sim *s, uint32_t db, uint32_t argc, const char *const *argv,
		   const size_t *len)
{
	bool renamed = false;
	if (db != PSD_WORLD_STATE || argc < 2 || !psd_sim_cmd_writes(argv, len))
		return SIZE_MAX;
	uint32_t port = psd_sim_port_of(s->nports, argv[1], len[1], &renamed);
	return port == UINT32_MAX ? SIZE_MAX : 2 * (size_t)port + renamed;
}

void psd_check_wrong_reply(struct psd_sim *s, uint32_t db, uint32_t argc,
			   const char *const *argv, const size_t *len)
{
	size_t i = slot(s, db, argc, argv, len);
	if (i != SIZE_MAX)
		s->o.replies.unacked[i] = true;
}

void psd_check_replies_sent(struct psd_sim *s, uint32_t db, uint32_t argc,
			    const char *const *argv, const size_t *len)
{
	size_t i = slot(s, db, argc, argv, len);
	if (i != SIZE_MAX)
		s->o.replies.unacked[i] = false;
}

void psd_check_replies_reset(struct psd_sim *s)
{
	memset(s->o.replies.unacked, 0, 2 * (size_t)s->nports * sizeof(*s->o.replies.unacked));
}

void psd_check_wrong_acks(struct psd_sim *s)
{
	char key[48];
	for (uint32_t i = 0; i < 2 * s->nports; i++) {
		if (!s->o.replies.unacked[i])
			continue;
		snprintf(key, sizeof(key), "PORT_TABLE|Ethernet%u%s", i / 2, i % 2 ? "x" : "");
		psd_sim_violate(&s->o, PSD_INV_NO_WRONG_ACK,
				"answered with a wrong type, never sent again:", key, strlen(key));
		return;
	}
}
