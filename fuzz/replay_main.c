/*
 * The plain replay driver: runs every file named (or found in the directories named) through
 * LLVMFuzzerTestOneInput, each in its own child process, so a crash is counted and named and
 * the rest still run. Corpora and past crashes (fuzz/repro/<target>/) replay in make test;
 * NAME.cmd files there hold the command that replays crash NAME and are not inputs.
 * Usage: replay-<target> PATH...
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

static int passed, failed;

static void run_file(const char *path)
{
	FILE *in = fopen(path, "rb");
	if (in == NULL) {
		fprintf(stderr, "replay: %s: cannot open\n", path);
		failed++;
		return;
	}
	long size = fseek(in, 0, SEEK_END) == 0 ? ftell(in) : -1;
	uint8_t *data = size >= 0 ? malloc(size > 0 ? (size_t)size : 1) : NULL;
	size_t got = 0;
	if (data != NULL) {
		rewind(in);
		got = fread(data, 1, (size_t)size, in);
	}
	fclose(in);
	if (data == NULL || got != (size_t)size) {
		fprintf(stderr, "replay: %s: cannot read its %ld bytes\n", path, size);
		free(data);
		failed++;
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "replay: %s: fork: %s\n", path, strerror(errno));
		free(data);
		failed++;
		return;
	}
	if (pid == 0) {
		LLVMFuzzerTestOneInput(data, got);
		_exit(0);
	}
	int status = 0;
	pid_t r;
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	free(data);
	if (r < 0) {
		fprintf(stderr, "replay: %s: waitpid: %s\n", path, strerror(errno));
		failed++;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		passed++;
	} else {
		failed++;
		fprintf(stderr, "replay: FAILED: %s\n", path);
	}
}

static void run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: missing\n", path);
		failed++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	DIR *d = opendir(path);
	struct dirent *e;
	char file[4096];
	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || (len > 4 && strcmp(e->d_name + len - 4, ".cmd") == 0))
			continue; /* a past crash's replay command sits beside it */
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		run_file(file);
	}
	if (d != NULL)
		closedir(d);
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	for (int i = 1; i < argc; i++)
		run_path(argv[i]);
	printf("%s: %d passed, %d failed\n", name != NULL ? name + 1 : argv[0], passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}
