/* Captures, the file an operator hands --replay and a fixture's PCAP step: any bytes through the
 * reader (lib/pcap_read.c: pcap or pcapng, from memory), no crash. A capture refused names
 * itself and the offset; a record never claims more bytes than the input or the snapshot
 * length, and is our loss mark when cut short; once refused, the reader stays refused. */
#include "fuzz.h"
#include "pcap.h"
#include "psd/lit.h"

static void check_refusal(const char *why)
{
	FZ_CHECK(strncmp(why, PSD_LIT("capture fuzz.pcap: ")) == 0);
	FZ_CHECK(strstr(why, "offset ") != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[600];
	struct psd_pcap_reader *r = psd_pcap_open_memory("fuzz.pcap", data, size, why,
							 sizeof(why));
	if (r == NULL) {
		check_refusal(why);
		return 0;
	}
	struct psd_pcap_record rec;
	int got;
	while ((got = psd_pcap_next(r, &rec, why, sizeof(why))) > 0) {
		FZ_CHECK(rec.len <= size && rec.len <= PSD_PCAP_SNAPLEN);
		FZ_CHECK(rec.len == 0 || rec.bytes != NULL);
		psd_pcap_ends_dump(&rec);
		enum psd_nl_loss why_lost;
		if (psd_pcap_mark_of(&rec, &why_lost) == PSD_PCAP_LOSS)
			FZ_CHECK(why_lost < _PSD_LOSS_MAX);
	}
	if (got < 0) {
		check_refusal(why);
		FZ_CHECK(psd_pcap_next(r, &rec, why, sizeof(why)) < 0);
	}
	psd_pcap_close(r);
	return 0;
}
