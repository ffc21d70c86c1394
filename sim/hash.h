/*
 * The simulator's string hash: eight bytes per step, multiply and fold (a wyhash-style mix).
 * Not for adversarial input; only the Redis model's indexes and the trace use it.
 */
#ifndef PSD_SIM_HASH_H
#define PSD_SIM_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t psd_sim_mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)(a ^ 0xa0761d6478bd642full) * (b ^ 0xe7037ed1a0b428dbull);
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t psd_sim_hash(uint64_t seed, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = seed ^ len;
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = psd_sim_mix(h, w);
	}
	uint64_t tail = 0;
	memcpy(&tail, p, len);
	return psd_sim_mix(h, tail ^ 0x8ebc6af09c88c6e3ull);
}

#endif
