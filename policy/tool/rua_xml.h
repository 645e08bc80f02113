/*
 * rua_xml - parse and validate one received DMARC aggregate report (RFC
 * 7489 appendix C, RFC 9990) with libxml2, safely.
 *
 * SYNOPSIS
 *	rua_meta_t meta; rua_record_t rec; char err[RUA_ERR_MAX];
 *	rua_doc_t *d = rua_doc_parse(xml, len, max, &meta, err, sizeof(err));
 *	while (rua_doc_next(d, &rec) > 0) ... use rec ...
 *	rua_doc_free(d);
 *
 * DESCRIPTION
 *	Hostile input is refused before libxml2 sees it: more than max
 *	bytes, or a DOCTYPE or ENTITY declaration anywhere (aggregate reports
 *	never have one; refusing them stops external entities (XXE) and
 *	entity expansion ("billion laughs") whatever libxml2 would do).  The
 *	parser then runs with XML_PARSE_NONET, without XML_PARSE_NOENT,
 *	XML_PARSE_DTDLOAD or XML_PARSE_HUGE; its first error (bad encoding,
 *	malformed XML) is returned with its line.
 *
 *	When the document is not well-formed but has unbalanced markup
 *	before "<feedback" (an unclosed wrapper element), the part from
 *	"<feedback" on is parsed alone, with a warning.
 *
 *	Structure: the root must be <feedback>, with no namespace or
 *	"http://dmarc.org/dmarc-xml/0.1" (format RUA_FORMAT_RFC7489) or
 *	"urn:ietf:params:xml:ns:dmarc-2.0" (RUA_FORMAT_RFC9990); without a
 *	namespace, a <version> of 2.x, or an np, testing or
 *	discovery_method in a policy_published without pct, means RFC 9990.
 *	Elements must be in the root's namespace.  Required: report_metadata
 *	with org_name (an empty one,
 *	valid per the XSD, is replaced by the domain of <email>, with a
 *	warning), report_id and date_range (begin <= end, integers);
 *	policy_published with domain and p; at least one record, each with
 *	row/source_ip (an IPv4 or IPv6 address), row/count (integer),
 *	row/policy_evaluated with disposition (none, quarantine, reject, and
 *	pass for RFC 9990), dkim and spf (pass or fail), and
 *	identifiers/header_from (a valid domain).  Keyword values are
 *	checked against the schemas' enumerations.  An out-of-schema value
 *	the report can do without does not refuse the report: SPF/DKIM
 *	"hardfail" is read as "fail"; any other bad optional keyword (sp,
 *	np, adkim, aspf, testing, discovery_method, scope) is dropped, an
 *	auth result with a bad <result> and a reason with an empty or
 *	unknown <type> are left out; each counts in meta->nwarnings and the
 *	first is described in meta->warning.  Unknown elements
 *	(extensions) are ignored.  Every check runs in rua_doc_parse(), so a
 *	report is accepted or refused whole; the error names the element
 *	and the record number.  At most RUA_MAX_RECORDS records, and per
 *	record RUA_MAX_AUTH auth results (more are dropped and counted in
 *	rec->auth_dropped) and RUA_MAX_REASONS override reasons.
 *
 *	meta->digest is the SHA-256 (hex) of the report's content as read:
 *	the reporter's email address (its org_name when it has none), the
 *	policy domain, the interval and every record field -- not the
 *	org_name, report id or policy_published, so a copy re-sent under
 *	another name or id is recognised, while two receivers reporting the
 *	same figures are not confused.
 *
 *	Text is trimmed and made printable; domains are lower-cased
 *	without a trailing dot.  The document handle owns the parsed tree;
 *	meta and records are plain values.
 *
 * DIAGNOSTICS
 *	rua_doc_parse() returns NULL with a printable message in err.
 *	rua_doc_next() returns 1 with rec filled, 0 at the end.
 */
#ifndef PTOOL_RUA_XML_H
#define PTOOL_RUA_XML_H

#include <stdbool.h>
#include <stddef.h>

#define RUA_ERR_MAX 256
#define RUA_NAME_MAX 256
#define RUA_DOMAIN_MAX 254
#define RUA_IP_MAX 46
#define RUA_WORD_MAX 20
#define RUA_SELECTOR_MAX 64
#define RUA_COMMENT_MAX 128
#define RUA_MAX_AUTH 8
#define RUA_MAX_REASONS 4
#define RUA_MAX_RECORDS 100000

typedef enum rua_format {
	RUA_FORMAT_RFC7489 = 0,
	RUA_FORMAT_RFC9990,
} rua_format_t;

typedef struct rua_meta {
	rua_format_t format;
	char org_name[RUA_NAME_MAX];
	char email[RUA_NAME_MAX];
	char report_id[RUA_NAME_MAX];
	long long begin, end;
	char domain[RUA_DOMAIN_MAX];          /* policy_published */
	char p[RUA_WORD_MAX], sp[RUA_WORD_MAX], np[RUA_WORD_MAX];
	char adkim[RUA_WORD_MAX], aspf[RUA_WORD_MAX];
	char testing[RUA_WORD_MAX];           /* "y", "n", "" absent */
	char discovery[RUA_WORD_MAX];         /* "psl", "treewalk", "" */
	char fo[RUA_WORD_MAX];
	int pct;                              /* -1 when absent */
	size_t nrecords;
	unsigned long long messages;          /* sum of counts */
	char digest[65];                      /* SHA-256 of the content */
	unsigned nwarnings;                   /* values dropped or fixed */
	char warning[RUA_ERR_MAX];            /* the first of them */
} rua_meta_t;

typedef struct rua_auth {
	char kind;                            /* 'd' DKIM, 's' SPF */
	char domain[RUA_DOMAIN_MAX];
	char selector[RUA_SELECTOR_MAX];      /* DKIM */
	char scope[RUA_WORD_MAX];             /* SPF: mfrom, helo, "" */
	char result[RUA_WORD_MAX];
} rua_auth_t;

typedef struct rua_reason {
	char type[RUA_WORD_MAX];
	char comment[RUA_COMMENT_MAX];
} rua_reason_t;

typedef struct rua_record {
	char source_ip[RUA_IP_MAX];
	unsigned long long count;
	char disposition[RUA_WORD_MAX];
	bool dkim_pass, spf_pass;             /* policy_evaluated */
	char header_from[RUA_DOMAIN_MAX];
	char envelope_from[RUA_DOMAIN_MAX];
	char envelope_to[RUA_DOMAIN_MAX];
	size_t nauth, auth_dropped;
	rua_auth_t auth[RUA_MAX_AUTH];
	size_t nreason;
	rua_reason_t reason[RUA_MAX_REASONS];
} rua_record_t;

typedef struct rua_doc rua_doc_t;

rua_doc_t *rua_doc_parse(const char *xml, size_t len, size_t max,
    rua_meta_t *meta, char *err, size_t errlen);
int rua_doc_next(rua_doc_t *d, rua_record_t *rec);
void rua_doc_free(rua_doc_t *d);

const char *rua_format_name(rua_format_t f);   /* "rfc7489", "rfc9990" */

#endif
