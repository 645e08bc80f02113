/*
 * history - the verdict history in SQLite, written by one thread.
 * See history.h for the contract and history/schema.h for the tables.
 *
 * Design.  history_submit() turns the (large, fixed-size) history_row_t
 * into a compact heap item (hist_item_new(), history_db.h) and appends
 * it to a FIFO under a mutex; the milter thread never touches SQLite,
 * which history_db.c does for the writer thread.  The writer thread takes up to
 * HISTORY_BATCH items per transaction.  A failed batch goes back to the
 * head of the FIFO, so order is kept and nothing is lost until the FIFO
 * holds max_buffered items (those in flight count too); past that,
 * history_submit() drops and counts.  After a failure the writer waits
 * HISTORY_RETRY_MS before trying again, whatever arrives meanwhile.
 * Except for SQLITE_BUSY/LOCKED (someone else holds the lock) the
 * connection is closed on error and reopened on the next try, so a file
 * that was deleted, replaced or whose directory reappeared is picked up.
 * Before each batch, and about once a second when idle, the writer
 * compares the path's device and inode with those of the open file and
 * reopens when they differ (the database was deleted or replaced under
 * the running daemon).
 *
 * Counters (history_stats): written = rows committed; buffered = rows
 * queued or in flight; dropped = rows never written (buffer full, a row
 * the database refused, rows left at close); errors = failed attempts to
 * open or write.
 */
#include "history.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "history_db.h"
#include "../util/log.h"

#define HISTORY_BATCH 1000
#define HISTORY_LINGER_MS 250           /* gathering a batch */
#define HISTORY_RETRY_MS 1000
#define HISTORY_CLOSE_RETRY_MS 100
#define HISTORY_CLOSE_WAIT_S 3        /* history_close keeps trying */
#define HISTORY_ERR_INTERVAL 60

struct history {
	char *path;
	size_t max_buffered;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Under lock. */
	hist_item_t *head, *tail;
	size_t nqueued;                 /* in the FIFO plus in flight */
	bool stopping;
	struct timespec stop_deadline;
	uint64_t written, dropped, errors;
	time_t last_drop_log;
	/* Writer thread only (history_open before the thread starts). */
	history_db_t db;
	time_t last_err_log, last_check;
	bool failing;
};

/* ---- time ----------------------------------------------------------- */

static struct timespec mono_after_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static bool mono_passed(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	    (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* ---- the writer thread ---------------------------------------------- */

static void writer_failed(history_t *h, const char *what, const char *err)
{
	size_t queued;
	uint64_t dropped;

	pthread_mutex_lock(&h->lock);
	h->errors++;
	queued = h->nqueued;
	dropped = h->dropped;
	pthread_mutex_unlock(&h->lock);
	h->failing = true;
	log_ratelimited(&h->last_err_log, HISTORY_ERR_INTERVAL, LOG_ERR,
	    "history: %s: %s: %s; %zu rows buffered, %llu rows dropped so far",
	    h->path, what, err, queued, (unsigned long long)dropped);
}

/* Detach up to HISTORY_BATCH items from the head of the FIFO. */
static hist_item_t *batch_take(history_t *h, size_t *n)
{
	hist_item_t *batch, *last;

	pthread_mutex_lock(&h->lock);
	batch = last = h->head;
	*n = 0;
	if (batch != NULL) {
		for (*n = 1; *n < HISTORY_BATCH && last->next; (*n)++)
			last = last->next;
		h->head = last->next;
		if (h->head == NULL)
			h->tail = NULL;
		last->next = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	return batch;
}

static void batch_done(history_t *h, hist_item_t *batch, size_t n,
    size_t nbad, bool written)
{
	hist_item_t *last;

	pthread_mutex_lock(&h->lock);
	if (written) {
		h->nqueued -= n;
		h->written += n - nbad;
		h->dropped += nbad;
	} else {
		for (last = batch; last->next != NULL; last = last->next)
			;
		last->next = h->head;
		h->head = batch;
		if (h->tail == NULL)
			h->tail = last;
		batch = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	hist_item_free_list(batch);
}

/* One round of work.  Returns 1 when rows were written, 0 when there was
 * nothing to do, -1 on failure (the caller backs off). */
static int writer_round(history_t *h, bool have_rows)
{
	char err[256] = "";
	hist_item_t *batch;
	bool reopen = false;
	size_t n, nbad;
	int rc;

	if (h->db.db != NULL && (have_rows || h->last_check != time(NULL))) {
		h->last_check = time(NULL);
		if (history_db_moved(&h->db)) {
			log_warn("history: %s was deleted or replaced, "
			    "reopening", h->path);
			history_db_close(&h->db);
			reopen = true;
		}
	}
	if (!have_rows && !reopen)
		return 0;
	if (h->db.db == NULL &&
	    history_db_open(&h->db, err, sizeof(err)) != 0) {
		writer_failed(h, "cannot open", err);
		return -1;
	}
	if ((batch = batch_take(h, &n)) == NULL)
		return 0;
	rc = history_db_write(&h->db, batch, &nbad, err, sizeof(err));
	batch_done(h, batch, n, nbad, rc == SQLITE_OK);
	if (rc != SQLITE_OK) {
		writer_failed(h, "cannot write", err);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			history_db_close(&h->db);
		return -1;
	}
	if (h->failing) {
		h->failing = false;
		log_info("history: %s is writable again", h->path);
	}
	return 1;
}

/* Called with the lock held: sleep until there is work, a second passed,
 * or (after a failure) the retry delay passed.  With work, wait up to
 * HISTORY_LINGER_MS more for a full batch: a transaction of one row
 * writes about as many WAL pages as one of a hundred (make bench: history
 * cost 10% of the filter's CPU at 1,500 messages/s, one row per commit),
 * and the per-domain index touches one leaf per policy domain in each
 * commit, so bigger batches write fewer pages per row (strace, 500
 * messages at 1,300/s: 1,290 WAL pages with 50 ms and 200 rows, 494 with
 * 250 ms and 1000).  A clean stop flushes what is gathered. */
static void writer_wait(history_t *h, bool backoff)
{
	struct timespec until;

	if (h->stopping && !backoff)
		return;
	until = mono_after_ms(h->stopping ? HISTORY_CLOSE_RETRY_MS :
	    HISTORY_RETRY_MS);
	while (backoff || (h->head == NULL && !h->stopping))
		if (pthread_cond_timedwait(&h->cond, &h->lock, &until) ==
		    ETIMEDOUT)
			break;
	if (backoff || h->head == NULL)
		return;
	until = mono_after_ms(HISTORY_LINGER_MS);
	while (!h->stopping && h->nqueued < HISTORY_BATCH)
		if (pthread_cond_timedwait(&h->cond, &h->lock, &until) ==
		    ETIMEDOUT)
			break;
}

static void *writer_main(void *arg)
{
	history_t *h = arg;
	hist_item_t *left;
	bool backoff = false, have_rows;
	size_t nleft;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		writer_wait(h, backoff);
		if (h->stopping && (h->head == NULL ||
		    (backoff && mono_passed(&h->stop_deadline))))
			break;
		have_rows = h->head != NULL;
		pthread_mutex_unlock(&h->lock);
		backoff = writer_round(h, have_rows) < 0;
		pthread_mutex_lock(&h->lock);
	}
	left = h->head;
	nleft = h->nqueued;
	h->dropped += nleft;
	h->head = h->tail = NULL;
	h->nqueued = 0;
	pthread_mutex_unlock(&h->lock);
	if (nleft > 0)
		log_err("history: %s: %zu rows not written at shutdown",
		    h->path, nleft);
	hist_item_free_list(left);
	history_db_close(&h->db);
	return NULL;
}

/* ---- the interface -------------------------------------------------- */

static void history_free(history_t *h)
{
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h->path);
	free(h);
}

static history_t *history_alloc(const char *path, unsigned max_buffered)
{
	pthread_condattr_t ca;
	history_t *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->path = strdup(path)) == NULL) {
		free(h);
		return NULL;
	}
	h->db.path = h->path;
	h->max_buffered = max_buffered > 0 ? max_buffered : 1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	return h;
}

