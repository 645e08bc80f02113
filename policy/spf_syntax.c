/*
 * spf_syntax - strict RFC 7208 section 12 syntax check of an SPF record.
 *
 * The record is walked as (pointer, length) slices; nothing here relies
 * on NUL termination, and every loop is bounded by the slice length.
 * See spf_syntax.h for the contract.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "../util/strbuf.h"
#include "spf_syntax.h"

typedef struct slice {
	const char *p;
	size_t n;
} slice_t;

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int fail(char *why, size_t whylen, const char *what, slice_t term)
{
	char shown[48];

	str_printable(shown, sizeof(shown), term.p, term.n);
	str_format(why, whylen, "%s in \"%s\"", what, shown);
	return -1;
}

/* Slice equals word, ASCII case-insensitively. */
static bool slice_ieq(slice_t s, const char *word)
{
	size_t n = strlen(word);

	return s.n == n && strncasecmp(s.p, word, n) == 0;
}

bool spf_syntax_is_spf1(const char *text, size_t len)
{
	if (len < 6 || strncasecmp(text, "v=spf1", 6) != 0)
		return false;
	return len == 6 || text[6] == ' ';
}

/*
 * macro-string: macro-literal (%x21-24 / %x26-7E) and macro-expand.
 * In a record (not an explanation) the letters c, r, t are not allowed.
 * *ends_macro tells whether the string ends with a macro-expand.
 */
static bool macro_string_ok(slice_t s, bool *ends_macro)
{
	size_t i = 0;

	*ends_macro = false;
	while (i < s.n) {
		unsigned char c = (unsigned char)s.p[i];

		*ends_macro = false;
		if (c < 0x21 || c > 0x7e)
			return false;
		if (c != '%') {
			i++;
			continue;
		}
		if (i + 1 >= s.n)
			return false;
		c = (unsigned char)s.p[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			i += 2;
			*ends_macro = true;
			continue;
		}
		if (c != '{' || i + 2 >= s.n
		    || strchr("slodiphvSLODIPHV", s.p[i + 2]) == NULL)
			return false;
		i += 3;
		while (i < s.n && is_digit(s.p[i]))
			i++;
		if (i < s.n && (s.p[i] == 'r' || s.p[i] == 'R'))
			i++;
		while (i < s.n && s.p[i] != '\0' && strchr(".-+,/_=", s.p[i]))
			i++;
		if (i >= s.n || s.p[i] != '}')
			return false;
		i++;
		*ends_macro = true;
	}
	return true;
}

/* toplabel = (*alphanum ALPHA *alphanum)
 *          / (1*alphanum "-" *(alphanum / "-") alphanum) */
static bool toplabel_ok(slice_t s)
{
	bool alpha = false, dash = false;
	size_t i;

	if (s.n == 0 || !is_alnum(s.p[0]) || !is_alnum(s.p[s.n - 1]))
		return false;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] == '-')
			dash = true;
		else if (is_alpha(s.p[i]))
			alpha = true;
		else if (!is_digit(s.p[i]))
			return false;
	}
	return alpha || dash;
}

/* domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand */
static bool domain_spec_ok(slice_t s)
{
	bool ends_macro;
	slice_t top;
	size_t dot;

	if (s.n == 0 || !macro_string_ok(s, &ends_macro))
		return false;
	if (ends_macro)
		return true;
	if (s.p[s.n - 1] == '.')
		s.n--;
	for (dot = s.n; dot > 0 && s.p[dot - 1] != '.'; dot--)
		;
	if (dot == 0)
		return false;
	top.p = s.p + dot;
	top.n = s.n - dot;
	return toplabel_ok(top);
}

/* CIDR length: "0" or a decimal without leading zero, at most max. */
static bool cidr_ok(slice_t s, unsigned max)
{
	unsigned v = 0;
	size_t i;

	if (s.n == 0 || s.n > 3 || (s.n > 1 && s.p[0] == '0'))
		return false;
	for (i = 0; i < s.n; i++) {
		if (!is_digit(s.p[i]))
			return false;
		v = v * 10 + (unsigned)(s.p[i] - '0');
	}
	return v <= max;
}

