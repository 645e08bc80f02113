/*
 * authres_parse - Authentication-Results payload parser.  See
 * authres_parse.h.
 *
 *	A cursor walks the bytes once; every production either consumes
 *	what it recognised or fails with the offset.  Buffers are filled
 *	through one bounded append (put()).
 */
#include "authres_parse.h"

#include <string.h>

#include "../util/strbuf.h"

typedef struct cursor {
	const char *s;
	size_t len;
	size_t i;
	ar_payload_t *out;
} cursor_t;

static int fail(cursor_t *c, const char *why)
{
	str_format(c->out->error, sizeof(c->out->error), "%s at offset %zu",
	    why, c->i);
	return -1;
}

static int peek(const cursor_t *c)
{
	return c->i < c->len ? (unsigned char)c->s[c->i] : -1;
}

/* Append one byte to out[outlen] at *n; -1 when it does not fit. */
static int put(char *out, size_t outlen, size_t *n, char ch)
{
	if (*n + 1 >= outlen)
		return -1;
	out[(*n)++] = ch;
	out[*n] = '\0';
	return 0;
}

static int skip_comment(cursor_t *c)
{
	int depth = 0;

	for (; c->i < c->len; c->i++) {
		char ch = c->s[c->i];

		if (ch == '\\') {
			c->i++;
		} else if (ch == '(') {
			if (++depth > AR_COMMENT_DEPTH)
				return fail(c, "comments nested too deep");
		} else if (ch == ')') {
			if (--depth == 0) {
				c->i++;
				return 0;
			}
		}
	}
	return fail(c, "unterminated comment");
}

/* [CFWS]: blanks, line breaks and comments. */
static int skip_cfws(cursor_t *c)
{
	int ch;

	while ((ch = peek(c)) >= 0) {
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			c->i++;
		else if (ch == '(') {
			if (skip_comment(c) < 0)
				return -1;
		} else
			break;
	}
	return 0;
}

static bool is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

/* RFC 2045 token character. */
static bool is_tokenchar(int ch)
{
	if (ch <= 0x20 || ch >= 0x7f)
		return false;
	return strchr("()<>@,;:\\\"/[]?=", ch) == NULL;
}

/* Keyword (ldh-str; '_' too), stored lower-case. */
static int keyword(cursor_t *c, char *out, size_t outlen, const char *what)
{
	size_t n = 0;
	int ch;

	out[0] = '\0';
	while ((ch = peek(c)) >= 0 && (is_alnum(ch) || ch == '-' ||
	    ch == '_')) {
		if (ch >= 'A' && ch <= 'Z')
			ch = ch - 'A' + 'a';
		if (put(out, outlen, &n, (char)ch) < 0)
			return fail(c, "keyword too long");
		c->i++;
	}
	if (n == 0)
		return fail(c, what);
	return 0;
}

/* quoted-string, unquoted into out (appended at *n). */
static int quoted(cursor_t *c, char *out, size_t outlen, size_t *n)
{
	int ch;

	c->i++;         /* opening quote */
	while ((ch = peek(c)) >= 0 && ch != '"') {
		if (ch == '\\') {
			c->i++;
			if ((ch = peek(c)) < 0)
				break;
		}
		if (ch == '\0')
			return fail(c, "NUL in quoted-string");
		if (put(out, outlen, n, (char)ch) < 0)
			return fail(c, "value too long");
		c->i++;
	}
	if (ch != '"')
		return fail(c, "unterminated quoted-string");
	c->i++;
	return 0;
}

/* value = token / quoted-string */
static int value(cursor_t *c, char *out, size_t outlen, const char *what)
{
	size_t n = 0;
	int ch;

	out[0] = '\0';
	if (peek(c) == '"')
		return quoted(c, out, outlen, &n);
	while ((ch = peek(c)) >= 0 && is_tokenchar(ch)) {
		if (put(out, outlen, &n, (char)ch) < 0)
			return fail(c, "value too long");
		c->i++;
	}
	if (n == 0)
		return fail(c, what);
	return 0;
}

/* Bytes a bare pvalue may hold (see the header: lenient on purpose). */
static bool is_pvaluechar(int ch)
{
	if (ch <= 0x20 || ch == 0x7f)
		return false;
	return strchr(";()\"\\", ch) == NULL;
}

/* pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) */
static int pvalue(cursor_t *c, char *out, size_t outlen)
{
	size_t n = 0;
	int ch;

	out[0] = '\0';
	if (skip_cfws(c) < 0)
		return -1;
	if (peek(c) == '"') {
		if (quoted(c, out, outlen, &n) < 0)
			return -1;
		if (peek(c) != '@')
			return 0;
	}
	while ((ch = peek(c)) >= 0 && is_pvaluechar(ch)) {
		if (put(out, outlen, &n, (char)ch) < 0)
			return fail(c, "property value too long");
		c->i++;
	}
	if (n == 0)
		return fail(c, "missing property value");
	return 0;
}

static int expect(cursor_t *c, char ch, const char *what)
{
	if (skip_cfws(c) < 0)
		return -1;
	if (peek(c) != ch)
		return fail(c, what);
	c->i++;
	return skip_cfws(c);
}

static int digits(cursor_t *c, unsigned *out)
{
	unsigned long v = 0;
	size_t n = 0;
	int ch;

	while ((ch = peek(c)) >= '0' && ch <= '9') {
		v = v * 10 + (unsigned)(ch - '0');
		if (++n > 6)
			return fail(c, "number too long");
		c->i++;
	}
	if (n == 0)
		return fail(c, "expected a number");
	*out = (unsigned)v;
	return 0;
}

