/* Unit tests for milter/arc (chain validation) without a network: keys
 * come from a table through dns_ops_t, and chains are made by a small
 * sealer written here with OpenSSL (RSA and Ed25519 keys generated at
 * run time).  Each hostile case starts from a chain that passes, so a
 * failure is the check under test and not something else; the reason
 * string says which check fired.  Interoperability with another
 * implementation is t/integration/arc_crosscheck.t's job. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../../milter/arc.h"
#include "../../milter/arc_canon.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#define MAXF 6000

/* ---- keys and the fake DNS ---------------------------------------------- */

typedef struct dnsrec {
	char name[128];
	char rec[3000];
	size_t len;
	dnsops_status_t st;
} dnsrec_t;

static dnsrec_t zone[32];
static size_t nzone, nqueries;

static dnsops_status_t table_txt(void *ctx, const char *name,
    txt_answer_t *out)
{
	size_t i;

	txt_answer_init(out);
	nqueries++;
	for (i = 0; i < nzone; i++)
		if (str_ieq(zone[i].name, name)) {
			if (zone[i].st == DNSOPS_OK)
				txt_answer_add(out, zone[i].rec, zone[i].len);
			else
				str_copy(out->reason, sizeof(out->reason),
				    "timeout");
			return zone[i].st;
		}
	return DNSOPS_NXDOMAIN;
}

static void publish(const char *name, const char *rec, size_t len,
    dnsops_status_t st)
{
	dnsrec_t *z = &zone[nzone++];

	str_copy(z->name, sizeof(z->name), name);
	memcpy(z->rec, rec, len);
	z->len = len;
	z->st = st;
}

typedef struct key {
	EVP_PKEY *pk;
	bool ed;
	const char *dom, *sel;
} tkey_t;

static void b64(const unsigned char *p, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

static tkey_t make_key(const char *kind, unsigned bits, const char *sel,
    const char *dom)
{
	tkey_t k = { NULL, strcmp(kind, "ed25519") == 0, dom, sel };
	unsigned char der[2048], *p = der;
	char rec[3000], name[128], enc[2900];
	size_t len = sizeof(der);

	k.pk = k.ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (k.ed)
		EVP_PKEY_get_raw_public_key(k.pk, der, &len);
	else
		len = (size_t)i2d_PUBKEY(k.pk, &p);
	b64(der, len, enc);
	snprintf(rec, sizeof(rec), "v=DKIM1; k=%s; p=%s", k.ed ? "ed25519" :
	    "rsa", enc);
	snprintf(name, sizeof(name), "%s._domainkey.%s", sel, dom);
	publish(name, rec, strlen(rec), DNSOPS_OK);
	return k;
}

static size_t sign(const tkey_t *k, const unsigned char *dg,
    unsigned char *sig)
{
	size_t len = 1024;

	if (k->ed) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		EVP_DigestSignInit(md, NULL, NULL, NULL, k->pk);
		EVP_DigestSign(md, sig, &len, dg, 32);
		EVP_MD_CTX_free(md);
	} else {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->pk, NULL);

		EVP_PKEY_sign_init(c);
		EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
		EVP_PKEY_CTX_set_signature_md(c, EVP_sha256());
		EVP_PKEY_sign(c, sig, &len, dg, 32);
		EVP_PKEY_CTX_free(c);
	}
	return len;
}

/* ---- messages and the sealer --------------------------------------------- */

typedef struct fld {
	char *name, *value;
} fld_t;

typedef struct msg {
	fld_t f[MAXF];                  /* top first */
	size_t n;
	char body[4096];
} msg_t;

