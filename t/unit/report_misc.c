/* Unit tests for the reporter's small modules: mailmsg (base64, gzip,
 * MIME, folding, boundaries), dest (mailto: parsing, URI lists,
 * NoReportsList, external destination verification with a table DNS),
 * period (time parsing), repdb (upgrade from schema version 1, the
 * reportable rows, bookkeeping, read-only use). */
#include "../../history/schema.h"
#include "../../util/strbuf.h"
#include "../../reporter/dest.h"
#include "../../reporter/mailmsg.h"
#include "../../reporter/npcheck.h"
#include "../../reporter/period.h"
#include "../../history/repdb.h"
#include "../../reporter/collect.h"
#include "../tap.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---- mailmsg -------------------------------------------------------- */

static void test_base64(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==\r\n" }, { "fo", "Zm8=\r\n" },
		{ "foo", "Zm9v\r\n" }, { "foobar", "Zm9vYmFy\r\n" },
	};
	unsigned char big[120];
	strbuf_t sb;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		strbuf_init(&sb, 1024);
		mailmsg_base64((const unsigned char *)v[i].in, strlen(v[i].in),
		    &sb);
		is_str(strbuf_str(&sb), v[i].out, "base64 '%s'", v[i].in);
		strbuf_free(&sb);
	}
	memset(big, 0xff, sizeof(big));
	strbuf_init(&sb, 1024);
	mailmsg_base64(big, sizeof(big), &sb);
	ok(strstr(sb.s, "\r\n") == sb.s + 76 && sb.len == 160 + 3 * 2,
	    "76 characters a line, CRLF");
	strbuf_free(&sb);
}

static void test_gzip(void)
{
	const char *text = "<feedback>hello hello hello</feedback>";
	unsigned char *gz, out[256];
	size_t gzlen;
	z_stream z;

	ok(mailmsg_gzip((const unsigned char *)text, strlen(text), &gz,
	    &gzlen) == 0, "gzip");
	ok(gzlen > 18 && gz[0] == 0x1f && gz[1] == 0x8b, "gzip magic");
	memset(&z, 0, sizeof(z));
	inflateInit2(&z, 15 + 16);
	z.next_in = gz;
	z.avail_in = (uInt)gzlen;
	z.next_out = out;
	z.avail_out = sizeof(out);
	ok(inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out ==
	    strlen(text) && memcmp(out, text, strlen(text)) == 0,
	    "zlib inflates it back");
	inflateEnd(&z);
	free(gz);
}

/* The report XML reaches gzip in the writer's pieces: the bytes must be
 * those of one call over the whole text. */
static void test_gzip_stream(void)
{
	size_t n = 300000, len, gzlen, len2, gzlen2, off, k = 1;
	unsigned char *in = malloc(n), *gz, *gz2;
	mailmsg_gz_t *z = mailmsg_gzip_new();

	for (size_t i = 0; i < n; i++)       /* compressible, not trivially */
		in[i] = (unsigned char)("<row>10.0.0.</row>\n"[i % 19] +
		    (i % 19 == 12 ? (i / 19) % 10 : 0));
	ok(mailmsg_gzip(in, n, &gz, &gzlen) == 0, "gzip in one call");
	for (off = 0; off < n; off += len, k = k * 7 % 9973) {
		len = k < n - off ? k : n - off;
		if (mailmsg_gzip_push(z, in + off, len) < 0)
			break;
	}
	ok(off >= n && mailmsg_gzip_finish(z, &gz2, &gzlen2) == 0,
	    "gzip in pieces of 1 to 9972 bytes");
	len2 = off >= n ? gzlen2 : 0;
	ok(len2 == gzlen && memcmp(gz, gz2, gzlen) == 0,
	    "the same bytes (%zu)", gzlen);
	free(gz);
	if (len2)
		free(gz2);
	free(in);
	mailmsg_gzip_free(NULL);
}

