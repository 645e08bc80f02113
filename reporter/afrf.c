/*
 * afrf - a failure report in AFRF.  See afrf.h.
 */
#include "afrf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../policy/align.h"
#include "aggregate.h"
#include "mailmsg.h"
#include "version.h"

#define AFRF_MAX_SIGS 32
#define AFRF_QUOTED_CHUNK 200       /* octets of record per quoted string */

/* Header bytes as 7-bit text; CRLF kept. */
static char *clean_headers(const char *h)
{
	size_t n = strlen(h);
	char *out = malloc(n + 1);

	if (out == NULL)
		abort();
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)h[i];

		out[i] = (c >= 0x80 || (c < 0x20 && c != '\r' && c != '\n' &&
		    c != '\t' && c != '\0') || c == 0x7f) ? '?' : (char)c;
	}
	return out;
}

/* One "Name: value" line with the value made printable. */
static void field(strbuf_t *fb, const char *name, const char *value)
{
	char clean[1024];

	str_printable(clean, sizeof(clean), value, strlen(value));
	strbuf_appendf(fb, "%s: %s\n", name, clean);
}

typedef struct sig {
	char *d, *s, *result;
} sig_t;

/* The DKIM signatures of the sample (pointers into buf, the caller's
 * copy of s->dkim). */
static size_t signatures(char *buf, sig_t *out, size_t max)
{
	char *entry[AFRF_MAX_SIGS], *sub[4];
	size_t n = agg_split(buf, AGG_LIST_SEP, entry, AFRF_MAX_SIGS), k = 0;

	for (size_t i = 0; i < n && k < max; i++)
		if (agg_split(entry[i], AGG_SUB_SEP, sub, 4) >= 3 && sub[0][0])
			out[k++] = (sig_t){ sub[0], sub[1], sub[2] };
	return k;
}

static void auth_results(strbuf_t *fb, const afrf_sample_t *s,
    const char *authserv, const sig_t *sig, size_t nsig)
{
	char a[256], b[256];
	bool helo = strcmp(s->spf_scope, "helo") == 0;

	str_printable(a, sizeof(a), authserv, strlen(authserv));
	strbuf_appendf(fb, "Authentication-Results: %s;\n\tdmarc=", a);
	str_printable(a, sizeof(a), s->result[0] ? s->result : "fail",
	    strlen(s->result[0] ? s->result : "fail"));
	str_printable(b, sizeof(b), s->header_from, strlen(s->header_from));
	strbuf_appendf(fb, "%s header.from=%s", a, b);
	if (s->spf_domain[0]) {
		str_printable(a, sizeof(a), s->spf_domain,
		    strlen(s->spf_domain));
		str_printable(b, sizeof(b), s->spf_result[0] ? s->spf_result :
		    "none", strlen(s->spf_result[0] ? s->spf_result : "none"));
		strbuf_appendf(fb, ";\n\tspf=%s %s=%s", b, helo ?
		    "smtp.helo" : "smtp.mailfrom", a);
	} else {
		strbuf_puts(fb, ";\n\tspf=none");
	}
	for (size_t i = 0; i < nsig; i++) {
		str_printable(b, sizeof(b), sig[i].s, strlen(sig[i].s));
		strbuf_appendf(fb, ";\n\tdkim=");
		str_printable(a, sizeof(a), sig[i].result,
		    strlen(sig[i].result));
		strbuf_appendf(fb, "%s header.d=", a);
		str_printable(a, sizeof(a), sig[i].d, strlen(sig[i].d));
		strbuf_appendf(fb, "%s header.s=%s", a, b);
	}
	if (nsig == 0)
		strbuf_puts(fb, ";\n\tdkim=none");
	strbuf_putc(fb, '\n');
}

/* The signature DKIM-* describe: one related to the author domain. */
static const sig_t *chosen(const afrf_sample_t *s, const sig_t *sig,
    size_t nsig)
{
	for (size_t i = 0; i < nsig; i++)
		if (domain_within(sig[i].d, s->header_from) ||
		    domain_within(s->header_from, sig[i].d) ||
		    domain_within(sig[i].d, s->policy_domain))
			return &sig[i];
	return nsig ? &sig[0] : NULL;
}

/* RFC 6591: SPF-DNS: txt : domain : "record" (quoted strings of at most
 * AFRF_QUOTED_CHUNK octets, one a line). */
