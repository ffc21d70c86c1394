/*
 * Netlink walker: splits a datagram into messages and decodes link messages through a
 * kernel-style policy table. Hand-written on purpose: lengths, alignment and nesting are
 * arithmetic, not grammar.
 *
 * Invariants:
 *  - nothing is read before its length has been checked against the bytes that remain;
 *  - headers and scalars are copied out with memcpy, never read through a cast pointer;
 *  - arithmetic compares before it subtracts, so no length can wrap;
 *  - the attribute sequence is handed to the grammar (nl_accept.rl) before the record is used.
 */
#include <errno.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "psd/link.h"
#include "nl_accept.h"
#include "psd_assert.h"

#define ALIGN4(n) (((n) + 3u) & ~(size_t)3u)
#define NLA_HDR_LEN 4u

void psd_nl_cursor_init(struct psd_nl_cursor *c, const uint8_t *buf, size_t len)
{
	c->buf = buf;
	c->len = len;
	c->off = 0;
}

static size_t advance(size_t off, size_t msg_len, size_t total)
{
	size_t next = off + ALIGN4(msg_len);
	return next > total ? total : next; /* the last message may omit its padding */
}

int psd_nl_cursor_next(struct psd_nl_cursor *c, struct psd_nl_msg *ret)
{
	struct nlmsghdr h;
	size_t remaining;

	PSD_ASSERT(c->off <= c->len);
	remaining = c->len - c->off;
	if (remaining == 0)
		return 0;
	if (remaining < sizeof(h)) {
		c->off = c->len;
		return -PSD_NLE_SHORT_DATAGRAM;
	}
	memcpy(&h, c->buf + c->off, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > remaining) {
		c->off = c->len;
		return -PSD_NLE_BAD_MSG_LEN;
	}

	struct psd_nl_msg m = {
		.type = h.nlmsg_type,
		.flags = h.nlmsg_flags,
		.seq = h.nlmsg_seq,
		.pid = h.nlmsg_pid,
		.bytes = c->buf + c->off,
		.len = h.nlmsg_len,
	};
	size_t payload = h.nlmsg_len - sizeof(h);

	switch (h.nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		m.kind = PSD_NLMSG_LINK;
		break;
	case NLMSG_DONE: {
		int32_t done_errno;
		if (payload < sizeof(done_errno)) {
			c->off = c->len;
			return -PSD_NLE_SHORT_PAYLOAD;
		}
		memcpy(&done_errno, m.bytes + sizeof(h), sizeof(done_errno));
		m.kind = PSD_NLMSG_DONE;
		m.error = done_errno > 0 ? -done_errno : done_errno; /* a dump cut short says why */
		break;
	}
	case NLMSG_ERROR: {
		struct nlmsgerr e;
		if (payload < sizeof(e)) {
			c->off = c->len;
			return -PSD_NLE_SHORT_PAYLOAD;
		}
		memcpy(&e, m.bytes + sizeof(h), sizeof(e));
		m.kind = PSD_NLMSG_ERROR;
		m.error = e.error > 0 ? -e.error : e.error; /* normalise the sign */
		break;
	}
	case NLMSG_OVERRUN:
		m.kind = PSD_NLMSG_OVERRUN;
		break;
	default:
		m.kind = PSD_NLMSG_IGNORED;
		break;
	}
	c->off = advance(c->off, h.nlmsg_len, c->len);
	*ret = m;
	return 1;
}

/* Attribute policy: what each IFLA type we read must look like. */
enum attr_shape {
	SHAPE_SKIP,
	SHAPE_U32,
	SHAPE_NUL_STRING,
	SHAPE_BINARY,
	SHAPE_NESTED,
};

struct attr_policy {
	enum attr_shape shape;
	uint16_t max_payload; /* strings: longest text without the NUL; binary: longest payload */
	enum psd_attr_sym sym;
};