static void test_mime(void)
{
	const char *trap = "line\n--=_dw_00000001_0\nmore";
	mailmsg_part_t parts[2] = {
		{ "text/plain", NULL, (const unsigned char *)trap, strlen(trap),
		    false },
		{ "application/gzip; name=\"a.xml.gz\"", "attachment",
		    (const unsigned char *)"xyz", 3, true },
	};
	mailmsg_t m = { "s@example.net", "Org \"Q\"", "r@example.com",
	    "Report Domain: example.com Submitter: example.net Report-ID: "
	    "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>", "id@example.net",
	    1, "mixed" };
	strbuf_t sb;

	strbuf_init(&sb, 65536);
	ok(mailmsg_build(&m, parts, 2, &sb) == 0, "MIME message built");
	ok(strstr(sb.s, "From: \"Org \\\"Q\\\"\" <s@example.net>\r\n") !=
	    NULL, "display name quoted");
	ok(strstr(sb.s, "Report-ID:\r\n <aaaa") != NULL,
	    "long Subject folded at a space");
	ok(strstr(sb.s, "Date: Thu, 01 Jan 1970 00:00:01 +0000\r\n") != NULL,
	    "RFC 5322 date");
	ok(strstr(sb.s, "Auto-Submitted: auto-generated\r\n") != NULL,
	    "Auto-Submitted");
	ok(strstr(sb.s, "boundary=\"=_dw_00000001_1\"") != NULL,
	    "boundary found in a part is not used");
	ok(strstr(sb.s, "line\r\n--=_dw_00000001_0\r\nmore\r\n") != NULL,
	    "text part with CRLF");
	ok(strstr(sb.s, "eHl6\r\n") != NULL, "attachment in base64");
	ok(strstr(sb.s, "\n") == strstr(sb.s, "\r\n") + 1, "CRLF throughout");
	strbuf_free(&sb);
	m.subject = "bad\r\nBcc: x@example.org";
	strbuf_init(&sb, 65536);
	ok(mailmsg_build(&m, parts, 2, &sb) < 0, "CRLF in a header refused");
	strbuf_free(&sb);
	m.subject = "ok";
	strbuf_init(&sb, 100);
	ok(mailmsg_build(&m, parts, 2, &sb) < 0, "over the limit: -1");
	strbuf_free(&sb);
}

/* ---- dest ----------------------------------------------------------- */

static void test_mailto(void)
{
	static const struct { const char *uri, *addr, *dom; } v[] = {
		{ "mailto:dmarc@Example.COM", "dmarc@example.com",
		    "example.com" },
		{ "MAILTO:a%40b@example.com", "", "" },
		{ "mailto:r%2Bx@example.com?subject=hi", "r+x@example.com",
		    "example.com" },
		{ "mailto:@example.com", "", "" },
		{ "mailto:a b@example.com", "", "" },
		{ "mailto:a@exa mple.com", "", "" },
		{ "mailto:a<b>@example.com", "", "" },
		{ "mailto:a@example.com%0d%0aBcc:x", "", "" },
		{ "https://example.com/r", "", "" },
		{ "mailto:%", "", "" },
	};
	char addr[DEST_ADDR_MAX], dom[FROM_DOMAIN_MAX], why[DEST_WHY_MAX];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		dest_mailto(v[i].uri, addr, sizeof(addr), dom, sizeof(dom),
		    why, sizeof(why));
		is_str(addr, v[i].addr, "mailto '%s'", v[i].uri);
		is_str(dom, v[i].dom, "domain of '%s'", v[i].uri);
	}
}

static void test_list(void)
{
	dest_t d[DEST_MAX];
	size_t n;

	n = dest_parse_list("mailto:a@example.com!10485760,https://x.example/r,"
	    "mailto:b@example.net", d, DEST_MAX);
	is_int(n, 3, "three URIs");
	is_str(d[0].uri, "mailto:a@example.com", "size cut from the URI");
	is_int(d[0].size, 10485760, "size kept");
	is_str(d[1].why, "not a mailto: URI", "https explained");
	is_str(d[2].addr, "b@example.net", "third address");
	is_int(dest_parse_list("", d, DEST_MAX), 0, "empty list");
	is_int(dest_parse_list("mailto:a@x.example,mailto:b@x.example", d, 1),
	    1, "bounded by max");
	ok(dest_listed("example.org, dmarc@example.net", "x@mail.example.org"),
	    "subdomain of a listed domain");
	ok(dest_listed("example.org dmarc@example.net", "DMARC@example.net"),
	    "listed address, any case");
	ok(!dest_listed("example.org", "x@badexample.org"), "suffix is not "
	    "a subdomain");
	ok(!dest_listed("dmarc@example.net", "other@example.net"),
	    "another address of a listed address's domain");
	ok(!dest_listed("", "x@example.org"), "empty list");
}

