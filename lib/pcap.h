/*
 * Captures of the netlink datagrams the daemon receives, in the pcap format with
 * LINKTYPE_NETLINK (253), so that tcpdump, dumpcap and Wireshark open what we write and we read
 * what they write: pcap (either byte order, microsecond or nanosecond stamps) or pcapng. The
 * format is written (pcap.c) and read (pcap_read.c) here: no capture library is linked. Each
 * packet is one datagram: the 16-byte cooked header LINKTYPE_NETLINK prescribes (packet type,
 * ARPHRD_NETLINK 824, address length, an 8-byte address, the netlink protocol), then the netlink
 * messages as the kernel sent them.
 *
 * What we write: packet type 0, address length 8, and in the address what a replay needs: the
 * sender's port id (big endian) and a flag byte (bit 0: read from the dump socket). A netlink
 * loss (ENOBUFS, MSG_TRUNC) is recorded as a datagram holding one NLMSG_OVERRUN message, which
 * is what it means to a reader. Timestamps are nanoseconds.
 *
 * What we read besides: a capture made on an nlmon interface holds every netlink family and
 * both directions, without our address. Packets of other families and requests (a first message
 * with NLM_F_REQUEST: what a program sent to the kernel) are skipped; the rest are fed as event
 * datagrams from the kernel, dump answers included (they were someone else's dump). A packet
 * cut short by the snapshot length is read as a loss (NLMSG_OVERRUN). Anything else is refused
 * with the capture's name, the byte offset and, past the header, the record number.
 */
#ifndef PSD_PCAP_H
#define PSD_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/core.h"

#define PSD_PCAP_LINKTYPE_NETLINK 253u
#define PSD_PCAP_ARPHRD_NETLINK 824u   /* the cooked header's hardware type */
#define PSD_PCAP_MAGIC_US 0xa1b2c3d4u  /* pcap, microsecond stamps */
#define PSD_PCAP_MAGIC_NS 0xa1b23c4du  /* pcap, nanosecond stamps */
#define PSD_PCAP_HEADER_LEN 24u        /* pcap's global header */
#define PSD_PCAP_SNAPLEN (256u * 1024)  /* the largest datagram a capture holds */
#define PSD_PCAP_COOKED_LEN 16u
#define PSD_PCAP_FROM_DUMP 0x01u
#define PSD_PCAP_NAME_MAX 256u /* a capture's path as messages name it (longer ones are cut) */

struct psd_pcap_record {
	uint64_t ts_ns;      /* CLOCK_REALTIME when received */
	uint32_t sender_pid; /* sockaddr_nl.nl_pid: 0 for the kernel */
	bool from_dump;
	const uint8_t *bytes; /* the netlink messages */
	size_t len;
};

/* Writing. NULL with a message in err. */
struct psd_pcap_writer;
struct psd_pcap_writer *psd_pcap_create(const char *path, char *err, size_t err_size);
/* 0, or -errno. */
int psd_pcap_append(struct psd_pcap_writer *w, const struct psd_pcap_record *r);
/* A loss, as one NLMSG_OVERRUN message whose sequence number is the cause + 1 (0, from other
 * tools and older captures, names none). */
int psd_pcap_append_loss(struct psd_pcap_writer *w, uint64_t ts_ns, bool from_dump,
			 enum psd_nl_loss why);
/* The event socket read empty after a loss (where an overrun's stale backlog ended), as one
 * NLMSG_NOOP message. */
int psd_pcap_append_drained(struct psd_pcap_writer *w, uint64_t ts_ns);
enum psd_pcap_mark {
	PSD_PCAP_DATAGRAM, /* datagrams for the core */
	PSD_PCAP_LOSS,     /* a loss this daemon recorded, with its cause */
	PSD_PCAP_DRAINED,  /* the event socket read empty after a loss */
};
enum psd_pcap_mark psd_pcap_mark_of(const struct psd_pcap_record *r, enum psd_nl_loss *why);
/* True when a recorded dump datagram ends its dump (NLMSG_DONE, or an error). */
bool psd_pcap_ends_dump(const struct psd_pcap_record *r);
/* Flushes and closes; NULL for "w = psd_pcap_finish(w)". Accepts NULL. */
struct psd_pcap_writer *psd_pcap_finish(struct psd_pcap_writer *w);

/* Reading. */
struct psd_pcap_reader;
struct psd_pcap_reader *psd_pcap_open(const char *path, char *err, size_t err_size);
/* The same over bytes in memory (the fuzzer's entry); name stands for the file. */
struct psd_pcap_reader *psd_pcap_open_memory(const char *name, const uint8_t *data, size_t len,
					     char *err, size_t err_size);
/* 1 and *ret (its bytes valid, and writable, until the next call), 0 at the end, -1 with a
 * message in err naming the record and its offset (a reader that refused stays refused). */
int psd_pcap_next(struct psd_pcap_reader *r, struct psd_pcap_record *ret, char *err,
		  size_t err_size);
void psd_pcap_close(struct psd_pcap_reader *r);
/* A replayed dump answer: every message of the datagram gets seq, the sequence number of the
 * dump asked for now (a malformed message ends the walk: the parser will say so). */
void psd_pcap_resequence(uint8_t *bytes, size_t len, uint32_t seq);

#endif