/* ARC-Authentication-Results: "i=N;" before the authserv-id.  Only taken
 * when the whole prefix is there; otherwise nothing is consumed. */
static int arc_prefix(cursor_t *c)
{
	size_t start = c->i;
	unsigned inst;

	if (peek(c) != 'i' && peek(c) != 'I')
		return 0;
	c->i++;
	if (skip_cfws(c) < 0 || peek(c) != '=') {
		c->i = start;
		return 0;
	}
	c->i++;
	if (skip_cfws(c) < 0 || digits(c, &inst) < 0 ||
	    expect(c, ';', "expected ';' after the instance") < 0)
		return -1;
	c->out->instance = inst;
	return 0;
}

/* ptype "." property "=" pvalue, the ptype already read into k. */
static int propspec(cursor_t *c, ar_entry_t *e, const char *k)
{
	ar_prop_t *p;

	if (e->nprops >= AR_MAX_PROPS)
		return fail(c, "too many properties");
	p = &e->prop[e->nprops];
	str_copy(p->ptype, sizeof(p->ptype), k);
	if (expect(c, '.', "expected ptype.property") < 0 ||
	    keyword(c, p->property, sizeof(p->property),
	    "expected a property name") < 0 ||
	    skip_cfws(c) < 0)
		return -1;
	if (peek(c) != '=')
		return fail(c, "expected '=' after the property");
	c->i++;
	if (pvalue(c, p->value, sizeof(p->value)) < 0)
		return -1;
	e->nprops++;
	return 0;
}

/* methodspec [reasonspec] *propspec, after the ';'. */
static int resinfo(cursor_t *c, ar_entry_t *e)
{
	char k[AR_KEYWORD_MAX];
	unsigned ver;
	int ch;

	memset(e, 0, sizeof(*e));
	if (keyword(c, e->method, sizeof(e->method), "expected a method") < 0
	    || skip_cfws(c) < 0)
		return -1;
	if (peek(c) == '/') {
		c->i++;
		if (skip_cfws(c) < 0 || digits(c, &ver) < 0)
			return -1;
	}
	if (expect(c, '=', "expected '=' after the method") < 0 ||
	    keyword(c, e->result, sizeof(e->result), "expected a result") < 0)
		return -1;
	for (;;) {
		if (skip_cfws(c) < 0)
			return -1;
		if ((ch = peek(c)) < 0 || ch == ';')
			return 0;
		if (keyword(c, k, sizeof(k), "expected a property") < 0 ||
		    skip_cfws(c) < 0)
			return -1;
		if (peek(c) == '=' && strcmp(k, "reason") == 0) {
			c->i++;
			if (skip_cfws(c) < 0 || value(c, e->reason,
			    sizeof(e->reason), "expected a reason") < 0)
				return -1;
			continue;
		}
		if (propspec(c, e, k) < 0)
			return -1;
	}
}

/* After the authserv-id and version: "; none" or 1*resinfo. */
static int results(cursor_t *c)
{
	ar_payload_t *p = c->out;
	size_t save;

	if (peek(c) < 0)
		return fail(c, "no results");
	while (peek(c) >= 0) {
		if (expect(c, ';', "expected ';'") < 0)
			return -1;
		if (peek(c) < 0)        /* a trailing ';' */
			break;
		save = c->i;
		if (p->nentries == 0 && c->len - c->i >= 4 &&
		    strncmp(c->s + c->i, "none", 4) == 0) {
			c->i += 4;
			if (skip_cfws(c) < 0)
				return -1;
			if (peek(c) < 0) {
				p->none = true;
				return 0;
			}
			c->i = save;
		}
		if (p->nentries >= AR_MAX_ENTRIES)
			return fail(c, "too many results");
		if (resinfo(c, &p->entry[p->nentries]) < 0)
			return -1;
		p->nentries++;
	}
	if (p->nentries == 0 && !p->none)
		return fail(c, "no results");
	return 0;
}

int ar_parse(const char *text, size_t len, ar_payload_t *out)
{
	cursor_t c = { text, len, 0, out };

	memset(out, 0, sizeof(*out));
	if (len > AR_INPUT_MAX)
		return fail(&c, "payload too long");
	if (memchr(text, '\0', len) != NULL) {
		c.i = (size_t)((const char *)memchr(text, '\0', len) - text);
		return fail(&c, "NUL byte");
	}
	if (skip_cfws(&c) < 0 || arc_prefix(&c) < 0 || skip_cfws(&c) < 0 ||
	    value(&c, out->authserv_id, sizeof(out->authserv_id),
	    "expected an authserv-id") < 0 || skip_cfws(&c) < 0)
		return -1;
	if (peek(&c) >= '0' && peek(&c) <= '9' && (digits(&c, &out->version) <
	    0 || skip_cfws(&c) < 0))
		return -1;
	return results(&c);
}

const ar_entry_t *ar_find(const ar_payload_t *p, const char *method,
    size_t start)
{
	size_t i;

	for (i = start; i < p->nentries && i < AR_MAX_ENTRIES; i++)
		if (str_ieq(p->entry[i].method, method))
			return &p->entry[i];
	return NULL;
}

const char *ar_prop(const ar_entry_t *e, const char *ptype,
    const char *property)
{
	size_t i;

	for (i = 0; i < e->nprops && i < AR_MAX_PROPS; i++)
		if (str_ieq(e->prop[i].ptype, ptype) &&
		    str_ieq(e->prop[i].property, property))
			return e->prop[i].value;
	return NULL;
}
