/*
 * Netlink adapter. Three NETLINK_ROUTE sockets set up with libnl-3:
 *  - the event socket, joined to RTNLGRP_LINK, receive buffer from the settings (16 MiB by
 *    default, capped by rmem_max);
 *  - the dump socket, for RTM_GETLINK dumps with the sequence number the core chose;
 *  - the request socket, for RTM_NEWLINK "clear IFF_UP" requests, answered by an ACK.
 * Received datagrams go to the core as bytes, unparsed, with the sender's port id, read up to
 * PSD_NL_BATCH at a time with recvmmsg(), as soon as a socket is readable and until it is empty:
 * a storm is batched by what queued while the loop was busy, never by waiting, and the writes of
 * one loop turn go to Redis together. Reading the event socket empty is reported to the core
 * (PSD_EV_NL_DRAINED): after an overrun, that is where the backlog older than the loss ends.
 * The dump socket is read first when both are readable, so a dump snapshot never overtakes
 * events that happened after it. The receive buffers are sized with SO_RCVBUFFORCE (the daemon
 * runs with CAP_NET_ADMIN), else SO_RCVBUF, which rmem_max caps.
 *
 * --record FILE writes every datagram (and every loss) to a pcap capture (pcap.h) as it is read.
 * --replay FILE opens no socket: the capture's datagrams are fed instead, at full speed
 * (PSD_REPLAY_BATCH per loop turn, from a timer source that is due at once, so the sockets are
 * polled between turns and Redis replies interleave) or in recorded time. A replayed
 * dump answer carries the sequence number of the dump the core asks for now; link-down
 * requests are logged, not sent. --replay-lockstep feeds each datagram only once Redis has
 * answered every command, as the simulator's world does, so the two give one command trace.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "adapters.h"
#include "pcap.h"

#define PSD_NL_SNDBUF_BYTES 32768              /* as upstream */
/* Receive buffer per datagram: larger than any link message (a netdev with many altnames makes
 * one of 50 KiB and more, and a dump datagram holds at least one whole message). Only the bytes
 * a datagram fills are touched. */
#define PSD_NL_DATAGRAM_MAX (256 * 1024)
#define PSD_NL_BATCH 8                         /* datagrams per recvmmsg() */
#define PSD_REPLAY_BATCH 256                   /* replayed datagrams per loop turn */

