/*
 * history_pg - batches of history records into PostgreSQL.  See
 * history_pg.h; the tables are documented in history/schema.h.
 *
 * Statements carry up to PG_CHUNK messages rows (42 parameters each) and
 * up to PG_PARAMS_MAX parameters for child rows: one round trip writes
 * hundreds of rows, and stays under libpq's 65,535 parameters.
 */
#include "history_pg.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "../util/log.h"
#include "migrate.h"
#include "../util/strbuf.h"

#define PG_CHUNK 200
#define PG_PARAMS_MAX 30000
#define PG_SQL_MAX (4 * 1024 * 1024)
#define PG_ROW_LOG_INTERVAL 60


int history_pg_open(history_pg_t *p, char *err, size_t errlen)
{
	bool unavailable = false;
	int rc;

	p->db = hdb_open(p->spec, 0, err, errlen, &unavailable);
	if (p->db == NULL)
		return unavailable ? -1 : -2;
	/* A spool file is deleted once its rows are committed: the commit
	 * must survive a server crash even where the server's default is
	 * asynchronous commit. */
	if (hdb_exec(p->db, "SET synchronous_commit = on") != 0) {
		str_format(err, errlen, "%s", hdb_error(p->db));
		rc = hdb_unavailable(p->db) ? -1 : -2;
		history_pg_close(p);
		return rc;
	}
	if ((rc = hist_schema_open(p->db, HIST_SCHEMA_CREATE |
	    HIST_SCHEMA_UPGRADE, err, errlen)) < 0) {
		history_pg_close(p);
		return rc;
	}
	return 0;
}

void history_pg_close(history_pg_t *p)
{
	hdb_close(p->db);
	p->db = NULL;
}

/* ---- statements ----------------------------------------------------- */

/* The server cannot be used now: connection errors (08), shutdown and
 * crash recovery (57P), out of resources (53), or a dead connection. */
static bool pg_transient(PGconn *c, const PGresult *r)
{
	const char *st = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) :
	    NULL;

	if (PQstatus(c) != CONNECTION_OK || st == NULL)
		return true;
	return strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0 ||
	    strncmp(st, "53", 2) == 0;
}

/* One statement with n text parameters; fn sees each result row.
 * 0, or -1 with p->err and p->unavailable set. */
static int pg_run(history_pg_t *p, const char *sql, size_t n,
    const char *const *params, hdb_row_fn fn, void *ctx)
{
	PGconn *c = hdb_pg(p->db);
	PGresult *r = PQexecParams(c, sql, (int)n, NULL, params, NULL, NULL,
	    0);
	ExecStatusType st = PQresultStatus(r);
	const char *vals[2];
	int rows, k;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		rows = PQntuples(r);
		for (int i = 0; fn != NULL && i < rows; i++) {
			for (k = 0; k < 2 && k < PQnfields(r); k++)
				vals[k] = PQgetisnull(r, i, k) ? NULL :
				    PQgetvalue(r, i, k);
			fn(ctx, k, vals);
		}
		PQclear(r);
		return 0;
	}
	str_format(p->err, sizeof(p->err), "%.40s...: %s", sql,
	    r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(c));
	for (size_t e = strlen(p->err); e > 0 && p->err[e - 1] == '\n'; e--)
		p->err[e - 1] = '\0';
	p->unavailable = pg_transient(c, r);
	PQclear(r);
	return -1;
}

static int pg_cmd(history_pg_t *p, const char *sql)
{
	return pg_run(p, sql, 0, NULL, NULL, NULL);
}

/* ---- multi-row statements ------------------------------------------- */

typedef struct ins {
	strbuf_t sql;
	const char **params;
	size_t np, cap;
	size_t rows;
	int ncols;
	const char *head;               /* "INSERT INTO t (cols) VALUES " */
} ins_t;

static void ins_init(ins_t *q, const char *head, int ncols)
{
	memset(q, 0, sizeof(*q));
	strbuf_init(&q->sql, PG_SQL_MAX);
	q->head = head;
	q->ncols = ncols;
}

static void ins_free(ins_t *q)
{
	strbuf_free(&q->sql);
	free(q->params);
}

static int ins_row(ins_t *q, const char *const *vals)
{
	const char **np;

	if (q->np + (size_t)q->ncols > q->cap) {
		q->cap = q->cap ? q->cap * 2 : 1024;
		if ((np = realloc(q->params, q->cap * sizeof(*np))) == NULL)
			return -1;
		q->params = np;
	}
	strbuf_puts(&q->sql, q->rows ? ",(" : q->head);
	if (q->rows == 0)
		strbuf_putc(&q->sql, '(');
	for (int i = 0; i < q->ncols; i++) {
		q->params[q->np++] = vals[i];
		strbuf_appendf(&q->sql, "%s$%zu", i ? "," : "", q->np);
	}
	strbuf_putc(&q->sql, ')');
	q->rows++;
	return q->sql.truncated ? -1 : 0;
}

