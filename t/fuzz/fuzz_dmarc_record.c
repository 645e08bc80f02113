/*
 * fuzz_dmarc_record - DMARC record parser, selection and canonical form
 * (policy/dmarc_record.h).
 *
 * Input: one TXT record's text (no terminator).  Checks: the status is one
 * of the three, err is printable and terminated, effective values are in
 * range, and a record that parsed formats to canonical text that parses
 * again to the same canonical text (dmarc_record.h: "Parsing the canonical
 * text yields the same record").  The input split at newlines is also
 * given to dmarc_record_select() as the TXT records of one name.
 */
#include "../../policy/dmarc_record.h"
#include "fuzz.h"

static void check_err(const char *err, size_t max)
{
	size_t n = strnlen(err, max);

	FUZZ_CHECK(n < max);
	for (; *err; err++)
		FUZZ_CHECK(*err >= 0x20 && *err < 0x7f);
}

static void check_record(const dmarc_record_t *r)
{
	FUZZ_CHECK(r->p >= DMARC_POLICY_NONE && r->p <= DMARC_POLICY_REJECT);
	FUZZ_CHECK(r->sp >= DMARC_POLICY_NONE && r->sp <= DMARC_POLICY_REJECT);
	FUZZ_CHECK(r->np >= DMARC_POLICY_NONE && r->np <= DMARC_POLICY_REJECT);
	FUZZ_CHECK(r->pct <= 100);
	FUZZ_CHECK(r->psd == 'y' || r->psd == 'n' || r->psd == 'u');
	FUZZ_CHECK(r->nrua <= DMARC_MAX_URIS && r->nruf <= DMARC_MAX_URIS);
	FUZZ_CHECK(memchr(r->fo, '\0', sizeof(r->fo)) != NULL);
	FUZZ_CHECK(memchr(r->rf, '\0', sizeof(r->rf)) != NULL);
}

static void roundtrip(const dmarc_record_t *r)
{
	static char text[16384], text2[16384];
	char err[DMARC_ERR_MAX];
	dmarc_record_t again;
	int n, n2;

	n = dmarc_record_format(r, text, sizeof(text));
	FUZZ_CHECK(n > 0 && (size_t)n == strlen(text));
	FUZZ_CHECK(dmarc_record_parse(text, (size_t)n, &again, err,
	    sizeof(err)) == DMARC_RECORD_OK);
	check_record(&again);
	n2 = dmarc_record_format(&again, text2, sizeof(text2));
	if (n2 != n || strcmp(text, text2) != 0) {
		fprintf(stderr, "first:  %s\nsecond: %s\n", text, text2);
		FUZZ_CHECK(!"canonical text is stable");
	}
}

static void select_lines(const uint8_t *data, size_t size)
{
	txt_answer_t a;
	dmarc_record_t rec;
	char err[DMARC_ERR_MAX];
	const uint8_t *p = data, *end = data + size, *nl;
	dmarc_record_status_t st;

	txt_answer_init(&a);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		txt_answer_add(&a, (const char *)p, (size_t)(nl - p));
		p = nl + 1;
	}
	st = dmarc_record_select(&a, &rec, err, sizeof(err));
	FUZZ_CHECK(st == DMARC_RECORD_OK || st == DMARC_RECORD_NOT_DMARC ||
	    st == DMARC_RECORD_INVALID);
	check_err(err, sizeof(err));
	if (st == DMARC_RECORD_OK)
		check_record(&rec);
	txt_answer_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dmarc_record_t rec;
	char err[DMARC_ERR_MAX];
	dmarc_record_status_t st;

	memset(&rec, 0x5a, sizeof(rec));
	memset(err, 'x', sizeof(err));
	st = dmarc_record_parse((const char *)data, size, &rec, err,
	    sizeof(err));
	FUZZ_CHECK(st == DMARC_RECORD_OK || st == DMARC_RECORD_NOT_DMARC ||
	    st == DMARC_RECORD_INVALID);
	check_err(err, sizeof(err));
	if (st == DMARC_RECORD_OK) {
		check_record(&rec);
		roundtrip(&rec);
	}
	select_lines(data, size);
	return 0;
}
