/*
 * history - every evaluated message as a row in SQLite or PostgreSQL,
 * written off the milter threads.
 *
 * SYNOPSIS
 *	history_t *h = history_open(path, max_buffered, err, errlen);
 *	history_t *h = history_open_config(&cfg, err, errlen);
 *	history_submit(h, &row);     (from any milter thread; copies row)
 *	history_stats(h, &st);
 *	history_close(h);            (flushes, then stops the writer)
 *
 * DESCRIPTION
 *	history_submit() copies the row into a bounded in-memory queue and
 *	returns at once; one writer thread drains the queue in batched
 *	transactions (WAL mode, synchronous=NORMAL, busy timeout).  When the
 *	database cannot be written (locked, read-only, full, deleted) the rows
 *	stay queued and are retried; the error is logged at most once a
 *	minute.  When the queue holds max_buffered rows, further rows are
 *	dropped and counted.  Mail never waits for the database.
 *
 *	A spec for which hdb_spec_is_pg() holds (postgresql://...) writes to
 *	PostgreSQL (history_pg.h) instead: batches in one transaction, each
 *	row with a unique row_uid ("<instance>-<seq>", the instance a random
 *	64-bit hex number chosen by each history_open) and the host name
 *	(cfg->host, default the system's).  When the server cannot be
 *	reached, each batch is written to a file in cfg->spool_dir
 *	(spool_dir.h) instead of waiting in memory, up to cfg->spool_max
 *	bytes of spool files; past that rows are dropped, counted and logged.
 *	Spool files are replayed oldest first when the server is back, at
 *	start-up and at history_close() (rows are never written twice:
 *	row_uid).  history_close() spools what it could not write.  URIs
 *	appear in logs without their password (hdb_spec_redacted).
 *
 *	The schema is versioned (PRAGMA user_version) and documented in
 *	history/schema.h, the one place both the milter and the reporter read
 *	it from.  history_open() creates or upgrades the database; a database
 *	from a newer version is refused.
 *
 * DIAGNOSTICS
 *	history_open() returns NULL with err set only for a bad path or a
 *	schema it cannot use; a database that is merely unavailable is opened
 *	lazily by the writer, which keeps retrying.
 */
#ifndef HISTORY_HISTORY_H
#define HISTORY_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../policy/evaluate.h"

#define HISTORY_MAX_RCPT_DOMAINS 8
#define HISTORY_ADDR_MAX 64
#define HISTORY_QID_MAX 32
#define HISTORY_MAILFROM_MAX 512
#define HISTORY_SAMPLE_MAX (64 * 1024) /* failure sample headers */

typedef struct history_dkim {
	char domain[FROM_DOMAIN_MAX];
	char selector[SELECTOR_MAX];
	auth_result_t result;
	bool aligned;
	char human_result[64];          /* short reason, may be "" */
} history_dkim_t;

typedef struct history_row {
	time_t when;
	char qid[HISTORY_QID_MAX];
	char client_ip[HISTORY_ADDR_MAX];
	char helo[FROM_DOMAIN_MAX];
	char envelope_from[FROM_DOMAIN_MAX];  /* domain, "" for <> */
	size_t nrcpt_domains;
	char rcpt_domain[HISTORY_MAX_RCPT_DOMAINS][FROM_DOMAIN_MAX];
	char header_from[FROM_DOMAIN_MAX];
	char policy_domain[FROM_DOMAIN_MAX];  /* "" when no policy */
	char org_domain[FROM_DOMAIN_MAX];
	discovery_method_t discovery;
	bool policy_found;
	dmarc_record_t rec;                   /* valid when policy_found */
	dmarc_result_t result;
	dmarc_policy_t requested;             /* asked by p/sp/np */
	dmarc_policy_t evaluated;             /* full local enforcement */
	dmarc_policy_t applied;               /* what was done */
	bool np_applied, sampled_out;
	size_t noverrides;
	override_t overrides[EVAL_MAX_OVERRIDES];
	auth_result_t spf_result;
	spf_scope_t spf_scope;
	char spf_domain[FROM_DOMAIN_MAX];
	bool spf_aligned;
	size_t ndkim;
	history_dkim_t dkim[EVAL_MAX_DKIM];
	char arc_result[16];                  /* "" until ARC exists */
	char arc_sealers[FROM_DOMAIN_MAX];
	bool is_report;                       /* itself a DMARC report */
	char action[16];                      /* told the MTA: "accept",
	                                         "quarantine", "reject",
	                                         "tempfail" */
	char smtp_reply[16];                  /* "550 5.7.1", "451 4.7.5",
	                                         "" unless refused */
	/* Failure sample (schema version 2), written when failure_headers
	 * is not NULL: borrowed, valid until history_submit() returns. */
	const char *failure_headers;
	char failure_auth[8];                 /* "dmarc", "dkim", "spf" */
	char mail_from[HISTORY_MAILFROM_MAX]; /* address, "" for <> */
} history_row_t;

typedef struct history_stats {
	uint64_t written, buffered, dropped, errors;
	uint64_t spooled;       /* rows written to spool files */
	uint64_t replayed;      /* spooled rows written to the database
	                           (by this writer; also in written) */
} history_stats_t;

/* history_open_config(): HistoryDB, HistoryBufferRows, HistoryHost,
 * HistorySpool, HistorySpoolMax. */
typedef struct history_config {
	const char *db;                 /* SQLite path or PostgreSQL URI */
	unsigned max_buffered;
	const char *host;               /* NULL or "": the host name */
	const char *spool_dir;          /* PostgreSQL only */
	unsigned long long spool_max;   /* bytes */
} history_config_t;

#define HISTORY_SPOOL_DEFAULT "/var/lib/dmarcwarden/spool"
#define HISTORY_SPOOL_MAX_DEFAULT 1073741824ULL

typedef struct history history_t;

history_t *history_open(const char *path, unsigned max_buffered, char *err,
    size_t errlen);
history_t *history_open_config(const history_config_t *cfg, char *err,
    size_t errlen);
void history_submit(history_t *h, const history_row_t *row);
void history_stats(history_t *h, history_stats_t *out);
void history_close(history_t *h);

#endif
