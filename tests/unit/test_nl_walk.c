/*
 * Netlink walker tests: well-formed datagrams, and every malformed length, size and sequence
 * case of the parsing recipe (datagram, message header, family header, attribute header,
 * attribute payloads, nesting, trailing bytes, repeated attributes).
 */
#include <linux/if_link.h>
#include <linux/netlink.h>

#include "unit.h"

struct msg {
	uint8_t buf[8192];
	size_t len;
};

static void msg_begin(struct msg *m, uint16_t type)
{
	struct nlmsghdr h = {.nlmsg_type = type};
	struct ifinfomsg ifi = {.ifi_index = 7, .ifi_flags = IFF_UP};
	memset(m->buf, 0, sizeof(m->buf));
	memcpy(m->buf, &h, sizeof(h));
	memcpy(m->buf + NLMSG_HDRLEN, &ifi, sizeof(ifi));
	m->len = NLMSG_LENGTH(sizeof(ifi));
}

static void msg_attr(struct msg *m, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type};
	memcpy(m->buf + m->len, &a, sizeof(a));
	memcpy(m->buf + m->len + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void msg_end(struct msg *m)
{
	uint32_t len = (uint32_t)m->len;
	memcpy(m->buf, &len, sizeof(len));
}

/* Walks the single message in m and parses it as a link; returns the parse result. */
static int parse(const struct msg *m, struct psd_link *link)
{
	struct psd_nl_cursor c;
	struct psd_nl_msg nm;
	psd_nl_cursor_init(&c, m->buf, m->len);
	int r = psd_nl_cursor_next(&c, &nm);
	if (r <= 0)
		return r == 0 ? -1000 : r;
	assert_int_equal(nm.kind, PSD_NLMSG_LINK);
	return psd_nl_parse_link(&nm, link);
}

static void good_name(struct msg *m)
{
	msg_attr(m, IFLA_IFNAME, "Ethernet0", 10);
}

static void test_well_formed(void **state)
{
	struct msg m;
	struct psd_link l;
	uint32_t mtu = 9100, master = 30;
	uint8_t mac[6] = {0x1c, 0x34, 0xda, 0x1c, 0x9f, 0};
	msg_begin(&m, RTM_NEWLINK);
	msg_attr(&m, IFLA_ADDRESS, mac, 6);
	good_name(&m);
	msg_attr(&m, IFLA_MTU, &mtu, 4);
	msg_attr(&m, IFLA_MASTER, &master, 4);
	msg_attr(&m, 200, "unknown attributes are skipped", 30);
	size_t nest = m.len;
	msg_attr(&m, IFLA_LINKINFO | NLA_F_NESTED, "", 0);
	msg_attr(&m, IFLA_INFO_KIND, "sx_netdev", 10);
	msg_attr(&m, IFLA_INFO_DATA | NLA_F_NESTED, "\x08\x00\x01\x00\x01\x00\x00\x00", 8);
	uint16_t nest_len = (uint16_t)(m.len - nest);
	memcpy(m.buf + nest, &nest_len, 2);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), 0);
	assert_string_equal(l.name, "Ethernet0");
	assert_int_equal(l.name_len, 9);
	assert_int_equal(l.mtu, 9100);
	assert_int_equal(l.master, 30);
	assert_int_equal(l.ifindex, 7);
	assert_true(l.has_kind);
	assert_string_equal(l.kind, "sx_netdev");
	assert_int_equal(l.addr_len, 6);
	assert_memory_equal(l.addr, mac, 6);
}

static void test_several_messages_and_no_final_padding(void **state)
{
	uint8_t buf[1024];
	struct psd_nl_link_spec a = {.type = RTM_NEWLINK, .name = "Ethernet0", .ifindex = 1};
	struct psd_nl_link_spec b = {.type = RTM_DELLINK, .name = "Eth", .ifindex = 2};
	size_t off = psd_nl_build_link(buf, sizeof(buf), 0, &a);
	size_t end = psd_nl_build_link(buf, sizeof(buf), off, &b);
	struct psd_nl_cursor c;
	struct psd_nl_msg m;
	struct psd_link l;

	/* "Eth\0" is 4 bytes: the last attribute ends aligned; drop the NUL's padding anyway */
	psd_nl_cursor_init(&c, buf, end);
	assert_int_equal(psd_nl_cursor_next(&c, &m), 1);
	assert_int_equal(psd_nl_parse_link(&m, &l), 0);
	assert_string_equal(l.name, "Ethernet0");
	assert_int_equal(psd_nl_cursor_next(&c, &m), 1);
	assert_int_equal(m.type, RTM_DELLINK);
	assert_int_equal(psd_nl_parse_link(&m, &l), 0);
	assert_string_equal(l.name, "Eth");
	assert_int_equal(psd_nl_cursor_next(&c, &m), 0);
}

