/* Bounded text building and decimal conversion for the core (see text.h). */
#include <errno.h>
#include <string.h>

#include "psd/lit.h"
#include "psd_assert.h"
#include "text.h"

void psd_text_init(struct psd_text *t, char *buf, size_t size)
{
	PSD_ASSERT(size > 0);
	t->buf = buf;
	t->size = size;
	t->len = 0;
	t->truncated = false;
	buf[0] = '\0';
}

void psd_text_mem(struct psd_text *t, const void *s, size_t n)
{
	size_t room = t->size - 1 - t->len;
	if (n > room) {
		n = room;
		t->truncated = true;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

void psd_text_str(struct psd_text *t, const char *s)
{
	psd_text_mem(t, s, strlen(s));
}

size_t psd_u64_to_dec(uint64_t v, char *buf)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

void psd_text_u64(struct psd_text *t, uint64_t v)
{
	char d[21];
	psd_text_mem(t, d, psd_u64_to_dec(v, d));
}

void psd_text_i64(struct psd_text *t, int64_t v)
{
	if (v < 0) {
		psd_text_mem(t, PSD_LIT("-"));
		psd_text_u64(t, (uint64_t)0 - (uint64_t)v);
	} else {
		psd_text_u64(t, (uint64_t)v);
	}
}

static const char hex_digits[] = "0123456789abcdef";

void psd_text_escaped(struct psd_text *t, const void *s, size_t n)
{
	const uint8_t *b = s;
	for (size_t i = 0; i < n; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\') {
			psd_text_mem(t, &b[i], 1);
		} else {
			char e[4] = {'\\', 'x', hex_digits[b[i] >> 4], hex_digits[b[i] & 15]};
			psd_text_mem(t, e, sizeof(e));
		}
	}
}

void psd_text_mac(struct psd_text *t, const uint8_t *addr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char e[3] = {':', hex_digits[addr[i] >> 4], hex_digits[addr[i] & 15]};
		psd_text_mem(t, i == 0 ? e + 1 : e, i == 0 ? 2 : 3);
	}
}

int psd_dec_to_u64(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}
