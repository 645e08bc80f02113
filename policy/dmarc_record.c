/*
 * dmarc_record - parse one DMARC policy record (RFC 9989 4.7, 4.8;
 * RFC 7489 6.3 for the legacy tags pct, rf, ri and the "!size" suffix).
 *
 * The contract (what is accepted, what is rejected and why) is in
 * dmarc_record.h.  The parser walks the record once, keeps byte offsets
 * for every diagnostic, never reads past len, and stores nothing it has
 * not validated.
 */
#include "dmarc_record.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../util/strbuf.h"

typedef enum tag_id {
	TAG_P, TAG_SP, TAG_NP, TAG_ADKIM, TAG_ASPF, TAG_T, TAG_PSD, TAG_FO,
	TAG_RUA, TAG_RUF, TAG_PCT, TAG_RF, TAG_RI, TAG_V, TAG_UNKNOWN
} tag_id_t;

static const char *const tag_names[] = {
	"p", "sp", "np", "adkim", "aspf", "t", "psd", "fo",
	"rua", "ruf", "pct", "rf", "ri", "v",
};

typedef struct parse_state {
	const char *txt;
	size_t len;
	dmarc_record_t *rec;
	unsigned seen;                  /* bit per tag_id already parsed */
	bool policy_bad;                /* p, sp or np had an invalid value */
	size_t rua_valid;               /* syntactically valid rua URIs */
	char policy_why[DMARC_ERR_MAX]; /* first policy tag problem */
	char msg[DMARC_ERR_MAX];        /* notes, or the fatal reason */
} parse_state_t;

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive comparison of p[0..n) with the NUL-terminated word. */
static bool word_ieq(const char *p, size_t n, const char *word)
{
	size_t i;

	if (strlen(word) != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower(p[i]) != word[i])
			return false;
	return true;
}

static size_t skip_wsp(const char *s, size_t i, size_t end)
{
	while (i < end && is_wsp(s[i]))
		i++;
	return i;
}

/* Append one note ("; "-separated) to the message; truncation is fine. */
static void __attribute__((format(printf, 2, 3)))
note(parse_state_t *ps, const char *fmt, ...)
{
	size_t off = strlen(ps->msg);
	va_list ap;

	if (off + 3 >= sizeof(ps->msg))
		return;
	if (off) {
		memcpy(ps->msg + off, "; ", 3);
		off += 2;
	}
	va_start(ap, fmt);
	vsnprintf(ps->msg + off, sizeof(ps->msg) - off, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
fatal(parse_state_t *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->msg, sizeof(ps->msg), fmt, ap);
	va_end(ap);
}

/* A short printable excerpt of untrusted bytes for a diagnostic. */
static void excerpt(char *dst, size_t size, const char *p, size_t n)
{
	size_t max = 24;

	if (n > max) {
		str_printable(dst, size > 4 ? size - 3 : size, p, max);
		str_copy(dst + strlen(dst), size - strlen(dst), "...");
	} else {
		str_printable(dst, size, p, n);
	}
}

static void record_defaults(dmarc_record_t *r)
{
	memset(r, 0, sizeof(*r));
	r->p = r->sp = r->np = DMARC_POLICY_NONE;
	r->adkim = r->aspf = DMARC_ALIGN_RELAXED;
	r->pct = 100;
	r->psd = 'u';
	str_copy(r->fo, sizeof(r->fo), "0");
	str_copy(r->rf, sizeof(r->rf), "afrf");
	r->ri = 86400;
}

static tag_id_t tag_lookup(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(tag_names) / sizeof(tag_names[0]); i++)
		if (word_ieq(p, n, tag_names[i]))
			return (tag_id_t)i;
	return TAG_UNKNOWN;
}

static bool parse_policy(const char *v, size_t n, dmarc_policy_t *out)
{
	if (word_ieq(v, n, "none"))
		*out = DMARC_POLICY_NONE;
	else if (word_ieq(v, n, "quarantine"))
		*out = DMARC_POLICY_QUARANTINE;
	else if (word_ieq(v, n, "reject"))
		*out = DMARC_POLICY_REJECT;
	else
		return false;
	return true;
}

