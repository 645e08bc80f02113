/*
 * arc_canon - streaming DKIM body hash and header canonicalization.
 * See arc_canon.h for the contract and for why this module exists.
 *
 * The body hasher is a small state machine: CRLFs at the end of what has
 * been seen so far are only counted (they are dropped if nothing but
 * more empty lines follows), a CR is held until the next byte says
 * whether it ends a line, and in relaxed mode whitespace is held until
 * the next byte says whether it ends a line.  Runs of ordinary bytes go
 * to SHA-256 in spans, through a staging buffer.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "arc_canon.h"

#define STAGE_LEN 4096

struct arc_bodyhash {
	EVP_MD_CTX *md;
	arc_canon_t canon;
	unsigned long long pairs;       /* withheld CRLFs */
	bool cr;                        /* withheld CR */
	bool wsp;                       /* withheld whitespace (relaxed) */
	bool any;                       /* something was hashed */
	bool done;
	unsigned long long length;      /* canonical bytes so far */
	size_t staged;
	unsigned char stage[STAGE_LEN];
};

arc_bodyhash_t *arc_bodyhash_new(arc_canon_t canon)
{
	arc_bodyhash_t *bh = calloc(1, sizeof(*bh));

	if (bh == NULL)
		abort();
	bh->canon = canon;
	bh->md = EVP_MD_CTX_new();
	if (bh->md == NULL ||
	    EVP_DigestInit_ex(bh->md, EVP_sha256(), NULL) != 1) {
		arc_bodyhash_free(bh);
		return NULL;
	}
	return bh;
}

unsigned long long arc_bodyhash_length(const arc_bodyhash_t *bh)
{
	return bh ? bh->length : 0;
}

void arc_bodyhash_free(arc_bodyhash_t *bh)
{
	if (bh == NULL)
		return;
	EVP_MD_CTX_free(bh->md);
	free(bh);
}

static void stage_flush(arc_bodyhash_t *bh)
{
	if (bh->staged > 0)
		EVP_DigestUpdate(bh->md, bh->stage, bh->staged);
	bh->staged = 0;
}

static void emit(arc_bodyhash_t *bh, const unsigned char *p, size_t n)
{
	bh->length += n;
	if (n == 0)
		return;
	bh->any = true;
	if (n > STAGE_LEN / 2) {
		stage_flush(bh);
		EVP_DigestUpdate(bh->md, p, n);
		return;
	}
	if (bh->staged + n > STAGE_LEN)
		stage_flush(bh);
	memcpy(bh->stage + bh->staged, p, n);
	bh->staged += n;
}

/* Text follows: the withheld line ends and whitespace were real. */
static void release(arc_bodyhash_t *bh)
{
	static const unsigned char crlf[2] = { '\r', '\n' };

	for (; bh->pairs > 0; bh->pairs--)
		emit(bh, crlf, 2);
	if (bh->wsp) {
		emit(bh, (const unsigned char *)" ", 1);
		bh->wsp = false;
	}
}

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the run of bytes at p that need no special handling. */
static size_t plain_run(const arc_bodyhash_t *bh, const unsigned char *p,
    size_t n)
{
	size_t i;

	if (bh->canon == ARC_CANON_SIMPLE) {
		const unsigned char *cr = memchr(p, '\r', n);

		return cr == NULL ? n : (size_t)(cr - p);
	}
	for (i = 0; i < n && p[i] != '\r' && !is_wsp(p[i]); i++)
		;
	return i;
}

void arc_bodyhash_update(arc_bodyhash_t *bh, const unsigned char *p,
    size_t n)
{
	size_t i = 0, run;

	if (bh == NULL || bh->done)
		return;
	while (i < n) {
		if (bh->cr) {
			bh->cr = false;
			if (p[i] == '\n') {     /* a line end */
				bh->wsp = false;
				bh->pairs++;
				i++;
				continue;
			}
			release(bh);            /* a lone CR is text */
			emit(bh, (const unsigned char *)"\r", 1);
		}
		if (p[i] == '\r') {
			bh->cr = true;
			i++;
			continue;
		}
		if (bh->canon == ARC_CANON_RELAXED && is_wsp(p[i])) {
			bh->wsp = true;
			i++;
			continue;
		}
		release(bh);
		run = plain_run(bh, p + i, n - i);
		emit(bh, p + i, run);
		i += run;
	}
}

