/* pcap captures of netlink datagrams (see pcap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "adapters.h"
#include "pcap.h"

#define MAGIC_NS 0xa1b23c4du
#define MAGIC_US 0xa1b2c3d4u
#define ARPHRD_NETLINK_TYPE 824u

struct global_header {
	uint32_t magic;
	uint16_t major, minor;
	int32_t zone;
	uint32_t sigfigs, snaplen, linktype;
};

struct record_header {
	uint32_t ts_sec, ts_frac, incl_len, orig_len;
};

FILE *psd_pcap_create(const char *path, char *err, size_t err_size)
{
	struct global_header g = {MAGIC_NS, 2, 4, 0, 0, PSD_PCAP_SNAPLEN, PSD_PCAP_LINKTYPE_NETLINK};
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		psd_errorf(err, err_size, "capture %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fwrite(&g, sizeof(g), 1, f) != 1 || fflush(f) != 0) {
		psd_errorf(err, err_size, "capture %s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	return f;
}

static void put16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int psd_pcap_append(FILE *f, const struct psd_pcap_record *r)
{
	uint8_t cooked[PSD_PCAP_COOKED_LEN] = {0};
	size_t len = r->len < PSD_PCAP_SNAPLEN - PSD_PCAP_COOKED_LEN ? r->len :
								      PSD_PCAP_SNAPLEN - PSD_PCAP_COOKED_LEN;
	struct record_header h = {
		.ts_sec = (uint32_t)(r->ts_ns / 1000000000u),
		.ts_frac = (uint32_t)(r->ts_ns % 1000000000u),
		.incl_len = (uint32_t)(PSD_PCAP_COOKED_LEN + len),
		.orig_len = (uint32_t)(PSD_PCAP_COOKED_LEN + r->len),
	};
	put16be(cooked + 0, 0); /* packet type: to us */
	put16be(cooked + 2, ARPHRD_NETLINK_TYPE);
	put16be(cooked + 4, 8); /* address length */
	cooked[6] = (uint8_t)(r->sender_pid >> 24);
	cooked[7] = (uint8_t)(r->sender_pid >> 16);
	cooked[8] = (uint8_t)(r->sender_pid >> 8);
	cooked[9] = (uint8_t)r->sender_pid;
	cooked[10] = r->from_dump ? PSD_PCAP_FROM_DUMP : 0;
	put16be(cooked + 14, NETLINK_ROUTE);
	if (fwrite(&h, sizeof(h), 1, f) != 1 || fwrite(cooked, sizeof(cooked), 1, f) != 1 ||
	    (len > 0 && fwrite(r->bytes, len, 1, f) != 1))
		return -errno;
	return 0;
}

int psd_pcap_append_loss(FILE *f, uint64_t ts_ns, bool from_dump)
{
	struct nlmsghdr overrun = {.nlmsg_len = sizeof(overrun), .nlmsg_type = NLMSG_OVERRUN};
	struct psd_pcap_record r = {
		.ts_ns = ts_ns, .from_dump = from_dump, .bytes = (const uint8_t *)&overrun,
		.len = sizeof(overrun),
	};
	return psd_pcap_append(f, &r);
}

struct psd_pcap_reader {
	FILE *f;
	uint8_t *copy; /* psd_pcap_open_memory(): the bytes f reads (fmemopen wants them writable) */
	char name[PSD_PCAP_NAME_MAX];
	bool swapped;
	bool nanoseconds;
	uint64_t records;
	size_t last_len; /* bytes of the datagram psd_pcap_next() returned last, in buf */
	uint8_t buf[PSD_PCAP_SNAPLEN];
};

static uint32_t fix32(const struct psd_pcap_reader *r, uint32_t v)
{
	return r->swapped ? __builtin_bswap32(v) : v;
}

static struct psd_pcap_reader *start(FILE *f, const char *name, char *err, size_t err_size)
{
	struct global_header g;
	struct psd_pcap_reader *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		psd_errorf(err, err_size, "capture %s: out of memory", name);
		fclose(f);
		return NULL;
	}
	r->f = f;
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (fread(&g, sizeof(g), 1, f) != 1) {
		psd_errorf(err, err_size, "capture %s: shorter than a pcap header", name);
		goto fail;
	}
	r->swapped = g.magic == __builtin_bswap32(MAGIC_NS) || g.magic == __builtin_bswap32(MAGIC_US);
	uint32_t magic = fix32(r, g.magic);
	if (magic != MAGIC_NS && magic != MAGIC_US) {
		psd_errorf(err, err_size, "capture %s: not a pcap file (magic %08x)", name, g.magic);
		goto fail;
	}
	r->nanoseconds = magic == MAGIC_NS;
	if (fix32(r, g.linktype) != PSD_PCAP_LINKTYPE_NETLINK) {
		psd_errorf(err, err_size, "capture %s: link type %u, expected %u (LINKTYPE_NETLINK)",
			   name, fix32(r, g.linktype), PSD_PCAP_LINKTYPE_NETLINK);
		goto fail;
	}
	return r;
