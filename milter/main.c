/*
 * dmarcwarden - DMARC milter: process start-up and shutdown.
 *
 *	dmarcwarden -c FILE [-f] [-p SOCKET] [-n] [-V]
 *
 * main() loads the configuration, opens the milter socket, detaches
 * (unless -f), writes the PID file, drops privileges, builds the shared
 * runtime (resolver, SPF, DKIM, history) and hands control to libmilter.
 * See dmarcwarden(8).
 */
#include <errno.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../policy/strbuf.h"
#include "config.h"
#include "log.h"
#include "milter.h"
#include "runtime.h"

#ifndef DW_VERSION
#define DW_VERSION "0.1.0"
#endif
#define DEFAULT_CONFIG "/etc/dmarcwarden/dmarcwarden.conf"

runtime_t *dw_runtime;

static void usage(void)
{
	fprintf(stderr, "usage: dmarcwarden [-c FILE] [-f] [-p SOCKET] "
	    "[-n] [-V]\n"
	    "  -c FILE    configuration file (default %s)\n"
	    "  -f         stay in the foreground, log to stderr too\n"
	    "  -p SOCKET  milter socket, overrides Socket\n"
	    "  -n         check the configuration and exit\n"
	    "  -V         print the version and exit\n", DEFAULT_CONFIG);
	exit(2);
}

static int write_pid_file(const char *path)
{
	FILE *fp;

	if (path == NULL || *path == '\0')
		return 0;
	fp = fopen(path, "w");
	if (fp == NULL) {
		log_err("cannot write PID file %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	return fclose(fp) == 0 ? 0 : -1;
}

/* UserID is "user" or "user:group". */
static int drop_privileges(const char *spec)
{
	char user[256], *group;
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (spec == NULL || *spec == '\0')
		return 0;
	if (str_copy(user, sizeof(user), spec) < 0)
		return -1;
	group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	pw = getpwnam(user);
	if (pw == NULL) {
		log_err("UserID: no such user '%s'", user);
		return -1;
	}
	gid = pw->pw_gid;
	if (group) {
		gr = getgrnam(group);
		if (gr == NULL) {
			log_err("UserID: no such group '%s'", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (getuid() != 0 && geteuid() != 0)
		return getuid() == pw->pw_uid ? 0 : -1;
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_err("cannot change to user %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

static int runtime_start(runtime_t *rt, config_t *cfg)
{
	char err[256];
	dns_cfg_t dc = {
		.nameservers = cfg->nameservers,
		.timeout_ms = cfg->dns_timeout * 1000,
		.dnssec = cfg->dnssec,
		.trust_anchor = cfg->trust_anchor,
	};

	memset(rt, 0, sizeof(*rt));
	rt->cfg = cfg;
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
	if (cfg->discovery == DISCOVERY_PSL) {
		rt->psl = psl_load_file(cfg->psl_file);
		if (rt->psl == NULL) {
			log_err("cannot load PublicSuffixList %s",
			    cfg->psl_file);
			return -1;
		}
	}
	rt->eval.discovery.method = cfg->discovery;
	rt->eval.discovery.psl = rt->psl;
	if (cfg->history_db && *cfg->history_db) {
		rt->history = history_open(cfg->history_db,
		    cfg->history_buffer, err, sizeof(err));
		if (rt->history == NULL) {
			log_err("HistoryDB: %s", err);
			return -1;
		}
	}
	return 0;
}

static void runtime_stop(runtime_t *rt)
{
	if (rt->history) {
		history_close(rt->history);
		rt->history = NULL;
	}
	dkim_engine_free(rt->dkim);
	spf_checker_free(rt->spf);
	dns_resolver_free(rt->dns);
	if (rt->psl)
		psl_free(rt->psl);
}

/* libmilter's signal thread sigwait()s for SIGTERM, SIGINT and SIGHUP;
 * every other thread must have them blocked, including the resolver and
 * history threads started before smfi_main(), or a signal kills the
 * process before pending history rows are written. */
static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int open_socket(const config_t *cfg, const char *sock)
{
	mode_t old = umask((mode_t)cfg->umask);
	int rc;

	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
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

int main(int argc, char **argv)
{
	const char *cfgpath = DEFAULT_CONFIG, *sock = NULL;
	bool foreground = false, check = false;
	char err[CONFIG_ERR_MAX];
	runtime_t rt;
	config_t *cfg;
	int c, rc;

	while ((c = getopt(argc, argv, "c:fp:nVh")) != -1) {
		switch (c) {
		case 'c': cfgpath = optarg; break;
		case 'f': foreground = true; break;
		case 'p': sock = optarg; break;
		case 'n': check = true; break;
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
	if (check) {
		printf("%s: configuration OK\n", cfgpath);
		config_free(cfg);
		return 0;
	}
	if (log_open("dmarcwarden", cfg->syslog, cfg->syslog_facility,
	    foreground) < 0) {
		fprintf(stderr, "dmarcwarden: bad SyslogFacility\n");
		return 1;
	}
	if (sock == NULL)
		sock = cfg->socket;
	if (open_socket(cfg, sock) < 0)
		return 1;
	if (!foreground && daemon(0, 0) < 0) {
		log_err("cannot detach: %s", strerror(errno));
		return 1;
	}
	if (write_pid_file(cfg->pid_file) < 0 ||
	    drop_privileges(cfg->user) < 0)
		return 1;
	block_signals();
	if (runtime_start(&rt, cfg) < 0)
		return 1;
	dw_runtime = &rt;
	log_info("dmarcwarden %s starting on %s (Enforcement %s, "
	    "PolicyDiscovery %s)", DW_VERSION, sock,
	    cfg->enforcement ? "on" : "off",
	    discovery_method_name(cfg->discovery));
	rc = smfi_main();
	log_info("dmarcwarden stopping");
	runtime_stop(&rt);
	if (cfg->pid_file && *cfg->pid_file)
		unlink(cfg->pid_file);
	config_free(cfg);
	log_close();
	return rc == MI_SUCCESS ? 0 : 1;
}
