/* rtnetlink link message encoder (see nl_build.h). */
#include <string.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "nl_build.h"

#define ALIGN4(n) (((n) + 3u) & ~(size_t)3u)

static size_t put_attr(uint8_t *buf, size_t size, size_t off, uint16_t type, const void *data,
		       size_t len)
{
	struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type};
	if (off == 0 || off + ALIGN4(NLA_HDRLEN + len) > size)
		return 0;
	memcpy(buf + off, &a, sizeof(a));
	if (len > 0)
		memcpy(buf + off + NLA_HDRLEN, data, len);
	memset(buf + off + NLA_HDRLEN + len, 0, ALIGN4(NLA_HDRLEN + len) - NLA_HDRLEN - len);
	return off + ALIGN4(NLA_HDRLEN + len);
}

static void finish(uint8_t *buf, size_t start, size_t end, uint16_t type, uint16_t flags,
		   uint32_t seq, uint32_t pid)
{
	struct nlmsghdr h = {
		.nlmsg_len = (uint32_t)(end - start),
		.nlmsg_type = type,
		.nlmsg_flags = flags,
		.nlmsg_seq = seq,
		.nlmsg_pid = pid,
	};
	memcpy(buf + start, &h, sizeof(h));
}

size_t psd_nl_build_link(uint8_t *buf, size_t size, size_t off, const struct psd_nl_link_spec *s)
{
	struct ifinfomsg ifi = {
		.ifi_family = s->family,
		.ifi_index = s->ifindex,
		.ifi_flags = s->flags,
		.ifi_change = 0,
	};
	size_t start = off;
	size_t p = off + NLMSG_HDRLEN;

	if (p + sizeof(ifi) > size)
		return 0;
	memcpy(buf + p, &ifi, sizeof(ifi));
	p += NLMSG_ALIGN(sizeof(ifi));
	if (s->addr_len > 0)
		p = put_attr(buf, size, p, IFLA_ADDRESS, s->addr, s->addr_len);
	if (s->name != NULL)
		p = put_attr(buf, size, p, IFLA_IFNAME, s->name, strlen(s->name) + 1);
	if (s->mtu != 0)
		p = put_attr(buf, size, p, IFLA_MTU, &s->mtu, sizeof(s->mtu));
	if (s->master != 0)
		p = put_attr(buf, size, p, IFLA_MASTER, &s->master, sizeof(s->master));
	if (s->carrier) {
		p = put_attr(buf, size, p, IFLA_CARRIER_CHANGES, &s->carrier_changes, 4);
		p = put_attr(buf, size, p, IFLA_CARRIER_UP_COUNT, &s->carrier_up, 4);
		p = put_attr(buf, size, p, IFLA_CARRIER_DOWN_COUNT, &s->carrier_down, 4);
	}
	if (s->kind != NULL && p != 0) {
		size_t nest = p;
		p = put_attr(buf, size, p, IFLA_LINKINFO | NLA_F_NESTED, NULL, 0);
		p = put_attr(buf, size, p, IFLA_INFO_KIND, s->kind, strlen(s->kind) + 1);
		if (p != 0) {
			uint16_t nest_len = (uint16_t)(p - nest);
			memcpy(buf + nest, &nest_len, sizeof(nest_len));
		}
	}
	if (p == 0)
		return 0;
	finish(buf, start, p, s->type, s->nlflags, s->seq, s->pid);
	return p;
}

size_t psd_nl_build_done(uint8_t *buf, size_t size, size_t off, uint32_t seq, uint16_t flags)
{
	int32_t zero = 0;
	if (off + NLMSG_HDRLEN + sizeof(zero) > size)
		return 0;
	memcpy(buf + off + NLMSG_HDRLEN, &zero, sizeof(zero));
	finish(buf, off, off + NLMSG_HDRLEN + sizeof(zero), NLMSG_DONE, NLM_F_MULTI | flags, seq, 0);
	return off + NLMSG_HDRLEN + sizeof(zero);
}

size_t psd_nl_build_raw(uint8_t *buf, size_t size, size_t off, uint16_t type, size_t payload)
{
	if (off + NLMSG_HDRLEN + ALIGN4(payload) > size)
		return 0;
	memset(buf + off + NLMSG_HDRLEN, 0, ALIGN4(payload));
	finish(buf, off, off + NLMSG_HDRLEN + payload, type, 0, 0, 0);
	return off + NLMSG_HDRLEN + ALIGN4(payload);
}