void arc_bodyhash_final(arc_bodyhash_t *bh,
    unsigned char digest[ARC_DIGEST_LEN])
{
	unsigned int len = ARC_DIGEST_LEN;

	if (bh == NULL)
		return;
	if (!bh->done) {
		if (bh->cr) {                   /* a CR at the very end */
			bh->cr = false;
			release(bh);
			emit(bh, (const unsigned char *)"\r", 1);
		}
		bh->pairs = 0;                  /* trailing empty lines */
		bh->wsp = false;                /* trailing whitespace */
		if (bh->canon == ARC_CANON_SIMPLE || bh->any)
			emit(bh, (const unsigned char *)"\r\n", 2);
		stage_flush(bh);
		bh->done = true;
	}
	EVP_DigestFinal_ex(bh->md, digest, &len);
}

/* ---- headers ----------------------------------------------------------- */

static int relaxed_value(strbuf_t *sb, const char *v, size_t n)
{
	size_t i = 0, run;
	bool started = false, sp = false;

	while (i < n) {
		if (v[i] == '\r' && i + 1 < n && v[i + 1] == '\n') {
			i += 2;                 /* unfold */
			continue;
		}
		if (is_wsp((unsigned char)v[i])) {
			sp = started;
			i++;
			continue;
		}
		if (sp && strbuf_putc(sb, ' ') < 0)
			return -1;
		sp = false;
		started = true;
		for (run = 0; i + run < n && !is_wsp((unsigned char)v[i + run])
		    && v[i + run] != '\r'; run++)
			;
		if (run == 0)
			run = 1;                /* a lone CR */
		if (strbuf_append(sb, v + i, run) < 0)
			return -1;
		i += run;
	}
	return 0;
}

int arc_canon_header(strbuf_t *sb, arc_canon_t canon, const char *name,
    size_t namelen, const char *value, size_t valuelen, bool crlf)
{
	size_t i;

	if (canon == ARC_CANON_SIMPLE) {
		if (strbuf_append(sb, name, namelen) < 0 ||
		    strbuf_putc(sb, ':') < 0 ||
		    strbuf_append(sb, value, valuelen) < 0)
			return -1;
	} else {
		while (namelen > 0 && is_wsp((unsigned char)name[namelen - 1]))
			namelen--;
		for (i = 0; i < namelen; i++) {
			char c = name[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (strbuf_putc(sb, c) < 0)
				return -1;
		}
		if (strbuf_putc(sb, ':') < 0 ||
		    relaxed_value(sb, value, valuelen) < 0)
			return -1;
	}
	if (crlf && strbuf_append(sb, "\r\n", 2) < 0)
		return -1;
	return 0;
}

static int canon_word(const char *v, size_t n, arc_canon_t *out)
{
	if (n == 6 && strncasecmp(v, "simple", 6) == 0)
		*out = ARC_CANON_SIMPLE;
	else if (n == 7 && strncasecmp(v, "relaxed", 7) == 0)
		*out = ARC_CANON_RELAXED;
	else
		return -1;
	return 0;
}

int arc_canon_parse(const char *v, size_t n, arc_canon_t *header,
    arc_canon_t *body)
{
	const char *slash = memchr(v, '/', n);

	if (slash == NULL) {
		*body = ARC_CANON_SIMPLE;
		return canon_word(v, n, header);
	}
	if (canon_word(v, (size_t)(slash - v), header) < 0)
		return -1;
	return canon_word(slash + 1, n - (size_t)(slash - v) - 1, body);
}