typedef struct fake_rr { const char *name, *txt; } fake_rr_t;

static const fake_rr_t fake_zone[] = {
	{ "_dmarc.example.com", "v=DMARC1; p=none" },
	{ "_dmarc.example.net", "v=DMARC1; p=none" },
	{ "mail.example.com._report._dmarc.example.net", "v=DMARC1" },
	{ "example.com._report._dmarc.spf.example", "v=spf1 -all" },
	{ "example.com._report._dmarc.flaky.example", "TEMPFAIL" },
	{ "example.com._report._dmarc.over.example", "v=DMARC1; rua="
	    "mailto:new@over.example!10m,mailto:evil@elsewhere.example;"
	    " ruf=mailto:f@over.example" },
	{ "example.com._report._dmarc.away.example", "v=DMARC1; rua="
	    "mailto:x@elsewhere.example" },
	{ "example.com._report._dmarc.plain.example", "v=DMARC1" },
	{ NULL, NULL },
};
static unsigned fake_queries;

static dnsops_status_t fake_txt(void *ctx, const char *name,
    txt_answer_t *out)
{
	dnsops_status_t st = DNSOPS_NXDOMAIN;

	(void)ctx;
	fake_queries++;
	for (const fake_rr_t *r = fake_zone; r->name; r++) {
		if (strcmp(r->name, name) != 0)
			continue;
		if (strcmp(r->txt, "TEMPFAIL") == 0) {
			str_copy(out->reason, sizeof(out->reason), "SERVFAIL");
			return DNSOPS_TEMPFAIL;
		}
		txt_answer_add(out, r->txt, strlen(r->txt));
		st = DNSOPS_OK;
	}
	return st;
}

static void test_verify(void)
{
	dns_ops_t ops = { fake_txt, NULL, NULL };
	discovery_cfg_t disc = { DISCOVERY_TREEWALK, NULL };
	dest_verifier_t *v = dest_verifier_new(&ops, &disc);
	char why[512];
	unsigned before;

	before = fake_queries;
	is_int(dest_verify(v, "example.com", "reports.example.com", why,
	    sizeof(why)), 1, "destination below the policy domain");
	is_int(fake_queries - before, 0, "... without a query");
	is_int(dest_verify(v, "mail.example.com", "example.com", why,
	    sizeof(why)), 1, "same organizational domain (tree walk)");
	is_int(dest_verify(v, "mail.example.com", "example.net", why,
	    sizeof(why)), 1, "external, authorized by v=DMARC1");
	is_int(dest_verify(v, "example.com", "example.net", why,
	    sizeof(why)), 0, "external, not authorized");
	ok(strstr(why, "example.com._report._dmarc.example.net") != NULL,
	    "reason names the record: %s", why);
	is_int(dest_verify(v, "example.com", "spf.example", why,
	    sizeof(why)), 0, "a TXT that is not v=DMARC1 does not authorize");
	is_int(dest_verify(v, "example.com", "flaky.example", why,
	    sizeof(why)), -1, "DNS failure: try later");
	before = fake_queries;
	dest_verify(v, "mail.example.com", "example.com", why, sizeof(why));
	is_int(fake_queries - before, 0, "organizational domains cached");
	dest_verifier_free(v);
}

