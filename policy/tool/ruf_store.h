/*
 * ruf_store - failure reports (ruf.h) in the report database, next to
 * the aggregate reports of rua_store.h.
 *
 * SYNOPSIS
 *	switch (ruf_store_add(db, &ruf, "file.eml", dup, sizeof(dup), err,
 *	    sizeof(err))) ...
 *	ruf_list_t l;
 *	ruf_store_load(db, "example.com", from, to, &l, err, sizeof(err));
 *	... l.n, l.total, l.items[i] ...
 *	ruf_list_free(&l);
 *
 * DESCRIPTION
 *	Table (created on first use, CREATE TABLE IF NOT EXISTS, so a
 *	database made before it keeps working):
 *
 *	failures  id, digest (UNIQUE, ruf.h), domain, reporter, source_ip,
 *	          arrival (epoch, 0 unknown), auth_failure, delivery_result,
 *	          identity_alignment, dkim_domain, mail_from, header_from,
 *	          subject, auth_results, source (file it came from),
 *	          ingested (epoch).
 *
 *	ruf_store_add() returns 1 when stored, 0 when a report with the same
 *	digest is there (dup names where it came from), -1 on a database
 *	error.
 *
 *	ruf_store_load() reads the failure reports about DOMAIN and its
 *	subdomains that arrived in [from, to) (or, arrival unknown, were
 *	ingested then), newest first: `total` counts them all, items[]
 *	holds at most RUF_LIST_MAX.  A database without the table has none.
 *	The list owns items; ruf_list_free() accepts a zeroed list.
 */
#ifndef PTOOL_RUF_STORE_H
#define PTOOL_RUF_STORE_H

#include <stdbool.h>

#include <sqlite3.h>

#include "ruf.h"

#define RUF_LIST_MAX 500

typedef struct ruf_list {
	size_t n;
	unsigned long long total;
	ruf_t *items;
} ruf_list_t;

int ruf_store_add(sqlite3 *db, const ruf_t *r, const char *source, char *dup,
    size_t duplen, char *err, size_t errlen);
int ruf_store_load(sqlite3 *db, const char *domain, long long from,
    long long to, ruf_list_t *l, char *err, size_t errlen);
void ruf_list_free(ruf_list_t *l);
/* Does the database have the failures table yet? */
bool ruf_store_exists(sqlite3 *db);

#endif
