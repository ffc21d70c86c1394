/* Netlink captures through libpcap (see pcap.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>
#include <pcap/pcap.h>

#include "log.h"
#include "pcap.h"

#define ARPHRD_NETLINK_TYPE 824u

struct psd_pcap_writer {
	pcap_t *dead; /* a pcap_t without a device: it only gives the dumper its link type */
	pcap_dumper_t *dumper;
	uint8_t packet[PSD_PCAP_SNAPLEN];
};

static void put16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

struct psd_pcap_writer *psd_pcap_create(const char *path, char *err, size_t err_size)
{
	struct psd_pcap_writer *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		psd_errorf(err, err_size, "capture %s: out of memory", path);
		return NULL;
	}
	w->dead = pcap_open_dead_with_tstamp_precision(DLT_NETLINK, PSD_PCAP_SNAPLEN,
						       PCAP_TSTAMP_PRECISION_NANO);
	if (w->dead == NULL) {
		psd_errorf(err, err_size, "capture %s: libpcap cannot open a writer", path);
		return psd_pcap_finish(w);
	}
	w->dumper = pcap_dump_open(w->dead, path);
	if (w->dumper == NULL) {
		psd_errorf(err, err_size, "capture %s", pcap_geterr(w->dead));
		return psd_pcap_finish(w);
	}
	if (pcap_dump_flush(w->dumper) < 0) { /* the file header is on disk, or we say why not */
		psd_errorf(err, err_size, "capture %s: %s", path, strerror(errno));
		return psd_pcap_finish(w);
	}
	return w;
}

int psd_pcap_append(struct psd_pcap_writer *w, const struct psd_pcap_record *r)
{
	uint8_t *c = w->packet;
	size_t room = sizeof(w->packet) - PSD_PCAP_COOKED_LEN;
	size_t len = r->len < room ? r->len : room;
	struct pcap_pkthdr h = {
		.ts = {.tv_sec = (time_t)(r->ts_ns / 1000000000u),
		       .tv_usec = (suseconds_t)(r->ts_ns % 1000000000u)}, /* ns: nano writer */
		.caplen = (bpf_u_int32)(PSD_PCAP_COOKED_LEN + len),
		.len = (bpf_u_int32)(PSD_PCAP_COOKED_LEN + r->len),
	};

	memset(c, 0, PSD_PCAP_COOKED_LEN);
	put16be(c + 0, 0); /* packet type: to us */
	put16be(c + 2, ARPHRD_NETLINK_TYPE);
	put16be(c + 4, 8); /* address length */
	c[6] = (uint8_t)(r->sender_pid >> 24);
	c[7] = (uint8_t)(r->sender_pid >> 16);
	c[8] = (uint8_t)(r->sender_pid >> 8);
	c[9] = (uint8_t)r->sender_pid;
	c[10] = r->from_dump ? PSD_PCAP_FROM_DUMP : 0;
	put16be(c + 14, NETLINK_ROUTE);
	if (len > 0)
		memcpy(c + PSD_PCAP_COOKED_LEN, r->bytes, len);
	pcap_dump((u_char *)w->dumper, &h, c);
	if (ferror(pcap_dump_file(w->dumper)))
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

struct psd_pcap_writer *psd_pcap_finish(struct psd_pcap_writer *w)
{
	if (w == NULL)
		return NULL;
	if (w->dumper != NULL)
		pcap_dump_close(w->dumper);
	if (w->dead != NULL)
		pcap_close(w->dead);
	free(w);
	return NULL;
}

struct psd_pcap_reader {
	pcap_t *p;
	char name[PSD_PCAP_NAME_MAX];
	uint64_t records;
	struct nlmsghdr overrun; /* what a packet cut short by the snapshot length reads as */
};

static struct psd_pcap_reader *start(struct psd_pcap_reader *r, const char *name,
				     const char *pcap_err, char *err, size_t err_size)
{
	if (r->p == NULL) {
		if (strstr(pcap_err, "unknown file format") != NULL ||
		    strstr(pcap_err, "truncated dump file") != NULL)
			psd_errorf(err, err_size, "capture %s: not a pcap or pcapng file (%s)", name,
				   pcap_err);
		else
			psd_errorf(err, err_size, "capture %s: %s", name, pcap_err);
		psd_pcap_close(r);
		return NULL;
	}
	if (pcap_datalink(r->p) != DLT_NETLINK) {
		psd_errorf(err, err_size, "capture %s: link type %s, expected NETLINK (%u)", name,
			   pcap_datalink_val_to_name(pcap_datalink(r->p)) != NULL ?
				   pcap_datalink_val_to_name(pcap_datalink(r->p)) : "unknown",
			   PSD_PCAP_LINKTYPE_NETLINK);
		psd_pcap_close(r);
		return NULL;
	}
	return r;
}

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

struct psd_pcap_reader *psd_pcap_open(const char *path, char *err, size_t err_size)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct psd_pcap_reader *r = reader_new(path, err, err_size);
	if (r == NULL)
		return NULL;
	r->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, pcap_err);
	return start(r, path, pcap_err, err, err_size);
}

