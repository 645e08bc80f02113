/*
 * fuzz_spf_syntax - SPF record syntax check and rewrite
 * (policy/spf_syntax.h).
 *
 * Input: one SPF record's text (no terminator).  Checks: the reason of a
 * refused record is printable; a record that passes is rewritten for
 * both address families without overflowing, and the rewrite is itself
 * well-formed SPF (libspf2 compiles it next), is stable when rewritten
 * again, and only drops features: no "all" or ptr appears that was not
 * there.
 */
#include <sys/socket.h>

#include "../../policy/spf_syntax.h"
#include "fuzz.h"

static void check_why(const char *why, size_t max)
{
	FUZZ_CHECK(strnlen(why, max) < max);
	for (; *why; why++)
		FUZZ_CHECK(*why >= 0x20 && *why < 0x7f);
}

static void rewrite(const uint8_t *data, size_t size, int af)
{
	spf_features_t f, f2;
	strbuf_t sb, sb2;
	char why[SPF_SYNTAX_WHY_MAX];

	strbuf_init(&sb, 2 * SPF_SYNTAX_MAX_LEN);
	memset(&f, 0x5a, sizeof(f));
	if (spf_syntax_rewrite((const char *)data, size, af, &sb, &f) == 0) {
		FUZZ_CHECK(!sb.truncated && strlen(strbuf_str(&sb)) == sb.len);
		FUZZ_CHECK(spf_syntax_is_spf1(strbuf_str(&sb), sb.len));
		if (sb.len <= SPF_SYNTAX_MAX_LEN) {
			if (spf_syntax_check(strbuf_str(&sb), sb.len, why,
			    sizeof(why)) != 0) {
				fprintf(stderr, "rewrite: %s\nwhy: %s\n",
				    strbuf_str(&sb), why);
				FUZZ_CHECK(!"rewritten record is valid");
			}
			strbuf_init(&sb2, 2 * SPF_SYNTAX_MAX_LEN);
			FUZZ_CHECK(spf_syntax_rewrite(strbuf_str(&sb), sb.len,
			    af, &sb2, &f2) == 0);
			FUZZ_CHECK(f2.has_all == f.has_all);
			FUZZ_CHECK(f2.has_ptr == f.has_ptr);
			strbuf_free(&sb2);
		}
	}
	strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[SPF_SYNTAX_WHY_MAX];
	int rc;

	(void)spf_syntax_is_spf1((const char *)data, size);
	memset(why, 'x', sizeof(why));
	rc = spf_syntax_check((const char *)data, size, why, sizeof(why));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		check_why(why, sizeof(why));
		return 0;
	}
	FUZZ_CHECK(size <= SPF_SYNTAX_MAX_LEN);
	FUZZ_CHECK(memchr(data, '\0', size) == NULL);
	rewrite(data, size, AF_INET);
	rewrite(data, size, AF_INET6);
	return 0;
}
