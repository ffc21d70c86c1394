/*
 * nl-record: joins RTNLGRP_LINK and writes every datagram the kernel sends to FILE as a
 * little-endian u32 length followed by the bytes, until SIGINT or SIGTERM. On exit it prints
 * the number of datagrams and of link messages. A test and benchmark tool, not the daemon.
 * Usage: nl-record FILE|- [--dump]   (--dump: start with an RTM_GETLINK dump)
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	static uint8_t buf[1 << 16];
	unsigned long datagrams = 0, links = 0;
	int rcvbuf = 32 << 20;
	FILE *out = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: nl-record FILE|- [--dump]\n");
		return 2;
	}
	if (strcmp(argv[1], "-") != 0 && (out = fopen(argv[1], "wb")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netlink");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (argc > 2 && strcmp(argv[2], "--dump") == 0) {
		struct {
			struct nlmsghdr h;
			struct rtgenmsg g;
		} req = {{NLMSG_LENGTH(sizeof(struct rtgenmsg)), RTM_GETLINK,
			  NLM_F_REQUEST | NLM_F_DUMP, 1, 0},
			 {AF_UNSPEC}};
		send(fd, &req, req.h.nlmsg_len, 0);
	}
	struct sigaction act = {.sa_handler = on_signal};
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				fprintf(stderr, "nl-record: overrun: messages lost\n");
				continue;
			}
			perror("recv");
			break;
		}
		datagrams++;
		for (size_t off = 0; off + NLMSG_HDRLEN <= (size_t)n;) {
			struct nlmsghdr h;
			memcpy(&h, buf + off, sizeof(h));
			if (h.nlmsg_len < NLMSG_HDRLEN || off + h.nlmsg_len > (size_t)n)
				break;
			links += h.nlmsg_type == RTM_NEWLINK || h.nlmsg_type == RTM_DELLINK;
			off += NLMSG_ALIGN(h.nlmsg_len);
		}
		if (out != NULL) {
			uint32_t len = (uint32_t)n;
			fwrite(&len, sizeof(len), 1, out);
			fwrite(buf, 1, (size_t)n, out);
		}
	}
	if (out != NULL)
		fclose(out);
	printf("datagrams %lu links %lu\n", datagrams, links);
	return 0;
}
