/*
 * authres - Authentication-Results header fields.  See authres.h.
 */
#include "authres.h"

#include <string.h>
#include <strings.h>

#include "../policy/override.h"

/* RFC 2045 token characters (RFC 8601 pvalue uses value = token /
 * quoted-string) plus '@' and '.', which RFC 8601 allows in pvalue. */
static bool authres_tokenchar(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("()<>,;:\\\"/[]?=", c) == NULL;
}

static void authres_value(strbuf_t *sb, const char *v)
{
	const char *p;
	bool token = *v != '\0';

	for (p = v; *p; p++)
		if (!authres_tokenchar((unsigned char)*p))
			token = false;
	if (token) {
		strbuf_puts(sb, v);
		return;
	}
	strbuf_putc(sb, '"');
	for (p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			strbuf_putc(sb, '\\');
		strbuf_putc(sb, (c < 0x20 || c == 0x7f) ? '?' : (char)c);
	}
	strbuf_putc(sb, '"');
}

/* A comment from untrusted text: printable, no parentheses. */
static void authres_comment(strbuf_t *sb, const char *text)
{
	char clean[160];
	char *p;

	if (text == NULL || *text == '\0')
		return;
	str_printable(clean, sizeof(clean), text, strlen(text));
	for (p = clean; *p; p++)
		if (*p == '(' || *p == ')' || *p == '\\')
			*p = ' ';
	strbuf_appendf(sb, " (%s)", clean);
}

static void authres_spf(strbuf_t *sb, const authres_input_t *in)
{
	const spf_outcome_t *spf = in->spf;

	strbuf_appendf(sb, ";\n\tspf=%s", auth_result_name(spf->result));
	authres_comment(sb, spf->reason);
	if (spf->domain[0] == '\0')
		return;
	if (spf->scope == SPF_SCOPE_HELO) {
		strbuf_puts(sb, " smtp.helo=");
		authres_value(sb, spf->domain);
		return;
	}
	strbuf_puts(sb, " smtp.mailfrom=");
	authres_value(sb, spf->domain);
}

static void authres_dkim(strbuf_t *sb, const dkim_results_t *dkim)
{
	size_t i;

	if (dkim == NULL || dkim->count == 0) {
		strbuf_puts(sb, ";\n\tdkim=none");
		return;
	}
	for (i = 0; i < dkim->count && i < EVAL_MAX_DKIM; i++) {
		const dkim_sig_result_t *s = &dkim->sig[i];

		strbuf_appendf(sb, ";\n\tdkim=%s", auth_result_name(s->result));
		authres_comment(sb, s->reason);
		if (s->domain[0]) {
			strbuf_puts(sb, " header.d=");
			authres_value(sb, s->domain);
		}
		if (s->selector[0]) {
			strbuf_puts(sb, " header.s=");
			authres_value(sb, s->selector);
		}
		if (s->bhash8[0]) {
			strbuf_puts(sb, " header.b=");
			authres_value(sb, s->bhash8);
		}
	}
}

static void authres_dmarc(strbuf_t *sb, const verdict_t *v)
{
	const dmarc_record_t *rec = &v->policy.rec;

	strbuf_appendf(sb, ";\n\tdmarc=%s", dmarc_result_name(v->result));
	if (v->policy.status == POLICY_FOUND)
		strbuf_appendf(sb, " (p=%s sp=%s dis=%s)",
		    dmarc_policy_name(rec->p), dmarc_policy_name(rec->sp),
		    dmarc_policy_name(v->applied));
	else
		authres_comment(sb, v->reason);
	strbuf_puts(sb, " header.from=");
	authres_value(sb, v->from_domain);
	if (v->policy.status != POLICY_FOUND)
		return;
	strbuf_appendf(sb, " policy.dmarc=%s",
	    dmarc_policy_name(override_published(v)));
	strbuf_appendf(sb, " policy.applied-disposition=%s",
	    dmarc_policy_name(v->applied));
	strbuf_appendf(sb, " policy.evaluated-disposition=%s",
	    dmarc_policy_name(v->evaluated));
	if (v->noverrides > 0) {
		strbuf_appendf(sb, " policy.override-reason=%s",
		    override_reason_name(v->overrides[0].reason));
		authres_comment(sb, v->overrides[0].comment);
	}
}

static void authres_arc(strbuf_t *sb, const arc_result_t *arc,
    const char *client_ip)
{
	strbuf_t chain;
	size_t i;

	strbuf_appendf(sb, ";\n\tarc=%s", arc_cv_name(arc->cv));
	if (arc->cv == ARC_CV_FAIL)
		authres_comment(sb, arc->reason);
	if (arc->cv == ARC_CV_PASS)
		strbuf_appendf(sb, " header.oldest-pass=%u",
		    arc_oldest_pass_property(arc));
	if (client_ip && *client_ip) {
		strbuf_puts(sb, " smtp.remote-ip=");
		authres_value(sb, client_ip);
	}
	if (arc->cv != ARC_CV_PASS || arc->nsets == 0)
		return;
	strbuf_init(&chain, AUTHRES_MAX);
	for (i = 0; i < arc->nsets && i < ARC_MAX_INSTANCES; i++)
		strbuf_appendf(&chain, "%s%s", i ? ":" : "",
		    arc->set[i].sealer);
	strbuf_puts(sb, " arc.chain=");
	authres_value(sb, strbuf_str(&chain));
	strbuf_free(&chain);
}

void authres_format(const authres_input_t *in, strbuf_t *out)
{
	authres_value(out, in->authserv_id);
	if (in->spf)
		authres_spf(out, in);
	authres_dkim(out, in->dkim);
	if (in->arc)
		authres_arc(out, in->arc, in->client_ip);
	if (in->verdict)
		authres_dmarc(out, in->verdict);
}

/* Skip folding whitespace and (nested) comments; returns the new
 * position, or len on an unterminated comment. */
static size_t authres_skip_cfws(const char *v, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		char c = v[i];

		if (depth > 0) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(') {
			depth = 1;
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			return i;
		}
	}
	return len;
}

int authres_authserv_id(const char *value, size_t len, char *id,
    size_t idlen)
{
	strbuf_t sb;
	size_t i = authres_skip_cfws(value, len, 0);
	int rc = 0;

	strbuf_init(&sb, idlen > 0 ? idlen - 1 : 0);
	if (i < len && value[i] == '"') {
		for (i++; i < len && value[i] != '"'; i++) {
			if (value[i] == '\\' && i + 1 < len)
				i++;
			strbuf_putc(&sb, value[i]);
		}
		if (i >= len)
			rc = -1;
	} else {
		for (; i < len && authres_tokenchar((unsigned char)value[i]);
		    i++)
			strbuf_putc(&sb, value[i]);
	}
	if (sb.len == 0 || sb.truncated || memchr(strbuf_str(&sb), '\0',
	    sb.len) != NULL)
		rc = -1;
	if (rc == 0)
		str_copy(id, idlen, strbuf_str(&sb));
	strbuf_free(&sb);
	return rc;
}

/* Length of a domain-like id without one trailing dot. */
static size_t id_len(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && id[n - 1] == '.' ? n - 1 : n;
}

bool authres_id_is_ours(const char *id, const char *ours)
{
	size_t n = id_len(id);

	return n > 0 && n == id_len(ours) && strncasecmp(id, ours, n) == 0;
}