/* Digits ending at s.n (exclusive); returns where they start. */
static size_t digits_before(slice_t s, size_t end)
{
	while (end > 0 && is_digit(s.p[end - 1]))
		end--;
	return end;
}

/* Split a/mx arguments into domain part and the two CIDR lengths. */
static void a_mx_split(slice_t s, slice_t *dom, slice_t *c4, slice_t *c6)
{
	size_t end = s.n, d = digits_before(s, s.n);

	c4->p = c6->p = "";
	c4->n = c6->n = 0;
	if (d < end && d >= 2 && s.p[d - 1] == '/' && s.p[d - 2] == '/') {
		c6->p = s.p + d;
		c6->n = end - d;
		end = d - 2;
		d = digits_before(s, end);
	}
	if (d < end && d >= 1 && s.p[d - 1] == '/'
	    && !(d >= 2 && s.p[d - 2] == '/')) {
		c4->p = s.p + d;
		c4->n = end - d;
		end = d - 1;
	}
	dom->p = s.p;
	dom->n = end;
}

/*
 * a / mx: [ ":" domain-spec ] [ dual-cidr-length ], where
 * dual-cidr-length = [ "/" ip4-cidr ] [ "//" ip6-cidr ].  The CIDR part is
 * taken from the end, since a domain-spec may itself contain '/'.
 */
static bool a_mx_args_ok(slice_t s)
{
	slice_t dom, c4, c6;

	a_mx_split(s, &dom, &c4, &c6);
	if ((c4.n > 0 && !cidr_ok(c4, 32)) || (c6.n > 0 && !cidr_ok(c6, 128)))
		return false;
	if (dom.n == 0)
		return true;
	if (dom.p[0] != ':')
		return false;
	dom.p++;
	dom.n--;
	return domain_spec_ok(dom);
}

/* ip4 / ip6: ":" address [ "/" cidr ] */
static bool ip_args_ok(slice_t s, int af)
{
	char addr[64];
	unsigned char bin[16];
	slice_t c = { "", 0 };
	size_t n;

	if (s.n < 2 || s.p[0] != ':')
		return false;
	for (n = 1; n < s.n && s.p[n] != '/'; n++)
		;
	if (n < s.n) {
		c.p = s.p + n + 1;
		c.n = s.n - n - 1;
		if (!cidr_ok(c, af == AF_INET ? 32 : 128))
			return false;
	}
	if (str_ncopy(addr, sizeof(addr), s.p + 1, n - 1) < 0
	    || strlen(addr) != n - 1)
		return false;
	return inet_pton(af, addr, bin) == 1;
}

/* ":" domain-spec, required (include, exists) or optional (ptr). */
static bool colon_domain_ok(slice_t s, bool required)
{
	slice_t dom;

	if (s.n == 0)
		return !required;
	if (s.p[0] != ':')
		return false;
	dom.p = s.p + 1;
	dom.n = s.n - 1;
	return domain_spec_ok(dom);
}

static int mechanism_check(slice_t term, char *why, size_t whylen)
{
	slice_t name = term, args;

	if (name.n > 0 && strchr("+-~?", name.p[0]) != NULL) {
		name.p++;
		name.n--;
	}
	for (args.p = name.p; args.p < name.p + name.n
	    && *args.p != ':' && *args.p != '/'; args.p++)
		;
	args.n = name.n - (size_t)(args.p - name.p);
	name.n = (size_t)(args.p - name.p);

	if (slice_ieq(name, "all")) {
		if (args.n == 0)
			return 0;
	} else if (slice_ieq(name, "include") || slice_ieq(name, "exists")) {
		if (colon_domain_ok(args, true))
			return 0;
	} else if (slice_ieq(name, "a") || slice_ieq(name, "mx")) {
		if (a_mx_args_ok(args))
			return 0;
	} else if (slice_ieq(name, "ptr")) {
		if (colon_domain_ok(args, false))
			return 0;
	} else if (slice_ieq(name, "ip4")) {
		if (ip_args_ok(args, AF_INET))
			return 0;
	} else if (slice_ieq(name, "ip6")) {
		if (ip_args_ok(args, AF_INET6))
			return 0;
	} else {
		return fail(why, whylen, "unknown mechanism", term);
	}
	return fail(why, whylen, "bad mechanism argument", term);
}

