/*
 * dnsops - the only I/O the policy core does: DNS through callbacks.
 *
 * DESCRIPTION
 *	The policy core (record lookup, organizational domain discovery)
 *	never talks to the network itself.  The caller hands it a dns_ops_t
 *	whose functions answer queries: the milter backs them with the shared
 *	libunbound resolver (dns/dns.c), unit tests with a table.
 *
 *	txt() fills a txt_answer_t with at most TXT_MAX_RECORDS records.  The
 *	character-strings of one TXT record are concatenated without
 *	separator (RFC 7208 3.3, RFC 9989); each record is NUL-terminated and
 *	its length kept, since a TXT string may itself contain a NUL.
 *	Records longer than TXT_MAX_RECORD_LEN are cut and marked with
 *	`oversize`.  The answer owns its strings: free with txt_answer_free().
 *
 *	exists() tells whether a name exists in the DNS at all (any of A, AAAA
 *	or MX answers, or NODATA): RFC 9989 uses it for np=.
 *
 *	Both return DNSOPS_TEMPFAIL for timeouts, SERVFAIL and other
 *	transient failures and put a short reason (e.g. "SERVFAIL",
 *	"timeout", "DNSSEC bogus (EDE 6)") in reason[].
 */
#ifndef DNSOPS_H
#define DNSOPS_H

#include <stdbool.h>
#include <stddef.h>

#define TXT_MAX_RECORDS 32
#define TXT_MAX_RECORD_LEN 65536
#define DNS_REASON_MAX 128

typedef enum dnsops_status {
	DNSOPS_OK = 0,    /* answer with at least one record */
	DNSOPS_NODATA,    /* name exists, no record of that type */
	DNSOPS_NXDOMAIN,  /* name does not exist */
	DNSOPS_TEMPFAIL,  /* timeout, SERVFAIL, REFUSED, bogus, ... */
} dnsops_status_t;

typedef struct txt_answer {
	size_t count;
	char *rec[TXT_MAX_RECORDS];
	size_t len[TXT_MAX_RECORDS];
	bool oversize;   /* at least one record was cut */
	bool truncated;  /* more than TXT_MAX_RECORDS records */
	bool stale;      /* a kept earlier answer, served because the lookup
	                    failed temporarily (reason says why) */
	char reason[DNS_REASON_MAX];
} txt_answer_t;

typedef struct dns_ops {
	dnsops_status_t (*txt)(void *ctx, const char *name, txt_answer_t *out);
	dnsops_status_t (*exists)(void *ctx, const char *name, char *reason,
	    size_t reasonlen);
	void *ctx;
} dns_ops_t;

void txt_answer_init(txt_answer_t *a);
/* Append one record (copied, cut at TXT_MAX_RECORD_LEN). */
void txt_answer_add(txt_answer_t *a, const char *p, size_t n);
void txt_answer_free(txt_answer_t *a);
const char *dnsops_status_name(dnsops_status_t s);

#endif