static msg_t *msg_new(void)
{
	msg_t *m = calloc(1, sizeof(*m));
	static const char *base[][2] = {
		{ "Received", " from a.example by b.example" },
		{ "From", " Alice <alice@origin.example>" },
		{ "To", " list@lists.example" },
		{ "Subject", " test\r\n\tmessage" },
		{ "Date", " Mon, 01 Jan 2024 00:00:00 +0000" },
	};
	size_t i;

	for (i = 0; i < 5; i++) {
		m->f[i].name = strdup(base[i][0]);
		m->f[i].value = strdup(base[i][1]);
	}
	m->n = 5;
	str_copy(m->body, sizeof(m->body), "Hello,\r\n\r\nbody text.\r\n");
	return m;
}

static void msg_free(msg_t *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->f[i].name);
		free(m->f[i].value);
	}
	free(m);
}

static void add_top(msg_t *m, const char *name, const char *value)
{
	memmove(&m->f[1], &m->f[0], m->n * sizeof(m->f[0]));
	m->f[0].name = strdup(name);
	m->f[0].value = strdup(value);
	m->n++;
}

static void body_add(msg_t *m, const char *text)
{
	size_t n = strlen(m->body);

	str_copy(m->body + n, sizeof(m->body) - n, text);
}

static void drop(msg_t *m, size_t i)
{
	free(m->f[i].name);
	free(m->f[i].value);
	memmove(&m->f[i], &m->f[i + 1], (m->n - i - 1) * sizeof(m->f[0]));
	m->n--;
}

/* Index of the field name with "i=N;" (ARC) or the first one (N 0). */
static int find(const msg_t *m, const char *name, unsigned inst)
{
	char tag[16];
	size_t i;

	snprintf(tag, sizeof(tag), "i=%u;", inst);
	for (i = 0; i < m->n; i++)
		if (strcasecmp(m->f[i].name, name) == 0 &&
		    (inst == 0 || strstr(m->f[i].value, tag) != NULL))
			return (int)i;
	return -1;
}

/* Bottom-up selection for h= in the sealer (independent of arc.c's). */
static void canon_h(strbuf_t *sb, const msg_t *m, const char *h,
    arc_canon_t c)
{
	char names[512], *save = NULL, *tok;
	int used[MAXF] = { 0 };
	int i;

	str_copy(names, sizeof(names), h);
	for (tok = strtok_r(names, ":", &save); tok != NULL;
	    tok = strtok_r(NULL, ":", &save))
		for (i = (int)m->n - 1; i >= 0; i--)
			if (!used[i] && strcasecmp(m->f[i].name, tok) == 0) {
				used[i] = 1;
				arc_canon_header(sb, c, m->f[i].name,
				    strlen(m->f[i].name), m->f[i].value,
				    strlen(m->f[i].value), true);
				break;
			}
}

typedef struct sealopt {
	const char *cv, *h, *c, *alg, *ams_extra, *as_extra;
	long t;
	bool no_c;
} sealopt_t;

static void finish(strbuf_t *sb, const tkey_t *k, char *value, size_t len)
{
	unsigned char dg[32], sig[1024];
	char enc[1400];

	EVP_Digest(sb->s, sb->len, dg, NULL, EVP_sha256(), NULL);
	b64(sig, sign(k, dg, sig), enc);
	str_format(value + strlen(value), len - strlen(value), "%s", enc);
}

