/*
 * rua_xml - parse and validate a received aggregate report.  See rua_xml.h.
 */
#include "rua_xml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include "../domain.h"
#include "../../util/strbuf.h"

#define NS_RFC7489 "http://dmarc.org/dmarc-xml/0.1"
#define NS_RFC9990 "urn:ietf:params:xml:ns:dmarc-2.0"
#define TEXT_MAX 4096

struct rua_doc {
	xmlDoc *doc;
	const xmlChar *ns;       /* root namespace href, NULL for none */
	xmlNode *next;           /* next <record> to return */
	rua_format_t format;
};

const char *rua_format_name(rua_format_t f)
{
	return f == RUA_FORMAT_RFC9990 ? "rfc9990" : "rfc7489";
}

/* ---- tree helpers ---------------------------------------------------- */

static bool same_ns(const rua_doc_t *d, const xmlNode *n)
{
	const xmlChar *href = n->ns ? n->ns->href : NULL;

	if (d->ns == NULL || href == NULL)
		return d->ns == href;
	return xmlStrEqual(d->ns, href);
}

static bool is_elem(const rua_doc_t *d, const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && same_ns(d, n) &&
	    xmlStrEqual(n->name, (const xmlChar *)name);
}

static xmlNode *child(const rua_doc_t *d, xmlNode *parent, const char *name)
{
	xmlNode *n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (is_elem(d, n, name))
			return n;
	return NULL;
}

/* Text content of n (text and CDATA children only), trimmed, printable.
 * Returns 0, or -1 when longer than size-1. */
static int node_text(const xmlNode *n, char *buf, size_t size)
{
	char raw[TEXT_MAX];
	size_t len = 0, b, e;
	const xmlNode *c;

	for (c = n->children; c; c = c->next) {
		size_t l;

		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		l = strlen((const char *)c->content);
		if (l >= sizeof(raw) - len)
			return -1;
		memcpy(raw + len, c->content, l);
		len += l;
	}
	for (b = 0; b < len && strchr(" \t\r\n", raw[b]); b++)
		;
	for (e = len; e > b && strchr(" \t\r\n", raw[e - 1]); e--)
		;
	if (e - b >= size)
		return -1;
	str_printable(buf, size, raw + b, e - b);
	return 0;
}

typedef struct ctx {
	const rua_doc_t *d;
	char *err;
	size_t errlen;
	const char *where;     /* "report_metadata", "record 3", ... */
	rua_meta_t *warn;      /* where warnings are counted; NULL: not */
} ctx_t;

static int fail(ctx_t *c, const char *what, const char *why)
{
	str_format(c->err, c->errlen, "%s: <%s> %s", c->where, what, why);
	return -1;
}

/* A value the report can do without was bad: count it, keep the first. */
static void warn(ctx_t *c, const char *what, const char *why,
    const char *value)
{
	if (c->warn == NULL)
		return;
	if (c->warn->nwarnings++ == 0)
		str_format(c->warn->warning, sizeof(c->warn->warning),
		    "%s: <%s> %s \"%s\"", c->where, what, why, value);
}

/* Copy the text of parent/name into buf; required elements must exist
 * and be non-empty.  Returns 1 found, 0 absent (optional), -1 error. */
static int get_text(ctx_t *c, xmlNode *parent, const char *name, char *buf,
    size_t size, bool required)
{
	xmlNode *n = child(c->d, parent, name);

	buf[0] = '\0';
	if (n == NULL)
		return required ? fail(c, name, "is missing") : 0;
	if (node_text(n, buf, size) < 0)
		return fail(c, name, "is too long");
	if (required && buf[0] == '\0')
		return fail(c, name, "is empty");
	return 1;
}

static bool word_in(const char *w, const char *const *allowed)
{
	size_t i;

	for (i = 0; allowed[i]; i++)
		if (strcmp(w, allowed[i]) == 0)
			return true;
	return false;
}

static int get_word(ctx_t *c, xmlNode *parent, const char *name, char *buf,
    size_t size, bool required, const char *const *allowed)
{
	int rc = get_text(c, parent, name, buf, size, required);

	if (rc <= 0 || buf[0] == '\0')
		return rc;
	str_lower(buf);
	if (word_in(buf, allowed))
		return 1;
	return fail(c, name, "has a value outside the schema");
}