struct psd_netlink {
	struct psd_driver *driver;
	struct nl_sock *events;
	struct nl_sock *dump;
	struct nl_sock *request;
	struct psd_loop *loop;
	struct psd_loop_source events_io;
	struct psd_loop_source dump_io;
	uint8_t *buf;
	struct psd_pcap_writer *record; /* --record: the capture being written */
	struct psd_pcap_reader *replay; /* --replay: the capture being fed */
	bool mark_drained;       /* an ENOBUFS was recorded: record where the backlog ends */
	bool dump_asked;         /* replay: the core asked for a dump its recorded answer may end */
	bool dump_awaited;       /* replay: held at a dump answer until the core asks for a dump */
	struct psd_loop_source replay_src; /* a timer: due at once, or at a record's time */
	struct psd_loop_source replay_wake; /* lockstep: at the end of each turn, is Redis done? */
	bool replay_recorded_time;
	bool replay_lockstep;    /* each datagram once Redis has answered everything */
	bool replay_pending;     /* a record read but not yet fed (waiting for its time) */
	struct psd_pcap_record next;
	uint64_t replay_base_ns, replay_first_ns;
	uint64_t replayed;
	uint32_t dump_seq;       /* the dump the core asked for last */
	char replay_path[PSD_PCAP_NAME_MAX];
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record(struct psd_netlink *n, const uint8_t *bytes, size_t len, uint32_t pid,
		   bool from_dump)
{
	struct psd_pcap_record r = {realtime_ns(), pid, from_dump, bytes, len};
	if (n->record != NULL && psd_pcap_append(n->record, &r) < 0) {
		psd_log(PSD_LOG_ERROR, "capture: write failed (%s); recording stopped",
			strerror(errno));
		n->record = psd_pcap_finish(n->record);
	}
}

static void report_loss(struct psd_netlink *n, enum psd_nl_loss why)
{
	struct psd_event ev = {.type = PSD_EV_NL_LOSS};
	if (n->record != NULL && psd_pcap_append_loss(n->record, realtime_ns(), false, why) < 0)
		n->record = psd_pcap_finish(n->record);
	n->mark_drained |= why == PSD_LOSS_ENOBUFS; /* a replay must see where the backlog ends */
	ev.u.loss = why;
	psd_driver_push(n->driver, &ev);
}

/* Reads every datagram waiting on sk, PSD_NL_BATCH per system call, until none is left. */
static void read_socket(struct psd_netlink *n, struct nl_sock *sk, bool from_dump)
{
	struct sockaddr_nl from[PSD_NL_BATCH];
	struct iovec iov[PSD_NL_BATCH];
	struct mmsghdr mm[PSD_NL_BATCH];
	bool drained = false;
	int got;

	do {
		for (int i = 0; i < PSD_NL_BATCH; i++) {
			iov[i] = (struct iovec){n->buf + (size_t)i * PSD_NL_DATAGRAM_MAX,
						PSD_NL_DATAGRAM_MAX};
			mm[i].msg_hdr = (struct msghdr){
				.msg_name = &from[i],
				.msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i],
				.msg_iovlen = 1,
			};
		}
		got = recvmmsg(nl_socket_get_fd(sk), mm, PSD_NL_BATCH, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno == EAGAIN) {
				drained = true;
				break;
			}
			if (errno == EINTR) {
				got = PSD_NL_BATCH;
				continue;
			}
			if (errno != ENOBUFS) {
				psd_log(PSD_LOG_ERROR, "netlink %s socket: %s",
					from_dump ? "dump" : "event", strerror(errno));
				break;
			}
			/* the socket still works: read on */
			report_loss(n, from_dump ? PSD_LOSS_DUMP_ENOBUFS : PSD_LOSS_ENOBUFS);
			got = PSD_NL_BATCH;
			continue;
		}
		for (int i = 0; i < got; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
				report_loss(n, PSD_LOSS_TRUNCATED);
				continue;
			}
			struct psd_event ev = {.type = PSD_EV_NL_DATAGRAM};
			record(n, iov[i].iov_base, mm[i].msg_len, from[i].nl_pid, from_dump);
			ev.u.nl.bytes = iov[i].iov_base;
			ev.u.nl.len = mm[i].msg_len;
			ev.u.nl.sender_pid = from[i].nl_pid;
			ev.u.nl.from_dump = from_dump;
			psd_driver_push(n->driver, &ev);
		}
		/* MSG_DONTWAIT: fewer than asked for, because nothing was left, or because an error
		 * (ENOBUFS) came up after some datagrams; recvmmsg then reports it at the next read,
		 * before any newer datagram, so the core sees the loss and the real end after it */
		drained = got < PSD_NL_BATCH;
	} while (!drained);
	if (drained && !from_dump) {
		struct psd_event ev = {.type = PSD_EV_NL_DRAINED};
		if (n->mark_drained && n->record != NULL &&
		    psd_pcap_append_drained(n->record, realtime_ns()) < 0)
			n->record = psd_pcap_finish(n->record);
		n->mark_drained = false;
		psd_driver_push(n->driver, &ev);
	}
}

static void on_events(void *ctx, uint32_t revents)
{
	struct psd_netlink *n = ctx;
	psd_driver_collect(n->driver); /* acknowledgements that came meanwhile, before new changes */
	read_socket(n, n->events, false);
}

static void on_dump(void *ctx, uint32_t revents)
{
	struct psd_netlink *n = ctx;
	psd_driver_collect(n->driver);
	read_socket(n, n->dump, true);
}

/* A recorded datagram to the core; a loss or the end of a backlog as the event it was. */
static void feed(struct psd_netlink *n, const struct psd_pcap_record *r)
{
	struct psd_event ev = {.type = PSD_EV_NL_DATAGRAM};
	switch (psd_pcap_mark_of(r, &ev.u.loss)) {
	case PSD_PCAP_LOSS:
		ev.type = PSD_EV_NL_LOSS;
		psd_driver_push(n->driver, &ev);
		return;
	case PSD_PCAP_DRAINED:
		ev.type = PSD_EV_NL_DRAINED;
		psd_driver_push(n->driver, &ev);
		return;
	case PSD_PCAP_DATAGRAM:
		break;
	}
	if (r->from_dump)
		psd_pcap_resequence((uint8_t *)r->bytes, r->len, n->dump_seq);
	ev.u.nl.bytes = r->bytes;
	ev.u.nl.len = r->len;
	ev.u.nl.sender_pid = r->sender_pid;
	ev.u.nl.from_dump = r->from_dump;
	psd_driver_push(n->driver, &ev);
	n->replayed++;
}

