/*
 * dmarcwarden-report - send DMARC aggregate reports (RFC 9990, RFC 7489)
 * and failure reports (RFC 9991) from the milter's history.
 *
 * SYNOPSIS
 *	dmarcwarden-report [-c FILE] [--db PATH]... [--begin T --end T]
 *	    [--dry-run DIR] [--format rfc9990|rfc7489] [--expire-days N]
 *	    [--batch N --delay S] [--sendmail PATH] [--smtp-relay HOST[:PORT]]
 *	    [--sender ADDR] [--org-name NAME] [-q]
 *
 * DESCRIPTION
 *	Start-up only: options, configuration, then run.h does the work.
 *	See dmarcwarden-report(8).  Exit 0 when everything was handled
 *	(sent, skipped for a reason, or left for a retry), 1 when a report
 *	was invalid or a database error occurred, 2 on usage or set-up
 *	errors.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "../conf/config.h"
#include "../conf/config_check.h"
#include "../util/log.h"
#include "../util/strbuf.h"
#include "period.h"
#include "run.h"

#ifndef DW_SYSCONFDIR
#define DW_SYSCONFDIR "/etc"        /* configure --sysconfdir */
#endif
#define DEFAULT_CONFIG DW_SYSCONFDIR "/dmarcwarden/dmarcwarden.conf"

enum {
	OPT_DB = 256, OPT_BEGIN, OPT_END, OPT_DRY, OPT_FORMAT, OPT_EXPIRE,
	OPT_BATCH, OPT_DELAY, OPT_SENDMAIL, OPT_RELAY, OPT_SENDER, OPT_ORG,
	OPT_NOPROGRESS,
};

static const struct option long_opts[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "begin", required_argument, NULL, OPT_BEGIN },
	{ "end", required_argument, NULL, OPT_END },
	{ "dry-run", required_argument, NULL, OPT_DRY },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "expire-days", required_argument, NULL, OPT_EXPIRE },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "delay", required_argument, NULL, OPT_DELAY },
	{ "sendmail", required_argument, NULL, OPT_SENDMAIL },
	{ "smtp-relay", required_argument, NULL, OPT_RELAY },
	{ "sender", required_argument, NULL, OPT_SENDER },
	{ "org-name", required_argument, NULL, OPT_ORG },
	{ "no-progress", no_argument, NULL, OPT_NOPROGRESS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

typedef struct cmdline {
	const char *config;
	run_opts_t run;
	const char *begin, *end, *format;
	const char *sendmail, *relay, *sender, *org;
	bool quiet, no_progress;
} cmdline_t;

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: dmarcwarden-report [-c FILE] [--db PATH]... "
	    "[--begin T --end T]\n"
	    "    [--dry-run DIR] [--format rfc9990|rfc7489] "
	    "[--expire-days N]\n"
	    "    [--batch N --delay S] [--sendmail PATH] "
	    "[--smtp-relay HOST[:PORT]]\n"
	    "    [--sender ADDR] [--org-name NAME] [--no-progress] [-q]\n"
	    "  T: seconds since the epoch, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS "
	    "(UTC);\n  default period: yesterday (UTC).  Default config: "
	    "%s\n", DEFAULT_CONFIG);
	exit(2);
}

static unsigned number(const char *opt, const char *v, unsigned max)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0' || v[0] == '-' || n > max) {
		fprintf(stderr, "dmarcwarden-report: %s: expected a number "
		    "0..%u\n", opt, max);
		exit(2);
	}
	return (unsigned)n;
}

