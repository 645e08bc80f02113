/*
 * history_db - the SQLite side of the verdict history: compact row
 * copies, opening and checking the database, writing a batch.
 *
 * SYNOPSIS
 *	hist_item_t *it = hist_item_new(&row);     (any thread)
 *	hist_item_free_list(it);
 *
 *	history_db_t db = { .path = path };        (one thread only)
 *	history_db_open(&db, err, errlen);         0, -1 later, -2 never
 *	history_db_moved(&db);                     path names another file?
 *	history_db_write(&db, batch, &nbad, err, errlen);
 *	history_db_close(&db);
 *
 * DESCRIPTION
 *	hist_item_new() copies a history_row_t (about 20 KB, mostly unused
 *	arrays) into one compact heap item: the scalars, every string
 *	bounded by its field's size (an unterminated field is cut at the
 *	array's end), only the DKIM entries used; counts larger than the
 *	row's arrays are clamped.  The item belongs to the caller; free a
 *	list linked by `next` with hist_item_free_list() (NULL is fine).
 *
 *	history_db_open() opens or creates the file at db->path (its
 *	directory must exist), sets WAL mode, synchronous=NORMAL and a busy
 *	timeout, creates the schema of history/schema.h in an empty
 *	database (or upgrades an older one: hist_schema_open(), migrate.h, in one
 *	transaction), and prepares the insert
 *	statements.  It returns 0; -1
 *	when the database is unavailable now (err says why; try again
 *	later); -2 when the file must never be used (not a database, a newer
 *	schema version, or someone else's tables).
 *
 *	history_db_write() writes a list of items in one transaction, each
 *	in a savepoint: a row the database refuses (constraint, too big) is
 *	left out and counted in *nbad, and the rest is written.  Any other
 *	error rolls the whole list back and is returned (an SQLite extended
 *	result code; SQLITE_OK on success).
 *
 *	history_db_moved() tells whether db->path no longer names the open
 *	file (deleted or replaced).  history_db_close() accepts a closed db.
 *
 *	A history_db_t is used by one thread at a time.
 */
#ifndef MILTER_HISTORY_DB_H
#define MILTER_HISTORY_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <sqlite3.h>

#include "hdb.h"
#include "history.h"

enum hist_str {
	HS_QID, HS_IP, HS_HELO, HS_ENVFROM, HS_HFROM, HS_PDOM, HS_ORG,
	HS_SPFDOM, HS_FO, HS_ARC, HS_ARCSEAL, HS_RUA, HS_RUF,
	HS_SAMPLE_HDRS, HS_SAMPLE_AUTH, HS_SAMPLE_MAILFROM, HS_DKIMSUM,
	HS_OVERSUM, HS_ACTION, HS_REPLY, HS_COUNT
};

typedef struct hist_dkim {
	size_t domain, selector, human;  /* offsets into strs */
	auth_result_t result;
	bool aligned;
} hist_dkim_t;

typedef struct hist_item {
	struct hist_item *next;
	unsigned long long seq;         /* row_uid "<instance>-<seq>" */
	time_t when;
	discovery_method_t discovery;
	bool policy_found, testing, np_applied, sampled_out, spf_aligned;
	bool is_report, has_sample;
	dmarc_policy_t p, sp, np, requested, evaluated, applied;
	dmarc_align_t adkim, aspf;
	unsigned pct;
	char psd;
	dmarc_result_t result;
	auth_result_t spf_result;
	spf_scope_t spf_scope;
	size_t str[HS_COUNT];           /* offsets into strs */
	size_t nrcpt, rcpt[HISTORY_MAX_RCPT_DOMAINS];
	size_t nover, comment[EVAL_MAX_OVERRIDES];
	override_reason_t reason[EVAL_MAX_OVERRIDES];
	char *strs;                     /* NUL-separated strings */
	size_t strs_len;                /* bytes in strs */
	size_t ndkim;
	hist_dkim_t dkim[];
} hist_item_t;

typedef struct history_db {
	const char *path;               /* borrowed, set by the caller */
	hdb_t *h;                       /* NULL while closed */
	sqlite3 *db;                    /* hdb_sqlite(h) */
	sqlite3_stmt *ins_msg, *ins_rcpt, *ins_dkim, *ins_over, *ins_sample;
	dev_t dev;                      /* identity of the open file */
	ino_t ino;
	time_t last_row_log;
} history_db_t;

hist_item_t *hist_item_new(const history_row_t *row);
void hist_item_free_list(hist_item_t *it);

int history_db_open(history_db_t *d, char *err, size_t errlen);
bool history_db_moved(const history_db_t *d);
int history_db_write(history_db_t *d, const hist_item_t *batch,
    size_t *nbad, char *err, size_t errlen);
void history_db_close(history_db_t *d);

#endif
