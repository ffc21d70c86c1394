/*
 * Netlink captures written (pcap.h), and what a record means to a replay. The pcap format is
 * written here, no capture library is linked: libpcap would map D-Bus (its capture sources) into
 * every program that links this file. pcap_read.c reads captures.
 *
 * What we write: pcap (the 24-byte global header, then a 16-byte header per record), in this
 * machine's byte order, nanosecond stamps (magic 0xa1b23c4d), version 2.4, snapshot length
 * PSD_PCAP_SNAPLEN, LINKTYPE_NETLINK. Each record is the 16-byte cooked header and the datagram,
 * cut to the snapshot length (its header keeps the datagram's full length).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "log.h"
#include "pcap.h"

#define NS_PER_S 1000000000ull

static void put16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* --- writing -------------------------------------------------------------------------------- */

struct psd_pcap_writer {
	FILE *out;
};

/* Words in this machine's byte order, as libpcap writes them: readers tell it by the magic. */
static bool put_words(FILE *out, const uint32_t *w, size_t n)
{
	return fwrite(w, sizeof(*w), n, out) == n;
}

struct psd_pcap_writer *psd_pcap_create(const char *path, char *err, size_t err_size)
{
	struct psd_pcap_writer *w = calloc(1, sizeof(*w));
	const uint16_t version[2] = {2, 4}; /* major, minor */
	uint32_t header[PSD_PCAP_HEADER_LEN / 4] = {PSD_PCAP_MAGIC_NS, 0, 0 /* thiszone */, 0 /* sigfigs */,
						PSD_PCAP_SNAPLEN, PSD_PCAP_LINKTYPE_NETLINK};
	memcpy(&header[1], version, sizeof(version));
	if (w == NULL) {
		psd_errorf(err, err_size, "capture %s: out of memory", path);
		return NULL;
	}
	w->out = fopen(path, "wbe");
	if (w->out == NULL) {
		psd_errorf(err, err_size, "capture %s: %s", path, strerror(errno));
		return psd_pcap_finish(w);
	}
	if (!put_words(w->out, header, PSD_PCAP_HEADER_LEN / 4) || fflush(w->out) != 0) {
		psd_errorf(err, err_size, "capture %s: %s", path, strerror(errno));
		return psd_pcap_finish(w); /* the header is on disk, or we said why not */
	}
	return w;
}

int psd_pcap_append(struct psd_pcap_writer *w, const struct psd_pcap_record *r)
{
	uint8_t c[PSD_PCAP_COOKED_LEN] = {0};
	size_t room = PSD_PCAP_SNAPLEN - PSD_PCAP_COOKED_LEN;
	size_t len = r->len < room ? r->len : room;
	const uint32_t h[] = {(uint32_t)(r->ts_ns / NS_PER_S), (uint32_t)(r->ts_ns % NS_PER_S),
			      (uint32_t)(PSD_PCAP_COOKED_LEN + len),
			      (uint32_t)(PSD_PCAP_COOKED_LEN + r->len)};

	put16be(c + 0, 0); /* packet type: to us */
	put16be(c + 2, PSD_PCAP_ARPHRD_NETLINK);
	put16be(c + 4, 8); /* address length */
	c[6] = (uint8_t)(r->sender_pid >> 24);
	c[7] = (uint8_t)(r->sender_pid >> 16);
	c[8] = (uint8_t)(r->sender_pid >> 8);
	c[9] = (uint8_t)r->sender_pid;
	c[10] = r->from_dump ? PSD_PCAP_FROM_DUMP : 0;
	put16be(c + 14, NETLINK_ROUTE);
	if (!put_words(w->out, h, 4) || fwrite(c, 1, sizeof(c), w->out) != sizeof(c) ||
	    (len > 0 && fwrite(r->bytes, 1, len, w->out) != len))
		return errno != 0 ? -errno : -EIO;
	return 0;
}

static int append_mark(struct psd_pcap_writer *w, uint64_t ts_ns, bool from_dump, uint16_t type,
		       uint32_t seq)
{
	struct nlmsghdr mark = {.nlmsg_len = sizeof(mark), .nlmsg_type = type, .nlmsg_seq = seq};
	struct psd_pcap_record r = {
		.ts_ns = ts_ns, .from_dump = from_dump, .bytes = (const uint8_t *)&mark,
		.len = sizeof(mark),
	};
	return psd_pcap_append(w, &r);
}

int psd_pcap_append_loss(struct psd_pcap_writer *w, uint64_t ts_ns, bool from_dump,
			 enum psd_nl_loss why)
{
	return append_mark(w, ts_ns, from_dump, NLMSG_OVERRUN, (uint32_t)why + 1);
}

int psd_pcap_append_drained(struct psd_pcap_writer *w, uint64_t ts_ns)
{
	return append_mark(w, ts_ns, false, NLMSG_NOOP, 0);
}

struct psd_pcap_writer *psd_pcap_finish(struct psd_pcap_writer *w)
{
	if (w == NULL)
		return NULL;
	if (w->out != NULL)
		fclose(w->out);
	free(w);
	return NULL;
}

/* --- what a record means ---------------------------------------------------------------------- */

bool psd_pcap_ends_dump(const struct psd_pcap_record *r)
{
	struct nlmsghdr h;
	for (size_t off = 0; off + sizeof(h) <= r->len; off += NLMSG_ALIGN(h.nlmsg_len)) {
		memcpy(&h, r->bytes + off, sizeof(h));
		if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR)
			return true;
		if (h.nlmsg_len < sizeof(h))
			return false; /* malformed: the core will say so */
	}
	return false;
}

enum psd_pcap_mark psd_pcap_mark_of(const struct psd_pcap_record *r, enum psd_nl_loss *why)
{
	struct nlmsghdr h;
	if (r->len != sizeof(h))
		return PSD_PCAP_DATAGRAM;
	memcpy(&h, r->bytes, sizeof(h));
	if (h.nlmsg_len != sizeof(h))
		return PSD_PCAP_DATAGRAM;
	if (h.nlmsg_type == NLMSG_NOOP && !r->from_dump)
		return PSD_PCAP_DRAINED;
	if (h.nlmsg_type != NLMSG_OVERRUN || h.nlmsg_seq == 0 || h.nlmsg_seq > _PSD_LOSS_MAX)
		return PSD_PCAP_DATAGRAM; /* another tool's, or an older capture's: the core reads it */
	*why = (enum psd_nl_loss)(h.nlmsg_seq - 1);
	return PSD_PCAP_LOSS;
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
