/*
 * dkim_result - libopendkim's state of one signature in our terms.  See
 * dkim_result.h.
 */
#include "dkim_result.h"

#include <string.h>
#include <strings.h>

#include "../util/strbuf.h"
#include "dkim_tags.h"

auth_result_t dkim_result_sigerror(int err, int bh, const char **reason)
{
	switch (err) {
	case DKIM_SIGERROR_BADSIG:
		*reason = bh == DKIM_SIGBH_MISMATCH ? "body hash mismatch" :
		    "signature verification failed";
		return AUTH_FAIL;
	case DKIM_SIGERROR_TOOLARGE_L:
		*reason = "l= exceeds body size";
		return AUTH_FAIL;
	case DKIM_SIGERROR_SUBDOMAIN:
		*reason = "i= subdomain not allowed by key (t=s)";
		return AUTH_FAIL;
	case DKIM_SIGERROR_KEYTOOSMALL:
		*reason = "weak key (RFC 8301)";
		return AUTH_FAIL;
	case DKIM_SIGERROR_KEYFAIL:
		*reason = "key lookup failed";
		return AUTH_TEMPERROR;
	case DKIM_SIGERROR_NOKEY:
		*reason = "no key";
		return AUTH_PERMERROR;
	case DKIM_SIGERROR_DNSSYNTAX:
		*reason = "key record syntax error";
		return AUTH_PERMERROR;
	case DKIM_SIGERROR_KEYDECODE:
		*reason = "key cannot be decoded";
		return AUTH_PERMERROR;
	case DKIM_SIGERROR_INVALID_A:
		*reason = "unsupported algorithm";
		return AUTH_PERMERROR;
	default:
		*reason = dkim_sig_geterrorstr(err);
		if (*reason == NULL)
			*reason = "signature error";
		return AUTH_PERMERROR;
	}
}

/* RFC 8301: rsa-sha1 and RSA keys under 1024 bits are never valid. */
auth_result_t dkim_result_rfc8301(const dkim_sig_result_t *r,
    const char **why)
{
	if (strcmp(r->algorithm, "rsa-sha1") == 0) {
		*why = "rsa-sha1 not allowed (RFC 8301)";
		return AUTH_FAIL;
	}
	if (strncmp(r->algorithm, "rsa-", 4) == 0 && r->keybits < 1024) {
		*why = "weak key (RFC 8301)";
		return AUTH_FAIL;
	}
	return AUTH_PASS;
}

void dkim_result_details(DKIM *dkim, DKIM_SIGINFO *sig,
    dkim_sig_result_t *r)
{
	const char *s;
	char ident[FROM_DOMAIN_MAX + 64];
	unsigned int bits = 0;

	s = (const char *)dkim_sig_getdomain(sig);
	str_printable(r->domain, sizeof(r->domain), s ? s : "",
	    s ? strlen(s) : 0);
	str_lower(r->domain);
	s = (const char *)dkim_sig_getselector(sig);
	str_printable(r->selector, sizeof(r->selector), s ? s : "",
	    s ? strlen(s) : 0);
	s = (const char *)dkim_sig_gettagvalue(sig, 0, (u_char *)"a");
	dkim_tag_copy(r->algorithm, sizeof(r->algorithm), s ? s : "",
	    s ? strlen(s) : 0);
	str_lower(r->algorithm);
	s = (const char *)dkim_sig_gettagvalue(sig, 0, (u_char *)"b");
	dkim_tag_copy(r->bhash8, 9, s ? s : "", s ? strlen(s) : 0);
	s = (const char *)dkim_sig_gettagvalue(sig, 0, (u_char *)"i");
	if (s != NULL && dkim_sig_getidentity(dkim, sig, (u_char *)ident,
	    sizeof(ident)) == DKIM_STAT_OK)
		str_printable(r->identity, sizeof(r->identity), ident,
		    strlen(ident));
	r->body_length_limited =
	    dkim_sig_gettagvalue(sig, 0, (u_char *)"l") != NULL;
	if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK)
		r->keybits = bits;
	/* libopendkim leaves the size unset for ed25519 keys */
	if (r->keybits == 0 && strcmp(r->algorithm, "ed25519-sha256") == 0 &&
	    (dkim_sig_getflags(sig) & DKIM_SIGFLAG_PROCESSED) &&
	    dkim_sig_getbh(sig) != DKIM_SIGBH_UNTESTED)
		r->keybits = 256;
}

/* RFC 6376 3.6.1 and 6.1.2: the key's k= (default rsa) must be the key
 * type of the signature's a=; libopendkim does not check this. */
bool dkim_result_key_mismatch(DKIM_SIGINFO *sig,
    const dkim_sig_result_t *r)
{
	const char *k;
	size_t klen;

	if ((dkim_sig_getflags(sig) & DKIM_SIGFLAG_PROCESSED) == 0 ||
	    r->algorithm[0] == '\0')
		return false;
	k = (const char *)dkim_sig_gettagvalue(sig, 1, (u_char *)"k");
	if (k == NULL)
		return false;   /* no key record, or k= absent: rsa */
	klen = strlen(k);
	return strncasecmp(r->algorithm, k, klen) != 0 ||
	    r->algorithm[klen] != '-';
}
