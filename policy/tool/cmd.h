/*
 * cmd - the subcommands of dmarcwarden-policy and their shared options.
 *
 * SYNOPSIS
 *	int cmd_check(int argc, char **argv);   argv[0] is the subcommand
 *	cmd_opts_t o; if (cmd_parse(argc, argv, CMD_OPT_DB | ..., &o) < 0) ...
 *
 * DESCRIPTION
 *	Each cmd_*() parses its own options with cmd_parse() (getopt_long;
 *	options not in `allowed` are usage errors), runs, and returns the
 *	process exit status: 0 success (check: the setup is valid; ingest:
 *	every file held a valid report or a duplicate), 1 a finding (check:
 *	the setup has an error; ingest: some file was rejected; advise: not
 *	ready for the next stage), 2 usage or operational error.
 *
 *	Option values are checked here (numbers in range, one positional
 *	DOMAIN normalised with domain_normalize()); the strings point into
 *	argv.  Thresholds of `advise` are described in advise.h.
 */
#ifndef PTOOL_CMD_H
#define PTOOL_CMD_H

#include <stdbool.h>

#include "advise.h"

#define CMD_OK 0
#define CMD_FINDING 1
#define CMD_USAGE 2

enum {
	CMD_OPT_DB = 1 << 0,         /* --db PATH */
	CMD_OPT_HISTORY = 1 << 1,    /* --history PATH */
	CMD_OPT_DAYS = 1 << 2,       /* --days N, --now EPOCH */
	CMD_OPT_JSON = 1 << 3,       /* --json */
	CMD_OPT_DNS = 1 << 4,        /* --nameservers, --timeout, --no-dns */
	CMD_OPT_OUT = 1 << 5,        /* -o FILE */
	CMD_OPT_ADVICE = 1 << 6,     /* thresholds, --record, --config */
	CMD_OPT_LIMITS = 1 << 7,     /* --max-size, --max-xml, --rescan */
	CMD_OPT_QUIET = 1 << 8,      /* -q */
	CMD_OPT_CSV = 1 << 9,        /* --csv, --failures */
	CMD_OPT_IMAP = 1 << 10,      /* --imap URL, --imap-processed, ... */
};

typedef struct cmd_opts {
	const char *db, *history, *out, *nameservers, *record;
	unsigned days;
	long long now;
	bool json, no_dns, quiet, rescan;
	bool csv, failures;        /* CSV output; of the failure reports */
	const char *imap, *imap_processed;
	bool imap_no_tls;
	unsigned timeout_ms;
	unsigned long long max_size, max_xml;
	advise_cfg_t thresholds;
	char domain[256];          /* positional DOMAIN, normalised */
	int first_arg;             /* index of the first positional */
	int nargs;
} cmd_opts_t;

int cmd_parse(int argc, char **argv, unsigned allowed, cmd_opts_t *o);
/* Normalise the positional DOMAIN into o->domain ("" when optional and
 * absent); prints the error. */
int cmd_domain(cmd_opts_t *o, char **argv, bool required);
/* The database path: --db, or the default (rua_store.h). */
int cmd_db_path(const cmd_opts_t *o, char *buf, size_t size);

int cmd_check(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_advise(int argc, char **argv);
int cmd_html(int argc, char **argv);
int cmd_list(int argc, char **argv);

#endif
