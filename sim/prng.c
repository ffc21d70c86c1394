/* The simulator's PRNG (prng.h). */
#include "prng.h"

uint64_t psd_prng_splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void psd_prng_seed(struct psd_prng *p, uint64_t *state)
{
	for (int i = 0; i < 4; i++)
		p->s[i] = psd_prng_splitmix(state);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t psd_prng_next(struct psd_prng *p)
{
	uint64_t *r = p->s;
	uint64_t out = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;
	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return out;
}

uint32_t psd_prng_below(struct psd_prng *p, uint32_t n)
{
	return (uint32_t)(psd_prng_next(p) % n);
}
