/*
 * Warm restart: the machine's whole transition table (every state x every symbol, the fault
 * symbols in every state) through the Ragel-generated code, and the engine's warm starts in the
 * world: reconciliation of ports deleted, changed and kept while the daemon was down (no write for
 * the kept ones), the state sequence, portsyncd_timer's hold, PortConfigDone's count after
 * CONFIG_DB lost ports, a Redis outage and refusals (of the restore, of start-up) during the
 * restore, a Redis restarted onto older data while start-up waits to retry, an interrupted first
 * dump, a refused write (it changed nothing), SIGTERM mid-restore, a cold start (disabled) and
 * --compat (no state, no reconciliation).
 */
#include "psd/metrics.h"
#include "unit.h"
#include "warm_fsm.h"

enum { S_UNKNOWN, S_INIT, S_RESTORED, S_REPLAYED, S_RECONCILED, S_DISABLED, S_FAILED, S_COUNT };

static int path(const char *syms)
{
	unsigned w;
	int cs = psd_warm_fsm_start();
	for (; *syms != '\0' && cs >= 0; syms++)
		cs = psd_warm_fsm_step(cs, (enum psd_warm_sym)*syms, &w);
	return cs;
}

static void test_warm_machine_table(void **state)
{
	static const char syms[] = "EeCcrFDTKxXLoS";
	static const char *const reach[S_COUNT] = {"", "C", "Cr", "CrD", "CrDK", "e", "CF"};
	enum {
		ST = PSD_WW_STATE,
		RE = PSD_WW_RESTORE,
		HO = PSD_WW_HOLD,
		RC = PSD_WW_RECONCILE,
		FO = PSD_WW_FORGET,
		DN = PSD_WW_DONE,
	};
	/* expected target (-1: no transition) and work per state, in the order of syms */
	static const struct {
		int to;
		unsigned work;
	} table[S_COUNT][14] = {
		[S_UNKNOWN] = {{S_UNKNOWN, 0}, {S_DISABLED, ST}, {S_INIT, ST | RE}, {S_DISABLED, ST},
			       {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0},
			       {S_UNKNOWN, 0}, {S_UNKNOWN, 0}, {S_UNKNOWN, 0}, {S_UNKNOWN, 0},
			       {S_UNKNOWN, 0}},
		[S_INIT] = {{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {S_RESTORED, ST}, {S_FAILED, ST | FO},
			    {-1, 0}, {-1, 0}, {-1, 0},
			    {S_INIT, 0}, {S_INIT, ST | RE}, {S_INIT, 0}, {S_INIT, 0}, {S_INIT, 0}},
		[S_RESTORED] = {{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0},
				{S_REPLAYED, ST | HO}, {-1, 0}, {-1, 0},
				{S_RESTORED, 0}, {S_RESTORED, ST}, {S_RESTORED, FO}, {S_RESTORED, 0},
				{S_RESTORED, 0}},
		[S_REPLAYED] = {{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0},
				{S_REPLAYED, RC}, {S_RECONCILED, ST | DN},
				{S_REPLAYED, 0}, {S_REPLAYED, ST}, {S_REPLAYED, FO}, {S_REPLAYED, 0},
				{S_REPLAYED, 0}},
		[S_RECONCILED] = {{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0},
				  {-1, 0}, {-1, 0},
				  {S_RECONCILED, 0}, {S_RECONCILED, ST}, {S_RECONCILED, 0},
				  {S_RECONCILED, 0}, {S_RECONCILED, 0}},
		[S_DISABLED] = {{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0},
				{S_DISABLED, 0}, {-1, 0}, {-1, 0},
				{S_DISABLED, 0}, {S_DISABLED, ST}, {S_DISABLED, 0}, {S_DISABLED, 0},
				{S_DISABLED, 0}},
		[S_FAILED] = {{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0},
			      {S_FAILED, RC}, {-1, 0}, {-1, 0},
			      {S_FAILED, 0}, {S_FAILED, ST}, {S_FAILED, 0}, {S_FAILED, 0},
			      {S_FAILED, 0}},
	};
	int cs[S_COUNT];
	for (int s = 0; s < S_COUNT; s++) {
		cs[s] = path(reach[s]);
		assert_true(cs[s] >= 0);
		assert_int_equal(psd_warm_fsm_state(cs[s]), (enum psd_warm_state)s);
		for (int t = 0; t < s; t++)
			assert_int_not_equal(cs[s], cs[t]);
	}
	for (int s = 0; s < S_COUNT; s++) {
		for (size_t i = 0; i < sizeof(syms) - 1; i++) {
			unsigned work = 0xdead;
			int got = psd_warm_fsm_step(cs[s], (enum psd_warm_sym)syms[i], &work);
			if (table[s][i].to < 0) {
				if (got != -1)
					fail_msg("state %s symbol %c: a transition where none is allowed",
						 psd_warm_state_name((enum psd_warm_state)s), syms[i]);
				continue;
			}
			if (got != cs[table[s][i].to] || work != table[s][i].work)
				fail_msg("state %s symbol %c: got %s work %#x",
					 psd_warm_state_name((enum psd_warm_state)s), syms[i],
					 psd_warm_state_name(psd_warm_fsm_state(got)), work);
		}
	}
	unsigned w;
	assert_int_equal(psd_warm_fsm_step(cs[S_UNKNOWN], (enum psd_warm_sym)'?', &w), -1);
	assert_int_equal(psd_warm_fsm_state(-1), _PSD_WARM_STATE_MAX);
	assert_string_equal(psd_warm_state_name(PSD_WARM_RECONCILED), "reconciled");
	assert_string_equal(psd_warm_state_name(_PSD_WARM_STATE_MAX), "?");
}

/* STATE_DB PORT_TABLE|<name> as the daemon writes it. */
static void stored(struct psd_world *w, const char *name, const char *oper, const char *admin,
		   const char *mtu)
{
	char key[64];
	snprintf(key, sizeof(key), "PORT_TABLE|%s", name);
	psd_model_hset(&w->m, STATE, key, "state", "ok");
	psd_model_hset(&w->m, STATE, key, "netdev_oper_status", oper);
	psd_model_hset(&w->m, STATE, key, "admin_status", admin);
	psd_model_hset(&w->m, STATE, key, "mtu", mtu);
}

static void appl(struct psd_world *w, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "PORT_TABLE:%s", name);
	psd_model_hset(&w->m, APPL, key, "lanes", "0");
}

