/*
 * milterload - replay a corpus of messages against a milter or a chain of
 * milters, as Postfix would send them, and measure.
 *
 * SYNOPSIS
 *	milterload [-c CONCURRENCY] [-n MESSAGES] [-w WARMUP] [-t SECONDS]
 *	    [-o RESULTS] [-q] [-P] CORPUS-DIR SOCKET [SOCKET...]
 *
 * DESCRIPTION
 *	Loads every CORPUS-DIR/NAME.eml with its envelope NAME.env (format in
 *	mload_corpus.h), then runs MESSAGES SMTP sessions (default: one per
 *	corpus message; the corpus is cycled), CONCURRENCY at a time (default
 *	1), each with one message and its own connection to every milter.
 *	SOCKETs (unix:/path, local:/path, /path, inet:PORT@HOST,
 *	inet:HOST:PORT, inet6:PORT@HOST) form a chain in the order given:
 *	headers added by one milter are shown to the next, as Postfix does
 *	(see mload_session.h).  WARMUP sessions (default 0) run first and are
 *	not counted, e.g. to fill the milters' DNS caches.  -t sets the
 *	time-out for each read and write (default 30 s).  -P writes as
 *	Postfix does (mload_conn.h): each event in its own write, Nagle's
 *	algorithm on, so TCP sockets show the delayed-ACK stalls a real MTA
 *	meets; without it, events that get no reply are sent together.
 *
 *	Prints, on stdout, four lines of "key value" pairs:
 *	    messages N elapsed S concurrency C milters M
 *	    throughput R msgs/s
 *	    latency_ms p50 A p90 B p99 C max D
 *	    actions accept N hold N reject N tempfail N discard N error N
 *	Latency is per message, from connecting to the milters to the reply
 *	that decided the message (see mload_session.h); percentiles are
 *	nearest-rank.  "hold" is a message accepted with a quarantine request.
 *
 *	-o writes one block per counted message, in the order of the
 *	sessions: "NAME<TAB>ACTION<TAB>STAGE<TAB>LATENCY_US<TAB>REPLY<TAB>
 *	QUARANTINE" (REPLY is the error text for action "error"), then the
 *	header edit lines of mload_session.h, each prefixed by a tab, for
 *	comparing verdicts between runs.  -q prints no per-error
 *	lines on stderr (the first 10 errors are shown otherwise).
 *
 * DIAGNOSTICS
 *	Exit status 0 when every session completed, 1 when some ended in a
 *	protocol error, time-out or connection failure, 2 for usage or
 *	corpus errors.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mload_conn.h"
#include "mload_corpus.h"
#include "mload_session.h"

#define MAX_CONCURRENCY 1024
#define MAX_SHOWN_ERRORS 10

typedef struct result {
	mload_final_t final;
	const char *stage;
	double latency_us;
	char *line;             /* -o block, or NULL */
} result_t;

typedef struct run {
	const mload_corpus_t *corpus;
	mload_chain_t chain;
	unsigned long total;        /* sessions to run */
	unsigned long base;         /* session number of the first */
	atomic_ulong next;
	result_t *res;              /* NULL during warm-up */
	atomic_int shown_errors;
	bool quiet;
} run_t;

static void usage(void)
{
	fprintf(stderr, "usage: milterload [-c concurrency] [-n messages] "
	    "[-w warmup] [-t seconds] [-o results] [-q] [-P] corpus-dir socket "
	    "[socket...]\n");
	exit(2);
}

static char *result_line(const mload_msg_t *m, const mload_outcome_t *o)
{
	strbuf_t sb;
	const char *p;

	strbuf_init(&sb, 2 * 1024 * 1024);
	strbuf_appendf(&sb, "%s\t%s\t%s\t%.0f\t%s\t%s\n", m->file,
	    mload_final_name(o->final), o->stage ? o->stage : "",
	    o->latency_us, o->final == MLOAD_FINAL_ERROR ? o->err : o->reply,
	    o->quarantine);
	for (p = strbuf_str(&o->edits); *p; ) {
		size_t n = strcspn(p, "\n");

		strbuf_putc(&sb, '\t');
		strbuf_append(&sb, p, n + (p[n] == '\n'));
		p += n + (p[n] == '\n');
	}
	return strbuf_steal(&sb);
}

static void *worker(void *arg)
{
	run_t *run = arg;
	mload_outcome_t out;
	unsigned long i;
	const mload_msg_t *m;

	while ((i = atomic_fetch_add(&run->next, 1)) < run->total) {
		m = &run->corpus->msg[i % run->corpus->nmsg];
		mload_session_run(&run->chain, m, run->base + i, &out);
		if (out.final == MLOAD_FINAL_ERROR && !run->quiet &&
		    atomic_fetch_add(&run->shown_errors, 1) < MAX_SHOWN_ERRORS)
			fprintf(stderr, "milterload: %s: %s\n", m->file,
			    out.err);
		if (run->res) {
			run->res[i].final = out.final;
			run->res[i].stage = out.stage;
			run->res[i].latency_us = out.latency_us;
			if (run->chain.record)
				run->res[i].line = result_line(m, &out);
		}
		mload_outcome_free(&out);
	}
	return NULL;
}