static void test_control_messages(void **state)
{
	uint8_t buf[256];
	struct psd_nl_cursor c;
	struct psd_nl_msg m;
	size_t off = psd_nl_build_done(buf, sizeof(buf), 0, 5, NLM_F_DUMP_INTR);
	off = psd_nl_build_raw(buf, sizeof(buf), off, NLMSG_OVERRUN, 0);
	off = psd_nl_build_raw(buf, sizeof(buf), off, NLMSG_NOOP, 0);
	size_t err_at = off;
	off = psd_nl_build_raw(buf, sizeof(buf), off, NLMSG_ERROR, sizeof(struct nlmsgerr));
	int32_t e = -19;
	memcpy(buf + err_at + NLMSG_HDRLEN, &e, 4);
	psd_nl_cursor_init(&c, buf, off);
	assert_int_equal(psd_nl_cursor_next(&c, &m), 1);
	assert_int_equal(m.kind, PSD_NLMSG_DONE);
	assert_true(m.flags & NLM_F_DUMP_INTR);
	assert_int_equal(m.seq, 5);
	assert_int_equal(psd_nl_cursor_next(&c, &m), 1);
	assert_int_equal(m.kind, PSD_NLMSG_OVERRUN);
	assert_int_equal(psd_nl_cursor_next(&c, &m), 1);
	assert_int_equal(m.kind, PSD_NLMSG_IGNORED);
	assert_int_equal(psd_nl_cursor_next(&c, &m), 1);
	assert_int_equal(m.kind, PSD_NLMSG_ERROR);
	assert_int_equal(m.error, -19);
	assert_int_equal(psd_nl_cursor_next(&c, &m), 0);
}

static int walk_error(const uint8_t *buf, size_t len)
{
	struct psd_nl_cursor c;
	struct psd_nl_msg m;
	int r;
	psd_nl_cursor_init(&c, buf, len);
	while ((r = psd_nl_cursor_next(&c, &m)) > 0)
		;
	assert_int_equal(c.off, len); /* consumed plus refused always covers the datagram */
	return r;
}

static void test_datagram_lengths(void **state)
{
	uint8_t buf[256] = {0};
	struct nlmsghdr h = {.nlmsg_type = RTM_NEWLINK};
	assert_int_equal(walk_error(buf, 0), 0);
	assert_int_equal(walk_error(buf, 10), -PSD_NLE_SHORT_DATAGRAM);
	h.nlmsg_len = 8; /* below the header */
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(walk_error(buf, 64), -PSD_NLE_BAD_MSG_LEN);
	h.nlmsg_len = 100; /* past the datagram */
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(walk_error(buf, 64), -PSD_NLE_BAD_MSG_LEN);
	h.nlmsg_len = UINT32_MAX;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(walk_error(buf, 64), -PSD_NLE_BAD_MSG_LEN);
	h.nlmsg_type = NLMSG_DONE;
	h.nlmsg_len = NLMSG_HDRLEN; /* DONE without its int */
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(walk_error(buf, NLMSG_HDRLEN), -PSD_NLE_SHORT_PAYLOAD);
	h.nlmsg_type = NLMSG_ERROR;
	h.nlmsg_len = NLMSG_HDRLEN + 4; /* ERROR without room for struct nlmsgerr */
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(walk_error(buf, NLMSG_HDRLEN + 4), -PSD_NLE_SHORT_PAYLOAD);
	/* a good message followed by 5 stray bytes */
	struct psd_nl_link_spec s = {.type = RTM_NEWLINK, .name = "Ethernet0", .ifindex = 1};
	size_t off = psd_nl_build_link(buf, sizeof(buf), 0, &s);
	assert_int_equal(walk_error(buf, off + 5), -PSD_NLE_SHORT_DATAGRAM);
}

