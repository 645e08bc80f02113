/*
 * ptool_check_syntax - unit tests of policy/tool/check_syntax.c: every
 * syntax problem of a DMARC record listed with its offset, not only the
 * first few (issue 14.3).
 */
#include <stdlib.h>
#include <string.h>

#include "../../policy/tool/check_syntax.h"
#include "../tap.h"

static size_t notes_of(const char *rec, char (*notes)[DMARC_ERR_MAX])
{
	char err[DMARC_ERR_MAX];
	dmarc_record_t r;

	dmarc_record_parse(rec, strlen(rec), &r, err, sizeof(err));
	return check_syntax_notes(rec, strlen(rec), err, notes,
	    CHECK_MAX_NOTES);
}

static int has(char (*notes)[DMARC_ERR_MAX], size_t n, const char *want)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strstr(notes[i], want))
			return 1;
	return 0;
}

int main(void)
{
	static const char bad[] = "v=DMARC1; p=reject; adkim=x; aspf=y; "
	    "pct=150; rua=foo; fo=9; p=none; ri=abc; bogus";
	char (*notes)[DMARC_ERR_MAX] = calloc(CHECK_MAX_NOTES, sizeof(*notes));
	size_t n = notes_of(bad, notes), i;

	for (i = 0; i < n; i++)
		diag("%s", notes[i]);
	ok(has(notes, n, "tag adkim: invalid value \"x\" at offset 26"),
	    "adkim named with its offset");
	ok(has(notes, n, "tag aspf: invalid value \"y\" at offset 34"), "aspf");
	ok(has(notes, n, "tag pct: invalid value \"150\" at offset 41"), "pct");
	ok(has(notes, n, "tag rua:") && has(notes, n, "offset 50"), "rua");
	ok(has(notes, n, "tag fo: invalid value \"9\" at offset 58"), "fo");
	ok(has(notes, n, "duplicate tag p at offset 61: the record is invalid"),
	    "the duplicate p");
	ok(has(notes, n, "tag ri: invalid value \"abc\" at offset 72"),
	    "ri, after the duplicate (the core parser stops there)");
	ok(has(notes, n, "malformed tag-spec at offset 77"), "malformed");
	is_int(n, 8, "eight problems, each once");
	n = notes_of("v=DMARC1; p=bogus; rua=mailto:d@example.com", notes);
	ok(n == 1 && strstr(notes[0], "tag p: invalid value \"bogus\" at "
	    "offset 12") && !strstr(notes[0], "no valid rua"), "bad p with a "
	    "valid rua elsewhere: the tag named, no false 'no rua' (%s)",
	    n ? notes[0] : "");
	n = notes_of("v=DMARC1; p=none", notes);
	is_int(n, 0, "a valid record: no notes");
	n = notes_of("v=DMARC1;; p=none", notes);
	ok(n == 1 && strstr(notes[0], "empty tag-spec at offset"),
	    "whole-record notes kept (%s)", n ? notes[0] : "");
	free(notes);
	return tap_done();
}