/* One character out of `allowed` (lower-case), case-insensitively. */
static bool parse_letter(const char *v, size_t n, const char *allowed,
    char *out)
{
	if (n != 1 || strchr(allowed, lower(v[0])) == NULL || v[0] == '\0')
		return false;
	*out = lower(v[0]);
	return true;
}

/* 1*maxdigits DIGIT with a value of at most max. */
static bool parse_number(const char *v, size_t n, size_t maxdigits,
    unsigned long max, unsigned long *out)
{
	unsigned long val = 0;
	size_t i;

	if (n == 0 || n > maxdigits)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(v[i]))
			return false;
		val = val * 10 + (unsigned long)(v[i] - '0');
	}
	if (val > max)
		return false;
	*out = val;
	return true;
}

/*
 * fo (RFC 9989 4.8 dmarc-fo): colon-separated options 0, 1, d, s; "0"
 * and "1" exclude each other and each option appears at most once.
 * RFC 7489 allowed whitespace around ':', so that is accepted.
 */
static bool parse_fo(const char *v, size_t n, char *out, size_t outlen)
{
	char buf[16];
	size_t i = 0, o = 0;
	bool have01 = false, have_d = false, have_s = false;
	char c;

	for (;;) {
		i = skip_wsp(v, i, n);
		if (i >= n)
			return false;
		c = lower(v[i++]);
		if ((c == '0' || c == '1') && !have01)
			have01 = true;
		else if (c == 'd' && !have_d)
			have_d = true;
		else if (c == 's' && !have_s)
			have_s = true;
		else
			return false;
		buf[o++] = c;
		i = skip_wsp(v, i, n);
		if (i >= n)
			break;
		if (v[i++] != ':')
			return false;
		buf[o++] = ':';
	}
	buf[o] = '\0';
	return str_copy(out, outlen, buf) == 0;
}

/* rf (RFC 7489 6.3): Keyword *(*WSP ":" Keyword), Keyword an Ldh-str. */
static bool parse_rf(const char *v, size_t n, char *out, size_t outlen)
{
	char buf[64];
	size_t i = 0, o = 0, start;

	for (;;) {
		i = skip_wsp(v, i, n);
		start = i;
		while (i < n && (is_alpha(v[i]) || is_digit(v[i]) ||
		    v[i] == '-') && o + 2 < sizeof(buf))
			buf[o++] = lower(v[i++]);
		if (i == start || v[i - 1] == '-')
			return false;
		i = skip_wsp(v, i, n);
		if (i >= n)
			break;
		if (v[i++] != ':')
			return false;
		buf[o++] = ':';
	}
	buf[o] = '\0';
	return str_copy(out, outlen, buf) == 0;
}

static bool is_hex(char c)
{
	return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f');
}

/*
 * RFC 3986 URI syntax at the character level: scheme ":" and at least
 * one more character, each unreserved, reserved or a %HH escape.  ","
 * and "!" must be escaped (RFC 9989 4.8).  Returns the offset of the
 * first bad byte, or n when the URI is good.
 */
static size_t check_uri(const char *s, size_t n)
{
	static const char ok[] = "-._~:/?#[]@$&'()*+;=";
	size_t i;

	if (n == 0 || !is_alpha(s[0]))
		return 0;
	for (i = 1; i < n && s[i] != ':'; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '+' &&
		    s[i] != '-' && s[i] != '.')
			return i;
	if (i >= n)
		return 0;       /* no scheme */
	if (i + 1 >= n)
		return i;       /* nothing after the scheme */
	for (i++; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				return i;
			if (!is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return i;
			i += 2;
		} else if (!is_alpha(s[i]) && !is_digit(s[i]) &&
		    (s[i] == '\0' || strchr(ok, s[i]) == NULL)) {
			return i;
		}
	}
	return n;
}

