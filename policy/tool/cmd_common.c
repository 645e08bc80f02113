/*
 * cmd_common - option parsing shared by the subcommands.  See cmd.h.
 */
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../domain.h"
#include "../../util/strbuf.h"
#include "rua_store.h"

enum {
	O_DB = 256, O_HISTORY, O_DAYS, O_NOW, O_JSON, O_NS, O_TIMEOUT,
	O_NODNS, O_RECORD, O_CONFIG, O_MAXSIZE, O_MAXXML, O_THRESHOLD,
	O_RESCAN,
	O_CSV, O_FAILURES, O_IMAP, O_IMAP_PROCESSED, O_IMAP_NO_TLS,
};

static const struct option long_opts[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "history", required_argument, NULL, O_HISTORY },
	{ "days", required_argument, NULL, O_DAYS },
	{ "now", required_argument, NULL, O_NOW },
	{ "json", no_argument, NULL, O_JSON },
	{ "nameservers", required_argument, NULL, O_NS },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "no-dns", no_argument, NULL, O_NODNS },
	{ "output", required_argument, NULL, 'o' },
	{ "record", required_argument, NULL, O_RECORD },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "max-size", required_argument, NULL, O_MAXSIZE },
	{ "max-xml", required_argument, NULL, O_MAXXML },
	{ "quiet", no_argument, NULL, 'q' },
	{ "rescan", no_argument, NULL, O_RESCAN },
	{ "csv", no_argument, NULL, O_CSV },
	{ "failures", no_argument, NULL, O_FAILURES },
	{ "imap", required_argument, NULL, O_IMAP },
	{ "imap-processed", required_argument, NULL, O_IMAP_PROCESSED },
	{ "imap-no-tls", no_argument, NULL, O_IMAP_NO_TLS },
	{ "min-days", required_argument, NULL, O_THRESHOLD },
	{ "min-reporters", required_argument, NULL, O_THRESHOLD },
	{ "min-pass", required_argument, NULL, O_THRESHOLD },
	{ "max-unexplained", required_argument, NULL, O_THRESHOLD },
	{ "max-indirect", required_argument, NULL, O_THRESHOLD },
	{ "ramp-pct", required_argument, NULL, O_THRESHOLD },
	{ "stage-days", required_argument, NULL, O_THRESHOLD },
	{ "min-source-volume", required_argument, NULL, O_THRESHOLD },
	{ NULL, 0, NULL, 0 },
};

static unsigned opt_flag(int c)
{
	switch (c) {
	case O_DB: return CMD_OPT_DB;
	case O_HISTORY: return CMD_OPT_HISTORY;
	case O_DAYS: case O_NOW: return CMD_OPT_DAYS;
	case O_JSON: return CMD_OPT_JSON;
	case O_NS: case O_TIMEOUT: case O_NODNS: return CMD_OPT_DNS;
	case 'o': return CMD_OPT_OUT;
	case O_RECORD: case O_CONFIG: case O_THRESHOLD: return CMD_OPT_ADVICE;
	case O_MAXSIZE: case O_MAXXML: case O_RESCAN: return CMD_OPT_LIMITS;
	case 'q': return CMD_OPT_QUIET;
	case O_CSV: case O_FAILURES: return CMD_OPT_CSV;
	case O_IMAP: case O_IMAP_PROCESSED: case O_IMAP_NO_TLS:
		return CMD_OPT_IMAP;
	default: return 0;
	}
}

