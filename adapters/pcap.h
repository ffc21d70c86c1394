/*
 * Captures of the netlink datagrams the daemon receives, as pcap files with LINKTYPE_NETLINK
 * (253), so that tcpdump and Wireshark open them. Each packet is one datagram: the 16-byte
 * Linux cooked header LINKTYPE_NETLINK prescribes (packet type 0, ARPHRD_NETLINK 824, an 8-byte
 * address, protocol NETLINK_ROUTE 0), then the netlink messages as the kernel sent them. The
 * address carries what a replay needs: the sender's port id (big endian) and a flag byte (bit 0:
 * read from the dump socket). A netlink loss (ENOBUFS, MSG_TRUNC) is recorded as a datagram
 * holding one NLMSG_OVERRUN message, which is what it means to a reader.
 *
 * Timestamps are nanoseconds (magic 0xa1b23c4d). The reader also takes microsecond files and
 * either byte order, and refuses anything else with the file, record number and reason.
 */
#ifndef PSD_PCAP_H
#define PSD_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PSD_PCAP_LINKTYPE_NETLINK 253u
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
FILE *psd_pcap_create(const char *path, char *err, size_t err_size);
/* 0, or -errno. */
int psd_pcap_append(FILE *f, const struct psd_pcap_record *r);
/* A loss, as one NLMSG_OVERRUN message. */
int psd_pcap_append_loss(FILE *f, uint64_t ts_ns, bool from_dump);

/* Reading. */
struct psd_pcap_reader;
struct psd_pcap_reader *psd_pcap_open(const char *path, char *err, size_t err_size);
/* The same over bytes in memory (the fuzzer's entry); name stands for the file. */
struct psd_pcap_reader *psd_pcap_open_memory(const char *name, const uint8_t *data, size_t len,
					     char *err, size_t err_size);
/* 1 and *ret (valid until the next call), 0 at the end, -1 with a message in err. */
int psd_pcap_next(struct psd_pcap_reader *r, struct psd_pcap_record *ret, char *err,
		  size_t err_size);
void psd_pcap_close(struct psd_pcap_reader *r);
/* A replayed dump answer: every message of the datagram gets seq, the sequence number of the
 * dump asked for now (a malformed message ends the walk: the parser will say so). */
void psd_pcap_resequence(uint8_t *bytes, size_t len, uint32_t seq);
/* The same for the record psd_pcap_next() returned last: its bytes are the reader's own. */
void psd_pcap_resequence_last(struct psd_pcap_reader *r, uint32_t seq);

#endif
