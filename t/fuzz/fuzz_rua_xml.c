/*
 * fuzz_rua_xml - received DMARC aggregate report XML, as the policy
 * tool's ingest reads it (policy/tool/rua_xml.h, libxml2 underneath).
 *
 * Input: one report document (no terminator).  Checks: a refused report
 * has a printable error; an accepted one yields exactly meta.nrecords
 * records whose counts add up to meta.messages, with bounded, terminated
 * fields and printable text.  FUZZ_VERBOSE in the environment prints
 * "accepted" or the error of each input on stderr.
 */
#include "../../policy/tool/rua_xml.h"
#include "fuzz.h"

static void check_text(const char *s, size_t max)
{
	FUZZ_CHECK(strnlen(s, max) < max);
	for (; *s; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static void check_record(const rua_record_t *r)
{
	size_t i;

	check_text(r->source_ip, sizeof(r->source_ip));
	check_text(r->disposition, sizeof(r->disposition));
	check_text(r->header_from, sizeof(r->header_from));
	check_text(r->envelope_from, sizeof(r->envelope_from));
	check_text(r->envelope_to, sizeof(r->envelope_to));
	FUZZ_CHECK(r->header_from[0] != '\0');
	FUZZ_CHECK(r->nauth <= RUA_MAX_AUTH);
	FUZZ_CHECK(r->nreason <= RUA_MAX_REASONS);
	for (i = 0; i < r->nauth; i++) {
		FUZZ_CHECK(r->auth[i].kind == 'd' || r->auth[i].kind == 's');
		check_text(r->auth[i].domain, sizeof(r->auth[i].domain));
		check_text(r->auth[i].selector, sizeof(r->auth[i].selector));
		check_text(r->auth[i].result, sizeof(r->auth[i].result));
	}
	for (i = 0; i < r->nreason; i++)
		check_text(r->reason[i].comment, sizeof(r->reason[i].comment));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rua_meta_t meta;
	static rua_record_t rec;
	char err[RUA_ERR_MAX];
	unsigned long long sum = 0;
	size_t n = 0;
	rua_doc_t *d;

	memset(err, 'x', sizeof(err));
	d = rua_doc_parse((const char *)data, size, 1024 * 1024, &meta, err,
	    sizeof(err));
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "%s\n", d ? "accepted" : err);
	if (d == NULL) {
		check_text(err, sizeof(err));
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	check_text(meta.org_name, sizeof(meta.org_name));
	check_text(meta.report_id, sizeof(meta.report_id));
	check_text(meta.domain, sizeof(meta.domain));
	check_text(meta.warning, sizeof(meta.warning));
	FUZZ_CHECK((meta.nwarnings == 0) == (meta.warning[0] == '\0'));
	FUZZ_CHECK(meta.begin <= meta.end);
	FUZZ_CHECK(meta.nrecords >= 1 && meta.nrecords <= RUA_MAX_RECORDS);
	while (rua_doc_next(d, &rec) > 0) {
		check_record(&rec);
		sum += rec.count;
		n++;
	}
	FUZZ_CHECK(n == meta.nrecords);
	FUZZ_CHECK(sum == meta.messages);
	rua_doc_free(d);
	return 0;
}
