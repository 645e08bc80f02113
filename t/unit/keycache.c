/*
 * Unit tests for milter/keycache: hits and misses, exact-bytes matching,
 * trailing and garbage bytes, slot replacement, the d2i_PUBKEY_bio()
 * interposer libopendkim calls (memory BIO consumed exactly, other BIOs
 * and calls before keycache_enable() left to OpenSSL), and shared keys
 * used for verification from several threads.
 */
#include "../../milter/keycache.h"
#include "../tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define THREADS 8
#define ROUNDS 400

typedef struct der {
	unsigned char *p;
	int len;
} der_t;

static EVP_PKEY *rsa_pair;
static der_t rsa_der;

static der_t spki(EVP_PKEY *k)
{
	der_t d = { NULL, i2d_PUBKEY(k, NULL) };
	unsigned char *q;

	if (d.len <= 0 || (d.p = malloc((size_t)d.len + 8)) == NULL)
		abort();
	q = d.p;
	i2d_PUBKEY(k, &q);
	return d;
}

static EVP_PKEY *ed25519_new(void)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);

	if (c == NULL || EVP_PKEY_keygen_init(c) != 1 ||
	    EVP_PKEY_keygen(c, &k) != 1)
		abort();
	EVP_PKEY_CTX_free(c);
	return k;
}