fail:
	psd_pcap_close(r);
	return NULL;
}

struct psd_pcap_reader *psd_pcap_open(const char *path, char *err, size_t err_size)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		psd_errorf(err, err_size, "capture %s: %s", path, strerror(errno));
		return NULL;
	}
	return start(f, path, err, err_size);
}

struct psd_pcap_reader *psd_pcap_open_memory(const char *name, const uint8_t *data, size_t len,
					     char *err, size_t err_size)
{
	uint8_t *copy = len > 0 ? malloc(len) : NULL;
	FILE *f = copy != NULL ? fmemopen(memcpy(copy, data, len), len, "rb") : NULL;
	if (f == NULL) {
		psd_errorf(err, err_size, "capture %s: %s", name, len > 0 ? "out of memory" : "empty");
		free(copy);
		return NULL;
	}
	struct psd_pcap_reader *r = start(f, name, err, err_size);
	if (r == NULL)
		free(copy);
	else
		r->copy = copy;
	return r;
}

int psd_pcap_next(struct psd_pcap_reader *r, struct psd_pcap_record *ret, char *err,
		  size_t err_size)
{
	struct record_header h;
	size_t got = fread(&h, 1, sizeof(h), r->f);
	if (got == 0 && feof(r->f))
		return 0;
	r->records++;
	if (got != sizeof(h))
		return psd_errorf(err, err_size, "capture %s: record %llu: truncated header", r->name,
				  (unsigned long long)r->records);
	uint32_t len = fix32(r, h.incl_len);
	if (len < PSD_PCAP_COOKED_LEN || len > sizeof(r->buf))
		return psd_errorf(err, err_size, "capture %s: record %llu: length %u outside %u..%zu",
				  r->name, (unsigned long long)r->records, len,
				  PSD_PCAP_COOKED_LEN, sizeof(r->buf));
	if (fread(r->buf, 1, len, r->f) != len)
		return psd_errorf(err, err_size, "capture %s: record %llu: truncated packet",
				  r->name, (unsigned long long)r->records);
	const uint8_t *c = r->buf;
	if (((c[2] << 8) | c[3]) != ARPHRD_NETLINK_TYPE || ((c[14] << 8) | c[15]) != NETLINK_ROUTE)
		return psd_errorf(err, err_size,
				  "capture %s: record %llu: not a NETLINK_ROUTE datagram", r->name,
				  (unsigned long long)r->records);
	uint64_t frac = fix32(r, h.ts_frac);
	r->last_len = len - PSD_PCAP_COOKED_LEN;
	*ret = (struct psd_pcap_record){
		.ts_ns = (uint64_t)fix32(r, h.ts_sec) * 1000000000u +
			 (r->nanoseconds ? frac : frac * 1000u),
		.sender_pid = (uint32_t)c[6] << 24 | (uint32_t)c[7] << 16 | (uint32_t)c[8] << 8 | c[9],
		.from_dump = (c[10] & PSD_PCAP_FROM_DUMP) != 0,
		.bytes = r->buf + PSD_PCAP_COOKED_LEN,
		.len = len - PSD_PCAP_COOKED_LEN,
	};
	return 1;
}

void psd_pcap_resequence_last(struct psd_pcap_reader *r, uint32_t seq)
{
	psd_pcap_resequence(r->buf + PSD_PCAP_COOKED_LEN, r->last_len, seq);
}

void psd_pcap_close(struct psd_pcap_reader *r)
{
	if (r == NULL)
		return;
	if (r->f != NULL)
		fclose(r->f);
	free(r->copy);
	free(r);
}

void psd_pcap_resequence(uint8_t *bytes, size_t len, uint32_t seq)
{
	struct nlmsghdr h;
	for (size_t off = 0; off + sizeof(h) <= len; off += NLMSG_ALIGN(h.nlmsg_len)) {
		memcpy(&h, bytes + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return;
		h.nlmsg_seq = seq;
		memcpy(bytes + off, &h, sizeof(h));
	}
}
