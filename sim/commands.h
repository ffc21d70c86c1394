/*
 * Reading the Redis commands the core sends, for the oracle's checkers and the faults: which
 * command it is, whether it writes, and which simulated port a STATE_DB key names. Pure functions
 * of their arguments; commands arrive as argc, argv, len (arguments are not NUL-terminated).
 */
#ifndef PSD_SIM_COMMANDS_H
#define PSD_SIM_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The argument of len bytes is the text lit. */
static inline bool psd_sim_arg_is(const char *arg, size_t len, const char *lit)
{
	return len == strlen(lit) && memcmp(arg, lit, len) == 0;
}

/* The command writes (what an OOM Redis refuses). */
static inline bool psd_sim_cmd_writes(const char *const *argv, const size_t *len)
{
	return psd_sim_arg_is(argv[0], len[0], "HSET") || psd_sim_arg_is(argv[0], len[0], "DEL") ||
	       psd_sim_arg_is(argv[0], len[0], "HDEL") || psd_sim_arg_is(argv[0], len[0], "EVALSHA");
}

/* The port a STATE_DB key names: "PORT_TABLE|Ethernet<i>" gives i, and "PORT_TABLE|Ethernet<i>x"
 * (the renamed netdev's name) gives i with *renamed set; UINT32_MAX for any other key. */
static inline uint32_t psd_sim_port_of(uint32_t nports, const char *key, size_t len,
				       bool *renamed)
{
	static const char prefix[] = "PORT_TABLE|Ethernet";
	size_t p = sizeof(prefix) - 1;
	uint64_t i = 0;
	if (len <= p || memcmp(key, prefix, p) != 0)
		return UINT32_MAX;
	for (; p < len && key[p] >= '0' && key[p] <= '9' && i < nports; p++)
		i = i * 10 + (uint64_t)(key[p] - '0');
	*renamed = p + 1 == len && key[p] == 'x';
	return (p == len || *renamed) && i < nports ? (uint32_t)i : UINT32_MAX;
}

#endif
