/*
 * psd-sim: the real core in a deterministic world, driven from one seed.
 *
 * The kernel model (kernel.c) turns each change into real rtnetlink bytes; the Redis model
 * executes the core's commands, with an orchagent-like consumer. Each seed draws its own fault
 * rates (swarm testing): flaps, admin and MTU changes, deletes and re-creates, renames, bridge
 * enslave and release, netlink overruns, truncated and interrupted dumps, Redis outages, restarts
 * that lose data, slow replies, refused writes (OOM), and daemon restarts: warm, cold, and the
 * cold swss restart that leaves old netdevs behind (FB-03).
 *
 * Safety: the invariants below, checked on every command Redis executes or the core sends, after
 * every step, and (the O(ports) structural check) after every event up to
 * PSD_SIM_CHECK_ALL_PORTS ports, every ports / PSD_SIM_CHECK_SPAN events beyond.
 * Liveness: after the fault phase the world heals and STATE_DB must equal the kernel for every
 * port within PSD_SIM_CONVERGE_NS of virtual time. A failure prints the command that reproduces
 * the run and the last commands. The same seed gives the same trace hash. --canary drop-loss
 * hides overruns from the core (the C++ daemon's behaviour): the oracle must catch it;
 * --canary early-fire gives the core every alert rule's `for` a second short: alert-held-for
 * must catch it.
 *
 * psd-sim --fixture F [--commands FILE] runs one scenario instead (docs/fixtures.md).
 * --warm-bench: after convergence, one measured warm restart (make bench): 1% of the netdevs
 * deleted, 1% flapped to a new carrier and 0.5% re-sized while the daemon is down; prints the
 * wall-clock time from the new core's start to `reconciled` and the writes per unchanged port,
 * then converges again under every invariant.
 *
 * Usage: psd-sim --seed S [--ports N] [--steps M] [--storm R] [--faults swarm|none|F,F...]
 *                [--canary drop-loss|early-fire] [--warm-bench] [--verbose]
 *        psd-sim --seed S --alerts [--ports N]   the alert scenario: seeded flap storms fire the
 *                shipped flap rule for exactly the flapping ports at the predicted times, a
 *                silence holds one port's actions until it expires, a Redis outage inhibits
 *                every per-port alert; it prints the alert trace hash
 *
 * Every run watches the shipped alert rules (sim/alert_watch.c): invariant alert-held-for.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "alert_rules.h"
#include "alert_watch.h"
#include "fixture.h"
#include "kernel.h"
#include "world.h"

#ifndef PSD_COMMIT
#define PSD_COMMIT "unknown"
#endif

#define PSD_SIM_PORTS_MAX 200000u
#define PSD_SIM_STEPS_MAX 100000000u
#define PSD_SIM_STORM_MAX 1000u
#define PSD_SIM_CONVERGE_NS (60ull * 1000000000ull) /* liveness bound, virtual time */
#define PSD_SIM_CHECK_ALL_PORTS 4096u /* up to this many ports, the core is checked every step */
#define PSD_SIM_CHECK_SPAN 1u         /* beyond: ports checked per step, amortised */
#define PSD_SIM_INFLIGHT_MAX 4000u    /* below PSD_WORLD_HELD_MAX: singletons fit beside */
#define MS 1000000ull
/* The event loop fires a timer late by up to its slack plus this (scheduling, other sources). */
#define PSD_SIM_LOOP_LATE_NS (2ull * MS)
/* Redis back from an outage: the daemon is connected to every database within this. */
#define PSD_SIM_RECONNECT_NS (300ull * MS)

/* The named invariants; docs/simulator.md says what each one means. */
enum invariant {
	INV_CORE,            /* psd_core_check(): the core's own structure (asserts) */
	INV_STATE_NEEDS_APPL,
	INV_NO_OLD_IFINDEX,
	INV_NO_FALSE_DELETE,
	INV_INIT_DONE_ONCE,
	INV_MEMORY_BOUNDED,
	INV_RECONNECTED,     /* Redis back: every database reconnected within the bound */
	INV_ALERT_HELD_FOR,  /* no alert fires unless its condition held for its rule's `for` */
	INV_WARM_NO_CHURN,   /* a warm start writes no key whose value was already right */
	INV_WARM_PATH,       /* WARM_RESTART_TABLE|portsyncd state follows the machine */
	INV_WARM_EXACT,      /* at `reconciled`, every port entry STATE_DB holds is the kernel's */
	INV_CONVERGED,       /* liveness */
};

static const char *const invariant_names[] = {
	[INV_CORE] = "core-structure",
	[INV_STATE_NEEDS_APPL] = "state-needs-appl",
	[INV_NO_OLD_IFINDEX] = "no-old-ifindex",
	[INV_NO_FALSE_DELETE] = "no-false-delete",
	[INV_INIT_DONE_ONCE] = "init-done-once",
	[INV_MEMORY_BOUNDED] = "memory-bounded",
	[INV_RECONNECTED] = "reconnected",
	[INV_ALERT_HELD_FOR] = "alert-held-for",
	[INV_WARM_NO_CHURN] = "warm-no-churn",
	[INV_WARM_PATH] = "warm-path",
	[INV_WARM_EXACT] = "warm-exact",
	[INV_CONVERGED] = "converged",
};

enum fault {
	F_OVERRUN,
	F_OUTAGE,
	F_WIPE,
	F_DELETE,
	F_RENAME,
	F_ENSLAVE,
	F_SLOW,
	F_OOM,
	F_DUMP_TRUNCATED,
	F_DUMP_INTERRUPTED,
	F_RESTART_WARM,
	F_RESTART_COLD,
	F_RESTART_SWSS,
	F_REFUSE,        /* Redis refuses every command with one of its real errors */
	F_WRONGTYPE,     /* CONFIG_DB holds a PORT|x and LOGGER|portsyncd of another type */
	F_STALE,         /* (of outages) Redis restarts from an older snapshot */
	F_EMPTY_LATE,    /* (of outages) Redis restarts empty; CONFIG_DB is loaded steps later */
	F_LOADING,       /* Redis restarts with its data, answering LOADING for a while */
	F_STALL,         /* Redis stops answering for longer than the stall limit */
	F_MAXCLIENTS,    /* (of outages) Redis is back but refuses the connections for a while */
	F_MAX,
};

static const char *const fault_names[F_MAX] = {
	"overrun", "outage", "wipe", "delete", "rename", "enslave", "slow", "oom",
	"dump-truncated", "dump-interrupted", "restart-warm", "restart-cold", "restart-swss",
	"refuse", "wrongtype", "restart-stale", "restart-empty-late", "loading", "stall",
	"maxclients",
};

/* Error replies a real Redis gives, with its own words; the `refuse` fault draws one. */
static const char *const redis_errors[] = {
	"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
	"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
	"to disk.",
	"TRYAGAIN Multiple keys request during rehashing of slot",
	"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
	"NOREPLICAS Not enough good replicas to write.",
	"READONLY You can't write against a read only replica.",
	"ERR max number of clients reached",
};

#define PSD_SIM_STALL_NS (6000ull * MS) /* a stall: beyond the core's 5 s default limit */

struct sim {
	uint64_t rng[4]; /* xoshiro256** state of the workload and faults */
	struct psd_world *w;
	struct psd_kernel k;
	uint32_t nports;
	bool redis_up;
	bool refuse_writes; /* OOM: Redis answers writes with an error */
	const char *refuse_error; /* `refuse`: every command is answered with this error */
	struct psd_model snapshot; /* the last SAVE, for a restart onto older data */
	bool has_snapshot;
	uint32_t config_late;     /* steps until CONFIG_DB is loaded again (restart-empty-late) */
	uint32_t loading_left;    /* steps Redis still answers LOADING */
	uint32_t maxclients_left; /* steps Redis still refuses connections though it is back */
	bool sai_pending;   /* a cold swss restart's netdevs are still the old ones */
	bool canary_drop_loss;
	bool canary_early_fire; /* the core's rules fire a second before their `for` */
	bool faults_on;
	unsigned rate[F_MAX]; /* this seed's rates, per 1000 steps (kernel faults: per 1000 changes) */
	unsigned rate_consume;
	uint64_t faults[F_MAX];
	/* invariant state */
	int32_t *old_ifindex;   /* the netdev the core declared old (forced down) at its start */
	bool *old_renamed;      /* the name it had then */
	bool *written;          /* this daemon run has written the port's STATE_DB key */
	bool warm_window;       /* a warm start that has not reconciled, over data Redis kept */
	bool warm_exact_due;    /* its `reconciled` is on its way: STATE_DB is checked then */
	char warm_state[16];    /* the last WARM_RESTART_TABLE state sent in this run ("": none) */
	bool warm_dump_fault;   /* the first dump after a warm start is interrupted */
	bool *changed;          /* --warm-bench: the netdev changed while the daemon was down */
	uint64_t unchanged_writes; /* --warm-bench: STATE_DB writes sent for unchanged ports */
	bool *fresh;            /* the core was told of a netdev of the port that is not old */
	bool *told_gone;        /* the core was told the port's netdev went away since its last
				   STATE_DB write was sent */
	unsigned init_done_writes; /* since the last daemon start or loss of APPL_DB */
	struct psd_alert_watch aw; /* the shipped alert rules, watched after every step */
	enum invariant violated;
	char why[256];
	bool failed;
};

