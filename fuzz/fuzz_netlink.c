/*
 * Raw netlink datagrams into the walker and the grammar layer. Properties: no crash and no
 * sanitizer report; the walker accounts for every byte; every accepted record respects its
 * limits and names classify.
 */
#include "fuzz.h"
#include "names.h"
#include "psd/link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psd_nl_cursor c;
	struct psd_nl_msg m;
	struct psd_link l;
	int r;

	psd_nl_cursor_init(&c, data, size);
	while ((r = psd_nl_cursor_next(&c, &m)) > 0) {
		FZ_CHECK(m.len >= 16 && m.bytes >= data && m.bytes + m.len <= data + size);
		if (m.kind != PSD_NLMSG_LINK || psd_nl_parse_link(&m, &l) < 0)
			continue;
		FZ_CHECK(l.name_len >= 1 && l.name_len <= PSD_IFNAME_LEN_MAX);
		FZ_CHECK(strlen(l.name) == l.name_len);
		FZ_CHECK(!l.has_kind || (l.kind_len >= 1 && l.kind_len <= PSD_KIND_LEN_MAX));
		FZ_CHECK(l.addr_len <= PSD_ADDR_LEN_MAX);
		(void)psd_name_classify(l.name, l.name_len);
		if (l.has_kind)
			(void)psd_kind_classify(l.kind, l.kind_len);
	}
	FZ_CHECK(r <= 0 && r > -_PSD_NLE_MAX);
	FZ_CHECK(c.off == size); /* consumed plus refused covers the datagram */
	return 0;
}