static const struct attr_policy ifla_policy[] = {
	[IFLA_ADDRESS] = {SHAPE_BINARY, PSD_ADDR_LEN_MAX, PSD_ATTR_ADDRESS},
	[IFLA_IFNAME] = {SHAPE_NUL_STRING, PSD_IFNAME_LEN_MAX, PSD_ATTR_IFNAME},
	[IFLA_MTU] = {SHAPE_U32, 4, PSD_ATTR_MTU},
	[IFLA_MASTER] = {SHAPE_U32, 4, PSD_ATTR_MASTER},
	[IFLA_LINKINFO] = {SHAPE_NESTED, 0, PSD_ATTR_LINKINFO},
	[IFLA_CARRIER_CHANGES] = {SHAPE_U32, 4, PSD_ATTR_CARRIER_CHANGES},
	[IFLA_CARRIER_UP_COUNT] = {SHAPE_U32, 4, PSD_ATTR_CARRIER_UP},
	[IFLA_CARRIER_DOWN_COUNT] = {SHAPE_U32, 4, PSD_ATTR_CARRIER_DOWN},
};

static const struct attr_policy info_policy[] = {
	[IFLA_INFO_KIND] = {SHAPE_NUL_STRING, PSD_KIND_LEN_MAX, PSD_ATTR_KIND},
};

struct attr {
	uint16_t type;
	const uint8_t *payload;
	size_t len;
};

struct attr_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

/* 1: *ret filled; 0: done; <0: -enum psd_nl_error. */
static int attr_next(struct attr_iter *it, struct attr *ret)
{
	struct nlattr a;
	size_t remaining = it->len - it->off;

	if (remaining == 0)
		return 0;
	if (remaining < NLA_HDR_LEN)
		return -PSD_NLE_ATTR_TRAILING;
	memcpy(&a, it->buf + it->off, sizeof(a));
	if (a.nla_len < NLA_HDR_LEN || a.nla_len > remaining)
		return -PSD_NLE_BAD_ATTR_LEN;
	ret->type = a.nla_type & NLA_TYPE_MASK;
	ret->payload = it->buf + it->off + NLA_HDR_LEN;
	ret->len = a.nla_len - NLA_HDR_LEN;
	it->off = advance(it->off, a.nla_len, it->len);
	return 1;
}

static const struct attr_policy *policy_for(const struct attr_policy *table, size_t n,
					     uint16_t type)
{
	if (type >= n || table[type].shape == SHAPE_SKIP)
		return NULL;
	return &table[type];
}

/* Copies a NUL-terminated string payload into dst (size max+1); <0 on a policy breach. */
static int copy_nul_string(const struct attr *a, uint16_t max, char *dst, uint8_t *ret_len)
{
	const uint8_t *nul = memchr(a->payload, 0, a->len);
	size_t n;

	if (nul == NULL)
		return -PSD_NLE_ATTR_POLICY;
	n = (size_t)(nul - a->payload);
	if (n == 0 || n > max)
		return -PSD_NLE_ATTR_POLICY;
	memcpy(dst, a->payload, n);
	dst[n] = '\0';
	*ret_len = (uint8_t)n;
	return 0;
}

static int parse_linkinfo(const struct attr *outer, struct psd_link *link)
{
	struct attr_iter it = {outer->payload, outer->len, 0};
	struct attr a;
	unsigned count = 0;
	int r;

	while ((r = attr_next(&it, &a)) > 0) {
		const struct attr_policy *p =
			policy_for(info_policy, sizeof(info_policy) / sizeof(info_policy[0]), a.type);
		if (++count > PSD_NL_ATTRS_MAX)
			return -PSD_NLE_TOO_MANY_ATTRS;
		if (p == NULL)
			continue; /* IFLA_INFO_DATA and friends: deeper than PSD_NL_NEST_DEPTH_MAX */
		if (link->has_kind)
			return -PSD_NLE_ATTR_SEQUENCE;
		r = copy_nul_string(&a, p->max_payload, link->kind, &link->kind_len);
		if (r < 0)
			return r;
		link->has_kind = true;
	}
	return r;
}

static void set_u32(struct psd_link *link, enum psd_attr_sym sym, uint32_t v)
{
	switch (sym) {
	case PSD_ATTR_MTU:
		link->mtu = v;
		return;
	case PSD_ATTR_MASTER:
		link->master = v;
		return;
	case PSD_ATTR_CARRIER_CHANGES:
		link->carrier_changes = v;
		link->has_carrier_changes = true;
		return;
	case PSD_ATTR_CARRIER_UP:
		link->carrier_up = v;
		return;
	case PSD_ATTR_CARRIER_DOWN:
		link->carrier_down = v;
		return;
	default:
		PSD_UNREACHABLE();
	}
}