/* Run sessions with nthreads workers; returns the wall time in s. */
static double run_sessions(run_t *run, int nthreads)
{
	pthread_t tid[MAX_CONCURRENCY];
	struct timespec t0, t1;
	int i, started = 0;

	atomic_store(&run->next, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tid[i], NULL, worker, run) != 0) {
			fprintf(stderr, "milterload: pthread_create: %s\n",
			    strerror(errno));
			break;
		}
		started++;
	}
	if (started == 0)
		exit(2);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n], in ms. */
static double pct_ms(const double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 1000.0;
}

static int report(const run_t *run, double secs, int conc)
{
	unsigned long tally[MLOAD_FINAL_COUNT] = { 0 }, i;
	double *lat = calloc(run->total ? run->total : 1, sizeof(double));
	size_t n = 0;
	int f;

	if (lat == NULL)
		abort();
	for (i = 0; i < run->total; i++) {
		tally[run->res[i].final]++;
		if (run->res[i].final != MLOAD_FINAL_ERROR)
			lat[n++] = run->res[i].latency_us;
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("messages %lu elapsed %.3f concurrency %d milters %zu\n",
	    run->total, secs, conc, run->chain.n);
	printf("throughput %.1f msgs/s\n", secs > 0 ? (double)n / secs : 0);
	printf("latency_ms p50 %.3f p90 %.3f p99 %.3f max %.3f\n",
	    pct_ms(lat, n, 50), pct_ms(lat, n, 90), pct_ms(lat, n, 99),
	    n ? lat[n - 1] / 1000.0 : 0);
	printf("actions");
	for (f = 0; f < MLOAD_FINAL_COUNT; f++)
		printf(" %s %lu", mload_final_name((mload_final_t)f), tally[f]);
	printf("\n");
	free(lat);
	return tally[MLOAD_FINAL_ERROR] ? 1 : 0;
}

static int write_results(const run_t *run, const char *path)
{
	FILE *fp = fopen(path, "w");
	unsigned long i;

	if (fp == NULL) {
		fprintf(stderr, "milterload: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < run->total; i++)
		fputs(run->res[i].line ? run->res[i].line : "\n", fp);
	if (fclose(fp) != 0) {
		fprintf(stderr, "milterload: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static unsigned long number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		usage();
	return v;
}

static void parse_chain(int argc, char **argv, mload_chain_t *ch)
{
	static mload_endpoint_t ep[MLOAD_MAX_CHAIN];
	char err[512];
	int i;

	if (argc < 1 || argc > MLOAD_MAX_CHAIN)
		usage();
	for (i = 0; i < argc; i++)
		if (mload_endpoint_parse(argv[i], &ep[i], err, sizeof(err)) <
		    0) {
			fprintf(stderr, "milterload: %s\n", err);
			exit(2);
		}
	ch->ep = ep;
	ch->n = (size_t)argc;
}

int main(int argc, char **argv)
{
	mload_corpus_t corpus;
	run_t run;
	const char *results = NULL;
	unsigned long count = 0, warmup = 0;
	int conc = 1, ch, rc;
	char err[1024];
	double secs;

	memset(&run, 0, sizeof(run));
	run.chain.timeout_ms = 30000;
	while ((ch = getopt(argc, argv, "c:n:w:t:o:qP")) != -1) {
		switch (ch) {
		case 'c':
			conc = (int)number(optarg, MAX_CONCURRENCY);
			break;
		case 'n':
			count = number(optarg, ULONG_MAX / 4);
			break;
		case 'w':
			warmup = number(optarg, ULONG_MAX / 4);
			break;
		case 't':
			run.chain.timeout_ms = (int)number(optarg, 3600) * 1000;
			break;
		case 'o':
			results = optarg;
			break;
		case 'q':
			run.quiet = true;
			break;
		case 'P':
			run.chain.postfix_writes = true;
			break;
		default:
			usage();
		}
	}
	if (conc < 1 || argc - optind < 2)
		usage();
	parse_chain(argc - optind - 1, argv + optind + 1, &run.chain);
	signal(SIGPIPE, SIG_IGN);
	if (mload_corpus_load(argv[optind], &corpus, err, sizeof(err)) < 0) {
		fprintf(stderr, "milterload: %s\n", err);
		return 2;
	}
	run.corpus = &corpus;
	if (warmup > 0) {
		run.total = warmup;
		run_sessions(&run, conc);
	}
	run.base = warmup;
	run.total = count ? count : corpus.nmsg;
	run.chain.record = results != NULL;
	if ((run.res = calloc(run.total, sizeof(*run.res))) == NULL)
		abort();
	secs = run_sessions(&run, conc);
	rc = report(&run, secs, conc);
	if (results && write_results(&run, results) < 0)
		rc = 2;
	for (count = 0; count < run.total; count++)
		free(run.res[count].line);
	free(run.res);
	mload_corpus_free(&corpus);
	return rc;
}
