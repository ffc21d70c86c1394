/*
 * psd-sim: the real core in a deterministic world, driven from one seed.
 *
 * A kernel model holds every port's netdev (ifindex, IFF_UP, carrier, MTU) and turns each change
 * into real rtnetlink bytes (nl_build), queued as the event socket would queue them; a requested
 * dump is answered from the model's state. Redis is the in-memory model, with an orchagent-like
 * consumer. Each seed draws its own fault rates (swarm testing): flaps, admin and MTU changes,
 * deletes and re-creates, netlink overruns, Redis outages and restarts that lose data.
 *
 * Safety: the core's invariants (psd_core_check) and: a STATE_DB port entry written by us always
 * has an APPL_DB port behind it. Both are O(ports): checked after every step up to
 * PSD_SIM_CHECK_ALL_PORTS ports, every PSD_SIM_CHECK_EVERY steps beyond. Liveness: after the fault phase, the world
 * heals and STATE_DB must equal the kernel for every port within PSD_SIM_CONVERGE_NS of virtual
 * time. A failure prints the command that reproduces the run. The same seed gives the same trace
 * hash. --canary drop-loss hides overruns from the core (the C++ daemon's behaviour): the
 * oracle must catch it.
 *
 * Usage: psd-sim --seed S [--ports N] [--steps M] [--canary drop-loss]
 */
#include <inttypes.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "world.h"

#define PSD_SIM_PORTS_MAX 200000u
#define PSD_SIM_QUEUE_MAX 65536u                 /* kernel messages queued for the core */
#define PSD_SIM_CONVERGE_NS (60ull * 1000000000ull) /* liveness bound, virtual time */
#define PSD_SIM_CHECK_ALL_PORTS 4096u
#define PSD_SIM_CHECK_EVERY 1000u
#define MS 1000000ull

struct port {
	int32_t ifindex; /* 0: no netdev */
	bool up;
	bool carrier;
	uint32_t mtu;
};

struct queued {
	uint16_t type;
	uint32_t port;
};