/* RFC 9990 section 4: the authorization record's rua= replaces. */
static void test_override(void)
{
	dns_ops_t ops = { fake_txt, NULL, NULL };
	discovery_cfg_t disc = { DISCOVERY_TREEWALK, NULL };
	dest_verifier_t *v = dest_verifier_new(&ops, &disc);
	dest_t d[DEST_MAX];
	size_t n;

	n = dest_parse_list("mailto:old@over.example,mailto:y@away.example,"
	    "mailto:p@plain.example,mailto:i@sub.example.com,"
	    "mailto:t@flaky.example,https://over.example/r", d, DEST_MAX);
	is_int((int)n, 6, "six destinations");
	n = dest_override(v, "example.com", 'a', d, n, DEST_MAX);
	is_int((int)n, 7, "one replacement appended");
	ok(d[0].replaced && strstr(d[0].why, "replaced by the rua= of "
	    "example.com._report._dmarc.over.example"), "the original is "
	    "replaced: %s", d[0].why);
	is_str(n == 7 ? d[6].addr : "", "new@over.example", "by the URI at "
	    "its own host");
	is_int((int)(n == 7 ? d[6].size : 0), 10485760, "with its size");
	ok(d[1].replaced && strstr(d[1].why, "names no URI at away.example"),
	    "a replacement at another host only: not sent at all (%s)",
	    d[1].why);
	ok(!d[2].replaced && !d[3].replaced && !d[4].replaced &&
	    !d[5].replaced, "no rua= in the record, internal, DNS failure, "
	    "not mailto: left to dest_verify");
	n = dest_parse_list("mailto:old@over.example", d, DEST_MAX);
	n = dest_override(v, "example.com", 'f', d, n, DEST_MAX);
	ok(n == 2 && d[0].replaced && strcmp(d[1].addr, "f@over.example") ==
	    0, "failure reports follow ruf=");
	n = dest_parse_list("mailto:old@over.example,mailto:new@over.example",
	    d, DEST_MAX);
	n = dest_override(v, "example.com", 'a', d, n, DEST_MAX);
	is_int((int)n, 2, "no duplicate when the replacement is listed");
	ok(d[0].replaced && !d[1].replaced, "... and it is kept: the record "
	    "names it");
	dest_verifier_free(v);
}

/* ---- npcheck -------------------------------------------------------- */

static unsigned exists_queries;

static dnsops_status_t fake_exists(void *ctx, const char *name,
    char *reason, size_t len)
{
	(void)ctx;
	(void)reason;
	(void)len;
	exists_queries++;
	return strncmp(name, "gone", 4) == 0 ? DNSOPS_NXDOMAIN :
	    strncmp(name, "flaky", 5) == 0 ? DNSOPS_TEMPFAIL : DNSOPS_OK;
}

static void np_add(agg_report_t *rep, const char *hf, const char *result)
{
	const char *f[AGG_NFIELDS] = { "192.0.2.1", hf, "", "", "none",
	    result, "1", "1", "", "mfrom", "none", "", "" };

	agg_add(rep, f, 1);
}

static void test_npcheck(void)
{
	dns_ops_t ops = { NULL, fake_exists, NULL };
	agg_policy_t p = { .seen = 1, .p = "reject", .sp = "reject",
	    .np = "reject", .valid = true };
	agg_report_t rep;
	char **nx;
	size_t n;

	agg_init(&rep, "example.com");
	agg_policy_offer(&rep, &p);
	np_add(&rep, "example.com", "pass");
	np_add(&rep, "gone.example.com", "pass");
	np_add(&rep, "gone.example.com", "fail");
	np_add(&rep, "live.example.com", "pass");
	np_add(&rep, "flaky.example.com", "pass");
	np_add(&rep, "gone.other.example", "pass");
	exists_queries = 0;
	npcheck_report(&rep, &ops, &nx, &n);
	ok(n == 0 && exists_queries == 0, "sp and np both enforce: no query");
	npcheck_free(nx, n);
	str_copy(rep.policy.np, sizeof(rep.policy.np), "none");
	is_int((int)npcheck_report(&rep, &ops, &nx, &n), 3, "one query a "
	    "passing subdomain (not the domain, not outside it, once each)");
	ok(n == 1 && strcmp(nx[0], "gone.example.com") == 0, "NXDOMAIN "
	    "listed; DNS failure counts as existing");
	npcheck_free(nx, n);
	agg_free(&rep);
}

/* ---- period --------------------------------------------------------- */

static void test_period(void)
{
	time_t t, b, e;

	ok(period_parse("2025-11-23", &t) == 0 && t == 1763856000,
	    "date at midnight UTC");
	ok(period_parse("2024-02-29T23:59:59", &t) == 0 && t == 1709251199,
	    "leap day, time");
	ok(period_parse("2024-02-29 00:00:00", &t) == 0, "space separator");
	ok(period_parse("1763856000", &t) == 0 && t == 1763856000, "epoch");
	ok(period_parse("2025-02-29", &t) < 0, "no Feb 29 in 2025");
	ok(period_parse("2025-13-01", &t) < 0, "month 13");
	ok(period_parse("2025-11-23T24:00:00", &t) < 0, "hour 24");
	ok(period_parse("yesterday", &t) < 0, "words");
	ok(period_parse("", &t) < 0, "empty");
	ok(period_parse("1234567890123", &t) < 0, "too many digits");
	period_yesterday(1763900000, &b, &e);
	ok(b == 1763769600 && e == 1763856000, "yesterday, UTC");
}

