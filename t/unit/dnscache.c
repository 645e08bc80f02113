/*
 * Unit tests for dns/dnscache: what is stored (OK, NODATA, NXDOMAIN
 * with a TTL) and what is not (temporary failures, TTL 0, truncated or
 * oversized answers, unusable names), case-insensitive names, expiry,
 * the TTL cap, independent copies, slot replacement and threads; the
 * fallback table (time kept instead of TTL).
 */
#include "../../dns/dnscache.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 8
#define ROUNDS 2000

/* An answer whose records spell out name and index. */
static void make(dns_result_t *r, const char *name, dnsops_status_t st,
    unsigned ttl, size_t count)
{
	char buf[300];
	size_t i;
	int n;

	memset(r, 0, sizeof(*r));
	r->status = st;
	r->rrtype = DNS_T_TXT;
	r->ttl = ttl;
	for (i = 0; i < count; i++) {
		n = snprintf(buf, sizeof(buf), "%s#%zu", name, i);
		r->data[i] = malloc((size_t)n + 1);
		memcpy(r->data[i], buf, (size_t)n + 1);
		r->len[i] = (size_t)n;
	}
	r->count = count;
}

static int same(const dns_result_t *a, const dns_result_t *b)
{
	size_t i;

	if (a->status != b->status || a->count != b->count ||
	    a->rrtype != b->rrtype)
		return 0;
	for (i = 0; i < a->count; i++)
		if (a->len[i] != b->len[i] ||
		    memcmp(a->data[i], b->data[i], a->len[i]) != 0)
			return 0;
	return 1;
}

static void test_store(dnscache_t *c)
{
	dns_result_t in, out, again;

	make(&in, "a.example", DNSOPS_OK, 60, 2);
	dnscache_put(c, "a.example", DNS_T_TXT, &in);
	ok(dnscache_get(c, "A.Example", DNS_T_TXT, &out) && same(&in, &out),
	    "stored answer found, name case-insensitive");
	ok(out.ttl >= 59 && out.ttl <= 60, "remaining TTL %u", out.ttl);
	out.data[0][0] = 'X';
	dns_result_free(&out);
	ok(dnscache_get(c, "a.example", DNS_T_TXT, &again) &&
	    same(&in, &again), "a returned copy is the caller's own");
	dns_result_free(&again);
	ok(!dnscache_get(c, "a.example", DNS_T_MX, &out),
	    "other type: not found");
	ok(!dnscache_get(c, "b.example", DNS_T_TXT, &out),
	    "other name: not found");
	dns_result_free(&in);

	make(&in, "nx.example", DNSOPS_NXDOMAIN, 5, 0);
	dnscache_put(c, "nx.example", DNS_T_TXT, &in);
	ok(dnscache_get(c, "nx.example", DNS_T_TXT, &out) &&
	    out.status == DNSOPS_NXDOMAIN, "NXDOMAIN stored");
	make(&in, "nd.example", DNSOPS_NODATA, 5, 0);
	dnscache_put(c, "nd.example", DNS_T_TXT, &in);
	ok(dnscache_get(c, "nd.example", DNS_T_TXT, &out) &&
	    out.status == DNSOPS_NODATA, "NODATA stored");
}

static void test_refused(dnscache_t *c)
{
	dns_result_t in, out;
	char big[300];

	make(&in, "t.example", DNSOPS_TEMPFAIL, 60, 0);
	dnscache_put(c, "t.example", DNS_T_TXT, &in);
	ok(!dnscache_get(c, "t.example", DNS_T_TXT, &out),
	    "temporary failure not stored");
	make(&in, "z.example", DNSOPS_OK, 0, 1);
	dnscache_put(c, "z.example", DNS_T_TXT, &in);
	ok(!dnscache_get(c, "z.example", DNS_T_TXT, &out), "TTL 0 not stored");
	dns_result_free(&in);
	make(&in, "tr.example", DNSOPS_OK, 60, 1);
	in.truncated = true;
	dnscache_put(c, "tr.example", DNS_T_TXT, &in);
	ok(!dnscache_get(c, "tr.example", DNS_T_TXT, &out),
	    "truncated answer not stored");
	dns_result_free(&in);
	make(&in, "big.example", DNSOPS_OK, 60, DNS_MAX_RR);
	in.len[0] = DNSCACHE_ENTRY_MAX;     /* claims more than the limit */
	in.data[0] = realloc(in.data[0], DNSCACHE_ENTRY_MAX);
	dnscache_put(c, "big.example", DNS_T_TXT, &in);
	ok(!dnscache_get(c, "big.example", DNS_T_TXT, &out),
	    "answer over %d bytes not stored", DNSCACHE_ENTRY_MAX);
	dns_result_free(&in);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	make(&in, "x", DNSOPS_OK, 60, 1);
	dnscache_put(c, big, DNS_T_TXT, &in);
	ok(!dnscache_get(c, big, DNS_T_TXT, &out), "299-byte name not "
	    "stored");
	ok(!dnscache_get(c, NULL, DNS_T_TXT, &out) &&
	    !dnscache_get(NULL, "x", DNS_T_TXT, &out), "NULL name or cache");
	dnscache_put(NULL, "x", DNS_T_TXT, &in);
	dns_result_free(&in);
}

