/* The simulator's kernel (see kernel.h). */
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kernel.h"

#define IFF_KERNEL_DEFAULT 0x1002u /* IFF_BROADCAST | IFF_MULTICAST */
#define DUMP_DATAGRAM_MAX (1u << 16)

static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (p == NULL)
		abort();
	return p;
}

void psd_kernel_init(struct psd_kernel *k, uint32_t ports)
{
	memset(k, 0, sizeof(*k));
	k->nports = ports;
	k->capacity = PSD_KERNEL_QUEUE_MAX;
	k->ports = zalloc(ports, sizeof(*k->ports));
	k->queue = zalloc(PSD_KERNEL_QUEUE_MAX, sizeof(*k->queue));
	k->ifaces = zalloc(ports, sizeof(*k->ifaces));
	k->iface_names = zalloc(ports, sizeof(*k->iface_names));
	k->unheard = zalloc(ports, sizeof(*k->unheard));
}

void psd_kernel_free(struct psd_kernel *k)
{
	free(k->ports);
	free(k->queue);
	free(k->ifaces);
	free(k->iface_names);
	free(k->unheard);
}

/* Ethernet<port>, x-suffixed when renamed, cut at 15 bytes as snprintf would: written by hand,
 * since every message the kernel hands over names its netdev. */
void psd_kernel_name(const struct psd_kernel *k, uint32_t port, bool renamed, char buf[16])
{
	char text[24] = "Ethernet", digits[10];
	size_t n = 0, at = 8;
	(void)k;
	do
		digits[n++] = (char)('0' + port % 10);
	while ((port /= 10) != 0);
	while (n > 0)
		text[at++] = digits[--n];
	if (renamed)
		text[at++] = 'x';
	at = at < 15 ? at : 15;
	memcpy(buf, text, at);
	buf[at] = '\0';
}

static struct psd_kernel_msg snapshot(const struct psd_kernel *k, uint32_t port, uint16_t type)
{
	const struct psd_kernel_port *p = &k->ports[port];
	return (struct psd_kernel_msg){
		.ifindex = p->ifindex, .port = port, .mtu = p->mtu, .type = type,
		.carrier_up = p->carrier_up, .carrier_down = p->carrier_down,
		.family = AF_UNSPEC, .up = p->up, .carrier = p->carrier, .renamed = p->renamed,
		.enslaved = p->enslaved,
	};
}

/* As Linux does: a full receive queue keeps what it holds and loses what arrives; ENOBUFS is
 * reported once, and the socket stays congested (every new message lost, silently) until the
 * daemon has read the queue empty. */
static void enqueue(struct psd_kernel *k, struct psd_kernel_msg msg)
{
	if (k->qlen == k->capacity || k->congested) {
		k->dropped++;
		k->unheard[msg.port] = true;
		k->overflowed |= !k->congested;
		k->congested = true;
		return;
	}
	k->queue[(k->qhead + k->qlen++) % PSD_KERNEL_QUEUE_MAX] = msg;
}

static void notify(struct psd_kernel *k, uint32_t port)
{
	enqueue(k, snapshot(k, port, RTM_NEWLINK));
}

void psd_kernel_create(struct psd_kernel *k, uint32_t port)
{
	struct psd_kernel_port *p = &k->ports[port];
	int64_t ifindex;
	do { /* a new generation, wrapping before INT32_MAX */
		p->generation++;
		ifindex = PSD_KERNEL_IFINDEX_BASE + port + (int64_t)k->nports * p->generation;
		if (ifindex > INT32_MAX)
			p->generation = 0;
	} while (ifindex > INT32_MAX);
	p->ifindex = (int32_t)ifindex;
	p->up = p->carrier = p->renamed = p->enslaved = false;
	p->carrier_up = p->carrier_down = 0; /* a new netdev counts from 0 */
	p->mtu = 9100;
	notify(k, port);
}

/* An enslaved netdev leaves its bridge first (AF_BRIDGE DELLINK), then goes, without a master. */
void psd_kernel_delete(struct psd_kernel *k, uint32_t port)
{
	struct psd_kernel_port *p = &k->ports[port];
	if (p->enslaved) {
		struct psd_kernel_msg bridge = snapshot(k, port, RTM_DELLINK);
		bridge.family = AF_BRIDGE;
		enqueue(k, bridge);
		p->enslaved = false;
	}
	enqueue(k, snapshot(k, port, RTM_DELLINK));
	p->ifindex = 0;
}