/* RFC 7489 6.2 size suffix: 1*DIGIT [k/m/g/t], powers of two. */
static bool parse_size(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long val = 0;
	unsigned shift = 0;
	size_t i;

	if (n > 0 && !is_digit(s[n - 1])) {
		switch (lower(s[n - 1])) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		case 't': shift = 40; break;
		default: return false;
		}
		n--;
	}
	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		if (val > (ULLONG_MAX - 9) / 10)
			return false;
		val = val * 10 + (unsigned long long)(s[i] - '0');
	}
	if (val > (ULLONG_MAX >> shift))
		return false;
	*out = val << shift;
	return true;
}

/* One element of a rua/ruf list, [s, e) of the record. */
static void parse_uri_item(parse_state_t *ps, tag_id_t id, size_t s,
    size_t e)
{
	const char *t = ps->txt;
	dmarc_record_t *r = ps->rec;
	dmarc_uri_t *list = id == TAG_RUA ? r->rua : r->ruf;
	size_t *count = id == TAG_RUA ? &r->nrua : &r->nruf;
	const char *bang;
	unsigned long long size = 0;
	size_t ulen, bad;
	char ex[40];

	s = skip_wsp(t, s, e);
	while (e > s && is_wsp(t[e - 1]))
		e--;
	if (s == e) {
		note(ps, "tag %s: empty URI at offset %zu ignored",
		    tag_names[id], s);
		r->tags_discarded++;
		return;
	}
	bang = memchr(t + s, '!', e - s);
	ulen = bang ? (size_t)(bang - (t + s)) : e - s;
	bad = check_uri(t + s, ulen);
	/* An empty URI before "!" ("!10m") is no URI at all. */
	if (ulen == 0 || bad != ulen || (bang && !parse_size(bang + 1,
	    e - s - ulen - 1, &size))) {
		excerpt(ex, sizeof(ex), t + s, e - s);
		note(ps, "tag %s: invalid URI \"%s\" at offset %zu ignored",
		    tag_names[id], ex, bad != ulen ? s + bad : s + ulen);
		r->tags_discarded++;
		return;
	}
	if (id == TAG_RUA)
		ps->rua_valid++;
	if (*count >= DMARC_MAX_URIS || ulen >= DMARC_URI_MAX) {
		note(ps, "tag %s: URI at offset %zu dropped (%s)",
		    tag_names[id], s, *count >= DMARC_MAX_URIS ?
		    "too many URIs" : "URI too long");
		r->uris_dropped = true;
		return;
	}
	str_ncopy(list[*count].uri, sizeof(list[*count].uri), t + s, ulen);
	list[*count].size = size;
	(*count)++;
}

/* dmarc-urilist: URIs separated by "," with optional whitespace. */
static void parse_urilist(parse_state_t *ps, tag_id_t id, size_t s,
    size_t e)
{
	const char *comma;
	size_t item_end;

	for (;;) {
		comma = memchr(ps->txt + s, ',', e - s);
		item_end = comma ? (size_t)(comma - ps->txt) : e;
		parse_uri_item(ps, id, s, item_end);
		if (comma == NULL)
			break;
		s = item_end + 1;
	}
}

/* Parse the value of a known tag into the record; false if invalid. */
static bool parse_value(parse_state_t *ps, tag_id_t id, const char *v,
    size_t n, size_t voff)
{
	dmarc_record_t *r = ps->rec;
	unsigned long num;
	char c;

	switch (id) {
	case TAG_P: return (r->p_present = parse_policy(v, n, &r->p));
	case TAG_SP: return (r->sp_present = parse_policy(v, n, &r->sp));
	case TAG_NP: return (r->np_present = parse_policy(v, n, &r->np));
	case TAG_ADKIM:
	case TAG_ASPF:
		if (!parse_letter(v, n, "rs", &c))
			return false;
		if (id == TAG_ADKIM) {
			r->adkim = c == 's' ? DMARC_ALIGN_STRICT : DMARC_ALIGN_RELAXED;
			r->adkim_present = true;
		} else {
			r->aspf = c == 's' ? DMARC_ALIGN_STRICT : DMARC_ALIGN_RELAXED;
			r->aspf_present = true;
		}
		return true;
	case TAG_T:
		if (!parse_letter(v, n, "yn", &c))
			return false;
		r->testing = c == 'y';
		return (r->t_present = true);
	case TAG_PSD:
		return parse_letter(v, n, "ynu", &r->psd);
	case TAG_FO:
		return parse_fo(v, n, r->fo, sizeof(r->fo));
	case TAG_RF:
		return (r->rf_present = parse_rf(v, n, r->rf, sizeof(r->rf)));
	case TAG_PCT:
		if (!parse_number(v, n, 3, 100, &num))
			return false;
		r->pct = (unsigned)num;
		return (r->pct_present = true);
	case TAG_RI:
		if (!parse_number(v, n, 10, 4294967295UL, &num))
			return false;
		r->ri = num;
		return (r->ri_present = true);
	case TAG_RUA:
	case TAG_RUF:
		parse_urilist(ps, id, voff, voff + n);
		return true;
	case TAG_V:
	case TAG_UNKNOWN:
		break;
	}
	return true;
}