/* Add set inst (one more than the highest present) sealed with k. */
static void seal(msg_t *m, const tkey_t *k, unsigned inst, sealopt_t o)
{
	char aar[256], ams[2048], as[2048], bhs[64], c[64] = "";
	unsigned char bh[32];
	arc_canon_t hc = ARC_CANON_RELAXED, bc = ARC_CANON_RELAXED;
	arc_bodyhash_t *h;
	strbuf_t sb;
	unsigned i;

	if (o.c != NULL)
		arc_canon_parse(o.c, strlen(o.c), &hc, &bc);
	h = arc_bodyhash_new(bc);
	arc_bodyhash_update(h, (unsigned char *)m->body, strlen(m->body));
	arc_bodyhash_final(h, bh);
	arc_bodyhash_free(h);
	b64(bh, 32, bhs);
	if (!o.no_c)
		snprintf(c, sizeof(c), " c=%s;", o.c ? o.c : "relaxed/relaxed");
	snprintf(aar, sizeof(aar), " i=%u; mx.%s; spf=pass "
	    "smtp.mailfrom=origin.example", inst, k->dom);
	add_top(m, "ARC-Authentication-Results", aar);
	snprintf(ams, sizeof(ams), " i=%u; a=%s;%s d=%s; s=%s; t=%ld;%s "
	    "h=%s; bh=%s; b=", inst, o.alg ? o.alg : k->ed ?
	    "ed25519-sha256" : "rsa-sha256", c, k->dom, k->sel,
	    o.t ? o.t : (long)time(NULL), o.ams_extra ? o.ams_extra : "",
	    o.h ? o.h : "from:to:subject:date", bhs);
	strbuf_init(&sb, 1 << 20);
	canon_h(&sb, m, o.h ? o.h : "from:to:subject:date", hc);
	arc_canon_header(&sb, hc, "ARC-Message-Signature", 21, ams,
	    strlen(ams), false);
	finish(&sb, k, ams, sizeof(ams));
	add_top(m, "ARC-Message-Signature", ams);
	snprintf(as, sizeof(as), " i=%u; a=%s; cv=%s; d=%s; s=%s; t=%ld;%s "
	    "b=", inst, o.alg ? o.alg : k->ed ? "ed25519-sha256" :
	    "rsa-sha256", o.cv ? o.cv : inst == 1 ? "none" : "pass", k->dom,
	    k->sel, o.t ? o.t : (long)time(NULL), o.as_extra ? o.as_extra :
	    "");
	strbuf_reset(&sb);
	for (i = 1; i <= inst; i++) {
		static const char *kinds[3] = { "ARC-Authentication-Results",
		    "ARC-Message-Signature", "ARC-Seal" };
		int j, f;

		for (j = 0; j < (i == inst ? 2 : 3); j++) {
			f = find(m, kinds[j], i);
			arc_canon_header(&sb, ARC_CANON_RELAXED, m->f[f].name,
			    strlen(m->f[f].name), m->f[f].value,
			    strlen(m->f[f].value), true);
		}
	}
	arc_canon_header(&sb, ARC_CANON_RELAXED, "ARC-Seal", 8, as,
	    strlen(as), false);
	finish(&sb, k, as, sizeof(as));
	add_top(m, "ARC-Seal", as);
	strbuf_free(&sb);
}

static const sealopt_t DEF;

/* ---- verification ------------------------------------------------------ */

static arc_engine_t *engine;
static char reason[ARC_REASON_MAX];
static arc_result_t last;

static arc_cv_t run(const msg_t *m, time_t now, size_t chunk)
{
	arc_verify_t *v = arc_verify_new(engine);
	const arc_result_t *r;
	size_t i, n = strlen(m->body);

	if (now)
		arc_verify_set_time(v, now);
	for (i = 0; i < m->n; i++)
		arc_verify_header(v, m->f[i].name, m->f[i].value);
	arc_verify_eoh(v);
	for (i = 0; i < n; i += chunk)
		arc_verify_body(v, (const unsigned char *)m->body + i,
		    n - i < chunk ? n - i : chunk);
	r = arc_verify_eom(v);
	last = *r;
	str_copy(reason, sizeof(reason), r->reason);
	arc_verify_free(v);
	return last.cv;
}

static void expect(const msg_t *m, arc_cv_t cv, const char *why,
    const char *what)
{
	arc_cv_t got = run(m, 0, 4096);

	if (!ok(got == cv && (why == NULL || strstr(reason, why) != NULL),
	    "%s: %s", what, arc_cv_name(cv)))
		diag("got %s, reason '%s', wanted '%s'", arc_cv_name(got),
		    reason, why ? why : "");
}

/* Set value of field idx. */
static void set_value(msg_t *m, int idx, const char *value)
{
	free(m->f[idx].value);
	m->f[idx].value = strdup(value);
}

