/*
 * arc_sig - the signature checks of the ARC verifier: ARC-Message-
 * Signature (DKIM semantics, RFC 8617 4.1.2) and ARC-Seal (RFC 8617
 * 4.1.3, 5.1.1), key lookup and a small per-message key cache.
 * Internal to arc.c (see arc_impl.h).
 *
 * Every check returns ARC_SIG_PASS, ARC_SIG_FAIL with a reason, or
 * ARC_SIG_TEMPFAIL when the key could not be fetched for now.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "../util/strbuf.h"
#include "arc_impl.h"
#include "arc_tags.h"

typedef struct sigparts {
	arc_tags_t tags;
	const arc_tag_t *b;
	arc_keytype_t keytype;          /* what a= needs */
	char domain[FROM_DOMAIN_MAX];
	char selector[SELECTOR_MAX];
	unsigned char sig[ARC_SIG_MAX];
	size_t siglen;
} sigparts_t;

static const char *const short_name[3] = { "AAR", "AMS", "AS" };

static arc_sig_status_t failed(char *why, size_t whylen, unsigned i,
    int kind, const char *what)
{
	str_format(why, whylen, "i=%u: %s %s", i, short_name[kind], what);
	return ARC_SIG_FAIL;
}

/* ---- keys ---------------------------------------------------------------- */

void arc_keys_free(arc_verify_t *v)
{
	size_t i;

	for (i = 0; i < v->nkeys; i++)
		arc_key_free(&v->keys[i].key);
	v->nkeys = 0;
}

static void fetch_key(arc_verify_t *v, arc_keyslot_t *k)
{
	txt_answer_t ans;
	dnsops_status_t st;

	memset(&ans, 0, sizeof(ans));
	st = v->e->ops.txt(v->e->ops.ctx, k->name, &ans);
	if (st == DNSOPS_OK && ans.count > 0) {
		if (memchr(ans.rec[0], '\0', ans.len[0]) != NULL) {
			k->status = ARC_SIG_FAIL;
			str_copy(k->why, sizeof(k->why), "NUL in key record");
		} else if (arc_key_parse(ans.rec[0], ans.len[0], &k->key,
		    k->why, sizeof(k->why)) < 0) {
			k->status = ARC_SIG_FAIL;
		} else {
			k->status = ARC_SIG_PASS;
		}
	} else if (st == DNSOPS_TEMPFAIL) {
		k->status = ARC_SIG_TEMPFAIL;
		str_format(k->why, sizeof(k->why), "key lookup: %s",
		    ans.reason[0] ? ans.reason : "temporary DNS failure");
	} else {
		k->status = ARC_SIG_FAIL;
		str_format(k->why, sizeof(k->why), "no key (%s)",
		    st == DNSOPS_NXDOMAIN ? "NXDOMAIN" : "NODATA");
	}
	txt_answer_free(&ans);
}

/* The key for s, d: from the cache, else looked up (and cached while
 * there is room; the last slot is scratch, overwritten each time). */
static const arc_keyslot_t *get_key(arc_verify_t *v, const sigparts_t *s)
{
	char name[ARC_KEYNAME_MAX];
	arc_keyslot_t *k;
	size_t i;

	if (str_format(name, sizeof(name), "%s._domainkey.%s", s->selector,
	    s->domain) < 0)
		return NULL;
	for (i = 0; i < v->nkeys; i++)
		if (str_ieq(v->keys[i].name, name))
			return &v->keys[i];
	if (v->nkeys == ARC_KEYCACHE) {
		k = &v->keys[ARC_KEYCACHE - 1];
		arc_key_free(&k->key);
	} else {
		k = &v->keys[v->nkeys++];
	}
	memset(k, 0, sizeof(*k));
	str_copy(k->name, sizeof(k->name), name);
	fetch_key(v, k);
	return k;
}

/* ---- tags common to AMS and AS ------------------------------------------ */

/* d= and s=: dot-separated labels of letters, digits, "-", "_" or 8-bit
 * bytes (RFC 8617 4.1.4); no empty label. */
static bool name_ok(const arc_tag_t *t, size_t max)
{
	size_t i, label = 0;

	if (t == NULL || t->val_len == 0 || t->val_len >= max)
		return false;
	for (i = 0; i < t->val_len; i++) {
		unsigned char c = (unsigned char)t->val[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c >= 0x80))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 || t->val_len > 1;     /* a trailing dot is fine */
}

