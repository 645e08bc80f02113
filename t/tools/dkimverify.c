/*
 * dkimverify - test driver for milter/dkim.c.
 *
 * SYNOPSIS
 *	dkimverify -n 127.0.0.1@PORT [-m MAXSIGS] [-t TIMEOUT_MS]
 *	    [-c CHUNK] [-L] [-F FROMDOMAIN] [-v] FILE
 *
 * DESCRIPTION
 *	Reads a message (LF or CRLF line ends; "-" for stdin), hands it to
 *	the dkim.h API as the milter would: each header field as name and
 *	raw value (everything after the colon, folding kept, with CRLF line
 *	breaks), then the body in CHUNK-byte pieces (default 4096) with CRLF
 *	line ends.  Prints one line per signature:
 *
 *	    RESULT DOMAIN SELECTOR REASON
 *
 *	("-" for an empty field).  With -v each line is instead
 *
 *	    RESULT d=DOMAIN s=SELECTOR a=ALG bits=N l=0|1 i=IDENTITY
 *	        b=BHASH8 reason=REASON
 *
 *	and a last line "count=N ignored=M".  -L: content after a
 *	signature's l= makes it policy (dkim_verify_strict_length; the
 *	daemon's default).  -F: past MAXSIGS, verify signatures aligned
 *	with FROMDOMAIN first (dkim_verify_prefer).  Keys are looked up through
 *	the shared resolver (dns/dns.c) at the given nameserver.
 *
 * DIAGNOSTICS
 *	Exit 0 after printing results, 2 on usage or setup errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../milter/dkim.h"
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

/* Length of the line at p (up to and excluding LF or CRLF), and the
 * offset of the next line. */
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

static void feed_field(dkim_verify_t *v, const strbuf_t *field)
{
	const char *s = strbuf_str(field);
	const char *colon = strchr(s, ':');
	char *name;

	if (colon == NULL)      /* not a header field: the milter never
	                           gets such a line as a header */
		return;
	name = strndup(s, (size_t)(colon - s));
	if (name == NULL)
		abort();
	dkim_verify_header(v, name, colon + 1);
	free(name);
}

/* Feed the header fields; returns the offset of the body. */
static size_t feed_headers(dkim_verify_t *v, const char *msg, size_t len)
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
	dkim_verify_eoh(v);
	return (size_t)(p - msg);
}

/* Body with CRLF line ends, in chunks of `chunk` bytes. */
static void feed_body(dkim_verify_t *v, const char *p, size_t len,
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
		dkim_verify_body(v, (const unsigned char *)out.s + i,
		    out.len - i < chunk ? out.len - i : chunk);
	strbuf_free(&out);
}

static const char *dash(const char *s)
{
	return s[0] ? s : "-";
}

static void print_results(const dkim_results_t *res, int verbose)
{
	size_t i;

	for (i = 0; i < res->count; i++) {
		const dkim_sig_result_t *s = &res->sig[i];

		if (!verbose) {
			printf("%s %s %s %s\n", auth_result_name(s->result),
			    dash(s->domain), dash(s->selector),
			    dash(s->reason));
			continue;
		}
		printf("%s d=%s s=%s a=%s bits=%u l=%d i=%s b=%s reason=%s\n",
		    auth_result_name(s->result), dash(s->domain),
		    dash(s->selector), dash(s->algorithm), s->keybits,
		    s->body_length_limited, dash(s->identity),
		    dash(s->bhash8), dash(s->reason));
	}
	if (verbose)
		printf("count=%zu ignored=%zu\n", res->count, res->ignored);
}

static int usage(void)
{
	fprintf(stderr, "usage: dkimverify -n NAMESERVER [-m MAXSIGS] "
	    "[-t TIMEOUT_MS] [-c CHUNK] [-v] FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	dns_cfg_t cfg = { .nameservers = NULL, .timeout_ms = 2000 };
	unsigned max_sigs = 10;
	size_t chunk = 4096, body;
	int c, verbose = 0, strict = 0, rc = 2;
	const char *from = NULL;
	char err[256] = "";
	dns_resolver_t *r = NULL;
	dkim_engine_t *e = NULL;
	dkim_verify_t *v;
	dkim_results_t *res;
	strbuf_t msg;

	while ((c = getopt(argc, argv, "n:m:t:c:vLF:")) != -1) {
		switch (c) {
		case 'n': cfg.nameservers = optarg; break;
		case 'm': max_sigs = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': cfg.timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'c': chunk = strtoul(optarg, NULL, 10); break;
		case 'v': verbose = 1; break;
		case 'L': strict = 1; break;
		case 'F': from = optarg; break;
		default: return usage();
		}
	}
	if (optind + 1 != argc || chunk == 0)
		return usage();
	strbuf_init(&msg, MESSAGE_MAX);
	res = calloc(1, sizeof(*res));
	if (res == NULL || read_all(argv[optind], &msg) < 0) {
		fprintf(stderr, "dkimverify: cannot read %s\n", argv[optind]);
		goto out;
	}
	r = dns_resolver_new(&cfg, err, sizeof(err));
	if (r == NULL || (e = dkim_engine_new(r, max_sigs, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "dkimverify: %s\n", err);
		goto out;
	}
	v = dkim_verify_new(e, "dkimverify");
	dkim_verify_strict_length(v, strict != 0);
	dkim_verify_prefer(v, from);
	body = feed_headers(v, strbuf_str(&msg), msg.len);
	feed_body(v, strbuf_str(&msg) + body, msg.len - body, chunk);
	dkim_verify_eom(v, res);
	dkim_verify_free(v);
	print_results(res, verbose);
	rc = 0;
out:
	dkim_engine_free(e);
	dns_resolver_free(r);
	strbuf_free(&msg);
	free(res);
	return rc;
}
