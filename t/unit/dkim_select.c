/*
 * Unit tests for milter/dkim_select: alignment as far as the public
 * suffix list tells (case, subdomains, siblings, public suffixes,
 * co.uk), and the order of signatures to verify (aligned first, stable,
 * no From, NULL domains).
 */
#include "../../milter/dkim_select.h"
#include "../tap.h"

#include <stdio.h>
#include <string.h>

static void test_aligned(void)
{
	ok(dkim_select_aligned("example.com", "example.com"), "same domain");
	ok(dkim_select_aligned("EXAMPLE.com", "news.Example.COM"),
	    "org domain signs for a subdomain, case ignored");
	ok(dkim_select_aligned("mail.example.com", "news.example.com"),
	    "siblings under one registrable domain");
	ok(dkim_select_aligned("example.com.", "example.com"),
	    "trailing dot");
	ok(!dkim_select_aligned("example.org", "example.com"),
	    "other registrable domain");
	ok(!dkim_select_aligned("evil-example.com", "example.com"),
	    "suffix that is not a label boundary");
	ok(!dkim_select_aligned("attacker.co.uk", "victim.co.uk"),
	    "two domains under co.uk");
	ok(dkim_select_aligned("mail.victim.co.uk", "victim.co.uk"),
	    "subdomain under co.uk");
	ok(!dkim_select_aligned("co.uk", "victim.co.uk"),
	    "a public suffix does not align with a domain under it");
	ok(!dkim_select_aligned(NULL, "example.com") &&
	    !dkim_select_aligned("", "example.com") &&
	    !dkim_select_aligned("example.com", ""), "NULL or empty");
}

static void order_is(const char *const *dom, size_t n, const char *from,
    const char *want, const char *what)
{
	size_t order[16], i;
	char got[64] = "";

	dkim_select_order(dom, n, from, order);
	for (i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%zu",
		    order[i]);
	if (!ok(strcmp(got, want) == 0, "%s: %s", what, want))
		diag("got %s", got);
}

static void test_order(void)
{
	const char *dom[] = { "a.example", "x.example.com", NULL,
	    "b.example", "example.com", "EXAMPLE.COM" };

	order_is(dom, 6, "news.example.com", "145023",
	    "aligned first, each group in message order");
	order_is(dom, 6, NULL, "012345", "no From: message order");
	order_is(dom, 6, "", "012345", "empty From: message order");
	order_is(dom, 6, "nobody.example.net", "012345",
	    "nothing aligned: message order");
	order_is(dom, 0, "example.com", "", "no signatures");
}

int main(void)
{
	test_aligned();
	test_order();
	return tap_done();
}
