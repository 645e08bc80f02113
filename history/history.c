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
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/strbuf.h"
#include "hdb.h"
#include "history_db.h"
#include "history_pg.h"
#include "history_rec.h"
#include "spool_dir.h"
#include "../util/log.h"

#define HISTORY_BATCH 1000
#define HISTORY_LINGER_MS 250           /* gathering a batch */
#define HISTORY_RETRY_MS 1000
#define HISTORY_CLOSE_RETRY_MS 100
#define HISTORY_CLOSE_WAIT_S 3        /* history_close keeps trying */
#define HISTORY_ERR_INTERVAL 60
#define HISTORY_REPLAY_CHECK_S 5        /* look for other spool files */
#define HISTORY_REPLAY_FILES 8          /* per round, then live rows */

struct history {
	char *path;
	char *label;                    /* path, or URI without password */
	size_t max_buffered;
	bool pg;                        /* PostgreSQL (else SQLite) */
	char instance[24];              /* row_uid prefix */
	char host[HREC_HOST_MAX];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Under lock. */
	hist_item_t *head, *tail;
	size_t nqueued;                 /* in the FIFO plus in flight */
	bool stopping;
	struct timespec stop_deadline;
	uint64_t written, dropped, errors, spooled, replayed;
	unsigned long long seq;
	time_t last_drop_log;
	/* Writer thread only (history_open before the thread starts). */
	history_db_t db;
	time_t last_err_log, last_check;
	bool failing;
	history_pg_t pgc;
	spool_dir_t spool;
	time_t last_connect, last_replay, last_spool_log;
	bool replay_due;
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
	    h->label, what, err, queued, (unsigned long long)dropped);
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

/* The batch is done with (written, spooled or dropped: the counts say
 * which), or goes back to the head of the FIFO when !done. */
static void batch_end(history_t *h, hist_item_t *batch, size_t n,
    bool done, size_t nwritten, size_t nspooled)
{
	hist_item_t *last;

	pthread_mutex_lock(&h->lock);
	if (done) {
		h->nqueued -= n;
		h->written += nwritten;
		h->spooled += nspooled;
		h->dropped += n - nwritten - nspooled;
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

static void batch_done(history_t *h, hist_item_t *batch, size_t n,
    size_t nbad, bool written)
{
	batch_end(h, batch, n, written, n - nbad, 0);
}

/* One round of work.  Returns 1 when rows were written, 0 when there was
 * nothing to do, -1 on failure (the caller backs off). */
static int sqlite_round(history_t *h, bool have_rows)
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
			    "reopening", h->label);
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
		log_info("history: %s is writable again", h->label);
	}
	return 1;
}

/* ---- PostgreSQL and the spool --------------------------------------- */

/* Connected, or trying at most once a second (force: now). */
static bool pg_connect(history_t *h, bool force)
{
	char err[HDB_ERR_MAX] = "";
	time_t now = time(NULL);

	if (h->pgc.db != NULL)
		return true;
	if (!force && h->last_connect == now)
		return false;
	h->last_connect = now;
	if (history_pg_open(&h->pgc, err, sizeof(err)) != 0) {
		writer_failed(h, "cannot connect", err);
		return false;
	}
	if (h->failing) {
		h->failing = false;
		log_info("history: %s is reachable again", h->label);
	}
	h->replay_due = true;
	return true;
}

