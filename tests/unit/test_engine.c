/*
 * Engine tests: the start-up sequence and per-message chain of the contract (§1, §2.3, D1-D9)
 * and the field bugs the core fixes (FB-03, FB-04, FB-05, FB-14, FB-25), each run through the
 * real core against the in-memory Redis model.
 */
#include "unit.h"

#define SEC 1000000000ull

static void config_port(struct psd_world *w, const char *name, const char *lanes)
{
	char key[64];
	snprintf(key, sizeof(key), "PORT|%s", name);
	psd_model_hset(&w->m, CONFIG, key, "admin_status", "up");
	psd_model_hset(&w->m, CONFIG, key, "alias", name);
	psd_model_hset(&w->m, CONFIG, key, "lanes", lanes);
	psd_model_hset(&w->m, CONFIG, key, "mtu", "9100");
}

static void appl_port(struct psd_world *w, const char *name, bool admin_status)
{
	char key[64];
	snprintf(key, sizeof(key), "PORT_TABLE:%s", name);
	psd_model_hset(&w->m, APPL, key, "lanes", "0");
	if (admin_status)
		psd_model_hset(&w->m, APPL, key, "admin_status", "up");
}

/* A started world with one configured port whose APPL_DB entry orchagent has consumed. */
static struct psd_world *running_with(const char *port, const char *lanes)
{
	struct psd_world *w = psd_world_new();
	config_port(w, port, lanes);
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	return w;
}

static bool notified(const struct psd_world *w, const char *text)
{
	for (size_t i = 0; i < w->notify_count; i++)
		if (strcmp(w->notify[i], text) == 0)
			return true;
	return false;
}

/* D1: a cold start copies CONFIG_DB to APPL_DB through the producer script, in order. */
static void test_cold_start_sequence(void **state)
{
	struct psd_world *w = psd_world_new();
	config_port(w, "Ethernet0", "0,1,2,3");
	config_port(w, "Ethernet4", "4,5,6,7");
	psd_world_start(w);

	const char *expected[] = {
		"4 HGET LOGGER|portsyncd LOGLEVEL",
		"4 HGET LOGGER|portsyncd LOGOUTPUT",
		"0 SCRIPT LOAD local added = redis.call('SADD', KEYS[2], ARGV[2])\nfor i = 3",
		"4 INFO server", /* who answers: a later run_id says Redis restarted */
		"0 INFO server",
		"6 INFO server",
		"4 HSET LOGGER|portsyncd LOGLEVEL NOTICE LOGOUTPUT SYSLOG",
		"4 HGET DEVICE_METADATA|localhost switch_type",
		"6 HGET WARM_RESTART_ENABLE_TABLE|system enable",
		"6 HGET WARM_RESTART_ENABLE_TABLE|swss enable",
		/* the machine: cold, said first (the last run's state goes at once) */
		"6 HSET WARM_RESTART_TABLE|portsyncd state disabled",
		"6 HSET WARM_RESTART_TABLE|portsyncd restore_count 0",
		"4 KEYS PORT|*",
		"0 EXISTS PORT_TABLE:PortConfigDone",
		"0 EXISTS _PORT_TABLE:PortConfigDone",
		"4 HGETALL PORT|Ethernet0",
		"4 HGETALL PORT|Ethernet4",
		"0 EVALSHA " PSD_MODEL_SHA " 6 PORT_TABLE_CHANNEL@0 PORT_TABLE_KEY_SET "
		"_PORT_TABLE:Ethernet0 _PORT_TABLE:Ethernet0 _PORT_TABLE:Ethernet0 "
		"_PORT_TABLE:Ethernet0 G Ethernet0 admin_status up alias Ethernet0 lanes 0,1,2,3 mtu 9100",
		"0 EVALSHA " PSD_MODEL_SHA " 6 PORT_TABLE_CHANNEL@0 PORT_TABLE_KEY_SET "
		"_PORT_TABLE:Ethernet4 _PORT_TABLE:Ethernet4 _PORT_TABLE:Ethernet4 "
		"_PORT_TABLE:Ethernet4 G Ethernet4 admin_status up alias Ethernet4 lanes 4,5,6,7 mtu 9100",
		"0 EVALSHA " PSD_MODEL_SHA " 3 PORT_TABLE_CHANNEL@0 PORT_TABLE_KEY_SET "
		"_PORT_TABLE:PortConfigDone G PortConfigDone count 2",
		"0 HEXISTS PORT_TABLE:Ethernet0 admin_status",
		"0 HEXISTS PORT_TABLE:Ethernet4 admin_status",
	};
	assert_int_equal(w->trace_count, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < w->trace_count; i++)
		assert_string_equal(w->trace[i], expected[i]);

	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:Ethernet4", "lanes"), "4,5,6,7");
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"), "2");
	assert_true(psd_model_sismember(&w->m, APPL, "PORT_TABLE_KEY_SET", "Ethernet0"));
	assert_true(psd_model_sismember(&w->m, APPL, "PORT_TABLE_KEY_SET", "PortConfigDone"));
	assert_int_equal(w->m.publishes, 3);
	assert_string_equal(w->m.last_channel, "PORT_TABLE_CHANNEL@0");
	assert_string_equal(psd_model_hget(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd",
					   "restore_count"), "0");
	assert_int_equal(w->dump_seq, 1);
	assert_true(w->listening);
	assert_true(notified(w, "READY=1"));
	assert_false(psd_core_port_init_done(w->core));
	psd_world_free(w);
}

