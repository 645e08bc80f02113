/*++
 * NAME
 *	from_header 3
 * SUMMARY
 *	author domains of an RFC 5322 From field
 * SYNOPSIS
 *	#include "from_header.h"
 *
 *	int from_header_parse(const char *value, size_t len,
 *		from_result_t *out);

 * DESCRIPTION
 *	from_header_parse() reads exactly len bytes of a From field body
 *	(the input need not be NUL-terminated and is never read past len)
 *	and stores every distinct author domain in out.  The caller owns
 *	out; nothing is allocated.  Grammar: RFC 5322 section 3.4
 *	address-list (groups are allowed, RFC 6854) including the obsolete
 *	forms that section 4 says parsers must accept: empty list elements
 *	(",,a@b"), CFWS around the dots of local parts and domains, "." in
 *	display names, and source routes (<@relay:user@domain>).  Route
 *	domains are checked for syntax and ignored.
 *
 *	Tokens.  Comments nest at most FROM_MAX_COMMENT_DEPTH deep.  A word
 *	that starts with "=?" and has the RFC 2047 encoded-word shape is one
 *	token even when its encoded text holds "@" or "." (but never quotes,
 *	parentheses, angle brackets, ",", ";", ":", "\\" or "[]"), so a
 *	display name like =?utf-8?q?ceo@bank.example?= can not become an
 *	address; such a word is refused inside an address.  Encoded words are
 *	not decoded.
 *
 *	Bytes.  NUL anywhere is an error.  CR and LF are accepted only as
 *	part of folding (CRLF or LF followed by SP or HTAB) or as one line
 *	end at the very end of the input.  Other control characters are
 *	accepted inside comments and quoted strings (RFC 5322 obsolete
 *	text) and refused elsewhere.  Bytes >= 0x80 count as atom text (RFC
 *	6532); display names and comments may hold any 8-bit bytes (legacy
 *	charsets are common there and never reach a domain), but the local
 *	part and the domain must be valid UTF-8.
 *
 *	Domains are normalised with domain_normalize() (domain.h).
 * DIAGNOSTICS
 *	from_header_parse() returns the number of distinct domains, or -1
 *	with out->reason set to a printable message that carries a byte
 *	offset where one helps and never copies input bytes.  More than
 *	FROM_MAX_DOMAINS mailboxes (counting duplicates) is an error, as are
 *	domain literals and any invalid domain.
 *--*/
#include "from_header.h"
#include "../util/strbuf.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum tok_type { T_END, T_ATOM, T_QSTRING, T_DLITERAL, T_SPECIAL };

typedef struct tok {
	enum tok_type type;
	char ch;		/* T_SPECIAL: one of < > @ , ; : . */
	size_t off;		/* offset of the token in the input */
	size_t len;
	bool encoded;		/* looks like an RFC 2047 encoded word */
	bool enc_special;	/* ... whose text is not plain atom text */
} tok_t;

typedef struct lexer {
	const unsigned char *p;
	size_t len;
	size_t pos;
	bool saw_token;		/* more than whitespace seen */
	from_result_t *out;
} lexer_t;

/* ----------------------------------------------------------------- */
/* Character classes and UTF-8                                        */
/* ----------------------------------------------------------------- */

static bool is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	    || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool is_special(unsigned char c)
{
	return c != 0 && strchr("<>@,;:.", c) != NULL;
}


/* ----------------------------------------------------------------- */
/* Lexer: skips CFWS, returns one token at a time                     */
/* ----------------------------------------------------------------- */

static int lex_error(lexer_t *lx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int lex_error(lexer_t *lx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lx->out->reason, sizeof(lx->out->reason), fmt, ap);
	va_end(ap);
	return -1;
}

/* At a CR or LF: bytes of a valid line break (fold or final line end),
 * or 0 for a bare one. */
static size_t lex_linebreak(const lexer_t *lx, size_t i)
{
	size_t n = 1;

	if (lx->p[i] == '\r') {
		if (i + 1 >= lx->len || lx->p[i + 1] != '\n')
			return 0;
		n = 2;
	}
	if (i + n == lx->len)
		return n;
	if (lx->p[i + n] == ' ' || lx->p[i + n] == '\t')
		return n;
	return 0;
}

