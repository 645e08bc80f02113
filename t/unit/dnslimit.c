/*
 * Unit tests for dns/dnslimit: the domain a name counts under (the
 * registrable domain, underscore labels skipped, case, trailing dot, a
 * public suffix), the bound per domain, other domains unaffected, leave
 * in any order, limit 0, and threads.
 */
#include "../../dns/dnslimit.h"
#include "../tap.h"

#include <pthread.h>
#include <string.h>

#define THREADS 8
#define ROUNDS 5000

static void check_domain(const char *name, const char *want)
{
	char got[DNSLIMIT_DOMAIN_MAX];

	dnslimit_domain(name, got, sizeof(got));
	ok(strcmp(got, want) == 0, "%s counts under %s (%s)", name, want,
	    got);
}

static void test_domains(void)
{
	check_domain("_dmarc.Mail.Example.COM", "example.com");
	check_domain("sel._domainkey.victim.example.co.uk",
	    "example.co.uk");
	check_domain("x1.attacker.example.", "attacker.example");
	check_domain("_spf.d1.slow.example", "slow.example");
	check_domain("co.uk", "co.uk");
	check_domain("_dmarc.com", "com");
	check_domain("localhost", "localhost");
}

static void test_bound(void)
{
	dnslimit_t *l = dnslimit_new(3);
	dnslimit_slot_t s[5], other;

	ok(dnslimit_enter(l, "a.evil.example", &s[0]) &&
	    dnslimit_enter(l, "b.evil.example", &s[1]) &&
	    dnslimit_enter(l, "_dmarc.c.evil.example", &s[2]),
	    "three lookups for evil.example in flight");
	ok(!dnslimit_enter(l, "d.evil.example", &s[3]),
	    "a fourth for evil.example refused");
	ok(strcmp(s[3].domain, "evil.example") == 0,
	    "the refused slot names the domain");
	ok(dnslimit_enter(l, "_dmarc.victim.example", &other),
	    "another domain still gets its lookup");
	dnslimit_leave(l, &s[1]);
	ok(dnslimit_enter(l, "e.evil.example", &s[4]),
	    "after one leaves, evil.example gets one more");
	ok(!dnslimit_enter(l, "f.evil.example", &s[3]), "and no more");
	dnslimit_leave(l, &s[0]);
	dnslimit_leave(l, &other);
	dnslimit_leave(l, &s[4]);
	dnslimit_leave(l, &s[2]);
	ok(dnslimit_enter(l, "g.evil.example", &s[0]),
	    "all left: evil.example can start again");
	dnslimit_leave(l, &s[0]);
	dnslimit_free(l);
	l = dnslimit_new(0);
	ok(dnslimit_enter(l, "a.x.example", &s[0]) &&
	    dnslimit_enter(l, "a.x.example", &s[1]), "limit 0: no bound");
	dnslimit_leave(l, &s[0]);
	dnslimit_leave(l, &s[1]);
	dnslimit_free(l);
	dnslimit_free(NULL);
}

static dnslimit_t *shared;

static void *hammer(void *arg)
{
	dnslimit_slot_t s[2];
	int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		if (!dnslimit_enter(shared, "_dmarc.t.example", &s[0]))
			continue;
		if (dnslimit_enter(shared, "x.t.example", &s[1]))
			dnslimit_leave(shared, &s[1]);
		dnslimit_leave(shared, &s[0]);
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[THREADS];
	dnslimit_slot_t s[4];
	int i, n = 0;

	shared = dnslimit_new(4);
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++)
		n += dnslimit_enter(shared, "t.example", &s[i]);
	ok(n == 4, "%d threads: every slot left, the full "
	    "bound is free again", THREADS);
	for (i = 0; i < n; i++)
		dnslimit_leave(shared, &s[i]);
	dnslimit_free(shared);
}

int main(void)
{
	test_domains();
	test_bound();
	test_threads();
	return tap_done();
}