void psd_kernel_set(struct psd_kernel *k, uint32_t port, bool up, bool carrier, uint32_t mtu)
{
	struct psd_kernel_port *p = &k->ports[port];
	if (carrier != p->carrier) { /* netif_carrier_on/off: the kernel counts each */
		p->carrier_up += carrier;
		p->carrier_down += !carrier;
	}
	p->up = up;
	p->carrier = carrier;
	p->mtu = mtu;
	notify(k, port);
}

/* Linux renames a netdev that is up too: one NEWLINK under the new name, flags unchanged. */
void psd_kernel_rename(struct psd_kernel *k, uint32_t port)
{
	struct psd_kernel_port *p = &k->ports[port];
	p->renamed = !p->renamed;
	notify(k, port);
}

void psd_kernel_enslave(struct psd_kernel *k, uint32_t port)
{
	struct psd_kernel_port *p = &k->ports[port];
	struct psd_kernel_msg bridge = snapshot(k, port, RTM_NEWLINK);
	bridge.family = AF_BRIDGE;
	if (p->enslaved) { /* release: the bridge says the port left it, master still set */
		bridge.type = RTM_DELLINK;
		enqueue(k, bridge);
		p->enslaved = false;
		notify(k, port);
		return;
	}
	p->enslaved = true;
	notify(k, port);
	bridge.enslaved = true;
	enqueue(k, bridge);
}

uint32_t psd_kernel_link_down(struct psd_kernel *k, int32_t ifindex)
{
	if (ifindex < PSD_KERNEL_IFINDEX_BASE)
		return UINT32_MAX;
	uint32_t port = (uint32_t)(ifindex - PSD_KERNEL_IFINDEX_BASE) % k->nports;
	struct psd_kernel_port *p = &k->ports[port];
	if (p->ifindex != ifindex)
		return UINT32_MAX;
	if (p->up) {
		p->up = false;
		notify(k, port);
	}
	return port;
}

void psd_kernel_recreate_all(struct psd_kernel *k)
{
	for (uint32_t i = 0; i < k->nports; i++) {
		if (k->ports[i].ifindex == 0)
			continue;
		psd_kernel_delete(k, i);
		psd_kernel_create(k, i);
	}
}

void psd_kernel_drop_queue(struct psd_kernel *k)
{
	k->qhead = k->qlen = 0;
	k->congested = false;
	k->overflowed = false;
	k->stale_left = 0;
	k->served_dump_seq = 0;
	memset(k->unheard, 1, k->nports * sizeof(*k->unheard)); /* a new socket knows nothing */
}

static size_t encode(const struct psd_kernel *k, uint8_t *buf, size_t size, size_t off,
		     const struct psd_kernel_msg *m, uint32_t seq)
{
	char name[16];
	psd_kernel_name(k, m->port, m->renamed, name);
	struct psd_nl_link_spec spec = {
		.type = m->type, .seq = seq, .ifindex = m->ifindex, .name = name, .mtu = m->mtu,
		.nlflags = (seq != 0 ? NLM_F_MULTI : 0) | (m->dump_intr ? NLM_F_DUMP_INTR : 0),
		.kind = "veth", .family = m->family,
		.master = m->enslaved || (m->family == AF_BRIDGE) ? PSD_KERNEL_BRIDGE_IFINDEX : 0,
		.flags = IFF_KERNEL_DEFAULT | (m->up ? IFF_UP : 0) |
			 (m->up && m->carrier ? IFF_RUNNING | IFF_LOWER_UP : 0),
		.carrier = true, .carrier_changes = m->carrier_up + m->carrier_down,
		.carrier_up = m->carrier_up, .carrier_down = m->carrier_down,
	};
	return psd_nl_build_link(buf, size, off, &spec);
}

static void seen(struct psd_kernel *k, const struct psd_kernel_msg *m)
{
	k->messages++;
	if (k->seen != NULL)
		k->seen(k->seen_ctx, m);
}

