/* Unit tests for milter/generation (the reference-counted configuration
 * a SIGHUP replaces), config_keep_restart_keys() and reconfig_reload()
 * (the SIGHUP callback's work) with real files. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../conf/config.h"
#include "../../milter/generation.h"
#include "../../milter/reconfig.h"
#include "../../milter/stats.h"
#include "../../util/strbuf.h"
#include "../tap.h"

static config_t *conf(const char *text)
{
	char err[CONFIG_ERR_MAX];
	config_t *cfg = config_load_buffer("t.conf", text, strlen(text), err,
	    sizeof(err));

	if (cfg == NULL)
		fprintf(stderr, "# %s\n", err);
	return cfg;
}

static generation_t *gen(const char *text)
{
	char err[CONFIG_ERR_MAX];
	generation_t *g = generation_build(conf(text), NULL, err, sizeof(err));

	if (g == NULL)
		fprintf(stderr, "# %s\n", err);
	return g;
}

static void test_restart_keys(void)
{
	config_t *run = conf("Socket unix:/run/a.sock\nEnforcement reject\n"
	    "UMask 007\nAuthservID a.example\n");
	config_t *next = conf("Socket unix:/run/b.sock\nEnforcement monitor\n"
	    "UMask 077\nAuthservID b.example\nHistoryDB \"\"\n"
	    "DNSTimeout 9\n");
	const char *changed[2];
	size_t n;

	n = config_keep_restart_keys(next, run, changed, 2);
	is_int(n, 4, "four restart-only keys changed");
	is_str(changed[0], "Socket", "first named: Socket");
	is_str(changed[1], "HistoryDB", "second named: HistoryDB");
	is_str(next->socket, "unix:/run/a.sock", "Socket keeps its value");
	is_str(next->history_db, run->history_db, "HistoryDB keeps its value");
	is_int(next->umask, 07, "UMask keeps its value");
	is_int(next->dns_timeout, 5, "DNSTimeout keeps its value");
	is_int(next->enforcement, ENFORCE_MONITOR, "Enforcement changes");
	is_str(next->authserv_id, "b.example", "AuthservID changes");
	is_int(config_keep_restart_keys(next, run, changed, 2), 0,
	    "nothing left to keep the second time");
	config_free(run);
	config_free(next);

	/* AuthservID from the host name: the running one stays. */
	run = conf("Enforcement reject\n");
	free(run->authserv_id);
	run->authserv_id = strdup("running.example");
	next = conf("Enforcement reject\n");
	is_int(config_keep_restart_keys(next, run, changed, 2), 0,
	    "a computed AuthservID is no restart-only change");
	is_str(next->authserv_id, "running.example",
	    "computed AuthservID: the running value stays");
	config_free(next);
	next = conf("AuthservID set.example\n");
	config_keep_restart_keys(next, run, changed, 2);
	is_str(next->authserv_id, "set.example", "a set AuthservID applies");
	config_free(run);
	config_free(next);
	ok(config_key_restart(0), "Socket (key 0) needs a restart");
	for (n = 0; config_key_name(n); n++)
		if (strcmp(config_key_name(n), "LocalPolicyFile") == 0 ||
		    strcmp(config_key_name(n), "Enforcement") == 0)
			ok(!config_key_restart(n), "%s is reloadable",
			    config_key_name(n));
}

static void test_build(void)
{
	char err[CONFIG_ERR_MAX];
	generation_t *g;

	g = generation_build(conf("LocalPolicyFile /nonexistent/lp\n"), NULL,
	    err, sizeof(err));
	ok(g == NULL && strncmp(err, "LocalPolicyFile: /nonexistent/lp: ",
	    34) == 0, "missing LocalPolicyFile: %s", err);
	g = gen("TrustedForwarders 192.0.2.0/24\n");
	ok(g != NULL && !forwarders_empty(g->forwarders) &&
	    g->localpolicy == NULL && g->psl == NULL && g->serial == 0,
	    "generation built with its forwarders");
	generation_release(g);
	generation_release(NULL);
}

static void *reader(void *arg)
{
	generation_slot_t *slot = arg;
	long bad = 0;
	int i;

	for (i = 0; i < 20000; i++) {
		generation_t *g = generation_current(slot);
		const config_t *c = g->cfg;

		/* a: monitor + a.example, b: reject + b.example */
		if ((c->enforcement == ENFORCE_MONITOR) !=
		    (strcmp(c->authserv_id, "a.example") == 0))
			bad++;
		generation_release(g);
	}
	return (void *)bad;
}

/* Readers racing publishes: each sees one whole generation; the old ones
 * are freed when their last reader lets go (ASan/LSan check that). */
