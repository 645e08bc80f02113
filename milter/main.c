/*
 * dmarcwarden - DMARC milter: process start-up and shutdown.
 *
 *	dmarcwarden -c FILE [-f] [-p SOCKET] [-n] [-s] [-V]
 *
 * main() loads the configuration, opens the milter socket, detaches
 * (unless -f), writes the PID file, drops privileges, builds the shared
 * runtime (resolver, SPF, DKIM, history) and the first configuration
 * generation, installs the SIGHUP reload (reconfig.h) and hands control
 * to libmilter.  See dmarcwarden(8).
 */
#include <errno.h>
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../policy/strbuf.h"
#include "config.h"
#include "log.h"
#include "milter.h"
#include "process.h"
#include "reconfig.h"
#include "reload.h"
#include "runtime.h"
#include "stats.h"

#ifndef DW_VERSION
#define DW_VERSION "0.1.0"
#endif
#define DEFAULT_CONFIG "/etc/dmarcwarden/dmarcwarden.conf"

runtime_t *dw_runtime;

static void usage(void)
{
	fprintf(stderr, "usage: dmarcwarden [-c FILE] [-f] [-p SOCKET] "
	    "[-n] [-s] [-V]\n"
	    "  -c FILE    configuration file (default %s)\n"
	    "  -f         stay in the foreground, log to stderr too\n"
	    "  -p SOCKET  milter socket, overrides Socket\n"
	    "  -n         check the configuration and exit\n"
	    "  -s         print the statistics the daemon writes to StatsFile\n"
	    "  -V         print the version and exit\n", DEFAULT_CONFIG);
	exit(2);
}

/* The first generation (generation.h): cfg goes with it, and SIGHUP
 * loads the -c file again into the next (reconfig.h). */
static int runtime_start_generation(runtime_t *rt, config_t *cfg)
{
	char err[CONFIG_ERR_MAX];
	generation_t *gen;

	gen = generation_build(cfg, NULL, err, sizeof(err));
	if (gen == NULL) {
		log_err("%s", err);
		return -1;
	}
	log_info("Enforcement %s, LocalPolicyFile %s (%zu entries)",
	    enforce_stage_name(cfg->enforcement),
	    gen->localpolicy ? cfg->local_policy_file : "none",
	    localpolicy_count(gen->localpolicy));
	rt->generations = generation_slot_new(gen);
	reload_install(reconfig_sighup, rt);
	return 0;
}

/* The long-lived machinery, then the first generation, which takes cfg
 * over (it stays valid until a SIGHUP replaces it). */
static int runtime_start(runtime_t *rt, config_t *cfg, const char *path)
{
	char err[256];
	dns_cfg_t dc = {
		.nameservers = cfg->nameservers,
		.timeout_ms = cfg->dns_timeout * 1000,
		.dnssec = cfg->dnssec,
		.trust_anchor = cfg->trust_anchor,
		.per_domain_lookups = cfg->dns_per_domain,
		.policy_cache_s = cfg->policy_cache_time,
	};

	memset(rt, 0, sizeof(*rt));
	rt->config_path = path;
	rt->dns = dns_resolver_new(&dc, err, sizeof(err));
	if (rt->dns == NULL) {
		log_err("resolver: %s", err);
		return -1;
	}
	dns_resolver_ops(rt->dns, &rt->dns_ops);
	rt->spf = spf_checker_new(rt->dns, err, sizeof(err));
	if (rt->spf == NULL) {
		log_err("SPF: %s", err);
		return -1;
	}
	rt->dkim = dkim_engine_new(rt->dns, cfg->max_signatures, err,
	    sizeof(err));
	if (rt->dkim == NULL) {
		log_err("DKIM: %s", err);
		return -1;
	}
	rt->arc = arc_engine_new(rt->dns, err, sizeof(err));
	if (rt->arc == NULL) {
		log_err("ARC: %s", err);
		return -1;
	}
	return runtime_start_generation(rt, cfg);
}

/* The files the daemon writes, opened after chroot and privilege drop so
 * they belong to UserID. */
static int runtime_open_files(runtime_t *rt, config_t *cfg)
{
	char err[256];

	if (cfg->history_db && *cfg->history_db) {
		rt->history = history_open(cfg->history_db,
		    cfg->history_buffer, err, sizeof(err));
		if (rt->history == NULL) {
			log_err("HistoryDB: %s", err);
			return -1;
		}
	}
	if (stats_writer_start(cfg->stats_file, cfg->stats_interval, rt->dns,
	    rt->history) < 0) {
		log_err("cannot start the StatsFile writer");
		return -1;
	}
	return 0;
}

static void runtime_stop(runtime_t *rt)
{
	stats_writer_stop();
	if (rt->history) {
		history_close(rt->history);
		rt->history = NULL;
	}
	reload_install(NULL, NULL);
	generation_slot_free(rt->generations);
	arc_engine_free(rt->arc);
	dkim_engine_free(rt->dkim);
	spf_checker_free(rt->spf);
	dns_resolver_free(rt->dns);
}