/* A warm start's databases: Ethernet0, 4, 8 configured and in APPL_DB; STATE_DB holds Ethernet0
 * (right), Ethernet4 (its MTU changed while down), Ethernet8 (deleted while down) and Ethernet12
 * (deleted, and from CONFIG_DB too); PortConfigDone counts 4. */
static struct psd_world *warm_world(void)
{
	struct psd_world *w = psd_world_new();
	const char *names[] = {"Ethernet0", "Ethernet4", "Ethernet8"};
	for (size_t i = 0; i < 3; i++) {
		configure_port(w, names[i]);
		appl(w, names[i]);
	}
	appl(w, "Ethernet12");
	psd_model_hset(&w->m, APPL, "PORT_TABLE:PortConfigDone", "count", "4");
	psd_model_hset(&w->m, STATE, "WARM_RESTART_ENABLE_TABLE|swss", "enable", "true");
	psd_model_hset(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd", "restore_count", "2");
	stored(w, "Ethernet0", "up", "up", "9100");
	stored(w, "Ethernet4", "up", "up", "9100");
	stored(w, "Ethernet8", "down", "up", "9100");
	stored(w, "Ethernet12", "down", "up", "9100");
	psd_model_hset(&w->m, STATE, "PORT_TABLE|Ethernet8", "host_tx_ready", "true");
	psd_model_hset(&w->m, STATE, "PORT_TABLE|Ethernet16", "host_tx_ready", "true");
	return w;
}

/* The first dump: Ethernet0 as stored, Ethernet4 with MTU 1500. */
static void first_dump(struct psd_world *w, uint16_t nlflags)
{
	uint8_t buf[1024];
	struct psd_nl_link_spec a = {.type = RTM_NEWLINK, .name = "Ethernet0", .ifindex = 10,
				     .flags = UP_RUNNING, .mtu = 9100, .seq = w->dump_seq,
				     .nlflags = NLM_F_MULTI | nlflags};
	struct psd_nl_link_spec b = a;
	b.name = "Ethernet4";
	b.ifindex = 11;
	b.mtu = 1500;
	size_t off = psd_nl_build_link(buf, sizeof(buf), 0, &a);
	off = psd_nl_build_link(buf, sizeof(buf), off, &b);
	off = psd_nl_build_done(buf, sizeof(buf), off, w->dump_seq, 0);
	psd_world_datagram(w, buf, off, true);
}

static const char *warm_state(const struct psd_world *w)
{
	return psd_model_hget(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd", "state");
}

/* The state writes in the trace, in order, joined by spaces. */
static void states(const struct psd_world *w, char *buf, size_t size)
{
	static const char prefix[] = "6 HSET WARM_RESTART_TABLE|portsyncd state ";
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < w->trace_count; i++)
		if (strncmp(w->trace[i], prefix, sizeof(prefix) - 1) == 0)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n > 0 ? " " : "",
					      w->trace[i] + sizeof(prefix) - 1);
}