static void ins_reset(ins_t *q)
{
	strbuf_reset(&q->sql);
	q->np = q->rows = 0;
}

/* Run what is gathered (nothing to do when empty). */
static int ins_flush(history_pg_t *p, ins_t *q, const char *tail,
    hdb_row_fn fn, void *ctx)
{
	int rc = 0;

	if (q->rows > 0) {
		if (tail != NULL)
			strbuf_puts(&q->sql, tail);
		if (q->sql.truncated) {
			str_format(p->err, sizeof(p->err), "statement too "
			    "long");
			p->unavailable = false;
			rc = -1;
		} else {
			rc = pg_run(p, strbuf_str(&q->sql), q->np, q->params,
			    fn, ctx);
		}
	}
	ins_reset(q);
	return rc;
}

static int ins_add(history_pg_t *p, ins_t *q, const char *const *vals)
{
	if (q->np + (size_t)q->ncols > PG_PARAMS_MAX &&
	    ins_flush(p, q, NULL, NULL, NULL) < 0)
		return -1;
	return ins_row(q, vals);
}

/* ---- one chunk of records ------------------------------------------- */

typedef struct chunk {
	const hrec_t *recs;
	size_t n, cursor;
	char (*id)[24];                 /* "" when not inserted */
} chunk_t;

/* RETURNING id, row_uid: find the record (rows come back in VALUES
 * order in practice, so the search starts after the last match). */
static int chunk_returned(void *ctx, int ncols, const char *const *v)
{
	chunk_t *c = ctx;

	if (ncols < 2 || v[0] == NULL || v[1] == NULL)
		return 0;
	for (size_t k = 0; k < c->n; k++) {
		size_t j = (c->cursor + k) % c->n;
		const char *uid = c->recs[j].msg[HREC_ROW_UID];

		if (uid != NULL && c->id[j][0] == '\0' && strcmp(uid, v[1]) == 0) {
			str_copy(c->id[j], sizeof(c->id[j]), v[0]);
			c->cursor = j + 1;
			break;
		}
	}
	return 0;
}

static const char *const seq_text[] = {
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
	"13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23",
	"24", "25", "26", "27", "28", "29", "30", "31",
};
_Static_assert(sizeof(seq_text) / sizeof(seq_text[0]) >= EVAL_MAX_DKIM &&
    EVAL_MAX_DKIM >= HISTORY_MAX_RCPT_DOMAINS &&
    EVAL_MAX_DKIM >= EVAL_MAX_OVERRIDES, "seq_text");

typedef struct child_ins {
	ins_t rcpt, dkim, over, sample;
} child_ins_t;

static void child_init(child_ins_t *c)
{
	ins_init(&c->rcpt, "INSERT INTO message_rcpt (message_id, seq, domain)"
	    " VALUES ", 3);
	ins_init(&c->dkim, "INSERT INTO message_dkim (message_id, seq, domain,"
	    " selector, result, aligned, human_result) VALUES ", 7);
	ins_init(&c->over, "INSERT INTO message_override (message_id, seq,"
	    " reason, comment) VALUES ", 4);
	ins_init(&c->sample, "INSERT INTO failure_samples (message_id, time,"
	    " policy_domain, header_from, source_ip, mail_from, ruf,"
	    " auth_failure, headers) VALUES ", 9);
}

static void child_free(child_ins_t *c)
{
	ins_free(&c->rcpt);
	ins_free(&c->dkim);
	ins_free(&c->over);
	ins_free(&c->sample);
}

static int child_add(history_pg_t *h, child_ins_t *c, const hrec_t *r,
    const char *id)
{
	const char *v[9];
	int rc = 0;

	for (unsigned k = 0; rc == 0 && k < r->nrcpt; k++) {
		v[0] = id, v[1] = seq_text[k], v[2] = r->rcpt[k];
		rc = ins_add(h, &c->rcpt, v);
	}
	for (unsigned k = 0; rc == 0 && k < r->ndkim; k++) {
		v[0] = id, v[1] = seq_text[k];
		memcpy(v + 2, r->dkim[k], HREC_DKIM_COLS * sizeof(*v));
		rc = ins_add(h, &c->dkim, v);
	}
	for (unsigned k = 0; rc == 0 && k < r->nover; k++) {
		v[0] = id, v[1] = seq_text[k];
		memcpy(v + 2, r->over[k], HREC_OVER_COLS * sizeof(*v));
		rc = ins_add(h, &c->over, v);
	}
	if (rc == 0 && r->has_sample) {
		v[0] = id;
		v[1] = r->msg[HREC_TIME];
		v[2] = r->msg[HREC_POLICY_DOMAIN];
		v[3] = r->msg[HREC_HEADER_FROM];
		v[4] = r->msg[HREC_SOURCE_IP];
		memcpy(v + 5, r->sample, HREC_SAMPLE_COLS * sizeof(*v));
		rc = ins_add(h, &c->sample, v);
	}
	return rc;
}