/* An optional keyword: a value outside the schema is normalised
 * ("hardfail" is "fail") or dropped (buf ""), with a warning; the report
 * is kept.  Returns 1 with a value, 0 without, -1 only when too long. */
static int opt_word(ctx_t *c, xmlNode *parent, const char *name, char *buf,
    size_t size, const char *const *allowed)
{
	char raw[TEXT_MAX];
	int rc = get_text(c, parent, name, raw, sizeof(raw), false);

	buf[0] = '\0';
	if (rc < 0 || raw[0] == '\0')
		return rc < 0 ? rc : 0;
	str_lower(raw);
	if (strcmp(raw, "hardfail") == 0 && word_in("fail", allowed)) {
		warn(c, name, "normalised to \"fail\": was", raw);
		str_copy(raw, sizeof(raw), "fail");
	}
	if (word_in(raw, allowed) && strlen(raw) < size) {
		str_copy(buf, size, raw);
		return 1;
	}
	raw[RUA_WORD_MAX] = '\0';
	warn(c, name, "dropped, outside the schema:", raw);
	return 0;
}

static int get_number(ctx_t *c, xmlNode *parent, const char *name,
    long long *out, long long max)
{
	char buf[32], *end;
	long long v;

	if (get_text(c, parent, name, buf, sizeof(buf), true) < 0)
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (*end != '\0' || errno != 0 || v < 0 || v > max || buf[0] == '-' ||
	    buf[0] == '+')
		return fail(c, name, "is not a valid non-negative integer");
	*out = v;
	return 0;
}

static int get_domain(ctx_t *c, xmlNode *parent, const char *name,
    char *buf, size_t size, bool required)
{
	char raw[RUA_NAME_MAX];
	int rc = get_text(c, parent, name, raw, sizeof(raw), required);

	buf[0] = '\0';
	if (rc <= 0 || raw[0] == '\0')
		return rc;
	if (domain_normalize(raw, strlen(raw), buf, size) < 0) {
		if (required)
			return fail(c, name, "is not a valid domain name");
		/* optional identifiers of odd reporters: keep them printable */
		str_copy(buf, size, raw);
		str_lower(buf);
	}
	return 1;
}

static const char *const policy_words[] = { "none", "quarantine", "reject",
	NULL };
static const char *const align_words[] = { "r", "s", NULL };
static const char *const yn_words[] = { "y", "n", NULL };
static const char *const discovery_words[] = { "psl", "treewalk", NULL };
static const char *const eval_words[] = { "pass", "fail", NULL };
static const char *const disp7489[] = { "none", "quarantine", "reject",
	NULL };
static const char *const disp9990[] = { "none", "pass", "quarantine",
	"reject", NULL };
static const char *const dkim_words[] = { "none", "pass", "fail", "policy",
	"neutral", "temperror", "permerror", NULL };
static const char *const spf_words[] = { "none", "neutral", "pass", "fail",
	"softfail", "policy", "temperror", "permerror", NULL };
static const char *const scope_words[] = { "mfrom", "helo", NULL };
static const char *const reason_words[] = { "forwarded", "sampled_out",
	"trusted_forwarder", "mailing_list", "local_policy", "other",
	"policy_test_mode", NULL };

/* ---- report_metadata and policy_published --------------------------- */

/* org_name from the domain of the reporter's email address. */
static int org_from_email(rua_meta_t *m)
{
	const char *at = strrchr(m->email, '@');
	size_t n;

	if (at == NULL)
		return -1;
	n = strcspn(at + 1, "> \t");
	if (domain_normalize(at + 1, n, m->org_name, sizeof(m->org_name)) < 0) {
		m->org_name[0] = '\0';
		return -1;
	}
	return 0;
}

static int parse_meta(ctx_t *c, xmlNode *root, rua_meta_t *m)
{
	xmlNode *md = child(c->d, root, "report_metadata"), *dr;

	c->where = "report_metadata";
	if (md == NULL)
		return fail(c, "report_metadata", "is missing");
	if (get_text(c, md, "org_name", m->org_name, sizeof(m->org_name),
	    false) < 0 || get_text(c, md, "email", m->email, sizeof(m->email),
	    false) < 0 || get_text(c, md, "report_id", m->report_id,
	    sizeof(m->report_id), true) < 0)
		return -1;
	if (m->org_name[0] == '\0') {
		/* valid per the XSD; the reporter is named by its address */
		if (org_from_email(m) < 0)
			return fail(c, "org_name", "is empty");
		warn(c, "org_name", "is empty: named after the domain of "
		    "<email>,", m->org_name);
	}
	if ((dr = child(c->d, md, "date_range")) == NULL)
		return fail(c, "date_range", "is missing");
	if (get_number(c, dr, "begin", &m->begin, 1LL << 40) < 0 ||
	    get_number(c, dr, "end", &m->end, 1LL << 40) < 0)
		return -1;
	if (m->end < m->begin)
		return fail(c, "date_range", "ends before it begins");
	return 0;
}

