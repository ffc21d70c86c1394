#!/bin/sh
# The core is pure: no clock, no system calls, no randomness, no stdio, no allocation.
# Fails on any forbidden identifier in core/ (comments included: say it differently).
set -u
cd "$(dirname "$0")/.." || exit 1
forbidden='\b(time|clock_gettime|gettimeofday|rand|random|srand|getrandom|malloc|calloc|realloc|free|printf|fprintf|sprintf|snprintf|vsnprintf|puts|fputs|syslog|fopen|open|read|write|recv|recvmsg|send|sendmsg|socket|ioctl|exit|abort|sleep|usleep|nanosleep|getenv|system|popen)[[:space:]]*\('
hits=$(grep -nE "$forbidden" core/*.c core/*.h core/*.rl core/include/psd/*.h | grep -v '\.gen\.c:')
includes=$(grep -nE '#include <(stdio|stdlib|time|unistd|sys/[a-z_]+|fcntl|syslog|pthread)\.h>' core/*.c core/*.h core/*.rl core/include/psd/*.h)
if [ -n "$hits$includes" ]; then
	echo "lint: core/ must stay pure; forbidden calls or headers:" >&2
	printf '%s\n%s\n' "$hits" "$includes" | sed '/^$/d' >&2
	exit 1
fi
echo "lint: core/ is free of clock, syscalls, randomness, stdio and allocation"