static char reproduce_line[512];

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

static void violate(struct sim *s, enum invariant inv, const char *what, const char *key,
		    size_t key_len)
{
	if (s->failed)
		return; /* the first violation is the one reported */
	s->failed = true;
	s->violated = inv;
	snprintf(s->why, sizeof(s->why), "%s %.*s", what, (int)key_len, key);
}

/* The port a STATE_DB key names: "PORT_TABLE|Ethernet<i>" gives i; UINT32_MAX otherwise. */
static uint32_t port_of(const struct sim *s, const char *key, size_t len, bool *renamed)
{
	static const char prefix[] = "PORT_TABLE|Ethernet";
	size_t p = sizeof(prefix) - 1;
	uint64_t i = 0;
	if (len <= p || memcmp(key, prefix, p) != 0)
		return UINT32_MAX;
	for (; p < len && key[p] >= '0' && key[p] <= '9' && i < s->nports; p++)
		i = i * 10 + (uint64_t)(key[p] - '0');
	*renamed = p + 1 == len && key[p] == 'x';
	return (p == len || *renamed) && i < s->nports ? (uint32_t)i : UINT32_MAX;
}

static bool is_arg(const char *arg, size_t len, const char *lit)
{
	return len == strlen(lit) && memcmp(arg, lit, len) == 0;
}

/* The warm-restart machine's edges between written states (warm_fsm.rl), "" the start. */
static bool warm_edge(const char *from, const char *to)
{
	static const char *const edges[][2] = {
		{"", "initialized"},           {"", "disabled"},
		{"initialized", "initialized"}, {"initialized", "restored"},
		{"initialized", "failed"},     {"restored", "restored"},
		{"restored", "replayed"},      {"replayed", "replayed"},
		{"replayed", "reconciled"},    {"reconciled", "reconciled"},
		{"disabled", "disabled"},      {"failed", "failed"},
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		if (strcmp(edges[i][0], from) == 0 && strcmp(edges[i][1], to) == 0)
			return true;
	return false;
}

static void check_warm_state(struct sim *s, uint32_t argc, const char *const *argv,
			     const size_t *len)
{
	char to[16];
	if (argc != 4 || !is_arg(argv[1], len[1], "WARM_RESTART_TABLE|portsyncd") ||
	    !is_arg(argv[2], len[2], "state") || len[3] >= sizeof(to))
		return;
	memcpy(to, argv[3], len[3]);
	to[len[3]] = '\0';
	if (!warm_edge(s->warm_state, to)) {
		char edge[40];
		snprintf(edge, sizeof(edge), "%s -> %s", s->warm_state[0] ? s->warm_state : "start", to);
		violate(s, INV_WARM_PATH, "no such transition:", edge, strlen(edge));
	}
	if (strcmp(to, "initialized") == 0 && s->warm_state[0] == '\0')
		s->warm_window = true; /* until reconciled, or until Redis loses what it held */
	memcpy(s->warm_state, to, sizeof(to));
	s->warm_exact_due = strcmp(to, "reconciled") == 0 && s->warm_window;
	if (strcmp(to, "reconciled") == 0 || strcmp(to, "failed") == 0 ||
	    strcmp(to, "disabled") == 0)
		s->warm_window = false;
}

/* A warm start's write to a port key this run has not written yet must change it. */
static void check_warm_churn(struct sim *s, uint32_t argc, const char *const *argv,
			     const size_t *len)
{
	bool renamed = false, changes = false;
	char key[64], field[32];
	uint32_t i;
	if (argc < 2 || len[1] >= sizeof(key))
		return;
	i = port_of(s, argv[1], len[1], &renamed);
	if (i == UINT32_MAX || renamed)
		return;
	bool hset = is_arg(argv[0], len[0], "HSET"), hdel = is_arg(argv[0], len[0], "HDEL");
	if (!hset && !hdel)
		return;
	bool first = !s->written[i];
	s->written[i] = true;
	if (!s->warm_window || !first)
		return; /* a command sent again after an outage may find its first run done */
	memcpy(key, argv[1], len[1]);
	key[len[1]] = '\0';
	for (uint32_t a = 2; a < argc && !changes; a += hset ? 2 : 1) {
		if (len[a] >= sizeof(field))
			return;
		memcpy(field, argv[a], len[a]);
		field[len[a]] = '\0';
		const char *had = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, field);
		changes = hset ? (a + 1 >= argc || had == NULL || strlen(had) != len[a + 1] ||
				  memcmp(had, argv[a + 1], len[a + 1]) != 0) :
				 had != NULL;
	}
	if (!changes)
		violate(s, INV_WARM_NO_CHURN, "a warm start wrote what STATE_DB already held:",
			argv[1], len[1]);
}

/* What Redis is asked to write for a port must follow from what the core was told. */
static void on_sent(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
		    const size_t *len)
{
	struct sim *s = ctx;
	if (db == PSD_WORLD_STATE && argc > 0 && is_arg(argv[0], len[0], "HSET"))
		check_warm_state(s, argc, argv, len);
	if (s->changed != NULL && db == PSD_WORLD_STATE && argc >= 2 &&
	    (is_arg(argv[0], len[0], "HSET") || is_arg(argv[0], len[0], "HDEL") ||
	     is_arg(argv[0], len[0], "DEL"))) {
		bool other = false;
		uint32_t p = port_of(s, argv[1], len[1], &other);
		s->unchanged_writes += p != UINT32_MAX && !other && !s->changed[p];
	}
	bool hset = is_arg(argv[0], len[0], "HSET");
	bool del = is_arg(argv[0], len[0], "DEL") || is_arg(argv[0], len[0], "HDEL");
	bool renamed = false;
	if (db != PSD_WORLD_STATE || !(hset || del) || argc < 2)
		return;
	uint32_t i = port_of(s, argv[1], len[1], &renamed);
	if (i == UINT32_MAX || renamed)
		return;
	if (!s->fresh[i])
		violate(s, INV_NO_OLD_IFINDEX, "STATE_DB changed by an old interface's message:",
			argv[1], len[1]);
	if (del && !s->told_gone[i])
		violate(s, INV_NO_FALSE_DELETE, "deleted, though the core was told of no deletion:",
			argv[1], len[1]);
	if (hset)
		s->told_gone[i] = false;
}

/* A STATE_DB port entry lands only where APPL_DB has the port (consumed). */
static void check_state_needs_appl(struct sim *s, uint32_t argc, const char *const *argv,
				   const size_t *len)
{
	static const char state[] = "PORT_TABLE|";
	const size_t n = sizeof(state) - 1;
	char appl[64];
	if (argc < 2 || !is_arg(argv[0], len[0], "HSET") || len[1] <= n || len[1] >= 60 ||
	    memcmp(argv[1], state, n) != 0)
		return;
	snprintf(appl, sizeof(appl), "PORT_TABLE:%.*s", (int)(len[1] - n), argv[1] + n);
	if (!psd_model_exists(&s->w->m, PSD_WORLD_APPL, appl))
		violate(s, INV_STATE_NEEDS_APPL, "STATE_DB written without APPL_DB", appl,
			strlen(appl));
}

static bool names_init_done(uint32_t argc, const char *const *argv, const size_t *len)
{
	for (uint32_t a = 1; a < argc; a++)
		if (is_arg(argv[a], len[a], "_PORT_TABLE:PortInitDone") ||
		    is_arg(argv[a], len[a], "PORT_TABLE:PortInitDone"))
			return true;
	return false;
}

/* `reconciled` is written once every command of the reconciliation is acknowledged. When the
 * daemon has been told all the kernel did (nothing queued or held, the dump served) and Redis
 * takes writes, STATE_DB then holds no entry for a netdev that is gone or renamed, and every entry
 * it holds is the kernel's state (a port still waiting for APPL_DB may have none yet). */