struct sim {
	uint64_t rng[4];          /* xoshiro256** state of the workload and faults */
	struct psd_world *w;
	struct port *ports;
	uint32_t nports;
	int32_t next_ifindex;
	struct queued *queue;
	uint32_t qhead, qlen;
	uint32_t served_dump_seq;
	bool redis_up;
	bool canary_drop_loss;
	/* swarm: this seed's rates, per 1000 steps */
	unsigned rate_overrun, rate_outage, rate_wipe, rate_delete, rate_consume;
	uint64_t events, faults;
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next(struct sim *s) /* xoshiro256** */
{
	uint64_t *r = s->rng;
	uint64_t out = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;
	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return out;
}

static uint32_t below(struct sim *s, uint32_t n)
{
	return (uint32_t)(next(s) % n);
}

static void port_name(uint32_t i, char *buf)
{
	snprintf(buf, 16, "Ethernet%u", i);
}

static void enqueue(struct sim *s, uint16_t type, uint32_t port)
{
	if (s->qlen == PSD_SIM_QUEUE_MAX) { /* the socket buffer is full: an overrun */
		s->qhead = (s->qhead + 1) % PSD_SIM_QUEUE_MAX;
		s->qlen--;
	}
	s->queue[(s->qhead + s->qlen++) % PSD_SIM_QUEUE_MAX] = (struct queued){type, port};
}

static size_t encode(const struct sim *s, uint8_t *buf, size_t size, size_t off, uint16_t type,
		     uint32_t port, uint32_t seq, int32_t ifindex)
{
	char name[16];
	const struct port *p = &s->ports[port];
	port_name(port, name);
	struct psd_nl_link_spec spec = {
		.type = type, .seq = seq, .ifindex = ifindex, .name = name, .mtu = p->mtu,
		.nlflags = seq != 0 ? NLM_F_MULTI : 0, .kind = "veth",
		.flags = 0x1002u | (p->up ? IFF_UP : 0) | (p->up && p->carrier ? IFF_RUNNING : 0),
	};
	return psd_nl_build_link(buf, size, off, &spec);
}

/* Delivers up to n queued kernel messages, one datagram each. */
static void deliver(struct sim *s, uint32_t n)
{
	uint8_t buf[512];
	for (; n > 0 && s->qlen > 0 && s->w->listening && !s->w->exited; n--) {
		struct queued q = s->queue[s->qhead];
		s->qhead = (s->qhead + 1) % PSD_SIM_QUEUE_MAX;
		s->qlen--;
		int32_t ifindex = s->ports[q.port].ifindex;
		if (q.type == RTM_DELLINK)
			ifindex = -ifindex; /* a deleted netdev's old ifindex is kept negated */
		size_t len = encode(s, buf, sizeof(buf), 0, q.type, q.port, 0, ifindex);
		psd_world_datagram(s->w, buf, len, false);
		s->events++;
	}
}

/* Answers a dump the core asked for with the kernel's present state. */
static void serve_dump(struct sim *s)
{
	static uint8_t buf[1 << 16];
	size_t off = 0;
	uint32_t seq = s->w->dump_seq;

	if (seq == s->served_dump_seq || !s->w->listening || s->w->exited)
		return;
	s->served_dump_seq = seq;
	for (uint32_t i = 0; i < s->nports; i++) {
		if (s->ports[i].ifindex <= 0)
			continue;
		if (off + 256 > sizeof(buf)) {
			psd_world_datagram(s->w, buf, off, true);
			off = 0;
		}
		off = encode(s, buf, sizeof(buf), off, RTM_NEWLINK, i, seq, s->ports[i].ifindex);
	}
	off = psd_nl_build_done(buf, sizeof(buf), off, seq, 0);
	psd_world_datagram(s->w, buf, off, true);
}

static void kernel_change(struct sim *s)
{
	uint32_t i = below(s, s->nports);
	struct port *p = &s->ports[i];
	if (p->ifindex <= 0) { /* re-create with a new ifindex */
		p->ifindex = s->next_ifindex++;
		p->up = false;
		p->carrier = false;
		p->mtu = 9100;
		enqueue(s, RTM_NEWLINK, i);
		return;
	}
	unsigned what = below(s, 1000);
	if (what < s->rate_delete) {
		enqueue(s, RTM_DELLINK, i);
		p->ifindex = -p->ifindex;
		s->faults++;
		return;
	}
	if (what < 600)
		p->carrier = !p->carrier;
	else if (what < 900)
		p->up = !p->up;
	else
		p->mtu = 1500 + below(s, 8000);
	enqueue(s, RTM_NEWLINK, i);
}

static void overrun(struct sim *s)
{
	uint32_t drop = 1 + below(s, 64);
	while (drop-- > 0 && s->qlen > 0) {
		s->qhead = (s->qhead + 1) % PSD_SIM_QUEUE_MAX;
		s->qlen--;
	}
	s->faults++;
	if (s->canary_drop_loss || !s->w->listening)
		return;
	struct psd_event ev = {.type = PSD_EV_NL_LOSS};
	ev.u.loss = PSD_LOSS_ENOBUFS;
	psd_world_push(s->w, &ev);
	psd_world_settle(s->w);
}

static void config_ports(struct sim *s)
{
	char key[32];
	for (uint32_t i = 0; i < s->nports; i++) {
		snprintf(key, sizeof(key), "PORT|Ethernet%u", i);
		psd_model_hset(&s->w->m, PSD_WORLD_CONFIG, key, "lanes", "0");
	}
}

static void redis_fault(struct sim *s, bool wipe)
{
	if (s->redis_up) {
		psd_world_redis_down(s->w);
		s->redis_up = false;
		s->faults++;
		if (wipe) { /* restarted without persistence; CONFIG_DB loaded again */
			psd_model_free(&s->w->m);
			psd_model_init(&s->w->m);
			config_ports(s);
		}
	} else {
		psd_world_redis_up(s->w);
		s->redis_up = true;
	}
}

/* A STATE_DB entry we wrote (it has `state`) has an APPL_DB port behind it, consumed or not. */
static const char *check_state_has_appl(struct sim *s)
{
	static char why[128];
	char key[48];
	for (size_t k = 0; k < s->w->m.count; k++) {
		const struct psd_model_key *mk = &s->w->m.keys[k];
		if (mk->db != PSD_WORLD_STATE || strncmp(mk->key, "PORT_TABLE|", 11) != 0)
			continue;
		if (psd_model_hget(&s->w->m, PSD_WORLD_STATE, mk->key, "state") == NULL)
			continue;
		snprintf(key, sizeof(key), "PORT_TABLE:%s", mk->key + 11);
		if (!psd_model_exists(&s->w->m, PSD_WORLD_APPL, key)) {
			snprintf(why, sizeof(why), "%s written without APPL_DB %s", mk->key, key);
			return why;
		}
	}
	return NULL;
}

/* STATE_DB equals the kernel for every port; NULL, or what differs. */
static const char *check_converged(struct sim *s)
{
	static char why[160];
	char key[48];
	for (uint32_t i = 0; i < s->nports; i++) {
		const struct port *p = &s->ports[i];
		snprintf(key, sizeof(key), "PORT_TABLE|Ethernet%u", i);
		const char *oper = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "netdev_oper_status");
		const char *admin = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "admin_status");
		const char *mtu = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "mtu");
		if (p->ifindex <= 0) {
			if (psd_model_exists(&s->w->m, PSD_WORLD_STATE, key)) {
				snprintf(why, sizeof(why), "%s exists but Ethernet%u was deleted", key, i);
				return why;
			}
			continue;
		}
		char want_mtu[16];
		snprintf(want_mtu, sizeof(want_mtu), "%u", p->mtu);
		const char *want_oper = p->up && p->carrier ? "up" : "down";
		const char *want_admin = p->up ? "up" : "down";
		if (oper == NULL || admin == NULL || mtu == NULL || strcmp(oper, want_oper) != 0 ||
		    strcmp(admin, want_admin) != 0 || strcmp(mtu, want_mtu) != 0) {
			snprintf(why, sizeof(why), "%s is {%s %s %s}, the kernel says {%s %s %s}", key,
				 oper ? oper : "-", admin ? admin : "-", mtu ? mtu : "-", want_oper,
				 want_admin, want_mtu);
			return why;
		}
	}
	return NULL;
}


