/*
 * feedback_xml - aggregate report XML (RFC 9990, RFC 7489 appendix C).
 * See feedback_xml.h.
 */
#include "feedback_xml.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "../policy/align.h"
#include "../util/strbuf.h"
#include "xml_stream.h"
#include "xsd_embed.h"

#define NS_9990 "urn:ietf:params:xml:ns:dmarc-2.0"
#define NS_7489 "http://dmarc.org/dmarc-xml/0.1"
#define TEXT_MAX 1024
#define MAX_DKIM 64
#define MAX_REASONS 16

struct fxml_schemas {
	xmlSchemaPtr schema[2];     /* indexed by report_format_t */
};

typedef struct builder {
	report_format_t fmt;
	xstream_t *x;
	const agg_report_t *rep;
	const fxml_meta_t *meta;
} builder_t;

/* ---- schemas -------------------------------------------------------- */

static xmlSchemaPtr schema_parse(const char *text, unsigned long len,
    char *err)
{
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr s;

	pc = xmlSchemaNewMemParserCtxt(text, (int)len);
	if (pc == NULL)
		return NULL;
	xmlSchemaSetParserStructuredErrors(pc, xstream_collect_error, err);
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	return s;
}

fxml_schemas_t *fxml_schemas_new(char *err, size_t errlen)
{
	char e[FXML_ERR_MAX] = "";
	fxml_schemas_t *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	s->schema[REPORT_RFC9990] = schema_parse(xsd_rfc9990,
	    xsd_rfc9990_len, e);
	s->schema[REPORT_RFC7489] = schema_parse(xsd_rfc7489,
	    xsd_rfc7489_len, e);
	if (s->schema[0] == NULL || s->schema[1] == NULL) {
		str_format(err, errlen, "built-in schema: %s", e);
		fxml_schemas_free(s);
		return NULL;
	}
	return s;
}

void fxml_schemas_free(fxml_schemas_t *s)
{
	if (s == NULL)
		return;
	xmlSchemaFree(s->schema[0]);
	xmlSchemaFree(s->schema[1]);
	free(s);
}

static int validate_doc(const fxml_schemas_t *s, report_format_t fmt,
    xmlDocPtr doc, char *err, size_t errlen)
{
	char e[FXML_ERR_MAX] = "";
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(s->schema[fmt]);
	int rc;

	if (vc == NULL) {
		str_copy(err, errlen, "out of memory");
		return -1;
	}
	xmlSchemaSetValidStructuredErrors(vc, xstream_collect_error, e);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0) {
		str_format(err, errlen, "report does not validate: %s",
		    e[0] ? e : "internal error");
		return -1;
	}
	return 0;
}

/* Put every element of the tree under ns.  The RFC 7489 schema has a
 * target namespace, while legacy readers want reports without one: such
 * a report is validated with the namespace set. */
static void set_ns(xmlNodePtr node, xmlNsPtr ns)
{
	for (; node != NULL; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		node->ns = ns;
		set_ns(node->children, ns);
	}
}