static void check_warm_exact(struct sim *s)
{
	char key[48], mtu[16];
	s->warm_exact_due = false;
	if (s->k.qlen > 0 || s->w->hold || s->refuse_writes || s->refuse_error != NULL ||
	    s->w->dump_seq != s->k.served_dump_seq)
		return;
	for (uint32_t i = 0; i < s->nports && !s->failed; i++) {
		const struct psd_kernel_port *p = &s->k.ports[i];
		snprintf(key, sizeof(key), "PORT_TABLE|Ethernet%u", i);
		const char *oper = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "netdev_oper_status");
		const char *admin = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "admin_status");
		const char *m = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "mtu");
		if (oper == NULL && admin == NULL && m == NULL)
			continue;
		snprintf(mtu, sizeof(mtu), "%u", p->mtu);
		if (p->ifindex == 0 || p->renamed)
			violate(s, INV_WARM_EXACT, "at reconciled, an entry for a netdev that is gone:",
				key, strlen(key));
		else if (oper == NULL || admin == NULL || m == NULL ||
			 strcmp(oper, p->up && p->carrier ? "up" : "down") != 0 ||
			 strcmp(admin, p->up ? "up" : "down") != 0 || strcmp(m, mtu) != 0)
			violate(s, INV_WARM_EXACT, "at reconciled, an entry not the kernel's:", key,
				strlen(key));
	}
}

/* Every command Redis executes passes here: the invariants on writes, and the OOM fault. */
static bool on_command(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
		       const size_t *len)
{
	struct sim *s = ctx;
	bool write = is_arg(argv[0], len[0], "HSET") || is_arg(argv[0], len[0], "DEL") ||
		     is_arg(argv[0], len[0], "HDEL") || is_arg(argv[0], len[0], "EVALSHA");
	if (s->refuse_writes && write)
		return false;
	if (db == PSD_WORLD_STATE) {
		check_state_needs_appl(s, argc, argv, len);
		check_warm_churn(s, argc, argv, len);
		if (s->warm_exact_due && argc == 4 && is_arg(argv[3], len[3], "reconciled"))
			check_warm_exact(s);
	}
	if (db == PSD_WORLD_APPL && write && names_init_done(argc, argv, len) &&
	    ++s->init_done_writes > 1)
		violate(s, INV_INIT_DONE_ONCE, "PortInitDone written twice", "", 0);
	return true;
}

static const char *on_refuse(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
			     const size_t *len)
{
	struct sim *s = ctx;
	return s->refuse_error;
}

/* The core forces the netdevs it declares old down: from now on they must not move STATE_DB. */
static void on_link_down(void *ctx, int32_t ifindex)
{
	struct sim *s = ctx;
	uint32_t port = psd_kernel_link_down(&s->k, ifindex);
	if (port == UINT32_MAX)
		return;
	s->old_ifindex[port] = ifindex;
	s->old_renamed[port] = s->k.ports[port].renamed;
	if (!s->old_renamed[port]) /* Ethernet<i>x never has a STATE_DB entry */
		s->fresh[port] = false;
}

static uint64_t on_timer_late(void *ctx, uint64_t accuracy_ns)
{
	struct sim *s = ctx;
	return (next(s) % (accuracy_ns + PSD_SIM_LOOP_LATE_NS + 1));
}

static size_t on_list_ifaces(void *ctx, const struct psd_iface **ret)
{
	struct sim *s = ctx;
	return psd_kernel_list(&s->k, ret);
}

static void on_seen(void *ctx, const struct psd_kernel_msg *msg)
{
	struct sim *s = ctx;
	if (msg->family != AF_BRIDGE && (msg->type == RTM_DELLINK || msg->renamed))
		s->told_gone[msg->port] = true; /* leaving a bridge is no deletion (FB-11) */
	if (msg->ifindex == s->old_ifindex[msg->port]) {
		if (msg->renamed == s->old_renamed[msg->port]) {
			if (msg->dump) /* the core cannot count it: for the dump, the port is missing */
				s->told_gone[msg->port] = true;
			return;
		}
		s->old_ifindex[msg->port] = 0; /* renamed: no leftover any more */
	}
	if (!msg->renamed)
		s->fresh[msg->port] = true;
}

static void on_dump_missing(void *ctx, uint32_t port)
{
	struct sim *s = ctx;
	s->told_gone[port] = true;
}

/* CONFIG_DB PORT|Ethernet<i> as SONiC's minigraph makes it. */
static void config_ports(struct sim *s)
{
	char key[32], lanes[16];
	for (uint32_t i = 0; i < s->nports; i++) {
		snprintf(key, sizeof(key), "PORT|Ethernet%u", i);
		snprintf(lanes, sizeof(lanes), "%u", i);
		psd_model_hset(&s->w->m, PSD_WORLD_CONFIG, key, "admin_status", "up");
		psd_model_hset(&s->w->m, PSD_WORLD_CONFIG, key, "mtu", "9100");
		psd_model_hset(&s->w->m, PSD_WORLD_CONFIG, key, "lanes", lanes);
	}
}

static void kernel_change(struct sim *s)
{
	uint32_t i = below(s, s->nports);
	struct psd_kernel_port *p = &s->k.ports[i];
	if (p->ifindex == 0) {
		psd_kernel_create(&s->k, i);
		return;
	}
	unsigned what = below(s, 1000);
	unsigned del = s->rate[F_DELETE], ren = del + s->rate[F_RENAME];
	unsigned ens = ren + s->rate[F_ENSLAVE];
	if (what < del) {
		psd_kernel_delete(&s->k, i);
		s->faults[F_DELETE]++;
	} else if (what < ren) {
		psd_kernel_rename(&s->k, i);
		s->faults[F_RENAME]++;
	} else if (what < ens) {
		psd_kernel_enslave(&s->k, i);
		s->faults[F_ENSLAVE]++;
	} else if (what < 600) {
		psd_kernel_set(&s->k, i, p->up, !p->carrier, p->mtu);
	} else if (what < 900) {
		psd_kernel_set(&s->k, i, !p->up, p->carrier, p->mtu);
	} else {
		psd_kernel_set(&s->k, i, p->up, p->carrier, 1500 + below(s, 8000));
	}
}

/* The daemon stalls through a burst of changes that overflows its receive queue: the kernel
 * keeps the oldest, loses the rest, and reports ENOBUFS at the daemon's next read. */
static void overrun(struct sim *s)
{
	uint32_t burst = s->k.capacity - s->k.qlen + 1 + below(s, s->k.capacity);
	for (uint32_t i = 0; i < burst; i++)
		kernel_change(s);
	s->faults[F_OVERRUN]++;
}

static void redis_fault(struct sim *s, bool wipe)
{
	if (!s->redis_up) {
		if (s->maxclients_left > 0)
			return; /* still refusing connections: step() answers the attempts */
		uint64_t back = s->w->now;
		psd_world_redis_up(s->w);
		s->redis_up = true;
		if (s->w->now - back > PSD_SIM_RECONNECT_NS) {
			char took[64];
			snprintf(took, sizeof(took), "%llu ms after Redis was back",
				 (unsigned long long)((s->w->now - back) / MS));
			violate(s, INV_RECONNECTED, "reconnected", took, strlen(took));
		}
		return;
	}
	psd_world_redis_down(s->w);
	s->redis_up = false;
	s->faults[F_OUTAGE]++;
	unsigned kind = below(s, 10);
	if (wipe) { /* restarted without persistence; CONFIG_DB loaded again */
		/* late only under a running daemon: a config reload restarts swss, and so the daemon,
		 * after it has written CONFIG_DB, never while a daemon starts */
		bool late = kind < s->rate[F_EMPTY_LATE] && s->w->listening;
		psd_model_restart(&s->w->m, NULL);
		s->warm_window = false; /* what Redis held is gone: everything is written again */
		if (late) /* a config reload writes CONFIG_DB a while after the restart */
			s->config_late = 1 + below(s, 40);
		else
			config_ports(s);
		s->init_done_writes = 0;
		s->sai_pending = true; /* SONiC restarts syncd with Redis: host interfaces again */
		s->faults[late ? F_EMPTY_LATE : F_WIPE]++;
	} else if (s->has_snapshot && kind < s->rate[F_STALE]) {
		/* kill -9 and a restart from the last SAVE: older than what the core wrote since */
		psd_model_restart(&s->w->m, &s->snapshot);
		s->warm_window = false; /* an older snapshot: the daemon writes every port again */
		s->has_snapshot = false;
		s->init_done_writes = 0;
		s->faults[F_STALE]++;
	}
	if (below(s, 10) < s->rate[F_MAXCLIENTS]) { /* back, but every client slot is taken */
		s->maxclients_left = 1 + below(s, 20);
		s->faults[F_MAXCLIENTS]++;
	}
}

