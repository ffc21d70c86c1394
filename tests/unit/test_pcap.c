/*
 * Captures (lib/pcap.c, lib/pcap_read.c): the same records read alike from pcap with microsecond
 * and nanosecond stamps in both byte orders, and from pcapng in both byte orders with each stamp
 * resolution, every packet block kind, blocks to skip and a second section; what the writer
 * writes reads back record for record (losses and drains as the marks they are, a datagram
 * longer than the snapshot as a loss); every refusal names the capture, the offset and, past the
 * header, the record.
 */
#include <errno.h>
#include <unistd.h>

#include "unit.h"

#include "pcap.h"

#define US 1000ull
#define S 1000000000ull

/* A capture built in memory, in either byte order. */
struct cap {
	uint8_t b[16384];
	size_t n;
	bool be;
};

static void put(struct cap *c, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		c->b[c->n + (size_t)i] = (uint8_t)(v >> 8 * (c->be ? bytes - 1 - i : i));
	c->n += (size_t)bytes;
}

static void put_bytes(struct cap *c, const void *p, size_t n)
{
	memcpy(c->b + c->n, p, n);
	c->n += n;
}

static void pad4(struct cap *c)
{
	while (c->n % 4 != 0)
		c->b[c->n++] = 0;
}

/* The packets every form holds: the cooked header (big endian), then a netlink message. */
struct pkt {
	uint64_t ts_ns;
	uint16_t pkttype, proto;
	bool ours;
	uint32_t pid;
	bool dump;
	uint16_t nl_type, nl_flags;
	uint32_t cut; /* bytes of the packet left out of the capture (the snapshot length) */
};

static const struct pkt pkts[] = {
	{1 * S + 123 * US, 0, NETLINK_ROUTE, true, 0, false, RTM_NEWLINK, 0, 0},
	{2 * S + 500000 * US, 0, NETLINK_ROUTE, true, 0x01020304, true, NLMSG_DONE, NLM_F_MULTI, 0},
	{3 * S, 7, NETLINK_GENERIC, false, 0, false, 0x10, 0, 0},             /* skipped */
	{4 * S, 6, NETLINK_ROUTE, false, 0, false, RTM_GETLINK, NLM_F_REQUEST, 0}, /* skipped */
	{5 * S + 1 * US, 7, NETLINK_ROUTE, false, 0, false, RTM_NEWLINK, 0, 0},
	{6 * S, 0, NETLINK_ROUTE, true, 0, false, RTM_NEWLINK, 0, 8}, /* cut: read as a loss */
};
#define PKTS (sizeof(pkts) / sizeof(pkts[0]))