static void assert_reconciled(struct psd_world *w)
{
	/* Ethernet0 was right: not one write; Ethernet4 rewritten; 8 and 12 lose our fields */
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0 "), 0);
	assert_int_equal(psd_world_trace_count(w, "6 HDEL PORT_TABLE|Ethernet0 "), 0);
	assert_int_equal(psd_world_trace_count(w, "6 DEL PORT_TABLE|Ethernet0"), 0);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 1500");
	assert_null(psd_model_hget(&w->m, STATE, "PORT_TABLE|Ethernet8", "state"));
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_TABLE|Ethernet8", "host_tx_ready"),
			    "true");
	assert_false(psd_model_exists(&w->m, STATE, "PORT_TABLE|Ethernet12"));
	/* not ours: another daemon's field alone */
	assert_int_equal(psd_world_trace_count(w, "6 HDEL PORT_TABLE|Ethernet16"), 0);
	assert_string_equal(warm_state(w), "reconciled");
}

static void test_warm_restart_reconciles(void **state)
{
	struct psd_world *w = warm_world();
	char seq[256];
	psd_world_start(w);
	assert_string_equal(warm_state(w), "restored");
	assert_int_equal(psd_world_trace_count(w, "6 KEYS PORT_TABLE|*"), 1);
	assert_int_equal(psd_world_trace_count(w, "6 HGETALL PORT_TABLE|"), 5);
	first_dump(w, 0);
	psd_world_settle(w);
	assert_reconciled(w);
	states(w, seq, sizeof(seq));
	assert_string_equal(seq, "initialized restored replayed reconciled");
	/* PortConfigDone counted 4, CONFIG_DB has 3 now */
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"),
			    "3");
	assert_int_equal(psd_core_stats(w->core)->warm_unchanged, 1);
	assert_int_equal(psd_core_stats(w->core)->warm_stale_deleted, 2);
	assert_true(psd_world_logged(w, "warm restart: reconciled"));
	static char text[1 << 16];
	struct psd_metrics_info info = {
		.version = "1",
		.start_time_unix_ns = 1000000000ull,
		.now_ns = w->now,
	};
	size_t n = psd_metrics_render(w->core, &info, text, sizeof(text));
	assert_true(n > 0 && n < sizeof(text));
	assert_non_null(strstr(text, "portsyncd_warm_restart_state{state=\"reconciled\"} 1\n"));
	assert_non_null(strstr(text, "portsyncd_warm_restart_state{state=\"restored\"} 0\n"));
	assert_non_null(strstr(text, "portsyncd_warm_restart_unchanged_total 1\n"));
	assert_non_null(strstr(text, "portsyncd_warm_restart_stale_deleted_total 2\n"));
	/* PortInitDone waits for Ethernet8, configured and gone, as the contract says */
	assert_false(psd_core_port_init_done(w->core));
	psd_world_free(w);
}

/* The first STATE_DB write in the trace (a read is HGET, HGETALL, KEYS, EXISTS, INFO...). */
static const char *first_state_write(const struct psd_world *w)
{
	static const char *const writes[] = {"6 HSET ", "6 HDEL ", "6 DEL ", "6 EVALSHA "};
	for (size_t i = 0; i < w->trace_count; i++)
		for (size_t k = 0; k < sizeof(writes) / sizeof(writes[0]); k++)
			if (strncmp(w->trace[i], writes[k], strlen(writes[k])) == 0)
				return w->trace[i];
	return "";
}