/* Feeds up to PSD_REPLAY_BATCH records, each when its time has come in recorded time. */
static void on_replay(void *ctx, uint32_t revents)
{
	struct psd_netlink *n = ctx;
	uint64_t now = psd_loop_now(n->loop);
	char err[512];
	for (int i = 0; i < PSD_REPLAY_BATCH; i++) {
		if (!n->replay_pending) {
			int r = psd_pcap_next(n->replay, &n->next, err, sizeof(err));
			if (r <= 0) {
				if (r < 0)
					psd_log(PSD_LOG_ERROR, "replay: %s; the rest is not fed", err);
				uint64_t ms = (now - n->replay_base_ns) / 1000000u;
				psd_log(PSD_LOG_NOTICE, "replay: %llu datagrams fed from %s in %llu ms; "
					"capture ended", (unsigned long long)n->replayed,
					n->replay_path, (unsigned long long)ms);
				return; /* the timer stays off */
			}
			n->replay_pending = true;
			if (n->replay_first_ns == 0)
				n->replay_first_ns = n->next.ts_ns;
		}
		if (n->replay_recorded_time && n->next.ts_ns > n->replay_first_ns) {
			uint64_t due = n->replay_base_ns + (n->next.ts_ns - n->replay_first_ns);
			if (due > now) {
				psd_loop_timer_at(&n->replay_src, due);
				return;
			}
		}
		enum psd_nl_loss why;
		if (n->next.from_dump && !n->dump_asked &&
		    psd_pcap_mark_of(&n->next, &why) == PSD_PCAP_DATAGRAM) {
			/* as live: a dump answers a request (a re-dump waits for its interval) */
			n->dump_awaited = true;
			return; /* held: the timer stays off until the dump is asked for */
		}
		if (n->replay_lockstep && psd_driver_busy(n->driver)) {
			/* wait without spinning: the wake source looks again after Redis's replies */
			psd_loop_defer_set(&n->replay_wake, PSD_DEFER_EACH_TURN);
			return;
		}
		feed(n, &n->next);
		if (n->next.from_dump && psd_pcap_ends_dump(&n->next))
			n->dump_asked = false;
		n->replay_pending = false;
	}
	/* more: again on the next loop turn, after the sockets have been polled, so Redis's
	 * replies interleave */
	psd_loop_timer_at(&n->replay_src, now);
}

static void on_replay_wake(void *ctx, uint32_t revents)
{
	struct psd_netlink *n = ctx;
	if (psd_driver_busy(n->driver))
		return;
	psd_loop_defer_set(&n->replay_wake, PSD_DEFER_OFF);
	psd_loop_timer_at(&n->replay_src, psd_loop_now(n->loop));
}

static struct psd_netlink *open_replay(struct psd_netlink *n,
				       const struct psd_netlink_options *o, char *err,
				       size_t err_size)
{
	n->replay = psd_pcap_open(o->replay_path, err, err_size);
	if (n->replay == NULL)
		return psd_netlink_close(n);
	snprintf(n->replay_path, sizeof(n->replay_path), "%s", o->replay_path);
	n->replay_recorded_time = o->replay_recorded_time;
	n->replay_lockstep = o->replay_lockstep;
	psd_loop_timer(n->loop, &n->replay_src, PSD_LOOP_PRIORITY_NORMAL, on_replay, n);
	psd_loop_defer(n->loop, &n->replay_wake, on_replay_wake, n);
	return n;
}