static uint64_t parse_seed(const char *text)
{
	uint64_t seed = 0;
	if (strlen(text) == 40) { /* a commit hash: fold its hex digits */
		for (const char *c = text; *c != '\0'; c++)
			seed = seed * 31 + (uint64_t)*c;
		return seed;
	}
	return strtoull(text, NULL, 0);
}

static int usage(void)
{
	fprintf(stderr, "usage: psd-sim --seed S [--ports N] [--steps M] [--canary drop-loss]\n");
	return 2;
}

static void fail(struct sim *s, const char *seed_text, uint32_t steps, const char *what)
{
	printf("psd-sim: FAILED: %s\n", what);
	printf("psd-sim: last commands:\n");
	uint64_t from = s->w->recent_total > 16 ? s->w->recent_total - 16 : 0;
	for (uint64_t i = from; i < s->w->recent_total; i++)
		printf("  %s\n", s->w->recent[i % 16]);
	printf("psd-sim: reproduce with: build/psd-sim --seed %s --ports %u --steps %u%s\n",
	       seed_text, s->nports, steps, s->canary_drop_loss ? " --canary drop-loss" : "");
}

int main(int argc, char **argv)
{
	const char *seed_text = NULL;
	uint32_t ports = 16, steps = 2000;
	static struct sim s;
	struct timespec t0, t1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed_text = argv[++i];
		else if (strcmp(argv[i], "--ports") == 0 && i + 1 < argc)
			ports = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc)
			steps = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--canary") == 0 && i + 1 < argc &&
			 strcmp(argv[i + 1], "drop-loss") == 0)
			s.canary_drop_loss = ++i > 0;
		else
			return usage();
	}
	if (seed_text == NULL || ports == 0 || ports > PSD_SIM_PORTS_MAX)
		return usage();
	uint64_t seed = parse_seed(seed_text), sub = seed;
	for (int i = 0; i < 4; i++)
		s.rng[i] = splitmix(&sub);
	s.nports = ports;
	s.ports = calloc(ports, sizeof(*s.ports));
	s.queue = calloc(PSD_SIM_QUEUE_MAX, sizeof(*s.queue));
	s.w = psd_world_new();
	if (s.ports == NULL || s.queue == NULL)
		return 1;
	s.w->cfg.seed = splitmix(&sub);
	s.w->cfg.log_level = PSD_LOG_WARN;
	s.w->lim.ports_max = 2 * ports + 16;
	s.w->lim.inflight_max = 4096;
	uint32_t check_every = ports <= PSD_SIM_CHECK_ALL_PORTS ? 1 : PSD_SIM_CHECK_EVERY;
	s.w->check_every = check_every;
	s.rate_overrun = below(&s, 20);
	s.rate_outage = below(&s, 10);
	s.rate_wipe = below(&s, 3);
	s.rate_delete = below(&s, 50);
	s.rate_consume = 5 + below(&s, 100);
	s.next_ifindex = 100;
	s.redis_up = true;
	printf("psd-sim: seed %s (%#" PRIx64 "), %u ports, %u steps; per 1000 steps: overrun %u, "
	       "outage %u, wipe %u, delete %u, consume %u\n", seed_text, seed, ports, steps,
	       s.rate_overrun, s.rate_outage, s.rate_wipe, s.rate_delete, s.rate_consume);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	config_ports(&s);
	psd_world_start(s.w);
	for (uint32_t step = 0; step < steps; step++) {
		unsigned r = below(&s, 1000);
		if (r < s.rate_overrun)
			overrun(&s);
		else if (r < s.rate_overrun + s.rate_outage)
			redis_fault(&s, below(&s, 10) < s.rate_wipe);
		else if (r < s.rate_overrun + s.rate_outage + s.rate_consume)
			psd_model_consume(&s.w->m, PSD_WORLD_APPL);
		else if (r < 700)
			kernel_change(&s);
		else if (r < 950)
			deliver(&s, 1 + below(&s, 32));
		else
			psd_world_advance(s.w, below(&s, 500) * MS);
		serve_dump(&s);
		if (!s.redis_up)
			psd_world_refuse_connects(s.w);
		const char *bad = step % check_every == 0 ? check_state_has_appl(&s) : NULL;
		if (bad != NULL) {
			fail(&s, seed_text, steps, bad);
			return 1;
		}
	}
	/* liveness: faults stop, the world heals, the core must converge within the bound */
	if (!s.redis_up)
		redis_fault(&s, false);
	const char *bad = "not converged";
	for (uint64_t t = 0; t <= PSD_SIM_CONVERGE_NS && bad != NULL; t += 500 * MS) {
		deliver(&s, PSD_SIM_QUEUE_MAX);
		serve_dump(&s);
		psd_model_consume(&s.w->m, PSD_WORLD_APPL);
		psd_world_advance(s.w, 500 * MS);
		serve_dump(&s);
		bad = check_converged(&s);
	}
	if (bad != NULL) {
		fail(&s, seed_text, steps, bad);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("psd-sim: ok: %" PRIu64 " netlink events, %" PRIu64 " faults, %.0f simulated events/s, "
	       "trace hash %016" PRIx64 "\n", s.events, s.faults, (double)s.events / secs,
	       s.w->trace_hash);
	psd_world_free(s.w);
	free(s.ports);
	free(s.queue);
	return 0;
}