/* Report an invalid value: p/sp/np are special (RFC 9989 4.10.1). */
static void bad_value(parse_state_t *ps, tag_id_t id, const char *v,
    size_t n, size_t voff)
{
	char ex[40];

	excerpt(ex, sizeof(ex), v, n);
	if (id == TAG_P || id == TAG_SP || id == TAG_NP) {
		if (!ps->policy_bad)
			snprintf(ps->policy_why, sizeof(ps->policy_why),
			    "tag %s: invalid value \"%s\" at offset %zu",
			    tag_names[id], ex, voff);
		ps->policy_bad = true;
		return;
	}
	note(ps, "tag %s: invalid value \"%s\" at offset %zu ignored",
	    tag_names[id], ex, voff);
	ps->rec->tags_discarded++;
}

/* One tag-spec in [start, end), end at ';' or the end of the record. */
static dmarc_record_status_t parse_tag(parse_state_t *ps, size_t start,
    size_t end)
{
	const char *t = ps->txt;
	size_t i = start, j, vend;
	tag_id_t id;

	while (i < end && is_alpha(t[i]))
		i++;
	j = skip_wsp(t, i, end);
	if (i == start || j >= end || t[j] != '=') {
		note(ps, "malformed tag-spec at offset %zu ignored", start);
		ps->rec->tags_discarded++;
		return DMARC_RECORD_OK;
	}
	id = tag_lookup(t + start, i - start);
	if (id == TAG_UNKNOWN)          /* RFC 9989 4.7: MUST be ignored */
		return DMARC_RECORD_OK;
	if (id == TAG_V || (ps->seen & (1u << id))) { /* RFC 6376 3.2 */
		fatal(ps, "duplicate tag %s at offset %zu", tag_names[id],
		    start);
		return DMARC_RECORD_INVALID;
	}
	ps->seen |= 1u << id;
	j = skip_wsp(t, j + 1, end);
	vend = end;
	while (vend > j && is_wsp(t[vend - 1]))
		vend--;
	for (i = j; i < vend; i++)      /* dmarc-value, plus HTAB */
		if ((unsigned char)t[i] > 0x7e ||
		    ((unsigned char)t[i] < 0x20 && t[i] != '\t'))
			break;
	if (vend == j || i < vend || !parse_value(ps, id, t + j, vend - j, j))
		bad_value(ps, id, t + j, vend - j, j);
	return DMARC_RECORD_OK;
}

