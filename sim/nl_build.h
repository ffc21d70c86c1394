/*
 * Encoder of rtnetlink link messages, as the kernel lays them out: the simulator's kernel model,
 * the unit tests and the benchmark build real bytes with it, so everything goes through the
 * production walker. Writes into a caller's buffer and never past it.
 */
#ifndef PSD_NL_BUILD_H
#define PSD_NL_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct psd_nl_link_spec {
	uint16_t type;    /* RTM_NEWLINK or RTM_DELLINK */
	uint16_t nlflags; /* e.g. NLM_F_MULTI for dump replies */
	uint32_t seq;
	uint32_t pid;
	uint8_t family;   /* AF_UNSPEC or AF_BRIDGE */
	int32_t ifindex;
	uint32_t flags;   /* IFF_* */
	const char *name; /* NULL: no IFLA_IFNAME */
	uint32_t mtu;     /* 0: no IFLA_MTU */
	uint32_t master;  /* 0: no IFLA_MASTER */
	const char *kind; /* NULL: no IFLA_LINKINFO */
	const uint8_t *addr;
	size_t addr_len;
	bool carrier;              /* IFLA_CARRIER_CHANGES, _UP_COUNT and _DOWN_COUNT, as the kernel
	                            * sends them in every link message */
	uint32_t carrier_changes;
	uint32_t carrier_up;
	uint32_t carrier_down;
};

/* Appends one link message at buf+off; returns the new offset, or 0 if it does not fit. */
size_t psd_nl_build_link(uint8_t *buf, size_t size, size_t off, const struct psd_nl_link_spec *s);
/* Appends NLMSG_DONE (with flags, e.g. NLM_F_DUMP_INTR); returns the new offset or 0. */
size_t psd_nl_build_done(uint8_t *buf, size_t size, size_t off, uint32_t seq, uint16_t flags);
/* Appends a bare header of the given type and payload bytes of zeros; returns offset or 0. */
size_t psd_nl_build_raw(uint8_t *buf, size_t size, size_t off, uint16_t type, size_t payload);

#endif
