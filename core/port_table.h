/*
 * The port table: a dense array of port entries with two open-addressing indexes, by name and
 * by ifindex. Their storage is reserved once from psd_limits (ports_max) in the zero-filled block
 * the adapter hands the core, and is used as it grows: the dense array from its start, each index
 * from PSD_INDEX_SLOTS_MIN slots, doubled when it would be more than half full, up to the slots
 * ports_max needs. So the memory a daemon touches follows its port count, not ports_max. Lookups,
 * inserts and removals are O(1) expected (a doubling moves every entry once: O(1) amortised). A
 * full table refuses the insert; the caller counts and reports it.
 *
 * An index grows into the other of two regions (the one it leaves is zeroed again), so a doubling
 * needs no scratch space: the region of the largest size holds the reserved slots, the other half
 * of them; sizes alternate between the two.
 */
#ifndef PSD_PORT_TABLE_H
#define PSD_PORT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/limits.h"

#define PSD_NO_PORT UINT32_MAX
#define PSD_INDEX_SLOTS_MIN 64u /* an index's first size; doubled as it fills */

enum psd_port_op {
	PSD_OP_NONE,
	PSD_OP_LOOKUP,
	PSD_OP_WRITE,
	PSD_OP_DELETE,
};

struct psd_port {
	char name[PSD_IFNAME_LEN_MAX + 1];
	uint8_t name_len;
	uint8_t name_class;   /* enum psd_name_class */
	uint8_t op;           /* enum psd_port_op: the command queued or in flight */
	int16_t fsm_state;    /* port_fsm.rl state */
	bool used : 1;
	bool configured : 1;  /* a CONFIG_DB PORT|<name> key at start-up */
	bool in_portset : 1;  /* PortInitDone still waits for this port */
	bool present : 1;     /* desired: the netdev exists */
	bool dirty : 1;       /* a newer state waits behind the command in flight */
	bool queued : 1;      /* on the send queue */
	bool sent : 1;        /* its command is in flight */
	bool parked : 1;      /* on the APPL_DB re-check list */
	bool pruned : 1;      /* APPL_DB had admin_status at a cold start */
	bool old_netdev : 1;  /* start-up found a leftover netdev of this name (FB-03) */
	bool reconciling : 1; /* its delete is the first dump's: only our four fields go */
	bool counted : 1;     /* included in PortConfigDone's count */
	bool missing_logged : 1; /* "Cannot find" was logged; later re-checks are summarised */
	bool admin_up : 1;
	bool oper_up : 1;
	/* warm restart (core/warm.c): what STATE_DB held for this name when the daemon started */
	bool restored : 1;       /* STATE_DB PORT_TABLE had an entry with our fields */
	bool stored_known : 1;   /* ... exactly as we write them: stored_*, until reconciled */
	bool stored_admin_up : 1;
	bool stored_oper_up : 1;
	bool sent_once : 1;      /* links.c: a STATE_DB write or delete of it landed since the start
	                          * (acknowledged, or lost in flight with its connection), so
	                          * STATE_DB holds what we wrote, not what was restored; one Redis
	                          * refused changed nothing */
	/* metrics and link analytics (core/observe.c) */
	bool change_pending : 1; /* the desired state changed at change_ns, not yet sent */
	bool sent_change : 1;    /* the command in flight carries a change made at sent_change_ns */
	bool link_known : 1;     /* oper state seen since the netdev appeared */
	bool stats_dirty : 1;    /* PORT_LINK_STATS differs from what was last written */
	bool stats_queued : 1;   /* on the link stats queue */
	bool stats_sent : 1;     /* its PORT_LINK_STATS write is in flight */
	bool carrier_known : 1;  /* carrier_changes is the kernel's count (IFLA_CARRIER_CHANGES) */
	bool carrier_updown : 1; /* ... and carrier_up and carrier_down too */
	bool has_series : 1;     /* it has per-port metric series (cfg.port_series_max) */
	bool alertq_queued : 1;  /* on the alert queue: changed since the alerts last looked */
	/* what APPL_DB holds of it, from the keyspace subscription (links_appl.c) */
	uint8_t appl : 2;        /* enum psd_appl: unknown, there, absent */
	bool appl_listed : 1;    /* named by the full read being taken */
	bool park_refused : 1;   /* parked because Redis refused its STATE_DB command (links.c) */
	uint32_t oper_changes;   /* here, next to the flags: the metrics' walk reads one line */
	int32_t ifindex;      /* the netdev's ifindex, 0 when none is known */
	uint32_t mtu;
	uint32_t stored_mtu;
	uint32_t park_prev;
	uint32_t park_next;
	uint32_t appl_gen;    /* the notification count when APPL_DB last said it changed */
	uint32_t lookup_gen;  /* ... when its look-up went out */
	uint32_t seen_gen;    /* the netlink dump generation that last reported this netdev */
	uint64_t change_ns;
	uint64_t sent_change_ns;
	uint64_t sent_ns;     /* its STATE_DB command was handed out */
	/* link analytics (port_stats.c): bounded, fixed size */
	uint32_t carrier_changes; /* the kernel's counts as last seen (or, without them, the */
	uint32_t carrier_up;      /* changes seen in messages since the netdev was first seen) */
	uint32_t carrier_down;
	int32_t carrier_ifindex;  /* the netdev the kernel's counts are of */
	uint32_t flap_second;     /* the second of the newest bucket of flaps */
	uint32_t alertq_prev;     /* alert queue */
	uint32_t alertq_next;
	uint64_t flap_since_ns;   /* flapping (PSD_FLAP_ABOVE) since, as of its last change; 0: not */
	uint32_t stats_prev;  /* link stats queue */
	uint32_t stats_next;
	uint64_t last_up_ns;  /* monotonic; 0: never */
	uint64_t last_down_ns;
	uint64_t since_ns;    /* in the current oper state since */
	/* transition lines (port_stats.c): at most PSD_LINK_LINES_PER_MIN in the minute from
	 * lines_from_ns, the others counted in lines_suppressed and summarised */
	uint64_t lines_from_ns;
	uint32_t lines_suppressed;
	uint16_t lines;
	uint16_t flaps[PSD_FLAP_RING]; /* oper changes per second, up to flap_second */
};

