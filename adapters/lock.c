/*
 * One instance per namespace: an exclusive flock(2) on a file of the lock directory
 * (/run/portsyncd, settings key [daemon] lock_dir), taken before any database is touched and
 * held for the process's life. The kernel releases it when the process ends, however it ends
 * (SIGKILL included), so a stale file never blocks a start; the file itself stays.
 *
 * The file is named by what the instance serves:
 *   -n NAME    portsyncd@NAME.lock, as the unit portsyncd@NAME.service; wherever the daemon
 *              runs (the host namespace, entering NAME, or inside NAME), two for NAME collide;
 *   no -n      portsyncd-netns-INODE.lock, INODE the inode of /proc/self/ns/net: the identity
 *              the kernel gives the network namespace the daemon runs in (what `lsns` and
 *              `ip netns identify` compare). It is the one name every process in the namespace
 *              sees alike, whatever started it (a container, systemd, `ip netns exec`), and two
 *              namespaces never share it while either lives: a lock's holder lives in its
 *              namespace, so the number cannot pass to another namespace while it is held.
 *
 * The holder writes its pid and a newline in the file; a second instance exits 1 naming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters.h"
#include "settings.h"

#define PSD_LOCK_PATH_MAX (PSD_PATH_MAX + 80) /* the directory, then the file's name */

/* The lock file's path for this instance into path. */
static int lock_path(const char *dir, const char *netns, char *path, size_t path_size, char *err,
		     size_t size)
{
	struct stat st;
	int n;
	if (netns[0] != '\0') {
		n = snprintf(path, path_size, "%s/portsyncd@%s.lock", dir, netns);
	} else {
		if (stat("/proc/self/ns/net", &st) < 0)
			return psd_errorf(err, size, "instance lock: /proc/self/ns/net: %s",
					  strerror(errno));
		n = snprintf(path, path_size, "%s/portsyncd-netns-%llu.lock", dir,
			     (unsigned long long)st.st_ino);
	}
	if (n < 0 || (size_t)n >= path_size)
		return psd_errorf(err, size, "instance lock: lock directory %s: path too long", dir);
	return 0;
}

/* Who holds the lock, from the pid it wrote, for the message. */
static int refuse_held(int fd, const char *path, char *err, size_t size)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	char *end;
	text[n > 0 ? n : 0] = '\0';
	long pid = strtol(text, &end, 10);
	if (n > 0 && end != text && *end == '\n' && pid > 0)
		return psd_errorf(err, size, "another portsyncd (pid %ld) holds %s", pid, path);
	return psd_errorf(err, size, "another portsyncd (its pid not yet written) holds %s", path);
}

int psd_instance_lock(const char *dir, const char *netns, int *ret_fd, char *err, size_t size)
{
	char path[PSD_LOCK_PATH_MAX];
	char pid[32];
	int fd;

	if (lock_path(dir, netns, path, sizeof(path), err, size) < 0)
		return -1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return psd_errorf(err, size, "instance lock: cannot make %s: %s", dir,
				  strerror(errno));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0)
		return psd_errorf(err, size, "instance lock: %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (e == EWOULDBLOCK)
			refuse_held(fd, path, err, size);
		else
			psd_errorf(err, size, "instance lock: %s: %s", path, strerror(e));
		close(fd);
		return -1;
	}
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		psd_errorf(err, size, "instance lock: %s: cannot write the pid: %s", path,
			   strerror(errno));
		close(fd);
		return -1;
	}
	*ret_fd = fd;
	return 0;
}
