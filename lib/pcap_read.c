/*
 * Netlink captures read (pcap.h), with no capture library: pcap and pcapng are small formats.
 *
 * pcap: the 24-byte global header (the magic tells the byte order and the stamps: 0xa1b2c3d4
 * microseconds, 0xa1b23c4d nanoseconds, either byte order; version 2.x; the link type), then
 * per record a 16-byte header (seconds, fraction, bytes captured, bytes the packet had) and the
 * bytes captured.
 *
 * pcapng (what dumpcap and editcap write): blocks of type, length, body, length again. A section
 * header (byte-order magic 0x1a2b3c4d, version 1.x) starts each section and sets its byte order;
 * interface descriptions give each interface's link type and stamp resolution (if_tsresol: 10^-n
 * or 2^-n s, microseconds by default; if_tsoffset: seconds to add); enhanced, simple and obsolete
 * packet blocks hold the packets; every other block is skipped. The first interface is read when
 * the capture is opened, so a capture of another link type is refused at once, as a pcap one is.
 *
 * Refused, naming the capture, the byte offset and, past the header, the record number: an
 * unknown magic or version, a link type other than LINKTYPE_NETLINK, more bytes captured than
 * PSD_PCAP_SNAPLEN or than the packet had, a block shorter than its fields or whose two lengths
 * differ, a packet of an interface not described, a file that ends inside a header or a record.
 * Invariant: a record returned holds only bytes read for it, at most PSD_PCAP_SNAPLEN.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "log.h"
#include "pcap.h"

#define PCAP_RECORD_HEADER_LEN 16u
#define PCAPNG_SHB 0x0a0d0d0au /* the same in either byte order */
#define PCAPNG_BYTE_ORDER 0x1a2b3c4du
#define PCAPNG_IDB 1u
#define PCAPNG_OPB 2u /* the obsolete packet block */
#define PCAPNG_SPB 3u
#define PCAPNG_EPB 6u
#define PCAPNG_OPT_END 0u
#define PCAPNG_OPT_TSRESOL 9u
#define PCAPNG_OPT_TSOFFSET 14u
#define PCAPNG_TSRESOL_DEFAULT 6u /* microseconds */
#define LINKTYPE_MASK 0x03ffffffu  /* pcap's link type field: the upper bits are FCS flags */
#define PSD_PCAPNG_BLOCK_MAX (PSD_PCAP_SNAPLEN + 64u * 1024) /* a packet block and its options */
#define PSD_PCAPNG_INTERFACES_MAX 64u /* interfaces described in one section */
#define PCAPNG_SHB_MIN 28u /* type, length, byte order, version, section length, length */
#define SKIP_CHUNK 4096u   /* the tail of a block longer than PSD_PCAPNG_BLOCK_MAX is read in these */
#define NS_PER_S 1000000000ull

struct iface {
	uint32_t snaplen; /* 0: none */
	uint8_t tsresol;
	int64_t tsoffset_s;
};

struct psd_pcap_reader {
	FILE *in;
	char name[PSD_PCAP_NAME_MAX];
	bool ng;              /* pcapng, else pcap */
	bool swapped;         /* the file's (or the section's) byte order is not ours */
	bool refused;
	uint32_t ns_per_tick; /* pcap: 1000 or 1 */
	uint64_t offset;      /* of the next byte to read */
	uint64_t records;     /* packets met so far, skipped ones included */
	uint64_t record;      /* the packet being read (1 the first), 0: none */
	uint64_t at;          /* where the record or block being read began */
	uint32_t if_count;
	struct iface ifs[PSD_PCAPNG_INTERFACES_MAX];
	struct nlmsghdr overrun; /* what a packet cut short by the snapshot length reads as */
	uint8_t buf[PSD_PCAPNG_BLOCK_MAX];
};