static void test_expiry(dnscache_t *c)
{
	dns_result_t in, out;

	make(&in, "e.example", DNSOPS_OK, 1, 1);
	dnscache_put(c, "e.example", DNS_T_TXT, &in);
	ok(dnscache_get(c, "e.example", DNS_T_TXT, &out), "TTL 1: found");
	dns_result_free(&out);
	usleep(1100 * 1000);
	ok(!dnscache_get(c, "e.example", DNS_T_TXT, &out),
	    "TTL 1: gone after 1.1 s");
	dns_result_free(&in);
	make(&in, "cap.example", DNSOPS_OK, 86400 * 7, 1);
	dnscache_put(c, "cap.example", DNS_T_TXT, &in);
	ok(dnscache_get(c, "cap.example", DNS_T_TXT, &out) &&
	    out.ttl <= DNSCACHE_TTL_MAX, "TTL capped at %d s (%u)",
	    DNSCACHE_TTL_MAX, out.ttl);
	dns_result_free(&out);
	dns_result_free(&in);
}

/* The fallback table keeps answers for its own time, TTL 0 included,
 * beyond the cap, and still refuses temporary failures. */
static void test_fallback(void)
{
	dnscache_t *f = dnscache_new_fallback(2);
	dns_result_t in, out;

	make(&in, "_dmarc.f.example", DNSOPS_OK, 0, 1);
	dnscache_put(f, "_dmarc.f.example", DNS_T_TXT, &in);
	ok(dnscache_get(f, "_dmarc.f.example", DNS_T_TXT, &out) &&
	    out.count == 1, "fallback: TTL 0 answer kept");
	dns_result_free(&out);
	usleep(1100 * 1000);
	ok(dnscache_get(f, "_dmarc.f.example", DNS_T_TXT, &out),
	    "fallback: still there after its TTL (kept 2 s)");
	dns_result_free(&out);
	usleep(1100 * 1000);
	ok(!dnscache_get(f, "_dmarc.f.example", DNS_T_TXT, &out),
	    "fallback: gone after the time kept");
	dns_result_free(&in);
	make(&in, "_dmarc.t.example", DNSOPS_TEMPFAIL, 60, 0);
	dnscache_put(f, "_dmarc.t.example", DNS_T_TXT, &in);
	ok(!dnscache_get(f, "_dmarc.t.example", DNS_T_TXT, &out),
	    "fallback: temporary failure not kept");
	dns_result_free(&in);
	dnscache_free(f);
	f = dnscache_new_fallback(86400 * 7);
	make(&in, "_dmarc.w.example", DNSOPS_OK, 5, 1);
	dnscache_put(f, "_dmarc.w.example", DNS_T_TXT, &in);
	ok(dnscache_get(f, "_dmarc.w.example", DNS_T_TXT, &out) &&
	    out.ttl > DNSCACHE_TTL_MAX, "fallback: a week, not capped (%u)",
	    out.ttl);
	dns_result_free(&out);
	dns_result_free(&in);
	dnscache_free(f);
}

/* Many more names than slots: every hit is the right answer. */
static void test_replacement(dnscache_t *c)
{
	enum { N = 4 * DNSCACHE_SLOTS };
	dns_result_t in, out;
	char name[64];
	int i, hits = 0, right = 0;

	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		make(&in, name, DNSOPS_OK, 60, 1 + (size_t)(i % 3));
		dnscache_put(c, name, DNS_T_TXT, &in);
		dns_result_free(&in);
	}
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		if (!dnscache_get(c, name, DNS_T_TXT, &out))
			continue;
		hits++;
		make(&in, name, DNSOPS_OK, 60, 1 + (size_t)(i % 3));
		right += same(&in, &out);
		dns_result_free(&in);
		dns_result_free(&out);
	}
	ok(hits > 0 && hits <= DNSCACHE_SLOTS, "%d names: %d kept (at most "
	    "%d)", N, hits, DNSCACHE_SLOTS);
	is_int(right, hits, "every kept answer belongs to its name");
}

static dnscache_t *shared;

static void *hammer(void *arg)
{
	long id = (long)arg, bad = 0;
	dns_result_t in, out;
	char name[64];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		snprintf(name, sizeof(name), "t%d.example", (int)((i + id) % 50));
		make(&in, name, DNSOPS_OK, 60, 2);
		if (i % 3 == 0)
			dnscache_put(shared, name, DNS_T_TXT, &in);
		else if (dnscache_get(shared, name, DNS_T_TXT, &out)) {
			bad += !same(&in, &out);
			dns_result_free(&out);
		}
		dns_result_free(&in);
	}
	return (void *)bad;
}

static void test_threads(void)
{
	pthread_t t[THREADS];
	long i, bad = 0;
	void *r;

	shared = dnscache_new();
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, hammer, (void *)i);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	is_int(bad, 0, "%d threads storing and reading: no wrong answer",
	    THREADS);
	dnscache_free(shared);
}

int main(void)
{
	dnscache_t *c = dnscache_new();

	test_store(c);
	test_refused(c);
	test_expiry(c);
	test_replacement(c);
	test_fallback();
	dnscache_free(c);
	dnscache_free(NULL);
	test_threads();
	return tap_done();
}
