/*
 * One rtnetlink link message as the walker decoded it, and the walker's verdicts.
 * Every field is bounded by limits.h; strings are NUL-terminated copies, never pointers into
 * the datagram, so a record outlives the bytes it came from.
 */
#ifndef PSD_LINK_H
#define PSD_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psd/limits.h"

enum psd_nl_msg_kind {
	PSD_NLMSG_LINK,    /* RTM_NEWLINK or RTM_DELLINK, parsed into struct psd_link */
	PSD_NLMSG_DONE,    /* end of a dump */
	PSD_NLMSG_ERROR,   /* NLMSG_ERROR: an ACK (error 0) or a failed request */
	PSD_NLMSG_OVERRUN, /* NLMSG_OVERRUN: the kernel says data was lost */
	PSD_NLMSG_IGNORED, /* NOOP or a type we do not handle */
};

/* Why a message or datagram was refused; each has a counter in the core. */
enum psd_nl_error {
	PSD_NLE_NONE,
	PSD_NLE_SHORT_DATAGRAM,  /* bytes left over that cannot hold a header */
	PSD_NLE_BAD_MSG_LEN,     /* nlmsg_len below the header or past the datagram */
	PSD_NLE_SHORT_PAYLOAD,   /* family header, nlmsgerr or DONE payload missing */
	PSD_NLE_BAD_ATTR_LEN,    /* nla_len below the header or past the message */
	PSD_NLE_ATTR_TRAILING,   /* bytes after the last attribute */
	PSD_NLE_ATTR_POLICY,     /* an attribute of the wrong size or an unterminated string */
	PSD_NLE_ATTR_SEQUENCE,   /* no IFLA_IFNAME, or a repeated attribute (grammar) */
	PSD_NLE_TOO_MANY_ATTRS,  /* more than PSD_NL_ATTRS_MAX attributes */
	_PSD_NLE_MAX,
};

#define PSD_AF_BRIDGE 7u /* AF_BRIDGE, named here so the core needs no <sys/socket.h> */

struct psd_link {
	uint16_t msg_type;   /* RTM_NEWLINK or RTM_DELLINK */
	uint16_t msg_flags;  /* nlmsg_flags */
	uint32_t msg_seq;
	uint32_t msg_pid;
	uint8_t family;      /* AF_UNSPEC or PSD_AF_BRIDGE in practice */
	int32_t ifindex;
	uint32_t flags;      /* ifi_flags: IFF_UP 0x1, IFF_RUNNING 0x40 */
	uint32_t mtu;        /* IFLA_MTU or 0 */
	uint32_t master;     /* IFLA_MASTER or 0 */
	uint8_t name_len;
	char name[PSD_IFNAME_LEN_MAX + 1];
	bool has_kind;
	uint8_t kind_len;
	char kind[PSD_KIND_LEN_MAX + 1];
	uint8_t addr_len;
	uint8_t addr[PSD_ADDR_LEN_MAX];
	/* The kernel's own counts over the netdev's life (IFLA_CARRIER_CHANGES, _UP_COUNT,
	 * _DOWN_COUNT), exact however many messages were lost; has_*: the message carried them. */
	bool has_carrier_changes;
	bool has_carrier_up_down; /* both counts */
	uint32_t carrier_changes;
	uint32_t carrier_up;
	uint32_t carrier_down;
};

/* A cursor over the netlink messages of one datagram. */
struct psd_nl_cursor {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

struct psd_nl_msg {
	enum psd_nl_msg_kind kind;
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	uint32_t pid;
	int32_t error;        /* PSD_NLMSG_ERROR: the (negative) errno, 0 for an ACK; PSD_NLMSG_DONE:
	                       * the error a dump ended with (0: complete) */
	const uint8_t *bytes; /* the whole message, header included */
	size_t len;
};

void psd_nl_cursor_init(struct psd_nl_cursor *c, const uint8_t *buf, size_t len);
/* 1: *ret filled; 0: datagram fully consumed; <0: -enum psd_nl_error, datagram malformed. */
int psd_nl_cursor_next(struct psd_nl_cursor *c, struct psd_nl_msg *ret);
/* 0: *ret filled; <0: -enum psd_nl_error. msg is a PSD_NLMSG_LINK message from the cursor. */
int psd_nl_parse_link(const struct psd_nl_msg *msg, struct psd_link *ret);
const char *psd_nl_error_name(enum psd_nl_error e);

#endif