/* Inside a comment, quoted string or domain literal: advance over one
 * piece of content at lx->pos. */
static int lex_content_byte(lexer_t *lx, size_t start, const char *what)
{
	unsigned char c = lx->p[lx->pos];
	size_t n;

	if (c == '\\') {
		if (lx->pos + 1 >= lx->len)
			return lex_error(lx, "unterminated %s at offset %zu",
			    what, start);
		c = lx->p[lx->pos + 1];
		if (c == '\r' || c == '\n')
			return lex_error(lx, "quoted line break at offset %zu",
			    lx->pos + 1);
		lx->pos += 2;
	} else if (c == '\r' || c == '\n') {
		if ((n = lex_linebreak(lx, lx->pos)) == 0)
			return lex_error(lx, "bare CR or LF at offset %zu",
			    lx->pos);
		lx->pos += n;
	} else {
		lx->pos++;
	}
	return 0;
}

static int lex_comment(lexer_t *lx)
{
	size_t start = lx->pos;
	int depth = 1;

	lx->saw_token = true;
	lx->pos++;
	for (;;) {
		if (lx->pos >= lx->len)
			return lex_error(lx, "unterminated comment at offset %zu",
			    start);
		switch (lx->p[lx->pos]) {
		case '(':
			if (++depth > FROM_MAX_COMMENT_DEPTH)
				return lex_error(lx, "comments nested deeper "
				    "than %d at offset %zu",
				    FROM_MAX_COMMENT_DEPTH, lx->pos);
			lx->pos++;
			break;
		case ')':
			lx->pos++;
			if (--depth == 0)
				return 0;
			break;
		default:
			if (lex_content_byte(lx, start, "comment") < 0)
				return -1;
		}
	}
}

/* Quoted string ('"') or domain literal ('['), up to the closer. */
static int lex_quoted(lexer_t *lx, tok_t *t, char closer)
{
	const char *what = closer == '"' ? "quoted string" : "domain literal";

	t->type = closer == '"' ? T_QSTRING : T_DLITERAL;
	lx->pos++;
	for (;;) {
		if (lx->pos >= lx->len)
			return lex_error(lx, "unterminated %s at offset %zu",
			    what, t->off);
		if (lx->p[lx->pos] == closer) {
			lx->pos++;
			t->len = lx->pos - t->off;
			return 0;
		}
		if (closer == ']' && lx->p[lx->pos] == '[')
			return lex_error(lx, "'[' inside domain literal at "
			    "offset %zu", lx->pos);
		if (lex_content_byte(lx, t->off, what) < 0)
			return -1;
	}
}

/* Length of an RFC 2047 encoded word at i, or 0.  Sets *special when
 * its text holds bytes that are not atom text ("@", "."). */
static size_t lex_encword(const lexer_t *lx, size_t i, bool *special)
{
	const unsigned char *p = lx->p;
	size_t j = i + 2, n = lx->len;

	*special = false;
	if (j >= n || p[i] != '=' || p[i + 1] != '?')
		return 0;
	while (j < n && p[j] > 0x20 && p[j] < 0x7f && p[j] != '?'
	    && strchr("()<>@,;:\"/[].=", p[j]) == NULL)
		j++;
	if (j == i + 2 || j + 2 >= n || p[j] != '?' || p[j + 1] == 0
	    || strchr("bBqQ", p[j + 1]) == NULL || p[j + 2] != '?')
		return 0;
	j += 3;
	while (j < n && p[j] > 0x20 && p[j] < 0x7f && p[j] != '?'
	    && strchr("\"()<>,;:\\[]", p[j]) == NULL) {
		if (!is_atext(p[j]))
			*special = true;
		j++;
	}
	if (j + 1 >= n || p[j] != '?' || p[j + 1] != '=')
		return 0;
	return j + 2 - i;
}