history_t *history_open(const char *path, unsigned max_buffered, char *err,
    size_t errlen)
{
	char why[256] = "";
	history_t *h;
	int rc;

	if (path == NULL || *path == '\0' || strnlen(path, PATH_MAX) >=
	    PATH_MAX) {
		str_format(err, errlen, "history: empty or too long path");
		return NULL;
	}
	if ((h = history_alloc(path, max_buffered)) == NULL) {
		str_format(err, errlen, "history: out of memory");
		return NULL;
	}
	rc = history_db_open(&h->db, why, sizeof(why));
	if (rc == -2) {
		str_format(err, errlen, "history: %s: %s", path, why);
		history_free(h);
		return NULL;
	}
	if (rc != 0) {
		h->errors++;
		h->failing = true;
		log_ratelimited(&h->last_err_log, HISTORY_ERR_INTERVAL,
		    LOG_WARNING, "history: %s: %s; will retry", path, why);
	}
	if (pthread_create(&h->thread, NULL, writer_main, h) != 0) {
		str_format(err, errlen, "history: cannot start writer thread");
		history_db_close(&h->db);
		history_free(h);
		return NULL;
	}
	return h;
}

void history_submit(history_t *h, const history_row_t *row)
{
	hist_item_t *it;
	bool first;

	if (h == NULL || row == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	if (h->nqueued < h->max_buffered && !h->stopping) {
		pthread_mutex_unlock(&h->lock);
		it = hist_item_new(row);
		pthread_mutex_lock(&h->lock);
		if (it != NULL && h->nqueued < h->max_buffered &&
		    !h->stopping) {
			first = h->head == NULL;
			if (h->tail != NULL)
				h->tail->next = it;
			else
				h->head = it;
			h->tail = it;
			h->nqueued++;
			/* The writer waits for a first row, then for a
			 * full batch (writer_wait). */
			if (first || h->nqueued % HISTORY_BATCH == 0)
				pthread_cond_signal(&h->cond);
			pthread_mutex_unlock(&h->lock);
			return;
		}
		hist_item_free_list(it);
	}
	h->dropped++;
	log_ratelimited(&h->last_drop_log, HISTORY_ERR_INTERVAL, LOG_ERR,
	    "history: %s: %zu rows buffered, the limit; %llu rows dropped "
	    "so far", h->path, h->nqueued, (unsigned long long)h->dropped);
	pthread_mutex_unlock(&h->lock);
}

void history_stats(history_t *h, history_stats_t *out)
{
	memset(out, 0, sizeof(*out));
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	out->written = h->written;
	out->buffered = h->nqueued;
	out->dropped = h->dropped;
	out->errors = h->errors;
	pthread_mutex_unlock(&h->lock);
}

void history_close(history_t *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	h->stop_deadline = mono_after_ms(HISTORY_CLOSE_WAIT_S * 1000L);
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	history_free(h);
}