static int parse_policy(ctx_t *c, xmlNode *root, rua_meta_t *m)
{
	xmlNode *pp = child(c->d, root, "policy_published");
	char pct[16];
	long long v;
	int rc;

	c->where = "policy_published";
	if (pp == NULL)
		return fail(c, "policy_published", "is missing");
	if (get_domain(c, pp, "domain", m->domain, sizeof(m->domain), true) < 0 ||
	    get_word(c, pp, "p", m->p, sizeof(m->p), true, policy_words) < 0 ||
	    opt_word(c, pp, "sp", m->sp, sizeof(m->sp), policy_words) < 0 ||
	    opt_word(c, pp, "np", m->np, sizeof(m->np), policy_words) < 0 ||
	    opt_word(c, pp, "adkim", m->adkim, sizeof(m->adkim),
	    align_words) < 0 || opt_word(c, pp, "aspf", m->aspf,
	    sizeof(m->aspf), align_words) < 0 || opt_word(c, pp, "testing", m->testing,
	    sizeof(m->testing), yn_words) < 0 || opt_word(c, pp,
	    "discovery_method", m->discovery, sizeof(m->discovery),
	    discovery_words) < 0 || get_text(c, pp, "fo", m->fo,
	    sizeof(m->fo), false) < 0)
		return -1;
	m->pct = -1;
	if ((rc = get_text(c, pp, "pct", pct, sizeof(pct), false)) < 0)
		return -1;
	if (rc > 0 && pct[0] != '\0') {
		if (get_number(c, pp, "pct", &v, 100) < 0)
			return -1;
		m->pct = (int)v;
	}
	return 0;
}

/* ---- records --------------------------------------------------------- */

static int parse_auth(ctx_t *c, xmlNode *ar, rua_record_t *r)
{
	xmlNode *n;
	rua_auth_t *a;
	int rc;

	for (n = ar ? ar->children : NULL; n; n = n->next) {
		bool dkim = is_elem(c->d, n, "dkim");

		if (!dkim && !is_elem(c->d, n, "spf"))
			continue;
		if (r->nauth >= RUA_MAX_AUTH) {
			r->auth_dropped++;
			continue;
		}
		a = &r->auth[r->nauth];
		memset(a, 0, sizeof(*a));
		a->kind = dkim ? 'd' : 's';
		if (get_domain(c, n, "domain", a->domain, sizeof(a->domain),
		    false) < 0 || (rc = opt_word(c, n, "result", a->result,
		    sizeof(a->result), dkim ? dkim_words : spf_words)) < 0)
			return -1;
		if (dkim ? get_text(c, n, "selector", a->selector,
		    sizeof(a->selector), false) < 0 : opt_word(c, n, "scope",
		    a->scope, sizeof(a->scope), scope_words) < 0)
			return -1;
		if (rc > 0)         /* a result outside the schema: dropped */
			r->nauth++;
	}
	return 0;
}

static int parse_reasons(ctx_t *c, xmlNode *pe, rua_record_t *r)
{
	xmlNode *n;
	rua_reason_t *rs;
	unsigned seen;
	int rc;

	for (n = pe->children; n; n = n->next) {
		if (!is_elem(c->d, n, "reason") || r->nreason >= RUA_MAX_REASONS)
			continue;
		rs = &r->reason[r->nreason];
		seen = c->warn ? c->warn->nwarnings : 0;
		if ((rc = opt_word(c, n, "type", rs->type, sizeof(rs->type),
		    reason_words)) < 0 || get_text(c, n, "comment", rs->comment,
		    sizeof(rs->comment), false) < 0)
			return -1;
		if (rc == 0 && c->warn && c->warn->nwarnings == seen)
			warn(c, "type", "is empty: reason dropped, comment",
			    rs->comment);
		if (rc > 0)         /* empty or unknown type: reason dropped */
			r->nreason++;
	}
	return 0;
}

