/*
 * Helpers shared by the fuzz harnesses: a reader that takes typed values from the input
 * (returning zeros once it runs dry, so every input is a valid program), and a check that
 * aborts with the failed condition, which every engine reports as a crash.
 */
#ifndef PSD_FUZZ_H
#define PSD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_CHECK(cond)                                                                   \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                  \
			abort();                                                         \
		}                                                                        \
	} while (0)

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
	if (f->n == 0)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | fz_u8(f);
	return v;
}

/* Up to max bytes of input, returned in place; *ret_len is how many. */
static inline const uint8_t *fz_bytes(struct fz *f, size_t max, size_t *ret_len)
{
	size_t n = fz_u8(f);
	if (n > max)
		n = max;
	if (n > f->n)
		n = f->n;
	const uint8_t *at = f->p;
	f->p += n;
	f->n -= n;
	*ret_len = n;
	return at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
