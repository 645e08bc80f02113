/*
 * cmd_ingest - "dmarcwarden-policy ingest [--db PATH] PATH...".  See
 * ingest.h for what is read and the per-file messages.
 */
#include "cmd.h"

#include <stdio.h>

#include "ingest.h"

int cmd_ingest(int argc, char **argv)
{
	ingest_opts_t io = INGEST_OPTS_DEFAULT;
	ingest_stats_t st = { 0 };
	char path[4096], err[512];
	rua_store_t *s;
	cmd_opts_t o;
	int i, rc = 0;

	if (cmd_parse(argc, argv, CMD_OPT_DB | CMD_OPT_LIMITS | CMD_OPT_QUIET,
	    &o) < 0 || o.nargs == 0) {
		if (o.nargs == 0)
			fprintf(stderr, "usage: dmarcwarden-policy ingest "
			    "[--db PATH] PATH...\n");
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
	for (i = o.first_arg; i < argc && rc == 0; i++)
		rc = ingest_path(s, argv[i], &io, &st);
	rua_store_close(s);
	if (!o.quiet)
		printf("ingest: %u files, %u reports stored (%llu records, %llu "
		    "messages), %u duplicates, %u rejected, %u files unchanged "
		    "since ingested (skipped)\n", st.files, st.stored,
		    st.records, st.messages, st.duplicates, st.rejected,
		    st.unchanged);
	if (rc < 0)
		return CMD_USAGE;
	return st.rejected ? CMD_FINDING : CMD_OK;
}