static int parse_row(ctx_t *c, xmlNode *row, rua_record_t *r)
{
	unsigned char addr[16];
	char word[RUA_WORD_MAX];
	xmlNode *pe;
	long long count;

	if (get_text(c, row, "source_ip", r->source_ip, sizeof(r->source_ip),
	    true) < 0)
		return -1;
	if (inet_pton(AF_INET, r->source_ip, addr) != 1 &&
	    inet_pton(AF_INET6, r->source_ip, addr) != 1)
		return fail(c, "source_ip", "is not an IP address");
	if (get_number(c, row, "count", &count, 1LL << 40) < 0)
		return -1;
	r->count = (unsigned long long)count;
	if ((pe = child(c->d, row, "policy_evaluated")) == NULL)
		return fail(c, "policy_evaluated", "is missing");
	if (get_word(c, pe, "disposition", r->disposition,
	    sizeof(r->disposition), true, c->d->format == RUA_FORMAT_RFC9990 ?
	    disp9990 : disp7489) < 0)
		return -1;
	if (get_word(c, pe, "dkim", word, sizeof(word), true, eval_words) < 0)
		return -1;
	r->dkim_pass = strcmp(word, "pass") == 0;
	if (get_word(c, pe, "spf", word, sizeof(word), true, eval_words) < 0)
		return -1;
	r->spf_pass = strcmp(word, "pass") == 0;
	return parse_reasons(c, pe, r);
}

static int parse_record(const rua_doc_t *d, xmlNode *rn, size_t idx,
    rua_record_t *r, rua_meta_t *warn, char *err, size_t errlen)
{
	char where[32];
	ctx_t c = { d, err, errlen, where, warn };
	xmlNode *row, *id;

	memset(r, 0, sizeof(*r));
	str_format(where, sizeof(where), "record %zu", idx + 1);
	if ((row = child(d, rn, "row")) == NULL)
		return fail(&c, "row", "is missing");
	if (parse_row(&c, row, r) < 0)
		return -1;
	if ((id = child(d, rn, "identifiers")) == NULL)
		return fail(&c, "identifiers", "is missing");
	if (get_domain(&c, id, "header_from", r->header_from,
	    sizeof(r->header_from), true) < 0 || get_domain(&c, id,
	    "envelope_from", r->envelope_from, sizeof(r->envelope_from),
	    false) < 0 || get_domain(&c, id, "envelope_to", r->envelope_to,
	    sizeof(r->envelope_to), false) < 0)
		return -1;
	return parse_auth(&c, child(d, rn, "auth_results"), r);
}

/* ---- document -------------------------------------------------------- */

static xmlParserInputPtr no_external(const char *url, const char *id,
    xmlParserCtxtPtr ctxt)
{
	(void)url; (void)id; (void)ctxt;
	return NULL;
}

static int precheck(const char *xml, size_t len, size_t max, char *err,
    size_t errlen)
{
	const char *nul;

	if (len > max) {
		str_format(err, errlen, "report is %zu bytes, more than the "
		    "limit of %zu", len, max);
		return -1;
	}
	if ((nul = memchr(xml, '\0', len)) != NULL) {
		str_format(err, errlen, "NUL byte at offset %zu (binary, UTF-16 "
		    "or UTF-32 data is not accepted)", (size_t)(nul - xml));
		return -1;
	}
	if (memmem(xml, len, "<!DOCTYPE", 9) || memmem(xml, len, "<!ENTITY",
	    8)) {
		str_copy(err, errlen, "DOCTYPE or ENTITY declaration refused "
		    "(aggregate reports have none; external entities and entity "
		    "expansion are not processed)");
		return -1;
	}
	return 0;
}

