/*
 * fuzz_localpolicy - the LocalPolicyFile parser and lookup
 * (milter/localpolicy.h).
 *
 * Input: the file's text (no terminator).  Checks: a refused file names
 * "NAME:LINE: ..." or "NAME: ..." in a terminated err; an accepted one
 * has at most LOCALPOLICY_MAX_ENTRIES entries, and looking up the second
 * word of every line (as author domain and as recipient domain) and a
 * few fixed domains gives known actions and stages with terminated
 * "where" texts.
 */
#include "../../milter/localpolicy.h"
#include "../../util/strbuf.h"
#include "fuzz.h"

static void lookup(const localpolicy_t *lp, const char *dom)
{
	char rcpt[2][FROM_DOMAIN_MAX];
	localpolicy_match_t m;

	memset(rcpt, 0, sizeof(rcpt));
	str_copy(rcpt[0], FROM_DOMAIN_MAX, dom);
	str_copy(rcpt[1], FROM_DOMAIN_MAX, "other.example");
	memset(&m, 0x5a, sizeof(m));
	localpolicy_lookup(lp, dom, (const char (*)[FROM_DOMAIN_MAX])rcpt, 2,
	    &m);
	FUZZ_CHECK(strnlen(m.action_where, sizeof(m.action_where)) <
	    sizeof(m.action_where));
	FUZZ_CHECK(strnlen(m.stage_where, sizeof(m.stage_where)) <
	    sizeof(m.stage_where));
	FUZZ_CHECK(m.action_where[0] == '\0' || m.action != LOCAL_ACTION_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = { "example.com", "a.b.example.com",
	    "", "com", "xn--bcher-kva.example" };
	char err[512], word[FROM_DOMAIN_MAX], *text, *line, *save = NULL;
	localpolicy_t *lp;
	size_t i;

	memset(err, 'x', sizeof(err));
	lp = localpolicy_parse("fuzz.lp", (const char *)data, size, err,
	    sizeof(err));
	if (lp == NULL) {
		FUZZ_CHECK(strnlen(err, sizeof(err)) < sizeof(err));
		FUZZ_CHECK(strncmp(err, "fuzz.lp:", 8) == 0);
		return 0;
	}
	FUZZ_CHECK(localpolicy_count(lp) <= LOCALPOLICY_MAX_ENTRIES);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		lookup(lp, fixed[i]);
	text = fuzz_cstr(data, size);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%*s %253s", word) == 1)
			lookup(lp, word);
	}
	free(text);
	FUZZ_CHECK(localpolicy_retain(lp) == lp);
	localpolicy_release(lp);
	localpolicy_release(lp);
	return 0;
}