/* A warm start's first STATE_DB write says `initialized`, ahead of restore_count and anything
 * else: STATE_DB never shows the last run's `reconciled` once this start is known warm. */
static void test_warm_state_written_first(void **state)
{
	struct psd_world *w = warm_world();
	psd_model_hset(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd", "state", "reconciled");
	psd_world_start(w);
	assert_string_equal(first_state_write(w), "6 HSET WARM_RESTART_TABLE|portsyncd state "
						  "initialized");
	assert_string_equal(psd_model_hget(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd",
					   "restore_count"), "3");
	psd_world_free(w);
}

/* A cold start's first STATE_DB write says `disabled` the same way. */
static void test_cold_state_written_first(void **state)
{
	struct psd_world *w = psd_world_new();
	configure_port(w, "Ethernet0");
	psd_model_hset(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd", "state", "reconciled");
	psd_world_start(w);
	assert_string_equal(first_state_write(w), "6 HSET WARM_RESTART_TABLE|portsyncd state "
						  "disabled");
	psd_world_free(w);
}

/* A netdev that changes and changes back before its write goes: nothing is written. */
static void test_warm_flap_back_writes_nothing(void **state)
{
	struct psd_world *w = warm_world();
	psd_model_del_matching(&w->m, STATE, "PORT_TABLE|Ethernet4");
	psd_world_start(w);
	w->hold = true; /* Redis slow: the look-up of the first change is in flight */
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_release(w);
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0 "), 0);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_int_equal(psd_core_stats(w->core)->warm_unchanged, 1);
	psd_world_free(w);
}

static void test_warm_hold_timer(void **state)
{
	struct psd_world *w = warm_world();
	psd_model_hset(&w->m, CONFIG, "WARM_RESTART|swss", "portsyncd_timer", "5");
	psd_world_start(w);
	first_dump(w, 0);
	psd_world_settle(w);
	assert_string_equal(warm_state(w), "replayed");
	assert_true(psd_model_exists(&w->m, STATE, "PORT_TABLE|Ethernet12")); /* held */
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 1500"); /* not held */
	psd_world_advance(w, 4900ull * 1000000ull);
	assert_true(psd_model_exists(&w->m, STATE, "PORT_TABLE|Ethernet12"));
	psd_world_advance(w, 200ull * 1000000ull);
	assert_reconciled(w);
	psd_world_free(w);
}

static void test_warm_bad_timer(void **state)
{
	static const char *const bad[] = {"0", "10000", "5s", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct psd_world *w = warm_world();
		char line[128];
		psd_model_hset(&w->m, CONFIG, "WARM_RESTART|swss", "portsyncd_timer", bad[i]);
		psd_world_start(w);
		snprintf(line, sizeof(line), "CONFIG_DB WARM_RESTART|swss portsyncd_timer '%s' is "
			 "not a number of seconds from 1 to 9999", bad[i]);
		assert_true(psd_world_logged(w, line));
		first_dump(w, 0);
		psd_world_settle(w);
		assert_reconciled(w); /* no hold */
		psd_world_free(w);
	}
}

/* An interrupted first dump is no end of initial update: the next complete one is. */
static void test_warm_interrupted_first_dump(void **state)
{
	struct psd_world *w = warm_world();
	char seq[256];
	psd_world_start(w);
	first_dump(w, NLM_F_DUMP_INTR);
	psd_world_settle(w);
	assert_string_equal(warm_state(w), "restored");
	assert_true(psd_model_exists(&w->m, STATE, "PORT_TABLE|Ethernet12"));
	psd_world_advance(w, 1100ull * 1000000ull); /* the re-dump after redump_interval */
	assert_int_equal(w->dump_seq, 2);
	first_dump(w, 0);
	psd_world_settle(w);
	assert_reconciled(w);
	states(w, seq, sizeof(seq));
	assert_string_equal(seq, "initialized restored replayed reconciled");
	psd_world_free(w);
}

/* Redis drops every connection while the restore's reads are in flight: they run again. */
static void test_warm_redis_down_during_restore(void **state)
{
	struct psd_world *w = warm_world();
	char seq[256];
	if (!psd_world_init_core(w))
		fail_msg("core init");
	struct psd_event ev = {.type = PSD_EV_START};
	psd_world_push(w, &ev);
	while (psd_world_trace_count(w, "6 KEYS PORT_TABLE|*") == 0 && psd_world_deliver_one(w))
		;
	assert_int_equal(psd_world_trace_count(w, "6 KEYS PORT_TABLE|*"), 1);
	w->hold = true;
	psd_world_settle(w);
	psd_world_redis_down(w); /* the held reads are lost with the connections */
	w->hold = false;
	assert_int_equal(psd_world_trace_count(w, "6 KEYS PORT_TABLE|*"), 1);
	assert_false(w->listening);
	psd_world_redis_up(w);
	assert_int_equal(psd_world_trace_count(w, "6 KEYS PORT_TABLE|*"), 2);
	assert_true(w->listening);
	first_dump(w, 0);
	psd_world_settle(w);
	assert_reconciled(w);
	states(w, seq, sizeof(seq));
	assert_string_equal(seq, "initialized initialized restored replayed reconciled");
	psd_world_free(w);
}

/* Redis answers `KEYS <pattern>` with LOADING, `left` times. */
struct refusal {
	const char *pattern;
	int left;
};

static const char *refuse_keys(void *ctx, uint32_t db, uint32_t argc, const char *const *argv,
			       const size_t *len)
{
	struct refusal *r = ctx;
	if (argc == 2 && len[0] == 4 && memcmp(argv[0], "KEYS", 4) == 0 &&
	    len[1] == strlen(r->pattern) && memcmp(argv[1], r->pattern, len[1]) == 0 && r->left > 0) {
		r->left--;
		return "LOADING Redis is loading the dataset in memory";
	}
	return NULL;
}

/* The restore's read refused, start-up's (KEYS PORT|*) refused while the read is in flight: each
 * runs again after PSD_REFUSED_RETRY_NS (a refused start-up's new epoch drops the read's replies
 * still due, so the read starts again too), and the warm restart ends reconciled. */
static void warm_refused(const char *pattern, const char *logged, int keys_reads)
{
	struct psd_world *w = warm_world();
	struct refusal r = {pattern, 1};
	w->hooks.ctx = &r;
	w->hooks.refuse = refuse_keys;
	psd_world_start(w);
	assert_true(psd_world_logged(w, logged));
	assert_false(w->listening);
	for (size_t i = 0; i < w->notify_count; i++) /* READY=1 once it listens */
		assert_string_not_equal(w->notify[i], "READY=1");
	psd_world_advance(w, 1100ull * 1000000ull);
	assert_int_equal(psd_world_trace_count(w, "6 KEYS PORT_TABLE|*"), keys_reads);
	assert_string_equal(warm_state(w), "restored");
	assert_true(w->listening);
	first_dump(w, 0);
	psd_world_settle(w);
	assert_reconciled(w);
	psd_world_free(w);
}

static void test_warm_restore_refused(void **state)
{
	warm_refused("PORT_TABLE|*", "warm restart: Redis refused the read of what it holds with "
		     "'LOADING Redis is loading the dataset in memory'", 2);
}

static void test_warm_startup_refused_during_restore(void **state)
{
	warm_refused("PORT|*", "Redis refused a start-up command", 2);
}

/* SIGTERM before reconciled: restore_count stays raised, so the next start is warm again, and it
 * reconciles what the first one left. */
static void test_warm_sigterm_mid_restore(void **state)
{
	struct psd_world *w = warm_world();
	psd_world_start(w);
	struct psd_event ev = {.type = PSD_EV_SHUTDOWN};
	psd_world_push(w, &ev);
	psd_world_settle(w);
	psd_world_advance(w, 3000ull * 1000000ull);
	assert_true(w->exited);
	assert_string_equal(warm_state(w), "restored");
	psd_world_restart(w);
	assert_string_equal(psd_model_hget(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd",
					   "restore_count"), "4");
	first_dump(w, 0);
	psd_world_settle(w);
	assert_reconciled(w);
	psd_world_free(w);
}

/* STATE_DB emptied while the restore's view is held: every port is written again. */
static void test_warm_redis_lost_forgets(void **state)
{
	struct psd_world *w = warm_world();
	psd_world_start(w);
	psd_world_redis_down(w);
	psd_model_del_matching(&w->m, STATE, "");
	psd_world_redis_up(w);
	first_dump(w, 0);
	psd_world_settle(w);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_string_equal(warm_state(w), "reconciled");
	psd_world_free(w);
}

/* The first dump replays while Redis is down, and PortConfigDone's count (4; CONFIG_DB has 3) is
 * due again; Redis comes back empty, CONFIG_DB loaded again. The count waits for the verification:
 * sent first, it would be the PortConfigDone the verification finds, APPL_DB taken as kept and the
 * ports never copied to it again. */
static void test_warm_count_waits_for_verification(void **state)
{
	struct psd_world *w = warm_world();
	const char *names[] = {"Ethernet0", "Ethernet4", "Ethernet8"};
	psd_world_start(w);
	psd_world_redis_down(w);
	first_dump(w, 0);
	psd_world_settle(w);
	assert_true(psd_world_logged(w, "PortConfigDone counts 4 ports, CONFIG_DB has 3"));
	psd_model_free(&w->m); /* restarted without persistence */
	psd_model_init(&w->m);
	for (size_t i = 0; i < 3; i++)
		configure_port(w, names[i]); /* CONFIG_DB is loaded again from config_db.json */
	psd_world_redis_up(w);
	psd_world_settle(w);
	assert_true(psd_world_logged(w, "APPL_DB was emptied, copying CONFIG_DB again"));
	for (size_t i = 0; i < 3; i++) {
		char key[64];
		snprintf(key, sizeof(key), "_PORT_TABLE:%s", names[i]);
		assert_string_equal(psd_model_hget(&w->m, APPL, key, "lanes"), "0");
	}
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"),
			    "3");
	psd_model_consume(&w->m, APPL);
	psd_world_advance(w, 1000000000ull);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 1500");
	psd_world_free(w);
}

/* Redis refuses start-up's write of restore_count once (OOM). */
static const char *refuse_restore_count(void *ctx, uint32_t db, uint32_t argc,
					const char *const *argv, const size_t *len)
{
	int *left = ctx;
	if (argc == 4 && len[2] == 13 && memcmp(argv[2], "restore_count", 13) == 0 && *left > 0) {
		--*left;
		return "OOM command not allowed when used memory > 'maxmemory'.";
	}
	return NULL;
}

/* Redis restarts onto a snapshot without STATE_DB's port entries after the restore has read them
 * and before start-up is over (it waits to retry a refused write): start-up runs again, sees
 * STATE_DB's new run_id (no verification follows a start-up) and forgets what the read found: a
 * netdev equal to what the old server held is written, not taken as stored. */
static void test_warm_redis_restarted_during_startup(void **state)
{
	struct psd_world *w = warm_world();
	struct psd_model snapshot;
	int refusals = 1;
	psd_model_copy(&snapshot, &w->m);
	psd_model_del_matching(&snapshot, STATE, "PORT_TABLE|");
	w->hooks.ctx = &refusals;
	w->hooks.refuse = refuse_restore_count;
	psd_world_start(w);
	assert_true(psd_world_logged(w, "Redis refused a start-up command"));
	assert_string_equal(warm_state(w), "restored");
	assert_false(w->listening);
	w->hold = true;
	psd_world_settle(w);
	psd_world_redis_down(w);
	w->hold = false;
	psd_model_restart(&w->m, &snapshot); /* a new run_id, the port entries gone */
	psd_world_redis_up(w);
	assert_true(psd_world_logged(w, "start-up interrupted: starting it again"));
	assert_true(psd_world_logged(w, "STATE_DB's server restarted (new run_id) during start-up"));
	first_dump(w, 0);
	psd_world_settle(w);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 1500");
	assert_string_equal(warm_state(w), "reconciled");
	psd_world_free(w);
}

/* Redis refuses STATE_DB writes of Ethernet0 (OOM) while refusing is set. */
static const char *refuse_ethernet0(void *ctx, uint32_t db, uint32_t argc,
				    const char *const *argv, const size_t *len)
{
	const bool *refusing = ctx;
	if (*refusing && argc > 1 && len[1] == 20 && memcmp(argv[1], "PORT_TABLE|Ethernet0", 20) == 0)
		return "OOM command not allowed when used memory > 'maxmemory'.";
	return NULL;
}

/* A write Redis refused changed nothing: in portsyncd_timer's hold, Ethernet0 flaps while its
 * writes are refused and comes back to what STATE_DB held at the start; the retry finds it stored
 * and writes nothing. */
static void test_warm_refused_write_changed_nothing(void **state)
{
	struct psd_world *w = warm_world();
	bool refusing = false;
	psd_model_hset(&w->m, CONFIG, "WARM_RESTART|swss", "portsyncd_timer", "3");
	w->hooks.ctx = &refusing;
	w->hooks.refuse = refuse_ethernet0;
	psd_world_start(w);
	first_dump(w, 0);
	psd_world_settle(w);
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0 "), 0);
	refusing = true;
	psd_world_new_link(w, "Ethernet0", 10, UP);
	size_t refused = psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0 ");
	assert_true(refused > 0);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	refusing = false;
	psd_world_advance(w, 5000ull * 1000000ull);
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0 "), refused);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_string_equal(warm_state(w), "reconciled");
	psd_world_free(w);
}

static void test_cold_start_is_disabled(void **state)
{
	struct psd_world *w = psd_world_new();
	char seq[256];
	configure_port(w, "Ethernet0");
	stored(w, "Ethernet0", "up", "up", "9100");
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	psd_world_dump_done(w);
	states(w, seq, sizeof(seq));
	assert_string_equal(seq, "disabled");
	assert_int_equal(psd_world_trace_count(w, "6 KEYS PORT_TABLE|*"), 0);
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0 "), 1);
	psd_world_free(w);
}

/* --compat: the C++ daemon's warm start: no state, nothing read, every port written, nothing
 * reconciled. */
static void test_warm_compat(void **state)
{
	struct psd_world *w = warm_world();
	w->cfg.compat = true;
	psd_world_start(w);
	first_dump(w, 0);
	psd_world_settle(w);
	assert_null(warm_state(w));
	assert_int_equal(psd_world_trace_count(w, "6 KEYS PORT_TABLE|*"), 0);
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0 "), 1);
	assert_true(psd_model_exists(&w->m, STATE, "PORT_TABLE|Ethernet12"));
	assert_string_equal(psd_model_hget(&w->m, APPL, "PORT_TABLE:PortConfigDone", "count"), "4");
	psd_world_free(w);
}

/* More STATE_DB entries than the port table holds: failed, loudly; every port is written. */
static void test_warm_table_full_fails(void **state)
{
	struct psd_world *w = warm_world();
	char seq[256];
	w->lim.ports_max = 3;
	psd_world_start(w);
	assert_true(psd_world_logged(w, "more port entries than the port table holds (ports_max 3)"));
	first_dump(w, 0);
	psd_world_settle(w);
	states(w, seq, sizeof(seq));
	assert_string_equal(seq, "initialized failed");
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0 "), 1);
	psd_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_warm_machine_table),
		cmocka_unit_test(test_warm_restart_reconciles),
		cmocka_unit_test(test_warm_state_written_first),
		cmocka_unit_test(test_cold_state_written_first),
		cmocka_unit_test(test_warm_flap_back_writes_nothing),
		cmocka_unit_test(test_warm_hold_timer),
		cmocka_unit_test(test_warm_bad_timer),
		cmocka_unit_test(test_warm_interrupted_first_dump),
		cmocka_unit_test(test_warm_redis_down_during_restore),
		cmocka_unit_test(test_warm_restore_refused),
		cmocka_unit_test(test_warm_startup_refused_during_restore),
		cmocka_unit_test(test_warm_sigterm_mid_restore),
		cmocka_unit_test(test_warm_redis_lost_forgets),
		cmocka_unit_test(test_warm_count_waits_for_verification),
		cmocka_unit_test(test_warm_redis_restarted_during_startup),
		cmocka_unit_test(test_warm_refused_write_changed_nothing),
		cmocka_unit_test(test_cold_start_is_disabled),
		cmocka_unit_test(test_warm_compat),
		cmocka_unit_test(test_warm_table_full_fails),
	};
	return cmocka_run_group_tests_name("warm", tests, NULL, NULL);
}
