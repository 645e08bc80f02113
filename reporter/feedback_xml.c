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
	xmlNsPtr ns;
	const agg_report_t *rep;
	const fxml_meta_t *meta;
} builder_t;

/* ---- schemas -------------------------------------------------------- */

static void collect_error(void *ctx, xmlErrorPtr e)
{
	char *err = ctx;
	char msg[FXML_ERR_MAX - 32];

	if (err[0] != '\0' || e == NULL)
		return;            /* keep the first one */
	str_printable(msg, sizeof(msg), e->message ? e->message : "error",
	    e->message ? strcspn(e->message, "\n") : 5);
	str_format(err, FXML_ERR_MAX, "line %d: %s", e->line, msg);
}

static xmlSchemaPtr schema_parse(const char *text, unsigned long len,
    char *err)
{
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr s;

	pc = xmlSchemaNewMemParserCtxt(text, (int)len);
	if (pc == NULL)
		return NULL;
	xmlSchemaSetParserStructuredErrors(pc, collect_error, err);
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
	xmlSchemaSetValidStructuredErrors(vc, collect_error, e);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0) {
		str_format(err, errlen, "report does not validate: %s",
		    e[0] ? e : "internal error");
		return -1;
	}
	return 0;
}

/* Put every element of the tree under ns (NULL: no namespace).  The
 * RFC 7489 schema has a target namespace, while legacy readers want
 * reports without one: such a report is validated with the namespace
 * set and written without it. */
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

static xmlNodePtr add(xmlNodePtr parent, xmlNsPtr ns, const char *name,
    const char *text)
{
	char clean[TEXT_MAX];

	if (text == NULL)
		return xmlNewChild(parent, ns, BAD_CAST name, NULL);
	str_printable(clean, sizeof(clean), text, strlen(text));
	return xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST clean);
}

static void add_u64(xmlNodePtr parent, xmlNsPtr ns, const char *name,
    unsigned long long v)
{
	char num[32];

	str_format(num, sizeof(num), "%llu", v);
	add(parent, ns, name, num);
}

/* ---- the document --------------------------------------------------- */

static void build_metadata(const builder_t *b, xmlNodePtr root,
    const fxml_meta_t *m)
{
	xmlNodePtr md = add(root, b->ns, "report_metadata", NULL), dr;

	add(md, b->ns, "org_name", m->org_name);
	add(md, b->ns, "email", m->email);
	if (m->contact && m->contact[0])
		add(md, b->ns, "extra_contact_info", m->contact);
	add(md, b->ns, "report_id", m->report_id);
	dr = add(md, b->ns, "date_range", NULL);
	add_u64(dr, b->ns, "begin", (unsigned long long)m->begin);
	add_u64(dr, b->ns, "end", (unsigned long long)(m->end - 1));
	if (b->fmt == REPORT_RFC9990 && m->generator)
		add(md, b->ns, "generator", m->generator);
}