int fxml_validate_text(const fxml_schemas_t *s, report_format_t fmt,
    const char *text, size_t len, char *err, size_t errlen)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	int rc;

	if (len > INT32_MAX)
		return -1;
	doc = xmlReadMemory(text, (int)len, "report.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		str_copy(err, errlen, "not well-formed XML");
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (fmt == REPORT_RFC7489 && root != NULL && root->ns == NULL)
		set_ns(root, xmlNewNs(root, BAD_CAST NS_7489, NULL));
	rc = validate_doc(s, fmt, doc, err, errlen);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- small helpers -------------------------------------------------- */

void fxml_ip_full(const char *ip, char *out, size_t outlen)
{
	unsigned char a[16];
	strbuf_t sb;

	if (strchr(ip, ':') == NULL || inet_pton(AF_INET6, ip, a) != 1) {
		str_copy(out, outlen, ip);
		return;
	}
	strbuf_init(&sb, 64);
	for (int i = 0; i < 16; i += 2)
		strbuf_appendf(&sb, "%s%x", i ? ":" : "",
		    (unsigned)(a[i] << 8 | a[i + 1]));
	str_copy(out, outlen, strbuf_str(&sb));
	strbuf_free(&sb);
}

/* An element with text, made printable ASCII (at most TEXT_MAX - 1
 * bytes). */
static void add(const builder_t *b, const char *name, const char *text)
{
	char clean[TEXT_MAX];

	str_printable(clean, sizeof(clean), text, strlen(text));
	xstream_text(b->x, name, clean);
}

static void add_u64(const builder_t *b, const char *name,
    unsigned long long v)
{
	char num[32];

	str_format(num, sizeof(num), "%llu", v);
	add(b, name, num);
}

static void open_el(const builder_t *b, const char *name)
{
	xstream_start(b->x, name);
}

static void close_el(const builder_t *b)
{
	xstream_end(b->x);
}

/* ---- the document --------------------------------------------------- */

static void build_metadata(const builder_t *b, const fxml_meta_t *m)
{
	open_el(b, "report_metadata");
	add(b, "org_name", m->org_name);
	add(b, "email", m->email);
	if (m->contact && m->contact[0])
		add(b, "extra_contact_info", m->contact);
	add(b, "report_id", m->report_id);
	open_el(b, "date_range");
	add_u64(b, "begin", (unsigned long long)m->begin);
	add_u64(b, "end", (unsigned long long)(m->end - 1));
	close_el(b);
	if (b->fmt == REPORT_RFC9990 && m->generator)
		add(b, "generator", m->generator);
	close_el(b);
}

static void build_policy(const builder_t *b)
{
	const agg_policy_t *p = &b->rep->policy;

	open_el(b, "policy_published");
	add(b, "domain", b->rep->domain);
	if (b->fmt == REPORT_RFC7489) {
		add(b, "adkim", p->adkim);
		add(b, "aspf", p->aspf);
		add(b, "p", p->p);
		add(b, "sp", p->sp);
		add_u64(b, "pct", p->pct);
		add(b, "fo", p->fo);
		close_el(b);
		return;
	}
	add(b, "p", p->p);
	add(b, "sp", p->sp);
	add(b, "np", p->np);
	add(b, "adkim", p->adkim);
	add(b, "aspf", p->aspf);
	add(b, "discovery_method", p->discovery);
	add(b, "fo", p->fo);
	add(b, "testing", p->testing);
	close_el(b);
}

static bool nonexistent(const fxml_meta_t *m, const char *domain)
{
	for (size_t i = 0; m->nonexistent && i < m->nnonexistent; i++)
		if (strcasecmp(m->nonexistent[i], domain) == 0)
			return true;
	return false;
}

/* RFC 9990 "pass": DMARC passed and the policy for this author domain
 * would have enforced something: p= for the policy domain itself, np=
 * for a subdomain that does not exist (RFC 9989), sp= for the others. */
static const char *disposition(const builder_t *b, const char **f)
{
	const agg_policy_t *p = &b->rep->policy;
	const char *hf = f[AGG_F_HEADER_FROM], *pol;

	if (b->fmt != REPORT_RFC9990 || strcmp(f[AGG_F_RESULT], "pass") != 0)
		return f[AGG_F_DISPOSITION];
	if (strcasecmp(hf, b->rep->domain) == 0)
		pol = p->p;
	else if (nonexistent(b->meta, hf))
		pol = p->np[0] ? p->np : p->sp;
	else
		pol = p->sp;
	return strcmp(pol, "none") == 0 || pol[0] == '\0' ? "none" : "pass";
}

static void build_reason(const builder_t *b, char *entry)
{
	char *sub[2] = { NULL, NULL }, comment[TEXT_MAX];
	const char *type;
	bool renamed = false;

	if (agg_split(entry, AGG_SUB_SEP, sub, 2) == 0)
		return;
	type = sub[0];
	if ((b->fmt == REPORT_RFC9990 && (strcmp(type, "forwarded") == 0 ||
	    strcmp(type, "sampled_out") == 0)) ||
	    (b->fmt == REPORT_RFC7489 && strcmp(type, "policy_test_mode") == 0))
		renamed = true;
	open_el(b, "reason");
	add(b, "type", renamed ? "other" : type);
	str_format(comment, sizeof(comment), "%s%s%s", renamed ? type : "",
	    renamed && sub[1] && sub[1][0] ? ": " : "", sub[1] ? sub[1] : "");
	if (comment[0])
		add(b, "comment", comment);
	close_el(b);
}

static void build_row(const builder_t *b, const char **f,
    unsigned long long count, char *reasons)
{
	char ip[64], *entry[MAX_REASONS];
	size_t i, n;

	open_el(b, "row");
	if (b->fmt == REPORT_RFC7489)
		fxml_ip_full(f[AGG_F_SOURCE_IP], ip, sizeof(ip));
	else
		str_copy(ip, sizeof(ip), f[AGG_F_SOURCE_IP]);
	add(b, "source_ip", ip);
	add_u64(b, "count", count);
	open_el(b, "policy_evaluated");
	add(b, "disposition", disposition(b, f));
	add(b, "dkim", strcmp(f[AGG_F_DKIM_ALIGNED], "1") == 0 ?
	    "pass" : "fail");
	add(b, "spf", strcmp(f[AGG_F_SPF_ALIGNED], "1") == 0 ?
	    "pass" : "fail");
	n = agg_split(reasons, AGG_LIST_SEP, entry, MAX_REASONS);
	for (i = 0; i < n; i++)
		build_reason(b, entry[i]);
	close_el(b);
	close_el(b);
}

static void build_identifiers(const builder_t *b, const char **f)
{
	open_el(b, "identifiers");
	if (f[AGG_F_ENVELOPE_TO][0])
		add(b, "envelope_to", f[AGG_F_ENVELOPE_TO]);
	if (f[AGG_F_ENVELOPE_FROM][0] || b->fmt == REPORT_RFC7489)
		add(b, "envelope_from", f[AGG_F_ENVELOPE_FROM]);
	add(b, "header_from", f[AGG_F_HEADER_FROM]);
	close_el(b);
}

/* How far down RFC 9990's preference order a signature comes: passing
 * and aligned first, then other passing ones, then failed aligned ones,
 * then the rest.  The history keeps per signature only d= and the result,
 * so alignment is judged from the names: strict is equality; relaxed is
 * one within the other, or both within the policy domain (not for a PSD
 * policy, whose domain is a public suffix).  Only the order depends on
 * it; every result is written as recorded. */
static int dkim_rank(const builder_t *b, const char *hf, const char *d,
    const char *result)
{
	const agg_policy_t *p = &b->rep->policy;
	bool aligned;

	if (strcmp(p->adkim, "s") == 0)
		aligned = strcasecmp(d, hf) == 0;
	else
		aligned = domain_within(d, hf) || domain_within(hf, d) ||
		    (strcmp(p->psd, "y") != 0 && domain_within(d,
		    b->rep->domain) && domain_within(hf, b->rep->domain));
	if (strcmp(result, "pass") == 0)
		return aligned ? 0 : 1;
	return aligned ? 2 : 3;
}

static void build_dkim(const builder_t *b, const char *hf, char *dkim)
{
	char *entry[MAX_DKIM], *sub[MAX_DKIM][4];
	size_t i, n, k[MAX_DKIM];
	int rank[MAX_DKIM], r;

	n = agg_split(dkim, AGG_LIST_SEP, entry, MAX_DKIM);
	for (i = 0; i < n; i++) {
		k[i] = agg_split(entry[i], AGG_SUB_SEP, sub[i], 4);
		rank[i] = k[i] < 3 ? -1 : dkim_rank(b, hf, sub[i][0],
		    sub[i][2]);
	}
	for (r = 0; r < 4; r++)
		for (i = 0; i < n; i++) {
			if (rank[i] != r)
				continue;
			open_el(b, "dkim");
			add(b, "domain", sub[i][0]);
			add(b, "selector", sub[i][1]);
			add(b, "result", sub[i][2]);
			if (k[i] == 4 && sub[i][3][0])
				add(b, "human_result", sub[i][3]);
			close_el(b);
		}
}

/* SPF: RFC 9990's spf element is the MAIL FROM check (its scope can only
 * be "mfrom", and a reader takes a missing scope for that too), so a
 * HELO check (null reverse-path) is not written there; RFC 7489 has the
 * scope "helo" for it. */
static void build_auth(const builder_t *b, const char **f, char *dkim)
{
	bool mfrom = strcmp(f[AGG_F_SPF_SCOPE], "helo") != 0;

	open_el(b, "auth_results");
	build_dkim(b, f[AGG_F_HEADER_FROM], dkim);
	if (b->fmt == REPORT_RFC7489 || (f[AGG_F_SPF_DOMAIN][0] != '\0' &&
	    mfrom)) {
		open_el(b, "spf");
		add(b, "domain", f[AGG_F_SPF_DOMAIN]);
		add(b, "scope", mfrom ? "mfrom" : "helo");
		add(b, "result", f[AGG_F_SPF_RESULT]);
		close_el(b);
	}
	close_el(b);
}

static void build_record(const builder_t *b, const agg_record_t *r)
{
	const char *f[AGG_NFIELDS];
	char *buf, *dkim, *reasons;

	agg_fields(r, f, &buf);
	/* The list fields are cut in place: take private copies. */
	dkim = strdup(f[AGG_F_DKIM]);
	reasons = strdup(f[AGG_F_REASONS]);
	if (dkim == NULL || reasons == NULL)
		abort();
	open_el(b, "record");
	build_row(b, f, r->count, reasons);
	build_identifiers(b, f);
	build_auth(b, f, dkim);
	close_el(b);
	free(dkim);
	free(reasons);
	free(buf);
}

int fxml_report_write(const fxml_schemas_t *s, report_format_t fmt,
    const fxml_meta_t *meta, const agg_report_t *rep, fxml_sink_fn sink,
    void *ctx, char *err, size_t errlen)
{
	builder_t b = { fmt, NULL, rep, meta };

	if (!rep->policy.valid || rep->nrecords == 0) {
		str_copy(err, errlen, "no policy or no records");
		return -1;
	}
	/* RFC 7489: validated in its namespace, written without it. */
	b.x = xstream_open(s->schema[fmt], fmt == REPORT_RFC9990 ? NS_9990 :
	    NS_7489, fmt == REPORT_RFC9990, sink, ctx);
	if (b.x != NULL) {
		open_el(&b, "feedback");
		add(&b, "version", "1.0");
		build_metadata(&b, meta);
		build_policy(&b);
		for (size_t i = 0; i < rep->nrecords && !xstream_failed(b.x);
		    i++)
			build_record(&b, &rep->records[i]);
		close_el(&b);
	}
	return xstream_close(b.x, err, errlen);
}

static int to_strbuf(void *ctx, const unsigned char *p, size_t n)
{
	return strbuf_append(ctx, (const char *)p, n);
}

int fxml_report(const fxml_schemas_t *s, report_format_t fmt,
    const fxml_meta_t *meta, const agg_report_t *rep, unsigned char **xml,
    size_t *len, char *err, size_t errlen)
{
	strbuf_t sb;

	*xml = NULL;
	*len = 0;
	strbuf_init(&sb, (size_t)INT32_MAX);
	if (fxml_report_write(s, fmt, meta, rep, to_strbuf, &sb, err,
	    errlen) != 0) {
		strbuf_free(&sb);
		return -1;
	}
	*len = sb.len;
	*xml = (unsigned char *)strbuf_steal(&sb);
	return 0;
}
