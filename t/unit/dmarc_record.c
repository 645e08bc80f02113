/*
 * Unit tests for policy/dmarc_record: golden files (records.in, one
 * record per line with \t \r \n \\ \xHH escapes, against records.ref,
 * "STATUS | canonical | diagnostics"), then select, format and limits.
 *
 * Regenerate the reference after a deliberate change (and review the
 * diff!):  t/unit/dmarc_record.t --generate > t/data/dmarc_record/records.ref
 */
#include "../../policy/dmarc_record.h"
#include "../../util/strbuf.h"
#include "../golden.h"
#include "../tap.h"

#include <stdlib.h>

#define LINE_MAX_LEN 4096

static const char *status_name(dmarc_record_status_t st)
{
	switch (st) {
	case DMARC_RECORD_OK: return "OK";
	case DMARC_RECORD_NOT_DMARC: return "NOT_DMARC";
	case DMARC_RECORD_INVALID: return "INVALID";
	}
	return "?";
}

/* The one-line result the reference file holds. */
static void describe(const char *txt, size_t len, char *out, size_t size,
    dmarc_record_t *rec)
{
	char err[DMARC_ERR_MAX], canon[2048];
	dmarc_record_status_t st;

	st = dmarc_record_parse(txt, len, rec, err, sizeof(err));
	if (st != DMARC_RECORD_OK || dmarc_record_format(rec, canon,
	    sizeof(canon)) < 0)
		str_copy(canon, sizeof(canon), "-");
	str_format(out, size, "%s | %s | %s", status_name(st), canon, err);
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static FILE *open_data(const char *argv0, const char *file)
{
	char path[1024];
	const char *slash = strrchr(argv0, '/');
	int dirlen = slash ? (int)(slash - argv0) : 1;

	str_format(path, sizeof(path), "%.*s/../data/dmarc_record/%s",
	    dirlen, slash ? argv0 : ".", file);
	return fopen(path, "r");
}

/* Golden test; also checks that each canonical form parses back to
 * the same canonical form. */
static int golden(const char *argv0, int generate)
{
	FILE *in = open_data(argv0, "records.in");
	FILE *ref = generate ? NULL : open_data(argv0, "records.ref");
	static char line[LINE_MAX_LEN], rec[LINE_MAX_LEN], want[LINE_MAX_LEN];
	char got[LINE_MAX_LEN], again[LINE_MAX_LEN], canon[2048];
	dmarc_record_t r, r2;
	size_t len;
	int n = 0;

	if (in == NULL || (!generate && ref == NULL)) {
		ok(0, "golden files found next to %s", argv0);
		return -1;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		chomp(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		len = golden_unescape(line, rec, sizeof(rec) - 1);
		describe(rec, len, got, sizeof(got), &r);
		n++;
		if (generate) {
			printf("%s\n", got);
			continue;
		}
		if (fgets(want, sizeof(want), ref) == NULL)
			want[0] = '\0';
		chomp(want);
		is_str(got, want, "record %d: %s", n, line);
		if (strncmp(got, "OK ", 3) == 0) {
			dmarc_record_format(&r, canon, sizeof(canon));
			describe(canon, strlen(canon), again, sizeof(again), &r2);
			ok(strncmp(again, got, strlen("OK | ") + strlen(canon))
			    == 0, "record %d: canonical form parses back", n);
		}
	}
	fclose(in);
	if (ref) {
		ok(fgets(want, sizeof(want), ref) == NULL,
		    "no extra lines in records.ref");
		fclose(ref);
	}
	return n;
}

static void add(txt_answer_t *a, const char *s)
{
	txt_answer_add(a, s, strlen(s));
}

static void test_select(void)
{
	txt_answer_t a;
	dmarc_record_t r;
	char err[DMARC_ERR_MAX];
	int i;

	txt_answer_init(&a);
	is_int(dmarc_record_select(&a, &r, err, sizeof(err)),
	    DMARC_RECORD_NOT_DMARC, "select: empty answer");
	add(&a, "v=spf1 -all");
	add(&a, "some-verification=xyz");
	is_int(dmarc_record_select(&a, &r, err, sizeof(err)),
	    DMARC_RECORD_NOT_DMARC, "select: no DMARC among 2 TXT");
	is_str(err, "no DMARC record among 2 TXT records", "select: why");
	add(&a, "v=DMARC1; p=reject");
	is_int(dmarc_record_select(&a, &r, err, sizeof(err)),
	    DMARC_RECORD_OK, "select: one DMARC among others");
	is_int(r.p, DMARC_POLICY_REJECT, "select: the DMARC one is used");
	add(&a, "v=DMARC1; p=none");
	is_int(dmarc_record_select(&a, &r, err, sizeof(err)),
	    DMARC_RECORD_INVALID, "select: two DMARC records");
	is_str(err, "2 DMARC records at one name: all discarded",
	    "select: two, why");
	ok(!r.policy_invalid && r.p == DMARC_POLICY_NONE,
	    "select: two leaves a default record");
	txt_answer_free(&a);

	add(&a, "v=DMARC1; p=reject");
	add(&a, "v=DMARC1; p=n");   /* invalid still counts as DMARC */
	is_int(dmarc_record_select(&a, &r, err, sizeof(err)),
	    DMARC_RECORD_INVALID, "select: valid + invalid DMARC = two");
	txt_answer_free(&a);

	add(&a, "v=DMARC1; p=n");
	is_int(dmarc_record_select(&a, &r, err, sizeof(err)),
	    DMARC_RECORD_INVALID, "select: the only one is invalid");
	ok(r.policy_invalid, "select: invalid policy flagged");
	ok(strstr(err, "tag p") != NULL, "select: invalid policy why: %s", err);
	txt_answer_free(&a);

	for (i = 0; i < TXT_MAX_RECORDS + 1; i++)
		add(&a, i == 3 ? "v=DMARC1; p=reject" : "filler");
	ok(a.truncated, "select: answer truncated");
	is_int(dmarc_record_select(&a, &r, err, sizeof(err)),
	    DMARC_RECORD_INVALID, "select: truncated answer not trusted");
	txt_answer_free(&a);
	for (i = 0; i < TXT_MAX_RECORDS + 1; i++)
		add(&a, "filler");
	is_int(dmarc_record_select(&a, &r, err, sizeof(err)),
	    DMARC_RECORD_INVALID, "select: truncated, none kept: unknown");
	txt_answer_free(&a);
	is_int(dmarc_record_select(NULL, &r, NULL, 0),
	    DMARC_RECORD_NOT_DMARC, "select: NULL answer, NULL err");
}

static void test_limits(void)
{
	dmarc_record_t r;
	char err[DMARC_ERR_MAX], small[20], buf[4096];
	char *big;
	size_t n = 65536, pre;
	int len;

	big = malloc(n);
	if (big == NULL)
		abort();
	memset(big, 'a', n);
	pre = (size_t)str_format(buf, sizeof(buf), "v=DMARC1; p=reject; x=");
	memcpy(big, buf, pre);
	is_int(dmarc_record_parse(big, n, &r, err, sizeof(err)),
	    DMARC_RECORD_INVALID, "64 KB record refused");
	is_str(err, "record too long (65536 bytes, limit 8192)", "64 KB why");
	memcpy(big, "v=DMARC1; p=reject; x=", pre);
	is_int(dmarc_record_parse(big, DMARC_RECORD_MAX_LEN, &r, err,
	    sizeof(err)), DMARC_RECORD_OK, "record at the limit parses");
	is_int(r.p, DMARC_POLICY_REJECT, "record at the limit: p");
	is_int(dmarc_record_parse(big + pre, n - pre, &r, err, sizeof(err)),
	    DMARC_RECORD_NOT_DMARC, "64 KB of junk is not DMARC");
	free(big);

	/* Not NUL-terminated: parse must stop at len. */
	memcpy(buf, "v=DMARC1; p=rejectXXXX", 22);
	is_int(dmarc_record_parse(buf, 18, &r, err, sizeof(err)),
	    DMARC_RECORD_OK, "length respected, no terminator needed");
	is_int(r.p, DMARC_POLICY_REJECT, "length respected: p");
	is_int(dmarc_record_parse(NULL, 5, &r, NULL, 0),
	    DMARC_RECORD_NOT_DMARC, "NULL record");
	is_int(dmarc_record_parse("v=DMARC1; p=n", 13, &r, small, 5),
	    DMARC_RECORD_INVALID, "tiny err buffer");
	is_int((int)strlen(small), 4, "tiny err buffer terminated");

	dmarc_record_parse("v=DMARC1; p=reject; rua=mailto:a@example.com",
	    45, &r, err, sizeof(err));
	is_int(dmarc_record_format(&r, small, sizeof(small)), -1,
	    "format reports truncation");
	is_int((int)strlen(small), 19, "format truncated output terminated");
	len = dmarc_record_format(&r, buf, sizeof(buf));
	is_int(len, (int)strlen(buf), "format returns the length");
	is_str(dmarc_policy_name(DMARC_POLICY_UNSPEC), "unspecified",
	    "policy name unspec");
	is_str(dmarc_align_name(DMARC_ALIGN_STRICT), "s", "align name");
}

static void test_fields(void)
{
	dmarc_record_t r;
	char err[DMARC_ERR_MAX];
	const char *t = "v=DMARC1; p=quarantine; sp=reject; adkim=s; pct=20; "
	    "rua=mailto:a@example.com!10m, https://r.example/x; t=y; "
	    "psd=n; fo=d:1; rf=afrf; ri=600";

	is_int(dmarc_record_parse(t, strlen(t), &r, err, sizeof(err)),
	    DMARC_RECORD_OK, "fields: parse");
	ok(r.p == DMARC_POLICY_QUARANTINE && r.sp == DMARC_POLICY_REJECT &&
	    r.np == DMARC_POLICY_REJECT, "fields: p, sp, np from sp");
	ok(r.p_present && r.sp_present && !r.np_present, "fields: present");
	ok(r.adkim == DMARC_ALIGN_STRICT && r.adkim_present &&
	    r.aspf == DMARC_ALIGN_RELAXED && !r.aspf_present, "fields: align");
	ok(r.pct == 20 && r.pct_present, "fields: pct");
	ok(r.testing && r.t_present && r.psd == 'n', "fields: t, psd");
	is_str(r.fo, "d:1", "fields: fo");
	ok(r.ri == 600 && r.ri_present && r.rf_present, "fields: ri, rf");
	is_int(r.nrua, 2, "fields: two rua");
	is_str(r.rua[0].uri, "mailto:a@example.com", "fields: rua 0 uri");
	ok(r.rua[0].size == 10ULL << 20, "fields: rua 0 size 10m");
	is_str(r.rua[1].uri, "https://r.example/x", "fields: rua 1 uri");
	ok(r.rua[1].size == 0, "fields: rua 1 no size");
	is_int(r.nruf, 0, "fields: no ruf");
	ok(!r.uris_dropped && r.tags_discarded == 0 && err[0] == '\0',
	    "fields: nothing dropped");
}

int main(int argc, char **argv)
{
	int generate = argc > 1 && strcmp(argv[1], "--generate") == 0;

	if (golden(argv[0], generate) < 0 || generate)
		return generate ? 0 : tap_done();
	test_select();
	test_limits();
	test_fields();
	return tap_done();
}
