/*
 * reconfig - dmarcwarden.conf reloaded on SIGHUP.  See reconfig.h.
 */
#include "reconfig.h"

#include <string.h>

#include "../util/strbuf.h"
#include "../conf/config_check.h"
#include "../util/log.h"
#include "runtime.h"
#include "stats.h"

#define RECONFIG_MAX_CHANGED 32

static void log_error_line(void *ctx, const char *line)
{
	log_err("%s not reloaded, the running configuration stays in "
	    "force: %s", (const char *)ctx, line);
}

/* Every error in why, one log line each. */
static int reconfig_failed(const char *path, const char *why)
{
	config_error_lines(why, log_error_line, (void *)path);
	stats_count_reload(false);
	return -1;
}

/* The one line that says what the new generation holds. */
static void reconfig_summary(const generation_t *g, strbuf_t *sb)
{
	const config_t *cfg = g->cfg;

	strbuf_appendf(sb, "Enforcement %s, QuarantineMode %s, "
	    "PolicyDiscovery %s, AuthservID %s, LocalPolicyFile ",
	    enforce_stage_name(cfg->enforcement),
	    cfg->quarantine_mode == QUARANTINE_HOLD ? "hold" : "header",
	    discovery_method_name(cfg->discovery), cfg->authserv_id);
	if (g->localpolicy)
		strbuf_appendf(sb, "%s (%zu entries)", cfg->local_policy_file,
		    localpolicy_count(g->localpolicy));
	else
		strbuf_puts(sb, "none");
}

int reconfig_reload(const char *path, generation_slot_t *slot)
{
	const char *changed[RECONFIG_MAX_CHANGED];
	char err[CONFIG_ERRS_MAX];
	generation_t *cur, *next;
	config_t *cfg;
	strbuf_t sb;
	size_t n, i;

	cfg = config_load(path, err, sizeof(err));
	if (cfg == NULL)
		return reconfig_failed(path, err);
	cur = generation_current(slot);
	n = config_keep_restart_keys(cfg, cur->cfg, changed,
	    RECONFIG_MAX_CHANGED);
	next = generation_build(cfg, cur, err, sizeof(err));
	generation_release(cur);
	if (next == NULL)
		return reconfig_failed(path, err);
	for (i = 0; i < n && i < RECONFIG_MAX_CHANGED; i++)
		log_warn("%s: %s changed; restart dmarcwarden to apply (the "
		    "running value stays in force)", path, changed[i]);
	strbuf_init(&sb, 1024);
	reconfig_summary(next, &sb);
	generation_publish(slot, next);     /* next is no longer ours */
	log_info("reloaded %s: %s", path, strbuf_str(&sb));
	strbuf_free(&sb);
	stats_count_reload(true);
	return 0;
}

void reconfig_sighup(void *runtime)
{
	runtime_t *rt = runtime;

	reconfig_reload(rt->config_path, rt->generations);
}
