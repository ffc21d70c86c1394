/*
 * The parts of the start-up module (startup.c, startup_logger.c) and what they share; no other
 * object includes this header (core/layers: parts startup startup_logger startup_parts).
 */
#ifndef PSD_STARTUP_PARTS_H
#define PSD_STARTUP_PARTS_H

#include <stdbool.h>
#include <stddef.h>

#include "startup_state.h"

struct psd_ctx;

/* A string reply's text into dst (size bytes, NUL-terminated); false for anything else. */
bool psd_startup_reply_text(const struct psd_reply *r, char *dst, size_t size);
/* One LOGGER|portsyncd field's reply (level: LOGLEVEL, else LOGOUTPUT): true when the setting
 * changed. */
bool psd_startup_logger_field(struct psd_ctx *c, struct psd_startup *su, const struct psd_reply *r,
			      bool level);

#endif
