/*
 * Unit tests for history/failstore: unhandled samples oldest first, the
 * sample joined with its message row (also when the row is gone, and a
 * version 1 row without dkim_summary on SQLite), marking, the instance
 * tag made once, the hourly count.  SQLite always; PostgreSQL when
 * DW_TEST_PG_URI names a server (t/integration/migrate_pg.t).
 */
#include "../../history/failstore.h"
#include "../../history/hdb.h"
#include "../../history/migrate.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct got {
	int calls;
	long long id, time;
	char text[1024];
	bool spf_aligned, dkim_aligned;
} got_t;

static void keep(void *ctx, const failstore_row_t *r)
{
	got_t *g = ctx;

	g->calls++;
	g->id = r->id;
	g->time = r->time;
	g->spf_aligned = r->spf_aligned;
	g->dkim_aligned = r->dkim_aligned;
	str_format(g->text, sizeof(g->text), "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|"
	    "%s|%s|%s", r->policy_domain, r->header_from, r->source_ip,
	    r->mail_from, r->auth_failure, r->ruf, r->headers, r->psd,
	    r->spf_domain, r->spf_scope, r->spf_result, r->dkim, r->result);
}

static const char fill[] =
	"INSERT INTO messages (id, time, header_from, policy_domain,"
	" discovery, policy_found, policy_psd, result, spf_domain, spf_scope,"
	" spf_result, spf_aligned, dkim_aligned, dkim_summary) VALUES"
	" (1, 100, 'a.example', 'a.example', 'psl', 1, 'n', 'fail',"
	" 'b.example', 'mfrom', 'fail', 0, 1,"
	" 'a.example\x1d" "s1\x1dpass\x1d'),"
	" (2, 100, 'c.example', 'c.example', 'psl', 1, 'y', 'fail', '',"
	" 'helo', 'none', 0, 0, NULL);"
	"INSERT INTO message_dkim (message_id, seq, domain, selector, result,"
	" aligned) VALUES (2, 0, 'c.example', 'k', 'fail', 0);"
	"INSERT INTO failure_samples (id, message_id, time, policy_domain,"
	" header_from, source_ip, mail_from, ruf, auth_failure, headers,"
	" reported) VALUES"
	" (10, 1, 300, 'a.example', 'a.example', '192.0.2.1', 'x@b.example',"
	" 'mailto:f@a.example', 'dmarc', 'From: x\r\n',"
	" NULL),"
	" (11, 2, 200, 'c.example', 'c.example', '', '', 'mailto:f@c.example',"
	" 'dkim', 'H', NULL),"
	" (12, 1, 50, 'a.example', 'a.example', '', '', 'mailto:f@a.example',"
	" 'spf', 'H', 0),"
	" (13, 1, 300, 'a.example', 'a.example', '', '', 'mailto:f@a.example',"
	" 'spf', 'H', NULL);"
	"INSERT INTO report_log (report_id, policy_domain, \"begin\", \"end\","
	" created, state) VALUES ('fr10.300', 'a.example', 1, 2, 3, 'done'),"
	" ('agg1', 'a.example', 1, 2, 3, 'done');"
	"INSERT INTO report_dest (report_id, uri, state, last_attempt) VALUES"
	" ('fr10.300', 'mailto:f@a.example', 'sent', 5000),"
	" ('agg1', 'mailto:f@a.example', 'sent', 5000)";

static void checks(hdb_t *h, const char *what)
{
	long long ids[8];
	char tag[32], tag2[32];
	got_t g = { 0 };
	char err[256];

	is_int(hist_schema_open(h, HIST_SCHEMA_CREATE, err, sizeof(err)), 4,
	    "%s: schema (%s)", what, err);
	ok(hdb_exec(h, "BEGIN") == 0 &&
	    hdb_exec(h, fill) == 0 && hdb_exec(h, "COMMIT") == 0,
	    "%s: rows (%s)", what, hdb_error(h));
	is_int(failstore_pending(h, ids, 8), 3, "%s: three unhandled", what);
	ok(ids[0] == 11 && ids[1] == 10 && ids[2] == 13,
	    "%s: oldest first, then by id (%lld %lld %lld)", what, ids[0],
	    ids[1], ids[2]);
	is_int(failstore_pending(h, ids, 2), 2, "%s: at most max", what);
	is_int(failstore_read(h, 10, keep, &g), 1, "%s: read", what);
	is_str(g.text, "a.example|a.example|192.0.2.1|x@b.example|dmarc|"
	    "mailto:f@a.example|From: x\r\n|n|b.example|mfrom|fail|"
	    "a.example\x1ds1\x1dpass\x1d|fail", "%s: every field", what);
	ok(g.id == 10 && g.time == 300 && !g.spf_aligned && g.dkim_aligned,
	    "%s: numbers and booleans", what);
	g.calls = 0;
	is_int(failstore_read(h, 11, keep, &g), 1, "%s: read 11", what);
	is_str(g.text, hdb_kind(h) == HDB_PG ?
	    "c.example|c.example|||dkim|mailto:f@c.example|H|y||helo|none||"
	    "fail" : "c.example|c.example|||dkim|mailto:f@c.example|H|y||helo|"
	    "none|c.example\x1dk\x1d" "fail\x1d|fail", "%s: no dkim_summary"
	    " (version 1 row: built from message_dkim on SQLite)", what);
	is_int(failstore_read(h, 99, keep, &g), 0, "%s: no such sample",
	    what);
	ok(failstore_mark(h, 11, 0, "psd=y") == 0 && failstore_pending(h,
	    ids, 8) == 2, "%s: marked one", what);
	ok(failstore_instance(h, false, tag, sizeof(tag)) == 0 &&
	    tag[0] == '\0', "%s: no instance tag, none made", what);
	ok(failstore_instance(h, true, tag, sizeof(tag)) == 0 &&
	    strlen(tag) == 16, "%s: tag made: %s", what, tag);
	ok(failstore_instance(h, true, tag2, sizeof(tag2)) == 0 &&
	    strcmp(tag, tag2) == 0, "%s: the same tag after", what);
	is_int(failstore_sent_since(h, "mailto:f@a.example", 4000), 1,
	    "%s: failure reports sent in the hour (not aggregate)", what);
	is_int(failstore_sent_since(h, "mailto:f@a.example", 6000), 0,
	    "%s: none later", what);
}

int main(void)
{
	char dir[] = "/tmp/dw-failstore-XXXXXX", path[64], err[256];
	const char *pg = getenv("DW_TEST_PG_URI");
	hdb_t *h;

	if (mkdtemp(dir) == NULL)
		return 1;
	str_format(path, sizeof(path), "%s/h.db", dir);
	h = hdb_open(path, HDB_CREATE, err, sizeof(err), NULL);
	checks(h, "SQLite");
	hdb_close(h);
	unlink(path);
	str_format(path, sizeof(path), "%s/h.db-wal", dir);
	unlink(path);
	str_format(path, sizeof(path), "%s/h.db-shm", dir);
	unlink(path);
	rmdir(dir);
	if (pg != NULL && (h = hdb_open(pg, 0, err, sizeof(err), NULL))) {
		hdb_exec(h, "DROP TABLE IF EXISTS failure_samples, report_dest,"
		    " report_log, message_override, message_dkim, message_rcpt,"
		    " messages, meta CASCADE");
		checks(h, "PostgreSQL");
		hdb_close(h);
	}
	return tap_done();
}
