/*
 * Response heads and the listener's own small bodies (http_response.h), through psd_text: no
 * stdio, no clock (the time is handed in), nothing allocated.
 */
#include <string.h>

#include "http_response.h"
#include "psd_assert.h"
#include "text.h"

/* Days since 1970-01-01 to a proleptic Gregorian date (the era arithmetic: 400-year cycles
 * of 146097 days, years starting in March so the leap day comes last). */
static void civil_from_days(uint64_t days, unsigned *ret_year, unsigned *ret_month,
			    unsigned *ret_day)
{
	uint64_t z = days + 719468; /* days from 0000-03-01 */
	uint64_t era = z / 146097;
	uint64_t doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);

	*ret_day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*ret_month = month;
	*ret_year = (unsigned)(yoe + era * 400 + (month <= 2));
}

static void two_digits(char *at, unsigned v)
{
	at[0] = (char)('0' + v / 10 % 10);
	at[1] = (char)('0' + v % 10);
}

void psd_http_date(uint64_t unix_s, char buf[PSD_HTTP_DATE_LEN + 1])
{
	static const char wdays[] = "ThuFriSatSunMonTueWed"; /* 1970-01-01 was a Thursday */
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	uint64_t days = unix_s / 86400, secs = unix_s % 86400;
	unsigned year, month, day;

	civil_from_days(days, &year, &month, &day);
	if (year > 9999)
		year = 9999; /* four digits: a clock this wrong still gives a well-formed date */
	memcpy(buf, "Thu, 01 Jan 1970 00:00:00 GMT", PSD_HTTP_DATE_LEN + 1);
	memcpy(buf, wdays + days % 7 * 3, 3);
	two_digits(buf + 5, day);
	memcpy(buf + 8, months + (month - 1) * 3, 3);
	two_digits(buf + 12, year / 100);
	two_digits(buf + 14, year % 100);
	two_digits(buf + 17, (unsigned)(secs / 3600));
	two_digits(buf + 20, (unsigned)(secs / 60 % 60));
	two_digits(buf + 23, (unsigned)(secs % 60));
}

size_t psd_http_head_format(const struct psd_http_head *h, char *buf, size_t size)
{
	char date[PSD_HTTP_DATE_LEN + 1];
	struct psd_text t;

	psd_http_date(h->unix_s, date);
	psd_text_init(&t, buf, size);
	psd_text_str(&t, "HTTP/1.1 ");
	psd_text_u64(&t, psd_http_status_code(h->status));
	psd_text_str(&t, " ");
	psd_text_str(&t, psd_http_status_reason(h->status));
	psd_text_str(&t, "\r\nDate: ");
	psd_text_str(&t, date);
	psd_text_str(&t, "\r\nContent-Type: ");
	psd_text_str(&t, h->type);
	psd_text_str(&t, "\r\nContent-Length: ");
	psd_text_u64(&t, h->body_bytes);
	if (h->status == PSD_HTTP_405)
		psd_text_str(&t, "\r\nAllow: GET, HEAD");
	if (h->close)
		psd_text_str(&t, "\r\nConnection: close");
	else if (h->keep_alive_10)
		psd_text_str(&t, "\r\nConnection: keep-alive");
	psd_text_str(&t, "\r\n\r\n");
	return t.truncated ? 0 : t.len;
}

size_t psd_http_health_json(const char *status, const char *why, char *buf, size_t size)
{
	static const char tail[] = "\"}\n";
	struct psd_text t;

	PSD_ASSERT(size > 2 * sizeof(tail));
	psd_text_init(&t, buf, size - (sizeof(tail) - 1)); /* the tail always fits after it */
	psd_text_str(&t, "{\"status\":\"");
	psd_text_str(&t, status);
	psd_text_str(&t, "\",\"reason\":\"");
	for (const char *s = why; *s != '\0' && t.len + 2 < t.size; s++) { /* whole escapes only */
		if (*s == '"' || *s == '\\')
			psd_text_mem(&t, "\\", 1);
		psd_text_mem(&t, (unsigned char)*s < 0x20 ? " " : s, 1);
	}
	memcpy(buf + t.len, tail, sizeof(tail));
	return t.len + sizeof(tail) - 1;
}