/* "v" equals %s"DMARC1" followed by a separator or the end. */
static dmarc_record_status_t parse_version(parse_state_t *ps, size_t *pos)
{
	const char *t = ps->txt;
	const char *nul;
	size_t i;

	if (ps->len == 0) {
		fatal(ps, "empty record");
		return DMARC_RECORD_NOT_DMARC;
	}
	i = skip_wsp(t, 1, ps->len);
	if ((t[0] != 'v' && t[0] != 'V') || i >= ps->len || t[i] != '=') {
		fatal(ps, "does not start with v=DMARC1");
		return DMARC_RECORD_NOT_DMARC;
	}
	i = skip_wsp(t, i + 1, ps->len);
	if (ps->len - i < 6 || memcmp(t + i, "DMARC1", 6) != 0) {
		fatal(ps, "v tag value is not DMARC1 (case-sensitive) at "
		    "offset %zu", i);
		return DMARC_RECORD_NOT_DMARC;
	}
	if (ps->len > DMARC_RECORD_MAX_LEN) {
		fatal(ps, "record too long (%zu bytes, limit %d)", ps->len,
		    DMARC_RECORD_MAX_LEN);
		return DMARC_RECORD_INVALID;
	}
	if ((nul = memchr(t, '\0', ps->len)) != NULL) {
		fatal(ps, "NUL byte at offset %zu", (size_t)(nul - t));
		return DMARC_RECORD_INVALID;
	}
	i = skip_wsp(t, i + 6, ps->len);
	if (i < ps->len && t[i] != ';') {
		fatal(ps, "v tag value is not DMARC1 (no ';' at offset %zu)", i);
		return DMARC_RECORD_NOT_DMARC;
	}
	*pos = i;
	return DMARC_RECORD_OK;
}

/* Apply RFC 9989 4.10.1 for invalid policy tags, then the defaults. */
static dmarc_record_status_t finish(parse_state_t *ps)
{
	dmarc_record_t *r = ps->rec;

	if (ps->policy_bad) {
		r->policy_invalid = true;
		if (ps->rua_valid == 0) {
			fatal(ps, "%s and no valid rua URI: no DMARC processing",
			    ps->policy_why);
			return DMARC_RECORD_INVALID;
		}
		note(ps, "%s: treated as p=none since rua is valid",
		    ps->policy_why);
		r->p = DMARC_POLICY_NONE;
		r->p_present = true;
		r->sp_present = r->np_present = false;
	}
	if (!r->p_present)
		r->p = DMARC_POLICY_NONE;
	if (!r->sp_present)
		r->sp = r->p;
	if (!r->np_present)
		r->np = r->sp;
	return DMARC_RECORD_OK;
}

dmarc_record_status_t dmarc_record_parse(const char *txt, size_t len,
    dmarc_record_t *out, char *err, size_t errlen)
{
	parse_state_t ps;
	dmarc_record_status_t st;
	const char *semi;
	size_t pos = 0, end;

	record_defaults(out);
	memset(&ps, 0, sizeof(ps));
	ps.txt = txt ? txt : "";
	ps.len = txt ? len : 0;
	ps.rec = out;
	st = parse_version(&ps, &pos);
	while (st == DMARC_RECORD_OK && pos < ps.len) {
		/* ps.txt[pos] is ';' here */
		pos = skip_wsp(ps.txt, pos + 1, ps.len);
		if (pos >= ps.len)
			break;
		semi = memchr(ps.txt + pos, ';', ps.len - pos);
		end = semi ? (size_t)(semi - ps.txt) : ps.len;
		if (end == pos) {
			note(&ps, "empty tag-spec at offset %zu ignored", pos);
			out->tags_discarded++;
		} else {
			st = parse_tag(&ps, pos, end);
		}
		pos = end;
	}
	if (st == DMARC_RECORD_OK)
		st = finish(&ps);
	if (err != NULL && errlen > 0)
		str_copy(err, errlen, ps.msg);
	return st;
}

/*
 * RFC 9989 4.10 step 2: records not starting with "v=DMARC1" are
 * discarded; more than one DMARC record means all are discarded.
 */
