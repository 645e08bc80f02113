/*
 * dnscache - answer cache in front of libunbound.  See dnscache.h.
 */
#include "dnscache.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/strbuf.h"

#define DNSCACHE_NAME_MAX 254

typedef struct dnscache_entry {
	bool used;
	int rrtype;
	uint64_t expires_ms;            /* CLOCK_MONOTONIC */
	char name[DNSCACHE_NAME_MAX];   /* lower case */
	dns_result_t res;               /* records owned by the entry */
} dnscache_entry_t;

struct dnscache {
	pthread_mutex_t lock;
	unsigned keep_s;                /* fallback table: seconds kept */
	dnscache_entry_t slot[DNSCACHE_SLOTS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Lower-case key of name; false when it does not fit. */
static bool make_key(const char *name, char *key)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i + 1 >= DNSCACHE_NAME_MAX)
			return false;
		key[i] = (char)tolower((unsigned char)name[i]);
	}
	key[i] = '\0';
	return true;
}

static size_t slot_of(const char *key, int rrtype)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)rrtype;
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return (size_t)(h % DNSCACHE_SLOTS);
}

/* Deep copy of src's records into dst (the rest copied as is). */
static void copy_result(dns_result_t *dst, const dns_result_t *src)
{
	size_t i;

	*dst = *src;
	for (i = 0; i < src->count; i++) {
		if ((dst->data[i] = malloc(src->len[i] + 1)) == NULL)
			abort();
		memcpy(dst->data[i], src->data[i], src->len[i]);
		dst->data[i][src->len[i]] = '\0';
	}
}

dnscache_t *dnscache_new(void)
{
	dnscache_t *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

dnscache_t *dnscache_new_fallback(unsigned keep_s)
{
	dnscache_t *c = dnscache_new();

	c->keep_s = keep_s;
	return c;
}

void dnscache_free(dnscache_t *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < DNSCACHE_SLOTS; i++)
		if (c->slot[i].used)
			dns_result_free(&c->slot[i].res);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool dnscache_get(dnscache_t *c, const char *name, int rrtype,
    dns_result_t *res)
{
	char key[DNSCACHE_NAME_MAX];
	dnscache_entry_t *e;
	uint64_t now;
	bool hit = false;

	if (c == NULL || name == NULL || !make_key(name, key))
		return false;
	e = &c->slot[slot_of(key, rrtype)];
	now = now_ms();
	pthread_mutex_lock(&c->lock);
	if (e->used && e->rrtype == rrtype && e->expires_ms > now &&
	    strcmp(e->name, key) == 0) {
		copy_result(res, &e->res);
		res->ttl = (unsigned)((e->expires_ms - now + 999) / 1000);
		hit = true;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void dnscache_put(dnscache_t *c, const char *name, int rrtype,
    const dns_result_t *res)
{
	char key[DNSCACHE_NAME_MAX];
	dnscache_entry_t *e, old;
	size_t i, bytes = 0;
	unsigned ttl;

	if (c == NULL)
		return;
	ttl = c->keep_s ? c->keep_s : res->ttl;
	if (name == NULL || ttl == 0 || res->truncated ||
	    (res->status != DNSOPS_OK && res->status != DNSOPS_NODATA &&
	    res->status != DNSOPS_NXDOMAIN) || !make_key(name, key))
		return;
	for (i = 0; i < res->count; i++)
		bytes += res->len[i];
	if (bytes > DNSCACHE_ENTRY_MAX)
		return;
	if (ttl > DNSCACHE_TTL_MAX && c->keep_s == 0)
		ttl = DNSCACHE_TTL_MAX;
	e = &c->slot[slot_of(key, rrtype)];
	pthread_mutex_lock(&c->lock);
	old = *e;
	e->used = true;
	e->rrtype = rrtype;
	e->expires_ms = now_ms() + (uint64_t)ttl * 1000;
	str_copy(e->name, sizeof(e->name), key);
	copy_result(&e->res, res);
	pthread_mutex_unlock(&c->lock);
	if (old.used)
		dns_result_free(&old.res);
}
