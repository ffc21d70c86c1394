/*
 * Multi-ASIC: one daemon per ASIC, each ASIC's netdevs in the network namespace SONiC names
 * after it (/var/run/netns/asic0, as `ip netns add` makes them). The daemon stays in the
 * namespace it was started in, so its Redis unix sockets, syslog and sd_notify are reached as
 * always; it enters the ASIC's namespace only to make its netlink sockets (a socket keeps the
 * namespace it was made in) and to list interfaces, and leaves again at once. Started inside
 * the namespace already (systemd's NetworkNamespacePath=, or ip netns exec), it never calls
 * setns() and needs no CAP_SYS_ADMIN.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters.h"

#define PSD_NETNS_DIR "/var/run/netns"

int psd_netns_open(struct psd_netns *ns, const char *name, char *err, size_t err_size)
{
	char path[sizeof(PSD_NETNS_DIR) + sizeof(ns->name) + 1];
	struct stat target, self;

	ns->target = -1;
	ns->home = -1;
	snprintf(ns->name, sizeof(ns->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s", PSD_NETNS_DIR, name);
	ns->target = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->target < 0)
		return psd_errorf(err, err_size, "network namespace %s: %s: %s%s", name, path,
				  strerror(errno),
				  errno == ENOENT ? " (no such namespace: ip netns list)" : "");
	if (fstat(ns->target, &target) < 0 || stat("/proc/self/ns/net", &self) < 0)
		return psd_errorf(err, err_size, "network namespace %s: %s", name, strerror(errno));
	if (target.st_dev == self.st_dev && target.st_ino == self.st_ino)
		return 0; /* started inside it */
	ns->home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns->home < 0)
		return psd_errorf(err, err_size, "network namespace %s: /proc/self/ns/net: %s", name,
				  strerror(errno));
	return 0;
}

int psd_netns_enter(struct psd_netns *ns, char *err, size_t err_size)
{
	if (ns->target < 0 || ns->home < 0)
		return 0;
	if (setns(ns->target, CLONE_NEWNET) < 0)
		return psd_errorf(err, err_size, "network namespace %s: setns: %s", ns->name,
				  strerror(errno));
	return 0;
}

int psd_netns_leave(struct psd_netns *ns, char *err, size_t err_size)
{
	if (ns->target < 0 || ns->home < 0)
		return 0;
	if (setns(ns->home, CLONE_NEWNET) < 0)
		return psd_errorf(err, err_size, "network namespace %s: setns back: %s", ns->name,
				  strerror(errno));
	return 0;
}

void psd_netns_close(struct psd_netns *ns)
{
	if (ns->target >= 0)
		close(ns->target);
	if (ns->home >= 0)
		close(ns->home);
	ns->target = -1;
	ns->home = -1;
}
