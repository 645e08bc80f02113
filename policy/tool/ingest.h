/*
 * ingest - read received aggregate reports from files and directories
 * into the report database.
 *
 * SYNOPSIS
 *	ingest_opts_t o = INGEST_OPTS_DEFAULT; o.out = stdout;
 *	ingest_stats_t st = { 0 };
 *	ingest_path(store, "reports/", &o, &st);
 *	ingest_blob(store, data, len, "label", &o, &st);
 *
 * DESCRIPTION
 *	ingest_path() takes a file or a directory.  Directories are walked
 *	(at most INGEST_MAX_DEPTH levels; names starting with '.', Maildir
 *	tmp/ folders and the control files mail servers keep in a Maildir --
 *	dovecot-uidlist, dovecot-keywords, dovecot.index*, dovecot.list.*,
 *	dovecot-uidvalidity*, maildirfolder, subscriptions, courierimap* --
 *	are skipped), so a Maildir (cur/, new/) works as it is.  Each regular
 *	file is read (at most o->max_input bytes) and its content sniffed,
 *	whatever its name: gzip, zip, XML, an mbox
 *	(split at "From " lines), or one email (RFC 5322, MIME).  Containers
 *	are opened recursively (an email's zip attachment, a gzip inside a
 *	zip, ...) at most INGEST_MAX_NESTING deep; every decompressed or
 *	decoded report is capped at o->max_xml bytes, checked while
 *	inflating.  One decompression budget covers all nesting levels of
 *	one input file (unpack.h): INGEST_BUDGET_XMLS * max_xml plus
 *	INGEST_BUDGET_RATIO times the file's size in decompressed bytes, and
 *	INGEST_BUDGET_MEMBERS plus one per INGEST_BUDGET_BYTES_PER_MEMBER
 *	bytes of the file in zip members and gzip streams; what exceeds it
 *	is refused (so a small hostile file does a bounded amount of work).
 *	Each report is parsed (rua_xml.h) and stored (rua_store.h).  An
 *	email without an aggregate report is read as a failure report
 *	(ruf.h) and stored by ruf_store.h.
 *
 *	One line per report or failure goes to o->out, naming the file and
 *	the member or message inside it:
 *	    PATH: stored ORG report ID for DOMAIN (N records, M messages)
 *	    PATH: duplicate ORG report ID (already stored from SOURCE)
 *	    PATH: stored failure report for DOMAIN from REPORTER (source IP,
 *	          AUTH-FAILURE, DELIVERY-RESULT)
 *	    PATH: duplicate failure report for DOMAIN (already stored from S)
 *	    PATH: rejected: REASON
 *	A bad file never stops the batch.  The untrusted parts of a line
 *	(org name, report id, member names) are printable.
 *
 *	A regular file read whole without any rejection is remembered in
 *	the database (its real path, size, modification time; rua_store.h);
 *	later runs skip it silently while it is unchanged (counted in
 *	st->unchanged), unless o->rescan.  Files with a rejection are read
 *	again next time.
 *
 * DIAGNOSTICS
 *	Counters in ingest_stats_t; ingest_path() returns 0, or -1 when the
 *	database failed (the caller should stop).
 */
#ifndef PTOOL_INGEST_H
#define PTOOL_INGEST_H

#include <stdbool.h>
#include <stdio.h>

#include "rua_store.h"

#define INGEST_MAX_DEPTH 8
#define INGEST_MAX_NESTING 4
#define INGEST_LABEL_MAX 1024
#define INGEST_BUDGET_XMLS 1
#define INGEST_BUDGET_RATIO 32
#define INGEST_BUDGET_MEMBERS 64
#define INGEST_BUDGET_BYTES_PER_MEMBER 256

typedef struct ingest_opts {
	size_t max_input;   /* bytes read from one file */
	size_t max_xml;     /* bytes of one (decompressed) report */
	FILE *out;          /* per-file messages; NULL for none */
	bool rescan;        /* read files already ingested, unchanged */
} ingest_opts_t;

#define INGEST_OPTS_DEFAULT { 64u << 20, 32u << 20, NULL, false }

typedef struct ingest_stats {
	unsigned files, stored, duplicates, rejected;
	unsigned unchanged;     /* files skipped: ingested before, unchanged */
	unsigned failures;              /* failure reports stored */
	unsigned long long records, messages;
} ingest_stats_t;

int ingest_path(rua_store_t *s, const char *path, const ingest_opts_t *o,
    ingest_stats_t *st);
int ingest_blob(rua_store_t *s, const char *data, size_t len,
    const char *label, const ingest_opts_t *o, ingest_stats_t *st);

#endif