/* Replace the first occurrence of from by to in field idx. */
static void edit(msg_t *m, int idx, const char *from, const char *to)
{
	char buf[30000], *p = strstr(m->f[idx].value, from);

	if (p == NULL) {
		diag("edit: '%s' not found", from);
		return;
	}
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - m->f[idx].value),
	    m->f[idx].value, to, p + strlen(from));
	set_value(m, idx, buf);
}

/* Replace the b= value (the last tag in the sealer's fields). */
static void set_b(msg_t *m, int idx, const char *b)
{
	char buf[30000];
	const char *v = m->f[idx].value, *p = strstr(v, " b=");

	snprintf(buf, sizeof(buf), "%.*s b=%s", (int)(p - v), v, b);
	set_value(m, idx, buf);
}

/* ---- the cases --------------------------------------------------------- */

static tkey_t k1, k2, k3, ked, kweak;

static msg_t *chain(unsigned hops)
{
	msg_t *m = msg_new();
	const tkey_t *ks[3] = { &k1, &k2, &k3 };
	unsigned i;

	for (i = 1; i <= hops; i++)
		seal(m, ks[(i - 1) % 3], i, DEF);
	return m;
}

static void passing(void)
{
	msg_t *m = msg_new();
	sealopt_t o = DEF;

	expect(m, ARC_CV_NONE, "", "no ARC header fields");
	is_int(last.nsets, 0, "  no sets");
	msg_free(m);

	m = chain(1);
	expect(m, ARC_CV_PASS, "", "1 hop, rsa-sha256 2048");
	is_int(last.oldest_pass, 1, "  oldest_pass 1");
	is_int(arc_oldest_pass_property(&last), 0, "  header.oldest-pass 0");
	is_str(last.set[0].sealer, "sealer1.example", "  sealer domain");
	is_str(last.set[0].selector, "s1", "  selector");
	is_str(last.set[0].aar, "mx.sealer1.example; spf=pass "
	    "smtp.mailfrom=origin.example", "  AAR text after i=1;");
	ok(last.set[0].ams_valid && last.set[0].as_valid &&
	    last.set[0].ams_signs_from, "  AMS, AS valid; AMS signs From");
	is_int(run(m, 0, 1), ARC_CV_PASS, "  body fed byte by byte");
	msg_free(m);

	m = chain(3);
	expect(m, ARC_CV_PASS, "", "3 hops (2048, 1024, 2048 bits)");
	is_int(last.nsets, 3, "  3 sets");
	is_str(last.set[2].sealer, "sealer3.example", "  i=3 sealer");
	msg_free(m);

	m = chain(1);
	body_add(m, "-- \r\nfooter\r\n");
	seal(m, &k2, 2, DEF);
	expect(m, ARC_CV_PASS, "", "footer added before hop 2 sealed");
	is_int(last.oldest_pass, 2, "  oldest_pass 2");
	is_int(arc_oldest_pass_property(&last), 2, "  header.oldest-pass 2");
	ok(!last.set[0].ams_valid && last.set[1].ams_valid,
	    "  AMS(1) invalid, AMS(2) valid");
	msg_free(m);

	m = msg_new();
	seal(m, &ked, 1, DEF);
	expect(m, ARC_CV_PASS, "", "ed25519-sha256 (RFC 8463)");
	seal(m, &k1, 2, DEF);
	expect(m, ARC_CV_PASS, "", "ed25519 then rsa");
	msg_free(m);

	m = msg_new();
	o.c = "simple/simple";
	seal(m, &k1, 1, o);
	expect(m, ARC_CV_PASS, "", "c=simple/simple");
	set_value(m, find(m, "Subject", 0), " test\r\n message");
	expect(m, ARC_CV_FAIL, "AMS signature does not verify",
	    "  simple: refolded Subject breaks it");
	msg_free(m);

	m = msg_new();
	o.no_c = true;
	seal(m, &k1, 1, o);
	expect(m, ARC_CV_PASS, "", "no c= means simple/simple");
	msg_free(m);

	m = chain(1);
	set_value(m, find(m, "Subject", 0), "  test \r\n  message  ");
	expect(m, ARC_CV_PASS, "", "relaxed: refolded Subject still passes");
	add_top(m, "X-Added", " after sealing");
	expect(m, ARC_CV_PASS, "", "unsigned header added");
	msg_free(m);
}