static int apply_attr(const struct attr *a, const struct attr_policy *p, struct psd_link *link)
{
	uint32_t v;

	switch (p->shape) {
	case SHAPE_U32:
		if (a->len != sizeof(v))
			return -PSD_NLE_ATTR_POLICY;
		memcpy(&v, a->payload, sizeof(v));
		set_u32(link, p->sym, v);
		return 0;
	case SHAPE_NUL_STRING:
		return copy_nul_string(a, p->max_payload, link->name, &link->name_len);
	case SHAPE_BINARY:
		if (a->len > p->max_payload)
			return -PSD_NLE_ATTR_POLICY;
		memcpy(link->addr, a->payload, a->len);
		link->addr_len = (uint8_t)a->len;
		return 0;
	case SHAPE_NESTED:
		return parse_linkinfo(a, link);
	case SHAPE_SKIP:
		break;
	}
	PSD_UNREACHABLE();
}

int psd_nl_parse_link(const struct psd_nl_msg *msg, struct psd_link *ret)
{
	struct ifinfomsg ifi;
	struct psd_link link;
	struct psd_attr_seq seq;
	struct attr a;
	unsigned attrs = 0;
	bool seen_up = false, seen_down = false;
	int r;

	PSD_ASSERT(msg->kind == PSD_NLMSG_LINK);
	PSD_ASSERT(msg->len >= sizeof(struct nlmsghdr));
	if (msg->len < NLMSG_LENGTH(sizeof(ifi)))
		return -PSD_NLE_SHORT_PAYLOAD;
	memcpy(&ifi, msg->bytes + NLMSG_HDRLEN, sizeof(ifi));

	memset(&link, 0, sizeof(link));
	link.msg_type = msg->type;
	link.msg_flags = msg->flags;
	link.msg_seq = msg->seq;
	link.msg_pid = msg->pid;
	link.family = ifi.ifi_family;
	link.ifindex = ifi.ifi_index;
	link.flags = ifi.ifi_flags;

	size_t attrs_off = NLMSG_LENGTH(sizeof(ifi));
	struct attr_iter it = {msg->bytes + attrs_off, msg->len - attrs_off, 0};
	psd_attr_seq_init(&seq);
	while ((r = attr_next(&it, &a)) > 0) {
		const struct attr_policy *p =
			policy_for(ifla_policy, sizeof(ifla_policy) / sizeof(ifla_policy[0]), a.type);
		if (++attrs > PSD_NL_ATTRS_MAX)
			return -PSD_NLE_TOO_MANY_ATTRS;
		if (p == NULL)
			continue; /* 'o': the grammar lets it stand anywhere, so it moves no state */
		psd_attr_seq_push(&seq, p->sym);
		seen_up |= p->sym == PSD_ATTR_CARRIER_UP;
		seen_down |= p->sym == PSD_ATTR_CARRIER_DOWN;
		r = apply_attr(&a, p, &link);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (!psd_attr_seq_accepted(&seq))
		return -PSD_NLE_ATTR_SEQUENCE;
	link.has_carrier_up_down = seen_up && seen_down;
	*ret = link;
	return 0;
}

const char *psd_nl_error_name(enum psd_nl_error e)
{
	static const char *const names[_PSD_NLE_MAX] = {
		[PSD_NLE_NONE] = "none",
		[PSD_NLE_SHORT_DATAGRAM] = "short-datagram",
		[PSD_NLE_BAD_MSG_LEN] = "bad-message-length",
		[PSD_NLE_SHORT_PAYLOAD] = "short-payload",
		[PSD_NLE_BAD_ATTR_LEN] = "bad-attribute-length",
		[PSD_NLE_ATTR_TRAILING] = "attribute-trailing-bytes",
		[PSD_NLE_ATTR_POLICY] = "attribute-policy",
		[PSD_NLE_ATTR_SEQUENCE] = "attribute-sequence",
		[PSD_NLE_TOO_MANY_ATTRS] = "too-many-attributes",
	};
	return (unsigned)e < _PSD_NLE_MAX ? names[e] : "unknown";
}
