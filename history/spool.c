/*
 * spool - encoding and checked decoding of spool files.  See spool.h.
 */
#include "spool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define FIELD_NULL 0xffffffffu

/* ---- encoding ------------------------------------------------------- */

static void put_u32(strbuf_t *sb, uint32_t v)
{
	char b[4] = { (char)(v & 0xff), (char)((v >> 8) & 0xff),
		(char)((v >> 16) & 0xff), (char)(v >> 24) };

	strbuf_append(sb, b, 4);
}

static void put_u64(strbuf_t *sb, uint64_t v)
{
	put_u32(sb, (uint32_t)(v & 0xffffffffu));
	put_u32(sb, (uint32_t)(v >> 32));
}

static void put_field(strbuf_t *sb, const char *s)
{
	size_t n;

	if (s == NULL) {
		put_u32(sb, FIELD_NULL);
		return;
	}
	n = strnlen(s, SPOOL_FIELD_MAX);
	put_u32(sb, (uint32_t)n);
	strbuf_append(sb, s, n);
}

static void put_fields(strbuf_t *sb, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_field(sb, v[i]);
}

static void put_record(strbuf_t *sb, const hrec_t *r)
{
	put_fields(sb, r->msg, HREC_MSG_COLS);
	put_u32(sb, r->nrcpt);
	put_fields(sb, r->rcpt, r->nrcpt);
	put_u32(sb, r->ndkim);
	for (unsigned k = 0; k < r->ndkim; k++)
		put_fields(sb, r->dkim[k], HREC_DKIM_COLS);
	put_u32(sb, r->nover);
	for (unsigned k = 0; k < r->nover; k++)
		put_fields(sb, r->over[k], HREC_OVER_COLS);
	put_u32(sb, r->has_sample);
	if (r->has_sample)
		put_fields(sb, r->sample, HREC_SAMPLE_COLS);
}

