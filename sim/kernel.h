/*
 * The simulator's kernel: one netdev per configured port, whose changes become rtnetlink messages
 * the way the kernel makes them. Each queued message is a snapshot taken when the change happened
 * (ifindex, flags, MTU, master, name), so late messages about an old ifindex are as real as on a
 * switch. A requested dump is answered from the present state. An overrun behaves as Linux's
 * receive queue does: what it holds stays, what arrives while it is full is lost, the next read
 * reports ENOBUFS once before the messages still queued (older than the loss), and the socket
 * stays congested, losing every new message silently, until it has been read empty.
 *
 * Port i's netdev is "Ethernet<i>", or "Ethernet<i>x" while renamed. Its ifindex is
 * PSD_KERNEL_IFINDEX_BASE + i + ports * generation: unique per netdev ever created (until the
 * generation wraps past INT32_MAX, as real ifindexes may), and the port is found from it in O(1).
 *
 * Each netdev keeps the kernel's carrier counters (IFLA_CARRIER_CHANGES, _UP_COUNT, _DOWN_COUNT):
 * a change of its carrier counts one, a netdev created again starts them from 0 (or from a
 * history the caller gives it), and every message carries them as they were at the change.
 *
 * Invariants: at most capacity (<= PSD_KERNEL_QUEUE_MAX) messages queued (more is an overrun: the newest are
 * lost, and the next read reports ENOBUFS, as recvmsg does); a read that empties the queue
 * reports it (PSD_EV_NL_DRAINED); memory is O(ports), fixed at init.
 */
#ifndef PSD_SIM_KERNEL_H
#define PSD_SIM_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "world.h"

#define PSD_KERNEL_QUEUE_MAX 65536u
#define PSD_KERNEL_IFINDEX_BASE 100
#define PSD_KERNEL_BRIDGE_IFINDEX 7 /* the one bridge ports are enslaved to */

struct psd_kernel_port {
	int32_t ifindex; /* 0: no netdev */
	uint32_t generation;
	uint32_t mtu;
	uint32_t carrier_up;   /* the kernel's counts of this netdev: changes to up, to down */
	uint32_t carrier_down;
	bool up;
	bool carrier;
	bool renamed;
	bool enslaved;
};

struct psd_kernel_msg {
	int32_t ifindex;
	uint32_t port;
	uint32_t mtu;
	uint32_t carrier_up, carrier_down; /* the netdev's counts at the change */
	uint16_t type;   /* RTM_NEWLINK, RTM_DELLINK */
	uint8_t family;  /* AF_UNSPEC, AF_BRIDGE */
	bool up, carrier, renamed, enslaved;
	bool dump;       /* part of a dump's answer */
	bool dump_intr;  /* the dump message Linux flags NLM_F_DUMP_INTR */
};

/* What happened to a message handed to the core: the simulation watches ifindexes. */
typedef void psd_kernel_seen_fn(void *ctx, const struct psd_kernel_msg *msg);

struct psd_kernel {
	struct psd_kernel_port *ports;
	uint32_t nports;
	struct psd_kernel_msg *queue;
	uint32_t qhead, qlen;
	uint32_t capacity;        /* messages the receive queue holds, PSD_KERNEL_QUEUE_MAX at most */
	uint32_t served_dump_seq;
	struct psd_iface *ifaces; /* for PSD_ACT_LIST_IFACES */
	char (*iface_names)[16];
	uint64_t messages;        /* messages handed to the core, dumps included */
	uint64_t datagrams;       /* the datagrams that carried them */
	uint64_t dropped;         /* lost to overruns */
	bool congested;           /* overflowed and not yet read empty: arrivals are lost */
	uint32_t stale_left;      /* queued when ENOBUFS was reported: not news to the core */
	bool overflowed;          /* the queue overflowed: the next read reports ENOBUFS */
	bool hide_losses;         /* canary drop-loss: overflows are not reported */
	/* per port: the core may not have heard a change of its netdev since the last clean dump
	 * it was handed: a message about it lost (an overrun, a socket closed with the daemon, one
	 * queued before an overrun and so discarded), or a dump that lost or skipped it */
	bool *unheard;
	psd_kernel_seen_fn *seen;
	void (*dump_missing)(void *ctx, uint32_t port); /* a dump handed over without this port */
	void *seen_ctx;
};

void psd_kernel_init(struct psd_kernel *k, uint32_t ports);
void psd_kernel_free(struct psd_kernel *k);
void psd_kernel_name(const struct psd_kernel *k, uint32_t port, bool renamed, char buf[16]);
/* Changes; each queues the messages the kernel would send. */
void psd_kernel_create(struct psd_kernel *k, uint32_t port);
void psd_kernel_delete(struct psd_kernel *k, uint32_t port);
void psd_kernel_set(struct psd_kernel *k, uint32_t port, bool up, bool carrier, uint32_t mtu);
void psd_kernel_rename(struct psd_kernel *k, uint32_t port);   /* toggles; takes the link down */
void psd_kernel_enslave(struct psd_kernel *k, uint32_t port);  /* toggles bridge membership */
/* A request from the daemon; returns the port whose netdev has that ifindex, or UINT32_MAX. */
uint32_t psd_kernel_link_down(struct psd_kernel *k, int32_t ifindex);
/* Every present netdev is deleted and created again with a new ifindex, down (SAI's
 * create_switch after a cold start). */
void psd_kernel_recreate_all(struct psd_kernel *k);
/* Hands up to n queued messages to the core, one datagram each. */
void psd_kernel_deliver(struct psd_kernel *k, struct psd_world *w, uint32_t n);
void psd_kernel_drop_queue(struct psd_kernel *k); /* the daemon's socket closed */

enum psd_dump_fault {
	PSD_DUMP_CLEAN,
	PSD_DUMP_TRUNCATED,   /* one datagram exceeds the receive buffer: MSG_TRUNC, dropped */
	PSD_DUMP_INTERRUPTED, /* links changed during the dump: NLM_F_DUMP_INTR on one message */
};
/* Answers the dump the core asked for, if it has not been answered yet. */
void psd_kernel_serve_dump(struct psd_kernel *k, struct psd_world *w, enum psd_dump_fault fault);
size_t psd_kernel_list(struct psd_kernel *k, const struct psd_iface **ret);

#endif