/* Whether APPL_DB holds a port, as far as the daemon knows (struct psd_port's appl). */
enum psd_appl {
	PSD_APPL_UNKNOWN, /* a look-up says */
	PSD_APPL_THERE,
	PSD_APPL_ABSENT,
};

/* An open-addressing map from ifindex (non-zero) to a 32-bit value. */
struct psd_imap {
	uint64_t *slots; /* (uint32 ifindex << 32) | (value + 1); 0 is empty; mask + 1 of them */
	uint64_t *region[2]; /* slots_max and slots_max / 2 slots: slots is one, the other is zero */
	uint32_t mask;
	uint32_t count;
	uint32_t capacity; /* entries allowed */
	uint32_t slots_max; /* twice capacity, a power of two: the largest size */
};

struct psd_port_table {
	struct psd_port *ports;
	uint32_t *name_slots; /* port index + 1; 0 is empty; name_mask + 1 of them */
	uint32_t *name_region[2]; /* as struct psd_imap's regions */
	uint32_t name_mask;
	uint32_t name_slots_max;
	uint32_t *free_stack;
	uint32_t free_count;
	uint32_t capacity;
	uint32_t high_water; /* ports[0..high_water) have been used at least once */
	uint32_t portset_count; /* ports with in_portset: PortInitDone waits for them */
	uint32_t config_counted; /* ports with counted: PortConfigDone's count */
	struct psd_imap by_ifindex;
};

/* A netdev start-up found left over from an earlier run (FB-03): brought down, then ignored. */
struct psd_old_iface {
	int32_t ifindex;
	char name[PSD_IFNAME_LEN_MAX + 1];
};

/* The old interfaces, and an index of them by ifindex; sized like the port table. */
struct psd_old_set {
	struct psd_old_iface *ifaces;
	uint32_t count;
	struct psd_imap by_ifindex; /* ifindex -> index in ifaces */
};

/* Both tables take zero-filled memory (calloc), so pages never used stay unmapped; an index
 * touches memory for twice its entries and half as much again (the region it grew from). */
size_t psd_imap_size(uint32_t capacity);
void psd_imap_init(struct psd_imap *m, void *mem, uint32_t capacity);
uint32_t psd_imap_get(const struct psd_imap *m, int32_t ifindex); /* PSD_NO_PORT: absent */
int psd_imap_put(struct psd_imap *m, int32_t ifindex, uint32_t value); /* -ENOSPC when full */
void psd_imap_del(struct psd_imap *m, int32_t ifindex);

size_t psd_port_table_size(uint32_t capacity);
void psd_port_table_init(struct psd_port_table *t, void *mem, uint32_t capacity);
uint32_t psd_port_find(const struct psd_port_table *t, const char *name, size_t len);
/* A new zeroed entry named name, or PSD_NO_PORT when the table is full. Name must be absent. */
uint32_t psd_port_add(struct psd_port_table *t, const char *name, size_t len);
void psd_port_remove(struct psd_port_table *t, uint32_t idx);
uint32_t psd_port_count(const struct psd_port_table *t);
/* p is in PortConfigDone's count (once). */
void psd_port_count_in(struct psd_port_table *t, struct psd_port *p);
/* No port is counted: a copy of CONFIG_DB counts them again. */
void psd_port_uncount_all(struct psd_port_table *t);
/* PortInitDone stops waiting for p. */
void psd_port_leave_portset(struct psd_port_table *t, struct psd_port *p);

#endif