/* Length of a modifier name at the start of s, 0 when none. */
static size_t modifier_name_len(slice_t s)
{
	size_t i;

	if (s.n == 0 || !is_alpha(s.p[0]))
		return 0;
	for (i = 1; i < s.n; i++)
		if (!is_alnum(s.p[i]) && s.p[i] != '-' && s.p[i] != '_'
		    && s.p[i] != '.')
			break;
	return i;
}

static int modifier_check(slice_t term, size_t namelen, int *nredirect,
    int *nexp, char *why, size_t whylen)
{
	slice_t name = { term.p, namelen };
	slice_t value = { term.p + namelen + 1, term.n - namelen - 1 };
	bool ends_macro;

	if (slice_ieq(name, "redirect") || slice_ieq(name, "exp")) {
		int *count = slice_ieq(name, "exp") ? nexp : nredirect;

		if (++*count > 1)
			return fail(why, whylen, "repeated modifier", term);
		if (!domain_spec_ok(value))
			return fail(why, whylen, "bad domain-spec", term);
		return 0;
	}
	if (!macro_string_ok(value, &ends_macro))
		return fail(why, whylen, "bad macro-string", term);
	return 0;
}

static int term_check(slice_t term, int *nredirect, int *nexp, char *why,
    size_t whylen)
{
	size_t i, namelen;

	for (i = 0; i < term.n; i++) {
		unsigned char c = (unsigned char)term.p[i];

		if (c < 0x21 || c > 0x7e)
			return fail(why, whylen, "invalid character", term);
	}
	namelen = modifier_name_len(term);
	if (namelen > 0 && namelen < term.n && term.p[namelen] == '=')
		return modifier_check(term, namelen, nredirect, nexp, why,
		    whylen);
	if (strchr("+-~?", term.p[0]) != NULL && term.n > 1) {
		slice_t rest = { term.p + 1, term.n - 1 };

		namelen = modifier_name_len(rest);
		if (namelen > 0 && namelen < rest.n && rest.p[namelen] == '=')
			return fail(why, whylen, "qualified modifier", term);
	}
	if (term.p[0] == '=')
		return fail(why, whylen, "empty modifier name", term);
	return mechanism_check(term, why, whylen);
}

int spf_syntax_check(const char *text, size_t len, char *why, size_t whylen)
{
	int nredirect = 0, nexp = 0;
	size_t i = 6;

	str_copy(why, whylen, "");
	if (len > SPF_SYNTAX_MAX_LEN) {
		str_copy(why, whylen, "record too long");
		return -1;
	}
	if (!spf_syntax_is_spf1(text, len)) {
		str_copy(why, whylen, "not an SPF version 1 record");
		return -1;
	}
	while (i < len) {
		slice_t term;

		if (text[i] == ' ') {
			i++;
			continue;
		}
		term.p = text + i;
		while (i < len && text[i] != ' ')
			i++;
		term.n = (size_t)(text + i - term.p);
		if (term_check(term, &nredirect, &nexp, why, whylen) < 0)
			return -1;
	}
	return 0;
}

/*
 * a/mx: for the client's family, a zero CIDR becomes the marker label
 * (the DNS layer then answers "the client" for any address found); the
 * other family's CIDR, which libspf2 would reject when zero, goes.
 */