static xmlDoc *read_xml(const char *xml, size_t len, char *err,
    size_t errlen)
{
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	const xmlError *e;
	xmlDoc *doc;

	if (ctxt == NULL) {
		str_copy(err, errlen, "out of memory");
		return NULL;
	}
	xmlSetExternalEntityLoader(no_external);
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "report.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || !ctxt->wellFormed) {
		char msg[160];

		const char *m;
		size_t i;

		e = xmlCtxtGetLastError(ctxt);
		m = e && e->message ? e->message : "unknown error";
		str_ncopy(msg, sizeof(msg), m, strlen(m));
		for (i = 0; msg[i]; i++)        /* libxml2 ends lines with \n */
			if (msg[i] == '\n')
				msg[i] = ' ';
		str_printable(msg, sizeof(msg), msg, strlen(msg));
		while (msg[0] && msg[strlen(msg) - 1] == ' ')
			msg[strlen(msg) - 1] = '\0';
		str_format(err, errlen, "malformed XML at line %d: %s",
		    e ? e->line : 0, msg);
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

/* A report without namespace is RFC 9990 when it says so: <version> 2.x,
 * or np, testing or discovery_method in policy_published (RFC 7489 has
 * none of them) without pct (RFC 9990 has none: Google's RFC 7489
 * reports carry np and pct). */
static bool looks_9990(const rua_doc_t *d, xmlNode *root)
{
	static const char *const only9990[] = { "np", "testing",
		"discovery_method" };
	xmlNode *v = child(d, root, "version");
	xmlNode *pp = child(d, root, "policy_published");
	char text[16];
	size_t i;

	if (v && node_text(v, text, sizeof(text)) == 0 && text[0] == '2')
		return true;
	if (child(d, pp, "pct"))
		return false;
	for (i = 0; i < sizeof(only9990) / sizeof(only9990[0]); i++)
		if (child(d, pp, only9990[i]))
			return true;
	return false;
}

/* Some reporters put unbalanced markup before <feedback> (e.g. an
 * unclosed <xs:schema> wrapper): when the document as a whole is not
 * well-formed, the part from the first "<feedback" on is tried alone,
 * with a warning.  Anything wrong inside <feedback> still fails. */
static xmlDoc *read_from_feedback(const char *xml, size_t len,
    rua_meta_t *meta)
{
	const char *f = memmem(xml, len, "<feedback", 9);
	char err[RUA_ERR_MAX];
	xmlDoc *doc;

	if (f == NULL || f == xml)
		return NULL;
	if ((doc = read_xml(f, len - (size_t)(f - xml), err, sizeof(err))) &&
	    meta->nwarnings++ == 0)
		str_format(meta->warning, sizeof(meta->warning), "ignored %zu "
		    "bytes of malformed content before <feedback>",
		    (size_t)(f - xml));
	return doc;
}

static int check_root(rua_doc_t *d, xmlNode *root, char *err, size_t errlen)
{
	char name[64];

	if (root == NULL || !xmlStrEqual(root->name, BAD_CAST "feedback")) {
		str_printable(name, sizeof(name), root ? (const char *)root->name :
		    "", root ? strlen((const char *)root->name) : 0);
		str_format(err, errlen, "root element is <%s>, expected "
		    "<feedback> (not a DMARC aggregate report)", name);
		return -1;
	}
	d->ns = root->ns ? root->ns->href : NULL;
	if (d->ns == NULL) {
		d->format = looks_9990(d, root) ? RUA_FORMAT_RFC9990 :
		    RUA_FORMAT_RFC7489;
	} else if (xmlStrEqual(d->ns, BAD_CAST NS_RFC7489)) {
		d->format = RUA_FORMAT_RFC7489;
	} else if (xmlStrEqual(d->ns, BAD_CAST NS_RFC9990)) {
		d->format = RUA_FORMAT_RFC9990;
	} else {
		str_printable(name, sizeof(name), (const char *)d->ns,
		    strlen((const char *)d->ns));
		str_format(err, errlen, "unknown namespace \"%s\" on <feedback>",
		    name);
		return -1;
	}
	return 0;
}

/* The report's content, whoever sent it under whatever name: the
 * policy domain, the interval and every record, one line each. */
static void digest_record(EVP_MD_CTX *md, const rua_record_t *r)
{
	char line[2048];
	size_t i;
	int n;

	n = snprintf(line, sizeof(line), "%s|%llu|%s|%d|%d|%s|%s|%s",
	    r->source_ip, r->count, r->disposition, r->dkim_pass, r->spf_pass,
	    r->header_from, r->envelope_from, r->envelope_to);
	EVP_DigestUpdate(md, line, n > 0 ? (size_t)n : 0);
	for (i = 0; i < r->nauth; i++) {
		const rua_auth_t *a = &r->auth[i];

		n = snprintf(line, sizeof(line), "|%c:%s:%s:%s:%s", a->kind,
		    a->domain, a->selector, a->scope, a->result);
		EVP_DigestUpdate(md, line, n > 0 ? (size_t)n : 0);
	}
	for (i = 0; i < r->nreason; i++)
		EVP_DigestUpdate(md, r->reason[i].type,
		    strlen(r->reason[i].type));
	EVP_DigestUpdate(md, "\n", 1);
}

static void digest_end(EVP_MD_CTX *md, rua_meta_t *m)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned len = 0, i;

	EVP_DigestFinal_ex(md, h, &len);
	for (i = 0; i < len && 2 * i + 2 < sizeof(m->digest); i++)
		snprintf(m->digest + 2 * i, 3, "%02x", h[i]);
}