static void over_signing(void)
{
	msg_t *m = msg_new();
	sealopt_t o = DEF;

	o.h = "from:from:to:subject:x-missing";
	seal(m, &k1, 1, o);
	expect(m, ARC_CV_PASS, "", "h= over-signs From, names a missing "
	    "field");
	add_top(m, "X-Missing", " now here");
	expect(m, ARC_CV_FAIL, "AMS signature", "  missing field added");
	drop(m, 0);
	add_top(m, "From", " mallory@evil.example");
	expect(m, ARC_CV_FAIL, "AMS signature", "  second From added");
	msg_free(m);

	m = msg_new();
	o.h = "to:subject";
	seal(m, &k1, 1, o);
	expect(m, ARC_CV_PASS, "", "AMS not signing From verifies");
	ok(!last.set[0].ams_signs_from, "  and says so (ams_signs_from)");
	msg_free(m);

	m = msg_new();
	o.h = "from:subject:arc-seal";
	seal(m, &k1, 1, DEF);
	seal(m, &k2, 2, o);
	expect(m, ARC_CV_FAIL, "signs ARC-Seal", "AMS h= naming ARC-Seal");
	msg_free(m);
}

/* One mutation of a passing 1-hop chain. */
static void mutated(const char *field, unsigned inst, const char *from,
    const char *to, const char *why, const char *what)
{
	msg_t *m = chain(1);

	edit(m, find(m, field, inst), from, to);
	expect(m, ARC_CV_FAIL, why, what);
	msg_free(m);
}

static void structure_tags(void)
{
	mutated("ARC-Message-Signature", 1, "i=1;", "", "no i= tag",
	    "AMS without i=");
	mutated("ARC-Message-Signature", 1, "i=1;", "i=0;",
	    "i= not in 1..50", "AMS i=0");
	mutated("ARC-Seal", 1, "i=1;", "i=51;", "i= not in 1..50",
	    "AS i=51");
	mutated("ARC-Seal", 1, "i=1;", "i=001;", "i= not in 1..50",
	    "AS i=001 (more than two digits)");
	mutated("ARC-Authentication-Results", 1, "i=1;", "i=51;",
	    "does not start with i=N;", "AAR i=51");
	mutated("ARC-Authentication-Results", 1, "i=1;", "i=1",
	    "does not start with i=N;", "AAR i=1 without ;");
	mutated("ARC-Message-Signature", 1, "i=1;", "i=1; d=x.example;",
	    "duplicate tag", "AMS with d= twice");
	mutated("ARC-Seal", 1, "i=1;", "i=1;;", "bad tag name",
	    "AS with ;;");
	mutated("ARC-Seal", 1, "cv=none", "cv=pass", "cv=pass (must be none)",
	    "i=1 cv=pass");
	mutated("ARC-Seal", 1, "cv=none", "cv=fail", "marked cv=fail",
	    "i=1 cv=fail");
	mutated("ARC-Seal", 1, "cv=none; ", "", "cv=(missing)", "AS without "
	    "cv=");
}

