/*
 * fuzz_from_header - header-From parser (policy/from_header.h).
 *
 * Input: a From field body, exactly as many bytes as given (no
 * terminator, so reads past the end are caught).  Checks: every domain
 * returned is normalised (domain_normalize() maps it to itself), distinct
 * and within the documented bounds; a failure has a printable reason.
 * Also normalises the raw input as one domain and checks idempotence.
 */
#include <ctype.h>

#include "../../policy/from_header.h"
#include "fuzz.h"

static void check_printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	FUZZ_CHECK(n < max);
	for (; *s; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f);
}

static void check_domain(const char *d)
{
	char again[FROM_DOMAIN_MAX];
	size_t n = strnlen(d, FROM_DOMAIN_MAX);

	FUZZ_CHECK(n > 0 && n <= 253);
	FUZZ_CHECK(d[n - 1] != '.');
	FUZZ_CHECK(domain_normalize(d, n, again, sizeof(again)) == 0);
	FUZZ_CHECK(strcmp(again, d) == 0);
	for (; *d; d++)
		FUZZ_CHECK(!isupper((unsigned char)*d) &&
		    (unsigned char)*d < 0x80);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	from_result_t fr;
	char dom[FROM_DOMAIN_MAX], again[FROM_DOMAIN_MAX];
	char reason[FROM_REASON_MAX];
	size_t i, j;
	int n;

	memset(&fr, 0x5a, sizeof(fr));
	n = from_header_parse((const char *)data, size, &fr);
	if (n < 0) {
		FUZZ_CHECK(n == -1);
		FUZZ_CHECK(fr.reason[0] != '\0');
		check_printable(fr.reason, sizeof(fr.reason));
	} else {
		FUZZ_CHECK(n >= 1 && (size_t)n == fr.ndomains);
		FUZZ_CHECK(fr.ndomains <= FROM_MAX_DOMAINS);
		FUZZ_CHECK(fr.nmailboxes >= fr.ndomains);
		FUZZ_CHECK(size <= FROM_MAX_INPUT);
		for (i = 0; i < fr.ndomains; i++) {
			check_domain(fr.domain[i]);
			for (j = 0; j < i; j++)
				FUZZ_CHECK(strcmp(fr.domain[i],
				    fr.domain[j]) != 0);
		}
	}
	if (domain_normalize_reason((const char *)data, size, dom, sizeof(dom),
	    reason, sizeof(reason)) == 0) {
		check_domain(dom);
		FUZZ_CHECK(domain_normalize(dom, strlen(dom), again,
		    sizeof(again)) == 0 && strcmp(dom, again) == 0);
	} else {
		check_printable(reason, sizeof(reason));
	}
	return 0;
}