static int check_records(rua_doc_t *d, xmlNode *root, rua_meta_t *m,
    char *err, size_t errlen)
{
	rua_record_t *r = malloc(sizeof(*r));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char head[RUA_NAME_MAX + RUA_DOMAIN_MAX + 64];
	xmlNode *n;
	int rc = 0;

	if (r == NULL || md == NULL || EVP_DigestInit_ex(md, EVP_sha256(),
	    NULL) != 1)
		abort();
	/* the reporter by its address (by its name only without one) */
	str_format(head, sizeof(head), "%s%s|%s|%lld|%lld\n", m->email[0] ?
	    "" : "org:", m->email[0] ? m->email : m->org_name, m->domain,
	    m->begin, m->end);
	str_lower(head);
	EVP_DigestUpdate(md, head, strlen(head));
	for (n = root->children; n && rc == 0; n = n->next) {
		if (!is_elem(d, n, "record"))
			continue;
		if (d->next == NULL)
			d->next = n;
		if (m->nrecords >= RUA_MAX_RECORDS) {
			str_format(err, errlen, "more than %d records",
			    RUA_MAX_RECORDS);
			rc = -1;
		} else if ((rc = parse_record(d, n, m->nrecords, r, m, err,
		    errlen)) == 0) {
			m->nrecords++;
			m->messages += r->count;
			digest_record(md, r);
		}
	}
	digest_end(md, m);
	EVP_MD_CTX_free(md);
	free(r);
	if (rc == 0 && m->nrecords == 0) {
		str_copy(err, errlen, "report holds no <record>");
		rc = -1;
	}
	return rc;
}

rua_doc_t *rua_doc_parse(const char *xml, size_t len, size_t max,
    rua_meta_t *meta, char *err, size_t errlen)
{
	rua_doc_t *d;
	ctx_t c;

	memset(meta, 0, sizeof(*meta));
	if (precheck(xml, len, max, err, errlen) < 0)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		abort();
	if ((d->doc = read_xml(xml, len, err, errlen)) == NULL &&
	    (d->doc = read_from_feedback(xml, len, meta)) == NULL)
		goto bad;
	if (d->doc->intSubset || d->doc->extSubset) {
		str_copy(err, errlen, "document type declaration refused");
		goto bad;
	}
	if (check_root(d, xmlDocGetRootElement(d->doc), err, errlen) < 0)
		goto bad;
	meta->format = d->format;
	c.d = d; c.err = err; c.errlen = errlen; c.where = ""; c.warn = meta;
	if (parse_meta(&c, xmlDocGetRootElement(d->doc), meta) < 0 ||
	    parse_policy(&c, xmlDocGetRootElement(d->doc), meta) < 0 ||
	    check_records(d, xmlDocGetRootElement(d->doc), meta, err,
	    errlen) < 0)
		goto bad;
	return d;
bad:
	rua_doc_free(d);
	return NULL;
}

int rua_doc_next(rua_doc_t *d, rua_record_t *rec)
{
	char err[RUA_ERR_MAX];
	xmlNode *n = d->next;

	while (n && !is_elem(d, n, "record"))
		n = n->next;
	if (n == NULL)
		return 0;
	d->next = n->next;
	/* validated in rua_doc_parse(); cannot fail here */
	return parse_record(d, n, 0, rec, NULL, err, sizeof(err)) == 0 ? 1 :
	    0;
}

void rua_doc_free(rua_doc_t *d)
{
	if (d == NULL)
		return;
	xmlFreeDoc(d->doc);
	free(d);
}
