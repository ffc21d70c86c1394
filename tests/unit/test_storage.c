/*
 * Storage tests: the port table's name index and ifindex map under random inserts and removals
 * (checked against a plain array), capacity limits, and the core's text and number helpers.
 */
#include <errno.h>

#include "port_table.h"
#include "text.h"
#include "unit.h"

static uint64_t rng = 88172645463325252ull;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void test_port_table_random(void **state)
{
	enum { CAP = 512, ROUNDS = 200000 };
	struct psd_port_table t;
	void *mem = calloc(1, psd_port_table_size(CAP));
	bool present[CAP * 2] = {0};
	char name[16];

	psd_port_table_init(&t, mem, CAP);
	for (int r = 0; r < ROUNDS; r++) {
		uint32_t id = next_rand() % (CAP * 2);
		int n = snprintf(name, sizeof(name), "Ethernet%u", id);
		uint32_t idx = psd_port_find(&t, name, (size_t)n);
		assert_int_equal(idx != PSD_NO_PORT, present[id]);
		if (idx == PSD_NO_PORT) {
			idx = psd_port_add(&t, name, (size_t)n);
			if (psd_port_count(&t) > CAP || idx == PSD_NO_PORT) {
				assert_int_equal(idx, PSD_NO_PORT);
				assert_int_equal(psd_port_count(&t), CAP);
				continue;
			}
			present[id] = true;
			t.ports[idx].ifindex = (int32_t)id + 1;
			assert_int_equal(psd_imap_put(&t.by_ifindex, (int32_t)id + 1, idx), 0);
		} else {
			assert_int_equal(psd_imap_get(&t.by_ifindex, (int32_t)id + 1), idx);
			psd_imap_del(&t.by_ifindex, (int32_t)id + 1);
			psd_port_remove(&t, idx);
			present[id] = false;
		}
	}
	uint32_t count = 0;
	for (uint32_t id = 0; id < CAP * 2; id++) {
		int n = snprintf(name, sizeof(name), "Ethernet%u", id);
		uint32_t idx = psd_port_find(&t, name, (size_t)n);
		assert_int_equal(idx != PSD_NO_PORT, present[id]);
		assert_int_equal(psd_imap_get(&t.by_ifindex, (int32_t)id + 1) != PSD_NO_PORT,
				 present[id]);
		count += present[id];
	}
	assert_int_equal(count, psd_port_count(&t));
	free(mem);
}

