/*
 * cmd_ingest - "dmarcwarden-policy ingest [--db PATH] PATH..." and
 * "ingest --imap URL": files and directories (ingest.h), or the messages
 * of an IMAP mailbox (imap.h), each moved to the processed folder once
 * nothing in it was rejected (a rejected one stays for a person to see).
 */
#include "cmd.h"

#include <stdio.h>

#include "imap.h"
#include "ingest.h"

typedef struct imap_job {
	rua_store_t *store;
	const ingest_opts_t *io;
	ingest_stats_t *st;
} imap_job_t;

/* One message of the mailbox: move it when nothing in it was rejected. */
static int imap_message(void *ctx, const char *label, const char *data,
    size_t len)
{
	imap_job_t *j = ctx;
	unsigned rejected = j->st->rejected;

	j->st->files++;
	if (data == NULL) {
		j->st->rejected++;
		fprintf(stdout, "%s: rejected: message larger than %zu bytes, "
		    "left in the mailbox\n", label, j->io->max_input);
		return 0;
	}
	if (ingest_blob(j->store, data, len, label, j->io, j->st) < 0)
		return -1;
	if (j->st->rejected != rejected) {
		fprintf(stdout, "%s: left in the mailbox\n", label);
		return 0;
	}
	return 1;
}

static int ingest_imap(rua_store_t *s, const cmd_opts_t *o,
    const ingest_opts_t *io, ingest_stats_t *st)
{
	imap_job_t j = { s, io, st };
	imap_opts_t im = { o->imap, o->imap_processed ? o->imap_processed :
	    "Processed", o->imap_no_tls, io->max_input, 60 };
	char err[512];

	if (imap_fetch(&im, imap_message, &j, err, sizeof(err)) < 0) {
		fprintf(stderr, "dmarcwarden-policy ingest: %s\n", err);
		return -1;
	}
	return 0;
}

int cmd_ingest(int argc, char **argv)
{
	ingest_opts_t io = INGEST_OPTS_DEFAULT;
	ingest_stats_t st = { 0 };
	char path[4096], err[512];
	rua_store_t *s;
	cmd_opts_t o;
	int i, rc = 0;

	if (cmd_parse(argc, argv, CMD_OPT_DB | CMD_OPT_LIMITS | CMD_OPT_QUIET |
	    CMD_OPT_IMAP, &o) < 0 || (o.nargs == 0) == (o.imap == NULL) ||
	    (o.imap == NULL && (o.imap_processed || o.imap_no_tls))) {
		fprintf(stderr, "usage: dmarcwarden-policy ingest [--db PATH] "
		    "PATH...\n       dmarcwarden-policy ingest [--db PATH] "
		    "--imap URL [--imap-processed FOLDER] [--imap-no-tls]\n");
		return CMD_USAGE;
	}
	if (cmd_db_path(&o, path, sizeof(path)) < 0)
		return CMD_USAGE;
	if ((s = rua_store_open(path, true, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dmarcwarden-policy: %s\n", err);
		return CMD_USAGE;
	}
	io.max_input = o.max_size;
	io.max_xml = o.max_xml;
	io.rescan = o.rescan;
	io.out = stdout;
	if (o.imap)
		rc = ingest_imap(s, &o, &io, &st);
	for (i = o.first_arg; i < argc && rc == 0; i++)
		rc = ingest_path(s, argv[i], &io, &st);
	rua_store_close(s);
	if (!o.quiet)
		printf("ingest: %u files, %u reports stored (%llu records, %llu "
		    "messages), %u duplicates, %u rejected, %u failure reports "
		    "stored, %u files unchanged since ingested (skipped)\n",
		    st.files, st.stored, st.records, st.messages,
		    st.duplicates, st.rejected, st.failures, st.unchanged);
	if (rc < 0)
		return CMD_USAGE;
	return st.rejected ? CMD_FINDING : CMD_OK;
}