static uint32_t crc_of(const void *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static void set_u32(char *p, uint32_t v)
{
	p[0] = (char)(v & 0xff);
	p[1] = (char)((v >> 8) & 0xff);
	p[2] = (char)((v >> 16) & 0xff);
	p[3] = (char)(v >> 24);
}

int spool_encode(strbuf_t *sb, const hrec_t *recs, size_t n)
{
	size_t start = sb->len, at;

	strbuf_append(sb, SPOOL_MAGIC, SPOOL_MAGIC_LEN);
	put_u32(sb, SPOOL_VERSION);
	put_u32(sb, (uint32_t)n);
	put_u64(sb, 0);                 /* body, set below */
	put_u32(sb, 0);                 /* header crc, set below */
	for (size_t i = 0; i < n && !sb->truncated; i++) {
		at = sb->len;
		put_u32(sb, 0);
		put_u32(sb, 0);
		put_record(sb, &recs[i]);
		if (sb->truncated)
			break;
		set_u32(sb->s + at, (uint32_t)(sb->len - at - 8));
		set_u32(sb->s + at + 4, crc_of(sb->s + at + 8,
		    sb->len - at - 8));
	}
	if (sb->truncated || n > SPOOL_RECORDS_MAX)
		return -1;
	at = sb->len - start - SPOOL_HEADER_LEN;
	set_u32(sb->s + start + 16, (uint32_t)(at & 0xffffffffu));
	set_u32(sb->s + start + 20, (uint32_t)((uint64_t)at >> 32));
	set_u32(sb->s + start + 24, crc_of(sb->s + start, 24));
	return 0;
}

/* ---- decoding ------------------------------------------------------- */

typedef struct reader {
	const unsigned char *p;
	size_t left;
	char *arena;                    /* next free byte */
	char *err;
	size_t errlen;
	size_t rec;                     /* record number, for err */
} reader_t;

static uint32_t get_u32_at(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static int fail(reader_t *r, const char *what)
{
	str_format(r->err, r->errlen, "record %zu: %s", r->rec, what);
	return -1;
}

static int get_u32(reader_t *r, uint32_t *v)
{
	if (r->left < 4)
		return fail(r, "truncated");
	*v = get_u32_at(r->p);
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int get_count(reader_t *r, unsigned *v, unsigned max)
{
	uint32_t n;

	if (get_u32(r, &n) < 0)
		return -1;
	if (n > max)
		return fail(r, "count out of range");
	*v = n;
	return 0;
}

/* A field, copied NUL-terminated into the arena (sized by the caller:
 * each field takes 4 + len bytes of input and len + 1 of arena). */
static int get_field(reader_t *r, const char **out)
{
	uint32_t n;

	if (get_u32(r, &n) < 0)
		return -1;
	if (n == FIELD_NULL) {
		*out = NULL;
		return 0;
	}
	if (n > SPOOL_FIELD_MAX || n > r->left)
		return fail(r, "field length out of range");
	if (memchr(r->p, '\0', n) != NULL)
		return fail(r, "NUL byte in a field");
	memcpy(r->arena, r->p, n);
	r->arena[n] = '\0';
	*out = r->arena;
	r->arena += n + 1;
	r->p += n;
	r->left -= n;
	return 0;
}

static int get_fields(reader_t *r, const char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (get_field(r, &v[i]) < 0)
			return -1;
	return 0;
}

static int get_record(reader_t *r, hrec_t *h)
{
	unsigned has_sample;

	memset(h, 0, sizeof(*h));
	if (get_fields(r, h->msg, HREC_MSG_COLS) < 0 ||
	    get_count(r, &h->nrcpt, HISTORY_MAX_RCPT_DOMAINS) < 0 ||
	    get_fields(r, h->rcpt, h->nrcpt) < 0 ||
	    get_count(r, &h->ndkim, EVAL_MAX_DKIM) < 0)
		return -1;
	for (unsigned k = 0; k < h->ndkim; k++)
		if (get_fields(r, h->dkim[k], HREC_DKIM_COLS) < 0)
			return -1;
	if (get_count(r, &h->nover, EVAL_MAX_OVERRIDES) < 0)
		return -1;
	for (unsigned k = 0; k < h->nover; k++)
		if (get_fields(r, h->over[k], HREC_OVER_COLS) < 0)
			return -1;
	if (get_count(r, &has_sample, 1) < 0)
		return -1;
	h->has_sample = has_sample == 1;
	if (h->has_sample && get_fields(r, h->sample, HREC_SAMPLE_COLS) < 0)
		return -1;
	if (r->left != 0)
		return fail(r, "bytes after the last field");
	return 0;
}

static int check_header(const unsigned char *buf, size_t len, uint32_t *n,
    char *err, size_t errlen)
{
	uint64_t body;

	if (len < SPOOL_HEADER_LEN) {
		str_format(err, errlen, "header: truncated (%zu bytes)", len);
		return -1;
	}
	if (memcmp(buf, SPOOL_MAGIC, SPOOL_MAGIC_LEN) != 0) {
		str_format(err, errlen, "header: not a spool file (magic)");
		return -1;
	}
	if (get_u32_at(buf + 24) != crc_of(buf, 24)) {
		str_format(err, errlen, "header: checksum mismatch");
		return -1;
	}
	if (get_u32_at(buf + 8) != SPOOL_VERSION) {
		str_format(err, errlen, "header: version %u, this program "
		    "reads version %d", get_u32_at(buf + 8), SPOOL_VERSION);
		return -1;
	}
	*n = get_u32_at(buf + 12);
	body = (uint64_t)get_u32_at(buf + 16) |
	    (uint64_t)get_u32_at(buf + 20) << 32;
	if (len > SPOOL_FILE_MAX || body != len - SPOOL_HEADER_LEN) {
		str_format(err, errlen, "header: %llu body bytes, the file "
		    "has %zu (truncated or extended)", (unsigned long long)body,
		    len - SPOOL_HEADER_LEN);
		return -1;
	}
	/* A record takes at least 8 + its fields' length words. */
	if (*n > SPOOL_RECORDS_MAX ||
	    *n > (len - SPOOL_HEADER_LEN) / (8 + 4 * (HREC_MSG_COLS + 4))) {
		str_format(err, errlen, "header: %u records cannot fit", *n);
		return -1;
	}
	return 0;
}

static int decode_records(const unsigned char *buf, size_t len,
    spool_batch_t *b, char *err, size_t errlen)
{
	reader_t all = { .p = buf + SPOOL_HEADER_LEN,
		.left = len - SPOOL_HEADER_LEN, .arena = b->arena,
		.err = err, .errlen = errlen };
	uint32_t rlen;
	reader_t r;

	for (size_t i = 0; i < b->n; i++) {
		all.rec = i;
		if (get_u32(&all, &rlen) < 0 || all.left < 4)
			return fail(&all, "truncated");
		if (rlen > all.left - 4)
			return fail(&all, "length past the end of the file");
		if (get_u32_at(all.p) != crc_of(all.p + 4, rlen))
			return fail(&all, "checksum mismatch");
		r = all;
		r.p = all.p + 4;
		r.left = rlen;
		if (get_record(&r, &b->recs[i]) < 0)
			return -1;
		all.arena = r.arena;
		all.p += 4 + rlen;
		all.left -= 4 + rlen;
	}
	if (all.left != 0) {
		str_format(err, errlen, "%zu bytes after the last record",
		    all.left);
		return -1;
	}
	return 0;
}

int spool_decode(const unsigned char *buf, size_t len, spool_batch_t *b,
    char *err, size_t errlen)
{
	uint32_t n;

	memset(b, 0, sizeof(*b));
	if (check_header(buf, len, &n, err, errlen) < 0)
		return -1;
	b->n = n;
	b->recs = calloc(n > 0 ? n : 1, sizeof(*b->recs));
	b->arena = malloc(len - SPOOL_HEADER_LEN + 1);
	if (b->recs == NULL || b->arena == NULL) {
		str_format(err, errlen, "out of memory");
		spool_batch_free(b);
		return -1;
	}
	if (decode_records(buf, len, b, err, errlen) < 0) {
		spool_batch_free(b);
		return -1;
	}
	return 0;
}

void spool_batch_free(spool_batch_t *b)
{
	if (b == NULL)
		return;
	free(b->recs);
	free(b->arena);
	memset(b, 0, sizeof(*b));
}