void psd_kernel_deliver(struct psd_kernel *k, struct psd_world *w, uint32_t n)
{
	uint8_t buf[512];
	if (!w->listening || w->exited)
		return;
	if (k->overflowed) { /* reported once, before what the queue still holds */
		k->stale_left = k->hide_losses ? 0 : k->qlen;
		k->overflowed = false;
		if (!k->hide_losses) {
			struct psd_event ev = {.type = PSD_EV_NL_LOSS};
			ev.u.loss = PSD_LOSS_ENOBUFS;
			psd_world_push(w, &ev);
			psd_world_settle(w);
		}
	}
	for (; n > 0 && k->qlen > 0 && w->listening && !w->exited; n--) {
		struct psd_kernel_msg m = k->queue[k->qhead];
		k->qhead = (k->qhead + 1) % PSD_KERNEL_QUEUE_MAX;
		k->qlen--;
		size_t len = encode(k, buf, sizeof(buf), 0, &m, 0);
		if (k->stale_left > 0) /* older than the loss: the core discards it */
			k->stale_left--, k->messages++, k->unheard[m.port] = true;
		else
			seen(k, &m);
		k->datagrams++;
		psd_world_datagram(w, buf, len, false);
	}
	if (k->qlen == 0 && w->listening && !w->exited) { /* read until EAGAIN */
		struct psd_event ev = {.type = PSD_EV_NL_DRAINED};
		k->congested = false;
		psd_world_push(w, &ev);
		psd_world_settle(w);
	}
}

/* Hands one dump datagram over, or loses it to MSG_TRUNC; msgs are the messages it holds. */
static void dump_datagram(struct psd_kernel *k, struct psd_world *w, const uint8_t *buf,
			  size_t len, const struct psd_kernel_msg *msgs, size_t count, bool truncate)
{
	if (truncate) {
		for (size_t i = 0; i < count; i++)
			k->unheard[msgs[i].port] = true;
		struct psd_event ev = {.type = PSD_EV_NL_LOSS};
		ev.u.loss = PSD_LOSS_TRUNCATED;
		psd_world_push(w, &ev);
		psd_world_settle(w);
		return;
	}
	for (size_t i = 0; i < count; i++)
		seen(k, &msgs[i]);
	k->datagrams++;
	psd_world_datagram(w, buf, len, true);
}

void psd_kernel_serve_dump(struct psd_kernel *k, struct psd_world *w, enum psd_dump_fault fault)
{
	static uint8_t buf[DUMP_DATAGRAM_MAX];
	static struct psd_kernel_msg msgs[DUMP_DATAGRAM_MAX / 64];
	size_t off = 0, count = 0, datagrams = 0;
	uint32_t seq = w->dump_seq;

	if (seq == k->served_dump_seq || !w->listening || w->exited)
		return;
	k->served_dump_seq = seq;
	/* Links changed during the dump: it may skip a netdev (here the first one past the middle),
	 * and Linux flags the first message it builds after the change (NLMSG_DONE only if none) */
	uint32_t skip_at = fault == PSD_DUMP_INTERRUPTED ? k->nports / 2 : UINT32_MAX;
	bool flag_next = false;
	for (uint32_t i = 0; i < k->nports; i++) {
		if (k->ports[i].ifindex == 0) {
			if (k->dump_missing != NULL)
				k->dump_missing(k->seen_ctx, i);
			continue;
		}
		if (i >= skip_at) {
			k->unheard[i] = true;
			skip_at = UINT32_MAX;
			flag_next = true;
			continue;
		}
		if (off + 256 > sizeof(buf) || count == sizeof(msgs) / sizeof(msgs[0])) {
			/* the first datagram is the one a truncating fault loses */
			dump_datagram(k, w, buf, off, msgs, count,
				      fault == PSD_DUMP_TRUNCATED && datagrams++ == 0);
			off = count = 0;
		}
		msgs[count] = snapshot(k, i, RTM_NEWLINK);
		msgs[count].dump = true;
		msgs[count].dump_intr = flag_next;
		flag_next = false;
		off = encode(k, buf, sizeof(buf), off, &msgs[count++], seq);
	}
	off = psd_nl_build_done(buf, sizeof(buf), off, seq, flag_next ? NLM_F_DUMP_INTR : 0);
	dump_datagram(k, w, buf, off, msgs, count, fault == PSD_DUMP_TRUNCATED && datagrams == 0);
	if (fault == PSD_DUMP_CLEAN) /* the present told whole: what was lost before is made up */
		memset(k->unheard, 0, k->nports * sizeof(*k->unheard));
}

size_t psd_kernel_list(struct psd_kernel *k, const struct psd_iface **ret)
{
	size_t n = 0;
	for (uint32_t i = 0; i < k->nports; i++) {
		if (k->ports[i].ifindex == 0)
			continue;
		psd_kernel_name(k, i, k->ports[i].renamed, k->iface_names[n]);
		k->ifaces[n] = (struct psd_iface){k->ports[i].ifindex, k->iface_names[n]};
		n++;
	}
	*ret = k->ifaces;
	return n;
}
