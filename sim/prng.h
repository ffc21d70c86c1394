/*
 * The simulator's PRNG: splitmix64 turns one seed into sub-seeds, and a xoshiro256** seeded from
 * four of them draws the workload and the faults. Both are fixed algorithms of our own, never
 * libc's rand(), so one seed gives the same run on every machine and libc.
 *
 * Invariant: a draw depends only on the seed and the draws before it; so a run's draws must be
 * made in the same order every time (a new draw anywhere changes every later one).
 */
#ifndef PSD_SIM_PRNG_H
#define PSD_SIM_PRNG_H

#include <stdint.h>

struct psd_prng {
	uint64_t s[4]; /* xoshiro256** state */
};

/* The next sub-seed of a splitmix64 sequence whose state is *state. */
uint64_t psd_prng_splitmix(uint64_t *state);
/* Seeds the generator with four draws of the splitmix64 sequence *state. */
void psd_prng_seed(struct psd_prng *p, uint64_t *state);
uint64_t psd_prng_next(struct psd_prng *p);
/* A draw in [0, n), n > 0 (modulo: a bias of n / 2^64 at most). */
uint32_t psd_prng_below(struct psd_prng *p, uint32_t n);

#endif