static void parse_args(int argc, char **argv, cmdline_t *c)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "c:qh", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c': c->config = optarg; break;
		case 'q': c->quiet = true; break;
		case OPT_DB:
			if (c->run.ndbs == RUN_MAX_DBS) {
				fprintf(stderr, "dmarcwarden-report: at most "
				    "%d --db\n", RUN_MAX_DBS);
				exit(2);
			}
			c->run.dbs[c->run.ndbs++] = optarg;
			break;
		case OPT_BEGIN: c->begin = optarg; break;
		case OPT_END: c->end = optarg; break;
		case OPT_DRY: c->run.dry_run = optarg; break;
		case OPT_FORMAT: c->format = optarg; break;
		case OPT_EXPIRE:
			c->run.expire_days = (int)number("--expire-days",
			    optarg, 100000);
			break;
		case OPT_BATCH:
			c->run.batch = number("--batch", optarg, 1000000);
			break;
		case OPT_DELAY:
			c->run.delay = number("--delay", optarg, 3600);
			break;
		case OPT_SENDMAIL: c->sendmail = optarg; break;
		case OPT_RELAY: c->relay = optarg; break;
		case OPT_SENDER: c->sender = optarg; break;
		case OPT_ORG: c->org = optarg; break;
		case OPT_NOPROGRESS: c->no_progress = true; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
}

static void config_error(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "dmarcwarden-report: %s\n", line);
}

static config_t *load_config(const cmdline_t *c)
{
	static char err[CONFIG_ERRS_MAX];
	config_t *cfg = config_load(c->config, err, sizeof(err));

	if (cfg == NULL) {
		config_error_lines(err, config_error, NULL);
		exit(2);
	}
	return cfg;
}

static void override(char **field, const char *value)
{
	char *copy;

	if (value == NULL)
		return;
	if ((copy = strdup(value)) == NULL)
		abort();
	free(*field);
	*field = copy;
}

static void finish_opts(cmdline_t *c, config_t *cfg)
{
	run_opts_t *o = &c->run;

	override(&cfg->report_sendmail, c->sendmail);
	override(&cfg->report_smtp_relay, c->relay);
	override(&cfg->report_sender, c->sender);
	override(&cfg->report_org_name, c->org);
	o->cfg = cfg;
	o->format = cfg->report_format;
	if (c->format && strcmp(c->format, "rfc9990") == 0)
		o->format = REPORT_RFC9990;
	else if (c->format && strcmp(c->format, "rfc7489") == 0)
		o->format = REPORT_RFC7489;
	else if (c->format)
		usage();
	if (o->ndbs == 0) {
		if (cfg->history_db[0] == '\0') {
			fprintf(stderr, "dmarcwarden-report: no HistoryDB in "
			    "%s and no --db\n", c->config);
			exit(2);
		}
		o->dbs[o->ndbs++] = cfg->history_db;
	}
	period_yesterday(time(NULL), &o->begin, &o->end);
	if ((c->begin && period_parse(c->begin, &o->begin) < 0) ||
	    (c->end && period_parse(c->end, &o->end) < 0) ||
	    o->end <= o->begin) {
		fprintf(stderr, "dmarcwarden-report: bad period (--begin must "
		    "be before --end)\n");
		exit(2);
	}
	o->failure_reports = cfg->failure_reports;
	o->progress = !c->quiet && !c->no_progress && isatty(2);
}

int main(int argc, char **argv)
{
	cmdline_t c;
	config_t *cfg;
	run_ctx_t *r;
	char err[1024];
	int rc;

	memset(&c, 0, sizeof(c));
	c.config = DEFAULT_CONFIG;
	c.run.expire_days = -1;
	parse_args(argc, argv, &c);
	cfg = load_config(&c);
	finish_opts(&c, cfg);
	signal(SIGPIPE, SIG_IGN);
	log_open("dmarcwarden-report", cfg->syslog, cfg->syslog_facility,
	    !c.quiet);
	xmlInitParser();
	if ((r = run_new(&c.run, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dmarcwarden-report: %s\n", err);
		config_free(cfg);
		return 2;
	}
	if (run_busy(r) != NULL) {
		/* A fleet's cron starts a run on every host: one works. */
		log_msg(LOG_NOTICE, "another dmarcwarden-report run is working "
		    "on %s: this run does nothing", run_busy(r));
		run_free(r);
		config_free(cfg);
		xmlCleanupParser();
		log_close();
		return 0;
	}
	rc = run_reports(r);
	if (rc == 0)
		rc = run_expire(r);
	if (!c.quiet)
		run_summary(r, stdout);
	if (rc == 0 && (run_stats(r)->errors || run_stats(r)->invalid))
		rc = -1;
	run_free(r);
	config_free(cfg);
	xmlCleanupParser();
	log_close();
	return rc == 0 ? 0 : 1;
}