/* Redis restarts with its data and answers LOADING while it reads its AOF. */
static void loading_fault(struct sim *s)
{
	if (!s->redis_up || s->loading_left > 0)
		return;
	psd_world_redis_down(s->w);
	s->w->m.run_id++;
	s->w->m.loading = true;
	s->warm_window = false; /* a restarted server: the daemon writes every port again */
	s->loading_left = 1 + below(s, 30);
	s->faults[F_LOADING]++;
	s->redis_up = false;
	redis_fault(s, false); /* the connections come back at once: LOADING is a reply */
}

/* Redis stops answering (SIGSTOP, a swap storm) for longer than the core's stall limit. */
static void stall_fault(struct sim *s)
{
	if (s->w->hold)
		return;
	s->w->hold = true;
	psd_world_advance(s->w, PSD_SIM_STALL_NS);
	psd_world_release(s->w);
	s->faults[F_STALL]++;
}

/* CONFIG_DB PORT|Ethernet<ports> and LOGGER|portsyncd of other types, or gone again. */
static void wrongtype_fault(struct sim *s)
{
	char key[32];
	snprintf(key, sizeof(key), "PORT|Ethernet%u", s->nports);
	if (psd_model_exists(&s->w->m, PSD_WORLD_CONFIG, key)) {
		psd_model_del_matching(&s->w->m, PSD_WORLD_CONFIG, key);
		psd_model_del_matching(&s->w->m, PSD_WORLD_CONFIG, "LOGGER|portsyncd");
		return;
	}
	psd_model_put_other(&s->w->m, PSD_WORLD_CONFIG, key);
	psd_model_put_other(&s->w->m, PSD_WORLD_CONFIG, "LOGGER|portsyncd");
	s->faults[F_WRONGTYPE]++;
}

static void slow_fault(struct sim *s)
{
	if (s->w->hold) {
		psd_world_release(s->w);
		return;
	}
	s->w->hold = true;
	s->faults[F_SLOW]++;
}

static void forget_snapshot(struct sim *s)
{
	if (s->has_snapshot)
		psd_model_free(&s->snapshot);
	s->has_snapshot = false;
}

static void daemon_restart(struct sim *s, enum fault kind)
{
	static const char *const warm_key = "WARM_RESTART_ENABLE_TABLE|swss";
	if (!s->redis_up || s->w->hold || s->config_late > 0)
		return; /* systemd starts the daemon again once Redis answers (and has its config) */
	s->faults[kind]++;
	if (kind == F_RESTART_WARM)
		psd_model_hset(&s->w->m, PSD_WORLD_STATE, warm_key, "enable", "true");
	if (kind == F_RESTART_SWSS) { /* swss.sh: FLUSHDB APPL_DB, STATE_DB PORT_TABLE* deleted */
		forget_snapshot(s); /* a Redis restart goes back at most to this swss's start */
		psd_model_del_matching(&s->w->m, PSD_WORLD_APPL, "");
		psd_model_del_matching(&s->w->m, PSD_WORLD_STATE, "PORT_TABLE|");
		s->sai_pending = true;
	}
	for (uint32_t i = 0; i < s->nports; i++) { /* the new core decides anew what is old */
		s->old_ifindex[i] = 0;
		s->fresh[i] = true;
		s->written[i] = false;
	}
	if (kind == F_RESTART_WARM) /* while the daemon is down: deletes, adds, renames, flaps, MTUs */
		for (uint32_t n = below(s, 2 * s->nports + 1); n > 0; n--)
			kernel_change(s);
	psd_kernel_drop_queue(&s->k); /* the old sockets are closed */
	psd_alert_watch_reset(&s->aw); /* the new core's alerts start afresh */
	s->init_done_writes = 0;
	s->warm_window = false; /* opened by the state initialized */
	s->warm_state[0] = '\0';
	psd_world_restart(s->w);
	if (kind != F_RESTART_WARM)
		return;
	psd_model_del_matching(&s->w->m, PSD_WORLD_STATE, warm_key);
	/* inside the restore window: the first dump interrupted, Redis down, or both */
	s->warm_dump_fault = below(s, 3) == 0;
	if (below(s, 3) == 0)
		redis_fault(s, false);
}

/* SAI creates the host interfaces again after a cold swss start, new ifindexes, once orchagent
 * has consumed the new PortConfigDone. */
static void sai_recreate(struct sim *s)
{
	if (!s->sai_pending || !psd_model_exists(&s->w->m, PSD_WORLD_APPL, "PORT_TABLE:PortConfigDone"))
		return;
	psd_kernel_recreate_all(&s->k);
	s->sai_pending = false;
}

static enum psd_dump_fault dump_fault(struct sim *s)
{
	if (s->w->dump_seq == s->k.served_dump_seq || !s->faults_on)
		return PSD_DUMP_CLEAN;
	if (s->warm_dump_fault) {
		s->warm_dump_fault = false;
		s->faults[F_DUMP_INTERRUPTED]++;
		return PSD_DUMP_INTERRUPTED;
	}
	unsigned r = below(s, 1000);
	if (r < s->rate[F_DUMP_TRUNCATED]) {
		s->faults[F_DUMP_TRUNCATED]++;
		return PSD_DUMP_TRUNCATED;
	}
	if (r < s->rate[F_DUMP_TRUNCATED] + s->rate[F_DUMP_INTERRUPTED]) {
		s->faults[F_DUMP_INTERRUPTED]++;
		return PSD_DUMP_INTERRUPTED;
	}
	return PSD_DUMP_CLEAN;
}

static void serve_dump(struct sim *s)
{
	psd_kernel_serve_dump(&s->k, s->w, dump_fault(s));
}

static void watch_alerts(struct sim *s)
{
	if (!psd_alert_watch_step(&s->aw, s->w))
		violate(s, INV_ALERT_HELD_FOR, s->aw.why, "", 0);
}

/* Memory follows ports, never events: the core's table and the databases stay within bounds. */
static void check_memory(struct sim *s)
{
	watch_alerts(s); /* after every step, as the memory check */
	uint32_t in_use = psd_core_ports_in_use(s->w->core);
	if (in_use > 2 * s->nports + 1) /* each port's name, its renamed name; a wrong-typed one */
		violate(s, INV_MEMORY_BOUNDED, "port table holds more entries than netdev names", "", 0);
	/* link analytics keep a PORT_LINK_STATS key per port name, its renamed name included */
	/* and a PORTSYNCD_ALERT entry per port for the shipped per-port rule */
	size_t per_port = s->w->cfg.link_stats ? 7 : 5;
	if (s->w->m.count > per_port * (size_t)s->nports + 64)
		violate(s, INV_MEMORY_BOUNDED, "Redis holds more keys than ports explain", "", 0);
}

/* STATE_DB equals the kernel for every port; NULL, or what differs. */
static const char *check_converged(struct sim *s)
{
	static char why[160];
	char key[48];
	for (uint32_t i = 0; i < s->nports; i++) {
		const struct psd_kernel_port *p = &s->k.ports[i];
		snprintf(key, sizeof(key), "PORT_TABLE|Ethernet%u", i);
		if (p->ifindex == 0 || p->renamed) {
			if (psd_model_exists(&s->w->m, PSD_WORLD_STATE, key)) {
				snprintf(why, sizeof(why), "%s exists but its netdev is %s", key,
					 p->renamed ? "renamed" : "deleted");
				return why;
			}
			continue;
		}
		const char *oper = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "netdev_oper_status");
		const char *admin = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "admin_status");
		const char *mtu = psd_model_hget(&s->w->m, PSD_WORLD_STATE, key, "mtu");
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

/* "swarm" (every fault), "none", or a comma-separated list of fault names. */
static bool parse_faults(const char *text, uint32_t *ret)
{
	if (strcmp(text, "swarm") == 0) {
		*ret = (1u << F_MAX) - 1;
		return true;
	}
	*ret = 0;
	if (strcmp(text, "none") == 0)
		return true;
	for (const char *c = text; *c != '\0';) {
		size_t n = strcspn(c, ",");
		int f = 0;
		while (f < F_MAX && !(strlen(fault_names[f]) == n && strncmp(c, fault_names[f], n) == 0))
			f++;
		if (f == F_MAX)
			return false;
		*ret |= 1u << f;
		c += n + (c[n] == ',');
	}
	return true;
}