/* D2: no ports: PortConfigDone count 0, PortInitDone after the first netlink read. */
static void test_empty_config(void **state)
{
	struct psd_world *w = psd_world_new();
	psd_world_start(w);
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"), "0");
	assert_false(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortInitDone"));
	assert_true(psd_world_logged(w, "ConfigDB does not have port information"));
	psd_world_dump_done(w);
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortInitDone", "lanes"), "0");
	assert_false(w->exited);
	psd_world_free(w);
}

/* D3: admin from IFF_UP, oper from IFF_RUNNING, mtu from IFLA_MTU; other fields survive. */
static void test_newlink_mapping(void **state)
{
	struct psd_world *w = running_with("Ethernet0", "0");
	psd_model_hset(&w->m, STATE, "PORT_TABLE|Ethernet0", "speed", "100000");
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_true(psd_world_traced(w, "6 HSET PORT_TABLE|Ethernet0 state ok netdev_oper_status up "
				    "admin_status up mtu 9100"));
	psd_world_new_link(w, "Ethernet0", 10, UP);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	psd_world_link(w, RTM_NEWLINK, "Ethernet0", 10, UP, 1500, 0, "veth");
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 1500");
	psd_world_new_link(w, "Ethernet0", 10, IFF_UP | IFF_LOWER_UP);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100"); /* FB-09 */
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_TABLE|Ethernet0", "speed"), "100000");
	/* every qualifying NEWLINK is written, changed or not (FB-19) */
	size_t before = psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0");
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0"), before + 2);
	psd_world_free(w);
}

/* D4 / FB-03: a leftover netdev is brought down and its ifindex ignored until it is deleted. */
static void test_old_interface(void **state)
{
	struct psd_world *w = psd_world_new();
	config_port(w, "Ethernet0", "0");
	appl_port(w, "Ethernet0", false);
	psd_world_add_iface(w, 1, "lo");
	psd_world_add_iface(w, 142, "Ethernet0");
	psd_world_start(w);
	assert_int_equal(w->down_count, 1);
	assert_int_equal(w->downs[0], 142);
	psd_world_new_link(w, "Ethernet0", 142, UP_RUNNING);
	psd_world_del_link(w, "Ethernet0", 142);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "absent");
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE") + psd_world_trace_count(w, "6 DEL"), 0);
	assert_int_equal(psd_core_stats(w->core)->msgs_old_ifindex, 2);
	psd_world_new_link(w, "Ethernet0", 150, UP);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	assert_true(psd_core_port_init_done(w->core));
	psd_world_free(w);
}

/* FB-03 field: a leftover netdev that shows up under another name was renamed, so it is no
 * leftover: it leaves the old set and its messages count again. */
static void test_renamed_old_interface_counts_again(void **state)
{
	struct psd_world *w = psd_world_new();
	config_port(w, "Ethernet0", "0");
	config_port(w, "Ethernet4", "4");
	psd_world_add_iface(w, 142, "Ethernet0");
	psd_world_start(w);
	assert_int_equal(w->down_count, 1);
	psd_model_consume(&w->m, APPL);
	psd_world_new_link(w, "Ethernet0", 142, UP); /* still the leftover: ignored */
	assert_string_equal(psd_world_state(w, "Ethernet0"), "absent");
	psd_world_new_link(w, "Ethernet4", 142, UP_RUNNING); /* renamed */
	assert_true(psd_world_logged(w, "old interface Ethernet0 renamed to Ethernet4"));
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok up up 9100");
	psd_world_free(w);
}

/* FB-03 vs FB-04: netdevs are leftovers only after a flushed APPL_DB. PortConfigDone there
 * (consumed or not) means this is a restart of portsyncd alone: nothing is brought down. */
static void test_old_only_after_flushed_appl(void **state)
{
	const char *done[] = {"PORT_TABLE:PortConfigDone", "_PORT_TABLE:PortConfigDone"};
	for (int i = 0; i < 2; i++) {
		struct psd_world *w = psd_world_new();
		config_port(w, "Ethernet0", "0");
		psd_model_hset(&w->m, APPL, done[i], "count", "1");
		psd_world_add_iface(w, 142, "Ethernet0");
		psd_world_start(w);
		assert_int_equal(w->down_count, 0);
		psd_model_consume(&w->m, APPL);
		psd_world_new_link(w, "Ethernet0", 142, UP);
		assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
		psd_world_free(w);
	}
}

/* FB-12 / FB-25 after a restart: the first complete dump of a cold start removes our fields from
 * the STATE_DB entry of a configured port whose netdev went away while no daemon listened. */