static void rewrite_a_mx(strbuf_t *out, slice_t qual, slice_t name,
    slice_t args, int af)
{
	slice_t dom, c4, c6, mine;

	a_mx_split(args, &dom, &c4, &c6);
	mine = af == AF_INET6 ? c6 : c4;
	strbuf_putc(out, ' ');
	strbuf_append(out, qual.p, qual.n);
	strbuf_append(out, name.p, name.n);
	if (mine.n == 1 && mine.p[0] == '0') {
		strbuf_puts(out, ":" SPF_SYNTAX_CIDR0_LABEL ".");
		if (dom.n > 1)
			strbuf_append(out, dom.p + 1, dom.n - 1);
		else
			strbuf_puts(out, "%{d}");
		return;
	}
	strbuf_append(out, dom.p, dom.n);
	if (mine.n > 0) {
		strbuf_puts(out, af == AF_INET6 ? "//" : "/");
		strbuf_append(out, mine.p, mine.n);
	}
}

/* ip4:x/0 and ip6:x/0 (libspf2 refuses a zero prefix): two halves. */
static bool rewrite_ip0(strbuf_t *out, slice_t qual, slice_t name,
    slice_t args)
{
	bool v6 = slice_ieq(name, "ip6");

	if (args.n < 2 || args.p[args.n - 2] != '/' || args.p[args.n - 1] != '0')
		return false;
	strbuf_appendf(out, " %.*s%s %.*s%s", (int)qual.n, qual.p,
	    v6 ? "ip6:::/1" : "ip4:0.0.0.0/1", (int)qual.n, qual.p,
	    v6 ? "ip6:8000::/1" : "ip4:128.0.0.0/1");
	return true;
}

static void rewrite_mechanism(strbuf_t *out, slice_t term, int af,
    spf_features_t *f)
{
	slice_t qual = { term.p, 0 }, name, args;

	if (term.n > 0 && strchr("+-~?", term.p[0]) != NULL)
		qual.n = 1;
	name.p = term.p + qual.n;
	for (args.p = name.p; args.p < term.p + term.n
	    && *args.p != ':' && *args.p != '/'; args.p++)
		;
	name.n = (size_t)(args.p - name.p);
	args.n = term.n - qual.n - name.n;
	if (slice_ieq(name, "all"))
		f->has_all = true;
	if (slice_ieq(name, "ptr"))
		f->has_ptr = true;
	if (slice_ieq(name, "a") || slice_ieq(name, "mx")) {
		rewrite_a_mx(out, qual, name, args, af);
		return;
	}
	if ((slice_ieq(name, "ip4") || slice_ieq(name, "ip6"))
	    && rewrite_ip0(out, qual, name, args))
		return;
	strbuf_putc(out, ' ');
	strbuf_append(out, term.p, term.n);
}

int spf_syntax_rewrite(const char *text, size_t len, int af, strbuf_t *out,
    spf_features_t *f)
{
	slice_t redirect = { "", 0 };
	size_t i = 6, k;

	memset(f, 0, sizeof(*f));
	strbuf_puts(out, "v=spf1");
	while (i < len) {
		slice_t term;
		size_t namelen;

		if (text[i] == ' ') {
			i++;
			continue;
		}
		term.p = text + i;
		while (i < len && text[i] != ' ')
			i++;
		term.n = (size_t)(text + i - term.p);
		for (k = 0; k + 2 < term.n; k++)
			if (term.p[k] == '%' && term.p[k + 1] == '{'
			    && (term.p[k + 2] == 'p' || term.p[k + 2] == 'P'))
				f->has_p_macro = true;
		namelen = modifier_name_len(term);
		if (namelen > 0 && namelen < term.n && term.p[namelen] == '=') {
			if (namelen == 8 && strncasecmp(term.p, "redirect", 8) == 0)
				redirect = term;
			else if (namelen == 3 && strncasecmp(term.p, "exp", 3) == 0) {
				strbuf_putc(out, ' ');
				strbuf_append(out, term.p, term.n);
			}
			continue;   /* unknown modifiers are ignored (6) */
		}
		rewrite_mechanism(out, term, af, f);
	}
	/* RFC 7208 6.1: redirect applies after all mechanisms, and not at
	 * all when the record has an "all" mechanism. */
	if (redirect.n > 0 && !f->has_all) {
		strbuf_putc(out, ' ');
		strbuf_append(out, redirect.p, redirect.n);
	}
	return out->truncated ? -1 : 0;
}