/* 100K ports: every name and ifindex found, probe runs stay short, every slot freed again. */
static void test_port_table_100k(void **state)
{
	enum { CAP = 100000 };
	struct psd_port_table t;
	void *mem = calloc(1, psd_port_table_size(CAP));
	char name[16];

	psd_port_table_init(&t, mem, CAP);
	for (uint32_t i = 0; i < CAP; i++) {
		int n = snprintf(name, sizeof(name), "Ethernet%u", i);
		uint32_t idx = psd_port_add(&t, name, (size_t)n);
		assert_int_not_equal(idx, PSD_NO_PORT);
		assert_int_equal(psd_imap_put(&t.by_ifindex, (int32_t)i + 1, idx), 0);
	}
	assert_int_equal(psd_port_add(&t, "Ethernet-full", 13), PSD_NO_PORT);
	uint32_t longest = 0;
	for (uint32_t s = 0, run = 0; s <= 2 * (t.name_mask + 1); s++) {
		run = t.name_slots[s & t.name_mask] != 0 ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	assert_true(longest < 64); /* load factor <= 1/2 keeps linear probes short */
	for (uint32_t i = 0; i < CAP; i++) {
		int n = snprintf(name, sizeof(name), "Ethernet%u", i);
		uint32_t idx = psd_port_find(&t, name, (size_t)n);
		assert_int_equal(psd_imap_get(&t.by_ifindex, (int32_t)i + 1), idx);
		psd_imap_del(&t.by_ifindex, (int32_t)i + 1);
		psd_port_remove(&t, idx);
	}
	assert_int_equal(psd_port_count(&t), 0);
	assert_int_equal(t.by_ifindex.count, 0);
	free(mem);
}

static bool all_zero(const void *mem, size_t n)
{
	const uint8_t *b = mem;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* The name index starts at PSD_INDEX_SLOTS_MIN slots and doubles before it is more than half
 * full, up to twice the capacity: every port is found after each doubling, the region it left is
 * zero again (so a later doubling into it finds it empty), and the full table refuses. */
static void test_port_table_grows(void **state)
{
	enum { CAP = 3000 }; /* not a power of two: the last size holds more than CAP / 2 */
	struct psd_port_table t;
	void *mem = calloc(1, psd_port_table_size(CAP));
	char name[16];
	uint32_t sizes = 0;

	psd_port_table_init(&t, mem, CAP);
	assert_int_equal(t.name_mask + 1, PSD_INDEX_SLOTS_MIN);
	for (uint32_t i = 0; i < CAP; i++) {
		uint32_t before = t.name_mask + 1;
		uint32_t *old = t.name_slots;
		int n = snprintf(name, sizeof(name), "Ethernet%u", i);
		assert_int_not_equal(psd_port_add(&t, name, (size_t)n), PSD_NO_PORT);
		assert_true(2 * psd_port_count(&t) <= t.name_mask + 1);
		if (t.name_mask + 1 == before)
			continue;
		sizes++;
		assert_int_equal(t.name_mask + 1, 2 * before);
		assert_ptr_not_equal(t.name_slots, old);
		assert_true(all_zero(old, before * sizeof(*old)));
		for (uint32_t k = 0; k <= i; k++) { /* every entry kept */
			n = snprintf(name, sizeof(name), "Ethernet%u", k);
			assert_int_equal(psd_port_find(&t, name, (size_t)n), k);
		}
	}
	assert_int_equal(t.name_mask + 1, 8192); /* twice 3000, rounded up to a power of two */
	assert_int_equal(sizes, 7);              /* 64 -> 8192 */
	assert_int_equal(psd_port_add(&t, "Ethernet-full", 13), PSD_NO_PORT);
	assert_int_equal(psd_port_count(&t), CAP);
	free(mem);
}

/* The ifindex map grows the same way: entries kept, the limit refused, a refusal grows nothing. */
static void test_imap_grows(void **state)
{
	enum { CAP = 1000 };
	struct psd_imap m;
	void *mem = calloc(1, psd_imap_size(CAP));

	psd_imap_init(&m, mem, CAP);
	assert_int_equal(m.mask + 1, PSD_INDEX_SLOTS_MIN);
	for (uint32_t i = 1; i <= CAP; i++) {
		uint32_t before = m.mask + 1;
		uint64_t *old = m.slots;
		assert_int_equal(psd_imap_put(&m, (int32_t)(i * 7919), i), 0);
		assert_true(2 * m.count <= m.mask + 1);
		if (m.mask + 1 == before)
			continue;
		assert_true(all_zero(old, before * sizeof(*old)));
		for (uint32_t k = 1; k <= i; k++)
			assert_int_equal(psd_imap_get(&m, (int32_t)(k * 7919)), k);
	}
	assert_int_equal(m.mask + 1, 2048);
	uint64_t *at = m.slots;
	assert_int_equal(psd_imap_put(&m, -5, 1), -ENOSPC);
	assert_ptr_equal(m.slots, at);
	assert_int_equal(m.count, CAP);
	psd_imap_del(&m, 7919);
	assert_int_equal(psd_imap_put(&m, -5, 1), 0);
	assert_int_equal(psd_imap_get(&m, -5), 1);
	assert_int_equal(psd_imap_get(&m, 7919), PSD_NO_PORT);
	free(mem);
}

static void test_imap_capacity(void **state)
{
	struct psd_imap m;
	void *mem = calloc(1, psd_imap_size(4));
	psd_imap_init(&m, mem, 4);
	for (int i = 1; i <= 4; i++)
		assert_int_equal(psd_imap_put(&m, i * 1000, (uint32_t)i), 0);
	assert_int_equal(psd_imap_put(&m, 5000, 5), -ENOSPC);
	assert_int_equal(psd_imap_put(&m, 2000, 9), 0); /* replacing is not growing */
	assert_int_equal(psd_imap_get(&m, 2000), 9);
	psd_imap_del(&m, 1000);
	assert_int_equal(psd_imap_put(&m, 5000, 5), 0);
	assert_int_equal(psd_imap_get(&m, 1000), PSD_NO_PORT);
	free(mem);
}

static void test_text(void **state)
{
	char buf[16];
	struct psd_text t;
	uint64_t v;
	psd_text_init(&t, buf, sizeof(buf));
	psd_text_str(&t, "mtu ");
	psd_text_u64(&t, 9100);
	psd_text_i64(&t, -5);
	assert_string_equal(buf, "mtu 9100-5");
	psd_text_escaped(&t, "a\\\x01z", 4);
	assert_true(t.truncated);
	assert_int_equal(t.len, 15);
	assert_string_equal(buf, "mtu 9100-5a\\x5c");
	psd_text_init(&t, buf, sizeof(buf));
	psd_text_mac(&t, (const uint8_t *)"\x1c\x34\xda", 3);
	assert_string_equal(buf, "1c:34:da");
	assert_int_equal(psd_dec_to_u64("18446744073709551615", 20, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(psd_dec_to_u64("18446744073709551616", 20, &v), -EINVAL);
	assert_int_equal(psd_dec_to_u64("", 0, &v), -EINVAL);
	assert_int_equal(psd_dec_to_u64("12a", 3, &v), -EINVAL);
	assert_int_equal(psd_dec_to_u64("-1", 2, &v), -EINVAL);
}

static void test_core_limits_and_names(void **state)
{
	struct psd_limits bad = {.ports_max = 0, .inflight_max = 1};
	struct psd_limits huge = {.ports_max = PSD_PORTS_LIMIT + 1, .inflight_max = 1};
	enum psd_log_level l;
	enum psd_log_output o;
	assert_int_equal(psd_core_size(&bad), 0);
	assert_int_equal(psd_core_size(&huge), 0);
	assert_int_equal(psd_log_level_parse("DEBUG", 5, &l), 0);
	assert_int_equal(l, PSD_LOG_DEBUG);
	assert_int_equal(psd_log_level_parse("debug", 5, &l), -EINVAL);
	assert_int_equal(psd_log_output_parse("STDERR", 6, &o), 0);
	assert_int_equal(o, PSD_LOG_STDERR);
	assert_string_equal(psd_log_level_name(PSD_LOG_WARN), "WARN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_table_random),
		cmocka_unit_test(test_port_table_100k),
		cmocka_unit_test(test_port_table_grows),
		cmocka_unit_test(test_imap_grows),
		cmocka_unit_test(test_imap_capacity),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_core_limits_and_names),
	};
	return cmocka_run_group_tests_name("storage", tests, NULL, NULL);
}