static void test_first_dump_reconciles(void **state)
{
	struct psd_world *w = psd_world_new();
	config_port(w, "Ethernet0", "0");
	config_port(w, "Ethernet4", "4");
	appl_port(w, "Ethernet0", true);
	appl_port(w, "Ethernet4", true);
	psd_model_hset(&w->m, APPL, "PORT_TABLE:PortConfigDone", "count", "2");
	psd_model_hset(&w->m, STATE, "PORT_TABLE|Ethernet0", "state", "ok");
	psd_model_hset(&w->m, STATE, "PORT_TABLE|Ethernet0", "mtu", "9100");
	psd_model_hset(&w->m, STATE, "PORT_TABLE|Ethernet0", "host_tx_ready", "true");
	psd_model_hset(&w->m, STATE, "PORT_TABLE|Ethernet4", "state", "ok");
	psd_world_add_iface(w, 75, "Ethernet4");
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	uint8_t buf[512];
	struct psd_nl_link_spec spec = {.type = RTM_NEWLINK, .name = "Ethernet4", .ifindex = 75,
					.flags = UP, .mtu = 9100, .seq = w->dump_seq,
					.nlflags = NLM_F_MULTI};
	size_t off = psd_nl_build_link(buf, sizeof(buf), 0, &spec);
	off = psd_nl_build_done(buf, sizeof(buf), off, w->dump_seq, 0);
	psd_world_datagram(w, buf, off, true);
	/* our fields go; another daemon's stay (FB-24) */
	assert_null(psd_model_hget(&w->m, STATE, "PORT_TABLE|Ethernet0", "state"));
	assert_null(psd_model_hget(&w->m, STATE, "PORT_TABLE|Ethernet0", "mtu"));
	assert_string_equal(psd_model_hget(&w->m, STATE, "PORT_TABLE|Ethernet0", "host_tx_ready"),
			    "true");
	assert_string_equal(psd_world_state(w, "Ethernet4"), "ok down up 9100");
	psd_world_free(w);
}

/* D4 second half: APPL_DB admin_status prunes the port from the PortInitDone set. */
static void test_prune_by_admin_status(void **state)
{
	struct psd_world *w = psd_world_new();
	config_port(w, "Ethernet0", "0");
	appl_port(w, "Ethernet0", true);
	psd_world_start(w);
	psd_world_dump_done(w);
	assert_true(psd_core_port_init_done(w->core));
	psd_world_free(w);
}

