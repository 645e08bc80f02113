/*
 * spool_dir - the spool directory: batches the PostgreSQL writer could
 * not write wait there as files (spool.h) until they are replayed.
 *
 * SYNOPSIS
 *	spool_dir_t sd;
 *	spool_dir_init(&sd, dir, max_bytes, instance);
 *	spool_dir_put(&sd, recs, n, err, errlen);    0, -1 (I/O), -2 full
 *	spool_dir_list(&sd, &names, &n);             oldest first
 *	spool_dir_replay(&sd, names[i], fn, ctx, &nrows);
 *	spool_dir_names_free(names, n);
 *	spool_dir_free(&sd);
 *
 * DESCRIPTION
 *	spool_dir_put() writes one batch as a new file: to a temporary
 *	name (".NAME.tmp", ignored by readers), fsync, rename to
 *	"TIME-INSTANCE-SEQ.spool" (TIME the wall clock in nanoseconds, 16
 *	hex digits, so names sort oldest first), fsync of the directory.
 *	It refuses (-2) when the spool files would pass max_bytes: the
 *	caller drops the rows and says so.  The bytes in use are counted
 *	from the directory (several milters may share it) at most every
 *	SPOOL_SCAN_S seconds and kept up to date in between.
 *
 *	spool_dir_replay() takes one file: it locks it (flock, not
 *	blocking: a file another process is replaying is skipped, return
 *	0), reads and checks it whole (spool_decode()), and calls fn with
 *	its records.  When fn returns 0 (its transaction committed) the
 *	file is deleted and 1 returned with *nrows set; when fn fails the
 *	file stays and -1 is returned.  A file that does not decode is
 *	renamed NAME.bad, logged, and -2 returned; it is never retried.
 *	A file that vanished meanwhile (another process replayed it) is
 *	skipped.  Stale temporary files (older than SPOOL_TMP_STALE_S) are
 *	removed by spool_dir_init().
 *
 *	The structure is used by one thread; the directory may be shared.
 */
#ifndef HISTORY_SPOOL_DIR_H
#define HISTORY_SPOOL_DIR_H

#include <stddef.h>
#include <time.h>

#include "spool.h"

#define SPOOL_SCAN_S 2
#define SPOOL_TMP_STALE_S 600

typedef struct spool_dir {
	char *dir;                      /* owned */
	unsigned long long max;         /* bytes */
	char instance[24];
	unsigned long long seq;
	unsigned long long used;        /* bytes of spool files */
	time_t scanned;                 /* 0: never */
} spool_dir_t;

typedef int (*spool_replay_fn)(void *ctx, const spool_batch_t *b);

int spool_dir_init(spool_dir_t *sd, const char *dir, unsigned long long max,
    const char *instance);
void spool_dir_free(spool_dir_t *sd);
int spool_dir_put(spool_dir_t *sd, const hrec_t *recs, size_t n, char *err,
    size_t errlen);
int spool_dir_list(spool_dir_t *sd, char ***names, size_t *n);
void spool_dir_names_free(char **names, size_t n);
int spool_dir_replay(spool_dir_t *sd, const char *name, spool_replay_fn fn,
    void *ctx, size_t *nrows);

#endif