static int usage(void)
{
	fprintf(stderr, "usage: psd-sim --fixture FILE [--commands FILE]\n"
			"       psd-sim --seed S [--ports N] [--steps M] [--storm R] "
			"[--faults swarm|none|F,F...] [--canary drop-loss|early-fire] [--warm-bench] [--verbose]\n"
			"       psd-sim --seed S --alerts [--ports N]\n"
			"faults: overrun outage wipe delete rename enslave slow oom dump-truncated "
			"dump-interrupted restart-warm restart-cold restart-swss refuse wrongtype "
			"restart-stale restart-empty-late loading stall maxclients\n");
	return 2;
}

static void print_recent(const struct psd_world *w)
{
	printf("psd-sim: last commands:\n");
	uint64_t from = w->recent_total > 16 ? w->recent_total - 16 : 0;
	for (uint64_t i = from; i < w->recent_total; i++)
		printf("  %s\n", w->recent[i % 16]);
}

static int fail(struct sim *s, enum invariant inv, const char *what)
{
	printf("psd-sim: FAILED: invariant %s: %s\n", invariant_names[inv], what);
	print_recent(s->w);
	printf("psd-sim: reproduce with: %s\n", reproduce_line);
	return 1;
}

/* The core's assertions trap (SIGILL on x86, SIGTRAP elsewhere), the world's abort, a wild
 * pointer faults: say how to reproduce, then die of the same signal. */