static int replay_batch(void *ctx, const spool_batch_t *b)
{
	char err[HDB_ERR_MAX];
	history_t *h = ctx;
	size_t nbad;

	if (history_pg_write(&h->pgc, b->recs, b->n, &nbad, err,
	    sizeof(err)) != 0) {
		writer_failed(h, "cannot replay the spool", err);
		return -1;
	}
	pthread_mutex_lock(&h->lock);
	h->written += b->n - nbad;
	h->replayed += b->n - nbad;
	h->dropped += nbad;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* Replay up to max spool files, oldest first (others' too: the
 * directory may be shared). */
static void pg_replay(history_t *h, size_t max)
{
	char **names;
	size_t n, i, done = 0, nrows;
	int rc = 0;

	h->last_replay = time(NULL);
	h->replay_due = false;
	if (spool_dir_list(&h->spool, &names, &n) != 0)
		return;
	for (i = 0; i < n && done < max && h->pgc.db != NULL; i++) {
		rc = spool_dir_replay(&h->spool, names[i], replay_batch, h,
		    &nrows);
		if (rc == -1)
			break;
		if (rc == 1) {
			done++;
			log_info("history: replayed %zu spooled rows from %s/%s "
			    "into %s", nrows, h->spool.dir, names[i], h->label);
		}
	}
	if (i < n && rc != -1)
		h->replay_due = true;   /* more to do in the next round */
	spool_dir_names_free(names, n);
}

/* The batch as records; the items' strings are made valid UTF-8. */
static hrec_t *batch_recs(history_t *h, hist_item_t *batch, size_t n)
{
	hrec_t *recs = malloc((n > 0 ? n : 1) * sizeof(*recs));
	char uid[HREC_UID_MAX];
	size_t i = 0;

	if (recs == NULL)
		return NULL;
	for (hist_item_t *it = batch; it != NULL && i < n; it = it->next) {
		hrec_utf8_clean(it->strs, it->strs_len);
		str_format(uid, sizeof(uid), "%s-%llu", h->instance, it->seq);
		hrec_from_item(&recs[i++], it, uid, h->host);
	}
	return recs;
}

/* Spool a batch: 0 written, -2 dropped (spool full), -1 I/O error. */
static int pg_spool(history_t *h, const hrec_t *recs, size_t n)
{
	char err[512];
	int rc = spool_dir_put(&h->spool, recs, n, err, sizeof(err));

	if (rc == -2)
		log_ratelimited(&h->last_spool_log, HISTORY_ERR_INTERVAL,
		    LOG_ERR, "history: %s unreachable and %s: %zu rows "
		    "DROPPED (raise HistorySpoolMax or bring the database "
		    "back)", h->label, err, n);
	else if (rc == -1)
		writer_failed(h, "cannot spool", err);
	else
		h->replay_due = true;
	return rc;
}

static int pg_round(history_t *h, bool have_rows)
{
	char err[HDB_ERR_MAX] = "";
	hist_item_t *batch;
	hrec_t *recs;
	size_t n, nbad;
	int rc;

	if (pg_connect(h, false) && (h->replay_due ||
	    time(NULL) - h->last_replay >= HISTORY_REPLAY_CHECK_S))
		pg_replay(h, HISTORY_REPLAY_FILES);
	if (!have_rows || (batch = batch_take(h, &n)) == NULL)
		return 0;
	if ((recs = batch_recs(h, batch, n)) == NULL) {
		batch_done(h, batch, n, 0, false);
		return -1;
	}
	if (h->pgc.db != NULL) {
		rc = history_pg_write(&h->pgc, recs, n, &nbad, err,
		    sizeof(err));
		if (rc == 0) {
			free(recs);
			batch_done(h, batch, n, nbad, true);
			return 1;
		}
		writer_failed(h, "cannot write", err);
	}
	rc = pg_spool(h, recs, n);
	free(recs);
	batch_end(h, batch, n, rc != -1, 0, rc == 0 ? n : 0);
	return rc == -1 ? -1 : 1;
}

static int writer_round(history_t *h, bool have_rows)
{
	return h->pg ? pg_round(h, have_rows) : sqlite_round(h, have_rows);
}

/* At close: what is still queued goes to the spool, then the spool is
 * replayed when the database can be reached. */
static void pg_close(history_t *h)
{
	hist_item_t *batch;
	size_t n;

	while (h->pgc.db == NULL && (batch = batch_take(h, &n)) != NULL) {
		hrec_t *recs = batch_recs(h, batch, n);
		int rc = recs != NULL ? pg_spool(h, recs, n) : -1;

		free(recs);
		batch_end(h, batch, n, rc != -1, 0, rc == 0 ? n : 0);
		if (rc == -1)
			break;
	}
	if (pg_connect(h, true))
		while (h->replay_due && !mono_passed(&h->stop_deadline))
			pg_replay(h, HISTORY_REPLAY_FILES);
	history_pg_close(&h->pgc);
	spool_dir_free(&h->spool);
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
	if (h->pg) {
		pthread_mutex_unlock(&h->lock);
		pg_close(h);
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
		    h->label, nleft);
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
	free(h->label);
	free(h);
}

static history_t *history_alloc(const char *path, unsigned max_buffered)
{
	pthread_condattr_t ca;
	history_t *h = calloc(1, sizeof(*h));

	char label[1024];

	if (h == NULL || (h->path = strdup(path)) == NULL) {
		free(h);
		return NULL;
	}
	h->pg = hdb_spec_is_pg(path);
	hdb_spec_redacted(path, label, sizeof(label));
	if ((h->label = strdup(label)) == NULL) {
		free(h->path);
		free(h);
		return NULL;
	}
	h->db.path = h->path;
	h->pgc.spec = h->path;
	h->max_buffered = max_buffered > 0 ? max_buffered : 1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	return h;
}

/* Random instance (row_uid prefix) and host name. */
static void history_identity(history_t *h, const char *host)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r = (unsigned long long)ts.tv_nsec ^
		    (unsigned long long)ts.tv_sec << 20 ^
		    (unsigned long long)getpid() << 40;
	}
	str_format(h->instance, sizeof(h->instance), "%016llx", r);
	if (host != NULL && *host != '\0')
		str_copy(h->host, sizeof(h->host), host);
	else if (gethostname(h->host, sizeof(h->host) - 1) != 0)
		h->host[0] = '\0';
}

