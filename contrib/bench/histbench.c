/*
 * histbench - one history writer process for contrib/bench/history-bench:
 * submits ROWS rows through history_open_config()/history_submit() as
 * fast as it can, waits until the writer has written them all, closes,
 * and prints "written SECONDS" on stdout.
 *
 * SYNOPSIS
 *	histbench DB ROWS SPOOLDIR
 *
 * DESCRIPTION
 *	DB is a HistoryDB value: an SQLite path or a postgresql:// URI.  The
 *	rows look like a milter's (two recipient domains, two DKIM
 *	signatures, two overrides), each with its own qid and time.  The
 *	buffer holds every row (nothing is dropped for lack of room), so
 *	the time measured is the writer's: from the first submit to the
 *	last row committed.  Exit 1 when not every row was written within
 *	ten minutes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../history/history.h"
#include "../../util/log.h"
#include "../../util/strbuf.h"

static void make_row(history_row_t *r, long i)
{
	memset(r, 0, sizeof(*r));
	r->when = 1700000000 + i;
	str_format(r->qid, sizeof(r->qid), "Q%ld-%d", i, (int)getpid());
	str_format(r->client_ip, sizeof(r->client_ip), "192.0.2.%ld",
	    i % 250 + 1);
	str_copy(r->helo, sizeof(r->helo), "mx.example.net");
	str_copy(r->envelope_from, sizeof(r->envelope_from),
	    "bounce.example.org");
	r->nrcpt_domains = 2;
	str_copy(r->rcpt_domain[0], FROM_DOMAIN_MAX, "example.com");
	str_copy(r->rcpt_domain[1], FROM_DOMAIN_MAX, "example.net");
	str_format(r->header_from, sizeof(r->header_from), "d%ld.example",
	    i % 5000);
	str_copy(r->policy_domain, sizeof(r->policy_domain), r->header_from);
	str_copy(r->org_domain, sizeof(r->org_domain), r->header_from);
	r->policy_found = true;
	r->rec.p = DMARC_POLICY_QUARANTINE;
	r->rec.sp = DMARC_POLICY_REJECT;
	r->rec.np = DMARC_POLICY_NONE;
	r->rec.pct = 100;
	str_copy(r->rec.fo, sizeof(r->rec.fo), "0");
	r->result = i % 10 ? DMARC_RESULT_PASS : DMARC_RESULT_FAIL;
	r->requested = r->evaluated = r->applied = DMARC_POLICY_NONE;
	str_copy(r->action, sizeof(r->action), "accept");
	r->noverrides = 1;
	r->overrides[0].reason = OVERRIDE_LOCAL_POLICY;
	r->spf_result = AUTH_PASS;
	r->spf_scope = SPF_SCOPE_MFROM;
	str_copy(r->spf_domain, sizeof(r->spf_domain), "bounce.example.org");
	r->ndkim = 2;
	str_copy(r->dkim[0].domain, FROM_DOMAIN_MAX, r->header_from);
	str_copy(r->dkim[0].selector, SELECTOR_MAX, "sel1");
	r->dkim[0].result = AUTH_PASS;
	r->dkim[0].aligned = true;
	str_copy(r->dkim[1].domain, FROM_DOMAIN_MAX, "esp.example");
	str_copy(r->dkim[1].selector, SELECTOR_MAX, "s2");
	r->dkim[1].result = AUTH_PASS;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static history_row_t row;
	history_config_t cfg;
	history_stats_t st;
	char err[600];
	history_t *h;
	double t0, deadline;
	long rows;

	if (argc != 4 || (rows = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: histbench DB ROWS SPOOLDIR\n");
		return 2;
	}
	log_open("histbench", false, "mail", true);
	cfg = (history_config_t){ .db = argv[1], .max_buffered =
	    (unsigned)rows, .spool_dir = argv[3] };
	if ((h = history_open_config(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "histbench: %s\n", err);
		return 1;
	}
	t0 = now_s();
	for (long i = 0; i < rows; i++) {
		make_row(&row, i);
		history_submit(h, &row);
	}
	deadline = t0 + 600;
	do {
		usleep(2000);
		history_stats(h, &st);
	} while (st.written < (uint64_t)rows && st.dropped == 0 &&
	    now_s() < deadline);
	printf("%llu %.3f\n", (unsigned long long)st.written, now_s() - t0);
	history_close(h);
	return st.written == (uint64_t)rows ? 0 : 1;
}
