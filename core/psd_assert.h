/*
 * Assertions that stay on in production: a failed one is a bug in our own code, the only thing
 * allowed to abort the daemon. The core has no stdio, so the failure hook is __builtin_trap().
 */
#ifndef PSD_ASSERT_H
#define PSD_ASSERT_H

#define PSD_ASSERT(cond)                          \
	do {                                      \
		if (__builtin_expect(!(cond), 0)) \
			__builtin_trap();         \
	} while (0)

#define PSD_UNREACHABLE() __builtin_trap()

#endif
