/*
 * partition - spill (domain, record key) pairs into compressed temporary
 * files by a hash of the domain, so that a whole day of history can be
 * read in one sequential pass and then grouped one partition, hence a
 * bounded number of domains, at a time.
 *
 * SYNOPSIS
 *	partition_t *p = partition_new(nparts, dir, err, errlen);
 *	partition_put(p, "example.com", key);      (for every message)
 *	for (i = 0; i < partition_count(p); i++)
 *		partition_read(p, i, fn, ctx);     fn(ctx, domain, key)
 *	partition_free(p);
 *
 * DESCRIPTION
 *	Every pair goes to partition hash(domain) % nparts, so all pairs of
 *	one domain land in the same partition.  Files are anonymous
 *	(O_TMPFILE, or a name unlinked at once) in dir (the caller passes
 *	the history database's directory, so that a big day is not spilled
 *	into a small /tmp; NULL: TMPDIR or /tmp) and vanish with the
 *	process.  They are gzip streams (level 1: the keys of a domain
 *	repeat, about a tenth of the raw size), written through a 32 KB
 *	buffer each; memory: about 300 KB a partition.  Records are
 *	length-prefixed: a domain of at most 255 bytes, a key of at most
 *	AGG_KEY_MAX bytes; longer ones are refused (-1).  partition_bytes()
 *	tells the bytes written so far (for the log).
 *
 *	partition_read() calls fn for each pair of partition i, in the
 *	order written, with NUL-terminated strings valid during the call
 *	(fn may take the key: it gets a heap copy it owns).  It stops and
 *	returns -1 when fn returns -1, or on a read error.  A partition is
 *	read once: then its file is truncated and nothing more can be put
 *	into it.
 *
 *	nparts is clamped to 1..PARTITION_MAX.  partition_free() accepts
 *	NULL.  Not thread-safe.
 */
#ifndef REPORTER_PARTITION_H
#define REPORTER_PARTITION_H

#include <stddef.h>

#define PARTITION_MAX 256

typedef struct partition partition_t;
typedef int (*partition_fn)(void *ctx, const char *domain, char *key);

partition_t *partition_new(unsigned nparts, const char *dir, char *err,
    size_t errlen);
unsigned long long partition_bytes(const partition_t *p);
int partition_put(partition_t *p, const char *domain, const char *key);
unsigned partition_count(const partition_t *p);
int partition_read(partition_t *p, unsigned i, partition_fn fn, void *ctx);
void partition_free(partition_t *p);

#endif