static int check_alg(const arc_tag_t *a, sigparts_t *s, const char **what)
{
	if (a == NULL) {
		*what = "lacks a=";
	} else if (a->val_len == 10 && strncasecmp(a->val, "rsa-sha256", 10)
	    == 0) {
		s->keytype = ARC_KEY_RSA;
		return 0;
	} else if (a->val_len == 14 && strncasecmp(a->val, "ed25519-sha256",
	    14) == 0) {
		s->keytype = ARC_KEY_ED25519;
		return 0;
	} else if (a->val_len == 8 && strncasecmp(a->val, "rsa-sha1", 8)
	    == 0) {
		*what = "a=rsa-sha1 not allowed (RFC 8301)";
	} else {
		*what = "has an unknown algorithm";
	}
	return -1;
}

/* t= (and for the AMS x=) against the verification time. */
static const char *check_times(const arc_verify_t *v, const arc_tags_t *t,
    bool with_x)
{
	const arc_tag_t *ts = arc_tags_get(t, "t"), *xs = arc_tags_get(t, "x");
	unsigned long long sign = 0, exp;

	if (ts != NULL) {
		if (arc_tag_number(ts, &sign) < 0)
			return "has a bad t=";
		if (sign > (unsigned long long)v->now + ARC_CLOCK_SLOP)
			return "t= is in the future";
	}
	if (!with_x || xs == NULL)
		return NULL;
	if (arc_tag_number(xs, &exp) < 0)
		return "has a bad x=";
	if (ts != NULL && exp < sign)
		return "x= is before t=";
	if (exp < (unsigned long long)v->now)
		return "has expired (x=)";
	return NULL;
}

/* Parse field idx and check what AMS and AS share. */
static arc_sig_status_t parse_sig(arc_verify_t *v, unsigned i, int kind,
    sigparts_t *s, char *why, size_t whylen)
{
	int idx = v->slot[i][kind];
	const arc_tag_t *d, *sel;
	const char *what = NULL;
	char tagwhy[96];
	long n;

	if (arc_tags_parse(arc_hval(v, idx), v->hdr[idx].val_len, &s->tags,
	    tagwhy, sizeof(tagwhy)) < 0) {
		str_format(why, whylen, "i=%u: %s %s", i, short_name[kind],
		    tagwhy);
		return ARC_SIG_FAIL;
	}
	s->b = arc_tags_get(&s->tags, "b");
	if (check_alg(arc_tags_get(&s->tags, "a"), s, &what) < 0)
		return failed(why, whylen, i, kind, what);
	if (s->b == NULL || s->b->val_len == 0)
		return failed(why, whylen, i, kind, "lacks b=");
	if (s->b->val_len > 2 * ARC_SIG_MAX)    /* base64 plus folding */
		return failed(why, whylen, i, kind, "b= is too long");
	if ((n = arc_b64_decode(s->b->val, s->b->val_len, s->sig,
	    sizeof(s->sig))) <= 0)
		return failed(why, whylen, i, kind, "b= is not base64 or too "
		    "long");
	s->siglen = (size_t)n;
	d = arc_tags_get(&s->tags, "d");
	sel = arc_tags_get(&s->tags, "s");
	if (!name_ok(d, sizeof(s->domain)))
		return failed(why, whylen, i, kind, "has a bad or no d=");
	if (!name_ok(sel, sizeof(s->selector)))
		return failed(why, whylen, i, kind, "has a bad or no s=");
	str_ncopy(s->domain, sizeof(s->domain), d->val, d->val_len);
	str_ncopy(s->selector, sizeof(s->selector), sel->val, sel->val_len);
	if ((what = check_times(v, &s->tags, kind == ARC_AMS)) != NULL)
		return failed(why, whylen, i, kind, what);
	return ARC_SIG_PASS;
}

/* Check the signature over digest with the key of s. */
static arc_sig_status_t check_crypto(arc_verify_t *v, unsigned i, int kind,
    const sigparts_t *s, const unsigned char *digest, char *why, size_t whylen)
{
	const arc_keyslot_t *k = get_key(v, s);

	if (k == NULL)
		return failed(why, whylen, i, kind, "key name too long");
	if (k->status != ARC_SIG_PASS) {
		str_format(why, whylen, "i=%u: %s %s", i, short_name[kind],
		    k->why);
		return (arc_sig_status_t)k->status;
	}
	if (k->key.type != s->keytype)
		return failed(why, whylen, i, kind, "key type does not match "
		    "a=");
	if (!arc_crypto_verify(&k->key, digest, s->sig, s->siglen))
		return failed(why, whylen, i, kind, "signature does not "
		    "verify");
	return ARC_SIG_PASS;
}