/* Write recs[0..n) (n <= PG_CHUNK) inside the caller's transaction. */
static int write_chunk(history_pg_t *h, const hrec_t *recs, size_t n)
{
	static const char head[] = "INSERT INTO messages ("
	    HREC_MSG_COLUMNS ") VALUES ";
	char id[PG_CHUNK][24];
	chunk_t c = { .recs = recs, .n = n, .id = id };
	child_ins_t ch;
	ins_t msg;
	int rc = 0;

	memset(id, 0, sizeof(id));
	ins_init(&msg, head, HREC_MSG_COLS);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = ins_row(&msg, recs[i].msg);
	if (rc == 0)
		rc = ins_flush(h, &msg, " ON CONFLICT (row_uid) DO NOTHING"
		    " RETURNING id, row_uid", chunk_returned, &c);
	ins_free(&msg);
	if (rc != 0)
		return -1;
	child_init(&ch);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (id[i][0] != '\0')
			rc = child_add(h, &ch, &recs[i], id[i]);
	if (rc == 0)
		rc = ins_flush(h, &ch.rcpt, NULL, NULL, NULL);
	if (rc == 0)
		rc = ins_flush(h, &ch.dkim, NULL, NULL, NULL);
	if (rc == 0)
		rc = ins_flush(h, &ch.over, NULL, NULL, NULL);
	if (rc == 0)
		rc = ins_flush(h, &ch.sample, NULL, NULL, NULL);
	child_free(&ch);
	return rc;
}

/* ---- a batch -------------------------------------------------------- */

static int fast_path(history_pg_t *p, const hrec_t *recs, size_t n)
{
	if (pg_cmd(p, "BEGIN") != 0)
		return -1;
	for (size_t i = 0; i < n; i += PG_CHUNK)
		if (write_chunk(p, recs + i, n - i < PG_CHUNK ? n - i :
		    PG_CHUNK) != 0)
			return -1;
	return pg_cmd(p, "COMMIT");
}

/* Row by row, each in a savepoint: a refused row is left out. */
static int slow_path(history_pg_t *p, const hrec_t *recs, size_t n,
    size_t *nbad)
{
	if (pg_cmd(p, "BEGIN") != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (pg_cmd(p, "SAVEPOINT item") != 0)
			return -1;
		if (write_chunk(p, recs + i, 1) == 0) {
			if (pg_cmd(p, "RELEASE SAVEPOINT item") != 0)
				return -1;
			continue;
		}
		if (p->unavailable)
			return -1;
		(*nbad)++;
		log_ratelimited(&p->last_row_log, PG_ROW_LOG_INTERVAL, LOG_ERR,
		    "history: PostgreSQL refused row %s: %s; row dropped",
		    recs[i].msg[HREC_ROW_UID] ? recs[i].msg[HREC_ROW_UID] :
		    "(no row_uid)", p->err);
		if (pg_cmd(p, "ROLLBACK TO SAVEPOINT item") != 0)
			return -1;
	}
	return pg_cmd(p, "COMMIT");
}

int history_pg_write(history_pg_t *p, const hrec_t *recs, size_t n,
    size_t *nbad, char *err, size_t errlen)
{
	*nbad = 0;
	if (n == 0)
		return 0;
	p->unavailable = false;
	if (fast_path(p, recs, n) == 0)
		return 0;
	if (!p->unavailable) {
		log_ratelimited(&p->last_slow_log, PG_ROW_LOG_INTERVAL,
		    LOG_WARNING, "history: PostgreSQL refused a batch of %zu "
		    "rows (%s); writing it row by row", n, p->err);
		pg_cmd(p, "ROLLBACK");
		if (slow_path(p, recs, n, nbad) == 0)
			return 0;
	}
	str_format(err, errlen, "%s", p->err);
	if (p->unavailable) {
		history_pg_close(p);
		return -1;
	}
	pg_cmd(p, "ROLLBACK");
	*nbad = 0;
	return -2;
}
