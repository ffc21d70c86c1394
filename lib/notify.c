/* systemd's notification protocol (see notify.h). */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int psd_notify_address(const char *env, struct sockaddr_un *ret, socklen_t *ret_len)
{
	size_t len = env != NULL ? strlen(env) : 0;
	*ret = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (len < 2 || (env[0] != '/' && env[0] != '@') || len >= sizeof(ret->sun_path))
		return -1;
	memcpy(ret->sun_path, env, len);
	if (env[0] == '@')
		ret->sun_path[0] = '\0'; /* abstract: the name is the bytes after it, no terminator */
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (env[0] == '/'));
	return 0;
}

/* A decimal number above 0 that fits: it, else 0. */
static uint64_t positive(const char *s)
{
	uint64_t v = 0;
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

uint64_t psd_notify_watchdog_ns(const char *usec, const char *pid, pid_t self)
{
	uint64_t us = positive(usec);
	if (pid != NULL && positive(pid) != (uint64_t)self)
		return 0;
	return us <= UINT64_MAX / 1000 ? us * 1000 : 0;
}

size_t psd_notify_format(char *buf, size_t size, const char *netns, const char *text)
{
	static const char status[] = "STATUS=";
	int n;
	if (netns[0] != '\0' && strncmp(text, status, sizeof(status) - 1) == 0)
		n = snprintf(buf, size, "%s%s: %s", status, netns, text + sizeof(status) - 1);
	else
		n = snprintf(buf, size, "%s", text);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

int psd_notify(const char *text)
{
	struct sockaddr_un sa;
	socklen_t len;
	if (psd_notify_address(getenv("NOTIFY_SOCKET"), &sa, &len) < 0)
		return getenv("NOTIFY_SOCKET") == NULL ? 0 : -EINVAL;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ssize_t n = sendto(fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL,
			   (struct sockaddr *)&sa, len);
	int r = n < 0 ? -errno : 0;
	close(fd);
	return r;
}