static void test_family_header_short(void **state)
{
	struct msg m;
	struct psd_link l;
	msg_begin(&m, RTM_NEWLINK);
	m.len = NLMSG_HDRLEN + 8; /* half an ifinfomsg */
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_SHORT_PAYLOAD);
}

static void test_attribute_lengths(void **state)
{
	struct msg m;
	struct psd_link l;
	struct nlattr a;

	msg_begin(&m, RTM_NEWLINK); /* nla_len below the attribute header */
	good_name(&m);
	a = (struct nlattr){.nla_len = 2, .nla_type = IFLA_MTU};
	memcpy(m.buf + m.len, &a, 4);
	m.len += 4;
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_BAD_ATTR_LEN);

	msg_begin(&m, RTM_NEWLINK); /* nla_len past the message */
	good_name(&m);
	a = (struct nlattr){.nla_len = 40, .nla_type = IFLA_MTU};
	memcpy(m.buf + m.len, &a, 4);
	m.len += 8;
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_BAD_ATTR_LEN);

	for (size_t trailing = 1; trailing <= 3; trailing++) {
		msg_begin(&m, RTM_NEWLINK); /* bytes after the last attribute */
		good_name(&m);
		m.len += trailing;
		msg_end(&m);
		assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_TRAILING);
	}
}

static void test_attribute_policy(void **state)
{
	struct msg m;
	struct psd_link l;
	uint64_t wide = 9100;
	uint16_t narrow = 9100;
	uint8_t big_addr[33] = {0};

	msg_begin(&m, RTM_NEWLINK);
	msg_attr(&m, IFLA_IFNAME, "Ethernet0", 9); /* no NUL */
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_POLICY);

	msg_begin(&m, RTM_NEWLINK);
	msg_attr(&m, IFLA_IFNAME, "", 1); /* empty */
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_POLICY);

	msg_begin(&m, RTM_NEWLINK);
	msg_attr(&m, IFLA_IFNAME, "Ethernet01234567", 17); /* 16 bytes: longer than IFNAMSIZ-1 */
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_POLICY);

	msg_begin(&m, RTM_NEWLINK);
	good_name(&m);
	msg_attr(&m, IFLA_MTU, &narrow, 2);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_POLICY);

	msg_begin(&m, RTM_NEWLINK);
	good_name(&m);
	msg_attr(&m, IFLA_MTU, &wide, 8);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_POLICY);

	msg_begin(&m, RTM_NEWLINK);
	good_name(&m);
	msg_attr(&m, IFLA_MASTER, &wide, 3);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_POLICY);

	msg_begin(&m, RTM_NEWLINK);
	good_name(&m);
	msg_attr(&m, IFLA_ADDRESS, big_addr, 33);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_POLICY);
}

static void test_nested_linkinfo(void **state)
{
	struct msg m;
	struct psd_link l;
	uint8_t nested[64];
	struct nlattr a;

	/* IFLA_INFO_KIND without its NUL */
	a = (struct nlattr){.nla_len = 8, .nla_type = IFLA_INFO_KIND};
	memcpy(nested, &a, 4);
	memcpy(nested + 4, "team", 4);
	msg_begin(&m, RTM_NEWLINK);
	good_name(&m);
	msg_attr(&m, IFLA_LINKINFO, nested, 8);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_POLICY);

	/* an inner attribute longer than the nest */
	a = (struct nlattr){.nla_len = 60, .nla_type = IFLA_INFO_KIND};
	memcpy(nested, &a, 4);
	msg_begin(&m, RTM_NEWLINK);
	good_name(&m);
	msg_attr(&m, IFLA_LINKINFO, nested, 8);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_BAD_ATTR_LEN);

	/* two kinds */
	a = (struct nlattr){.nla_len = 9, .nla_type = IFLA_INFO_KIND};
	memcpy(nested, &a, 4);
	memcpy(nested + 4, "team\0\0\0\0", 8);
	memcpy(nested + 12, nested, 12);
	msg_begin(&m, RTM_NEWLINK);
	good_name(&m);
	msg_attr(&m, IFLA_LINKINFO, nested, 24);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_SEQUENCE);

	/* an empty nest is fine: no kind */
	msg_begin(&m, RTM_NEWLINK);
	good_name(&m);
	msg_attr(&m, IFLA_LINKINFO, "", 0);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), 0);
	assert_false(l.has_kind);
}

