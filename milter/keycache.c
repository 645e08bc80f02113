/*
 * keycache - parsed public keys shared between messages.  See keycache.h.
 */
#include "keycache.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

typedef struct keycache_slot {
	unsigned char *der;
	size_t len;
	EVP_PKEY *pkey;
} keycache_slot_t;

typedef EVP_PKEY *(*d2i_bio_fn)(BIO *, EVP_PKEY **);

static pthread_mutex_t keycache_lock = PTHREAD_MUTEX_INITIALIZER;
static keycache_slot_t keycache_slot[KEYCACHE_SLOTS];
static unsigned long keycache_hits, keycache_misses;
static atomic_bool keycache_on;
static pthread_once_t keycache_once = PTHREAD_ONCE_INIT;
static d2i_bio_fn keycache_real_d2i;

void keycache_enable(void)
{
	atomic_store(&keycache_on, true);
}

void keycache_stats(unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&keycache_lock);
	*hits = keycache_hits;
	*misses = keycache_misses;
	pthread_mutex_unlock(&keycache_lock);
}

/* FNV-1a: the slot only; equality is checked on the bytes. */
static size_t keycache_index(const unsigned char *der, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= der[i];
		h *= 1099511628211ULL;
	}
	return (size_t)(h % KEYCACHE_SLOTS);
}

static EVP_PKEY *keycache_find(size_t i, const unsigned char *der,
    size_t len)
{
	keycache_slot_t *s = &keycache_slot[i];
	EVP_PKEY *k = NULL;

	pthread_mutex_lock(&keycache_lock);
	if (s->pkey != NULL && s->len == len && memcmp(s->der, der, len) == 0
	    && EVP_PKEY_up_ref(s->pkey) == 1) {
		k = s->pkey;
		keycache_hits++;
	} else
		keycache_misses++;
	pthread_mutex_unlock(&keycache_lock);
	return k;
}

static void keycache_store(size_t i, const unsigned char *der, size_t len,
    EVP_PKEY *k)
{
	keycache_slot_t *s = &keycache_slot[i], old;
	unsigned char *copy = malloc(len);

	if (copy == NULL || EVP_PKEY_up_ref(k) != 1) {
		free(copy);
		return;
	}
	memcpy(copy, der, len);
	pthread_mutex_lock(&keycache_lock);
	old = *s;
	s->der = copy;
	s->len = len;
	s->pkey = k;
	pthread_mutex_unlock(&keycache_lock);
	free(old.der);
	EVP_PKEY_free(old.pkey);
}

EVP_PKEY *keycache_get(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k;
	size_t i;

	if (der == NULL || len == 0)
		return NULL;
	if (len > KEYCACHE_DER_MAX) {
		k = d2i_PUBKEY(NULL, &p, (long)len);
		if (k != NULL && p != der + len) {
			EVP_PKEY_free(k);
			k = NULL;
		}
		return k;
	}
	i = keycache_index(der, len);
	if ((k = keycache_find(i, der, len)) != NULL)
		return k;
	k = d2i_PUBKEY(NULL, &p, (long)len);
	if (k != NULL && p != der + len) {      /* trailing bytes */
		EVP_PKEY_free(k);
		return NULL;
	}
	if (k != NULL)
		keycache_store(i, der, len, k);
	return k;
}

static void keycache_resolve(void)
{
	keycache_real_d2i = (d2i_bio_fn)dlsym(RTLD_NEXT, "d2i_PUBKEY_bio");
}

/* Length of the DER object at data (header included), or 0. */
static size_t der_length(const unsigned char *data, long avail)
{
	const unsigned char *p = data;
	long content;
	int tag, xclass;

	if (ASN1_get_object(&p, &content, &tag, &xclass, avail) & 0x80)
		return 0;
	if (tag != V_ASN1_SEQUENCE || content > avail - (long)(p - data))
		return 0;
	return (size_t)(p - data) + (size_t)content;
}

/* The interposer (see keycache.h).  A memory BIO holds the whole key; one
 * DER object is consumed from it, as OpenSSL's function does. */
EVP_PKEY *d2i_PUBKEY_bio(BIO *bp, EVP_PKEY **a)
{
	const unsigned char *data;
	unsigned char skip[256];
	long avail;
	size_t used;
	int got;
	EVP_PKEY *k;

	pthread_once(&keycache_once, keycache_resolve);
	if (!atomic_load(&keycache_on) || a != NULL || bp == NULL ||
	    BIO_method_type(bp) != BIO_TYPE_MEM ||
	    (avail = BIO_get_mem_data(bp, (char **)&data)) <= 0 ||
	    (used = der_length(data, avail)) == 0)
		return keycache_real_d2i ? keycache_real_d2i(bp, a) : NULL;
	k = keycache_get(data, used);
	while (k != NULL && used > 0) {
		got = BIO_read(bp, skip, (int)(used < sizeof(skip) ? used :
		    sizeof(skip)));
		if (got <= 0)
			break;
		used -= (size_t)got;
	}
	return k;
}
