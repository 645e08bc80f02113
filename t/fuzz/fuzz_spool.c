/*
 * fuzz_spool - the spool file reader (history/spool.h), which reads
 * files a crash, a full disk or another program may have damaged.
 *
 * Input: the first byte chooses the mode, the rest is a spool file.
 * Mode byte odd: the header's and every record's CRC-32 are set right
 * first (where the lengths allow), so that the fuzzer reaches the
 * record parser instead of stopping at the checksums.
 * Checks: a refused file has a terminated, non-empty reason and yields
 * no records; an accepted one has at most SPOOL_RECORDS_MAX records,
 * every count within hrec_t's arrays, every string terminated, and
 * encodes back to exactly the same bytes (the format has one encoding).
 */
#include <zlib.h>

#include "../../history/spool.h"
#include "fuzz.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void fix_crcs(uint8_t *f, size_t n)
{
	size_t at = SPOOL_HEADER_LEN;
	uint32_t len;

	if (n < SPOOL_HEADER_LEN)
		return;
	wr32(f + 24, (uint32_t)crc32(0, f, 24));
	while (n - at >= 8) {
		len = rd32(f + at);
		if (len > n - at - 8)
			break;
		wr32(f + at + 4, (uint32_t)crc32(0, f + at + 8, len));
		at += 8 + len;
	}
}

static void check_rec(const hrec_t *r)
{
	FUZZ_CHECK(r->nrcpt <= HISTORY_MAX_RCPT_DOMAINS);
	FUZZ_CHECK(r->ndkim <= EVAL_MAX_DKIM);
	FUZZ_CHECK(r->nover <= EVAL_MAX_OVERRIDES);
	for (int k = 0; k < HREC_MSG_COLS; k++)
		if (r->msg[k] != NULL)
			FUZZ_CHECK(strlen(r->msg[k]) <= SPOOL_FIELD_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	spool_batch_t b;
	strbuf_t sb;
	uint8_t *f;
	size_t n;

	if (size < 1 || size > SPOOL_FILE_MAX)
		return 0;
	n = size - 1;
	f = malloc(n > 0 ? n : 1);
	memcpy(f, data + 1, n);
	if (data[0] & 1)
		fix_crcs(f, n);
	err[0] = '\0';
	if (spool_decode(f, n, &b, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0' && strnlen(err, sizeof(err)) <
		    sizeof(err));
		FUZZ_CHECK(b.recs == NULL && b.n == 0);
		free(f);
		return 0;
	}
	FUZZ_CHECK(b.n <= SPOOL_RECORDS_MAX);
	for (size_t i = 0; i < b.n; i++)
		check_rec(&b.recs[i]);
	strbuf_init(&sb, SPOOL_FILE_MAX);
	FUZZ_CHECK(spool_encode(&sb, b.recs, b.n) == 0);
	FUZZ_CHECK(sb.len == n && memcmp(sb.s, f, n) == 0);
	strbuf_free(&sb);
	spool_batch_free(&b);
	free(f);
	return 0;
}
