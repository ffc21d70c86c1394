/*
 * nl-backlog: shows what Linux sends on rtnetlink, for the tests that hold the simulator's kernel
 * model to it. Joins RTNLGRP_LINK with a receive buffer of BYTES (set with SO_RCVBUFFORCE),
 * prints "ready", then obeys commands read from standard input, one per line:
 *   read N        N receive calls, each printed
 *   drain         receive calls until the socket is empty (EAGAIN), each printed
 *   dump          an RTM_GETLINK dump request on the same socket
 *   small N       N receive calls into a 256-byte buffer (a datagram that does not fit: TRUNC)
 * Each receive prints "ENOBUFS" or "TRUNC", or one line per message: "<NEW|DEL> <name> mtu <mtu>
 * family <f> master <ifindex>[ multi][ intr]", "DONE[ intr]". A test tool, not the daemon.
 * Usage: nl-backlog BYTES
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define BACKLOG_DATAGRAM_MAX (64 * 1024)
#define BACKLOG_SMALL 256 /* smaller than any dump datagram of several links */

static void print_links(const char *buf, int len)
{
	for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, (unsigned)len);
	     h = NLMSG_NEXT(h, len)) {
		const char *intr = h->nlmsg_flags & NLM_F_DUMP_INTR ? " intr" : "";
		if (h->nlmsg_type == NLMSG_DONE)
			printf("DONE%s\n", intr);
		if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
			continue;
		const struct ifinfomsg *ifi = NLMSG_DATA(h);
		int alen = (int)IFLA_PAYLOAD(h);
		const char *name = "?";
		unsigned mtu = 0, master = 0;
		for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
			if (a->rta_type == IFLA_IFNAME)
				name = RTA_DATA(a);
			else if (a->rta_type == IFLA_MTU)
				memcpy(&mtu, RTA_DATA(a), sizeof(mtu));
			else if (a->rta_type == IFLA_MASTER)
				memcpy(&master, RTA_DATA(a), sizeof(master));
		}
		printf("%s %s mtu %u family %u master %u%s%s\n",
		       h->nlmsg_type == RTM_NEWLINK ? "NEW" : "DEL", name, mtu, ifi->ifi_family, master,
		       h->nlmsg_flags & NLM_F_MULTI ? " multi" : "", intr);
	}
}

/* One receive call into size bytes; false when the socket is empty. */
static int receive(int fd, size_t size)
{
	static char buf[BACKLOG_DATAGRAM_MAX];
	struct iovec iov = {buf, size};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int len = (int)recvmsg(fd, &mh, MSG_DONTWAIT);
	if (len < 0) {
		if (errno == EAGAIN)
			return 0;
		printf("%s\n", errno == ENOBUFS ? "ENOBUFS" : strerror(errno));
		return 1;
	}
	if (mh.msg_flags & MSG_TRUNC) {
		printf("TRUNC\n");
		return 1;
	}
	print_links(buf, len);
	return 1;
}

static void dump(int fd)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = {
		.h = {.nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
		      .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1},
		.g = {.rtgen_family = AF_UNSPEC},
	};
	if (send(fd, &req, sizeof(req), 0) < 0)
		printf("%s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	char line[64];
	int bytes, fd;

	if (argc != 2 || (bytes = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: nl-backlog BYTES\n");
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("nl-backlog");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		int n;
		if (sscanf(line, "read %d", &n) == 1) {
			for (int i = 0; i < n; i++)
				receive(fd, BACKLOG_DATAGRAM_MAX);
		} else if (sscanf(line, "small %d", &n) == 1) {
			for (int i = 0; i < n; i++)
				receive(fd, BACKLOG_SMALL);
		} else if (strncmp(line, "drain", 5) == 0) {
			while (receive(fd, BACKLOG_DATAGRAM_MAX))
				;
		} else if (strncmp(line, "dump", 4) == 0) {
			dump(fd);
		} else {
			fprintf(stderr, "nl-backlog: unknown command %s", line);
			return 2;
		}
		printf("done\n");
		fflush(stdout);
	}
	return 0;
}