struct psd_pcap_reader *psd_pcap_open_memory(const char *name, const uint8_t *data, size_t len,
					     char *err, size_t err_size)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	FILE *f = len > 0 ? fmemopen((void *)data, len, "rb") : NULL;
	if (f == NULL) {
		psd_errorf(err, err_size, "capture %s: empty", name);
		return NULL;
	}
	struct psd_pcap_reader *r = reader_new(name, err, err_size);
	if (r == NULL) {
		fclose(f);
		return NULL;
	}
	r->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, pcap_err);
	if (r->p == NULL)
		fclose(f); /* libpcap owns the stream only once it opened */
	return start(r, name, pcap_err, err, err_size);
}

/* 1: a datagram the kernel sent on NETLINK_ROUTE; 0: a packet a replay skips; -1: refused. */
static int classify(struct psd_pcap_reader *r, const struct pcap_pkthdr *h, const uint8_t *c,
		    struct psd_pcap_record *ret, char *err, size_t err_size)
{
	struct nlmsghdr first;
	bool ours;

	if (h->caplen < PSD_PCAP_COOKED_LEN || get16be(c + 2) != ARPHRD_NETLINK_TYPE)
		return psd_errorf(err, err_size, "capture %s: record %llu: not a netlink packet",
				  r->name, (unsigned long long)r->records);
	if (get16be(c + 14) != NETLINK_ROUTE)
		return 0;
	ours = get16be(c + 0) == 0 && get16be(c + 4) == 8;
	*ret = (struct psd_pcap_record){
		.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec,
		.sender_pid = ours ? (uint32_t)c[6] << 24 | (uint32_t)c[7] << 16 |
					     (uint32_t)c[8] << 8 | c[9] :
				     0,
		.from_dump = ours && (c[10] & PSD_PCAP_FROM_DUMP) != 0,
		.bytes = c + PSD_PCAP_COOKED_LEN,
		.len = h->caplen - PSD_PCAP_COOKED_LEN,
	};
	if (h->caplen < h->len) { /* cut short by the snapshot length: what was lost is unknown */
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

int psd_pcap_next(struct psd_pcap_reader *r, struct psd_pcap_record *ret, char *err,
		  size_t err_size)
{
	struct pcap_pkthdr *h;
	const u_char *c;

	for (;;) {
		int got = pcap_next_ex(r->p, &h, &c);
		if (got == PCAP_ERROR_BREAK)
			return 0;
		r->records++;
		if (got != 1)
			return psd_errorf(err, err_size, "capture %s: record %llu: %s", r->name,
					  (unsigned long long)r->records, pcap_geterr(r->p));
		got = classify(r, h, c, ret, err, err_size);
		if (got != 0)
			return got;
	}
}

void psd_pcap_close(struct psd_pcap_reader *r)
{
	if (r == NULL)
		return;
	if (r->p != NULL)
		pcap_close(r->p);
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
