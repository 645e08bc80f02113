/*
 * rua_store - the SQLite database of received aggregate reports.
 *
 * SYNOPSIS
 *	rua_store_t *s = rua_store_open(path, true, err, sizeof(err));
 *	switch (rua_store_add(s, &meta, doc, "file.xml.gz", dup, sizeof(dup),
 *	    err, sizeof(err))) ...
 *	sqlite3 *db = rua_store_db(s);
 *	rua_store_close(s);
 *	rua_store_default_path(buf, sizeof(buf));
 *
 * DESCRIPTION
 *	The database is the tool's own file (never the milter's history).
 *	Schema (PRAGMA user_version RUA_STORE_VERSION):
 *
 *	reports   id, org_name, report_id, email, format ("rfc7489" or
 *	          "rfc9990"), begin, end (epoch seconds, as reported), domain,
 *	          p, sp, np, adkim, aspf, testing, discovery, fo ('' when
 *	          absent), pct (NULL when absent), source (the file or
 *	          "file:member" it came from), ingested (epoch seconds),
 *	          digest (rua_xml.h: SHA-256 of the content).
 *	          UNIQUE (org_name, report_id): a report received twice (two
 *	          rua destinations, a resent mail) is stored once; a report
 *	          whose content (digest) is already stored is a duplicate
 *	          too, whatever its org_name and report_id.
 *	records   id, report (reports.id), source_ip, count, disposition,
 *	          dkim, spf ("pass"/"fail", policy_evaluated), header_from,
 *	          envelope_from, envelope_to.
 *	auth      record, seq, kind ("dkim"/"spf"), domain, selector, scope,
 *	          result.
 *	reasons   record, seq, type, comment (policy_evaluated/reason).
 *	files     path, size, mtime (ns), ingested: input files read whole
 *	          without a rejection, so a rerun skips them while unchanged.
 *	The digest column and the files table came after version 1: they
 *	are added on open when missing.
 *
 *	rua_store_add() stores one validated report in one transaction.
 *	Returns 1 when stored, 0 when (org_name, report_id) or the content
 *	is already there (dup then names the source it came from, and for
 *	a content match the stored report's org_name and report_id), -1 on
 *	a database error.  rua_store_file_seen() says whether path was
 *	recorded with this size and mtime by rua_store_file_done().
 *	rua_store_open() with create false refuses a missing file.
 *	A database whose user_version is not ours is refused.
 *
 *	rua_store_default_path(): $DMARCWARDEN_POLICY_DB if set; for root
 *	/var/lib/dmarcwarden/reports.db; otherwise
 *	$XDG_DATA_HOME/dmarcwarden/reports.db, or
 *	~/.local/share/dmarcwarden/reports.db.  rua_store_open() creates the
 *	missing last directory of the path when create is true.
 */
#ifndef PTOOL_RUA_STORE_H
#define PTOOL_RUA_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "rua_xml.h"

#define RUA_STORE_VERSION 1

typedef struct rua_store rua_store_t;

rua_store_t *rua_store_open(const char *path, bool create, char *err,
    size_t errlen);
int rua_store_add(rua_store_t *s, const rua_meta_t *m, rua_doc_t *d,
    const char *source, char *dup, size_t duplen, char *err, size_t errlen);
int rua_store_file_seen(rua_store_t *s, const char *path, long long size,
    long long mtime);
int rua_store_file_done(rua_store_t *s, const char *path, long long size,
    long long mtime);
sqlite3 *rua_store_db(rua_store_t *s);
void rua_store_close(rua_store_t *s);
int rua_store_default_path(char *buf, size_t size);

#endif