/* FB-04 / FB-05: a netdev whose port APPL_DB already knows is not "old" (field default). */
static void test_preexisting_known_port_kept(void **state)
{
	struct psd_world *w = psd_world_new();
	config_port(w, "Ethernet24", "25");
	config_port(w, "Ethernet28", "29");
	appl_port(w, "Ethernet24", true);
	appl_port(w, "Ethernet28", true);
	psd_world_add_iface(w, 75, "Ethernet24");
	psd_world_start(w);
	assert_int_equal(w->down_count, 0);
	psd_model_consume(&w->m, APPL);
	psd_world_link(w, RTM_NEWLINK, "Ethernet24", 75, DOWN, 9100, 0, "tun");
	psd_world_link(w, RTM_NEWLINK, "Ethernet28", 76, DOWN, 9100, 0, "tun");
	assert_string_equal(psd_world_state(w, "Ethernet24"), "ok down down 9100");
	assert_string_equal(psd_world_state(w, "Ethernet28"), "ok down down 9100");
	assert_true(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortInitDone"));
	psd_world_free(w);
}

static void test_preexisting_known_port_compat(void **state)
{
	struct psd_world *w = psd_world_new();
	w->cfg.compat = true;
	config_port(w, "Ethernet24", "25");
	appl_port(w, "Ethernet24", true);
	psd_world_add_iface(w, 75, "Ethernet24");
	psd_world_start(w);
	assert_int_equal(w->down_count, 1);
	psd_world_new_link(w, "Ethernet24", 75, DOWN);
	assert_string_equal(psd_world_state(w, "Ethernet24"), "absent");
	psd_world_free(w);
}

/* D5 / FB-23: on a DPU nothing is brought down and pre-existing netdevs are processed. */
static void test_dpu(void **state)
{
	struct psd_world *w = psd_world_new();
	config_port(w, "Ethernet0", "0");
	psd_model_hset(&w->m, CONFIG, "DEVICE_METADATA|localhost", "switch_type", "dpu");
	psd_world_add_iface(w, 5, "Ethernet0");
	psd_world_start(w);
	assert_int_equal(w->down_count, 0);
	psd_model_consume(&w->m, APPL);
	psd_world_new_link(w, "Ethernet0", 5, UP_RUNNING);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	psd_world_free(w);
}

/* D6 / FB-06: warm start increments restore_count and writes nothing to APPL_DB but
 * PortInitDone. */
static void test_warm_start(void **state)
{
	struct psd_world *w = psd_world_new();
	config_port(w, "Ethernet0", "0");
	appl_port(w, "Ethernet0", true);
	psd_model_hset(&w->m, APPL, "PORT_TABLE:PortConfigDone", "count", "1");
	psd_model_hset(&w->m, STATE, "WARM_RESTART_ENABLE_TABLE|swss", "enable", "true");
	psd_model_hset(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd", "restore_count", "5");
	psd_world_add_iface(w, 60, "Ethernet0");
	psd_world_start(w);
	assert_string_equal(psd_model_hget(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd",
					   "restore_count"), "6");
	assert_int_equal(psd_world_trace_count(w, "0 EVALSHA"), 0);
	assert_int_equal(w->down_count, 0);
	assert_true(psd_world_logged(w, "portsyncd doing warm start, restore count 6"));
	psd_world_new_link(w, "Ethernet0", 60, UP);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortInitDone", "lanes"), "0");
	assert_false(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortConfigDone"));
	psd_world_free(w);
}

static void test_warm_without_restore_count_is_cold(void **state)
{
	struct psd_world *w = psd_world_new();
	psd_model_hset(&w->m, STATE, "WARM_RESTART_ENABLE_TABLE|system", "enable", "true");
	psd_world_start(w);
	assert_string_equal(psd_model_hget(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd",
					   "restore_count"), "0");
	assert_true(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortConfigDone"));
	assert_true(psd_world_logged(w, "fall back to cold start"));
	psd_world_free(w);
}

static void test_corrupt_restore_count_is_cold(void **state)
{
	struct psd_world *w = psd_world_new();
	psd_model_hset(&w->m, STATE, "WARM_RESTART_ENABLE_TABLE|swss", "enable", "true");
	psd_model_hset(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd", "restore_count", "7x\x01");
	psd_world_start(w);
	assert_string_equal(psd_model_hget(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd",
					   "restore_count"), "0");
	assert_true(psd_world_logged(w, "restore_count '7x\\x01' is not a count"));
	assert_true(w->listening);
	psd_world_free(w);
}

/* A bridge port message, as the bridge driver sends it (family AF_BRIDGE, master set). */
static void bridge_link(struct psd_world *w, uint16_t type, const char *name, int32_t ifindex)
{
	uint8_t buf[512];
	struct psd_nl_link_spec spec = {
		.type = type, .family = PSD_AF_BRIDGE, .name = name, .ifindex = ifindex,
		.flags = UP_RUNNING, .mtu = 9100, .master = 30,
	};
	size_t len = psd_nl_build_link(buf, sizeof(buf), 0, &spec);
	assert_true(len > 0);
	psd_world_datagram(w, buf, len, false);
}

/* D7 / FB-11: leaving a bridge (AF_BRIDGE DELLINK with a master) keeps the entry; a netdev
 * deleted while enslaved (AF_UNSPEC DELLINK, master still set) loses it, except in compat. */
static void test_master_dellink_ignored(void **state)
{
	for (int compat = 0; compat <= 1; compat++) {
		struct psd_world *w = psd_world_new();
		w->cfg.compat = compat;
		config_port(w, "Ethernet8", "8");
		psd_world_start(w);
		psd_model_consume(&w->m, APPL);
		psd_world_link(w, RTM_NEWLINK, "Ethernet8", 70, UP_RUNNING, 9100, 30, NULL);
		bridge_link(w, RTM_NEWLINK, "Ethernet8", 70);
		bridge_link(w, RTM_DELLINK, "Ethernet8", 70);
		assert_string_equal(psd_world_state(w, "Ethernet8"), "ok up up 9100");
		assert_int_equal(psd_world_trace_count(w, "6 DEL"), 0);
		psd_world_link(w, RTM_DELLINK, "Ethernet8", 70, UP_RUNNING, 9100, 30, NULL);
		assert_string_equal(psd_world_state(w, "Ethernet8"),
				    compat ? "ok up up 9100" : "absent");
		psd_world_free(w);
	}
}

/* A warm start over an APPL_DB that lost PortConfigDone (Redis restarted empty) copies
 * CONFIG_DB again, and still brings no interface down; compat keeps the C++ warm path. */
static void test_warm_start_appl_emptied(void **state)
{
	for (int compat = 0; compat <= 1; compat++) {
		struct psd_world *w = psd_world_new();
		w->cfg.compat = compat;
		config_port(w, "Ethernet0", "0");
		psd_model_hset(&w->m, STATE, "WARM_RESTART_ENABLE_TABLE|swss", "enable", "true");
		psd_model_hset(&w->m, STATE, "WARM_RESTART_TABLE|portsyncd", "restore_count", "1");
		psd_world_add_iface(w, 60, "Ethernet0");
		psd_world_start(w);
		assert_true(psd_world_logged(w, "portsyncd doing warm start, restore count 2"));
		assert_true(w->listening);
		assert_int_equal(w->down_count, 0);
		assert_int_equal(psd_model_exists(&w->m, APPL, "_PORT_TABLE:Ethernet0"), !compat);
		assert_int_equal(psd_world_logged(w, "APPL_DB has no PortConfigDone"), !compat);
		psd_world_free(w);
	}
}

/* D8 / FB-21: names and kinds that are not ours cause no DB access. */
static void test_filters(void **state)
{
	struct psd_world *w = psd_world_new();
	psd_world_start(w);
	psd_world_dump_done(w);
	size_t before = w->trace_count;
	psd_world_new_link(w, "eth1", 2, UP_RUNNING);
	psd_world_new_link(w, "lo", 1, UP_RUNNING);
	psd_world_link(w, RTM_NEWLINK, "Vlan10", 31, UP, 9100, 0, "vlan");
	psd_world_del_link(w, "Bridge", 30);
	psd_world_link(w, RTM_NEWLINK, "PortChannel1", 60, UP_RUNNING, 9100, 0, "team");
	psd_world_link(w, RTM_DELLINK, "PortChannel1", 60, UP_RUNNING, 9100, 0, "team");
	assert_int_equal(w->trace_count, before);
	psd_world_link(w, RTM_NEWLINK, "Ethernet0.10", 200, UP, 9100, 0, "vlan");
	assert_int_equal(w->trace_count, before + 1);
	assert_string_equal(w->trace[before], "0 EXISTS PORT_TABLE:Ethernet0.10");
	psd_world_link(w, RTM_DELLINK, "Ethernet0.10", 200, UP, 9100, 0, "vlan");
	assert_string_equal(w->trace[w->trace_count - 1], "6 DEL PORT_TABLE|Ethernet0.10");
	psd_world_advance(w, 5 * SEC); /* sub-interfaces are never parked for a re-check */
	assert_int_equal(psd_world_trace_count(w, "0 EXISTS PORT_TABLE:Ethernet0.10"), 1);
	psd_world_free(w);
}

/* D9: PortInitDone waits for every configured port, and goes out once. */
static void test_port_init_done_gating(void **state)
{
	struct psd_world *w = running_with("Ethernet4", "4");
	config_port(w, "Ethernet0", "0");
	psd_world_dump_done(w);
	psd_world_new_link(w, "Ethernet0", 10, DOWN);
	assert_false(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortInitDone"));
	psd_world_new_link(w, "Ethernet4", 11, DOWN);
	assert_true(psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortInitDone"));
	/* PortInitDone follows the last port's STATE_DB write */
	assert_true(psd_world_trace_index(w, "6 HSET PORT_TABLE|Ethernet4") <
		    psd_world_trace_index(w, "0 EVALSHA " PSD_MODEL_SHA " 3 PORT_TABLE_CHANNEL@0 "
					 "PORT_TABLE_KEY_SET _PORT_TABLE:PortInitDone"));
	psd_world_new_link(w, "Ethernet4", 11, UP);
	psd_world_del_link(w, "Ethernet0", 10);
	psd_world_new_link(w, "Ethernet0", 12, UP);
	assert_int_equal(psd_world_trace_count(w, "0 EVALSHA " PSD_MODEL_SHA " 3 PORT_TABLE_CHANNEL@0 "
					     "PORT_TABLE_KEY_SET _PORT_TABLE:PortInitDone"), 1);
	psd_world_free(w);
}

/* FB-14: a NEWLINK that comes before orchagent consumed the port is not lost. */
static void test_newlink_before_consume_is_rechecked(void **state)
{
	struct psd_world *w = psd_world_new();
	config_port(w, "Ethernet12", "12");
	psd_world_start(w);
	psd_world_new_link(w, "Ethernet12", 140, DOWN);
	assert_string_equal(psd_world_state(w, "Ethernet12"), "absent");
	assert_true(psd_world_logged(w, "Cannot find Ethernet12 in port table"));
	psd_world_advance(w, SEC);
	assert_string_equal(psd_world_state(w, "Ethernet12"), "absent");
	psd_model_consume(&w->m, APPL);
	assert_int_equal(psd_core_next_deadline(w->core) <= w->now + SEC, true);
	psd_world_advance(w, SEC);
	assert_string_equal(psd_world_state(w, "Ethernet12"), "ok down down 9100");
	assert_true(psd_model_exists(&w->m, APPL, "PORT_TABLE:PortInitDone") ||
		    psd_model_exists(&w->m, APPL, "_PORT_TABLE:PortInitDone"));
	psd_world_free(w);
}

static void test_newlink_before_consume_compat_drops(void **state)
{
	struct psd_world *w = psd_world_new();
	w->cfg.compat = true;
	config_port(w, "Ethernet12", "12");
	psd_world_start(w);
	psd_world_new_link(w, "Ethernet12", 140, DOWN);
	psd_model_consume(&w->m, APPL);
	psd_world_advance(w, 5 * SEC);
	assert_string_equal(psd_world_state(w, "Ethernet12"), "absent");
	assert_false(psd_core_port_init_done(w->core));
	psd_world_free(w);
}

/* FB-25: a new name on a known ifindex retires the old name's STATE_DB entry. */
static void test_rename(void **state)
{
	struct psd_world *w = running_with("Ethernet8", "8");
	psd_world_new_link(w, "Ethernet8", 80, UP_RUNNING);
	psd_world_new_link(w, "Ethernet8", 80, DOWN);
	psd_world_new_link(w, "Ethernet8x", 80, DOWN);
	psd_world_new_link(w, "Ethernet8x", 80, UP_RUNNING);
	assert_string_equal(psd_world_state(w, "Ethernet8"), "absent");
	assert_string_equal(psd_world_state(w, "Ethernet8x"), "absent");
	assert_int_equal(psd_core_stats(w->core)->renames, 1);
	psd_world_free(w);
}

/* A port's netdev renamed to a name that is not a port's (foo, eth1, Vlan5): the port's entry
 * goes at the rename, and the netdev's later deletion changes nothing. */
static void test_rename_away(void **state)
{
	static const char *const away[] = {"foo", "eth1", "Vlan5"};
	for (int i = 0; i < 3; i++) {
		struct psd_world *w = running_with("Ethernet8", "8");
		psd_world_new_link(w, "Ethernet8", 80, UP_RUNNING);
		assert_string_equal(psd_world_state(w, "Ethernet8"), "ok up up 9100");
		psd_world_new_link(w, away[i], 80, DOWN);
		assert_string_equal(psd_world_state(w, "Ethernet8"), "absent");
		assert_true(psd_world_logged(w, "ifindex 80 renamed from Ethernet8 to "));
		psd_world_del_link(w, away[i], 80);
		assert_string_equal(psd_world_state(w, "Ethernet8"), "absent");
		psd_world_new_link(w, "Ethernet8", 81, UP); /* a new netdev takes the name */
		assert_string_equal(psd_world_state(w, "Ethernet8"), "ok down up 9100");
		assert_int_equal(psd_core_stats(w->core)->renames, 1);
		psd_world_free(w);
	}
}

static void test_rename_compat(void **state)
{
	struct psd_world *w = psd_world_new();
	w->cfg.compat = true;
	config_port(w, "Ethernet8", "8");
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_new_link(w, "Ethernet8", 80, DOWN);
	psd_world_new_link(w, "Ethernet8x", 80, DOWN);
	assert_string_equal(psd_world_state(w, "Ethernet8"), "ok down down 9100");
	psd_world_free(w);
}

/* One command per key in flight; newer states coalesce; keys are pipelined. */
static void test_coalescing_and_pipelining(void **state)
{
	struct psd_world *w = psd_world_new();
	config_port(w, "Ethernet0", "0");
	config_port(w, "Ethernet4", "4");
	config_port(w, "Ethernet8", "8");
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	w->hold = true;
	psd_world_new_link(w, "Ethernet0", 10, DOWN);
	psd_world_new_link(w, "Ethernet4", 11, DOWN);
	psd_world_new_link(w, "Ethernet8", 12, DOWN);
	assert_int_equal(w->held_count, 3); /* three keys in flight at once */
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_new_link(w, "Ethernet0", 10, UP_RUNNING);
	assert_int_equal(w->held_count, 3); /* nothing more for a key already in flight */
	psd_world_release(w);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0"), 1);
	/* a write in flight, then two events: the latest goes next, once */
	w->hold = true;
	psd_world_new_link(w, "Ethernet0", 10, DOWN);
	psd_world_release(w);
	w->hold = true;
	psd_world_new_link(w, "Ethernet4", 11, UP);
	psd_world_release(w);
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0"), 2);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down down 9100");
	psd_world_free(w);
}

/* A DELLINK while the look-up is in flight: DEL goes out, no HSET. */
static void test_delete_during_lookup(void **state)
{
	struct psd_world *w = running_with("Ethernet0", "0");
	w->hold = true;
	psd_world_new_link(w, "Ethernet0", 10, UP);
	psd_world_del_link(w, "Ethernet0", 10);
	psd_world_release(w);
	assert_int_equal(psd_world_trace_count(w, "6 HSET PORT_TABLE|Ethernet0"), 0);
	assert_int_equal(psd_world_trace_count(w, "6 DEL PORT_TABLE|Ethernet0"), 1);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "absent");
	psd_world_free(w);
}

/* inflight_max bounds the commands in flight; the rest wait and all complete. */
static void test_inflight_limit(void **state)
{
	struct psd_world *w = psd_world_new();
	char name[16];
	w->lim.inflight_max = 2;
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i * 4);
		config_port(w, name, "0");
	}
	psd_world_start(w);
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"), "6");
	psd_model_consume(&w->m, APPL);
	w->hold = true;
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i * 4);
		psd_world_new_link(w, name, 10 + i, UP);
	}
	assert_int_equal(w->held_count, 2);
	while (w->held_count > 0) {
		psd_world_release(w);
		w->hold = true;
	}
	w->hold = false;
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i * 4);
		assert_string_equal(psd_world_state(w, name), "ok down up 9100");
	}
	psd_world_free(w);
}