/* The packet's bytes into out; its full length. */
static size_t packet_bytes(const struct pkt *p, uint8_t *out)
{
	struct nlmsghdr h = {.nlmsg_len = 24, .nlmsg_type = p->nl_type, .nlmsg_flags = p->nl_flags,
			     .nlmsg_seq = 7};
	memset(out, 0, PSD_PCAP_COOKED_LEN);
	out[0] = (uint8_t)(p->pkttype >> 8), out[1] = (uint8_t)p->pkttype;
	out[2] = PSD_PCAP_ARPHRD_NETLINK >> 8, out[3] = PSD_PCAP_ARPHRD_NETLINK & 0xff;
	if (p->ours) {
		out[5] = 8;
		out[6] = (uint8_t)(p->pid >> 24), out[7] = (uint8_t)(p->pid >> 16);
		out[8] = (uint8_t)(p->pid >> 8), out[9] = (uint8_t)p->pid;
		out[10] = p->dump ? PSD_PCAP_FROM_DUMP : 0;
	}
	out[14] = (uint8_t)(p->proto >> 8), out[15] = (uint8_t)p->proto;
	memcpy(out + PSD_PCAP_COOKED_LEN, &h, sizeof(h));
	memcpy(out + PSD_PCAP_COOKED_LEN + sizeof(h), "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	return PSD_PCAP_COOKED_LEN + h.nlmsg_len;
}

static void pcap_form(struct cap *c, bool be, bool nano)
{
	uint8_t bytes[128];
	*c = (struct cap){.be = be};
	put(c, nano ? PSD_PCAP_MAGIC_NS : PSD_PCAP_MAGIC_US, 4);
	put(c, 2, 2), put(c, 4, 2), put(c, 0, 4), put(c, 0, 4), put(c, 65535, 4), put(c, 253, 4);
	for (size_t i = 0; i < PKTS; i++) {
		size_t len = packet_bytes(&pkts[i], bytes);
		put(c, pkts[i].ts_ns / S, 4);
		put(c, pkts[i].ts_ns % S / (nano ? 1 : US), 4);
		put(c, len - pkts[i].cut, 4), put(c, len, 4);
		put_bytes(c, bytes, len - pkts[i].cut);
	}
}

static void ng_block(struct cap *c, uint32_t type, const struct cap *body)
{
	put(c, type, 4);
	put(c, 12 + body->n, 4);
	put_bytes(c, body->b, body->n);
	put(c, 12 + body->n, 4);
}

static void ng_section(struct cap *c, uint8_t tsresol)
{
	struct cap body = {.be = c->be};
	put(&body, 0x1a2b3c4d, 4), put(&body, 1, 2), put(&body, 0, 2), put(&body, UINT64_MAX, 8);
	ng_block(c, 0x0a0d0d0a, &body);
	body.n = 0;
	put(&body, 253, 2), put(&body, 0, 2), put(&body, 65535, 4);
	if (tsresol != 6) /* if_tsresol, then the end of options */
		put(&body, 9, 2), put(&body, 1, 2), put(&body, tsresol, 1), pad4(&body);
	put(&body, 0, 2), put(&body, 0, 2);
	ng_block(c, 1, &body);
}

static uint64_t ticks_of(uint64_t ns, uint8_t tsresol)
{
	if (tsresol & 0x80)
		return (uint64_t)(((unsigned __int128)ns << (tsresol & 0x7f)) / S);
	uint64_t div = 1;
	for (int v = tsresol; v < 9; v++)
		div *= 10;
	return ns / div;
}

/* pcapng: packets 0..split-1 in one section, the rest in a second one in the other byte order;
 * a name resolution block and a custom block skipped between them; packet 1 an obsolete packet
 * block, the others enhanced ones. */
static void pcapng_form(struct cap *c, bool be, uint8_t tsresol, size_t split)
{
	uint8_t bytes[128];
	struct cap body;
	*c = (struct cap){.be = be};
	for (size_t i = 0; i < PKTS; i++) {
		if (i == 0 || i == split) {
			c->be = i == 0 ? be : !be;
			ng_section(c, tsresol);
			body = (struct cap){.be = c->be};
			put(&body, 0, 4); /* an empty name resolution block */
			ng_block(c, 4, &body);
		}
		size_t len = packet_bytes(&pkts[i], bytes);
		uint64_t t = ticks_of(pkts[i].ts_ns, tsresol);
		body = (struct cap){.be = c->be};
		if (i == 1)
			put(&body, 0, 2), put(&body, 0, 2); /* interface, drops */
		else
			put(&body, 0, 4);
		put(&body, t >> 32, 4), put(&body, t & 0xffffffffu, 4);
		put(&body, len - pkts[i].cut, 4), put(&body, len, 4);
		put_bytes(&body, bytes, len - pkts[i].cut);
		pad4(&body);
		ng_block(c, i == 1 ? 2 : 6, &body);
		body = (struct cap){.be = c->be};
		put(&body, 0xdeadbeef, 4); /* a custom block's private enterprise number */
		ng_block(c, 0x00000bad, &body);
	}
}

/* The form read gives packets 0, 1, 4 and 5 (5 as a loss), stamps within the resolution. */
static void expect_records(const struct cap *c, uint64_t resolution_ns, const char *form)
{
	char err[600];
	struct psd_pcap_reader *r = psd_pcap_open_memory("t.pcap", c->b, c->n, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s: %s", form, err);
	static const size_t want[] = {0, 1, 4, 5};
	struct psd_pcap_record rec;
	uint8_t bytes[128];
	for (size_t k = 0; k < 4; k++) {
		const struct pkt *p = &pkts[want[k]];
		if (psd_pcap_next(r, &rec, err, sizeof(err)) != 1)
			fail_msg("%s: record %zu: %s", form, k, err);
		uint64_t d = rec.ts_ns > p->ts_ns ? rec.ts_ns - p->ts_ns : p->ts_ns - rec.ts_ns;
		if (d >= resolution_ns)
			fail_msg("%s: record %zu stamped %llu, expected %llu", form, k,
				 (unsigned long long)rec.ts_ns, (unsigned long long)p->ts_ns);
		assert_int_equal(rec.sender_pid, p->pid);
		assert_int_equal(rec.from_dump, p->dump);
		enum psd_nl_loss why;
		if (p->cut != 0) {
			assert_int_equal(rec.len, sizeof(struct nlmsghdr));
			assert_int_equal(psd_pcap_mark_of(&rec, &why), PSD_PCAP_DATAGRAM);
			assert_int_equal(((const struct nlmsghdr *)rec.bytes)->nlmsg_type, NLMSG_OVERRUN);
			continue;
		}
		size_t len = packet_bytes(p, bytes);
		assert_int_equal(rec.len, len - PSD_PCAP_COOKED_LEN);
		assert_memory_equal(rec.bytes, bytes + PSD_PCAP_COOKED_LEN, rec.len);
	}
	assert_int_equal(psd_pcap_next(r, &rec, err, sizeof(err)), 0);
	psd_pcap_close(r);
}

static void pcap_every_form(void **state)
{
	struct cap c;
	for (int be = 0; be < 2; be++)
		for (int nano = 0; nano < 2; nano++) {
			pcap_form(&c, be, nano);
			expect_records(&c, 1, be ? "pcap, big endian" : "pcap, little endian");
		}
}

static void pcapng_every_form(void **state)
{
	static struct cap c;
	static const uint8_t tsresol[] = {6, 9, 3, 0x80 | 20, 0x80 | 30};
	static const uint64_t within[] = {1, 1, 1000000, 1000, 2};
	for (int be = 0; be < 2; be++)
		for (size_t t = 0; t < sizeof(tsresol); t++) {
			pcapng_form(&c, be, tsresol[t], t % 2 == 0 ? 3 : PKTS);
			expect_records(&c, within[t], "pcapng");
		}
}

/* A simple packet block: no stamp, the packet as long as the interface's snapshot allows. */
static void pcapng_simple_packet(void **state)
{
	struct cap c = {0}, body = {0};
	uint8_t bytes[128];
	char err[600];
	ng_section(&c, 6);
	size_t len = packet_bytes(&pkts[0], bytes);
	put(&body, len, 4);
	put_bytes(&body, bytes, len);
	pad4(&body);
	ng_block(&c, 3, &body);
	struct psd_pcap_reader *r = psd_pcap_open_memory("t.pcap", c.b, c.n, err, sizeof(err));
	struct psd_pcap_record rec;
	assert_non_null(r);
	assert_int_equal(psd_pcap_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.ts_ns, 0);
	assert_int_equal(rec.len, len - PSD_PCAP_COOKED_LEN);
	assert_int_equal(psd_pcap_next(r, &rec, err, sizeof(err)), 0);
	psd_pcap_close(r);
}

/* What the writer writes reads back, record for record. */
static void write_then_read(void **state)
{
	static uint8_t big[PSD_PCAP_SNAPLEN];
	char path[] = "/tmp/psd-pcap.XXXXXX", err[600];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct psd_pcap_writer *w = psd_pcap_create(path, err, sizeof(err));
	assert_non_null(w);
	uint8_t msg[24] = {24, 0, 0, 0, RTM_NEWLINK};
	struct psd_pcap_record a = {1700000000ull * S + 123456789, 0, false, msg, sizeof(msg)};
	struct psd_pcap_record b = {1700000001ull * S, 0xfffffffe, true, msg, sizeof(msg)};
	struct psd_pcap_record huge = {1700000002ull * S, 0, false, big, sizeof(big)};
	assert_int_equal(psd_pcap_append(w, &a), 0);
	assert_int_equal(psd_pcap_append(w, &b), 0);
	assert_int_equal(psd_pcap_append_loss(w, 1700000003ull * S, true, PSD_LOSS_DUMP_ENOBUFS), 0);
	assert_int_equal(psd_pcap_append_drained(w, 1700000004ull * S), 0);
	assert_int_equal(psd_pcap_append(w, &huge), 0);
	w = psd_pcap_finish(w);

	struct psd_pcap_reader *r = psd_pcap_open(path, err, sizeof(err));
	struct psd_pcap_record rec;
	enum psd_nl_loss why;
	assert_non_null(r);
	for (int i = 0; i < 2; i++) {
		const struct psd_pcap_record *want = i == 0 ? &a : &b;
		assert_int_equal(psd_pcap_next(r, &rec, err, sizeof(err)), 1);
		assert_int_equal(rec.ts_ns, want->ts_ns);
		assert_int_equal(rec.sender_pid, want->sender_pid);
		assert_int_equal(rec.from_dump, want->from_dump);
		assert_int_equal(rec.len, want->len);
		assert_memory_equal(rec.bytes, want->bytes, want->len);
	}
	assert_int_equal(psd_pcap_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(psd_pcap_mark_of(&rec, &why), PSD_PCAP_LOSS);
	assert_int_equal(why, PSD_LOSS_DUMP_ENOBUFS);
	assert_true(rec.from_dump);
	assert_int_equal(psd_pcap_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(psd_pcap_mark_of(&rec, &why), PSD_PCAP_DRAINED);
	/* longer than the snapshot once the cooked header is on: cut, so read as a loss */
	assert_int_equal(psd_pcap_next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(((const struct nlmsghdr *)rec.bytes)->nlmsg_type, NLMSG_OVERRUN);
	assert_int_equal(psd_pcap_next(r, &rec, err, sizeof(err)), 0);
	psd_pcap_close(r);
	unlink(path);
	assert_null(psd_pcap_create("/nonexistent/dir/x.pcap", err, sizeof(err)));
	assert_string_equal(err, "capture /nonexistent/dir/x.pcap: No such file or directory");
}

/* Opened, then read to the end: the refusal's text, at open or at a record. */
static void refused(const struct cap *c, const char *why)
{
	char err[600] = "";
	struct psd_pcap_record rec;
	struct psd_pcap_reader *r = psd_pcap_open_memory("t.pcap", c->b, c->n, err, sizeof(err));
	int got = r != NULL ? 1 : -1;
	while (r != NULL && (got = psd_pcap_next(r, &rec, err, sizeof(err))) > 0)
		;
	psd_pcap_close(r);
	if (got != -1)
		fail_msg("accepted, expected '%s'", why);
	if (strcmp(err, why) != 0)
		fail_msg("refused with '%s', expected '%s'", err, why);
}

static void pcap_refusals(void **state)
{
	struct cap c = {0};
	put_bytes(&c, "not a capture", 13);
	refused(&c, "capture t.pcap: offset 0: not a pcap or pcapng file (it starts with 6e 6f 74 20)");
	c.n = 0;
	refused(&c, "capture t.pcap: offset 0: empty: not a pcap or pcapng file");
	pcap_form(&c, true, false);
	c.n = 10;
	refused(&c, "capture t.pcap: offset 0: the pcap header: the file ends after 6 of its 20 bytes");
	pcap_form(&c, false, true);
	c.b[4] = 3;
	refused(&c, "capture t.pcap: offset 4: pcap version 3.4, expected 2.x");
	pcap_form(&c, true, true);
	c.b[23] = 1;
	refused(&c, "capture t.pcap: offset 20: link type 1, expected NETLINK (253)");
	pcap_form(&c, false, false);
	c.b[24 + 8] = 0xe0, c.b[24 + 9] = 0x93, c.b[24 + 10] = 0x04; /* caplen 300000 */
	refused(&c, "capture t.pcap: record 1 at offset 24: 300000 bytes captured, more than "
		"PSD_PCAP_SNAPLEN (262144)");
	pcap_form(&c, false, false);
	c.b[24 + 12] = 30; /* len 30 < caplen 40 */
	refused(&c, "capture t.pcap: record 1 at offset 24: 40 bytes captured of a 30-byte packet");
	pcap_form(&c, false, false);
	c.n = 24 + 16 + 10;
	refused(&c, "capture t.pcap: record 1 at offset 24: the record's bytes: the file ends after "
		"10 of its 40 bytes");
	c.n = 24 + 16 + 40 + 5;
	refused(&c, "capture t.pcap: record 2 at offset 80: a record header: the file ends after 5 "
		"of its 16 bytes");
	pcap_form(&c, false, false);
	c.b[24 + 16 + 2] = 0x01; /* hardware type 0x0138: not ARPHRD_NETLINK */
	refused(&c, "capture t.pcap: record 1 at offset 24: not a netlink packet (no 16-byte cooked "
		"header of ARPHRD_NETLINK)");
}

static void pcapng_refusals(void **state)
{
	static struct cap c;
	pcapng_form(&c, false, 6, PKTS);
	c.b[8] = 0x4e; /* byte-order magic */
	refused(&c, "capture t.pcap: offset 0: section header: byte-order magic 0x1a2b3c4e, "
		"expected 0x1a2b3c4d");
	pcapng_form(&c, true, 6, PKTS);
	c.b[13] = 2; /* version 2.0 */
	refused(&c, "capture t.pcap: offset 0: section header: version 2.0, expected 1.x");
	pcapng_form(&c, false, 6, PKTS);
	c.b[28 + 8] = 1; /* the interface's link type */
	refused(&c, "capture t.pcap: offset 28: interface 0: link type 1, expected NETLINK (253)");
	pcapng_form(&c, false, 6, PKTS);
	c.b[28 + 4] = 21; /* the interface block's length, not a multiple of 4 */
	refused(&c, "capture t.pcap: offset 28: a block of 21 bytes: expected a multiple of 4, at "
		"least 12");
	pcapng_form(&c, false, 6, PKTS);
	c.b[28 + 24 - 4] = 28; /* its closing length */
	refused(&c, "capture t.pcap: offset 28: a block of 24 bytes closed by a length of 28");
	pcapng_form(&c, false, 0x13 + 1, PKTS);
	refused(&c, "capture t.pcap: offset 28: interface 0: stamp resolution 0x14 (if_tsresol): "
		"finer than 2^-63 or 10^-19 s");
	c = (struct cap){0};
	ng_section(&c, 6);
	c.n = 28; /* the section header alone */
	refused(&c, "capture t.pcap: offset 28: the capture ends before it describes an interface");
	pcapng_form(&c, false, 6, PKTS);
	/* the first packet's interface: 3, of 1 described (after SHB 28, IDB 24, NRB 16) */
	c.b[28 + 24 + 16 + 8] = 3;
	refused(&c, "capture t.pcap: record 1 at offset 68: a packet of interface 3, of 1 described");
	pcapng_form(&c, false, 6, PKTS);
	c.b[28 + 24 + 16 + 8 + 12] = 200; /* caplen past the block */
	refused(&c, "capture t.pcap: record 1 at offset 68: 200 bytes captured in a block of 72");
	pcapng_form(&c, false, 6, PKTS);
	char why[128];
	snprintf(why, sizeof(why), "capture t.pcap: offset %zu: a block's closing length: the file "
		 "ends after 1 of its 4 bytes", c.n - 16); /* the last block: a custom one */
	c.n -= 3;
	refused(&c, why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pcap_every_form),
		cmocka_unit_test(pcapng_every_form),
		cmocka_unit_test(pcapng_simple_packet),
		cmocka_unit_test(write_then_read),
		cmocka_unit_test(pcap_refusals),
		cmocka_unit_test(pcapng_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
