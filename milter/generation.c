/*
 * generation - the reloadable configuration, reference-counted.  See
 * generation.h.
 */
#include "generation.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "../conf/config_check.h"

/* A Public Suffix List shared by the generations that load the same file
 * with the same PolicyDiscovery. */
struct generation_psl {
	psl_ctx_t *ctx;
	atomic_uint refs;
};

struct generation_slot {
	pthread_mutex_t lock;   /* guards cur and serial, nothing slow */
	generation_t *cur;
	unsigned long serial;
};

static void generation_free(generation_t *g)
{
	localpolicy_release(g->localpolicy);
	forwarders_free(g->forwarders);
	if (g->shared_psl &&
	    atomic_fetch_sub(&g->shared_psl->refs, 1) == 1) {
		psl_free(g->shared_psl->ctx);
		free(g->shared_psl);
	}
	config_free(g->cfg);
	free(g);
}

/* The previous generation's list when it is the same file, else the
 * file read again; -1 when it cannot be read. */
static int generation_psl(generation_t *g, const generation_t *prev)
{
	if (g->cfg->discovery != DISCOVERY_PSL)
		return 0;
	if (prev != NULL && prev->shared_psl != NULL &&
	    strcmp(prev->cfg->psl_file, g->cfg->psl_file) == 0) {
		g->shared_psl = prev->shared_psl;
		atomic_fetch_add(&g->shared_psl->refs, 1);
	} else {
		psl_ctx_t *ctx = psl_load_file(g->cfg->psl_file);

		if (ctx == NULL)
			return -1;
		if ((g->shared_psl = calloc(1, sizeof(*g->shared_psl))) == NULL)
			abort();
		g->shared_psl->ctx = ctx;
		atomic_init(&g->shared_psl->refs, 1);
	}
	g->psl = g->shared_psl->ctx;
	return 0;
}

generation_t *generation_build(config_t *cfg, const generation_t *prev,
    char *err, size_t errlen)
{
	char why[CONFIG_ERRS_MAX];
	generation_t *g = calloc(1, sizeof(*g));

	if (g == NULL)
		abort();
	g->cfg = cfg;
	atomic_init(&g->refs, 1);
	g->forwarders = forwarders_parse(cfg->trusted_forwarders, why,
	    sizeof(why));
	if (g->forwarders == NULL) {
		str_format(err, errlen, "TrustedForwarders: %s", why);
		goto fail;
	}
	if (cfg->local_policy_file[0] &&
	    (g->localpolicy = localpolicy_load(cfg->local_policy_file, why,
	    sizeof(why))) == NULL) {
		config_errors_prefix(err, errlen, "LocalPolicyFile: ", why);
		goto fail;
	}
	if (generation_psl(g, prev) < 0) {
		str_format(err, errlen, "cannot load PublicSuffixList %s",
		    cfg->psl_file);
		goto fail;
	}
	g->eval.discovery.method = cfg->discovery;
	g->eval.discovery.psl = g->psl;
	return g;
fail:
	generation_free(g);
	return NULL;
}

generation_t *generation_retain(generation_t *g)
{
	if (g != NULL)
		atomic_fetch_add(&g->refs, 1);
	return g;
}

void generation_release(generation_t *g)
{
	if (g == NULL || atomic_fetch_sub(&g->refs, 1) != 1)
		return;
	generation_free(g);
}

generation_slot_t *generation_slot_new(generation_t *g)
{
	generation_slot_t *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	pthread_mutex_init(&s->lock, NULL);
	generation_publish(s, g);
	return s;
}

generation_t *generation_current(generation_slot_t *s)
{
	generation_t *g;

	pthread_mutex_lock(&s->lock);
	g = generation_retain(s->cur);
	pthread_mutex_unlock(&s->lock);
	return g;
}

void generation_publish(generation_slot_t *s, generation_t *g)
{
	generation_t *old;

	pthread_mutex_lock(&s->lock);
	old = s->cur;
	if (g != NULL)
		g->serial = ++s->serial;
	s->cur = g;
	pthread_mutex_unlock(&s->lock);
	generation_release(old);    /* may free: outside the lock */
}

void generation_slot_free(generation_slot_t *s)
{
	if (s == NULL)
		return;
	generation_release(s->cur);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
