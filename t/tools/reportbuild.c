/*
 * reportbuild - build one synthetic aggregate report through the
 * reporter's own code (reportjob.h: XML, validation, gzip) and print its
 * cost; the driver of the report XML benchmark and memory test.
 *
 * SYNOPSIS
 *	reportbuild [-f 9990|7489] [-m MB] [-o FILE] RECORDS
 *
 * DESCRIPTION
 *	Fills an agg_report_t with RECORDS distinct records (source
 *	addresses 10.0.0.0/8 counted up; every tenth one failing DMARC
 *	with a local_policy override, two DKIM signatures, an SPF result),
 *	then times rjob_build() on it with no destination and prints one
 *	line:
 *
 *	    records=N format=F build_s=S rss_before_kb=A rss_peak_kb=B
 *	        gz_bytes=G gz_crc32=C rc=R sanitizer=0|1
 *
 *	rss_before_kb is the peak resident size (VmHWM) once the records
 *	are in memory, rss_peak_kb the peak after the build: the
 *	difference is what building the report took (not under a
 *	sanitizer, sanitizer=1, whose quarantine keeps freed memory).
 *	gz_crc32 identifies the compressed bytes (equal output, equal
 *	CRC).  -o writes the gzipped report to FILE.  -m MB limits the address space
 *	(RLIMIT_AS) to what the process has mapped once the records are in
 *	memory plus MB megabytes, so that a build whose memory grows with
 *	the records fails.  Exit status 0 when the report was built and
 *	valid, 1 otherwise (err on stderr), 77 when -m cannot be used (a
 *	sanitizer build maps terabytes of shadow memory).
 */
#include "../../reporter/feedback_xml.h"
#include "../../reporter/reportjob.h"
#include "../../util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#define SUB "\x1d"
#define LIST "\x1e"
#define T0 1763856000

static long vm_kb(const char *field);

/* A sanitizer build maps terabytes of shadow memory up front. */
static bool sanitizer_build(void)
{
	return vm_kb("VmSize") > 64L * 1024 * 1024;
}

/* A "VmXXX:" figure of /proc/self/status in kB, or -1. */
static long vm_kb(const char *field)
{
	char line[256];
	long kb = -1;
	size_t n = strlen(field);
	FILE *fp = fopen("/proc/self/status", "r");

	while (fp && fgets(line, sizeof(line), fp))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			kb = strtol(line + n + 1, NULL, 10);
	if (fp)
		fclose(fp);
	return kb;
}

static int limit_as(long mb)
{
	long size = vm_kb("VmSize");
	struct rlimit rl;

	if (size < 0 || sanitizer_build()) {
		fprintf(stderr, "reportbuild: VmSize %ld kB, no -m\n", size);
		return -1;
	}
	rl.rlim_cur = rl.rlim_max = (rlim_t)(size + mb * 1024) * 1024;
	return setrlimit(RLIMIT_AS, &rl);
}

static void fill(agg_report_t *rep, unsigned long n)
{
	agg_policy_t p = { .seen = T0, .p = "reject", .sp = "quarantine",
	    .np = "reject", .adkim = "r", .aspf = "r", .pct = 100,
	    .testing = "n", .fo = "1", .psd = "n", .discovery = "treewalk",
	    .valid = true };
	char ip[32], to[64];

	agg_policy_offer(rep, &p);
	for (unsigned long i = 0; i < n; i++) {
		bool fail = i % 10 == 9;
		const char *f[AGG_NFIELDS] = { ip, "example.org",
		    "bounces.example.org", to, fail ? "reject" : "none",
		    fail ? "fail" : "pass", fail ? "0" : "1", fail ? "0" : "1",
		    "bounces.example.org", "mfrom", fail ? "softfail" : "pass",
		    fail ? "example.org" SUB "s1" SUB "fail" SUB
		    "body hash mismatch" LIST "esp.example" SUB "k2" SUB "pass"
		    SUB : "example.org" SUB "s1" SUB "pass" SUB LIST
		    "esp.example" SUB "k2" SUB "pass" SUB,
		    fail ? "local_policy" SUB "Enforcement off" : "" };

		str_format(ip, sizeof(ip), "10.%lu.%lu.%lu", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		str_format(to, sizeof(to), "rcpt%lu.example.net", i % 7);
		agg_add(rep, f, 1 + i % 5);
	}
	agg_sort(rep);
}

int main(int argc, char **argv)
{
	char err[FXML_ERR_MAX];
	const char *out = NULL;
	report_format_t fmt = REPORT_RFC9990;
	rjob_env_t env = { .org_name = "Bench Receiver",
	    .sender = "noreply-dmarc@mx.example.net", .submitter =
	    "mx.example.net", .contact = "", .generator = "reportbuild",
	    .begin = T0, .end = T0 + 86400 };
	struct timespec a, b;
	long before, mb = 0;
	rjob_t *j;
	int c;

	while ((c = getopt(argc, argv, "f:m:o:")) != -1) {
		if (c == 'f')
			fmt = strcmp(optarg, "7489") == 0 ? REPORT_RFC7489 :
			    REPORT_RFC9990;
		else if (c == 'm')
			mb = strtol(optarg, NULL, 10);
		else if (c == 'o')
			out = optarg;
		else
			return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: reportbuild [-f 9990|7489] [-m MB] "
		    "[-o FILE] RECORDS\n");
		return 2;
	}
	if ((env.schemas = fxml_schemas_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	env.format = fmt;
	j = rjob_new("example.org");
	str_copy(j->id, sizeof(j->id), "bench-1");
	fill(&j->rep, strtoul(argv[optind], NULL, 10));
	if (mb > 0 && limit_as(mb) < 0) {
		rjob_free(j);
		fxml_schemas_free((fxml_schemas_t *)env.schemas);
		return 77;
	}
	before = vm_kb("VmHWM");
	clock_gettime(CLOCK_MONOTONIC, &a);
	rjob_build(&env, j);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("records=%zu format=%s build_s=%.3f rss_before_kb=%ld "
	    "rss_peak_kb=%ld gz_bytes=%zu gz_crc32=%08lx rc=%d sanitizer=%d\n",
	    j->rep.nrecords, fmt == REPORT_RFC9990 ? "9990" : "7489",
	    (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9,
	    before, vm_kb("VmHWM"), j->gzlen, j->gz ? crc32(0, j->gz,
	    (uInt)j->gzlen) : 0UL, j->rc, sanitizer_build());
	if (j->rc != 0)
		fprintf(stderr, "reportbuild: %s\n", j->err);
	if (out && j->gz)
		reportjob_write(".", out, j->gz, j->gzlen);
	c = j->rc == 0 ? 0 : 1;
	rjob_free(j);
	fxml_schemas_free((fxml_schemas_t *)env.schemas);
	return c;
}
