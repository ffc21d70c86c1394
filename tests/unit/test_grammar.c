/*
 * Grammar layer tests: interface-name classes, link kinds, and the port machine's full
 * transition table (every state x every symbol), all through the Ragel-generated code.
 */
#include <errno.h>

#include "names.h"
#include "port_fsm.h"
#include "unit.h"

static void test_name_classes(void **state)
{
	static const struct {
		const char *name;
		enum psd_name_class cls;
	} cases[] = {
		{"Ethernet0", PSD_NAME_PORT},       {"Ethernet-BP0", PSD_NAME_PORT},
		{"Ethernet-IB0", PSD_NAME_PORT},    {"Ethernet", PSD_NAME_PORT},
		{"Ethernet0.10", PSD_NAME_SUBIF},   {"Ethernet72.", PSD_NAME_SUBIF},
		{"PortChannel1", PSD_NAME_PORTCHANNEL}, {"PortChannel", PSD_NAME_PORTCHANNEL},
		{"eth0", PSD_NAME_OTHER},           {"lo", PSD_NAME_OTHER},
		{"Vlan1000", PSD_NAME_OTHER},       {"Bridge", PSD_NAME_OTHER},
		{"Eth0.10", PSD_NAME_OTHER},        {"ethernet0", PSD_NAME_OTHER},
		{"Etherne", PSD_NAME_OTHER},        {"PortChanne", PSD_NAME_OTHER},
		{"...", PSD_NAME_OTHER},            {"", PSD_NAME_INVALID},
		{".", PSD_NAME_INVALID},            {"..", PSD_NAME_INVALID},
		{"Ethernet/0", PSD_NAME_INVALID},   {"Ethernet:0", PSD_NAME_INVALID},
		{"Ethernet 0", PSD_NAME_INVALID},   {"Ethernet\t0", PSD_NAME_INVALID},
		{"Ethernet\x7f", PSD_NAME_INVALID}, {"Ethernet\xc3\xa9", PSD_NAME_INVALID},
		{"Ethernet0123456", PSD_NAME_PORT}, {"Ethernet01234567", PSD_NAME_INVALID},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum psd_name_class got = psd_name_classify(cases[i].name, strlen(cases[i].name));
		if (got != cases[i].cls)
			fail_msg("'%s': class %d, expected %d", cases[i].name, got, cases[i].cls);
	}
	assert_int_equal(psd_name_classify("Ethernet0\0x", 11), PSD_NAME_INVALID);
}

static void test_kinds_and_parents(void **state)
{
	assert_int_equal(psd_kind_classify("team", 4), PSD_KIND_TEAM);
	assert_int_equal(psd_kind_classify("teamd", 5), PSD_KIND_OTHER);
	assert_int_equal(psd_kind_classify("tea", 3), PSD_KIND_OTHER);
	assert_int_equal(psd_kind_classify("veth", 4), PSD_KIND_OTHER);
	assert_int_equal(psd_kind_classify("", 0), PSD_KIND_INVALID);
	assert_int_equal(psd_kind_classify("te am", 5), PSD_KIND_INVALID);
	assert_int_equal(psd_name_parent_len("Ethernet0.10", 12), 9);
	assert_int_equal(psd_name_parent_len("Ethernet0", 9), 9);
}

enum { S_IDLE, S_LOOKUP, S_WRITING, S_DELETING, S_PARKED, S_COUNT };

/* Drives the machine from its start into each named state. */
static int reach(int s)
{
	unsigned w;
	int cs = psd_port_fsm_start();
	switch (s) {
	case S_IDLE:
		return cs;
	case S_LOOKUP:
		return psd_port_fsm_step(cs, PSD_PS_NEW, &w);
	case S_WRITING:
		return psd_port_fsm_step(reach(S_LOOKUP), PSD_PS_FOUND, &w);
	case S_DELETING:
		return psd_port_fsm_step(cs, PSD_PS_DEL, &w);
	case S_PARKED:
		return psd_port_fsm_step(reach(S_LOOKUP), PSD_PS_MISSING, &w);
	}
	return -1;
}