/* The LOGGER fields are written only when missing; bad values are reported. */
static void test_logger_link(void **state)
{
	struct psd_world *w = psd_world_new();
	w->cfg.log_level_pinned = false;
	psd_model_hset(&w->m, CONFIG, "LOGGER|portsyncd", "LOGLEVEL", "LOUD");
	psd_model_hset(&w->m, CONFIG, "LOGGER|portsyncd", "LOGOUTPUT", "STDERR");
	psd_world_start(w);
	assert_int_equal(psd_world_trace_count(w, "4 HSET LOGGER"), 0);
	assert_true(psd_world_logged(w, "LOGLEVEL: value 'LOUD' is not valid, using NOTICE"));
	psd_model_hset(&w->m, CONFIG, "LOGGER|portsyncd", "LOGLEVEL", "INFO");
	psd_world_advance(w, SEC);
	assert_true(psd_world_logged(w, "log settings changed to INFO"));
	psd_world_free(w);
}

/* A running daemon with a write in flight, then SIGTERM. */
static struct psd_world *stop_with_write_in_flight(void)
{
	struct psd_world *w = running_with("Ethernet0", "0");
	w->hold = true;
	psd_world_new_link(w, "Ethernet0", 10, UP);
	struct psd_event ev = {.type = PSD_EV_SHUTDOWN};
	psd_world_push(w, &ev);
	return w;
}

