/*
 * arc_tags - DKIM tag-list parser and value decoders.  See arc_tags.h.
 *
 * Everything works on (pointer, length); nothing relies on NUL
 * termination and every loop is bounded by the length given.
 */
#include <string.h>
#include <strings.h>

#include "../policy/base64.h"
#include "../util/strbuf.h"
#include "arc_tags.h"

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Folding whitespace as it reaches us: SP, HTAB and the CRLF of folds. */
static bool is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* VALCHAR (%x21-3A / %x3C-7E) or an 8-bit byte (RFC 8617 4.1.4). */
static bool is_valchar(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7e && c != ';') || c >= 0x80;
}

static int refuse(char *why, size_t whylen, const char *what,
    const char *s, size_t at, size_t len)
{
	char shown[24];
	size_t n = len - at < 16 ? len - at : 16;

	str_printable(shown, sizeof(shown), s + at, n);
	str_format(why, whylen, "%s at \"%s\"", what, shown);
	return -1;
}

static size_t skip_fws(const char *s, size_t i, size_t len)
{
	while (i < len && is_fws((unsigned char)s[i]))
		i++;
	return i;
}

static bool name_seen(const arc_tags_t *t, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->tag[i].name_len == n &&
		    memcmp(t->tag[i].name, name, n) == 0)
			return true;
	return false;
}

/* Parse one tag-spec starting at *pos (after any ";"); on success *pos is
 * at the ";" or the end. */
static int parse_spec(const char *s, size_t len, size_t *pos, arc_tag_t *tag,
    char *why, size_t whylen)
{
	size_t i = skip_fws(s, *pos, len), start, last;

	start = i;
	if (i >= len || !is_alpha((unsigned char)s[i]))
		return refuse(why, whylen, "bad tag name", s, start, len);
	while (i < len && (is_alpha((unsigned char)s[i]) ||
	    is_digit((unsigned char)s[i]) || s[i] == '_'))
		i++;
	tag->name = s + start;
	tag->name_len = i - start;
	i = skip_fws(s, i, len);
	if (i >= len || s[i] != '=')
		return refuse(why, whylen, "bad tag name", s, start, len);
	tag->eq_end = ++i;
	i = skip_fws(s, i, len);
	tag->val_off = i;
	last = i;
	while (i < len && s[i] != ';') {
		unsigned char c = (unsigned char)s[i];

		if (is_valchar(c))
			last = i + 1;
		else if (!is_fws(c))
			return refuse(why, whylen, "bad byte in tag value",
			    s, i, len);
		i++;
	}
	tag->val = s + tag->val_off;
	tag->val_len = last - tag->val_off;
	tag->spec_end = i;
	*pos = i;
	return 0;
}

int arc_tags_parse(const char *s, size_t len, arc_tags_t *out, char *why,
    size_t whylen)
{
	size_t pos = 0;
	arc_tag_t tag;

	out->n = 0;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (skip_fws(s, 0, len) == len)
		return 0;                       /* empty list */
	for (;;) {
		if (parse_spec(s, len, &pos, &tag, why, whylen) < 0)
			return -1;
		if (name_seen(out, tag.name, tag.name_len))
			return refuse(why, whylen, "duplicate tag", s,
			    (size_t)(tag.name - s), len);
		if (out->n == ARC_TAGS_MAX)
			return refuse(why, whylen, "too many tags", s,
			    (size_t)(tag.name - s), len);
		out->tag[out->n++] = tag;
		if (pos >= len)
			return 0;
		pos++;                          /* the ";" */
		if (skip_fws(s, pos, len) == len)
			return 0;               /* trailing ";" */
	}
}

const arc_tag_t *arc_tags_get(const arc_tags_t *t, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < t->n; i++)
		if (t->tag[i].name_len == n &&
		    memcmp(t->tag[i].name, name, n) == 0)
			return &t->tag[i];
	return NULL;
}

bool arc_tag_eq(const arc_tag_t *t, const char *word)
{
	size_t n = strlen(word);

	return t != NULL && t->val_len == n && memcmp(t->val, word, n) == 0;
}

bool arc_tag_list_next(const arc_tag_t *t, size_t *pos, const char **item,
    size_t *len)
{
	size_t i = *pos, start, end;

	if (t == NULL || i > t->val_len)
		return false;
	i = skip_fws(t->val, i, t->val_len);
	start = i;
	while (i < t->val_len && t->val[i] != ':')
		i++;
	for (end = i; end > start && is_fws((unsigned char)t->val[end - 1]);
	    end--)
		;
	*item = t->val + start;
	*len = end - start;
	*pos = i + 1;
	return true;
}

bool arc_tag_list_has(const arc_tag_t *t, const char *word)
{
	size_t pos = 0, n = strlen(word), len;
	const char *item;

	while (arc_tag_list_next(t, &pos, &item, &len))
		if (len == n && strncasecmp(item, word, n) == 0)
			return true;
	return false;
}

int arc_tag_number(const arc_tag_t *t, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (t == NULL || t->val_len == 0 || t->val_len > 20)
		return -1;
	for (i = 0; i < t->val_len; i++) {
		unsigned d;

		if (!is_digit((unsigned char)t->val[i]))
			return -1;
		d = (unsigned)(t->val[i] - '0');
		if (v > (~0ULL - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Copies n decoded bytes to out[*len], within outlen. */
static int b64_put(const unsigned char *q, int n, unsigned char *out,
    size_t outlen, size_t *len)
{
	if (n < 0 || *len + (size_t)n > outlen)
		return -1;
	memcpy(out + *len, q, (size_t)n);
	*len += (size_t)n;
	return 0;
}

long arc_b64_decode(const char *s, size_t len, unsigned char *out,
    size_t outlen)
{
	unsigned char q[3];
	base64_t st;
	size_t i, n = 0;

	base64_init(&st);
	for (i = 0; i < len; i++)
		if (b64_put(q, base64_push(&st, (unsigned char)s[i], q), out,
		    outlen, &n) < 0)
			return -1;
	if (b64_put(q, base64_finish(&st, true, q), out, outlen, &n) < 0)
		return -1;
	return (long)n;
}