/* PostgreSQL: the spool directory, and a first connection (-2: a
 * database we must never use). */
static int history_open_pg(history_t *h, const history_config_t *cfg,
    char *why, size_t whylen)
{
	const char *dir = cfg->spool_dir && *cfg->spool_dir ? cfg->spool_dir :
	    HISTORY_SPOOL_DEFAULT;
	int rc;

	(void)mkdir(dir, 0700);
	if (spool_dir_init(&h->spool, dir, cfg->spool_max ? cfg->spool_max :
	    HISTORY_SPOOL_MAX_DEFAULT, h->instance) != 0) {
		str_format(why, whylen, "out of memory");
		return -2;
	}
	h->replay_due = true;
	h->last_connect = time(NULL);
	rc = history_pg_open(&h->pgc, why, whylen);
	if (rc == -2)
		spool_dir_free(&h->spool);
	return rc;
}

history_t *history_open_config(const history_config_t *cfg, char *err,
    size_t errlen)
{
	const char *path = cfg->db;
	char why[HDB_ERR_MAX] = "";
	history_t *h;
	int rc;

	if (path == NULL || *path == '\0' || strnlen(path, PATH_MAX) >=
	    PATH_MAX) {
		str_format(err, errlen, "history: empty or too long path");
		return NULL;
	}
	if ((h = history_alloc(path, cfg->max_buffered)) == NULL) {
		str_format(err, errlen, "history: out of memory");
		return NULL;
	}
	history_identity(h, cfg->host);
	rc = h->pg ? history_open_pg(h, cfg, why, sizeof(why)) :
	    history_db_open(&h->db, why, sizeof(why));
	if (rc == -2) {
		str_format(err, errlen, "history: %s: %s", h->label, why);
		history_free(h);
		return NULL;
	}
	if (rc != 0) {
		h->errors++;
		h->failing = true;
		log_ratelimited(&h->last_err_log, HISTORY_ERR_INTERVAL,
		    LOG_WARNING, "history: %s: %s; will retry%s", h->label, why,
		    h->pg ? " (rows go to the spool meanwhile)" : "");
	}
	if (pthread_create(&h->thread, NULL, writer_main, h) != 0) {
		str_format(err, errlen, "history: cannot start writer thread");
		history_db_close(&h->db);
		history_pg_close(&h->pgc);
		if (h->pg)
			spool_dir_free(&h->spool);
		history_free(h);
		return NULL;
	}
	return h;
}

history_t *history_open(const char *path, unsigned max_buffered, char *err,
    size_t errlen)
{
	history_config_t cfg = { .db = path, .max_buffered = max_buffered };

	return history_open_config(&cfg, err, errlen);
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
			it->seq = ++h->seq;
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
	    "so far", h->label, h->nqueued, (unsigned long long)h->dropped);
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
	out->spooled = h->spooled;
	out->replayed = h->replayed;
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

