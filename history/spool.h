/*
 * spool - the on-disk format of a spooled history batch: rows the writer
 * could not give to PostgreSQL, kept until it is back.
 *
 * SYNOPSIS
 *	strbuf_t sb; strbuf_init(&sb, SPOOL_FILE_MAX);
 *	spool_encode(&sb, recs, n);                 0, -1 (too big)
 *
 *	spool_batch_t b;
 *	spool_decode(buf, len, &b, err, errlen);    0, -1 (corrupt)
 *	b.recs[0 .. b.n)
 *	spool_batch_free(&b);
 *
 * DESCRIPTION
 *	A spool file is one batch, written whole (spool_dir.c writes it to
 *	a temporary name, fsyncs and renames it).  Layout, integers little
 *	endian:
 *
 *	  header  "DWSPOOL\n"  8 bytes magic
 *	          u32 version  SPOOL_VERSION
 *	          u32 count    number of records
 *	          u64 body     bytes after the header
 *	          u32 crc      CRC-32 (zlib) of the 24 bytes above
 *	  record  u32 len, u32 crc (of the payload), payload of len bytes;
 *	          count records, exactly body bytes in all.
 *
 *	A payload is a sequence of fields, a field u32 length then that
 *	many bytes, or the length 0xffffffff alone for SQL NULL.  In order:
 *	the HREC_MSG_COLS message columns (history_rec.h), then u32 nrcpt
 *	and nrcpt fields, u32 ndkim and ndkim * HREC_DKIM_COLS fields, u32
 *	nover and nover * HREC_OVER_COLS fields, u32 has_sample (0 or 1)
 *	and, when 1, HREC_SAMPLE_COLS fields.  Counts are bounded by the
 *	arrays of hrec_t, a field by SPOOL_FIELD_MAX, a file by
 *	SPOOL_FILE_MAX and SPOOL_RECORDS_MAX records; a field holds no NUL byte.
 *
 *	spool_decode() checks all of it (magic, version, sizes, every CRC,
 *	every bound) before it returns anything: a file is used whole or
 *	not at all.  On success b owns its records and their strings (one
 *	arena); free with spool_batch_free(), which accepts a zeroed or
 *	freed batch.  On failure err says what is wrong and where, and b is
 *	empty.
 */
#ifndef HISTORY_SPOOL_H
#define HISTORY_SPOOL_H

#include <stddef.h>

#include "../util/strbuf.h"
#include "history_rec.h"

#define SPOOL_MAGIC "DWSPOOL\n"
#define SPOOL_MAGIC_LEN 8
#define SPOOL_VERSION 1
#define SPOOL_HEADER_LEN 28
#define SPOOL_FIELD_MAX (1024 * 1024)
#define SPOOL_FILE_MAX (128 * 1024 * 1024)
#define SPOOL_RECORDS_MAX 4096

typedef struct spool_batch {
	hrec_t *recs;
	size_t n;
	char *arena;
} spool_batch_t;

int spool_encode(strbuf_t *sb, const hrec_t *recs, size_t n);
int spool_decode(const unsigned char *buf, size_t len, spool_batch_t *b,
    char *err, size_t errlen);
void spool_batch_free(spool_batch_t *b);

#endif
