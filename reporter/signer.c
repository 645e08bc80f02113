/*
 * signer - DKIM signatures on report mail.  See signer.h.
 */
#include "signer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dkim.h>

struct signer {
	DKIM_LIB *lib;
	unsigned char *key;
	char *selector, *domain;
};

static char *read_key(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL) {
		str_format(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	if ((buf = malloc(SIGNER_KEY_MAX + 1)) == NULL)
		abort();
	n = fread(buf, 1, SIGNER_KEY_MAX + 1, fp);
	fclose(fp);
	if (n == 0 || n > SIGNER_KEY_MAX || strstr(buf, "PRIVATE KEY") ==
	    NULL) {
		str_format(err, errlen, "%s: not a PEM private key of at most "
		    "%d bytes", path, SIGNER_KEY_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

void signer_free(signer_t *s)
{
	if (s == NULL)
		return;
	if (s->lib)
		dkim_close(s->lib);
	free(s->key);
	free(s->selector);
	free(s->domain);
	free(s);
}

signer_t *signer_new(const char *keyfile, const char *selector,
    const char *domain, char *err, size_t errlen)
{
	signer_t *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	if ((s->key = (unsigned char *)read_key(keyfile, err, errlen)) == NULL)
		goto bad;
	if ((s->lib = dkim_init(NULL, NULL)) == NULL) {
		str_copy(err, errlen, "dkim_init failed");
		goto bad;
	}
	if ((s->selector = strdup(selector)) == NULL ||
	    (s->domain = strdup(domain)) == NULL)
		abort();
	return s;
bad:
	signer_free(s);
	return NULL;
}

/* Feed the header fields (with their folding, without the final CRLF)
 * and return the offset of the body. */
static int feed_headers(DKIM *d, const char *m, size_t len, size_t *body)
{
	size_t start = 0, i;

	for (i = 0; i + 1 < len; i++) {
		if (m[i] != '\r' || m[i + 1] != '\n')
			continue;
		if (i == start) {               /* empty line: end of header */
			*body = i + 2;
			return dkim_eoh(d) == DKIM_STAT_OK ? 0 : -1;
		}
		if (i + 2 < len && (m[i + 2] == ' ' || m[i + 2] == '\t'))
			continue;               /* folded */
		if (dkim_header(d, (unsigned char *)(m + start), i - start) !=
		    DKIM_STAT_OK)
			return -1;
		start = i + 2;
		i++;
	}
	return -1;
}

/* libopendkim folds the signature with bare LF: make it CRLF. */
static void prepend_signature(strbuf_t *msg, const unsigned char *sig,
    size_t siglen)
{
	strbuf_t out;

	strbuf_init(&out, msg->max);
	strbuf_puts(&out, "DKIM-Signature: ");
	for (size_t i = 0; i < siglen; i++) {
		if (sig[i] == '\n' && (i == 0 || sig[i - 1] != '\r'))
			strbuf_putc(&out, '\r');
		strbuf_putc(&out, (char)sig[i]);
	}
	strbuf_puts(&out, "\r\n");
	strbuf_append(&out, strbuf_str(msg), msg->len);
	if (!out.truncated) {
		strbuf_free(msg);
		*msg = out;
	} else {
		strbuf_free(&out);
	}
}

int signer_sign(signer_t *s, const char *jobid, strbuf_t *msg, char *err,
    size_t errlen)
{
	DKIM_STAT st;
	DKIM *d;
	unsigned char *sig = NULL;
	size_t siglen = 0, body = 0;
	const char *m = strbuf_str(msg);
	int rc = -1;

	d = dkim_sign(s->lib, (const unsigned char *)jobid, NULL, s->key,
	    (const unsigned char *)s->selector,
	    (const unsigned char *)s->domain, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st);
	if (d == NULL) {
		str_format(err, errlen, "dkim_sign: %s", dkim_getresultstr(st));
		return -1;
	}
	if (feed_headers(d, m, msg->len, &body) < 0 ||
	    dkim_body(d, (unsigned char *)(m + body), msg->len - body) !=
	    DKIM_STAT_OK || dkim_eom(d, NULL) != DKIM_STAT_OK ||
	    dkim_getsighdr_d(d, strlen("DKIM-Signature: "), &sig, &siglen) !=
	    DKIM_STAT_OK) {
		const char *e = dkim_geterror(d);

		str_format(err, errlen, "DKIM signing failed: %s",
		    e && *e ? e : "bad message or key");
		goto out;
	}
	prepend_signature(msg, sig, siglen);
	rc = 0;
out:
	dkim_free(d);
	return rc;
}