static void structure_sets(void)
{
	msg_t *m;
	char big[20000];
	size_t i;

	m = chain(3);
	for (i = 0; i < 3; i++)
		drop(m, (size_t)find(m, i == 0 ? "ARC-Seal" : i == 1 ?
		    "ARC-Message-Signature" : "ARC-Authentication-Results", 2));
	expect(m, ARC_CV_FAIL, "gap at i=2", "set 2 of 3 missing");
	msg_free(m);
	m = chain(2);
	drop(m, (size_t)find(m, "ARC-Seal", 1));
	expect(m, ARC_CV_FAIL, "i=1: no ARC-Seal", "AS(1) missing");
	msg_free(m);
	m = chain(2);
	edit(m, find(m, "ARC-Seal", 2), "cv=pass", "cv=fail");
	expect(m, ARC_CV_FAIL, "i=2: chain already marked cv=fail",
	    "newest seal says cv=fail");
	msg_free(m);
	m = chain(1);
	add_top(m, "ARC-Authentication-Results", m->f[find(m,
	    "ARC-Authentication-Results", 1)].value);
	expect(m, ARC_CV_FAIL, "duplicate ARC-Authentication-Results",
	    "AAR(1) twice");
	msg_free(m);

	m = chain(2);               /* set 1 moved above set 2 */
	for (i = 0; i < 3; i++) {
		fld_t f = m->f[3 + i];

		memmove(&m->f[1 + i], &m->f[i], 3 * sizeof(f));
		m->f[i] = f;
	}
	ok(strstr(m->f[0].value, "i=1;") != NULL, "set 1 now on top");
	expect(m, ARC_CV_PASS, "", "sets out of order: instance order counts");
	msg_free(m);

	m = chain(1);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, " i=1; b=", 8);
	set_value(m, find(m, "ARC-Seal", 1), big);
	expect(m, ARC_CV_FAIL, "longer than 16384", "20 KB ARC-Seal");
	msg_free(m);
	m = chain(1);
	memset(big, 'A', 2100);
	big[2100] = '\0';
	set_b(m, find(m, "ARC-Seal", 1), big);
	expect(m, ARC_CV_FAIL, "b= is too long", "AS b= of 2100 characters");
	msg_free(m);
	mutated("ARC-Seal", 1, "b=", "b=!!!!", "b= is not base64",
	    "AS b= not base64");
	mutated("ARC-Message-Signature", 1, "bh=", "bh=*", "bh= is not base64",
	    "AMS bh= not base64");
	mutated("ARC-Message-Signature", 1, "a=rsa-sha256", "a=rsa-sha512",
	    "unknown algorithm", "AMS a=rsa-sha512");
	mutated("ARC-Seal", 1, "a=rsa-sha256", "a=rsa-sha1",
	    "rsa-sha1 not allowed", "AS a=rsa-sha1 (RFC 8301)");
	mutated("ARC-Message-Signature", 1, "d=sealer1.example",
	    "d=sealer1..example", "bad or no d=", "AMS d= with empty label");
	mutated("ARC-Seal", 1, "s=s1", "s=s(1)", "bad or no s=",
	    "AS s= with parentheses");
}

static void many(void)
{
	msg_t *m = chain(1);
	clock_t c0;
	size_t i;

	for (i = 0; i < 500; i++)
		add_top(m, "ARC-Seal", " i=1; a=rsa-sha256; b=AAAA");
	expect(m, ARC_CV_FAIL, "more than 150 ARC header fields",
	    "500 ARC-Seal fields");
	msg_free(m);

	m = chain(1);
	for (i = 0; i < 4100; i++)
		add_top(m, "Received", " from x by y");
	expect(m, ARC_CV_FAIL, "more than 4096 header fields", "4100 more fields");
	msg_free(m);
	m = msg_new();
	for (i = 0; i < 4100; i++)
		add_top(m, "Received", " from x by y");
	expect(m, ARC_CV_NONE, "", "  the same without ARC is none");
	msg_free(m);

	m = msg_new();
	for (i = 0; i < 3000; i++)
		add_top(m, i % 2 ? "Received" : "X-Filler", " from x by y");
	for (i = 1; i <= 50; i++)
		seal(m, i % 2 ? &k2 : &ked, (unsigned)i, DEF);
	nqueries = 0;
	c0 = clock();
	expect(m, ARC_CV_PASS, "", "50 sets over 3000 other fields");
	diag("50 sets verified in %.0f ms CPU, %zu key lookups",
	    (double)(clock() - c0) * 1000 / CLOCKS_PER_SEC, nqueries);
	ok(nqueries == 2, "  keys fetched once each (cached)");
	seal(m, &k2, 51, DEF);
	expect(m, ARC_CV_FAIL, "more than 150 ARC header fields", "51 sets");
	msg_free(m);
}