static void build_policy(const builder_t *b, xmlNodePtr root)
{
	const agg_policy_t *p = &b->rep->policy;
	xmlNodePtr pp = add(root, b->ns, "policy_published", NULL);

	add(pp, b->ns, "domain", b->rep->domain);
	if (b->fmt == REPORT_RFC7489) {
		add(pp, b->ns, "adkim", p->adkim);
		add(pp, b->ns, "aspf", p->aspf);
		add(pp, b->ns, "p", p->p);
		add(pp, b->ns, "sp", p->sp);
		add_u64(pp, b->ns, "pct", p->pct);
		add(pp, b->ns, "fo", p->fo);
		return;
	}
	add(pp, b->ns, "p", p->p);
	add(pp, b->ns, "sp", p->sp);
	add(pp, b->ns, "np", p->np);
	add(pp, b->ns, "adkim", p->adkim);
	add(pp, b->ns, "aspf", p->aspf);
	add(pp, b->ns, "discovery_method", p->discovery);
	add(pp, b->ns, "fo", p->fo);
	add(pp, b->ns, "testing", p->testing);
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

static void build_reason(const builder_t *b, xmlNodePtr pe, char *entry)
{
	char *sub[2] = { NULL, NULL }, comment[TEXT_MAX];
	const char *type;
	xmlNodePtr r;
	bool renamed = false;

	if (agg_split(entry, AGG_SUB_SEP, sub, 2) == 0)
		return;
	type = sub[0];
	if ((b->fmt == REPORT_RFC9990 && (strcmp(type, "forwarded") == 0 ||
	    strcmp(type, "sampled_out") == 0)) ||
	    (b->fmt == REPORT_RFC7489 && strcmp(type, "policy_test_mode") == 0))
		renamed = true;
	r = add(pe, b->ns, "reason", NULL);
	add(r, b->ns, "type", renamed ? "other" : type);
	str_format(comment, sizeof(comment), "%s%s%s", renamed ? type : "",
	    renamed && sub[1] && sub[1][0] ? ": " : "", sub[1] ? sub[1] : "");
	if (comment[0])
		add(r, b->ns, "comment", comment);
}

static void build_row(const builder_t *b, xmlNodePtr rec, const char **f,
    unsigned long long count, char *reasons)
{
	char ip[64], *entry[MAX_REASONS];
	xmlNodePtr row = add(rec, b->ns, "row", NULL), pe;
	size_t i, n;

	if (b->fmt == REPORT_RFC7489)
		fxml_ip_full(f[AGG_F_SOURCE_IP], ip, sizeof(ip));
	else
		str_copy(ip, sizeof(ip), f[AGG_F_SOURCE_IP]);
	add(row, b->ns, "source_ip", ip);
	add_u64(row, b->ns, "count", count);
	pe = add(row, b->ns, "policy_evaluated", NULL);
	add(pe, b->ns, "disposition", disposition(b, f));
	add(pe, b->ns, "dkim", strcmp(f[AGG_F_DKIM_ALIGNED], "1") == 0 ?
	    "pass" : "fail");
	add(pe, b->ns, "spf", strcmp(f[AGG_F_SPF_ALIGNED], "1") == 0 ?
	    "pass" : "fail");
	n = agg_split(reasons, AGG_LIST_SEP, entry, MAX_REASONS);
	for (i = 0; i < n; i++)
		build_reason(b, pe, entry[i]);
}

static void build_identifiers(const builder_t *b, xmlNodePtr rec,
    const char **f)
{
	xmlNodePtr id = add(rec, b->ns, "identifiers", NULL);

	if (f[AGG_F_ENVELOPE_TO][0])
		add(id, b->ns, "envelope_to", f[AGG_F_ENVELOPE_TO]);
	if (f[AGG_F_ENVELOPE_FROM][0] || b->fmt == REPORT_RFC7489)
		add(id, b->ns, "envelope_from", f[AGG_F_ENVELOPE_FROM]);
	add(id, b->ns, "header_from", f[AGG_F_HEADER_FROM]);
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

static void build_dkim(const builder_t *b, xmlNodePtr ar, const char *hf,
    char *dkim)
{
	char *entry[MAX_DKIM], *sub[MAX_DKIM][4];
	size_t i, n, k[MAX_DKIM];
	int rank[MAX_DKIM], r;
	xmlNodePtr d;

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
			d = add(ar, b->ns, "dkim", NULL);
			add(d, b->ns, "domain", sub[i][0]);
			add(d, b->ns, "selector", sub[i][1]);
			add(d, b->ns, "result", sub[i][2]);
			if (k[i] == 4 && sub[i][3][0])
				add(d, b->ns, "human_result", sub[i][3]);
		}
}

/* SPF: RFC 9990's spf element is the MAIL FROM check (its scope can only
 * be "mfrom", and a reader takes a missing scope for that too), so a
 * HELO check (null reverse-path) is not written there; RFC 7489 has the
 * scope "helo" for it. */
static void build_auth(const builder_t *b, xmlNodePtr rec, const char **f,
    char *dkim)
{
	xmlNodePtr ar = add(rec, b->ns, "auth_results", NULL), s;
	bool mfrom = strcmp(f[AGG_F_SPF_SCOPE], "helo") != 0;

	build_dkim(b, ar, f[AGG_F_HEADER_FROM], dkim);
	if (b->fmt == REPORT_RFC9990 && (f[AGG_F_SPF_DOMAIN][0] == '\0' ||
	    !mfrom))
		return;
	s = add(ar, b->ns, "spf", NULL);
	add(s, b->ns, "domain", f[AGG_F_SPF_DOMAIN]);
	add(s, b->ns, "scope", mfrom ? "mfrom" : "helo");
	add(s, b->ns, "result", f[AGG_F_SPF_RESULT]);
}

static void build_record(const builder_t *b, xmlNodePtr root,
    const agg_record_t *r)
{
	const char *f[AGG_NFIELDS];
	char *buf, *dkim, *reasons;
	xmlNodePtr rec;

	agg_fields(r, f, &buf);
	/* The list fields are cut in place: take private copies. */
	dkim = strdup(f[AGG_F_DKIM]);
	reasons = strdup(f[AGG_F_REASONS]);
	if (dkim == NULL || reasons == NULL)
		abort();
	rec = add(root, b->ns, "record", NULL);
	build_row(b, rec, f, r->count, reasons);
	build_identifiers(b, rec, f);
	build_auth(b, rec, f, dkim);
	free(dkim);
	free(reasons);
	free(buf);
}

static xmlDocPtr build_doc(const builder_t *bb, const fxml_meta_t *meta)
{
	builder_t b = *bb;
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "feedback");
	size_t i;

	b.ns = xmlNewNs(root, BAD_CAST(b.fmt == REPORT_RFC9990 ? NS_9990 :
	    NS_7489), NULL);
	xmlSetNs(root, b.ns);
	xmlDocSetRootElement(doc, root);
	add(root, b.ns, "version", "1.0");
	build_metadata(&b, root, meta);
	build_policy(&b, root);
	for (i = 0; i < b.rep->nrecords; i++)
		build_record(&b, root, &b.rep->records[i]);
	return doc;
}

int fxml_report(const fxml_schemas_t *s, report_format_t fmt,
    const fxml_meta_t *meta, const agg_report_t *rep, unsigned char **xml,
    size_t *len, char *err, size_t errlen)
{
	builder_t b = { fmt, NULL, rep, meta };
	xmlChar *mem = NULL;
	xmlDocPtr doc;
	int size = 0, rc = -1;

	*xml = NULL;
	*len = 0;
	if (!rep->policy.valid || rep->nrecords == 0) {
		str_copy(err, errlen, "no policy or no records");
		return -1;
	}
	doc = build_doc(&b, meta);
	if (validate_doc(s, fmt, doc, err, errlen) == 0) {
		if (fmt == REPORT_RFC7489) {
			xmlNodePtr root = xmlDocGetRootElement(doc);

			set_ns(root, NULL);
			xmlFreeNsList(root->nsDef);
			root->nsDef = NULL;
		}
		xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
		if (mem != NULL && size > 0) {
			if ((*xml = malloc((size_t)size + 1)) == NULL)
				abort();
			memcpy(*xml, mem, (size_t)size);
			(*xml)[size] = '\0';
			*len = (size_t)size;
			rc = 0;
		} else {
			str_copy(err, errlen, "cannot serialize the report");
		}
		xmlFree(mem);
	}
	xmlFreeDoc(doc);
	return rc;
}