/* SIGTERM: STOPPING=1, writes in flight are flushed before the exit. */
static void test_shutdown_flushes(void **state)
{
	struct psd_world *w = stop_with_write_in_flight();
	assert_true(notified(w, "STOPPING=1"));
	assert_false(w->exited);
	psd_world_release(w);
	assert_true(w->exited);
	assert_int_equal(w->exit_status, 0);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	psd_world_free(w);
}

static void test_shutdown_deadline(void **state)
{
	struct psd_world *w = stop_with_write_in_flight();
	w->now = psd_core_next_deadline(w->core);
	struct psd_event tick = {.type = PSD_EV_TIMER};
	psd_world_push(w, &tick);
	assert_true(w->exited);
	assert_int_equal(w->exit_status, PSD_EXIT_WRITES_LOST);
	assert_true(psd_world_logged(w, "stopping with writes still pending: 1 port states not "
					"written to Redis (Ethernet0)"));
	assert_int_equal(psd_core_stats(w->core)->writes_lost, 1);
	psd_world_free(w);
}

/* SIGTERM with Redis down: the bound is kept, every lost port counted, the first few named. */
static void test_shutdown_redis_down_counts_lost(void **state)
{
	struct psd_world *w = psd_world_new();
	char name[16];
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "PORT|Ethernet%d", i);
		psd_model_hset(&w->m, CONFIG, name, "admin_status", "up");
	}
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	psd_world_dump_done(w);
	psd_world_redis_down(w);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i);
		psd_world_new_link(w, name, 10 + i, UP);
	}
	struct psd_event ev = {.type = PSD_EV_SHUTDOWN};
	psd_world_push(w, &ev);
	for (int guard = 0; !w->exited; guard++) {
		assert_true(guard < 100);
		psd_world_refuse_connects(w);
		psd_world_tick(w);
	}
	assert_true(w->now <= 1000 + 2 * 1000000000ull + 1000); /* within the flush bound */
	assert_int_equal(w->exit_status, PSD_EXIT_WRITES_LOST);
	assert_true(psd_world_logged(w, "stopping with writes still pending: 6 port states not "
					"written to Redis (Ethernet0, Ethernet1, Ethernet2, Ethernet3, "
					"...); Redis is down"));
	psd_world_free(w);
}

