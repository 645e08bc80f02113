/*
 * cmd_report - "report", "advise" and "html": one view (view.h), three
 * renderings.
 */
#include "cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../util/strbuf.h"
#include "view.h"

static int open_view(int argc, char **argv, unsigned allowed, bool need_domain,
    cmd_opts_t *o, view_t *v)
{
	char err[512];

	if (cmd_parse(argc, argv, allowed, o) < 0)
		return -1;
	if (o->db && o->history) {
		fprintf(stderr, "dmarcwarden-policy %s: --db and --history "
		    "exclude each other\n", argv[0]);
		return -1;
	}
	if (cmd_domain(o, argv, need_domain && o->history == NULL) < 0)
		return -1;
	if (view_open(v, o, err, sizeof(err)) < 0) {
		fprintf(stderr, "dmarcwarden-policy %s: %s\n", argv[0], err);
		view_close(v);
		return -1;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	cmd_opts_t o;
	view_t v;

	if (open_view(argc, argv, CMD_OPT_DB | CMD_OPT_HISTORY | CMD_OPT_DAYS |
	    CMD_OPT_JSON | CMD_OPT_DNS | CMD_OPT_CSV, true, &o, &v) < 0)
		return CMD_USAGE;
	if (o.failures && !o.csv) {
		fprintf(stderr, "dmarcwarden-policy report: --failures needs "
		    "--csv\n");
		view_close(&v);
		return CMD_USAGE;
	}
	if (o.csv && o.failures)
		render_failures_csv(stdout, &v);
	else if (o.csv)
		render_report_csv(stdout, &v);
	else if (o.json)
		render_report_json(stdout, &v, 0);
	else
		render_report_text(stdout, &v);
	view_close(&v);
	return CMD_OK;
}

int cmd_advise(int argc, char **argv)
{
	cmd_opts_t o;
	view_t v;
	int rc;

	if (open_view(argc, argv, CMD_OPT_DB | CMD_OPT_HISTORY | CMD_OPT_DAYS |
	    CMD_OPT_JSON | CMD_OPT_DNS | CMD_OPT_ADVICE, true, &o, &v) < 0)
		return CMD_USAGE;
	if (o.domain[0] == '\0') {
		fprintf(stderr, "dmarcwarden-policy advise: DOMAIN required\n");
		view_close(&v);
		return CMD_USAGE;
	}
	if (o.json)
		render_report_json(stdout, &v, 1);
	else
		render_advise_text(stdout, &v);
	rc = v.adv.ready ? CMD_OK : CMD_FINDING;
	view_close(&v);
	return rc;
}

int cmd_html(int argc, char **argv)
{
	cmd_opts_t o;
	view_t v;
	FILE *f;
	int rc = CMD_OK;

	if (open_view(argc, argv, CMD_OPT_DB | CMD_OPT_HISTORY | CMD_OPT_DAYS |
	    CMD_OPT_DNS | CMD_OPT_ADVICE | CMD_OPT_OUT, true, &o, &v) < 0)
		return CMD_USAGE;
	if (o.out == NULL) {
		fprintf(stderr, "dmarcwarden-policy html: -o FILE required\n");
		view_close(&v);
		return CMD_USAGE;
	}
	f = strcmp(o.out, "-") == 0 ? stdout : fopen(o.out, "w");
	if (f == NULL) {
		fprintf(stderr, "dmarcwarden-policy html: %s: %s\n", o.out,
		    strerror(errno));
		view_close(&v);
		return CMD_USAGE;
	}
	if (render_html(f, &v) < 0 || ferror(f))
		rc = CMD_USAGE;
	if (f != stdout && fclose(f) != 0)
		rc = CMD_USAGE;
	if (rc != CMD_OK)
		fprintf(stderr, "dmarcwarden-policy html: writing %s failed\n",
		    o.out);
	view_close(&v);
	return rc;
}
