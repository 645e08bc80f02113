/*
 * dmarcwarden - DMARC milter: process start-up and shutdown.
 *
 *	dmarcwarden -c FILE [-f] [-p SOCKET] [-n] [-s] [-V]
 *
 * main() loads the configuration, checks everything start-up needs
 * (preflight.h: every problem on stderr, exit 1), opens the milter socket
 * (listener.h), detaches (unless -f; the parent exits only when start-up
 * is done, 1 if it failed), writes the PID file, drops privileges,
 * builds the shared
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
#include <sys/types.h>
#include <unistd.h>

#include "../util/strbuf.h"
#include "../conf/config.h"
#include "../conf/config_check.h"
#include "listener.h"
#include "../util/log.h"
#include "preflight.h"
#include "process.h"
#include "reconfig.h"
#include "reload.h"
#include "runtime.h"
#include "stats.h"

#ifndef DW_VERSION
#define DW_VERSION "0.1.0"
#endif
#ifndef DW_SYSCONFDIR
#define DW_SYSCONFDIR "/etc"        /* configure --sysconfdir */
#endif
#define DEFAULT_CONFIG DW_SYSCONFDIR "/dmarcwarden/dmarcwarden.conf"

runtime_t *dw_runtime;

static void usage(void)
{
	fprintf(stderr, "usage: dmarcwarden [-c FILE] [-f] [-p SOCKET] "
	    "[-n] [-s] [-V]\n"
	    "  -c FILE    configuration file (default %s)\n"
	    "  -f         stay in the foreground, log to stderr too\n"
	    "             (not when stderr is the journal and Syslog is on)\n"
	    "  -p SOCKET  milter socket, overrides Socket\n"
	    "  -n         check the configuration and what start-up needs\n"
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
	char err[HDB_ERR_MAX + 64];

	if (cfg->history_db && *cfg->history_db) {
		history_config_t hc = { .db = cfg->history_db,
			.max_buffered = cfg->history_buffer,
			.host = cfg->history_host,
			.spool_dir = cfg->history_spool,
			.spool_max = cfg->history_spool_max };

		rt->history = history_open_config(&hc, err, sizeof(err));
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

/* Under systemd with -f, stderr is the journal ($JOURNAL_STREAM names
 * it), which syslog reaches too: one copy of each line is enough. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

static void report_stderr(void *ctx, const char *message)
{
	fprintf(stderr, "dmarcwarden: %s%s\n", (const char *)ctx, message);
}

/* Everything between the configuration and smfi_main(), in the order
 * process.h explains.  Errors go to stderr (and syslog) until start-up
 * is done, also when detaching: the parent waits for the verdict. */
static int daemon_setup(runtime_t *rt, config_t *cfg, const char *path,
    const char *sock, bool foreground)
{
	int ready = -1;

	if (listener_open(cfg, sock) < 0)
		return -1;
	/* History, stats and PID file: 0640, readable by UserID's group
	 * (the reporter runs as the same user). */
	umask(027);
	if (!foreground && (ready = process_detach()) < 0)
		return -1;
	if (process_write_pid(cfg->pid_file) < 0)
		return -1;
	process_block_signals();
	if (runtime_start(rt, cfg, path) < 0 ||
	    process_chroot(cfg->chroot) < 0 ||
	    process_drop_privileges(cfg->user) < 0 ||
	    runtime_open_files(rt, cfg) < 0)
		return -1;
	process_detach_done(ready);
	log_to_stderr(foreground && !(cfg->syslog && stderr_is_journal()));
	return 0;
}

/* -n and -s: nothing is started. */
static int check_or_stats(const config_t *cfg, const char *cfgpath,
    const char *sock, bool check)
{
	if (!check)
		return print_stats(cfg);
	if (preflight_check(cfg, sock ? sock : cfg->socket, PREFLIGHT_CHECK,
	    report_stderr, "") > 0)
		return 1;
	printf("%s: configuration OK\n", cfgpath);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cfgpath = DEFAULT_CONFIG, *sock = NULL;
	bool foreground = false, check = false, stats = false;
	char err[CONFIG_ERRS_MAX];
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
		config_error_lines(err, report_stderr, "");
		return 1;
	}
	if (check || stats) {
		rc = check_or_stats(cfg, cfgpath, sock, check);
		config_free(cfg);
		return rc;
	}
	if (sock == NULL)
		sock = cfg->socket;
	if (preflight_check(cfg, sock, PREFLIGHT_START, report_stderr,
	    "cannot start: ") > 0) {
		config_free(cfg);
		return 1;
	}
	if (log_open("dmarcwarden", cfg->syslog, cfg->syslog_facility,
	    true) < 0) {
		fprintf(stderr, "dmarcwarden: bad SyslogFacility\n");
		return 1;
	}
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