static int refuse(struct psd_pcap_reader *r, char *err, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "capture NAME: offset N: why", or with the record "capture NAME: record K at offset N: why" */
static int refuse(struct psd_pcap_reader *r, char *err, size_t size, const char *fmt, ...)
{
	char why[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->refused = true;
	if (r->record > 0)
		return psd_errorf(err, size, "capture %s: record %llu at offset %llu: %s", r->name,
				  (unsigned long long)r->record, (unsigned long long)r->at, why);
	return psd_errorf(err, size, "capture %s: offset %llu: %s", r->name,
			  (unsigned long long)r->at, why);
}

/* The cooked header is big endian, whatever the file's byte order. */
static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t swap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static uint16_t u16(const struct psd_pcap_reader *r, const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return r->swapped ? __builtin_bswap16(v) : v;
}

static uint32_t u32(const struct psd_pcap_reader *r, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return r->swapped ? swap32(v) : v;
}

static uint64_t u64(const struct psd_pcap_reader *r, const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return r->swapped ? __builtin_bswap64(v) : v;
}

/* n bytes, all of them or refused: 1; nothing at all where end is allowed: 0; -1 refused. */
static int take(struct psd_pcap_reader *r, void *p, size_t n, bool end_ok, const char *what,
		char *err, size_t size)
{
	size_t got = n > 0 ? fread(p, 1, n, r->in) : 0;
	r->offset += got;
	if (got == n)
		return 1;
	if (ferror(r->in))
		return refuse(r, err, size, "%s: %s", what, strerror(errno));
	if (got == 0 && end_ok)
		return 0;
	return refuse(r, err, size, "%s: the file ends after %zu of its %zu bytes", what, got, n);
}

/* A packet's cooked header and datagram: 1 for the core, 0 skipped, -1 refused. */
static int packet(struct psd_pcap_reader *r, uint64_t ts_ns, const uint8_t *c, uint32_t caplen,
		  uint32_t len, struct psd_pcap_record *ret, char *err, size_t size)
{
	struct nlmsghdr first;
	bool ours;

	if (caplen > len)
		return refuse(r, err, size, "%u bytes captured of a %u-byte packet", caplen, len);
	if (caplen < PSD_PCAP_COOKED_LEN || be16(c + 2) != PSD_PCAP_ARPHRD_NETLINK)
		return refuse(r, err, size, "not a netlink packet (no %u-byte cooked header of "
			      "ARPHRD_NETLINK)", PSD_PCAP_COOKED_LEN);
	if (be16(c + 14) != NETLINK_ROUTE)
		return 0;
	ours = be16(c + 0) == 0 && be16(c + 4) == 8;
	*ret = (struct psd_pcap_record){
		.ts_ns = ts_ns,
		.sender_pid = ours ? (uint32_t)c[6] << 24 | (uint32_t)c[7] << 16 |
					     (uint32_t)c[8] << 8 | c[9] :
				     0,
		.from_dump = ours && (c[10] & PSD_PCAP_FROM_DUMP) != 0,
		.bytes = c + PSD_PCAP_COOKED_LEN,
		.len = caplen - PSD_PCAP_COOKED_LEN,
	};
	if (caplen < len) { /* cut short by the snapshot length: what was lost is unknown */
		ret->bytes = (const uint8_t *)&r->overrun;
		ret->len = sizeof(r->overrun);
		return 1;
	}
	if (!ours && ret->len >= sizeof(first)) {
		memcpy(&first, ret->bytes, sizeof(first));
		if ((first.nlmsg_flags & NLM_F_REQUEST) != 0)
			return 0; /* sent to the kernel, not received from it */
	}
	return 1;
}

/* --- pcap ------------------------------------------------------------------------------------- */

/* The global header after its magic (already read into h). */
static int pcap_header(struct psd_pcap_reader *r, uint8_t *h, char *err, size_t size)
{
	if (take(r, h + 4, PSD_PCAP_HEADER_LEN - 4, false, "the pcap header", err, size) < 0)
		return -1;
	r->at = 4;
	if (u16(r, h + 4) != 2)
		return refuse(r, err, size, "pcap version %u.%u, expected 2.x", u16(r, h + 4),
			      u16(r, h + 6));
	r->at = 20;
	uint32_t link = u32(r, h + 20) & LINKTYPE_MASK;
	if (link != PSD_PCAP_LINKTYPE_NETLINK)
		return refuse(r, err, size, "link type %u, expected NETLINK (%u)", link,
			      PSD_PCAP_LINKTYPE_NETLINK);
	return 0;
}

static int pcap_next(struct psd_pcap_reader *r, struct psd_pcap_record *ret, char *err,
		     size_t size)
{
	uint8_t h[PCAP_RECORD_HEADER_LEN];
	for (;;) {
		r->at = r->offset;
		r->record = r->records + 1;
		int got = take(r, h, sizeof(h), true, "a record header", err, size);
		if (got <= 0)
			return got;
		r->records++;
		uint32_t caplen = u32(r, h + 8), len = u32(r, h + 12);
		if (caplen > PSD_PCAP_SNAPLEN)
			return refuse(r, err, size, "%u bytes captured, more than PSD_PCAP_SNAPLEN "
				      "(%u)", caplen, PSD_PCAP_SNAPLEN);
		if (take(r, r->buf, caplen, false, "the record's bytes", err, size) < 0)
			return -1;
		uint64_t ts = (uint64_t)u32(r, h) * NS_PER_S + (uint64_t)u32(r, h + 4) * r->ns_per_tick;
		got = packet(r, ts, r->buf, caplen, len, ret, err, size);
		if (got != 0)
			return got;
	}
}

/* --- pcapng ----------------------------------------------------------------------------------- */

static uint64_t pow10u(unsigned n)
{
	uint64_t p = 1;
	while (n-- > 0)
		p *= 10;
	return p;
}

/* An interface's stamp ticks in nanoseconds. */
static uint64_t tick_ns(const struct iface *f, uint64_t ticks)
{
	unsigned v = f->tsresol & 0x7fu;
	uint64_t ns;
	if ((f->tsresol & 0x80u) != 0) /* 2^-v s */
		ns = (uint64_t)(((unsigned __int128)ticks * NS_PER_S) >> v);
	else if (v <= 9) /* 10^-v s */
		ns = ticks * pow10u(9 - v);
	else
		ns = ticks / pow10u(v - 9);
	return ns + (uint64_t)f->tsoffset_s * NS_PER_S;
}

/* An interface description of n body bytes: NETLINK only; its snapshot length and stamps. */
static int interface(struct psd_pcap_reader *r, const uint8_t *b, uint32_t n, char *err,
		     size_t size)
{
	if (n < 8)
		return refuse(r, err, size, "an interface block of %u bytes, shorter than its fields",
			      n + 12);
	if (u16(r, b) != PSD_PCAP_LINKTYPE_NETLINK)
		return refuse(r, err, size, "interface %u: link type %u, expected NETLINK (%u)",
			      r->if_count, u16(r, b), PSD_PCAP_LINKTYPE_NETLINK);
	if (r->if_count == PSD_PCAPNG_INTERFACES_MAX)
		return refuse(r, err, size, "more than %u interfaces in a section "
			      "(PSD_PCAPNG_INTERFACES_MAX)", PSD_PCAPNG_INTERFACES_MAX);
	struct iface *f = &r->ifs[r->if_count];
	*f = (struct iface){.snaplen = u32(r, b + 4), .tsresol = PCAPNG_TSRESOL_DEFAULT};
	for (uint32_t at = 8; at + 4 <= n;) {
		uint16_t code = u16(r, b + at), len = u16(r, b + at + 2);
		if (code == PCAPNG_OPT_END)
			break;
		if (len > n - at - 4)
			return refuse(r, err, size, "interface %u: option %u runs past its block",
				      r->if_count, code);
		if (code == PCAPNG_OPT_TSRESOL && len == 1)
			f->tsresol = b[at + 4];
		if (code == PCAPNG_OPT_TSOFFSET && len == 8)
			f->tsoffset_s = (int64_t)u64(r, b + at + 4);
		at += 4 + ((len + 3u) & ~3u);
	}
	if ((f->tsresol & 0x80u) != 0 ? (f->tsresol & 0x7fu) > 63 : f->tsresol > 19)
		return refuse(r, err, size, "interface %u: stamp resolution 0x%02x (if_tsresol): "
			      "finer than 2^-63 or 10^-19 s", r->if_count, f->tsresol);
	r->if_count++;
	return 0;
}

/* A packet block (enhanced, obsolete or simple) of n body bytes in b. */
static int packet_block(struct psd_pcap_reader *r, uint32_t type, const uint8_t *b, uint32_t n,
			struct psd_pcap_record *ret, char *err, size_t size)
{
	uint32_t fixed = type == PCAPNG_SPB ? 4 : 20;
	if (n < fixed)
		return refuse(r, err, size, "a packet block of %u bytes, shorter than its fields",
			      n + 12);
	uint32_t iface = type == PCAPNG_SPB ? 0 : type == PCAPNG_OPB ? u16(r, b) : u32(r, b);
	if (iface >= r->if_count)
		return refuse(r, err, size, "a packet of interface %u, of %u described", iface,
			      r->if_count);
	uint32_t len = u32(r, b + (type == PCAPNG_SPB ? 0 : 16));
	uint32_t caplen = type == PCAPNG_SPB ? len : u32(r, b + 12);
	if (type == PCAPNG_SPB) { /* as much as the block and the interface's snapshot hold */
		caplen = caplen < n - fixed ? caplen : n - fixed;
		if (r->ifs[0].snaplen != 0 && caplen > r->ifs[0].snaplen)
			caplen = r->ifs[0].snaplen;
	} else if (caplen > n - fixed) {
		return refuse(r, err, size, "%u bytes captured in a block of %u", caplen, n + 12);
	}
	if (caplen > PSD_PCAP_SNAPLEN)
		return refuse(r, err, size, "%u bytes captured, more than PSD_PCAP_SNAPLEN (%u)",
			      caplen, PSD_PCAP_SNAPLEN);
	uint64_t ts = type == PCAPNG_SPB ? 0 : (uint64_t)u32(r, b + 4) << 32 | u32(r, b + 8);
	return packet(r, tick_ns(&r->ifs[iface], ts), b + fixed, caplen, len, ret, err, size);
}

/* A block whose 4 type bytes were read: its body's first PSD_PCAPNG_BLOCK_MAX bytes into r->buf
 * (the rest is read and dropped: no block we use is longer) and its length in *ret_n. A section
 * header sets the byte order and starts the interfaces anew. 0, or -1 refused. */
static int block_rest(struct psd_pcap_reader *r, const uint8_t *type_bytes, uint32_t *ret_type,
		      uint32_t *ret_n, char *err, size_t size)
{
	uint8_t h[8], sink[SKIP_CHUNK];
	uint32_t type;
	memcpy(&type, type_bytes, 4);
	bool shb = type == PCAPNG_SHB;
	if (take(r, h, shb ? 8 : 4, false, "a block header", err, size) < 0)
		return -1;
	if (shb) { /* the byte order first: it tells the length's */
		uint32_t bom;
		memcpy(&bom, h + 4, 4);
		if (bom != PCAPNG_BYTE_ORDER && swap32(bom) != PCAPNG_BYTE_ORDER)
			return refuse(r, err, size, "section header: byte-order magic 0x%08x, "
				      "expected 0x%08x", bom, PCAPNG_BYTE_ORDER);
		r->swapped = bom != PCAPNG_BYTE_ORDER;
		r->if_count = 0;
		memcpy(r->buf, h + 4, 4);
	}
	uint32_t total = u32(r, h), have = shb ? 4 : 0;
	if (total % 4 != 0 || total < (shb ? PCAPNG_SHB_MIN : 12))
		return refuse(r, err, size, "a block of %u bytes: expected a multiple of 4, at least "
			      "%u", total, shb ? PCAPNG_SHB_MIN : 12);
	uint32_t n = total - 12, kept = n < sizeof(r->buf) ? n : (uint32_t)sizeof(r->buf);
	if (take(r, r->buf + have, kept - have, false, "a block", err, size) < 0)
		return -1;
	for (uint32_t left = n - kept, chunk; left > 0; left -= chunk) {
		chunk = left < sizeof(sink) ? left : (uint32_t)sizeof(sink);
		if (take(r, sink, chunk, false, "a block", err, size) < 0)
			return -1;
	}
	if (take(r, h, 4, false, "a block's closing length", err, size) < 0)
		return -1;
	if (u32(r, h) != total)
		return refuse(r, err, size, "a block of %u bytes closed by a length of %u", total,
			      u32(r, h));
	if (shb && u16(r, r->buf + 4) != 1)
		return refuse(r, err, size, "section header: version %u.%u, expected 1.x",
			      u16(r, r->buf + 4), u16(r, r->buf + 6));
	*ret_type = u32(r, type_bytes);
	*ret_n = n;
	return 0;
}

/* The next block: 1, 0 at the end, -1 refused. */
static int block(struct psd_pcap_reader *r, uint32_t *ret_type, uint32_t *ret_n, char *err,
		 size_t size)
{
	uint8_t type[4];
	r->at = r->offset;
	r->record = 0;
	int got = take(r, type, 4, true, "a block's type", err, size);
	if (got <= 0)
		return got;
	return block_rest(r, type, ret_type, ret_n, err, size) < 0 ? -1 : 1;
}

static int pcapng_next(struct psd_pcap_reader *r, struct psd_pcap_record *ret, char *err,
		       size_t size)
{
	uint32_t type, n;
	int got;
	while ((got = block(r, &type, &n, err, size)) > 0) {
		uint32_t kept = n < sizeof(r->buf) ? n : (uint32_t)sizeof(r->buf);
		if (type == PCAPNG_IDB && interface(r, r->buf, kept, err, size) < 0)
			return -1;
		if (type != PCAPNG_EPB && type != PCAPNG_SPB && type != PCAPNG_OPB)
			continue;
		r->record = ++r->records;
		if (n > sizeof(r->buf))
			return refuse(r, err, size, "a packet block of %u bytes, longer than "
				      "PSD_PCAPNG_BLOCK_MAX (%u)", n + 12, PSD_PCAPNG_BLOCK_MAX);
		got = packet_block(r, type, r->buf, n, ret, err, size);
		if (got != 0)
			return got;
	}
	return got;
}

/* The section header whose type start() read, then blocks up to the first interface. */
static int pcapng_start(struct psd_pcap_reader *r, const uint8_t *type, char *err, size_t size)
{
	uint32_t t, n;
	int got;
	r->ng = true;
	if (block_rest(r, type, &t, &n, err, size) < 0)
		return -1;
	while ((got = block(r, &t, &n, err, size)) > 0 && t != PCAPNG_IDB)
		if (t == PCAPNG_EPB || t == PCAPNG_SPB || t == PCAPNG_OPB)
			return refuse(r, err, size, "a packet before any interface is described");
	if (got == 0)
		return refuse(r, err, size, "the capture ends before it describes an interface");
	if (got < 0)
		return -1;
	return interface(r, r->buf, n < sizeof(r->buf) ? n : (uint32_t)sizeof(r->buf), err, size);
}

/* --- opening ---------------------------------------------------------------------------------- */

static struct psd_pcap_reader *reader_new(const char *name, char *err, size_t err_size)
{
	struct psd_pcap_reader *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		psd_errorf(err, err_size, "capture %s: out of memory", name);
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->overrun = (struct nlmsghdr){.nlmsg_len = sizeof(r->overrun),
				       .nlmsg_type = NLMSG_OVERRUN};
	return r;
}

/* The magic, then the pcap header, or the pcapng section header and first interface. */
static struct psd_pcap_reader *start(struct psd_pcap_reader *r, char *err, size_t size)
{
	uint8_t h[PSD_PCAP_HEADER_LEN];
	uint32_t magic;
	int got = take(r, h, 4, true, "the magic", err, size);
	if (got == 0)
		refuse(r, err, size, "empty: not a pcap or pcapng file");
	if (got > 0) {
		memcpy(&magic, h, 4);
		r->swapped = magic != PSD_PCAP_MAGIC_US && magic != PSD_PCAP_MAGIC_NS;
		uint32_t m = r->swapped ? swap32(magic) : magic;
		r->ns_per_tick = m == PSD_PCAP_MAGIC_US ? 1000 : 1;
		if (magic == PCAPNG_SHB)
			got = pcapng_start(r, h, err, size);
		else if (m == PSD_PCAP_MAGIC_US || m == PSD_PCAP_MAGIC_NS)
			got = pcap_header(r, h, err, size);
		else
			got = refuse(r, err, size, "not a pcap or pcapng file (it starts with "
				     "%02x %02x %02x %02x)", h[0], h[1], h[2], h[3]);
	}
	if (got >= 0 && !r->refused)
		return r;
	psd_pcap_close(r);
	return NULL;
}

struct psd_pcap_reader *psd_pcap_open(const char *path, char *err, size_t err_size)
{
	struct psd_pcap_reader *r = reader_new(path, err, err_size);
	if (r == NULL)
		return NULL;
	r->in = fopen(path, "rbe");
	if (r->in == NULL) {
		psd_errorf(err, err_size, "capture %s: %s", path, strerror(errno));
		psd_pcap_close(r);
		return NULL;
	}
	return start(r, err, err_size);
}

struct psd_pcap_reader *psd_pcap_open_memory(const char *name, const uint8_t *data, size_t len,
					     char *err, size_t err_size)
{
	struct psd_pcap_reader *r = reader_new(name, err, err_size);
	if (r == NULL)
		return NULL;
	r->in = len > 0 ? fmemopen((void *)data, len, "rb") : NULL;
	if (r->in == NULL) {
		psd_errorf(err, err_size, "capture %s: offset 0: empty: not a pcap or pcapng file",
			   name);
		psd_pcap_close(r);
		return NULL;
	}
	return start(r, err, err_size);
}

int psd_pcap_next(struct psd_pcap_reader *r, struct psd_pcap_record *ret, char *err,
		  size_t err_size)
{
	if (r->refused)
		return psd_errorf(err, err_size, "capture %s: refused already", r->name);
	return r->ng ? pcapng_next(r, ret, err, err_size) : pcap_next(r, ret, err, err_size);
}

void psd_pcap_close(struct psd_pcap_reader *r)
{
	if (r == NULL)
		return;
	if (r->in != NULL)
		fclose(r->in);
	free(r);
}