static int open_socket(const config_t *cfg, const char *sock)
{
	mode_t old = umask((mode_t)cfg->umask);
	int rc;

	/* MilterTimeout: how long libmilter waits on the MTA (read or
	 * write) before it drops the connection; its own default is 7210 s. */
	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_settimeout((int)cfg->milter_timeout) != MI_SUCCESS ||
	    milter_register() < 0) {
		umask(old);
		log_err("cannot set up milter socket %s", sock);
		return -1;
	}
	rc = smfi_opensocket(true);
	umask(old);
	if (rc != MI_SUCCESS) {
		log_err("cannot open milter socket %s", sock);
		return -1;
	}
	return 0;
}

/* -s: print the StatsFile the running daemon writes. */
static int print_stats(const config_t *cfg)
{
	char buf[4096];
	size_t n;
	FILE *fp;

	if (cfg->stats_file == NULL || *cfg->stats_file == '\0') {
		fprintf(stderr, "dmarcwarden: StatsFile is not set\n");
		return 1;
	}
	fp = fopen(cfg->stats_file, "r");
	if (fp == NULL) {
		fprintf(stderr, "dmarcwarden: cannot read %s: %s\n",
		    cfg->stats_file, strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(fp);
	return 0;
}

/* The -c path as SIGHUP will find it: daemon() moves to "/", so a
 * relative path is made absolute (not resolved: a symbolic link is
 * followed again at each reload). */
static const char *config_path_absolute(const char *path)
{
	static char abs[4096];
	char cwd[4096];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return path;
	if (str_format(abs, sizeof(abs), "%s/%s", cwd, path) < 0)
		return path;
	return abs;
}

/* Everything between the configuration and smfi_main(), in the order
 * process.h explains. */
static int daemon_setup(runtime_t *rt, config_t *cfg, const char *path,
    const char *sock, bool foreground)
{
	char err[256];

	if (process_root_check(cfg->user, cfg->run_as_root, err,
	    sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	if (open_socket(cfg, sock) < 0)
		return -1;
	if (!foreground && daemon(0, 0) < 0) {
		log_err("cannot detach: %s", strerror(errno));
		return -1;
	}
	if (process_write_pid(cfg->pid_file) < 0)
		return -1;
	process_block_signals();
	if (runtime_start(rt, cfg, path) < 0 ||
	    process_chroot(cfg->chroot) < 0 ||
	    process_drop_privileges(cfg->user) < 0 ||
	    runtime_open_files(rt, cfg) < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *cfgpath = DEFAULT_CONFIG, *sock = NULL;
	bool foreground = false, check = false, stats = false;
	char err[CONFIG_ERR_MAX];
	generation_t *gen;
	runtime_t rt;
	config_t *cfg;
	int c, rc;

	while ((c = getopt(argc, argv, "c:fp:nsVh")) != -1) {
		switch (c) {
		case 'c': cfgpath = optarg; break;
		case 'f': foreground = true; break;
		case 'p': sock = optarg; break;
		case 'n': check = true; break;
		case 's': stats = true; break;
		case 'V':
			printf("dmarcwarden %s\n", DW_VERSION);
			return 0;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	cfg = config_load(cfgpath, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "dmarcwarden: %s\n", err);
		return 1;
	}
	if (check || stats) {
		rc = stats ? print_stats(cfg) : 0;
		if (check)
			printf("%s: configuration OK\n", cfgpath);
		config_free(cfg);
		return rc;
	}
	if (log_open("dmarcwarden", cfg->syslog, cfg->syslog_facility,
	    foreground) < 0) {
		fprintf(stderr, "dmarcwarden: bad SyslogFacility\n");
		return 1;
	}
	if (sock == NULL)
		sock = cfg->socket;
	memset(&rt, 0, sizeof(rt));
	if (daemon_setup(&rt, cfg, config_path_absolute(cfgpath), sock,
	    foreground) < 0)
		return 1;
	dw_runtime = &rt;
	log_info("dmarcwarden %s starting on %s (Enforcement %s, "
	    "PolicyDiscovery %s)", DW_VERSION, sock,
	    enforce_stage_name(cfg->enforcement),
	    discovery_method_name(cfg->discovery));
	cfg = NULL;     /* the first generation's: a SIGHUP may free it */
	rc = smfi_main();
	log_info("dmarcwarden stopping");
	/* PidFile needs a restart to change: every generation has the
	 * start-up value. */
	gen = generation_current(rt.generations);
	runtime_stop(&rt);
	if (*gen->cfg->pid_file && unlink(gen->cfg->pid_file) < 0)
		log_warn("cannot remove PID file %s: %s", gen->cfg->pid_file,
		    strerror(errno));
	generation_release(gen);
	log_close();
	return rc == MI_SUCCESS ? 0 : 1;
}