static int lex_word(lexer_t *lx, tok_t *t)
{
	size_t n;
	bool special;

	t->type = T_ATOM;
	if ((n = lex_encword(lx, lx->pos, &special)) > 0) {
		t->encoded = true;
		t->enc_special = special;
		lx->pos += n;
		/* "=?a?q?b?=c" is one atom of plain text, not a word. */
		if (lx->pos < lx->len && is_atext(lx->p[lx->pos])
		    && !special)
			t->encoded = false;
		else if (lx->pos < lx->len && is_atext(lx->p[lx->pos]))
			return lex_error(lx, "text after encoded word at "
			    "offset %zu", lx->pos);
	}
	while (lx->pos < lx->len && is_atext(lx->p[lx->pos]))
		lx->pos++;
	t->len = lx->pos - t->off;
	return 0;
}

/* Skip CFWS; returns 0 with the next token in t (T_END at the end). */
static int lex_skip_cfws(lexer_t *lx)
{
	size_t n;
	unsigned char c;

	while (lx->pos < lx->len) {
		c = lx->p[lx->pos];
		if (c == ' ' || c == '\t') {
			lx->pos++;
		} else if (c == '\r' || c == '\n') {
			if ((n = lex_linebreak(lx, lx->pos)) == 0)
				return lex_error(lx, "bare CR or LF at "
				    "offset %zu", lx->pos);
			lx->pos += n;
		} else if (c == '(') {
			if (lex_comment(lx) < 0)
				return -1;
		} else {
			break;
		}
	}
	return 0;
}

static int lex_next(lexer_t *lx, tok_t *t)
{
	unsigned char c;

	memset(t, 0, sizeof(*t));
	if (lex_skip_cfws(lx) < 0)
		return -1;
	t->off = lx->pos;
	if (lx->pos >= lx->len) {
		t->type = T_END;
		return 0;
	}
	lx->saw_token = true;
	c = lx->p[lx->pos];
	if (c == '"' || c == '[')
		return lex_quoted(lx, t, c == '"' ? '"' : ']');
	if (is_special(c)) {
		t->type = T_SPECIAL;
		t->ch = (char)c;
		t->len = 1;
		lx->pos++;
		return 0;
	}
	if (c == ')')
		return lex_error(lx, "unbalanced ')' at offset %zu", lx->pos);
	if (is_atext(c))
		return lex_word(lx, t);
	return lex_error(lx, "unexpected character 0x%02x at offset %zu",
	    c, lx->pos);
}

static int lex_peek(lexer_t *lx, tok_t *t)
{
	size_t save = lx->pos;
	int rc = lex_next(lx, t);

	lx->pos = save;
	return rc;
}

static bool tok_is(const tok_t *t, char ch)
{
	return t->type == T_SPECIAL && t->ch == ch;
}

/* ----------------------------------------------------------------- */
/* Parser                                                             */
/* ----------------------------------------------------------------- */

static int unexpected(lexer_t *lx, const tok_t *t, const char *where)
{
	static const char *names[] = {"end of field", "word",
	    "quoted string", "domain literal"};

	if (t->type == T_SPECIAL)
		return lex_error(lx, "syntax error at offset %zu: unexpected "
		    "'%c' %s", t->off, t->ch, where);
	return lex_error(lx, "syntax error at offset %zu: unexpected %s %s",
	    t->off, names[t->type], where);
}

static int add_domain(lexer_t *lx, const char *raw, size_t n, size_t off)
{
	from_result_t *out = lx->out;
	char norm[FROM_DOMAIN_MAX], reason[96];
	size_t i;

	if (++out->nmailboxes > FROM_MAX_DOMAINS)
		return lex_error(lx, "too many mailboxes (more than %d)",
		    FROM_MAX_DOMAINS);
	if (domain_normalize_reason(raw, n, norm, sizeof(norm), reason,
	    sizeof(reason)) < 0)
		return lex_error(lx, "invalid domain at offset %zu: %s", off,
		    reason);
	for (i = 0; i < out->ndomains; i++)
		if (strcmp(out->domain[i], norm) == 0)
			return 0;
	str_copy(out->domain[out->ndomains++], FROM_DOMAIN_MAX, norm);
	return 0;
}

/* obs-domain: atoms separated by dots (CFWS allowed around them), put
 * raw into buf.  A domain literal is refused unless in a route. */