/* ---- repdb ---------------------------------------------------------- */

static const char v1_schema[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE messages (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	" qid TEXT NOT NULL DEFAULT '', source_ip TEXT NOT NULL DEFAULT '',"
	" helo TEXT NOT NULL DEFAULT '', envelope_from TEXT NOT NULL"
	" DEFAULT '', header_from TEXT NOT NULL DEFAULT '', policy_domain"
	" TEXT NOT NULL DEFAULT '', org_domain TEXT NOT NULL DEFAULT '',"
	" discovery TEXT NOT NULL, policy_found INTEGER NOT NULL, policy_p"
	" TEXT, policy_sp TEXT, policy_np TEXT, policy_adkim TEXT,"
	" policy_aspf TEXT, policy_pct INTEGER, policy_testing TEXT,"
	" policy_fo TEXT, policy_psd TEXT, result TEXT NOT NULL,"
	" disposition_requested TEXT, disposition_evaluated TEXT,"
	" disposition_applied TEXT, np_applied INTEGER NOT NULL DEFAULT 0,"
	" sampled_out INTEGER NOT NULL DEFAULT 0, spf_domain TEXT NOT NULL"
	" DEFAULT '', spf_scope TEXT NOT NULL, spf_result TEXT NOT NULL,"
	" spf_aligned INTEGER NOT NULL DEFAULT 0, dkim_aligned INTEGER NOT"
	" NULL DEFAULT 0, arc_result TEXT NOT NULL DEFAULT '', arc_sealers"
	" TEXT NOT NULL DEFAULT '', reported TEXT);"
	"CREATE INDEX messages_time ON messages (time);"
	"CREATE INDEX messages_policy_time ON messages (policy_domain, time);"
	"CREATE INDEX messages_reported ON messages (reported, time);"
	"CREATE TABLE message_rcpt (message_id INTEGER NOT NULL REFERENCES"
	" messages (id) ON DELETE CASCADE, seq INTEGER NOT NULL, domain TEXT"
	" NOT NULL, PRIMARY KEY (message_id, seq));"
	"CREATE TABLE message_dkim (message_id INTEGER NOT NULL REFERENCES"
	" messages (id) ON DELETE CASCADE, seq INTEGER NOT NULL, domain TEXT"
	" NOT NULL, selector TEXT NOT NULL DEFAULT '', result TEXT NOT NULL,"
	" aligned INTEGER NOT NULL DEFAULT 0, human_result TEXT NOT NULL"
	" DEFAULT '', PRIMARY KEY (message_id, seq));"
	"CREATE TABLE message_override (message_id INTEGER NOT NULL"
	" REFERENCES messages (id) ON DELETE CASCADE, seq INTEGER NOT NULL,"
	" reason TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', PRIMARY KEY"
	" (message_id, seq));"
	"INSERT INTO meta VALUES ('schema_version', '1');"
	"INSERT INTO messages (time, source_ip, header_from, policy_domain,"
	" discovery, policy_found, policy_p, policy_sp, policy_np,"
	" policy_adkim, policy_aspf, policy_pct, policy_testing, policy_fo,"
	" policy_psd, result, spf_domain, spf_scope, spf_result) VALUES"
	" (1000, '192.0.2.1', 'example.org', 'example.org', 'psl', 1, 'none',"
	" 'none', 'none', 'r', 'r', 100, 'n', '0', 'u', 'pass', 'example.org',"
	" 'mfrom', 'pass');"
	"INSERT INTO message_rcpt VALUES (1, 0, 'example.net');"
	"INSERT INTO message_dkim VALUES (1, 0, 'example.org', 's1', 'pass',"
	" 1, '');"
	"PRAGMA user_version = 1;";

static int exec_file(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static void test_repdb(const char *dir)
{
	char path[300], err[512], id[REPDB_ID_MAX];
	const char *uris[2] = { "mailto:a@example.org", "mailto:b@example.org" };
	repdb_t *db;
	repdb_list_t l = { 0 };
	agg_report_t rep;
	repdb_dest_t d;
	long long n;

	str_format(path, sizeof(path), "%s/v1.db", dir);
	ok(exec_file(path, v1_schema) == 0, "version 1 database made");
	db = repdb_open(path, true, err, sizeof(err));
	ok(db == NULL && strstr(err, "open it writable to upgrade"),
	    "read-only open of version 1 refused: %s", err);
	db = repdb_open(path, false, err, sizeof(err));
	if (!ok(db != NULL, "writable open upgrades: %s", db ? "" : err))
		return;
	repdb_close(db);
	/* Messages answered 451 are retried by their senders: the retry
	 * counts, these rows never do (and expire like reported ones). */
	ok(exec_file(path, "INSERT INTO messages (time, source_ip,"
	    " header_from, policy_domain, discovery, policy_found, policy_p,"
	    " result, spf_scope, spf_result, action, smtp_reply) VALUES"
	    " (1000, '192.0.2.9', 'example.org', 'example.org', 'psl', 1,"
	    " 'reject', 'temperror', 'mfrom', 'none', 'tempfail', '451 4.7.5'),"
	    " (1000, '192.0.2.9', 'retry.example', 'retry.example', 'psl', 1,"
	    " 'reject', 'temperror', 'mfrom', 'none', 'tempfail',"
	    " '451 4.7.5');")
	    == 0, "two tempfailed rows added");
	db = repdb_open(path, false, err, sizeof(err));
	if (!ok(db != NULL, "reopened: %s", db ? "" : err))
		return;
	is_int(repdb_domains(db, 0, 2000, &l), 0, "domains listed");
	is_int(l.n, 1, "the old row counts, tempfailed rows do not");
	repdb_list_free(&l);
	agg_init(&rep, "example.org");
	is_int(collect_domain(db, 0, 2000, &rep), 1,
	    "old row collected (children read for its summaries)");
	agg_sort(&rep);
	ok(rep.nrecords == 1 && strstr(rep.records[0].key, "example.net") &&
	    strstr(rep.records[0].key, "s1"), "envelope_to and DKIM of the "
	    "version 1 row found");
	agg_free(&rep);
	is_int(repdb_report_find(db, "example.org", 0, 2000, id, sizeof(id)),
	    0, "no pending report");
	ok(repdb_report_start(db, "r1", "example.org", 0, 2000, 1, uris, 2) ==
	    0, "report started");
	is_int(repdb_report_find(db, "example.org", 0, 2000, id, sizeof(id)),
	    1, "pending report found");
	is_str(id, "r1", "its id");
	memset(&d, 0, sizeof(d));
	d.state = DEST_SENT;
	d.attempts = 1;
	ok(repdb_dest_set(db, "r1", uris[0], &d) == 0, "destination recorded");
	ok(repdb_dest_get(db, "r1", uris[0], &d) == 0 && d.state == DEST_SENT &&
	    d.attempts == 1, "and read back");
	ok(repdb_dest_get(db, "r1", uris[1], &d) == 0 &&
	    d.state == DEST_PENDING, "the other still pending");
	ok(repdb_mark(db, "example.org", 0, 2000, "r1", &n) == 0 && n == 1,
	    "one row marked");
	ok(repdb_report_done(db, "r1") == 0, "report closed");
	is_int(repdb_report_find(db, "example.org", 0, 2000, id, sizeof(id)),
	    0, "no pending report any more");
	repdb_domains(db, 0, 2000, &l);
	is_int(l.n, 0, "nothing left to report");
	repdb_list_free(&l);
	is_int(repdb_expire(db, 1001), 3,
	    "reported row and the tempfailed rows expired");
	repdb_close(db);
	str_format(path, sizeof(path), "%s/foreign.db", dir);
	exec_file(path, "CREATE TABLE x (a); PRAGMA user_version = 7;");
	ok(repdb_open(path, false, err, sizeof(err)) == NULL &&
	    strstr(err, "schema version 7"), "foreign database refused: %s",
	    err);
	str_format(path, sizeof(path), "%s/missing.db", dir);
	ok(repdb_open(path, false, err, sizeof(err)) == NULL &&
	    access(path, F_OK) != 0, "missing database not created");
}

int main(void)
{
	char dir[] = "/tmp/report-misc.XXXXXX", cmd[64];

	test_base64();
	test_gzip();
	test_gzip_stream();
	test_mime();
	test_mailto();
	test_list();
	test_verify();
	test_override();
	test_npcheck();
	test_period();
	if (mkdtemp(dir) != NULL) {
		test_repdb(dir);
		str_format(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("cleanup failed");
	}
	return tap_done();
}
