/*
 * Unit tests for history/verdicts: hostile summaries (too many entries,
 * missing separators, empty), the tempfail rule, the domain filter
 * (subdomains, not look-alikes), and refusals (empty file, newer
 * version) on SQLite.  t/integration/policy_history.t runs the tool on
 * both backends.
 */
#include "../../history/hdb.h"
#include "../../history/migrate.h"
#include "../../history/verdicts.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct seen {
	int rows;
	size_t sigs[8], reasons[8];
	char first_sig[64], last_reason[64], from[8][64];
} seen_t;

static int keep(void *ctx, const verdict_row_t *r)
{
	seen_t *s = ctx;

	if (s->rows < 8) {
		s->sigs[s->rows] = r->nsigs;
		s->reasons[s->rows] = r->nreasons;
		str_copy(s->from[s->rows], sizeof(s->from[0]), r->header_from);
		if (r->nsigs > 0 && s->rows == 0)
			str_format(s->first_sig, sizeof(s->first_sig), "%s=%s",
			    r->sig[0].domain, r->sig[0].result);
		if (r->nreasons > 0)
			str_copy(s->last_reason, sizeof(s->last_reason),
			    r->reason[r->nreasons - 1]);
	}
	s->rows++;
	return 0;
}

static const char insert[] =
	"INSERT INTO messages (time, header_from, policy_domain, discovery,"
	" policy_found, result, spf_scope, spf_result, dkim_summary,"
	" override_summary, action) VALUES ($1, $2, $2, 'psl', 0, 'fail',"
	" 'mfrom', 'fail', $3, $4, $5)";

static void add(hdb_t *h, const char *time, const char *from,
    const char *dkim, const char *over, const char *action)
{
	const char *p[5] = { time, from, dkim, over, action };

	if (hdb_query(h, insert, 5, p, NULL, NULL) < 0)
		diag("insert: %s", hdb_error(h));
}

int main(void)
{
	char dir[] = "/tmp/dw-verdicts-XXXXXX", path[64], err[512];
	char many[2048];
	strbuf_t sb;
	seen_t s = { 0 };
	verdicts_t *vd;
	hdb_t *h;
	int i;

	if (mkdtemp(dir) == NULL)
		return 1;
	str_format(path, sizeof(path), "%s/h.db", dir);
	h = hdb_open(path, HDB_CREATE, err, sizeof(err), NULL);
	vd = verdicts_open(path, err, sizeof(err));
	ok(vd == NULL && strstr(err, "empty") != NULL && strstr(err, path),
	    "empty database refused: %s", err);
	is_int(hist_schema_open(h, HIST_SCHEMA_CREATE, err, sizeof(err)), 4,
	    "schema made");
	strbuf_init(&sb, sizeof(many) - 1);
	for (i = 0; i < 40; i++)
		strbuf_appendf(&sb, "%sd%d.example\x1ds\x1dpass\x1d", i ? "\x1e" :
		    "", i);
	str_copy(many, sizeof(many), strbuf_str(&sb));
	strbuf_free(&sb);
	add(h, "100", "a.example", many, "a\x1e" "b\x1e\x1e" "c\x1d" "x\x1e"
	    "d\x1e" "e\x1e" "f\x1e" "g\x1e" "h\x1e" "i\x1e" "j", "accept");
	add(h, "101", "sub.a.example", "nosep", "", "reject");
	add(h, "102", "xa.example", "", "", "accept");
	add(h, "103", "a.example", "\x1e\x1e\x1d\x1d\x1d\x1d\x1d", "\x1d",
	    "quarantine");
	add(h, "104", "a.example", "", "", "tempfail");
	hdb_close(h);

	vd = verdicts_open(path, err, sizeof(err));
	if (!ok(vd != NULL, "opened read-only: %s", err))
		return tap_done();
	is_int(verdicts_version(vd), 4, "version 4");
	is_int((int)verdicts_rows(vd, "a.example", 0, 1000, keep, &s), 3,
	    "a.example and its subdomain, not xa.example, not tempfail");
	ok(strcmp(s.from[1], "sub.a.example") == 0 && s.rows == 3,
	    "subdomain row second");
	is_int((int)s.sigs[0], VERDICTS_MAX_SIGS, "40 signatures cut to %d",
	    VERDICTS_MAX_SIGS);
	is_str(s.first_sig, "d0.example=pass", "first signature parsed");
	is_int((int)s.reasons[0], VERDICTS_MAX_REASONS, "reasons bounded, empty"
	    " ones skipped");
	is_int((int)s.sigs[1], 1, "summary without separators: one signature");
	is_int((int)s.sigs[2], 0, "separators only: no signature, no crash");
	is_int((int)verdicts_tempfailed(vd, "a.example", 0, 1000), 1,
	    "one tempfailed row counted apart");
	is_int((int)verdicts_tempfailed(vd, "", 0, 104), 0, "window end"
	    " exclusive");
	s.rows = 0;
	is_int((int)verdicts_rows(vd, "", 0, 1000, keep, &s), 4, "every domain");
	verdicts_close(vd);

	h = hdb_open(path, 0, err, sizeof(err), NULL);
	hdb_exec(h, "PRAGMA user_version = 5");
	hdb_close(h);
	vd = verdicts_open(path, err, sizeof(err));
	ok(vd == NULL && strstr(err, "schema version 5 is newer than version"
	    " 4") != NULL && strstr(err, path) != NULL, "newer refused: %s",
	    err);
	verdicts_close(vd);
	verdicts_close(NULL);
	unlink(path);
	str_format(path, sizeof(path), "%s/h.db-wal", dir);
	unlink(path);
	str_format(path, sizeof(path), "%s/h.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