static void test_attribute_sequence(void **state)
{
	struct msg m;
	struct psd_link l;
	uint32_t mtu = 1500;

	msg_begin(&m, RTM_NEWLINK); /* no IFLA_IFNAME */
	msg_attr(&m, IFLA_MTU, &mtu, 4);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_SEQUENCE);

	msg_begin(&m, RTM_NEWLINK); /* IFLA_IFNAME twice */
	good_name(&m);
	msg_attr(&m, IFLA_IFNAME, "Ethernet4", 10);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_SEQUENCE);

	msg_begin(&m, RTM_NEWLINK); /* IFLA_MTU twice: first or last wins would disagree */
	msg_attr(&m, IFLA_MTU, &mtu, 4);
	good_name(&m);
	msg_attr(&m, IFLA_MTU, &mtu, 4);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_SEQUENCE);

	msg_begin(&m, RTM_NEWLINK); /* unknown attributes may repeat */
	msg_attr(&m, 300, "x", 1);
	good_name(&m);
	msg_attr(&m, 300, "y", 1);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), 0);
}

/* The kernel's carrier counters: read when present, each at most once, of four bytes; both the
 * up and the down count, or neither is taken as known. */
static void test_carrier_counters(void **state)
{
	struct msg m;
	struct psd_link l;
	uint32_t changes = 20, up = 10, down = 10;

	msg_begin(&m, RTM_NEWLINK);
	good_name(&m);
	msg_attr(&m, IFLA_CARRIER_CHANGES, &changes, 4);
	msg_attr(&m, IFLA_CARRIER_UP_COUNT, &up, 4);
	msg_attr(&m, IFLA_CARRIER_DOWN_COUNT, &down, 4);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), 0);
	assert_true(l.has_carrier_changes && l.has_carrier_up_down);
	assert_int_equal(l.carrier_changes, 20);
	assert_int_equal(l.carrier_up, 10);
	assert_int_equal(l.carrier_down, 10);

	msg_begin(&m, RTM_NEWLINK); /* an older kernel: the changes alone */
	good_name(&m);
	msg_attr(&m, IFLA_CARRIER_CHANGES, &changes, 4);
	msg_attr(&m, IFLA_CARRIER_UP_COUNT, &up, 4);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), 0);
	assert_true(l.has_carrier_changes);
	assert_false(l.has_carrier_up_down);

	msg_begin(&m, RTM_NEWLINK); /* none: nothing known */
	good_name(&m);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), 0);
	assert_false(l.has_carrier_changes || l.has_carrier_up_down);

	msg_begin(&m, RTM_NEWLINK); /* twice */
	good_name(&m);
	msg_attr(&m, IFLA_CARRIER_CHANGES, &changes, 4);
	msg_attr(&m, IFLA_CARRIER_CHANGES, &changes, 4);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_SEQUENCE);

	msg_begin(&m, RTM_NEWLINK); /* two bytes */
	good_name(&m);
	msg_attr(&m, IFLA_CARRIER_DOWN_COUNT, &down, 2);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_ATTR_POLICY);
}

static void test_too_many_attributes(void **state)
{
	struct msg m;
	struct psd_link l;
	msg_begin(&m, RTM_NEWLINK);
	good_name(&m);
	for (unsigned i = 0; i < PSD_NL_ATTRS_MAX; i++)
		msg_attr(&m, 300, "", 0);
	msg_end(&m);
	assert_int_equal(parse(&m, &l), -PSD_NLE_TOO_MANY_ATTRS);
}

static void test_error_names(void **state)
{
	for (int e = 0; e < _PSD_NLE_MAX; e++)
		assert_string_not_equal(psd_nl_error_name((enum psd_nl_error)e), "unknown");
	assert_string_equal(psd_nl_error_name(_PSD_NLE_MAX), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_several_messages_and_no_final_padding),
		cmocka_unit_test(test_control_messages),
		cmocka_unit_test(test_datagram_lengths),
		cmocka_unit_test(test_family_header_short),
		cmocka_unit_test(test_attribute_lengths),
		cmocka_unit_test(test_attribute_policy),
		cmocka_unit_test(test_nested_linkinfo),
		cmocka_unit_test(test_attribute_sequence),
		cmocka_unit_test(test_carrier_counters),
		cmocka_unit_test(test_too_many_attributes),
		cmocka_unit_test(test_error_names),
	};
	return cmocka_run_group_tests_name("nl_walk", tests, NULL, NULL);
}