static void test_slot(void)
{
	static const char a[] = "Enforcement monitor\nAuthservID a.example\n";
	static const char b[] = "Enforcement reject\nAuthservID b.example\n";
	generation_slot_t *slot;
	generation_t *held, *now;
	pthread_t t[3];
	long bad = 0;
	void *rv;
	int i;

	slot = generation_slot_new(gen(a));
	held = generation_current(slot);
	is_int(held->serial, 1, "first generation is number 1");
	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, reader, slot);
	for (i = 0; i < 300; i++)
		generation_publish(slot, gen(i % 2 ? a : b));
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], &rv);
		bad += (long)rv;
	}
	is_int(bad, 0, "readers always saw a whole generation");
	is_str(held->cfg->authserv_id, "a.example",
	    "a held generation outlives publishes");
	now = generation_current(slot);
	is_int(now->serial, 301, "serials count publishes");
	ok(now != held, "the current one is another");
	generation_release(now);
	generation_release(held);
	generation_slot_free(slot);
	generation_slot_free(NULL);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

/* What the current generation says: "SERIAL ENFORCEMENT SOCKET LP". */
static void describe(generation_slot_t *slot, char *out, size_t len)
{
	generation_t *g = generation_current(slot);

	str_format(out, len, "%lu %s %s %zu", g->serial,
	    enforce_stage_name(g->cfg->enforcement), g->cfg->socket,
	    localpolicy_count(g->localpolicy));
	generation_release(g);
}

static void write_conf(const char *path, const char *lp, const char *more)
{
	char text[1024];

	str_format(text, sizeof(text), "Socket unix:/run/a.sock\n"
	    "AuthservID t.example\n"
	    "LocalPolicyFile %s\n%s", lp, more);
	write_file(path, text);
}

/* The SIGHUP callback's work: a bad file (the config or the
 * LocalPolicyFile) changes nothing; restart-only keys keep their value. */
static void test_reload(void)
{
	char cpath[] = "/tmp/dw-gen-conf-XXXXXX", lpath[] = "/tmp/dw-gen-lp-XXXXXX";
	char err[CONFIG_ERR_MAX], d[256];
	generation_slot_t *slot;
	strbuf_t sb;
	int fc = mkstemp(cpath), fl = mkstemp(lpath);

	if (!ok(fc >= 0 && fl >= 0, "temporary files"))
		return;
	close(fc);
	close(fl);
	write_file(lpath, "from bank.example always-reject\n");
	write_conf(cpath, lpath, "Enforcement reject\n");
	slot = generation_slot_new(generation_build(config_load(cpath, err,
	    sizeof(err)), NULL, err, sizeof(err)));
	describe(slot, d, sizeof(d));
	is_str(d, "1 reject unix:/run/a.sock 1", "initial generation");

	write_conf(cpath, lpath, "Enforcement monitor\nBogusKey 1\n");
	is_int(reconfig_reload(cpath, slot), -1, "syntax error: refused");
	describe(slot, d, sizeof(d));
	is_str(d, "1 reject unix:/run/a.sock 1", "syntax error: nothing changed");

	write_file(lpath, "from bank.example never-reject\nfrom x bogus\n");
	write_conf(cpath, lpath, "Enforcement monitor\n");
	is_int(reconfig_reload(cpath, slot), -1, "bad LocalPolicyFile: refused");
	describe(slot, d, sizeof(d));
	is_str(d, "1 reject unix:/run/a.sock 1",
	    "bad LocalPolicyFile: the config change waits too");

	write_file(lpath, "from bank.example never-reject\nfrom c.example "
	    "monitor\n");
	write_conf(cpath, lpath, "Enforcement monitor\n");
	is_int(reconfig_reload(cpath, slot), 0, "good files: reloaded");
	describe(slot, d, sizeof(d));
	is_str(d, "2 monitor unix:/run/a.sock 2", "both files took effect");

	write_file(cpath, "Socket unix:/run/b.sock\nAuthservID t.example\n"
	    "Enforcement quarantine\n");
	is_int(reconfig_reload(cpath, slot), 0, "Socket changed: reloaded");
	describe(slot, d, sizeof(d));
	is_str(d, "3 quarantine unix:/run/a.sock 0",
	    "Socket kept, the rest applied (no LocalPolicyFile now)");

	unlink(cpath);
	is_int(reconfig_reload(cpath, slot), -1, "missing file: refused");
	describe(slot, d, sizeof(d));
	is_str(d, "3 quarantine unix:/run/a.sock 0", "missing file: no change");
	unlink(lpath);
	generation_slot_free(slot);

	strbuf_init(&sb, 64 * 1024);
	stats_format(&sb, NULL, NULL);
	ok(strstr(strbuf_str(&sb), "\ndmarcwarden_reloads_total{result=\"ok\"} "
	    "2\n") != NULL, "stats: 2 reloads ok");
	ok(strstr(strbuf_str(&sb), "\ndmarcwarden_reloads_total{result="
	    "\"failed\"} 3\n") != NULL, "stats: 3 reloads failed");
	strbuf_free(&sb);
}

int main(void)
{
	test_restart_keys();
	test_build();
	test_slot();
	test_reload();
	return tap_done();
}
