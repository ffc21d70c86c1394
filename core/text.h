/*
 * A bounded text builder over a caller's buffer: appends never overflow, an overflow marks the
 * text truncated and keeps it NUL-terminated. The core's only way to format numbers and lines.
 */
#ifndef PSD_TEXT_H
#define PSD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct psd_text {
	char *buf;
	size_t size; /* bytes of buf, NUL included */
	size_t len;
	bool truncated;
};

void psd_text_init(struct psd_text *t, char *buf, size_t size);
void psd_text_mem(struct psd_text *t, const void *s, size_t n);
void psd_text_str(struct psd_text *t, const char *s);
void psd_text_u64(struct psd_text *t, uint64_t v);
void psd_text_i64(struct psd_text *t, int64_t v);
/* Printable bytes as they are, others as \xNN: for echoing untrusted values in logs. */
void psd_text_escaped(struct psd_text *t, const void *s, size_t n);
void psd_text_mac(struct psd_text *t, const uint8_t *addr, size_t n);
/* Decimal digits of v into buf (at least 21 bytes); returns the length. */
size_t psd_u64_to_dec(uint64_t v, char *buf);
/* 0 and *ret for 1..20 decimal digits that fit in uint64_t; -EINVAL otherwise. */
int psd_dec_to_u64(const char *s, size_t len, uint64_t *ret);

#endif
