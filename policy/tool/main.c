/*
 * dmarcwarden-policy - the domain owner's DMARC tool: check, ingest,
 * report, advise, html, list.  See dmarcwarden-policy(1).
 *
 * main() only dispatches; each subcommand lives in its own module
 * (cmd_*.c), which the unit tests link as libpolicytool.a.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static void usage(FILE *f)
{
	fputs("usage: dmarcwarden-policy check [--nameservers NS] DOMAIN\n"
	    "       dmarcwarden-policy ingest [--db PATH] PATH...\n"
	    "       dmarcwarden-policy report [--db PATH | --history PATH] "
	    "[--days N] [--json] [DOMAIN]\n"
	    "       dmarcwarden-policy advise [--db PATH] [--days N] "
	    "[--json] [THRESHOLDS] DOMAIN\n"
	    "       dmarcwarden-policy html [--db PATH | --history PATH] "
	    "-o FILE [DOMAIN]\n"
	    "       dmarcwarden-policy list [--db PATH] [--json | --csv]\n"
	    "see dmarcwarden-policy(1)\n", f);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} cmds[] = {
		{ "check", cmd_check }, { "ingest", cmd_ingest },
		{ "report", cmd_report }, { "advise", cmd_advise },
		{ "html", cmd_html }, { "list", cmd_list },
	};
	size_t i;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CMD_USAGE : 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "dmarcwarden-policy: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return CMD_USAGE;
}