/* Canonicalize field idx with its b= value blanked, no CRLF. */
static int canon_blanked(arc_verify_t *v, int idx, const arc_tag_t *b,
    arc_canon_t canon)
{
	const char *val = arc_hval(v, idx);
	size_t len = v->hdr[idx].val_len, head = b->eq_end;
	char blank[ARC_FIELD_MAX];

	if (len > sizeof(blank))
		return -1;
	memcpy(blank, val, head);
	memcpy(blank + head, val + b->spec_end, len - b->spec_end);
	return arc_canon_header(&v->canon, canon, arc_hname(v, idx),
	    v->hdr[idx].name_len, blank, head + len - b->spec_end, false);
}

/* ---- ARC-Message-Signature --------------------------------------------- */

int arc_ams_body_canon(const arc_verify_t *v, unsigned i, arc_canon_t *body)
{
	int idx = v->slot[i][ARC_AMS];
	const arc_tag_t *c;
	arc_canon_t header;
	arc_tags_t tags;

	if (idx < 0 || arc_tags_parse(arc_hval(v, idx), v->hdr[idx].val_len,
	    &tags, NULL, 0) < 0)
		return -1;
	if ((c = arc_tags_get(&tags, "c")) == NULL) {
		*body = ARC_CANON_SIMPLE;       /* RFC 6376 3.5 default */
		return 0;
	}
	return arc_canon_parse(c->val, c->val_len, &header, body);
}

/* Canonicalize the fields h= names, bottom-up, each occurrence once. */
static int canon_signed(arc_verify_t *v, const arc_tag_t *h,
    arc_canon_t canon)
{
	const char *name;
	size_t pos = 0, len;
	int idx;

	arc_select_reset(v);
	while (arc_tag_list_next(h, &pos, &name, &len)) {
		idx = arc_select(v, name, len);
		if (idx >= 0 && arc_canon_header(&v->canon, canon,
		    arc_hname(v, idx), v->hdr[idx].name_len, arc_hval(v, idx),
		    v->hdr[idx].val_len, true) < 0)
			return -1;
	}
	return 0;
}

/* Tags only the AMS has: h=, bh=, c=, l=, q=. */
static arc_sig_status_t ams_tags(arc_verify_t *v, unsigned i,
    const sigparts_t *s, arc_canon_t *hc, char *why, size_t whylen)
{
	const arc_tag_t *h = arc_tags_get(&s->tags, "h");
	const arc_tag_t *bh = arc_tags_get(&s->tags, "bh");
	const arc_tag_t *c = arc_tags_get(&s->tags, "c");
	const arc_tag_t *q = arc_tags_get(&s->tags, "q");
	unsigned char hash[64];
	arc_canon_t bc = ARC_CANON_SIMPLE;
	long n;

	*hc = ARC_CANON_SIMPLE;
	if (h == NULL)
		return failed(why, whylen, i, ARC_AMS, "lacks h=");
	if (arc_tag_list_has(h, "arc-seal"))
		return failed(why, whylen, i, ARC_AMS, "signs ARC-Seal");
	if (arc_tags_get(&s->tags, "l") != NULL)
		return failed(why, whylen, i, ARC_AMS, "has l= (not allowed)");
	if (q != NULL && !arc_tag_eq(q, "dns/txt"))
		return failed(why, whylen, i, ARC_AMS, "has an unknown q=");
	if (c != NULL && arc_canon_parse(c->val, c->val_len, hc, &bc) < 0)
		return failed(why, whylen, i, ARC_AMS, "has a bad c=");
	if (bh == NULL || bh->val_len == 0)
		return failed(why, whylen, i, ARC_AMS, "lacks bh=");
	n = arc_b64_decode(bh->val, bh->val_len, hash, sizeof(hash));
	if (n < 0)
		return failed(why, whylen, i, ARC_AMS, "bh= is not base64");
	if (v->bh[bc] == NULL || n != ARC_DIGEST_LEN ||
	    memcmp(hash, v->bodyhash[bc], ARC_DIGEST_LEN) != 0)
		return failed(why, whylen, i, ARC_AMS, "body hash mismatch");
	return ARC_SIG_PASS;
}

arc_sig_status_t arc_check_ams(arc_verify_t *v, unsigned i, char *why,
    size_t whylen)
{
	unsigned char digest[ARC_DIGEST_LEN];
	arc_sig_status_t st;
	arc_canon_t hc;
	sigparts_t parts, *s = &parts;
	int idx = v->slot[i][ARC_AMS];

	if ((st = parse_sig(v, i, ARC_AMS, s, why, whylen)) != ARC_SIG_PASS ||
	    (st = ams_tags(v, i, s, &hc, why, whylen)) != ARC_SIG_PASS)
		goto out;
	strbuf_reset(&v->canon);
	if (canon_signed(v, arc_tags_get(&s->tags, "h"), hc) < 0 ||
	    canon_blanked(v, idx, s->b, hc) < 0) {
		st = failed(why, whylen, i, ARC_AMS, "headers too large");
		goto out;
	}
	EVP_Digest(v->canon.s, v->canon.len, digest, NULL, EVP_sha256(), NULL);
	st = check_crypto(v, i, ARC_AMS, s, digest, why, whylen);
out:
	return st;
}

