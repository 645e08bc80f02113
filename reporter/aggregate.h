/*
 * aggregate - the records of one aggregate report: distinct history rows
 * with their counts, merged across databases, and the policy published.
 *
 * SYNOPSIS
 *	agg_report_t rep;
 *	agg_init(&rep, "example.com");
 *	agg_add(&rep, fields, 3);            (fields[AGG_NFIELDS], count)
 *	agg_policy_offer(&rep, &policy);     (the latest one wins)
 *	agg_sort(&rep);
 *	for (i = 0; i < rep.nrecords; i++) agg_fields(&rep.records[i], f);
 *	agg_free(&rep);
 *
 * DESCRIPTION
 *	A record is one distinct combination of the AGG_F_* fields (RFC 9990
 *	section 3: source IP, disposition, DMARC-aligned DKIM and SPF
 *	results, override reasons, header_from, envelope_from, envelope_to
 *	and the raw auth results).  agg_add() adds count to the record with
 *	exactly these fields, creating it when new; records from several
 *	databases (a fleet of MX hosts) therefore merge and their counts
 *	add up.  Fields are copied; bytes below 0x20 and 0x7f are replaced
 *	by '?' so that they can never reach the XML or break the record key
 *	(fields are joined with 0x1f).
 *
 *	List fields (AGG_F_DKIM, AGG_F_REASONS) hold entries separated by
 *	AGG_LIST_SEP, each with sub-fields separated by AGG_SUB_SEP: DKIM
 *	"domain SUB selector SUB result SUB human_result", reasons
 *	"type SUB comment".  agg_split() cuts such a list.
 *
 *	agg_sort() orders the records by their fields, so reports built from
 *	the same rows are byte-identical whatever the database order.
 *	agg_fields() points f[] into a record's storage (valid until the
 *	next agg_add or agg_free; fields are NUL-terminated copies).
 *
 *	The report owns everything; agg_free() releases it (and accepts a
 *	report that was only initialised).  Memory grows with the number of
 *	distinct records of one policy domain, never with the number of
 *	domains or rows.  At most AGG_MAX_RECORDS records: agg_add() then
 *	returns -1 and counts the rows in `overflow` (the caller logs it).
 */
#ifndef REPORTER_AGGREGATE_H
#define REPORTER_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../history/repdb.h"

#define AGG_DOMAIN_MAX 254
#define AGG_MAX_RECORDS 2000000
#define AGG_KEY_MAX (256 * 1024)
#define AGG_LIST_SEP '\x1e'
#define AGG_SUB_SEP '\x1d'

/* The fields of a record are the history reader's row fields
 * (history/repdb.h), in its order. */
enum agg_field {
	AGG_F_SOURCE_IP = REPDB_F_SOURCE_IP,
	AGG_F_HEADER_FROM = REPDB_F_HEADER_FROM,
	AGG_F_ENVELOPE_FROM = REPDB_F_ENVELOPE_FROM,
	AGG_F_ENVELOPE_TO = REPDB_F_ENVELOPE_TO,
	AGG_F_DISPOSITION = REPDB_F_DISPOSITION,
	AGG_F_RESULT = REPDB_F_RESULT,
	AGG_F_DKIM_ALIGNED = REPDB_F_DKIM_ALIGNED,
	AGG_F_SPF_ALIGNED = REPDB_F_SPF_ALIGNED,
	AGG_F_SPF_DOMAIN = REPDB_F_SPF_DOMAIN,
	AGG_F_SPF_SCOPE = REPDB_F_SPF_SCOPE,
	AGG_F_SPF_RESULT = REPDB_F_SPF_RESULT,
	AGG_F_DKIM = REPDB_F_DKIM,
	AGG_F_REASONS = REPDB_F_REASONS,
	AGG_NFIELDS = REPDB_NFIELDS
};

/* The policy published, as stored in the history (RFC names). */
typedef repdb_policy_t agg_policy_t;

typedef struct agg_record {
	char *key;                   /* fields joined by 0x1f */
	unsigned long long count;
} agg_record_t;

typedef struct agg_report {
	char domain[AGG_DOMAIN_MAX];
	agg_policy_t policy;
	agg_record_t *records;
	size_t nrecords, cap;
	unsigned long long messages; /* sum of counts */
	unsigned long long overflow; /* rows not kept (AGG_MAX_RECORDS) */
	size_t *slots;               /* hash table of record index + 1 */
	size_t nslots;
} agg_report_t;

void agg_init(agg_report_t *rep, const char *domain);
int agg_add(agg_report_t *rep, const char *const fields[AGG_NFIELDS],
    unsigned long long count);
/* The record key of fields (heap, caller's; NULL when longer than
 * AGG_KEY_MAX), and adding by key: agg_add_key() takes ownership of key. */
char *agg_key(const char *const fields[AGG_NFIELDS]);
int agg_add_key(agg_report_t *rep, char *key, unsigned long long count);
void agg_policy_offer(agg_report_t *rep, const agg_policy_t *p);
void agg_sort(agg_report_t *rep);
/* Cut a record into its fields (f[] points into a scratch copy held in
 * buf, which the caller frees with free()). */
int agg_fields(const agg_record_t *r, const char *f[AGG_NFIELDS],
    char **buf);
/* Split list text at sep into at most max parts (in place, it is the
 * caller's copy); returns the number of parts (0 for ""). */
size_t agg_split(char *list, char sep, char **parts, size_t max);
void agg_free(agg_report_t *rep);

#endif
