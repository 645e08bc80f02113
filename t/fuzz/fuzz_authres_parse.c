/*
 * fuzz_authres_parse - incoming Authentication-Results and
 * ARC-Authentication-Results payloads (policy/authres_parse.h).
 *
 * Input: one header field body (no terminator).  Checks: a refused
 * payload has a printable error; an accepted one stays within every
 * bound, with terminated, lower-case keywords; ar_find() and ar_prop()
 * find what the entries hold.
 */
#include <ctype.h>

#include "../../policy/authres_parse.h"
#include "fuzz.h"

static void check_str(const char *s, size_t max, bool keyword)
{
	size_t n = strnlen(s, max);

	FUZZ_CHECK(n < max);
	if (keyword)
		for (; *s; s++)
			FUZZ_CHECK(!isupper((unsigned char)*s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ar_payload_t p;
	const ar_entry_t *e;
	size_t i, j;

	memset(&p, 0x5a, sizeof(p));
	if (ar_parse((const char *)data, size, &p) != 0) {
		check_str(p.error, sizeof(p.error), false);
		for (i = 0; p.error[i]; i++)
			FUZZ_CHECK(p.error[i] >= 0x20 && p.error[i] < 0x7f);
		return 0;
	}
	FUZZ_CHECK(size <= AR_INPUT_MAX);
	FUZZ_CHECK(p.nentries <= AR_MAX_ENTRIES);
	FUZZ_CHECK(!p.none || p.nentries == 0);
	check_str(p.authserv_id, sizeof(p.authserv_id), false);
	for (i = 0; i < p.nentries; i++) {
		e = &p.entry[i];
		check_str(e->method, sizeof(e->method), true);
		check_str(e->result, sizeof(e->result), true);
		check_str(e->reason, sizeof(e->reason), false);
		FUZZ_CHECK(e->method[0] != '\0');
		FUZZ_CHECK(e->nprops <= AR_MAX_PROPS);
		FUZZ_CHECK(ar_find(&p, e->method, i) == e ||
		    ar_find(&p, e->method, 0) != NULL);
		for (j = 0; j < e->nprops; j++) {
			check_str(e->prop[j].ptype, AR_KEYWORD_MAX, true);
			check_str(e->prop[j].property, AR_KEYWORD_MAX, true);
			check_str(e->prop[j].value, AR_VALUE_MAX, false);
			FUZZ_CHECK(ar_prop(e, e->prop[j].ptype,
			    e->prop[j].property) != NULL);
		}
	}
	FUZZ_CHECK(ar_find(&p, "no-such-method", 0) == NULL);
	return 0;
}