dmarc_record_status_t dmarc_record_select(const txt_answer_t *a,
    dmarc_record_t *out, char *err, size_t errlen)
{
	dmarc_record_t tmp;
	char msg[DMARC_ERR_MAX], first_msg[DMARC_ERR_MAX] = "";
	dmarc_record_status_t st, first = DMARC_RECORD_NOT_DMARC;
	size_t i, ndmarc = 0;

	record_defaults(out);
	for (i = 0; a != NULL && i < a->count; i++) {
		st = dmarc_record_parse(a->rec[i], a->len[i], &tmp, msg,
		    sizeof(msg));
		if (st == DMARC_RECORD_NOT_DMARC)
			continue;
		if (ndmarc++ == 0) {
			first = st;
			*out = tmp;
			str_copy(first_msg, sizeof(first_msg), msg);
		}
	}
	/* A cut answer may hide a (second) DMARC record: neither "one
	 * record" nor "none" can be told, whatever the kept part holds. */
	if (ndmarc > 1 || (a != NULL && a->truncated)) {
		record_defaults(out);
		if (err != NULL && errlen > 0)
			str_format(err, errlen, ndmarc > 1 ? "%zu DMARC records "
			    "at one name: all discarded" : "more than %zu TXT "
			    "records: cannot tell the DMARC record is unique",
			    ndmarc > 1 ? ndmarc : (size_t)TXT_MAX_RECORDS);
		return DMARC_RECORD_INVALID;
	}
	if (err != NULL && errlen > 0) {
		if (ndmarc == 0)
			str_format(err, errlen, "no DMARC record among %zu TXT "
			    "record%s", a ? a->count : 0,
			    a && a->count == 1 ? "" : "s");
		else
			str_copy(err, errlen, first_msg);
	}
	return first;
}

const char *dmarc_policy_name(dmarc_policy_t p)
{
	switch (p) {
	case DMARC_POLICY_NONE: return "none";
	case DMARC_POLICY_QUARANTINE: return "quarantine";
	case DMARC_POLICY_REJECT: return "reject";
	case DMARC_POLICY_UNSPEC: break;
	}
	return "unspecified";
}

const char *dmarc_align_name(dmarc_align_t a)
{
	return a == DMARC_ALIGN_STRICT ? "s" : "r";
}

/* Bounded append; *bad is set once anything did not fit. */
static void __attribute__((format(printf, 5, 6)))
out_append(char *buf, size_t size, size_t *off, bool *bad,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*bad)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *off) {
		*bad = true;
		return;
	}
	*off += (size_t)n;
}

static void format_size(char *buf, size_t size, size_t *off, bool *bad,
    unsigned long long bytes)
{
	static const char units[] = "tgmk";
	unsigned shift = 40;
	size_t i;

	if (bytes == 0)
		return;
	for (i = 0; units[i] != '\0'; i++, shift -= 10) {
		if ((bytes & ((1ULL << shift) - 1)) == 0) {
			out_append(buf, size, off, bad, "!%llu%c",
			    bytes >> shift, units[i]);
			return;
		}
	}
	out_append(buf, size, off, bad, "!%llu", bytes);
}

static void format_uris(char *buf, size_t size, size_t *off, bool *bad,
    const char *tag, const dmarc_uri_t *list, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	out_append(buf, size, off, bad, "; %s=", tag);
	for (i = 0; i < n; i++) {
		out_append(buf, size, off, bad, "%s%s", i ? "," : "",
		    list[i].uri);
		format_size(buf, size, off, bad, list[i].size);
	}
}

/*
 * Canonical form: every RFC 9989 tag with its effective value in a fixed
 * order, then rua/ruf when given, then the RFC 7489 legacy tags only
 * when they were written.  Parsing the output gives the same record.
 */
int dmarc_record_format(const dmarc_record_t *r, char *buf, size_t size)
{
	size_t off = 0;
	bool bad = false;

	if (buf == NULL || size == 0)
		return -1;
	buf[0] = '\0';
	out_append(buf, size, &off, &bad, "v=DMARC1; p=%s; sp=%s; np=%s; "
	    "adkim=%s; aspf=%s; t=%s; psd=%c; fo=%s",
	    dmarc_policy_name(r->p), dmarc_policy_name(r->sp),
	    dmarc_policy_name(r->np), dmarc_align_name(r->adkim),
	    dmarc_align_name(r->aspf), r->testing ? "y" : "n", r->psd,
	    r->fo);
	format_uris(buf, size, &off, &bad, "rua", r->rua, r->nrua);
	format_uris(buf, size, &off, &bad, "ruf", r->ruf, r->nruf);
	if (r->pct_present)
		out_append(buf, size, &off, &bad, "; pct=%u", r->pct);
	if (r->rf_present)
		out_append(buf, size, &off, &bad, "; rf=%s", r->rf);
	if (r->ri_present)
		out_append(buf, size, &off, &bad, "; ri=%lu", r->ri);
	return bad ? -1 : (int)off;
}