static int parse_domain(lexer_t *lx, char *buf, size_t size, size_t *blen,
	bool route)
{
	tok_t t;
	size_t save, at = lx->pos;
	bool prev_atom = false;

	*blen = 0;
	if (lex_peek(lx, &t) < 0)
		return -1;
	if (t.type == T_DLITERAL) {
		if (!route)
			return lex_error(lx, "domain literal at offset %zu: "
			    "not supported", t.off);
		return lex_next(lx, &t);
	}
	for (;;) {
		save = lx->pos;
		if (lex_next(lx, &t) < 0)
			return -1;
		if (t.type == T_ATOM && !prev_atom && !t.enc_special) {
			prev_atom = true;
		} else if (t.type == T_ATOM) {
			return lex_error(lx, "syntax error at offset %zu: %s "
			    "in domain", t.off, prev_atom ? "word after word"
			    : "encoded word");
		} else if (tok_is(&t, '.')) {
			prev_atom = false;
		} else {
			lx->pos = save;
			break;
		}
		if (t.len > size - *blen)
			return lex_error(lx, "domain too long at offset %zu",
			    t.off);
		memcpy(buf + *blen, lx->p + t.off, t.len);
		*blen += t.len;
	}
	if (*blen == 0) {
		if (t.type == T_SPECIAL || t.type == T_END)
			return lex_error(lx, "no domain after '@' at offset "
			    "%zu", at);
		return unexpected(lx, &t, "in domain");
	}
	return 0;
}

/* local-part: words and dots (lenient about empty dot-atom parts). */
static int parse_local(lexer_t *lx, size_t start)
{
	tok_t t;
	size_t save;
	bool prev_word = false, any = false;

	for (;;) {
		save = lx->pos;
		if (lex_next(lx, &t) < 0)
			return -1;
		if ((t.type == T_ATOM || t.type == T_QSTRING) && !prev_word) {
			if (t.enc_special)
				return lex_error(lx, "encoded word in address "
				    "at offset %zu", t.off);
			if (!utf8_valid(lx->p + t.off, t.len))
				return lex_error(lx, "invalid UTF-8 in local "
				    "part at offset %zu", t.off);
			prev_word = any = true;
		} else if (tok_is(&t, '.')) {
			prev_word = false;
		} else {
			lx->pos = save;
			break;
		}
	}
	if (!any && (tok_is(&t, '@') || t.off != start))
		return lex_error(lx, "empty local part at offset %zu", start);
	if (!any)
		return unexpected(lx, &t, "in address");
	return 0;
}

static int parse_addr_spec(lexer_t *lx)
{
	char buf[DOMAIN_RAW_MAX];
	size_t blen, start, at;
	tok_t t;

	if (lex_peek(lx, &t) < 0)
		return -1;
	start = t.off;
	if (parse_local(lx, start) < 0 || lex_next(lx, &t) < 0)
		return -1;
	if (!tok_is(&t, '@')) {
		if (t.type == T_END || tok_is(&t, ',') || tok_is(&t, ';')
		    || tok_is(&t, '>'))
			return lex_error(lx, "mailbox without domain at "
			    "offset %zu", start);
		return lex_error(lx, "syntax error at offset %zu: expected "
		    "'@'", t.off);
	}
	if (lex_peek(lx, &t) < 0)
		return -1;
	at = t.off;
	if (parse_domain(lx, buf, sizeof(buf), &blen, false) < 0)
		return -1;
	return add_domain(lx, buf, blen, at);
}

/* obs-route: *("," / "@" domain) ":" -- the domains are ignored. */
static int parse_route(lexer_t *lx)
{
	char buf[DOMAIN_RAW_MAX];
	size_t blen;
	tok_t t;

	for (;;) {
		if (lex_next(lx, &t) < 0)
			return -1;
		if (tok_is(&t, ':'))
			return 0;
		if (tok_is(&t, ','))
			continue;
		if (!tok_is(&t, '@'))
			return lex_error(lx, "syntax error at offset %zu: bad "
			    "route", t.off);
		if (parse_domain(lx, buf, sizeof(buf), &blen, true) < 0)
			return -1;
	}
}

