/*
 * Port table storage. Both indexes use linear probing with backward-shift deletion, so there
 * are no tombstones and a probe never runs past the first empty slot. Each index has at least
 * twice as many slots as it holds entries, which bounds probe lengths: it doubles (into its other
 * region, port_table.h) before an insert would make it more than half full.
 */
#include <errno.h>
#include <string.h>

#include "port_table.h"
#include "psd_assert.h"

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

static uint32_t hash_name(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static uint32_t hash_ifindex(int32_t ifindex)
{
	return (uint32_t)ifindex * 2654435761u;
}

/* Slots reserved for an index of slots_max at most: its two regions. */
static size_t index_slots(uint32_t slots_max)
{
	return (size_t)slots_max + slots_max / 2;
}

/* The region that holds an index of slots entries (both powers of two): the largest size in
 * region 0, half of it in region 1, a quarter in region 0 again, and so on. */
static unsigned region_of(uint32_t slots, uint32_t slots_max)
{
	return (unsigned)(__builtin_ctz(slots_max) - __builtin_ctz(slots)) & 1u;
}

static uint32_t first_size(uint32_t slots_max)
{
	return slots_max < PSD_INDEX_SLOTS_MIN ? slots_max : PSD_INDEX_SLOTS_MIN;
}

/* Whether an index of mask + 1 slots holding count entries doubles before one more goes in. */
static bool must_grow(uint32_t count, uint32_t mask, uint32_t slots_max)
{
	return (uint64_t)(count + 1) * 2 > (uint64_t)mask + 1 && mask + 1 < slots_max;
}

size_t psd_imap_size(uint32_t capacity)
{
	return index_slots(pow2_at_least(2 * capacity)) * sizeof(uint64_t);
}

void psd_imap_init(struct psd_imap *m, void *mem, uint32_t capacity)
{
	uint32_t slots_max = pow2_at_least(2 * capacity), size = first_size(slots_max);
	/* zero-filled by the caller: untouched slots cost no resident memory */
	m->region[0] = mem;
	m->region[1] = (uint64_t *)mem + slots_max;
	m->slots = m->region[region_of(size, slots_max)];
	m->mask = size - 1;
	m->count = 0;
	m->capacity = capacity;
	m->slots_max = slots_max;
}

static uint32_t slot_key(uint64_t s)
{
	return (uint32_t)(s >> 32);
}

uint32_t psd_imap_get(const struct psd_imap *m, int32_t ifindex)
{
	PSD_ASSERT(ifindex != 0);
	for (uint32_t i = hash_ifindex(ifindex) & m->mask;; i = (i + 1) & m->mask) {
		uint64_t s = m->slots[i];
		if (s == 0)
			return PSD_NO_PORT;
		if (slot_key(s) == (uint32_t)ifindex)
			return (uint32_t)s - 1;
	}
}

/* Doubles the map into its other region; the one it leaves is zeroed again. */
static void imap_grow(struct psd_imap *m)
{
	uint32_t old_size = m->mask + 1, size = 2 * old_size, mask = size - 1;
	uint64_t *old = m->slots, *dst = m->region[region_of(size, m->slots_max)];

	for (uint32_t k = 0; k < old_size; k++) {
		if (old[k] == 0)
			continue;
		uint32_t i = hash_ifindex((int32_t)slot_key(old[k])) & mask;
		while (dst[i] != 0)
			i = (i + 1) & mask;
		dst[i] = old[k];
	}
	memset(old, 0, (size_t)old_size * sizeof(*old));
	m->slots = dst;
	m->mask = mask;
}

int psd_imap_put(struct psd_imap *m, int32_t ifindex, uint32_t value)
{
	uint64_t packed = ((uint64_t)(uint32_t)ifindex << 32) | ((uint64_t)value + 1);

	PSD_ASSERT(ifindex != 0);
	PSD_ASSERT(value != PSD_NO_PORT);
	if (m->count < m->capacity && must_grow(m->count, m->mask, m->slots_max))
		imap_grow(m);
	for (uint32_t i = hash_ifindex(ifindex) & m->mask;; i = (i + 1) & m->mask) {
		uint64_t s = m->slots[i];
		if (s != 0 && slot_key(s) == (uint32_t)ifindex) {
			m->slots[i] = packed;
			return 0;
		}
		if (s == 0) {
			if (m->count >= m->capacity)
				return -ENOSPC;
			m->slots[i] = packed;
			m->count++;
			return 0;
		}
	}
}

/* Backward-shift deletion: pull later entries of the probe run into the hole. */
static void shift_back_u64(uint64_t *slots, uint32_t mask, uint32_t hole,
			   uint32_t (*home)(uint64_t))
{
	for (uint32_t i = (hole + 1) & mask; slots[i] != 0; i = (i + 1) & mask) {
		uint32_t h = home(slots[i]) & mask;
		/* move slots[i] into the hole if its home is not in (hole, i] */
		if (((i - h) & mask) >= ((i - hole) & mask)) {
			slots[hole] = slots[i];
			slots[i] = 0;
			hole = i;
		}
	}
}

static uint32_t home_ifindex(uint64_t s)
{
	return hash_ifindex((int32_t)slot_key(s));
}

void psd_imap_del(struct psd_imap *m, int32_t ifindex)
{
	PSD_ASSERT(ifindex != 0);
	for (uint32_t i = hash_ifindex(ifindex) & m->mask;; i = (i + 1) & m->mask) {
		uint64_t s = m->slots[i];
		if (s == 0)
			return;
		if (slot_key(s) == (uint32_t)ifindex) {
			m->slots[i] = 0;
			m->count--;
			shift_back_u64(m->slots, m->mask, i, home_ifindex);
			return;
		}
	}
}

size_t psd_port_table_size(uint32_t capacity)
{
	return (size_t)capacity * sizeof(struct psd_port) +
	       index_slots(pow2_at_least(2 * capacity)) * sizeof(uint32_t) +
	       (size_t)capacity * sizeof(uint32_t) + psd_imap_size(capacity);
}

void psd_port_table_init(struct psd_port_table *t, void *mem, uint32_t capacity)
{
	uint8_t *p = mem;
	uint32_t slots_max = pow2_at_least(2 * capacity), size = first_size(slots_max);

	/* the imap's uint64_t slots go first so they stay 8-byte aligned */
	psd_imap_init(&t->by_ifindex, p, capacity);
	p += psd_imap_size(capacity);
	t->ports = (struct psd_port *)p;
	p += (size_t)capacity * sizeof(struct psd_port);
	t->name_region[0] = (uint32_t *)p; /* zero-filled by the caller */
	t->name_region[1] = (uint32_t *)p + slots_max;
	p += index_slots(slots_max) * sizeof(uint32_t);
	t->free_stack = (uint32_t *)p;
	t->name_slots = t->name_region[region_of(size, slots_max)];
	t->name_mask = size - 1;
	t->name_slots_max = slots_max;
	t->free_count = 0;
	t->capacity = capacity;
	t->high_water = 0;
}

/* Doubles the name index into its other region; the one it leaves is zeroed again. */
static void names_grow(struct psd_port_table *t)
{
	uint32_t old_size = t->name_mask + 1, size = 2 * old_size, mask = size - 1;
	uint32_t *old = t->name_slots, *dst = t->name_region[region_of(size, t->name_slots_max)];

	for (uint32_t k = 0; k < old_size; k++) {
		if (old[k] == 0)
			continue;
		const struct psd_port *p = &t->ports[old[k] - 1];
		uint32_t i = hash_name(p->name, p->name_len) & mask;
		while (dst[i] != 0)
			i = (i + 1) & mask;
		dst[i] = old[k];
	}
	memset(old, 0, (size_t)old_size * sizeof(*old));
	t->name_slots = dst;
	t->name_mask = mask;
}

uint32_t psd_port_find(const struct psd_port_table *t, const char *name, size_t len)
{
	for (uint32_t i = hash_name(name, len) & t->name_mask;; i = (i + 1) & t->name_mask) {
		uint32_t s = t->name_slots[i];
		if (s == 0)
			return PSD_NO_PORT;
		const struct psd_port *p = &t->ports[s - 1];
		if (p->name_len == len && memcmp(p->name, name, len) == 0)
			return s - 1;
	}
}

uint32_t psd_port_add(struct psd_port_table *t, const char *name, size_t len)
{
	uint32_t idx;

	PSD_ASSERT(len > 0 && len <= PSD_IFNAME_LEN_MAX);
	PSD_ASSERT(psd_port_find(t, name, len) == PSD_NO_PORT);
	if (t->free_count > 0)
		idx = t->free_stack[--t->free_count];
	else if (t->high_water < t->capacity)
		idx = t->high_water++;
	else
		return PSD_NO_PORT;
	if (must_grow(psd_port_count(t) - 1, t->name_mask, t->name_slots_max))
		names_grow(t);

	struct psd_port *p = &t->ports[idx];
	memset(p, 0, sizeof(*p));
	memcpy(p->name, name, len);
	p->name_len = (uint8_t)len;
	p->used = true;
	p->park_prev = PSD_NO_PORT;
	p->park_next = PSD_NO_PORT;
	for (uint32_t i = hash_name(name, len) & t->name_mask;; i = (i + 1) & t->name_mask) {
		if (t->name_slots[i] == 0) {
			t->name_slots[i] = idx + 1;
			return idx;
		}
	}
}

void psd_port_remove(struct psd_port_table *t, uint32_t idx)
{
	struct psd_port *p = &t->ports[idx];
	uint32_t mask = t->name_mask;
	uint32_t hole;

	PSD_ASSERT(p->used);
	PSD_ASSERT(!p->queued && !p->sent && !p->parked);
	for (hole = hash_name(p->name, p->name_len) & mask; t->name_slots[hole] != idx + 1;
	     hole = (hole + 1) & mask)
		PSD_ASSERT(t->name_slots[hole] != 0);
	t->name_slots[hole] = 0;
	for (uint32_t i = (hole + 1) & mask; t->name_slots[i] != 0; i = (i + 1) & mask) {
		const struct psd_port *q = &t->ports[t->name_slots[i] - 1];
		uint32_t h = hash_name(q->name, q->name_len) & mask;
		if (((i - h) & mask) >= ((i - hole) & mask)) {
			t->name_slots[hole] = t->name_slots[i];
			t->name_slots[i] = 0;
			hole = i;
		}
	}
	p->used = false;
	t->free_stack[t->free_count++] = idx;
}

uint32_t psd_port_count(const struct psd_port_table *t)
{
	return t->high_water - t->free_count;
}

void psd_port_leave_portset(struct psd_port_table *t, struct psd_port *p)
{
	if (p->in_portset) {
		p->in_portset = false;
		t->portset_count--;
	}
}

void psd_port_count_in(struct psd_port_table *t, struct psd_port *p)
{
	if (!p->counted) {
		p->counted = true;
		t->config_counted++;
	}
}

void psd_port_uncount_all(struct psd_port_table *t)
{
	for (uint32_t i = 0; i < t->high_water; i++)
		t->ports[i].counted = false;
	t->config_counted = 0;
}
