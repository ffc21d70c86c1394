/*
 * systemd's notification protocol without libsystemd: each state string (READY=1, STATUS=...,
 * WATCHDOG=1, STOPPING=1) one datagram to the unix socket $NOTIFY_SOCKET names (a path, or '@'
 * for the abstract namespace), sent without blocking; the watchdog's interval from
 * $WATCHDOG_USEC, for this process only when $WATCHDOG_PID names another. Nothing is sent when
 * NOTIFY_SOCKET is unset, as sd_notify(3) has it.
 */
#ifndef PSD_NOTIFY_H
#define PSD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#define PSD_NOTIFY_TEXT_MAX 512u /* bytes of a datagram: a STATUS= line with a namespace */

/* The socket NOTIFY_SOCKET names, and the length of its address: 0, or -1 when env is NULL,
 * empty, neither an absolute path nor '@' and a name, or too long. */
int psd_notify_address(const char *env, struct sockaddr_un *ret, socklen_t *ret_len);
/* The watchdog interval in ns from WATCHDOG_USEC and WATCHDOG_PID (either may be NULL); 0: no
 * watchdog for process self (unset, not a positive number, or another process's). */
uint64_t psd_notify_watchdog_ns(const char *usec, const char *pid, pid_t self);
/* The datagram for text into buf, NUL-terminated: with netns not "", a STATUS= names it first
 * ("STATUS=asic0: running ..."). Its length (truncated to size - 1). */
size_t psd_notify_format(char *buf, size_t size, const char *netns, const char *text);
/* text sent to $NOTIFY_SOCKET: 0 (also when it is unset), or -errno. */
int psd_notify(const char *text);

#endif