static void on_fatal_signal(int sig)
{
	static const char head[] = "psd-sim: FAILED: invariant core-structure (fatal signal)\n"
				   "psd-sim: reproduce with: ";
	if (write(STDOUT_FILENO, head, sizeof(head) - 1) >= 0 &&
	    write(STDOUT_FILENO, reproduce_line, strlen(reproduce_line)) >= 0)
		(void)!write(STDOUT_FILENO, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* Draws this step's fault, if any; false when none fired. */
static bool fault_step(struct sim *s)
{
	static const enum fault order[] = {F_OVERRUN,      F_OUTAGE,       F_SLOW,
					   F_OOM,          F_RESTART_WARM, F_RESTART_COLD,
					   F_RESTART_SWSS, F_REFUSE,       F_WRONGTYPE,
					   F_LOADING,      F_STALL};
	unsigned r = below(s, 1000), at = 0;
	for (size_t f = 0; f < sizeof(order) / sizeof(order[0]); f++) {
		at += s->rate[order[f]];
		if (r >= at)
			continue;
		switch (order[f]) {
		case F_OVERRUN:
			overrun(s);
			break;
		case F_OUTAGE:
			redis_fault(s, below(s, 10) < s->rate[F_WIPE]);
			break;
		case F_SLOW:
			slow_fault(s);
			break;
		case F_OOM:
			s->refuse_writes = !s->refuse_writes;
			s->faults[F_OOM] += s->refuse_writes;
			break;
		case F_REFUSE:
			s->refuse_error = s->refuse_error != NULL ? NULL :
				redis_errors[below(s, sizeof(redis_errors) / sizeof(redis_errors[0]))];
			s->faults[F_REFUSE] += s->refuse_error != NULL;
			break;
		case F_WRONGTYPE:
			wrongtype_fault(s);
			break;
		case F_LOADING:
			loading_fault(s);
			break;
		case F_STALL:
			stall_fault(s);
			break;
		default:
			daemon_restart(s, order[f]);
			break;
		}
		return true;
	}
	return false;
}

/* The slow parts of a Redis's bad day: a SAVE now and then, a load that ends, a CONFIG_DB that
 * arrives late, client slots that free up. */
static void redis_clock(struct sim *s)
{
	/* SAVE, outside the window of an swss start (APPL_DB flushed, PortConfigDone not yet
	 * consumed): a snapshot from inside it would make the next daemon take the netdevs for an
	 * earlier swss's leftovers (FB-03's rule), which no Redis fault alone can cause */
	if (s->redis_up && s->rate[F_STALE] > 0 && below(s, 100) == 0 && !s->sai_pending &&
	    psd_model_exists(&s->w->m, PSD_WORLD_APPL, "PORT_TABLE:PortConfigDone")) {
		if (s->has_snapshot)
			psd_model_free(&s->snapshot);
		psd_model_copy(&s->snapshot, &s->w->m); /* SAVE */
		s->has_snapshot = true;
	}
	if (s->loading_left > 0 && --s->loading_left == 0)
		s->w->m.loading = false;
	if (s->config_late > 0 && --s->config_late == 0)
		config_ports(s);
	if (s->maxclients_left > 0 && --s->maxclients_left == 0 && !s->redis_up)
		redis_fault(s, false);
}

static void step(struct sim *s)
{
	redis_clock(s);
	if (!fault_step(s)) {
		unsigned r = below(s, 1000);
		if (r < s->rate_consume) {
			psd_model_consume(&s->w->m, PSD_WORLD_APPL);
			if (below(s, 4) == 0)
				sai_recreate(s);
		} else if (r < 700) {
			kernel_change(s);
		} else if (r < 950) {
			psd_kernel_deliver(&s->k, s->w, 1 + below(s, 32));
		} else {
			psd_world_advance(s->w, below(s, 500) * MS);
		}
	}
	serve_dump(s);
	if (!s->redis_up)
		psd_world_refuse_connects(s->w);
	check_memory(s);
}

/* Every port flaps once, delivered in socket-sized batches, then settles. */
static void storm_round(struct sim *s)
{
	for (uint32_t i = 0; i < s->nports; i++) {
		struct psd_kernel_port *p = &s->k.ports[i];
		if (p->ifindex != 0)
			psd_kernel_set(&s->k, i, p->up, !p->carrier, p->mtu);
		if (s->k.qlen >= s->k.capacity / 2) /* the daemon keeps up */
			psd_kernel_deliver(&s->k, s->w, s->k.qlen);
	}
	psd_kernel_deliver(&s->k, s->w, s->k.qlen);
	psd_world_advance(s->w, 10 * MS);
	serve_dump(s);
	check_memory(s);
}

/* Faults stop, the world heals; returns the virtual time it took, or UINT64_MAX. */
static uint64_t heal(struct sim *s, const char **why)
{
	s->maxclients_left = 0;
	if (!s->redis_up)
		redis_fault(s, false);
	s->refuse_writes = false;
	s->refuse_error = NULL;
	s->w->m.loading = false;
	s->loading_left = 0;
	if (s->config_late > 0) {
		s->config_late = 0;
		config_ports(s);
	}
	if (s->w->hold)
		psd_world_release(s->w);
	uint64_t next_check = 500 * MS;
	for (uint64_t t = 500 * MS; t <= PSD_SIM_CONVERGE_NS; t += 500 * MS) {
		psd_kernel_deliver(&s->k, s->w, PSD_KERNEL_QUEUE_MAX);
		serve_dump(s);
		psd_model_consume(&s->w->m, PSD_WORLD_APPL);
		sai_recreate(s);
		psd_world_advance(s->w, 500 * MS);
		serve_dump(s);
		watch_alerts(s);
		if (t < next_check && t < PSD_SIM_CONVERGE_NS)
			continue;
		next_check = 2 * t; /* O(ports) each: checked at 0.5, 1, 2, 4 ... s and at the bound */
		*why = check_converged(s);
		if (*why == NULL)
			return t;
	}
	return UINT64_MAX;
}

static void draw_rates(struct sim *s)
{
	s->rate[F_OVERRUN] = below(s, 20);
	s->k.capacity = 16 + below(s, 1024); /* the receive queue, in messages */
	s->rate[F_OUTAGE] = below(s, 10);
	s->rate[F_WIPE] = below(s, 3); /* of ten outages */
	s->rate[F_SLOW] = below(s, 6);
	s->rate[F_OOM] = below(s, 4);
	s->rate[F_RESTART_WARM] = below(s, 2);
	s->rate[F_RESTART_COLD] = below(s, 2);
	s->rate[F_RESTART_SWSS] = below(s, 2);
	s->rate[F_DELETE] = below(s, 50);
	s->rate[F_RENAME] = below(s, 20);
	s->rate[F_ENSLAVE] = below(s, 30);
	s->rate[F_DUMP_TRUNCATED] = below(s, 300); /* of 1000 dumps */
	s->rate[F_DUMP_INTERRUPTED] = below(s, 300);
	s->rate_consume = 5 + below(s, 100);
	s->rate[F_REFUSE] = below(s, 4);
	s->rate[F_WRONGTYPE] = below(s, 3);
	s->rate[F_STALE] = below(s, 5);      /* of ten outages that keep data */
	s->rate[F_EMPTY_LATE] = below(s, 6); /* of ten wipes */
	s->rate[F_LOADING] = below(s, 3);
	s->rate[F_STALL] = below(s, 2);
	s->rate[F_MAXCLIENTS] = below(s, 4); /* of ten outages */
}

/* --- the alert scenario (--alerts) ----------------------------------------------------------- */

#define S_NS 1000000000ull

struct alert_run {
	struct sim *s;
	const struct psd_alert_rules *rules;
	uint32_t flap;          /* the shipped per-port flap rule */
	uint64_t *fired;        /* per port: when its flap alert last went firing (0: not) */
	uint64_t *resolved;
	uint64_t *resolve_at;   /* per port: when the rule says its alert resolves (0: never) */
	unsigned failures;
};

static uint32_t rule_named(const struct psd_alert_rules *r, const char *name)
{
	for (uint32_t i = 0; i < r->count; i++)
		if (strcmp(r->rule[i].name, name) == 0)
			return i;
	fprintf(stderr, "psd-sim: no shipped rule %s\n", name);
	exit(2);
}

static void on_alert_transition(void *ctx, const struct psd_alert_view *v,
				enum psd_alert_state from)
{
	struct alert_run *ar = ctx;
	unsigned port;
	char name[PSD_IFNAME_LEN_MAX + 1];
	if (v->rule != ar->flap || v->subject_len > PSD_IFNAME_LEN_MAX)
		return;
	memcpy(name, v->subject, v->subject_len);
	name[v->subject_len] = '\0';
	if (sscanf(name, "Ethernet%u", &port) != 1 || port >= ar->s->nports)
		return;
	uint64_t at = ar->s->w->now / PSD_ALERT_EVAL_NS * PSD_ALERT_EVAL_NS;
	if (v->state == PSD_ALERT_FIRING)
		ar->fired[port] = at;
	if (v->state == PSD_ALERT_RESOLVED)
		ar->resolved[port] = at;
}

static void alert_check(struct alert_run *ar, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void alert_check(struct alert_run *ar, bool ok, const char *fmt, ...)
{
	va_list ap;
	if (ok)
		return;
	ar->failures++;
	printf("psd-sim: alerts: FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Up to virtual time t, stopping at every evaluation on the way. */
static void alert_advance(struct sim *s, uint64_t t)
{
	while (s->w->now < t) {
		uint64_t next = (s->w->now / PSD_ALERT_EVAL_NS + 1) * PSD_ALERT_EVAL_NS;
		psd_world_advance(s->w, (next < t ? next : t) - s->w->now);
		if (!s->redis_up)
			psd_world_refuse_connects(s->w);
		serve_dump(s);
		watch_alerts(s);
	}
}

struct flap_event {
	uint64_t t;
	uint32_t port, seq;
};

static int flap_cmp(const void *a, const void *b)
{
	const struct flap_event *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

#define STORM_SLOT_NS (10 * S_NS) /* a storm's changes fall within one such slot */

/* A seeded flap storm inside one 10 s slot b: a quarter of the ports (one at least, and
 * must_flap) change 5 to 10 times, the others 0 to 4 times (the flap rule wants more than 4 in
 * 30 s). Sets predicted[i] to when the rule must fire for port i (0: never) and resolve_at[i] to
 * when it resolves: keep_firing_for after the second at which the window has lost all but
 * `threshold` of the changes (the window holds the seconds from now - window to now). Returns
 * the slot. */
static uint64_t flap_storm(struct alert_run *ar, uint64_t *predicted, uint32_t must_flap)
{
	struct sim *s = ar->s;
	const struct psd_alert_rule *r = &ar->rules->rule[ar->flap];
	uint64_t bucket_ns = STORM_SLOT_NS;
	uint64_t b = s->w->now / bucket_ns + 2;
	uint64_t t0 = b * bucket_ns + 500 * MS;
	uint32_t threshold = (uint32_t)(r->threshold / 1000);
	struct flap_event *ev = calloc((size_t)s->nports * 10, sizeof(*ev));
	uint32_t n = 0, flapping = 0;
	if (ev == NULL)
		exit(1);
	for (uint32_t i = 0; i < s->nports; i++) {
		bool storm = below(s, 4) == 0 || i == must_flap ||
			     (i + 1 == s->nports && flapping == 0);
		uint32_t changes = storm ? threshold + 1 + below(s, 6) : below(s, threshold + 1);
		flapping += storm;
		for (uint32_t k = 0; k < changes; k++)
			ev[n++] = (struct flap_event){t0 + below(s, 80) * 100 * MS, i, n};
	}
	qsort(ev, n, sizeof(*ev), flap_cmp);
	uint32_t *seen = calloc(s->nports, sizeof(*seen));
	if (seen == NULL)
		exit(1);
	memset(predicted, 0, s->nports * sizeof(*predicted));
	for (uint32_t k = 0; k < n; k++) {
		alert_advance(s, ev[k].t);
		struct psd_kernel_port *p = &s->k.ports[ev[k].port];
		psd_kernel_set(&s->k, ev[k].port, p->up, !p->carrier, p->mtu);
		psd_kernel_deliver(&s->k, s->w, s->k.qlen);
		/* the (threshold + 1)th change: seen at the next evaluation, firing `for` later */
		if (++seen[ev[k].port] == threshold + 1)
			predicted[ev[k].port] = (ev[k].t / S_NS + 1) * S_NS + r->for_s * S_NS;
	}
	memset(ar->resolve_at, 0, s->nports * sizeof(*ar->resolve_at));
	memset(seen, 0, s->nports * sizeof(*seen));
	for (uint32_t k = n; k-- > 0;) { /* the (changes - threshold)th change: threshold after it */
		uint32_t i = ev[k].port;
		if (predicted[i] != 0 && ++seen[i] == threshold + 1)
			ar->resolve_at[i] = (ev[k].t / S_NS + r->window_s + 1 + r->keep_firing_for_s) *
					    S_NS;
	}
	free(seen);
	free(ev);
	return b;
}

static bool entry_exists(struct sim *s, uint32_t port)
{
	char key[64];
	snprintf(key, sizeof(key), "PORTSYNCD_ALERT|port_flapping|Ethernet%u", port);
	return psd_model_exists(&s->w->m, PSD_WORLD_STATE, key);
}

struct held_look {
	struct psd_alert_view v;
	bool found;
};

static struct held_look flap_alert(struct alert_run *ar, uint32_t port)
{
	struct held_look l;
	char subject[24];
	snprintf(subject, sizeof(subject), "Ethernet%u", port);
	l.found = psd_alert_find(ar->s->w->core, ar->flap, subject, &l.v);
	return l;
}

/* Each phase: a storm; the flap rule fires for exactly the flapping ports, each at the predicted
 * time, and resolves keep_firing_for after the storm's bucket left the window. */
static void storm_phase(struct alert_run *ar, const char *phase, uint64_t *predicted,
			uint32_t silenced, uint64_t silence_until, bool outage)
{
	struct sim *s = ar->s;
	const struct psd_alert_rule *r = &ar->rules->rule[ar->flap];
	memset(ar->fired, 0, s->nports * sizeof(*ar->fired));
	memset(ar->resolved, 0, s->nports * sizeof(*ar->resolved));
	uint64_t b = flap_storm(ar, predicted, silenced);
	if (silenced != UINT32_MAX) { /* firing, silenced: its actions held */
		alert_advance(s, predicted[silenced] + S_NS);
		struct held_look l = flap_alert(ar, silenced);
		alert_check(ar, predicted[silenced] + S_NS < silence_until && l.found &&
				    l.v.state == PSD_ALERT_FIRING && l.v.silenced && !l.v.published &&
				    !entry_exists(s, silenced),
			    "%s: Ethernet%u firing but not held by its silence", phase, silenced);
	}
	uint64_t window_end = b * STORM_SLOT_NS + r->window_s * S_NS;
	uint64_t resolve_last = 0;
	for (uint32_t i = 0; i < s->nports; i++)
		resolve_last = ar->resolve_at[i] > resolve_last ? ar->resolve_at[i] : resolve_last;
	/* while every alert fires: entries exactly for the flapping ports not held */
	alert_advance(s, window_end - 2 * S_NS);
	for (uint32_t i = 0; i < s->nports; i++) {
		struct held_look l = flap_alert(ar, i);
		alert_check(ar, ar->fired[i] == predicted[i], "%s: Ethernet%u fired at %llu ms, the rule "
			    "predicts %llu ms", phase, i, (unsigned long long)(ar->fired[i] / MS),
			    (unsigned long long)(predicted[i] / MS));
		bool held = (i == silenced && s->w->now < silence_until) || outage;
		alert_check(ar, entry_exists(s, i) == (predicted[i] != 0 && !held),
			    "%s: Ethernet%u STATE_DB entry %s", phase, i,
			    entry_exists(s, i) ? "present" : "absent");
		if (predicted[i] != 0)
			alert_check(ar, l.found && l.v.state == PSD_ALERT_FIRING &&
					    l.v.silenced == (i == silenced && s->w->now < silence_until) &&
					    l.v.inhibited == outage,
				    "%s: Ethernet%u is not firing %s", phase, i,
				    outage ? "inhibited" : i == silenced ? "silenced" : "");
	}
	if (outage) { /* Redis back: the inhibition ends, the held entries are written */
		psd_world_redis_up(s->w);
		s->redis_up = true;
		alert_advance(s, s->w->now + 3 * S_NS);
		for (uint32_t i = 0; i < s->nports; i++)
			alert_check(ar, entry_exists(s, i) == (predicted[i] != 0),
				    "%s: Ethernet%u entry after Redis came back", phase, i);
	}
	alert_advance(s, resolve_last + 2 * S_NS);
	for (uint32_t i = 0; i < s->nports; i++) {
		alert_check(ar, ar->resolved[i] == ar->resolve_at[i],
			    "%s: Ethernet%u resolved at %llu ms, the rule predicts %llu ms", phase, i,
			    (unsigned long long)(ar->resolved[i] / MS),
			    (unsigned long long)(ar->resolve_at[i] / MS));
		alert_check(ar, !entry_exists(s, i), "%s: Ethernet%u entry left after resolving", phase,
			    i);
	}
}

static int run_alerts(struct sim *s, const char *seed_text)
{
	struct alert_run ar = {.s = s, .rules = s->aw.reference};
	uint64_t *predicted = calloc(s->nports, sizeof(*predicted));
	ar.fired = calloc(s->nports, sizeof(*ar.fired));
	ar.resolved = calloc(s->nports, sizeof(*ar.resolved));
	ar.resolve_at = calloc(s->nports, sizeof(*ar.resolve_at));
	if (predicted == NULL || ar.fired == NULL || ar.resolved == NULL || ar.resolve_at == NULL)
		return 1;
	ar.flap = rule_named(ar.rules, "port_flapping");
	s->aw.on_transition = on_alert_transition;
	s->aw.ctx = &ar;
	config_ports(s);
	psd_world_start(s->w);
	for (uint32_t i = 0; i < s->nports; i++) {
		psd_kernel_create(&s->k, i);
		psd_kernel_set(&s->k, i, true, true, 9100); /* admin up: carrier changes are oper ones */
	}
	psd_kernel_deliver(&s->k, s->w, s->k.qlen);
	serve_dump(s);
	psd_model_consume(&s->w->m, PSD_WORLD_APPL);
	/* the ports' first oper change (down to up) leaves the flap window before the storm */
	alert_advance(s, s->w->now + PSD_FLAP_WINDOW_S * S_NS);

	storm_phase(&ar, "storm", predicted, UINT32_MAX, 0, false);

	/* a silence of one flapping port (of the next storm's draw: written before it) that ends
	 * while its alert fires: held, then its actions run */
	uint32_t p = below(s, s->nports);
	/* the next storm's bucket b is two from now's; it fires by b * 10 s + 15 s and the check of
	 * the entries is at b * 10 s + 28 s: the silence ends between */
	uint64_t until_s = (s->w->now / STORM_SLOT_NS + 2) * (STORM_SLOT_NS / S_NS) + 20;
	char field[48], until[24];
	snprintf(field, sizeof(field), "port_flapping|Ethernet%u", p);
	snprintf(until, sizeof(until), "%llu", (unsigned long long)until_s);
	psd_model_hset(&s->w->m, PSD_WORLD_CONFIG, "PORTSYNCD_ALERT_SILENCE|portsyncd", field, until);
	storm_phase(&ar, "silence", predicted, p, until_s * S_NS, false);

	/* Redis unreachable: every per-port alert is inhibited while redis_unreachable holds */
	psd_world_redis_down(s->w);
	s->redis_up = false;
	storm_phase(&ar, "outage", predicted, UINT32_MAX, 0, true);

	printf("psd-sim: alerts: seed %s, %u ports: %s, %llu alert transitions, alert trace hash "
	       "%016llx\n", seed_text, s->nports, ar.failures == 0 && !s->failed ? "ok" : "FAILED",
	       (unsigned long long)s->aw.transitions, (unsigned long long)s->aw.trace_hash);
	free(predicted);
	free(ar.fired);
	free(ar.resolved);
	free(ar.resolve_at);
	if (s->failed)
		return fail(s, s->violated, s->why);
	return ar.failures == 0 ? 0 : 1;
}

static bool warm_state_is(const struct sim *s, const char *want)
{
	const char *st = psd_model_hget(&s->w->m, PSD_WORLD_STATE, "WARM_RESTART_TABLE|portsyncd",
					"state");
	return st != NULL && strcmp(st, want) == 0;
}

/* --warm-bench: one warm restart after changes made while the daemon is down, measured. */
static bool warm_bench(struct sim *s)
{
	struct timespec t0, t1;
	uint32_t unchanged = 0;

	psd_model_hset(&s->w->m, PSD_WORLD_STATE, "WARM_RESTART_ENABLE_TABLE|swss", "enable",
		       "true");
	for (uint32_t i = 0; i < s->nports; i++) {
		struct psd_kernel_port *p = &s->k.ports[i];
		s->changed[i] = p->ifindex != 0 && (i % 100 == 0 || i % 100 == 1 || i % 200 == 2);
		unchanged += !s->changed[i];
		if (!s->changed[i])
			continue;
		if (i % 100 == 0)
			psd_kernel_delete(&s->k, i);
		else if (i % 100 == 1)
			psd_kernel_set(&s->k, i, p->up, !p->carrier, p->mtu);
		else
			psd_kernel_set(&s->k, i, p->up, p->carrier, p->mtu == 9000 ? 9100 : 9000);
		s->told_gone[i] = true;
	}
	for (uint32_t i = 0; i < s->nports; i++) {
		s->old_ifindex[i] = 0;
		s->fresh[i] = true;
		s->written[i] = false;
	}
	psd_kernel_drop_queue(&s->k);
	s->unchanged_writes = 0;
	s->warm_state[0] = '\0';
	uint64_t v0 = s->w->now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	psd_world_restart(s->w);
	for (int guard = 0; guard < 10000 && !warm_state_is(s, "reconciled") && !s->failed; guard++) {
		serve_dump(s);
		psd_kernel_deliver(&s->k, s->w, PSD_KERNEL_QUEUE_MAX);
		psd_world_settle(s->w);
		if (!warm_state_is(s, "reconciled"))
			psd_world_advance(s->w, MS);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!warm_state_is(s, "reconciled"))
		return false;
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("psd-sim: warm restart: %u ports, %u changed while down: reconciled in %.1f ms wall "
	       "clock (%llu ms virtual); %" PRIu64 " writes for %u unchanged ports: %.4f writes per "
	       "unchanged port\n", s->nports, s->nports - unchanged, ms,
	       (unsigned long long)((s->w->now - v0) / MS), s->unchanged_writes, unchanged,
	       unchanged > 0 ? (double)s->unchanged_writes / unchanged : 0.0);
	return true;
}

/* --fixture F: the scenario in field mode, and in compat mode when it has compat lines; with
 * --commands FILE, the field run's commands are written there as redis-server's MONITOR prints
 * them (without time and client), to compare with the daemon's. */
static int run_fixture(const char *path, const char *commands_path)
{
	static char text[1 << 20];
	char why[512];
	FILE *in = fopen(path, "r");
	if (in == NULL) {
		fprintf(stderr, "psd-sim: %s: %s\n", path, strerror(errno));
		return 2;
	}
	size_t len = fread(text, 1, sizeof(text), in);
	bool too_long = len == sizeof(text);
	fclose(in);
	if (too_long) {
		fprintf(stderr, "psd-sim: %s: longer than %zu bytes\n", path, sizeof(text) - 1);
		return 2;
	}
	struct psd_fixture *f = psd_fixture_parse(path, text, len, why, sizeof(why));
	if (f == NULL) {
		fprintf(stderr, "psd-sim: %s\n", why);
		return 2;
	}
	FILE *commands = NULL;
	if (commands_path != NULL && (commands = fopen(commands_path, "w")) == NULL) {
		fprintf(stderr, "psd-sim: %s: %s\n", commands_path, strerror(errno));
		psd_fixture_free(f);
		return 2;
	}
	unsigned failed = 0;
	for (int compat = 0; compat <= (int)psd_fixture_has_compat(f); compat++) {
		unsigned n = psd_fixture_run(f, compat, stdout, compat ? NULL : commands);
		printf("psd-sim: %s %s: %s\n", path, compat ? "compat" : "field",
		       n == 0 ? "ok" : "FAILED");
		failed += n;
	}
	psd_fixture_free(f);
	if (commands != NULL && fclose(commands) != 0) {
		fprintf(stderr, "psd-sim: %s: %s\n", commands_path, strerror(errno));
		return 2;
	}
	return failed == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--fixture") == 0)
		return run_fixture(argv[2], NULL);
	if (argc == 5 && strcmp(argv[1], "--fixture") == 0 && strcmp(argv[3], "--commands") == 0)
		return run_fixture(argv[2], argv[4]);
	const char *seed_text = NULL, *faults = "swarm";
	uint32_t ports = 16, steps = 2000, storm = 0;
	bool verbose = false, alerts = false, bench_warm = false;
	static struct sim s;
	static struct psd_alert_rules rules;
	char err[600];
	struct timespec t0, t1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed_text = argv[++i];
		else if (strcmp(argv[i], "--ports") == 0 && i + 1 < argc)
			ports = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc)
			steps = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--storm") == 0 && i + 1 < argc)
			storm = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--faults") == 0 && i + 1 < argc)
			faults = argv[++i];
		else if (strcmp(argv[i], "--verbose") == 0)
			verbose = true;
		else if (strcmp(argv[i], "--alerts") == 0)
			alerts = true;
		else if (strcmp(argv[i], "--warm-bench") == 0)
			bench_warm = true;
		else if (strcmp(argv[i], "--canary") == 0 && i + 1 < argc &&
			 strcmp(argv[i + 1], "drop-loss") == 0)
			s.canary_drop_loss = ++i > 0;
		else if (strcmp(argv[i], "--canary") == 0 && i + 1 < argc &&
			 strcmp(argv[i + 1], "early-fire") == 0)
			s.canary_early_fire = ++i > 0;
		else
			return usage();
	}
	if (seed_text == NULL || ports == 0 || ports > PSD_SIM_PORTS_MAX ||
	    steps > PSD_SIM_STEPS_MAX || storm > PSD_SIM_STORM_MAX)
		return usage();
	snprintf(reproduce_line, sizeof(reproduce_line),
		 "git checkout %s && make build/psd-sim && build/psd-sim --seed %s --ports %u "
		 "--steps %u --storm %u --faults %s%s%s%s", PSD_COMMIT, seed_text, ports, steps, storm,
		 faults, s.canary_drop_loss ? " --canary drop-loss" :
			 s.canary_early_fire ? " --canary early-fire" : "",
		 alerts ? " --alerts" : "", bench_warm ? " --warm-bench" : "");
	static const int fatal[] = {SIGABRT, SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE};
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], on_fatal_signal);

	uint64_t seed = parse_seed(seed_text), sub = seed;
	for (int i = 0; i < 4; i++)
		s.rng[i] = splitmix(&sub);
	s.nports = ports;
	uint32_t enabled = 0;
	if (!parse_faults(faults, &enabled))
		return usage();
	s.faults_on = enabled != 0;
	s.fresh = calloc(ports, sizeof(*s.fresh));
	s.told_gone = calloc(ports, sizeof(*s.told_gone));
	s.old_ifindex = calloc(ports, sizeof(*s.old_ifindex));
	s.old_renamed = calloc(ports, sizeof(*s.old_renamed));
	s.written = calloc(ports, sizeof(*s.written));
	if (s.fresh == NULL || s.told_gone == NULL || s.old_ifindex == NULL || s.old_renamed == NULL ||
	    s.written == NULL)
		return 1;
	memset(s.fresh, 1, ports * sizeof(*s.fresh));
	psd_kernel_init(&s.k, ports);
	s.k.seen = on_seen;
	s.k.hide_losses = s.canary_drop_loss;
	s.k.dump_missing = on_dump_missing;
	s.k.seen_ctx = &s;
	s.w = psd_world_new();
	s.w->hooks = (struct psd_world_hooks){&s, on_command, on_sent, on_link_down, on_list_ifaces,
					      on_timer_late, on_refuse};
	s.w->cfg.seed = splitmix(&sub);
	s.w->cfg.link_stats = (seed & 1) != 0; /* odd seeds run the link analytics too */
	s.w->cfg.log_level = verbose ? PSD_LOG_DEBUG : PSD_LOG_WARN;
	s.w->echo = verbose;
	s.w->lim.ports_max = 2 * ports + 16;
	s.w->lim.inflight_max = PSD_SIM_INFLIGHT_MAX;
	s.w->check_every = ports <= PSD_SIM_CHECK_ALL_PORTS ? 1 : ports / PSD_SIM_CHECK_SPAN;
	if (psd_alert_rules_load(&rules, "", err, sizeof(err)) < 0) { /* the shipped rules */
		fprintf(stderr, "psd-sim: %s\n", err);
		return 2;
	}
	s.w->cfg.alert_rules = &rules;
	psd_alert_watch_init(&s.aw);
	s.aw.reference = &rules; /* what the oracle holds the core to */
	if (s.canary_early_fire) { /* the core is given every `for` a second short */
		static struct psd_alert_rules early;
		early = rules;
		for (uint32_t i = 0; i < early.count; i++)
			early.rule[i].for_s -= early.rule[i].for_s > 0;
		s.w->cfg.alert_rules = &early;
	}
	if (alerts)
		return run_alerts(&s, seed_text);
	draw_rates(&s);
	for (int f = 0; f < F_MAX; f++)
		if (!(enabled & (1u << f)))
			s.rate[f] = 0;
	s.redis_up = true;
	printf("psd-sim: seed %s (%#" PRIx64 "), %u ports, %u steps, storm %u; rates:", seed_text,
	       seed, ports, steps, storm);
	for (int f = 0; f < F_MAX; f++)
		printf(" %s %u", fault_names[f], s.rate[f]);
	printf(", consume %u, receive queue %u\n", s.rate_consume, s.k.capacity);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	config_ports(&s);
	psd_world_start(s.w);
	for (uint32_t i = 0; i < ports; i++) /* SAI creates the host interfaces */
		psd_kernel_create(&s.k, i);
	for (uint32_t n = 0; n < steps && !s.failed; n++)
		step(&s);
	for (uint32_t n = 0; n < storm && !s.failed; n++)
		storm_round(&s);
	if (s.failed)
		return fail(&s, s.violated, s.why);
	const char *why = "not converged";
	uint64_t took = heal(&s, &why);
	if (s.failed)
		return fail(&s, s.violated, s.why);
	if (took == UINT64_MAX)
		return fail(&s, INV_CONVERGED, why);
	if (bench_warm) {
		s.changed = calloc(ports, sizeof(*s.changed));
		if (s.changed == NULL)
			return 1;
		if (!warm_bench(&s) && !s.failed)
			return fail(&s, INV_CONVERGED, "the warm restart did not reach reconciled");
		if (!s.failed)
			took = heal(&s, &why);
		if (s.failed)
			return fail(&s, s.violated, s.why);
		if (took == UINT64_MAX)
			return fail(&s, INV_CONVERGED, why);
		free(s.changed);
		s.changed = NULL;
	}
	psd_core_check(s.w->core);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	uint64_t nfaults = 0;
	for (int f = 0; f < F_MAX; f++)
		nfaults += s.faults[f];
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("psd-sim: faults:");
	for (int f = 0; f < F_MAX; f++)
		printf(" %s %" PRIu64, fault_names[f], s.faults[f]);
	/* every netlink message the core parsed, and every other event it handled */
	uint64_t events = s.w->events - s.k.datagrams + s.k.messages;
	printf("\npsd-sim: ok: %" PRIu64 " events (%" PRIu64 " netlink messages), %" PRIu64
	       " faults, converged in %llu ms virtual, %.0f simulated events/s, max RSS %ld "
	       "KiB, trace hash %016" PRIx64 ", %" PRIu64 " alert transitions\n", events,
	       s.k.messages, nfaults, (unsigned long long)(took / MS), (double)events / secs,
	       ru.ru_maxrss, s.w->trace_hash, s.aw.transitions);
	psd_alert_watch_free(&s.aw);
	if (s.has_snapshot)
		psd_model_free(&s.snapshot);
	psd_world_free(s.w);
	psd_kernel_free(&s.k);
	free(s.fresh);
	free(s.told_gone);
	free(s.old_ifindex);
	free(s.old_renamed);
	free(s.written);
	return 0;
}