static int number(const char *opt, const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno || v < min ||
	    v > max) {
		fprintf(stderr, "dmarcwarden-policy: --%s: expected a number "
		    "from %llu to %llu\n", opt, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int apply(cmd_opts_t *o, int c, int idx)
{
	unsigned long long v;
	char err[256];

	switch (c) {
	case O_DB: o->db = optarg; return 0;
	case O_HISTORY: o->history = optarg; return 0;
	case O_JSON: o->json = true; return 0;
	case O_NS: o->nameservers = optarg; return 0;
	case O_NODNS: o->no_dns = true; return 0;
	case 'o': o->out = optarg; return 0;
	case 'q': o->quiet = true; return 0;
	case O_CSV: o->csv = true; return 0;
	case O_FAILURES: o->failures = true; return 0;
	case O_IMAP: o->imap = optarg; return 0;
	case O_IMAP_PROCESSED: o->imap_processed = optarg; return 0;
	case O_IMAP_NO_TLS: o->imap_no_tls = true; return 0;
	case O_RECORD: o->record = optarg; return 0;
	case O_RESCAN: o->rescan = true; return 0;
	case O_DAYS:
		if (number("days", optarg, 1, 366, &v) < 0)
			return -1;
		o->days = (unsigned)v;
		return 0;
	case O_NOW:
		if (number("now", optarg, 0, 1ULL << 40, &v) < 0)
			return -1;
		o->now = (long long)v;
		return 0;
	case O_TIMEOUT:
		if (number("timeout", optarg, 10, 60000, &v) < 0)
			return -1;
		o->timeout_ms = (unsigned)v;
		return 0;
	case O_MAXSIZE:
	case O_MAXXML:
		if (number(c == O_MAXSIZE ? "max-size" : "max-xml", optarg,
		    1024, 1ULL << 32, &v) < 0)
			return -1;
		*(c == O_MAXSIZE ? &o->max_size : &o->max_xml) = v;
		return 0;
	case O_CONFIG:
		if (advise_cfg_load(&o->thresholds, optarg, err, sizeof(err)) <
		    0) {
			fprintf(stderr, "dmarcwarden-policy: %s\n", err);
			return -1;
		}
		return 0;
	case O_THRESHOLD:
		if (advise_cfg_set(&o->thresholds, long_opts[idx].name,
		    optarg) < 0) {
			fprintf(stderr, "dmarcwarden-policy: --%s: invalid value "
			    "\"%s\"\n", long_opts[idx].name, optarg);
			return -1;
		}
		return 0;
	}
	return -1;
}

int cmd_parse(int argc, char **argv, unsigned allowed, cmd_opts_t *o)
{
	static const advise_cfg_t defaults = ADVISE_CFG_DEFAULT;
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->days = 30;
	o->now = (long long)time(NULL);
	o->timeout_ms = 3000;
	o->max_size = 64ULL << 20;
	o->max_xml = 32ULL << 20;
	o->thresholds = defaults;
	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "o:q", long_opts, &idx)) != -1) {
		if (c == '?' || (opt_flag(c) & allowed) == 0) {
			if (c != '?')
				fprintf(stderr, "dmarcwarden-policy %s: option "
				    "not valid here\n", argv[0]);
			return -1;
		}
		if (apply(o, c, c == O_THRESHOLD ? idx : -1) < 0)
			return -1;
	}
	o->first_arg = optind;
	o->nargs = argc - optind;
	return 0;
}

/* Normalise the positional DOMAIN (when given) into o->domain. */
int cmd_domain(cmd_opts_t *o, char **argv, bool required)
{
	char why[128];
	const char *d;

	if (o->nargs > 1 || (required && o->nargs == 0)) {
		fprintf(stderr, "dmarcwarden-policy %s: expected %sone DOMAIN\n",
		    argv[0], required ? "" : "at most ");
		return -1;
	}
	o->domain[0] = '\0';
	if (o->nargs == 0)
		return 0;
	d = argv[o->first_arg];
	if (domain_normalize_reason(d, strlen(d), o->domain, sizeof(o->domain),
	    why, sizeof(why)) < 0) {
		fprintf(stderr, "dmarcwarden-policy %s: invalid domain: %s\n",
		    argv[0], why);
		return -1;
	}
	return 0;
}

int cmd_db_path(const cmd_opts_t *o, char *buf, size_t size)
{
	if (o->db)
		return str_copy(buf, size, o->db);
	if (rua_store_default_path(buf, size) < 0) {
		fprintf(stderr, "dmarcwarden-policy: no --db given and no "
		    "default location (HOME unset)\n");
		return -1;
	}
	return 0;
}
