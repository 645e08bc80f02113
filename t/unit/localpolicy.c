/* Unit tests for milter/localpolicy: the LocalPolicyFile format, its
 * errors (file:line), lookups and reference counts.  The SIGHUP reload
 * is tested in generation.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../conf/config.h"
#include "../../milter/localpolicy.h"
#include "../../util/strbuf.h"
#include "../tap.h"

static const char good[] =
    "# local exceptions\n"
    "\n"
    "from bank.example always-reject\n"
    "from Lists.Example.NET   never-reject\t# trailing comment\n"
    "from sub.lists.example.net monitor\n"
    "from mixed.example never-reject enforcement=quarantine\n"
    "rcpt customer.example enforcement=monitor\n"
    "rcpt strict.example enforcement=on always-reject\r\n"
    "rcpt soft.example never-reject enforcement=reject\n"
    "rcpt other.example enforcement=quarantine\n"
    "from b\xc3\xbc" "cher.example never-reject\n";

static const struct { const char *text, *err; size_t len; } bad_files[] = {
    { "from example.com\n", "lp.conf:1: expected: from|rcpt DOMAIN "
      "SETTING...", 0 },
    { "\nfrom example.com reject\n", "lp.conf:2: unknown setting 'reject'", 0 },
    { "to example.com monitor\n", "lp.conf:1: expected from or rcpt, not "
      "'to'", 0 },
    { "from exa_mple..com monitor\n", NULL, 0 },
    { "from example.com never-reject always-reject\n", "lp.conf:1: "
      "never-reject and always-reject exclude each other", 0 },
    { "rcpt example.com enforcement=yes\n", "lp.conf:1: enforcement= "
      "expects monitor, quarantine or reject", 0 },
    { "from a.example monitor\nrcpt a.example monitor\n"
      "from A.EXAMPLE. never-reject\n", "lp.conf:3: duplicate entry for "
      "from a.example (first at line 1)", 0 },
    { "from a.example monitor\x01\n", "lp.conf:1: control character 0x01 "
      "in line", 0 },
    { "from a.example monitor\0\n", "lp.conf:1: control character 0x00 "
      "in line", 24 },
};

static const char rcpt_none[1][FROM_DOMAIN_MAX] = { "" };

static void check(const localpolicy_t *lp, const char *from,
    const char *r1, const char *r2, local_action_t action, int stage,
    const char *where, const char *name)
{
	char rcpt[2][FROM_DOMAIN_MAX];
	localpolicy_match_t m;
	size_t n = 0;

	if (r1)
		str_copy(rcpt[n++], FROM_DOMAIN_MAX, r1);
	if (r2)
		str_copy(rcpt[n++], FROM_DOMAIN_MAX, r2);
	localpolicy_lookup(lp, from, (const char (*)[FROM_DOMAIN_MAX])rcpt, n,
	    &m);
	is_int(m.action, action, "%s: action", name);
	is_int(m.has_stage ? (int)m.stage : -1, stage, "%s: stage", name);
	is_str(m.action != LOCAL_ACTION_NONE ? m.action_where : m.stage_where,
	    where, "%s: where", name);
}

static void test_good(void)
{
	char err[CONFIG_ERR_MAX];
	localpolicy_t *lp = localpolicy_parse("/etc/dw/lp.conf", good,
	    sizeof(good) - 1, err, sizeof(err));

	if (!ok(lp != NULL, "good file parses")) {
		diag("%s", err);
		return;
	}
	is_int(localpolicy_count(lp), 9, "entries");
	check(lp, "bank.example", NULL, NULL, LOCAL_ALWAYS_REJECT,
	    ENFORCE_REJECT, "lp.conf:3 from bank.example",
	    "always-reject implies stage reject");
	check(lp, "www.bank.example", NULL, NULL, LOCAL_ALWAYS_REJECT,
	    ENFORCE_REJECT, "lp.conf:3 from bank.example", "subdomain");
	check(lp, "xbank.example", NULL, NULL, LOCAL_ACTION_NONE, -1, "",
	    "label boundary");
	check(lp, "lists.example.net", NULL, NULL, LOCAL_NEVER_REJECT, -1,
	    "lp.conf:4 from lists.example.net", "normalised domain");
	check(lp, "a.sub.lists.example.net", NULL, NULL, LOCAL_ACTION_NONE,
	    ENFORCE_MONITOR, "lp.conf:5 from sub.lists.example.net",
	    "most specific entry wins");
	check(lp, "mixed.example", NULL, NULL, LOCAL_NEVER_REJECT,
	    ENFORCE_QUARANTINE, "lp.conf:6 from mixed.example", "both set");
	check(lp, "nobody.example", "customer.example", NULL,
	    LOCAL_ACTION_NONE, ENFORCE_MONITOR, "lp.conf:7 rcpt "
	    "customer.example", "recipient stage");
	check(lp, "nobody.example", "strict.example", "customer.example",
	    LOCAL_ALWAYS_REJECT, ENFORCE_MONITOR, "lp.conf:8 rcpt "
	    "strict.example", "most lenient stage of two recipients");
	check(lp, "nobody.example", "strict.example", "soft.example",
	    LOCAL_NEVER_REJECT, ENFORCE_REJECT, "lp.conf:9 rcpt soft.example",
	    "never-reject beats always-reject among recipients");
	check(lp, "bank.example", "customer.example", NULL,
	    LOCAL_ALWAYS_REJECT, ENFORCE_REJECT, "lp.conf:3 from bank.example",
	    "from entry decides what it sets");
	check(lp, "lists.example.net", "other.example", NULL,
	    LOCAL_NEVER_REJECT, ENFORCE_QUARANTINE,
	    "lp.conf:4 from lists.example.net",
	    "from action, recipient stage");
	check(lp, "xn--bcher-kva.example", NULL, NULL, LOCAL_NEVER_REJECT, -1,
	    "lp.conf:11 from xn--bcher-kva.example", "U-label entry");
	check(NULL, "bank.example", NULL, NULL, LOCAL_ACTION_NONE, -1, "",
	    "no policy");
	localpolicy_lookup(lp, "", rcpt_none, 1, &(localpolicy_match_t){0});
	ok(1, "empty domains do not crash");
	localpolicy_release(lp);
}

/* Recipients share a verdict only when their rcpt settings are equal. */
static void test_rcpt_settings(void)
{
	char err[CONFIG_ERR_MAX];
	localpolicy_t *lp = localpolicy_parse("lp.conf", good,
	    sizeof(good) - 1, err, sizeof(err));
	localpolicy_t *from_only = localpolicy_parse("lp.conf",
	    "from a.example monitor\n", 23, err, sizeof(err));
	localpolicy_rcpt_t a, b;

	ok(localpolicy_has_rcpt(lp), "good file has rcpt entries");
	ok(!localpolicy_has_rcpt(from_only), "from entries only");
	ok(!localpolicy_has_rcpt(NULL), "no policy");
	localpolicy_rcpt_settings(lp, "mx.customer.example", &a);
	ok(a.has_stage && a.stage == ENFORCE_MONITOR &&
	    a.action == LOCAL_ACTION_NONE, "subdomain takes the rcpt entry");
	localpolicy_rcpt_settings(lp, "elsewhere.example", &b);
	ok(!b.has_stage && b.action == LOCAL_ACTION_NONE, "no entry");
	ok(!localpolicy_rcpt_same(&a, &b), "monitor recipient differs from "
	    "one without entry");
	localpolicy_rcpt_settings(lp, "bank.example", &a);
	ok(localpolicy_rcpt_same(&a, &b), "from entries do not count");
	localpolicy_rcpt_settings(lp, "", &a);
	ok(localpolicy_rcpt_same(&a, &b), "address without domain: none");
	localpolicy_rcpt_settings(lp, "strict.example", &a);
	localpolicy_rcpt_settings(lp, "soft.example", &b);
	ok(!localpolicy_rcpt_same(&a, &b), "same stage, other action differs");
	localpolicy_rcpt_settings(lp, "other.example", &b);
	ok(!localpolicy_rcpt_same(&a, &b), "other stage differs");
	localpolicy_rcpt_settings(lp, "customer.example", &a);
	localpolicy_rcpt_settings(lp, "a.customer.example", &b);
	ok(localpolicy_rcpt_same(&a, &b), "same entry, same settings");
	localpolicy_release(lp);
	localpolicy_release(from_only);
}