static struct nl_sock *open_sock(char *err, size_t err_size, const char *what)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;
	if (sk == NULL) {
		snprintf(err, err_size, "netlink %s socket: out of memory", what);
		return NULL;
	}
	nl_socket_disable_seq_check(sk);
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		snprintf(err, err_size, "netlink %s socket: %s", what, nl_geterror(r));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* SO_RCVBUFFORCE, else SO_RCVBUF (capped by rmem_max); the send buffer as upstream has it. */
static int set_buffers(struct nl_sock *sk, int rcvbuf_bytes, char *err, size_t err_size)
{
	int fd = nl_socket_get_fd(sk), sndbuf_bytes = PSD_NL_SNDBUF_BYTES;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf_bytes, sizeof(sndbuf_bytes)) < 0 ||
	    (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof(rcvbuf_bytes)) < 0 &&
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof(rcvbuf_bytes)) < 0)) {
		snprintf(err, err_size, "netlink: cannot size the socket buffers: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

uint64_t psd_netlink_rcvbuf(const struct psd_netlink *n)
{
	int size = 0;
	socklen_t len = sizeof(size);
	if (n->events == NULL ||
	    getsockopt(nl_socket_get_fd(n->events), SOL_SOCKET, SO_RCVBUF, &size, &len) < 0 ||
	    size < 0)
		return 0;
	return (uint64_t)size;
}

struct psd_netlink *psd_netlink_open(struct psd_loop *loop, struct psd_driver *d,
				     const struct psd_netlink_options *o, char *err, size_t err_size)
{
	struct psd_netlink *n = calloc(1, sizeof(*n));
	int rcvbuf_bytes = o->rcvbuf_bytes;
	int r;

	if (n == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	n->driver = d;
	n->loop = loop;
	if (o->replay_path != NULL && o->replay_path[0] != '\0')
		return open_replay(n, o, err, err_size);
	if (o->record_path != NULL && o->record_path[0] != '\0' &&
	    (n->record = psd_pcap_create(o->record_path, err, err_size)) == NULL)
		return psd_netlink_close(n);
	if ((n->buf = malloc((size_t)PSD_NL_BATCH * PSD_NL_DATAGRAM_MAX)) == NULL) {
		snprintf(err, err_size, "out of memory");
		return psd_netlink_close(n);
	}
	n->events = open_sock(err, err_size, "event");
	n->dump = n->events != NULL ? open_sock(err, err_size, "dump") : NULL;
	n->request = n->dump != NULL ? open_sock(err, err_size, "request") : NULL;
	if (n->request == NULL)
		return psd_netlink_close(n);
	if (set_buffers(n->events, rcvbuf_bytes, err, err_size) < 0 ||
	    set_buffers(n->dump, rcvbuf_bytes, err, err_size) < 0)
		return psd_netlink_close(n);
	r = nl_socket_add_membership(n->events, RTNLGRP_LINK);
	if (r < 0) {
		snprintf(err, err_size, "netlink: cannot join RTNLGRP_LINK: %s", nl_geterror(r));
		return psd_netlink_close(n);
	}
	nl_socket_set_nonblocking(n->events);
	nl_socket_set_nonblocking(n->dump);
	/* watched from psd_netlink_listen(); the dump socket runs first among ready sources */
	psd_loop_io(loop, &n->events_io, nl_socket_get_fd(n->events), PSD_LOOP_PRIORITY_NORMAL,
		    on_events, n);
	psd_loop_io(loop, &n->dump_io, nl_socket_get_fd(n->dump), PSD_LOOP_PRIORITY_FIRST, on_dump,
		    n);
	return n;
}

/* RTM_GETLINK dump of every link. IFLA_EXT_MASK makes the kernel size each dump datagram for its
 * largest link message: without it, a netdev whose message outgrows the default size (many
 * altnames) ends the dump early with a DONE that says nothing, and every later link is missing.
 * Statistics are left out: the core reads none. */
int psd_netlink_dump(struct psd_netlink *n, uint32_t seq)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
	int r;

	if (n->replay != NULL) { /* the capture holds the answers */
		nlmsg_free(msg);
		n->dump_seq = seq;
		n->dump_asked = true;
		if (n->dump_awaited) { /* the replay held at a dump answer goes on */
			n->dump_awaited = false;
			psd_loop_timer_at(&n->replay_src, psd_loop_now(n->loop));
		}
		return 0;
	}
	if (msg == NULL)
		return -ENOMEM;
	r = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (r == 0)
		r = nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (r == 0) {
		nlmsg_hdr(msg)->nlmsg_seq = seq;
		nlmsg_hdr(msg)->nlmsg_pid = nl_socket_get_local_port(n->dump);
		r = nl_send(n->dump, msg);
	}
	nlmsg_free(msg);
	if (r < 0) {
		psd_log(PSD_LOG_ERROR, "netlink: dump request failed: %s", nl_geterror(r));
		return r;
	}
	return 0;
}

int psd_netlink_listen(struct psd_netlink *n)
{
	int r;

	if (n->replay != NULL) {
		n->replay_base_ns = psd_loop_now(n->loop);
		psd_loop_timer_at(&n->replay_src, n->replay_base_ns);
		return 0;
	}
	r = psd_loop_io_events(&n->events_io, EPOLLIN);
	if (r >= 0)
		r = psd_loop_io_events(&n->dump_io, EPOLLIN);
	return psd_checked(r, "netlink: listen");
}

int psd_netlink_link_down(struct psd_netlink *n, int32_t ifindex, const char *name)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex,
		.ifi_flags = 0,
		.ifi_change = IFF_UP,
	};
	struct nl_msg *msg;
	int r;

	if (n->replay != NULL) {
		psd_log(PSD_LOG_NOTICE, "replay: not bringing down old interface %s(%d)", name,
			ifindex);
		return 0;
	}
	if ((msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK)) == NULL)
		return -ENOMEM;
	r = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (r == 0)
		r = nl_send_sync(n->request, msg); /* frees msg, waits for the ACK */
	else
		nlmsg_free(msg);
	if (r < 0)
		psd_log(PSD_LOG_WARN, "Failed to bring down old interface %s(%d): %s", name, ifindex,
			nl_geterror(r));
	return r;
}

struct psd_netlink *psd_netlink_close(struct psd_netlink *n)
{
	if (n == NULL)
		return NULL;
	psd_loop_remove(&n->events_io);
	psd_loop_remove(&n->dump_io);
	psd_loop_remove(&n->replay_src);
	psd_loop_remove(&n->replay_wake);
	psd_pcap_close(n->replay);
	n->record = psd_pcap_finish(n->record);
	if (n->events != NULL)
		nl_socket_free(n->events);
	if (n->dump != NULL)
		nl_socket_free(n->dump);
	if (n->request != NULL)
		nl_socket_free(n->request);
	free(n->buf);
	free(n);
	return NULL;
}