static void test_get(void)
{
	unsigned long h0, m0, h1, m1;
	EVP_PKEY *a, *b, *c;
	unsigned char junk[64];

	keycache_stats(&h0, &m0);
	a = keycache_get(rsa_der.p, (size_t)rsa_der.len);
	b = keycache_get(rsa_der.p, (size_t)rsa_der.len);
	keycache_stats(&h1, &m1);
	ok(a != NULL && EVP_PKEY_eq(a, rsa_pair) == 1, "key parsed");
	ok(a == b, "same bytes: the same shared key");
	is_int(h1 - h0, 2, "cached by the interposer: two hits");
	is_int(m1 - m0, 0, "no miss");
	rsa_der.p[rsa_der.len] = 0;
	c = keycache_get(rsa_der.p, (size_t)rsa_der.len + 1);
	ok(c == NULL, "trailing byte: no key");
	EVP_PKEY_free(c);
	memset(junk, 0x30, sizeof(junk));
	ok(keycache_get(junk, sizeof(junk)) == NULL, "garbage: no key");
	ok(keycache_get(rsa_der.p, 0) == NULL, "empty: no key");
	ok(keycache_get(NULL, 10) == NULL, "NULL: no key");
	ok(keycache_get(rsa_der.p, (size_t)rsa_der.len - 1) == NULL,
	    "truncated DER: no key");
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

/* More keys than slots: every answer must still be the right key. */
static void test_many(void)
{
	enum { N = 3 * KEYCACHE_SLOTS };
	EVP_PKEY **k = calloc(N, sizeof(*k));
	der_t *d = calloc(N, sizeof(*d));
	int i, round, right = 0, again = 0;
	EVP_PKEY *got;

	for (i = 0; i < N; i++) {
		k[i] = ed25519_new();
		d[i] = spki(k[i]);
	}
	for (round = 0; round < 2; round++)
		for (i = 0; i < N; i++) {
			got = keycache_get(d[i].p, (size_t)d[i].len);
			right += got != NULL && EVP_PKEY_eq(got, k[i]) == 1;
			EVP_PKEY_free(got);
		}
	is_int(right, 2 * N, "%d keys twice through %d slots: always the "
	    "right key", N, KEYCACHE_SLOTS);
	for (i = 0; i < 16; i++) {
		EVP_PKEY *x = keycache_get(d[N - 1].p, (size_t)d[N - 1].len);
		EVP_PKEY *y = keycache_get(d[N - 1].p, (size_t)d[N - 1].len);

		again += x == y;
		EVP_PKEY_free(x);
		EVP_PKEY_free(y);
	}
	is_int(again, 16, "last key stays cached");
	for (i = 0; i < N; i++) {
		EVP_PKEY_free(k[i]);
		free(d[i].p);
	}
	free(k);
	free(d);
}

static void test_interposer(void)
{
	unsigned long h0, m0, h1, m1;
	BIO *b;
	EVP_PKEY *k;
	char tmpl[] = "/tmp/keycache-XXXXXX";
	int fd, i;

	memcpy(rsa_der.p + rsa_der.len, "XYZ", 3);
	keycache_stats(&h0, &m0);
	b = BIO_new_mem_buf(rsa_der.p, rsa_der.len + 3);
	k = d2i_PUBKEY_bio(b, NULL);
	keycache_stats(&h1, &m1);
	ok(k != NULL && EVP_PKEY_eq(k, rsa_pair) == 1,
	    "before keycache_enable(): OpenSSL parses");
	is_int((h1 - h0) + (m1 - m0), 0, "before keycache_enable(): no "
	    "cache use");
	EVP_PKEY_free(k);
	BIO_free(b);

	keycache_enable();
	for (i = 0; i < 2; i++) {
		b = BIO_new_mem_buf(rsa_der.p, rsa_der.len + 3);
		k = d2i_PUBKEY_bio(b, NULL);
		ok(k != NULL && EVP_PKEY_eq(k, rsa_pair) == 1,
		    "memory BIO: key (%d)", i);
		is_int(BIO_pending(b), 3, "memory BIO: exactly one DER object "
		    "read (%d)", i);
		EVP_PKEY_free(k);
		BIO_free(b);
	}
	keycache_stats(&h1, &m1);
	is_int(m1 - m0, 1, "memory BIO: parsed once");
	is_int(h1 - h0, 1, "memory BIO: then answered from the cache");

	b = BIO_new_mem_buf("\x30\x03\x02\x01\x00", 5);
	ok(d2i_PUBKEY_bio(b, NULL) == NULL, "memory BIO, not a key: NULL");
	BIO_free(b);
	b = BIO_new_mem_buf("\x30\x82\xff\xff", 4);
	ok(d2i_PUBKEY_bio(b, NULL) == NULL, "memory BIO, length past the "
	    "data: NULL");
	BIO_free(b);

	if ((fd = mkstemp(tmpl)) < 0 ||
	    write(fd, rsa_der.p, (size_t)rsa_der.len) != rsa_der.len)
		abort();
	close(fd);
	b = BIO_new_file(tmpl, "rb");
	k = d2i_PUBKEY_bio(b, NULL);
	ok(k != NULL && EVP_PKEY_eq(k, rsa_pair) == 1, "file BIO: OpenSSL "
	    "parses");
	EVP_PKEY_free(k);
	BIO_free(b);
	unlink(tmpl);
}

typedef struct job {
	const unsigned char *sig;
	size_t siglen;
	int good;
} job_t;

static void *verify_many(void *arg)
{
	job_t *j = arg;
	static const unsigned char msg[] = "shared key, many threads";
	EVP_MD_CTX *md;
	EVP_PKEY *k;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		k = keycache_get(rsa_der.p, (size_t)rsa_der.len);
		md = EVP_MD_CTX_new();
		if (k != NULL && md != NULL &&
		    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1
		    && EVP_DigestVerify(md, j->sig, j->siglen, msg,
		    sizeof(msg)) == 1)
			j->good++;
		EVP_MD_CTX_free(md);
		EVP_PKEY_free(k);
	}
	return NULL;
}

static void test_threads(void)
{
	static const unsigned char msg[] = "shared key, many threads";
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	pthread_t t[THREADS];
	job_t job[THREADS];
	int i, good = 0;

	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, rsa_pair) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)) != 1)
		abort();
	EVP_MD_CTX_free(md);
	for (i = 0; i < THREADS; i++) {
		job[i] = (job_t){ sig, siglen, 0 };
		pthread_create(&t[i], NULL, verify_many, &job[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		good += job[i].good;
	}
	is_int(good, THREADS * ROUNDS, "%d threads verify with one cached "
	    "key", THREADS);
}

int main(void)
{
	rsa_pair = EVP_RSA_gen(2048);
	if (rsa_pair == NULL)
		abort();
	rsa_der = spki(rsa_pair);
	test_interposer();
	test_get();
	test_many();
	test_threads();
	EVP_PKEY_free(rsa_pair);
	free(rsa_der.p);
	return tap_done();
}