/* Limits: a full port table refuses and counts; an oversized CONFIG_DB port is not copied. */
static void test_limits(void **state)
{
	struct psd_world *w = psd_world_new();
	char field[16];
	w->lim.ports_max = 3;
	config_port(w, "Ethernet0", "0");
	for (int i = 0; i < 70; i++) {
		snprintf(field, sizeof(field), "f%d", i);
		psd_model_hset(&w->m, CONFIG, "PORT|Ethernet4", field, "x");
	}
	psd_model_hset(&w->m, CONFIG, "PORT|Ethernet0", "speed@1", "100000");
	psd_model_hset(&w->m, CONFIG, "PORT|Bad/Name", "lanes", "1");
	psd_world_start(w);
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:PortConfigDone", "count"), "1");
	assert_false(psd_model_exists(&w->m, APPL, "_PORT_TABLE:Ethernet4"));
	assert_string_equal(psd_model_hget(&w->m, APPL, "_PORT_TABLE:Ethernet0", "speed"), "100000");
	assert_int_equal(psd_core_stats(w->core)->config_refused, 2);
	assert_true(psd_world_logged(w, "'PORT|Bad/Name' does not name a valid interface"));
	psd_model_consume(&w->m, APPL);
	psd_world_new_link(w, "Ethernet0", 10, UP);
	assert_true(psd_core_port_init_done(w->core)); /* not waiting for the refused port */
	psd_world_new_link(w, "Ethernet8", 11, UP);
	psd_world_new_link(w, "Ethernet12", 12, UP);
	psd_world_new_link(w, "Ethernet16", 13, UP);
	assert_true(psd_core_stats(w->core)->ports_refused >= 1);
	psd_world_free(w);
}

/* The send queue starts small and doubles while Redis holds the commands in flight: 150 ports
 * queued behind 4 commands, the ring wrapped (50 ports went through it before), each port sent
 * once in the order its link message came, every STATE_DB entry right at the end. */