/* ---- ARC-Seal ------------------------------------------------------------ */

/* Relaxed AAR(i) and AMS(i), each with CRLF, into v->canon. */
static int canon_set_head(arc_verify_t *v, unsigned i)
{
	int k, idx;

	strbuf_reset(&v->canon);
	for (k = ARC_AAR; k <= ARC_AMS; k++) {
		idx = v->slot[i][k];
		if (arc_canon_header(&v->canon, ARC_CANON_RELAXED,
		    arc_hname(v, idx), v->hdr[idx].name_len, arc_hval(v, idx),
		    v->hdr[idx].val_len, true) < 0)
			return -1;
	}
	return 0;
}

/* Feed the seal of set i to acc (whole, CRLF) and to one (blanked, no
 * CRLF, RFC 6376 3.7 for the signature field itself). */
static int feed_seal(arc_verify_t *v, unsigned i, EVP_MD_CTX *acc,
    EVP_MD_CTX *one)
{
	int idx = v->slot[i][ARC_AS];
	const arc_tag_t *b;
	arc_tags_t tags;

	if (arc_tags_parse(arc_hval(v, idx), v->hdr[idx].val_len, &tags,
	    NULL, 0) == 0 && (b = arc_tags_get(&tags, "b")) != NULL) {
		strbuf_reset(&v->canon);
		if (canon_blanked(v, idx, b, ARC_CANON_RELAXED) < 0)
			return -1;
		EVP_DigestUpdate(one, v->canon.s, v->canon.len);
	}       /* else arc_check_as() refuses the seal for what it lacks */
	strbuf_reset(&v->canon);
	if (arc_canon_header(&v->canon, ARC_CANON_RELAXED, arc_hname(v, idx),
	    v->hdr[idx].name_len, arc_hval(v, idx), v->hdr[idx].val_len,
	    true) < 0)
		return -1;
	EVP_DigestUpdate(acc, v->canon.s, v->canon.len);
	return 0;
}

/* RFC 8617 5.1.1: the seal of instance i signs the sets 1..i in order,
 * AAR, AMS, AS within each.  One running digest over the sets below i
 * makes this linear in the number of sets. */
int arc_seal_digests(arc_verify_t *v,
    unsigned char digest[][ARC_DIGEST_LEN], char *why, size_t whylen)
{
	EVP_MD_CTX *acc = EVP_MD_CTX_new(), *one = EVP_MD_CTX_new();
	unsigned i = 1;
	int rc = -1;

	if (acc == NULL || one == NULL ||
	    EVP_DigestInit_ex(acc, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 1; i <= v->maxi; i++) {
		if (canon_set_head(v, i) < 0 ||
		    EVP_MD_CTX_copy_ex(one, acc) != 1)
			goto out;
		EVP_DigestUpdate(one, v->canon.s, v->canon.len);
		EVP_DigestUpdate(acc, v->canon.s, v->canon.len);
		if (feed_seal(v, i, acc, one) < 0)
			goto out;
		EVP_DigestFinal_ex(one, digest[i], NULL);
	}
	rc = 0;
out:
	if (rc < 0)
		str_format(why, whylen, "i=%u: AS cannot be canonicalized", i);
	EVP_MD_CTX_free(acc);
	EVP_MD_CTX_free(one);
	return rc;
}

arc_sig_status_t arc_check_as(arc_verify_t *v, unsigned i,
    const unsigned char digest[ARC_DIGEST_LEN], char *why, size_t whylen)
{
	arc_sig_status_t st;
	sigparts_t parts, *s = &parts;

	if ((st = parse_sig(v, i, ARC_AS, s, why, whylen)) != ARC_SIG_PASS)
		goto out;
	if (arc_tags_get(&s->tags, "h") != NULL) {
		st = failed(why, whylen, i, ARC_AS, "has h= (not allowed)");
		goto out;
	}
	if (arc_tags_get(&s->tags, "cv") == NULL) {
		st = failed(why, whylen, i, ARC_AS, "lacks cv=");
		goto out;
	}
	st = check_crypto(v, i, ARC_AS, s, digest, why, whylen);
out:
	return st;
}