static void keys(void)
{
	sealopt_t o = DEF;
	tkey_t kx;
	msg_t *m;
	char rec[] = "v=DKIM1; k=rsa; p=MIIB\0AAAA";

	m = msg_new();
	seal(m, &kweak, 1, DEF);
	expect(m, ARC_CV_FAIL, "weak key (RFC 8301)", "512-bit RSA key");
	msg_free(m);

	kx = make_key("rsa", 1024, "gone", "revoked.example");
	zone[nzone - 1].len = strlen("v=DKIM1; k=rsa; p=");
	m = msg_new();
	seal(m, &kx, 1, DEF);
	expect(m, ARC_CV_FAIL, "key revoked", "revoked key (empty p=)");
	str_copy(zone[nzone - 1].name, sizeof(zone[0].name), "elsewhere");
	expect(m, ARC_CV_FAIL, "no key (NXDOMAIN)", "no key record");
	ok(!last.temperror, "  not a temporary error");
	str_copy(zone[nzone - 1].name, sizeof(zone[0].name),
	    "gone._domainkey.revoked.example");
	memcpy(zone[nzone - 1].rec, rec, sizeof(rec));
	zone[nzone - 1].len = sizeof(rec) - 1;
	expect(m, ARC_CV_FAIL, "NUL in key record", "NUL byte in key record");
	zone[nzone - 1].st = DNSOPS_TEMPFAIL;
	expect(m, ARC_CV_FAIL, "key lookup: timeout", "key lookup times out");
	ok(last.temperror, "  temperror set");
	msg_free(m);
	EVP_PKEY_free(kx.pk);

	m = msg_new();
	o.alg = "rsa-sha256";
	seal(m, &ked, 1, o);
	expect(m, ARC_CV_FAIL, "key type does not match", "ed25519 key, "
	    "a=rsa-sha256");
	msg_free(m);
}

static void times_and_tags(void)
{
	time_t now = time(NULL);
	sealopt_t o = DEF;
	msg_t *m;

	m = msg_new();
	o.t = (long)now + 100000;
	seal(m, &k1, 1, o);
	expect(m, ARC_CV_FAIL, "t= is in the future", "t= a day ahead");
	is_int(run(m, now + 100000, 4096), ARC_CV_PASS,
	    "  passes as of that time (arc_verify_set_time)");
	msg_free(m);

	m = msg_new();
	o = DEF;
	o.t = 1000;
	o.ams_extra = " x=2000;";
	seal(m, &k1, 1, o);
	expect(m, ARC_CV_FAIL, "has expired (x=)", "AMS x= in the past");
	is_int(run(m, 1500, 4096), ARC_CV_PASS, "  passes before x=");
	msg_free(m);
	m = msg_new();
	o.ams_extra = " x=999;";
	seal(m, &k1, 1, o);
	is_int(run(m, 500, 4096), ARC_CV_FAIL, "AMS x= before t=");
	msg_free(m);

	m = msg_new();
	o = DEF;
	o.ams_extra = " l=10;";
	seal(m, &k1, 1, o);
	expect(m, ARC_CV_FAIL, "l= (not allowed)", "AMS with (signed) l=");
	msg_free(m);
	m = msg_new();
	o = DEF;
	o.as_extra = " h=from;";
	seal(m, &k1, 1, o);
	expect(m, ARC_CV_FAIL, "h= (not allowed)", "AS with (signed) h=");
	msg_free(m);
	m = msg_new();
	o = DEF;
	o.ams_extra = " v=1; q=dns/txt; z=unknown;";
	seal(m, &k1, 1, o);
	expect(m, ARC_CV_PASS, "", "AMS v=, q=dns/txt, unknown z= ignored");
	msg_free(m);
	m = msg_new();
	o.ams_extra = " q=http;";
	seal(m, &k1, 1, o);
	expect(m, ARC_CV_FAIL, "unknown q=", "AMS q=http");
	msg_free(m);
}