static void spf_dns(strbuf_t *fb, const afrf_sample_t *s)
{
	char d[256];
	const char *p = s->spf_record;
	size_t col;

	if (s->spf_domain[0] == '\0')
		return;
	str_printable(d, sizeof(d), s->spf_domain, strlen(s->spf_domain));
	strbuf_appendf(fb, "SPF-DNS: txt : %s :", d);
	do {
		strbuf_puts(fb, p == s->spf_record ? " \"" : "\n\t\"");
		for (col = 0; *p && col < AFRF_QUOTED_CHUNK; p++, col++) {
			unsigned char c = (unsigned char)*p;

			if (c == '"' || c == '\\')
				strbuf_putc(fb, '\\');
			strbuf_putc(fb, c < 0x20 || c >= 0x7f ? '?' : (char)c);
		}
		strbuf_putc(fb, '"');
	} while (*p);
	strbuf_putc(fb, '\n');
}

static void feedback_fields(strbuf_t *fb, const afrf_sample_t *s,
    const char *authserv, const char *arrival)
{
	char buf[AFRF_DKIM_MAX], ident[FROM_DOMAIN_MAX + 2];
	sig_t sig[AFRF_MAX_SIGS];
	const sig_t *c;
	size_t nsig;

	str_copy(buf, sizeof(buf), s->dkim);
	nsig = signatures(buf, sig, AFRF_MAX_SIGS);
	strbuf_puts(fb, "Feedback-Type: auth-failure\nVersion: 1\n"
	    "User-Agent: " REPORTER_NAME "/" DW_VERSION "\n");
	field(fb, "Auth-Failure", s->auth_failure);
	strbuf_appendf(fb, "Original-Mail-From: <%s>\n", s->mail_from);
	field(fb, "Arrival-Date", arrival);
	field(fb, "Source-IP", s->source_ip);
	field(fb, "Reported-Domain", s->header_from);
	auth_results(fb, s, authserv, sig, nsig);
	field(fb, "Identity-Alignment", s->dkim_aligned && s->spf_aligned ?
	    "dkim, spf" : s->dkim_aligned ? "dkim" : s->spf_aligned ? "spf" :
	    "none");
	if ((c = chosen(s, sig, nsig)) != NULL) {
		field(fb, "DKIM-Domain", c->d);
		str_format(ident, sizeof(ident), "@%s", c->d);
		field(fb, "DKIM-Identity", ident);
		field(fb, "DKIM-Selector", c->s);
	}
	spf_dns(fb, s);
}

int afrf_message(const afrf_sample_t *s, const char *authserv,
    const char *sender, const char *to, const char *msgid, time_t now,
    strbuf_t *msg)
{
	char subject[600], text[1024], arrival[64], mf[512];
	strbuf_t fb;
	mailmsg_part_t parts[3];
	mailmsg_t m;
	char *hdrs = clean_headers(s->headers ? s->headers : "");
	afrf_sample_t copy;
	int rc;

	/* Original-Mail-From is written unquoted inside <>: printable only. */
	copy = *s;
	str_printable(mf, sizeof(mf), s->mail_from, strlen(s->mail_from));
	str_copy(copy.mail_from, sizeof(copy.mail_from), mf);
	mailmsg_date(s->time, arrival, sizeof(arrival));
	str_format(subject, sizeof(subject), "DMARC Failure Report for %s "
	    "from %s", s->header_from, s->source_ip);
	str_format(text, sizeof(text), "This is a DMARC failure report "
	    "(RFC 9991) for a message claiming to be from %s, received from "
	    "%s at %s.\nThe header of the message follows; fields not needed "
	    "to identify it were left out.\n", s->header_from, s->source_ip,
	    arrival);
	strbuf_init(&fb, 64 * 1024);
	feedback_fields(&fb, &copy, authserv, arrival);
	parts[0] = (mailmsg_part_t){ "text/plain; charset=us-ascii", NULL,
	    (const unsigned char *)text, strlen(text), false };
	parts[1] = (mailmsg_part_t){ "message/feedback-report", NULL,
	    (const unsigned char *)fb.s, fb.len, false };
	parts[2] = (mailmsg_part_t){ "text/rfc822-headers", NULL,
	    (const unsigned char *)hdrs, strlen(hdrs), false };
	m = (mailmsg_t){ sender, NULL, to, subject, msgid, now,
	    "report; report-type=feedback-report" };
	strbuf_init(msg, MAILMSG_MAX);
	rc = fb.truncated ? -1 : mailmsg_build(&m, parts, 3, msg);
	strbuf_free(&fb);
	free(hdrs);
	return rc;
}