/* After "<": [obs-route] addr-spec ">". */
static int parse_angle(lexer_t *lx, size_t open)
{
	tok_t t;

	if (lex_peek(lx, &t) < 0)
		return -1;
	if (tok_is(&t, '>'))
		return lex_error(lx, "empty address <> at offset %zu", open);
	if (t.type == T_END)
		return lex_error(lx, "unterminated angle address at offset "
		    "%zu", open);
	if ((tok_is(&t, '@') || tok_is(&t, ',')) && parse_route(lx) < 0)
		return -1;
	if (parse_addr_spec(lx) < 0 || lex_next(lx, &t) < 0)
		return -1;
	if (t.type == T_END)
		return lex_error(lx, "unterminated angle address at offset "
		    "%zu", open);
	if (!tok_is(&t, '>'))
		return lex_error(lx, "syntax error at offset %zu: expected "
		    "'>'", t.off);
	return 0;
}

static int parse_address(lexer_t *lx, bool in_group);

/* After "name:": [mailbox-list] ";" with empty elements allowed. */
static int parse_group(lexer_t *lx, size_t colon)
{
	tok_t t;

	for (;;) {
		if (lex_peek(lx, &t) < 0)
			return -1;
		if (t.type == T_END)
			return lex_error(lx, "group at offset %zu not "
			    "terminated by ';'", colon);
		if (tok_is(&t, ';') || tok_is(&t, ',')) {
			lex_next(lx, &t);
			if (t.ch == ';')
				return 0;
			continue;
		}
		if (parse_address(lx, true) < 0 || lex_peek(lx, &t) < 0)
			return -1;
		if (!tok_is(&t, ',') && !tok_is(&t, ';') && t.type != T_END)
			return lex_error(lx, "syntax error at offset %zu: "
			    "expected ',' or ';'", t.off);
	}
}

/* mailbox or group: look past the display name to decide which. */
static int parse_address(lexer_t *lx, bool in_group)
{
	size_t start = lx->pos, save;
	int nwords = 0;
	tok_t t;

	for (;;) {
		save = lx->pos;
		if (lex_next(lx, &t) < 0)
			return -1;
		if (t.type == T_ATOM || t.type == T_QSTRING)
			nwords++;
		else if (!(tok_is(&t, '.') && nwords > 0))
			break;
	}
	lx->pos = save;
	if (tok_is(&t, '<')) {
		lex_next(lx, &t);
		return parse_angle(lx, t.off);
	}
	if (tok_is(&t, ':') && nwords > 0) {
		if (in_group)
			return lex_error(lx, "nested group at offset %zu",
			    t.off);
		lex_next(lx, &t);
		return parse_group(lx, t.off);
	}
	if (nwords > 1 && (t.type == T_END || tok_is(&t, ',')
	    || tok_is(&t, ';')))
		return lex_error(lx, "display name without address at "
		    "offset %zu", t.off);
	lx->pos = start;
	return parse_addr_spec(lx);
}

static int parse_list(lexer_t *lx)
{
	tok_t t;

	for (;;) {
		if (lex_peek(lx, &t) < 0)
			return -1;
		if (t.type == T_END)
			return 0;
		if (tok_is(&t, ',')) {
			lex_next(lx, &t);
			continue;
		}
		if (parse_address(lx, false) < 0 || lex_peek(lx, &t) < 0)
			return -1;
		if (!tok_is(&t, ',') && t.type != T_END)
			return lex_error(lx, "syntax error at offset %zu: "
			    "expected ',' or end of field", t.off);
	}
}

int from_header_parse(const char *value, size_t len, from_result_t *out)
{
	lexer_t lx;
	const char *nul;

	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	lx.p = (const unsigned char *)value;
	lx.len = len;
	lx.pos = 0;
	lx.saw_token = false;
	lx.out = out;
	if (value == NULL || len == 0)
		return lex_error(&lx, "empty From field");
	if (len > FROM_MAX_INPUT)
		return lex_error(&lx, "too long: %zu bytes (limit %d)", len,
		    FROM_MAX_INPUT);
	if ((nul = memchr(value, '\0', len)) != NULL)
		return lex_error(&lx, "NUL byte at offset %zu",
		    (size_t)(nul - value));
	if (parse_list(&lx) < 0) {
		out->ndomains = 0;
		return -1;
	}
	if (out->nmailboxes == 0)
		return lex_error(&lx, lx.saw_token ? "no mailbox in From field"
		    : "empty From field");
	return (int)out->ndomains;
}
