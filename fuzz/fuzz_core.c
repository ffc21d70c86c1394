/*
 * Sequences of events into the whole core: link messages (from templates with fuzzed fields,
 * or raw bytes), Redis replies held and released or delivered one at a time, connections lost
 * and restored, netlink losses, time, orchagent consuming APPL_DB, a Redis that restarts empty,
 * and shutdown. The first byte chooses whether start-up completes first or runs under the
 * program's control, so outages can interrupt any start-up phase. The
 * core's own invariant check runs after every step (inside the world); at the end every
 * connection is restored and the core must settle with nothing in flight.
 */
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "fuzz.h"
#include "world.h"

static const char *const names[] = {
	"Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12", "Ethernet0.10",
	"PortChannel1", "eth0", "Ethernet8x", "Ethernet16", "lo",
};
static const char *const kinds[] = {NULL, "veth", "team", "vlan", "bridge"};

static void link_message(struct psd_world *w, struct fz *f)
{
	uint8_t buf[512];
	uint8_t bits = fz_u8(f);
	struct psd_nl_link_spec s = {
		.type = bits & 1 ? RTM_DELLINK : RTM_NEWLINK,
		.family = bits & 2 ? 7 : 0, /* AF_BRIDGE */
		.ifindex = 1 + fz_u8(f) % 24,
		.flags = (bits & 4 ? IFF_UP : 0) | (bits & 8 ? IFF_RUNNING : 0),
		.name = names[fz_u8(f) % (sizeof(names) / sizeof(names[0]))],
		.mtu = bits & 16 ? 1500u + fz_u8(f) : 9100,
		.master = bits & 32 ? 30 : 0,
		.kind = kinds[fz_u8(f) % (sizeof(kinds) / sizeof(kinds[0]))],
	};
	bool dump = bits & 64;
	if (dump)
		s.seq = w->dump_seq;
	size_t len = psd_nl_build_link(buf, sizeof(buf), 0, &s);
	if (bits & 128 && len > 0) /* one corrupted byte */
		buf[fz_u8(f) % len] ^= (uint8_t)(1 + fz_u8(f));
	if (dump && fz_u8(f) & 1)
		len = psd_nl_build_done(buf, sizeof(buf), len, w->dump_seq, fz_u8(f) & 1 ? 0x10 : 0);
	psd_world_datagram(w, buf, len, dump);
}

static bool all_up(const bool up[3])
{
	return up[0] && up[1] && up[2];
}

/* Every connection back, everything held delivered, time for the re-checks to run. */
static void heal(struct psd_world *w, bool up[3])
{
	psd_world_release(w);
	for (int db = 0; db < 3; db++) {
		if (up[db])
			continue;
		for (int guard = 0; guard < 64 && w->connects[db] == 0; guard++)
			psd_world_tick(w);
		FZ_CHECK(w->connects[db] > 0);
		psd_world_db_up(w, (enum psd_db)db);
		up[db] = true;
	}
	psd_world_settle(w);
	for (int i = 0; i < 3; i++)
		psd_world_advance(w, 2000000000ull);
}

/* Ops 3, 4 and 8: a connection lost, one made again (or failing), Redis restarted empty. */
static void redis_op(struct psd_world *w, struct fz *f, uint8_t op, bool up[3])
{
	int db = op == 8 ? 0 : fz_u8(f) % 3;
	if (op == 3 && up[db]) {
		psd_world_db_down(w, (enum psd_db)db);
		up[db] = false;
		w->connects[db] = 0;
	} else if (op == 4 && !up[db] && w->connects[db] > 0) {
		if (fz_u8(f) & 1) {
			psd_world_db_up(w, (enum psd_db)db);
			up[db] = true;
		} else {
			w->connects[db] = 0;
			psd_world_db_down(w, (enum psd_db)db); /* the attempt failed */
		}
	} else if (op == 8 && !up[0] && !up[1] && !up[2]) { /* Redis restarts empty */
		psd_model_free(&w->m);
		psd_model_init(&w->m);
	}
}

/* One of the program's 12 ops. */
static void fuzz_op(struct psd_world *w, struct fz *f, bool up[3])
{
	size_t len;
	uint8_t op = fz_u8(f) % 12;
	switch (op) {
	case 0:
		if (w->listening)
			link_message(w, f);
		break;
	case 1: {
		const uint8_t *raw = fz_bytes(f, 200, &len);
		if (w->listening)
			psd_world_datagram(w, raw, len, fz_u8(f) & 1);
		break;
	}
	case 2:
		if (w->hold)
			psd_world_release(w);
		else
			w->hold = true;
		break;
	case 5:
		psd_world_advance(w, (uint64_t)fz_u8(f) * 20000000ull);
		break;
	case 6: { /* a loss, or the event socket read empty */
		uint8_t what = fz_u8(f);
		struct psd_event ev = {.type = what & 0x80 ? PSD_EV_NL_DRAINED : PSD_EV_NL_LOSS};
		ev.u.loss = (enum psd_nl_loss)((what & 0x7f) % _PSD_LOSS_MAX);
		psd_world_push(w, &ev);
		psd_world_settle(w);
		break;
	}
	case 7:
		psd_model_consume(&w->m, PSD_WORLD_APPL);
		break;
	case 9:
		if (fz_u8(f) == 0xff) {
			struct psd_event ev = {.type = PSD_EV_SHUTDOWN};
			psd_world_push(w, &ev);
		}
		break;
	case 10:
		if (all_up(up) && !w->hold)
			psd_world_settle(w);
		break;
	case 11:
		psd_world_deliver_one(w);
		break;
	default:
		redis_op(w, f, op, up);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	struct psd_world *w = psd_world_new();
	bool up[3] = {true, true, true};

	uint8_t mode = fz_u8(&f);
	w->cfg.seed = 7;
	w->cfg.compat = mode & 1;
	for (int i = 0; i < 4; i++) {
		char key[32];
		snprintf(key, sizeof(key), "PORT|Ethernet%d", i * 4);
		psd_model_hset(&w->m, PSD_WORLD_CONFIG, key, "lanes", "0");
	}
	if (mode & 2) { /* start-up under the program's control: replies wait for op 11 */
		FZ_CHECK(psd_world_init_core(w));
		struct psd_event start = {.type = PSD_EV_START};
		psd_world_push(w, &start);
	} else {
		psd_world_start(w);
	}
	for (int steps = 0; f.n > 0 && steps < 256 && !w->exited; steps++)
		fuzz_op(w, &f, up);
	if (!w->exited) {
		heal(w, up);
		psd_core_check(w->core);
		FZ_CHECK(w->reply_count == 0 && w->held_count == 0);
	}
	psd_world_free(w);
	return 0;
}
