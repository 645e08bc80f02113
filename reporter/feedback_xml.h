/*
 * feedback_xml - the XML of one aggregate report, written as a stream
 * (xml_stream.h) and validated against the bundled schema as it is
 * written.
 *
 * SYNOPSIS
 *	fxml_meta_t meta = { org_name, email, contact, report_id, begin,
 *	    end, generator };
 *	fxml_schemas_t *s = fxml_schemas_new(err, sizeof(err));
 *	unsigned char *xml; size_t len;
 *	if (fxml_report(s, REPORT_RFC9990, &meta, &rep, &xml, &len, err,
 *	    sizeof(err)) == 0) ... free(xml);
 *	fxml_report_write(s, REPORT_RFC9990, &meta, &rep, sink, ctx, err,
 *	    sizeof(err));                       0, -1 invalid, -2 sink failed
 *	fxml_schemas_free(s);
 *
 * DESCRIPTION
 *	fxml_report_write() writes the <feedback> document for one sorted
 *	agg_report_t (aggregate.h) to sink(ctx, p, n) piece by piece (UTF-8,
 *	indented) and validates it on the way against the schema of the
 *	format (RFC 9990, or the corrected RFC 7489 schema, xsd_embed.h)
 *	with libxml2's streaming validator.  No tree is built: the memory it
 *	takes is a few buffers, whatever the number of records (a report of
 *	200,000 records is written in constant space; what the sink keeps
 *	is the sink's business, e.g. reportjob.c gzips on the fly).  It
 *	returns 0 for a complete valid document; -1 when it does not
 *	validate (err names the first problem; writing stops at the record
 *	where it is found), -2 when the sink returned -1 or libxml2 failed.
 *	On a non-zero return the caller must discard what the sink got, so
 *	that nothing invalid can be sent.
 *
 *	fxml_report() is fxml_report_write() into memory: on success *xml
 *	is a NUL-terminated heap buffer owned by the caller (nothing is
 *	returned on failure).  The bytes are the same as the tree
 *	serializer (xmlDocDumpFormatMemoryEnc) gave before.
 *
 *	What is written, from the history's RFC names:
 *	 - RFC 9990: namespace urn:ietf:params:xml:ns:dmarc-2.0, version
 *	   1.0, generator (name and version); policy_published domain, p,
 *	   sp, np, adkim, aspf, discovery_method, fo, testing; disposition
 *	   "pass" for DMARC pass when the policy for the author domain
 *	   enforces something (p= for the policy domain itself, np= for an
 *	   author domain in meta->nonexistent, sp= for other subdomains),
 *	   else the disposition applied; override reasons forwarded and
 *	   sampled_out, which RFC 9990 no longer has, become "other" with
 *	   the old name in the comment; an empty envelope_from (null sender)
 *	   is left out; the spf element only for a MAIL FROM check (scope
 *	   "mfrom"): a HELO check is not a MAIL FROM result, and the schema
 *	   has no other scope; DKIM results in the RFC's order of
 *	   preference (passing aligned, passing, failed aligned, others;
 *	   alignment judged from the names, see dkim_rank()).
 *	 - RFC 7489: no namespace, as legacy readers (Mail::DMARC,
 *	   OpenDMARC's tools, most real reports) expect; validated against
 *	   the corrected schema (http://dmarc.org/dmarc-xml/0.1) with the
 *	   namespace set, then written without it.  version 1.0;
 *	   policy_published domain, adkim, aspf, p, sp, pct, fo;
 *	   dispositions none/quarantine/reject; policy_test_mode becomes
 *	   "other"; envelope_from and spf always present (scope mfrom or
 *	   helo); IPv6 source addresses in the full eight-group form the
 *	   schema's pattern demands.  fxml_validate_text() accepts an RFC
 *	   7489 report with or without the namespace.
 *	date_range/end is end - 1 (the last second of the period).  Free
 *	text (human_result, comments, org name) is made printable ASCII.
 *
 *	fxml_schemas_new() parses both embedded schemas once; the handle is
 *	read-only afterwards (one per thread if ever used from several).
 */
#ifndef REPORTER_FEEDBACK_XML_H
#define REPORTER_FEEDBACK_XML_H

#include <stddef.h>
#include <time.h>

#include "../conf/config.h"
#include "aggregate.h"
#include "xml_stream.h"

#define FXML_ERR_MAX XSTREAM_ERR_MAX

typedef struct fxml_meta {
	const char *org_name;
	const char *email;
	const char *contact;        /* "" or NULL: no extra_contact_info */
	const char *report_id;
	time_t begin, end;          /* end exclusive */
	const char *generator;
	/* Author domains found not to exist (np= applies to them), for
	 * the RFC 9990 disposition "pass"; NULL when none. */
	const char *const *nonexistent;
	size_t nnonexistent;
} fxml_meta_t;

typedef struct fxml_schemas fxml_schemas_t;

fxml_schemas_t *fxml_schemas_new(char *err, size_t errlen);
void fxml_schemas_free(fxml_schemas_t *s);

/* Takes n bytes of the document; 0, or -1 to stop. */
typedef int (*fxml_sink_fn)(void *ctx, const unsigned char *p, size_t n);

int fxml_report_write(const fxml_schemas_t *s, report_format_t fmt,
    const fxml_meta_t *meta, const agg_report_t *rep, fxml_sink_fn sink,
    void *ctx, char *err, size_t errlen);
int fxml_report(const fxml_schemas_t *s, report_format_t fmt,
    const fxml_meta_t *meta, const agg_report_t *rep, unsigned char **xml,
    size_t *len, char *err, size_t errlen);

/* Validate a serialized document (tests; the --check-xml option). */
int fxml_validate_text(const fxml_schemas_t *s, report_format_t fmt,
    const char *text, size_t len, char *err, size_t errlen);

/* IPv6 in full eight-group form; IPv4 and anything else copied. */
void fxml_ip_full(const char *ip, char *out, size_t outlen);

#endif
