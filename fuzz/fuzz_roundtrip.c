/*
 * Parse, re-encode with the simulator's builder, parse again: the two records must agree, so
 * the builder the simulator feeds the core and the parser the daemon runs speak one language.
 */
#include "fuzz.h"
#include "nl_build.h"
#include "psd/link.h"

static void check_same(const struct psd_link *a, const struct psd_link *b)
{
	FZ_CHECK(a->msg_type == b->msg_type);
	FZ_CHECK(a->family == b->family);
	FZ_CHECK(a->ifindex == b->ifindex);
	FZ_CHECK(a->flags == b->flags);
	FZ_CHECK(a->mtu == b->mtu);
	FZ_CHECK(a->master == b->master);
	FZ_CHECK(strcmp(a->name, b->name) == 0);
	FZ_CHECK(a->has_kind == b->has_kind);
	FZ_CHECK(!a->has_kind || strcmp(a->kind, b->kind) == 0);
	FZ_CHECK(a->addr_len == b->addr_len && memcmp(a->addr, b->addr, a->addr_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psd_nl_cursor c;
	struct psd_nl_msg m;
	struct psd_link first, again;
	static uint8_t buf[1024];

	psd_nl_cursor_init(&c, data, size);
	while (psd_nl_cursor_next(&c, &m) > 0) {
		if (m.kind != PSD_NLMSG_LINK || psd_nl_parse_link(&m, &first) < 0)
			continue;
		struct psd_nl_link_spec s = {
			.type = first.msg_type, .nlflags = first.msg_flags, .seq = first.msg_seq,
			.pid = first.msg_pid, .family = first.family, .ifindex = first.ifindex,
			.flags = first.flags, .name = first.name, .mtu = first.mtu,
			.master = first.master, .kind = first.has_kind ? first.kind : NULL,
			.addr = first.addr, .addr_len = first.addr_len,
		};
		size_t len = psd_nl_build_link(buf, sizeof(buf), 0, &s);
		FZ_CHECK(len > 0);
		struct psd_nl_cursor c2;
		struct psd_nl_msg m2;
		psd_nl_cursor_init(&c2, buf, len);
		FZ_CHECK(psd_nl_cursor_next(&c2, &m2) == 1);
		FZ_CHECK(psd_nl_parse_link(&m2, &again) == 0);
		check_same(&first, &again);
	}
	return 0;
}