static void test_port_machine_table(void **state)
{
	static const enum psd_port_sym syms[] = {
		PSD_PS_NEW, PSD_PS_DEL, PSD_PS_FOUND, PSD_PS_MISSING, PSD_PS_DROP,
		PSD_PS_GONE, PSD_PS_ACK_CLEAN, PSD_PS_ACK_PRESENT, PSD_PS_ACK_ABSENT, PSD_PS_RECHECK,
		PSD_PS_FAILED, PSD_PS_NEW_KNOWN, PSD_PS_NEW_MISSING, PSD_PS_ACK_KNOWN,
		PSD_PS_ACK_MISSING,
	};
	enum { NONE = -1 };
	/* expected target state (NONE: no transition) and work, per state and symbol */
	static const struct {
		int to;
		unsigned work;
	} table[S_COUNT][15] = {
		[S_IDLE] = {{S_LOOKUP, PSD_PW_LOOKUP}, {S_DELETING, PSD_PW_DELETE}, {NONE, 0},
			    {NONE, 0}, {NONE, 0}, {NONE, 0}, {NONE, 0}, {NONE, 0}, {NONE, 0},
			    {NONE, 0}, {NONE, 0}, {S_WRITING, PSD_PW_WRITE}, {S_PARKED, PSD_PW_PARK},
			    {NONE, 0}, {NONE, 0}},
		[S_LOOKUP] = {{S_LOOKUP, PSD_PW_DIRTY}, {S_LOOKUP, PSD_PW_DIRTY},
			      {S_WRITING, PSD_PW_WRITE}, {S_PARKED, PSD_PW_PARK},
			      {S_IDLE, PSD_PW_FORGET | PSD_PW_SETTLE}, {S_DELETING, PSD_PW_DELETE},
			      {NONE, 0}, {NONE, 0}, {NONE, 0}, {NONE, 0}, {NONE, 0},
			      {S_LOOKUP, PSD_PW_DIRTY}, {S_LOOKUP, PSD_PW_DIRTY}, {NONE, 0}, {NONE, 0}},
		[S_WRITING] = {{S_WRITING, PSD_PW_DIRTY}, {S_WRITING, PSD_PW_DIRTY}, {NONE, 0},
			       {NONE, 0}, {NONE, 0}, {NONE, 0}, {S_IDLE, PSD_PW_SETTLE},
			       {S_LOOKUP, PSD_PW_LOOKUP}, {S_DELETING, PSD_PW_DELETE}, {NONE, 0},
			       {S_PARKED, PSD_PW_PARK}, {S_WRITING, PSD_PW_DIRTY},
			       {S_WRITING, PSD_PW_DIRTY}, {S_WRITING, PSD_PW_WRITE},
			       {S_PARKED, PSD_PW_PARK}},
		[S_DELETING] = {{S_DELETING, PSD_PW_DIRTY}, {S_DELETING, PSD_PW_DIRTY}, {NONE, 0},
				{NONE, 0}, {NONE, 0}, {NONE, 0}, {S_IDLE, PSD_PW_SETTLE},
				{S_LOOKUP, PSD_PW_LOOKUP}, {S_DELETING, PSD_PW_DELETE}, {NONE, 0},
				{S_PARKED, PSD_PW_PARK}, {S_DELETING, PSD_PW_DIRTY},
				{S_DELETING, PSD_PW_DIRTY}, {S_WRITING, PSD_PW_WRITE},
				{S_PARKED, PSD_PW_PARK}},
		[S_PARKED] = {{S_LOOKUP, PSD_PW_UNPARK | PSD_PW_LOOKUP},
			      {S_DELETING, PSD_PW_UNPARK | PSD_PW_DELETE}, {NONE, 0}, {NONE, 0},
			      {NONE, 0}, {NONE, 0}, {NONE, 0}, {NONE, 0}, {NONE, 0},
			      {S_LOOKUP, PSD_PW_UNPARK | PSD_PW_LOOKUP}, {NONE, 0},
			      {S_WRITING, PSD_PW_UNPARK | PSD_PW_WRITE}, {S_PARKED, 0}, {NONE, 0},
			      {NONE, 0}},
	};
	int state_cs[S_COUNT];
	for (int s = 0; s < S_COUNT; s++) {
		state_cs[s] = reach(s);
		assert_true(state_cs[s] >= 0);
		for (int t = 0; t < s; t++) /* writing and deleting minimise into one state */
			if (!(s == S_DELETING && t == S_WRITING))
				assert_int_not_equal(state_cs[s], state_cs[t]);
	}
	for (int s = 0; s < S_COUNT; s++) {
		for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
			unsigned work = 0xdead;
			int got = psd_port_fsm_step(state_cs[s], syms[i], &work);
			if (table[s][i].to == NONE) {
				if (got != -EINVAL)
					fail_msg("state %d symbol %c: transition where none is allowed", s,
						 syms[i]);
				continue;
			}
			if (got != state_cs[table[s][i].to] || work != table[s][i].work)
				fail_msg("state %d symbol %c: got state %d work %#x", s, syms[i], got,
					 work);
		}
	}
	unsigned w;
	assert_int_equal(psd_port_fsm_step(state_cs[S_IDLE], (enum psd_port_sym)'?', &w), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_classes),
		cmocka_unit_test(test_kinds_and_parents),
		cmocka_unit_test(test_port_machine_table),
	};
	return cmocka_run_group_tests_name("grammar", tests, NULL, NULL);
}