static void test_bad(void)
{
	char err[CONFIG_ERR_MAX];
	const char *three;
	localpolicy_t *lp;
	size_t i;

	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		size_t len = bad_files[i].len ? bad_files[i].len : strlen(bad_files[i].text);

		lp = localpolicy_parse("lp.conf", bad_files[i].text, len, err,
		    sizeof(err));
		ok(lp == NULL, "bad file %zu refused", i);
		if (bad_files[i].err)
			is_str(err, bad_files[i].err, "bad file %zu error", i);
		else
			ok(strncmp(err, "lp.conf:1: ", 11) == 0,
			    "bad file %zu error names the line: %s", i, err);
		localpolicy_release(lp);
	}
	three = "from a.example monitor\nbogus\nfrom b.example monitor\n"
	    "rcpt c.example enforcement=yes\nfrom a.example never-reject\n";
	lp = localpolicy_parse("lp.conf", three, strlen(three), err,
	    sizeof(err));
	ok(lp == NULL, "three bad lines: refused");
	ok(strncmp(err, "lp.conf:2: ", 11) == 0 &&
	    strstr(err, "\nlp.conf:4: ") != NULL &&
	    strstr(err, "\nlp.conf:5: duplicate entry for from a.example "
	    "(first at line 1)") != NULL, "three bad lines, three messages: %s",
	    err);
	localpolicy_release(lp);
	lp = localpolicy_load("/nonexistent/lp.conf", err, sizeof(err));
	ok(lp == NULL && strncmp(err, "/nonexistent/lp.conf: ", 22) == 0,
	    "missing file: %s", err);
}

int main(void)
{
	test_good();
	test_rcpt_settings();
	test_bad();
	return tap_done();
}
