/*
 * arcverify - test driver for milter/arc.c (ARC chain validation).
 *
 * SYNOPSIS
 *	arcverify -n 127.0.0.1@PORT [-t UNIXTIME] [-T TIMEOUT_MS]
 *	    [-c CHUNK] [-v] FILE
 *
 * DESCRIPTION
 *	Reads a message (LF or CRLF line ends; "-" for stdin) and hands it
 *	to the arc.h API as the milter does: each header field as name and
 *	raw value (everything after the colon, folds kept as CRLF), then
 *	the body with CRLF line ends in CHUNK-byte pieces (default 4096).
 *	Keys are fetched through the shared resolver (dns/dns.c) at the
 *	given nameserver.  -t verifies as of UNIXTIME (t=, x= checks)
 *	instead of now.  Prints
 *
 *	    cv=none|pass|fail
 *	    oldest_pass=N
 *	    sealers=D1,D2,...      (ARC-Seal d= of i=1, 2, ...)
 *	    temperror=0|1
 *	    reason=TEXT
 *
 *	and with -v one more line per set:
 *
 *	    set i=N sealer=D selector=S ams_domain=D ams=0|1 as=0|1
 *	        from=0|1 aar=TEXT
 *
 * DIAGNOSTICS
 *	Exit 0 after printing the result, 2 on usage or setup errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../milter/arc.h"
#include "../../dns/dns.h"
#include "../../util/strbuf.h"

#define MESSAGE_MAX (64 * 1024 * 1024)

static int read_all(const char *path, strbuf_t *sb)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (fp == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (strbuf_append(sb, buf, n) < 0)
			break;
	if (fp != stdin)
		fclose(fp);
	return sb->truncated ? -1 : 0;
}

/* Length of the line at p without its LF or CRLF; *next is the offset of
 * the following line. */
static size_t line_at(const char *p, const char *end, size_t *next)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	size_t len;

	if (lf == NULL) {
		*next = (size_t)(end - p);
		return *next;
	}
	*next = (size_t)(lf - p) + 1;
	len = (size_t)(lf - p);
	if (len > 0 && p[len - 1] == '\r')
		len--;
	return len;
}

static void feed_field(arc_verify_t *v, strbuf_t *field)
{
	char *s = field->s, *colon = memchr(s, ':', field->len);

	if (colon == NULL)      /* not a header field */
		return;
	*colon = '\0';
	arc_verify_header(v, s, colon + 1);
}

/* Feed the header fields; returns the offset of the body. */
static size_t feed_headers(arc_verify_t *v, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;
	strbuf_t field;
	size_t n, next;

	strbuf_init(&field, MESSAGE_MAX);
	while (p < end) {
		n = line_at(p, end, &next);
		if (n == 0) {           /* empty line: end of header */
			p += next;
			break;
		}
		if ((*p == ' ' || *p == '\t') && field.len > 0) {
			strbuf_append(&field, "\r\n", 2);
		} else {
			if (field.len > 0)
				feed_field(v, &field);
			strbuf_reset(&field);
		}
		strbuf_append(&field, p, n);
		p += next;
	}
	if (field.len > 0)
		feed_field(v, &field);
	strbuf_free(&field);
	arc_verify_eoh(v);
	return (size_t)(p - msg);
}

/* Body with CRLF line ends, in chunks of `chunk` bytes. */
static void feed_body(arc_verify_t *v, const char *p, size_t len,
    size_t chunk)
{
	strbuf_t out;
	size_t i;

	strbuf_init(&out, 2 * len + 16);
	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			strbuf_putc(&out, '\r');
		strbuf_putc(&out, p[i]);
	}
	for (i = 0; i < out.len; i += chunk)
		arc_verify_body(v, (const unsigned char *)out.s + i,
		    out.len - i < chunk ? out.len - i : chunk);
	strbuf_free(&out);
}

static void print_result(const arc_result_t *r, int verbose)
{
	size_t i;

	printf("cv=%s\noldest_pass=%u\nsealers=", arc_cv_name(r->cv),
	    r->oldest_pass);
	for (i = 0; i < r->nsets; i++)
		printf("%s%s", i ? "," : "", r->set[i].sealer[0] ?
		    r->set[i].sealer : "-");
	printf("\ntemperror=%d\nreason=%s\n", r->temperror ? 1 : 0,
	    r->reason);
	for (i = 0; verbose && i < r->nsets; i++) {
		const arc_set_info_t *s = &r->set[i];

		printf("set i=%u sealer=%s selector=%s ams_domain=%s ams=%d "
		    "as=%d from=%d aar=%s\n", s->instance, s->sealer,
		    s->selector, s->ams_domain, s->ams_valid, s->as_valid,
		    s->ams_signs_from, s->aar);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: arcverify -n NAMESERVER [-t UNIXTIME] "
	    "[-T TIMEOUT_MS] [-c CHUNK] [-v] FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	dns_cfg_t cfg = { .nameservers = NULL, .timeout_ms = 2000 };
	size_t chunk = 4096, body;
	int c, verbose = 0, rc = 2;
	char err[256] = "";
	time_t now = 0;
	dns_resolver_t *r = NULL;
	arc_engine_t *e = NULL;
	arc_verify_t *v;
	strbuf_t msg;

	while ((c = getopt(argc, argv, "n:t:T:c:v")) != -1) {
		switch (c) {
		case 'n': cfg.nameservers = optarg; break;
		case 't': now = (time_t)strtoll(optarg, NULL, 10); break;
		case 'T': cfg.timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'c': chunk = strtoul(optarg, NULL, 10); break;
		case 'v': verbose = 1; break;
		default: return usage();
		}
	}
	if (optind + 1 != argc || chunk == 0)
		return usage();
	strbuf_init(&msg, MESSAGE_MAX);
	if (read_all(argv[optind], &msg) < 0) {
		fprintf(stderr, "arcverify: cannot read %s\n", argv[optind]);
		goto out;
	}
	r = dns_resolver_new(&cfg, err, sizeof(err));
	if (r == NULL || (e = arc_engine_new(r, err, sizeof(err))) == NULL) {
		fprintf(stderr, "arcverify: %s\n", err);
		goto out;
	}
	v = arc_verify_new(e);
	if (now != 0)
		arc_verify_set_time(v, now);
	body = feed_headers(v, strbuf_str(&msg), msg.len);
	feed_body(v, strbuf_str(&msg) + body, msg.len - body, chunk);
	print_result(arc_verify_eom(v), verbose);
	arc_verify_free(v);
	rc = 0;
out:
	arc_engine_free(e);
	dns_resolver_free(r);
	strbuf_free(&msg);
	return rc;
}