static void tampering(void)
{
	msg_t *m = chain(2);

	body_add(m, "x");
	expect(m, ARC_CV_FAIL, "i=2: AMS body hash mismatch", "body changed");
	msg_free(m);
	m = chain(2);
	edit(m, find(m, "ARC-Authentication-Results", 1), "spf=pass",
	    "dkim=pass");
	expect(m, ARC_CV_FAIL, "AS signature does not verify", "AAR(1) "
	    "rewritten");
	ok(last.set[1].ams_valid, "  newest AMS still valid");
	msg_free(m);
	m = chain(2);
	set_b(m, find(m, "ARC-Seal", 1), "AAAA");
	expect(m, ARC_CV_FAIL, "i=2: AS signature does not verify",
	    "AS(1) b= replaced: AS(2), which covers it, fails first");
	msg_free(m);
	m = chain(1);
	{
		int a = find(m, "ARC-Authentication-Results", 1);
		char longaar[3000];

		memset(longaar, 'x', sizeof(longaar) - 1);
		longaar[sizeof(longaar) - 1] = '\0';
		memcpy(longaar, " i=1; ", 6);
		set_value(m, a, longaar);
		run(m, 0, 4096);
		is_int(strlen(last.set[0].aar), ARC_AAR_MAX - 1,
		    "3000-byte AAR text cut to ARC_AAR_MAX - 1");
	}
	msg_free(m);
}

static void api_edges(void)
{
	arc_verify_t *v = arc_verify_new(engine);
	const arc_result_t *r;

	is_int(arc_verify_header(v, "ARC-Seal", NULL), -1, "NULL value");
	arc_verify_eoh(v);
	is_int(arc_verify_header(v, "From", " x@y"), -1, "header after eoh");
	r = arc_verify_eom(v);
	ok(r == arc_verify_eom(v), "eom twice gives the same result");
	is_str(arc_cv_name(r->cv), "none", "cv none");
	arc_verify_free(v);
	arc_verify_free(NULL);
	arc_engine_free(NULL);
	is_str(arc_cv_name(ARC_CV_PASS), "pass", "arc_cv_name pass");
	is_str(arc_cv_name(ARC_CV_FAIL), "fail", "arc_cv_name fail");
	v = arc_verify_new(engine);
	arc_verify_header(v, "ARC-Seal", " i=1; cv=none; a=rsa-sha256; "
	    "b=AAAA; d=x.example; s=s");
	r = arc_verify_eom(v);                  /* no eoh, no body */
	is_str(arc_cv_name(r->cv), "fail", "eom without eoh still checks");
	arc_verify_free(v);
}

int main(void)
{
	dns_ops_t ops = { table_txt, NULL, NULL };
	char err[128];

	engine = arc_engine_new_ops(&ops, err, sizeof(err));
	k1 = make_key("rsa", 2048, "s1", "sealer1.example");
	k2 = make_key("rsa", 1024, "s2", "sealer2.example");
	k3 = make_key("rsa", 2048, "s3", "sealer3.example");
	ked = make_key("ed25519", 0, "ed", "edsealer.example");
	kweak = make_key("rsa", 512, "weak", "weak.example");
	passing();
	over_signing();
	structure_tags();
	structure_sets();
	many();
	keys();
	times_and_tags();
	tampering();
	api_edges();
	arc_engine_free(engine);
	EVP_PKEY_free(k1.pk);
	EVP_PKEY_free(k2.pk);
	EVP_PKEY_free(k3.pk);
	EVP_PKEY_free(ked.pk);
	EVP_PKEY_free(kweak.pk);
	return tap_done();
}
