/*
 * Classification of interface names and link kinds (grammar in names.rl).
 * A name is valid if it is 1..15 bytes of printable ASCII without '/', ':' or space and is not
 * "." or ".." (the kernel's dev_valid_name, narrowed to printable bytes).
 */
#ifndef PSD_NAMES_H
#define PSD_NAMES_H

#include <stddef.h>

enum psd_name_class {
	PSD_NAME_INVALID,
	PSD_NAME_OTHER,       /* eth0, lo, Vlan10, Bridge ...: not ours */
	PSD_NAME_PORT,        /* Ethernet prefix, no '.': a front-panel port name */
	PSD_NAME_SUBIF,       /* Ethernet prefix with a '.': a sub-interface */
	PSD_NAME_PORTCHANNEL, /* PortChannel prefix */
};

enum psd_kind_class {
	PSD_KIND_INVALID,
	PSD_KIND_OTHER,
	PSD_KIND_TEAM, /* exactly "team": teamsyncd's, never ours */
};

enum psd_name_class psd_name_classify(const char *name, size_t len);
enum psd_kind_class psd_kind_classify(const char *kind, size_t len);
/* Length of the parent port name of a sub-interface ("Ethernet0" of "Ethernet0.10"). */
size_t psd_name_parent_len(const char *name, size_t len);

#endif