static void test_send_queue_grows(void **state)
{
	enum { PORTS = 200, FIRST = 50 };
	struct psd_world *w = psd_world_new();
	char name[16], lanes[8];
	w->lim.ports_max = 300;
	w->lim.inflight_max = 4;
	for (int i = 0; i < PORTS; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i);
		snprintf(lanes, sizeof(lanes), "%d", i);
		config_port(w, name, lanes);
	}
	psd_world_start(w);
	psd_model_consume(&w->m, APPL);
	for (int i = 0; i < FIRST; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i);
		psd_world_new_link(w, name, 100 + i, UP);
	}
	size_t from = w->trace_count;
	w->hold = true;
	for (int i = FIRST; i < PORTS; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i);
		psd_world_new_link(w, name, 100 + i, UP);
	}
	psd_world_release(w);
	int last = FIRST - 1;
	bool seen[PORTS] = {0};
	for (size_t i = from; i < w->trace_count; i++) {
		unsigned n;
		if (sscanf(w->trace[i], "6 %*s PORT_TABLE|Ethernet%u", &n) != 1 || n >= PORTS || seen[n])
			continue;
		seen[n] = true;
		assert_int_equal((int)n, last + 1); /* first sent in the order queued */
		last = (int)n;
	}
	assert_int_equal(last, PORTS - 1);
	for (int i = 0; i < PORTS; i++) {
		snprintf(name, sizeof(name), "Ethernet%d", i);
		assert_string_equal(psd_world_state(w, name), "ok down up 9100");
	}
	psd_core_check(w->core);
	psd_world_free(w);
}

/* Datagrams not from the kernel and dump replies with a foreign sequence are ignored. */
static void test_foreign_datagrams(void **state)
{
	struct psd_world *w = running_with("Ethernet0", "0");
	uint8_t buf[256];
	struct psd_nl_link_spec s = {.type = RTM_NEWLINK, .name = "Ethernet0", .ifindex = 10,
				     .flags = UP, .mtu = 9100, .seq = 77};
	size_t len = psd_nl_build_link(buf, sizeof(buf), 0, &s);
	struct psd_event ev = {.type = PSD_EV_NL_DATAGRAM};
	ev.u.nl.bytes = buf;
	ev.u.nl.len = len;
	ev.u.nl.sender_pid = 4242;
	psd_world_push(w, &ev);
	psd_world_datagram(w, buf, len, true); /* dump socket, but not our dump's sequence */
	assert_string_equal(psd_world_state(w, "Ethernet0"), "absent");
	assert_int_equal(psd_core_stats(w->core)->nl_foreign_sender, 1);
	assert_int_equal(psd_core_stats(w->core)->nl_bad_seq, 1);
	psd_world_datagram(w, buf, len, false); /* event socket: any sequence (a requester's) */
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok down up 9100");
	psd_world_free(w);
}

/* A malformed message is counted and reported; the messages before it still count. */
static void test_malformed_datagram(void **state)
{
	struct psd_world *w = running_with("Ethernet0", "0");
	uint8_t buf[512];
	struct psd_nl_link_spec s = {.type = RTM_NEWLINK, .name = "Ethernet0", .ifindex = 10,
				     .flags = UP_RUNNING, .mtu = 9100};
	size_t len = psd_nl_build_link(buf, sizeof(buf), 0, &s);
	buf[len] = 0xff; /* three stray bytes after a good message */
	buf[len + 1] = 0xff;
	buf[len + 2] = 0xff;
	psd_world_datagram(w, buf, len + 3, false);
	assert_string_equal(psd_world_state(w, "Ethernet0"), "ok up up 9100");
	assert_int_equal(psd_core_stats(w->core)->nl_malformed[PSD_NLE_SHORT_DATAGRAM], 1);
	assert_true(psd_world_logged(w, "malformed message (short-datagram)"));
	psd_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cold_start_sequence),
		cmocka_unit_test(test_empty_config),
		cmocka_unit_test(test_newlink_mapping),
		cmocka_unit_test(test_old_interface),
		cmocka_unit_test(test_renamed_old_interface_counts_again),
		cmocka_unit_test(test_old_only_after_flushed_appl),
		cmocka_unit_test(test_first_dump_reconciles),
		cmocka_unit_test(test_prune_by_admin_status),
		cmocka_unit_test(test_preexisting_known_port_kept),
		cmocka_unit_test(test_preexisting_known_port_compat),
		cmocka_unit_test(test_dpu),
		cmocka_unit_test(test_warm_start),
		cmocka_unit_test(test_warm_start_appl_emptied),
		cmocka_unit_test(test_warm_without_restore_count_is_cold),
		cmocka_unit_test(test_corrupt_restore_count_is_cold),
		cmocka_unit_test(test_master_dellink_ignored),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_port_init_done_gating),
		cmocka_unit_test(test_newlink_before_consume_is_rechecked),
		cmocka_unit_test(test_newlink_before_consume_compat_drops),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_rename_away),
		cmocka_unit_test(test_rename_compat),
		cmocka_unit_test(test_coalescing_and_pipelining),
		cmocka_unit_test(test_delete_during_lookup),
		cmocka_unit_test(test_inflight_limit),
		cmocka_unit_test(test_logger_link),
		cmocka_unit_test(test_shutdown_flushes),
		cmocka_unit_test(test_shutdown_deadline),
		cmocka_unit_test(test_shutdown_redis_down_counts_lost),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_send_queue_grows),
		cmocka_unit_test(test_foreign_datagrams),
		cmocka_unit_test(test_malformed_datagram),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
